"""Choosing the blob store from LOREBASE_STORAGE_URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from lorebase.storage import LocalBlobStore, blob_store_from_url
from lorebase.storage.s3 import S3BlobStore

SECRET = b"factory-secret"


@pytest.mark.parametrize("url", ["", "file://"])
def test_empty_or_bare_file_url_is_a_folder_under_the_data_dir(tmp_path: Path, url: str) -> None:
    store = blob_store_from_url(url, data_dir=tmp_path, base_url="http://x", secret=SECRET)

    assert isinstance(store, LocalBlobStore)
    assert store.root == tmp_path / "blobs"
    store.put_bytes("a/b.txt", b"hi")
    assert (tmp_path / "blobs" / "a" / "b.txt").read_bytes() == b"hi"


def test_file_url_with_a_path_uses_that_folder(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    store = blob_store_from_url(
        f"file://{target}", data_dir=tmp_path / "data", base_url="http://x", secret=SECRET
    )

    assert isinstance(store, LocalBlobStore)
    assert store.root == target


def test_s3_url_picks_bucket_prefix_and_endpoint_from_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOREBASE_S3_ENDPOINT_URL", "http://127.0.0.1:9000")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://ignored.example")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")

    store = blob_store_from_url(
        "s3://kb-artifacts/prod/eu", data_dir=tmp_path, base_url="http://x", secret=SECRET
    )

    assert isinstance(store, S3BlobStore)
    assert store.bucket == "kb-artifacts"
    assert store.prefix == "prod/eu/"
    assert store._client.meta.endpoint_url == "http://127.0.0.1:9000"


@pytest.mark.parametrize("url", ["s3://", "ftp://host/x", "file://remote-host/x"])
def test_unusable_storage_urls_are_refused(tmp_path: Path, url: str) -> None:
    with pytest.raises(ValueError):
        blob_store_from_url(url, data_dir=tmp_path, base_url="http://x", secret=SECRET)
