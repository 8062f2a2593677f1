"""Blobs in an S3-compatible bucket under a key prefix, published by server-side copy from a
temporary key, downloaded through presigned URLs."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, BinaryIO, cast

from botocore.config import Config
from botocore.exceptions import ClientError

from lorebase.storage.base import (
    TMP_SEGMENT,
    BlobNotFoundError,
    attachment_disposition,
    validate_key,
    validate_prefix,
)

# Writes up to this size stay in memory before spilling to a temporary file.
SPOOL_MAX_BYTES = 8 * 1024 * 1024

# botocore still presigns with SigV2 in us-east-1 unless told otherwise; SigV2 is deprecated and
# refused by newer regions and several S3-compatible servers.
CLIENT_CONFIG = Config(signature_version="s3v4")


class S3BlobStore:
    def __init__(self, bucket: str, prefix: str, client: Any) -> None:
        self.bucket = bucket
        prefix = prefix.strip("/")
        if prefix:
            validate_prefix(prefix)
        self.prefix = f"{prefix}/" if prefix else ""
        # boto3 clients are generated at run time and ship no type information.
        self._client = client

    def _object_key(self, key: str) -> str:
        return self.prefix + validate_key(key)

    def open_writer(self, key: str) -> AbstractContextManager[BinaryIO]:
        return self._writer(self._object_key(key))

    @contextmanager
    def _writer(self, final: str) -> Iterator[BinaryIO]:
        # A single PUT or multipart upload is already atomic in S3; staging under a temporary
        # key keeps the local store's contract (leftovers of a crashed writer are all under
        # .tmp/, where a sweeper can find them) and a final key only ever appears by copy.
        tmp = f"{self.prefix}{TMP_SEGMENT}/{uuid.uuid4().hex}"
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX_BYTES) as spool:
            yield cast(BinaryIO, spool)
            spool.seek(0)
            try:
                self._client.upload_fileobj(spool, self.bucket, tmp)
                # The managed copy goes multipart for large objects (CopyObject stops at 5 GB);
                # the final key still appears only when the copy completes.
                self._client.copy({"Bucket": self.bucket, "Key": tmp}, self.bucket, final)
            finally:
                self._client.delete_object(Bucket=self.bucket, Key=tmp)

    def put_bytes(self, key: str, data: bytes) -> None:
        self._client.put_object(Bucket=self.bucket, Key=self._object_key(key), Body=data)

    def open_reader(self, key: str) -> BinaryIO:
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=self._object_key(key))
        except ClientError as exc:
            if _is_missing(exc):
                raise BlobNotFoundError(key) from None
            raise
        return cast(BinaryIO, response["Body"])

    def _head(self, key: str) -> dict[str, Any] | None:
        try:
            head = self._client.head_object(Bucket=self.bucket, Key=self._object_key(key))
        except ClientError as exc:
            if _is_missing(exc):
                return None
            raise
        return cast(dict[str, Any], head)

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def size(self, key: str) -> int:
        head = self._head(key)
        if head is None:
            raise BlobNotFoundError(key)
        return int(head["ContentLength"])

    def delete(self, key: str) -> None:
        self._client.delete_object(Bucket=self.bucket, Key=self._object_key(key))

    def list(self, prefix: str = "") -> Iterator[str]:
        validate_prefix(prefix)
        tmp_area = f"{TMP_SEGMENT}/"
        paginator = self._client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
            for item in page.get("Contents", []):
                key = str(item["Key"])[len(self.prefix) :]
                if not key.startswith(tmp_area):
                    yield key

    def signed_url(self, key: str, expires_in: int, filename: str | None = None) -> str:
        if expires_in <= 0:
            raise ValueError("expires_in must be positive")
        params = {"Bucket": self.bucket, "Key": self._object_key(key)}
        if filename is not None:
            params["ResponseContentDisposition"] = attachment_disposition(filename)
        url = self._client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in)
        return str(url)


def _is_missing(exc: ClientError) -> bool:
    error = exc.response.get("Error", {})
    return error.get("Code") in ("404", "NoSuchKey", "NotFound")
