"""Blobs as files under one folder, published by rename, downloaded through HMAC-signed URLs."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote, urlencode

from lorebase.storage import signing
from lorebase.storage.base import TMP_SEGMENT, BlobNotFoundError, validate_key, validate_prefix

# No write (an export, an upload) stays open this long; a staged file this old was abandoned.
STALE_STAGING_SECONDS = 24 * 3600


class LocalBlobStore:
    def __init__(
        self,
        root: Path,
        base_url: str,
        secret: bytes,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.root = root
        self.base_url = base_url.rstrip("/")
        self._secret = secret
        self._clock = clock
        # Staging inside the root keeps the temp file on the same filesystem, so os.replace is
        # an atomic rename rather than a copy.
        self._tmp_dir = root / TMP_SEGMENT
        self._tmp_dir.mkdir(parents=True, exist_ok=True)
        self.sweep_staging()

    def sweep_staging(self, older_than: float = STALE_STAGING_SECONDS) -> int:
        """Delete staged files a killed writer left behind (never published, never visible);
        only old ones, since other processes may be writing into the same folder right now."""
        cutoff = self._clock() - older_than
        removed = 0
        for path in self._tmp_dir.iterdir():
            try:
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:  # another process swept it first
                continue
        return removed

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*validate_key(key).split("/"))

    def open_writer(self, key: str) -> AbstractContextManager[BinaryIO]:
        return self._writer(self._path(key))

    @contextmanager
    def _writer(self, final: Path) -> Iterator[BinaryIO]:
        tmp = self._tmp_dir / uuid.uuid4().hex
        try:
            with open(tmp, "xb") as fh:
                yield fh
                fh.flush()
                os.fsync(fh.fileno())
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)
            _fsync_dir(final.parent)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def put_bytes(self, key: str, data: bytes) -> None:
        with self.open_writer(key) as fh:
            fh.write(data)

    def open_reader(self, key: str) -> BinaryIO:
        path = self._path(key)
        try:
            return open(path, "rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise BlobNotFoundError(key) from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        path = self._path(key)
        if not path.is_file():
            raise BlobNotFoundError(key)
        return path.stat().st_size

    def delete(self, key: str) -> None:
        path = self._path(key)
        if path.is_file():
            path.unlink(missing_ok=True)

    def list(self, prefix: str = "") -> Iterator[str]:
        validate_prefix(prefix)
        # Only the folder named by the prefix's complete segments can hold matches.
        folder = self.root.joinpath(*prefix.split("/")[:-1])
        if not folder.is_dir():
            return
        keys: list[str] = []
        for dirpath, dirnames, filenames in os.walk(folder):
            here = Path(dirpath)
            if here == self.root:
                dirnames[:] = [d for d in dirnames if d != TMP_SEGMENT]
            for name in filenames:
                key = (here / name).relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    keys.append(key)
        yield from sorted(keys)

    def signed_url(self, key: str, expires_in: int, filename: str | None = None) -> str:
        validate_key(key)
        if expires_in <= 0:
            raise ValueError("expires_in must be positive")
        expires = int(self._clock()) + expires_in
        query: dict[str, str | int] = {"expires": expires}
        if filename is not None:
            query["filename"] = filename
        query["signature"] = signing.sign(self._secret, key, expires, filename)
        return f"{self.base_url}/blobs/{quote(key, safe='/')}?{urlencode(query)}"

    def verify(
        self,
        key: str,
        expires: int,
        signature: str,
        now: float | None = None,
        filename: str | None = None,
    ) -> bool:
        """Check a signed URL's parameters, for the route that serves local blobs."""
        try:
            validate_key(key)
        except ValueError:
            return False
        when = self._clock() if now is None else now
        return signing.verify(self._secret, key, expires, signature, when, filename)


def _fsync_dir(path: Path) -> None:
    # Makes the rename itself durable; some platforms cannot open a directory, which is harmless.
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
