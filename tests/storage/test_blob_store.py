"""Behaviour every BlobStore shares, run against the local folder and a real S3 endpoint."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from lorebase.storage import BlobNotFoundError
from tests.storage.conftest import StoreCase


class WriterFailed(Exception):
    pass


def test_put_bytes_then_read_returns_the_same_bytes(case: StoreCase) -> None:
    case.store.put_bytes("exports/a.zip", b"\x00\x01payload\xff")

    with case.store.open_reader("exports/a.zip") as fh:
        assert fh.read() == b"\x00\x01payload\xff"
    assert case.store.exists("exports/a.zip")
    assert case.store.size("exports/a.zip") == 10


def test_streamed_multi_megabyte_write_is_published_whole_and_leaves_no_temp(
    case: StoreCase,
) -> None:
    # 9 MiB crosses boto3's 8 MiB multipart threshold, so S3 takes the multipart path.
    chunk = os.urandom(256 * 1024)
    digest = hashlib.sha256()
    with case.store.open_writer("exports/big.zip") as fh:
        for _ in range(36):
            fh.write(chunk)
            digest.update(chunk)
        assert not case.store.exists("exports/big.zip")

    assert case.store.size("exports/big.zip") == 36 * len(chunk)
    with case.store.open_reader("exports/big.zip") as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == digest.hexdigest()
    assert [k.rsplit("/", 1)[-1] for k in case.stored_objects()] == ["big.zip"]


def test_failed_write_publishes_nothing_and_leaves_no_temp(case: StoreCase) -> None:
    with pytest.raises(WriterFailed), case.store.open_writer("exports/broken.zip") as fh:
        fh.write(b"half an archive")
        raise WriterFailed

    assert not case.store.exists("exports/broken.zip")
    assert list(case.store.list()) == []
    assert case.stored_objects() == []


def test_rewrite_replaces_the_published_blob(case: StoreCase) -> None:
    case.store.put_bytes("media/logo.png", b"old")
    with case.store.open_writer("media/logo.png") as fh:
        fh.write(b"new")

    with case.store.open_reader("media/logo.png") as fh:
        assert fh.read() == b"new"


@pytest.mark.parametrize(
    "key",
    ["", "/etc/passwd", "../escape", "a/../../escape", "a/./b", "a//b", "a/", "a\\b", ".tmp/x"],
)
def test_unsafe_keys_are_refused(case: StoreCase, key: str) -> None:
    with pytest.raises(ValueError):
        case.store.put_bytes(key, b"x")
    with pytest.raises(ValueError):
        case.store.open_writer(key)
    with pytest.raises(ValueError):
        case.store.open_reader(key)
    with pytest.raises(ValueError):
        case.store.exists(key)
    with pytest.raises(ValueError):
        case.store.delete(key)
    assert case.stored_objects() == []


@pytest.mark.parametrize("prefix", ["/abs", "../up", "a/../b", "a\\b"])
def test_unsafe_list_prefixes_are_refused(case: StoreCase, prefix: str) -> None:
    with pytest.raises(ValueError):
        list(case.store.list(prefix))


def test_list_returns_keys_under_a_prefix_in_order(case: StoreCase) -> None:
    for key in ["exports/2/b.zip", "exports/1/a.zip", "exports-old/c.zip", "media/d.png"]:
        case.store.put_bytes(key, b"x")

    assert list(case.store.list("exports/")) == ["exports/1/a.zip", "exports/2/b.zip"]
    assert list(case.store.list("exports")) == [
        "exports-old/c.zip",
        "exports/1/a.zip",
        "exports/2/b.zip",
    ]
    assert list(case.store.list("exports/1/a")) == ["exports/1/a.zip"]
    assert list(case.store.list("nothing/")) == []
    assert len(list(case.store.list())) == 4


def test_delete_removes_the_blob_and_tolerates_missing_keys(case: StoreCase) -> None:
    case.store.put_bytes("media/a.png", b"x")
    case.store.put_bytes("media/b.png", b"y")

    case.store.delete("media/a.png")
    case.store.delete("media/never-existed.png")

    assert not case.store.exists("media/a.png")
    assert list(case.store.list("media/")) == ["media/b.png"]


def test_missing_blob_reads_raise_blob_not_found(case: StoreCase) -> None:
    assert not case.store.exists("media/missing.png")
    with pytest.raises(BlobNotFoundError):
        case.store.open_reader("media/missing.png")
    with pytest.raises(BlobNotFoundError):
        case.store.size("media/missing.png")


def test_signed_url_refuses_non_positive_expiry(case: StoreCase) -> None:
    with pytest.raises(ValueError):
        case.store.signed_url("media/a.png", 0)


def test_local_store_sweeps_staged_files_a_killed_writer_left(tmp_path: Path) -> None:
    from lorebase.storage import LocalBlobStore
    from lorebase.storage.local import STALE_STAGING_SECONDS

    staging = tmp_path / "blobs" / ".tmp"
    staging.mkdir(parents=True)
    abandoned, fresh = staging / "abandoned", staging / "in-progress"
    abandoned.write_bytes(b"half an export")
    fresh.write_bytes(b"someone is writing this")
    old = abandoned.stat().st_mtime - STALE_STAGING_SECONDS - 60
    os.utime(abandoned, (old, old))
    store = LocalBlobStore(tmp_path / "blobs", "http://lorebase.test", b"secret")
    assert not abandoned.exists() and fresh.exists()
    assert list(store.list()) == []
