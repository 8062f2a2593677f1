"""Stores under test: a local folder, and S3 through a real moto server on 127.0.0.1."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto.server import ThreadedMotoServer

from lorebase.storage import LocalBlobStore
from lorebase.storage.base import BlobStore
from lorebase.storage.s3 import CLIENT_CONFIG, S3BlobStore

SECRET = b"test-secret-not-for-production"
BASE_URL = "http://lorebase.test"


@dataclass
class StoreCase:
    store: BlobStore
    # Every object physically present, staging area included: what a crash would leave behind.
    stored_objects: Callable[[], list[str]]


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_client(s3_endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=CLIENT_CONFIG.merge(Config(s3={"addressing_style": "path"})),
    )


@pytest.fixture
def local_case(tmp_path: Path) -> StoreCase:
    root = tmp_path / "blobs"
    store = LocalBlobStore(root, BASE_URL, SECRET)

    def stored_objects() -> list[str]:
        return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())

    return StoreCase(store, stored_objects)


@pytest.fixture
def s3_case(s3_client: Any) -> StoreCase:
    bucket = f"lorebase-{uuid.uuid4().hex[:12]}"
    s3_client.create_bucket(Bucket=bucket)
    store = S3BlobStore(bucket, "tenant-a", s3_client)

    def stored_objects() -> list[str]:
        pages = s3_client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    return StoreCase(store, stored_objects)


@pytest.fixture(params=["local", "s3"])
def case(request: pytest.FixtureRequest) -> StoreCase:
    result: StoreCase = request.getfixturevalue(f"{request.param}_case")
    return result
