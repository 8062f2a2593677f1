"""Export and import with the S3 blob store (a real moto server on 127.0.0.1): the artifact is
published under its key and handed out as a presigned S3 URL."""

from __future__ import annotations

import io
import uuid
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from lorebase.settings import Settings
from lorebase.storage.s3 import S3BlobStore
from tests.api.v2.test_project_exchange import drain, export_status, start_export
from tests.exchange.test_jsonzip_writer import build_kb
from tests.storage.conftest import s3_client, s3_endpoint  # noqa: F401  (fixtures)


@pytest.fixture
def settings(
    database_url: str,
    tmp_path: Path,
    s3_client: Any,  # noqa: F811  (the imported fixture, requested by name)
    s3_endpoint: str,  # noqa: F811
    monkeypatch: Any,
) -> Settings:
    bucket = f"lorebase-{uuid.uuid4().hex[:12]}"
    s3_client.create_bucket(Bucket=bucket)
    monkeypatch.setenv("LOREBASE_S3_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        workers=0,
        storage_url=f"s3://{bucket}/kb",
    )


def test_export_to_s3_gives_a_presigned_url_and_imports_back(project):
    assert isinstance(project.client.app.state.runtime.blobs, S3BlobStore)
    build_kb(project)
    export_id = start_export(project, {"entity": "Project"})
    drain(project)
    status = export_status(project, export_id)
    assert status["status"] == "Completed", status
    url = status["download_url"]
    assert "X-Amz-Signature=" in url or "Signature=" in url
    response = httpx.get(url)
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None
    blobs = project.client.app.state.runtime.blobs
    assert list(blobs.list("exports/")) == [f"exports/{project.project_id}/{export_id}.zip"]

    # The same bytes come back in (merged into the same workspace) through an S3 upload.
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w") as copy:
        for name in archive.namelist():
            copy.writestr(name, archive.read(name))
    response = project.post(
        "/v2/Project/Import",
        files={"file": ("kb.zip", raw.getvalue(), "application/zip")},
        data={"import_by": project.owner_id},
    )
    assert response.status_code == 200, response.text
    drain(project)
    done = project.get(f"/v2/Project/Import/{response.json()['id']}").json()
    assert done["status"] == "Completed", done
    assert list(blobs.list("imports/")) == []
