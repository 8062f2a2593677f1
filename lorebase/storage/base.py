"""The BlobStore seam: one protocol for local-folder and S3-compatible blob storage, and the key
rules every store enforces."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import BinaryIO, Protocol
from urllib.parse import quote

# Writers stage data under this first segment; no caller key may live there.
TMP_SEGMENT = ".tmp"


class BlobNotFoundError(FileNotFoundError):
    """The key names no published blob."""


class BlobStore(Protocol):
    def open_writer(self, key: str) -> AbstractContextManager[BinaryIO]:
        """Stream a blob; it becomes visible under `key` only when the block exits cleanly."""
        ...

    def put_bytes(self, key: str, data: bytes) -> None: ...

    def open_reader(self, key: str) -> BinaryIO: ...

    def exists(self, key: str) -> bool: ...

    def size(self, key: str) -> int: ...

    def delete(self, key: str) -> None:
        """Remove the blob; deleting a missing key is not an error (S3 semantics)."""
        ...

    def list(self, prefix: str = "") -> Iterator[str]:
        """Published keys starting with `prefix` (a plain string prefix), in sorted order."""
        ...

    def signed_url(self, key: str, expires_in: int, filename: str | None = None) -> str: ...


def validate_key(key: str) -> str:
    """Return `key` if it is a safe relative '/'-separated name, else raise ValueError."""
    if not key:
        raise ValueError("blob key must not be empty")
    _check_segments(key, key.split("/"))
    return key


def validate_prefix(prefix: str) -> str:
    """Like `validate_key`, but "" and a trailing '/' are allowed."""
    if not prefix:
        return prefix
    segments = prefix.split("/")
    if segments[-1] == "":
        segments.pop()
    _check_segments(prefix, segments)
    return prefix


def _check_segments(name: str, segments: list[str]) -> None:
    if "\\" in name or "\x00" in name:
        raise ValueError(f"blob key {name!r} contains a backslash or NUL")
    if name.startswith("/"):
        raise ValueError(f"blob key {name!r} is absolute")
    for segment in segments:
        if segment in ("", ".", ".."):
            raise ValueError(f"blob key {name!r} has an empty, '.' or '..' segment")
    if segments and segments[0] == TMP_SEGMENT:
        raise ValueError(f"blob key {name!r} is inside the reserved {TMP_SEGMENT!r} area")


def attachment_disposition(filename: str) -> str:
    """A Content-Disposition value that downloads as `filename` (RFC 6266 with RFC 5987)."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
