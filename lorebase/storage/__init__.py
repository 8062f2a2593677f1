"""Blob storage for exports, imports and media: a local folder or an S3-compatible bucket,
chosen by one URL setting."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from lorebase.storage.base import BlobNotFoundError, BlobStore, validate_key
from lorebase.storage.local import LocalBlobStore

__all__ = [
    "BlobNotFoundError",
    "BlobStore",
    "LocalBlobStore",
    "blob_store_from_url",
    "validate_key",
]


def blob_store_from_url(url: str, *, data_dir: Path, base_url: str, secret: bytes) -> BlobStore:
    """`""` or `file://` → folder under the data folder; `file:///path` → that folder;
    `s3://bucket/prefix` → S3 (endpoint from LOREBASE_S3_ENDPOINT_URL or AWS_ENDPOINT_URL)."""
    parts = urlsplit(url)
    if not url or parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ValueError(f"file storage URL {url!r} must name a local path")
        root = Path(unquote(parts.path)) if parts.path else data_dir / "blobs"
        return LocalBlobStore(root, base_url, secret)
    if parts.scheme == "s3":
        if not parts.netloc:
            raise ValueError(f"S3 storage URL {url!r} has no bucket")
        # Imported here so a local-only deployment never pays for loading boto3.
        import boto3

        from lorebase.storage.s3 import CLIENT_CONFIG, S3BlobStore

        endpoint = os.environ.get("LOREBASE_S3_ENDPOINT_URL") or os.environ.get("AWS_ENDPOINT_URL")
        client = boto3.client("s3", endpoint_url=endpoint or None, config=CLIENT_CONFIG)
        return S3BlobStore(parts.netloc, unquote(parts.path), client)
    raise ValueError(f"unsupported storage URL scheme {parts.scheme!r} in {url!r}")
