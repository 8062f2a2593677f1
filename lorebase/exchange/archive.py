"""The parts every export format shares to write its ZIP: a streaming, hashing ZIP writer,
unique file names, the summary an export reports, and timestamps as the exports spell them."""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any, BinaryIO, cast

import orjson
from isal import isal_zlib

# ISA-L levels run 0-3; 2 compresses JSON within a few percent of zlib's default level.
ISAL_LEVEL = 2
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
PATH_CHARS = re.compile(r"[/\\\x00-\x1f]+")

Progress = Callable[[int, int], None]


@dataclass
class ExportSummary:
    workspaces: int = 0
    categories: int = 0
    articles: int = 0
    media: int = 0
    files: int = 0


@dataclass
class ManifestEntry:
    path: str
    size: int
    sha256: str


class UniqueNames:
    """File names unique within one folder, case-insensitively: slug, slug-2, slug-3 …

    Article and category files are named from slugs, reduced to safe ASCII; media keep their
    Drive names (`keep_names`), only '/' and '\\' replaced, so that their URLs still name them.
    """

    def __init__(self, keep_names: bool = False) -> None:
        self._taken: set[str] = set()
        self._unsafe = PATH_CHARS if keep_names else _UNSAFE

    def claim(self, wanted: str, suffix: str = "") -> str:
        base = self._unsafe.sub("-", wanted).strip("-. ") or "untitled"
        name, n = base, 1
        while (name + suffix).lower() in self._taken:
            n += 1
            name = f"{base}-{n}"
        self._taken.add((name + suffix).lower())
        return name + suffix


class ExportZip:
    """A ZIP under construction: every entry streamed, hashed and recorded for the manifest."""

    def __init__(self, out: BinaryIO, created_at: datetime) -> None:
        self.zip = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED)
        self.date_time = created_at.timetuple()[:6]
        self.entries: list[ManifestEntry] = []

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self.date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        return info

    def write_json(self, name: str, value: Any, *, record: bool = True) -> None:
        """One JSON entry, compact UTF-8, encoded at once by orjson: the largest value is the
        index, whose size grows with the item count but holds no bodies (the stdlib's
        streaming encoder is pure Python and cost a third of an export's time)."""
        self.write_bytes(name, orjson.dumps(value), record=record)

    def write_bytes(self, name: str, data: bytes, *, record: bool = True) -> None:
        with self._open(name) as stream:
            stream.write(data)
        if record:
            self.entries.append(ManifestEntry(name, len(data), hashlib.sha256(data).hexdigest()))

    def write_stream(self, name: str, source: BinaryIO, chunk: int = 256 * 1024) -> None:
        """One entry copied from a readable stream (a media blob), chunk by chunk."""
        digest = hashlib.sha256()
        size = 0
        with self._open(name) as stream:
            while data := source.read(chunk):
                stream.write(data)
                digest.update(data)
                size += len(data)
        self.entries.append(ManifestEntry(name, size, digest.hexdigest()))

    def _open(self, name: str) -> IO[bytes]:
        stream = self.zip.open(self._info(name), "w")
        # ISA-L's deflate (python-isal) instead of zlib's: the same format, 4x faster on
        # export entries (measured: 0.48 s vs 1.96 s for 128 MB of JSON, 4% larger). zipfile
        # has no public hook for its compressor; `_compressor` is set in the write handle's
        # constructor and first used by write(), so it is swapped before any data.
        cast(Any, stream)._compressor = isal_zlib.compressobj(ISAL_LEVEL, isal_zlib.DEFLATED, -15)
        return stream

    def close(self) -> None:
        self.zip.close()


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return aware(value).astimezone(UTC).isoformat().replace("+00:00", "Z")


def aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def batched(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
