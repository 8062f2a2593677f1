"""POST/GET /v2/Project/Export and /v2/Project/Import, with the jobs run by a real worker loop
on the same database and blob store (api-reference.md §2.1-2.4)."""

from __future__ import annotations

import io
import json
import threading
import zipfile
from datetime import timedelta
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from lorebase.db.models import Article, Job, ProjectVersion
from lorebase.jobs.queue import claim_next_job
from lorebase.jobs.worker import registered_kinds, run_job
from tests.conformance.official import assert_conforms
from tests.exchange.test_jsonzip_writer import build_kb

EXPORT = "/v2/Project/Export"
IMPORT = "/v2/Project/Import"


def drain(project: Any) -> int:
    """Run every queued job to its end, as a worker would; returns how many ran."""
    runtime = project.client.app.state.runtime
    ran = 0
    while True:
        job = claim_next_job(
            runtime.session_factory, "test-worker", registered_kinds(), timedelta(seconds=60)
        )
        if job is None:
            return ran
        run_job(
            runtime.session_factory,
            "test-worker",
            job,
            lease=timedelta(seconds=60),
            runtime=runtime,
        )
        ran += 1


def start_export(project: Any, body: dict[str, Any]) -> str:
    response = project.post(EXPORT, json=body)
    assert response.status_code == 200, response.text
    assert_conforms(response, "POST", EXPORT)
    payload = response.json()
    assert payload["status"] == "Initiated"
    return str(payload["id"])


def export_status(project: Any, export_id: str) -> dict[str, Any]:
    response = project.get(f"{EXPORT}/{export_id}")
    assert response.status_code == 200, response.text
    assert_conforms(response, "GET", "/v2/Project/Export/{exportId}")
    payload: dict[str, Any] = response.json()
    return payload


def download(project: Any, url: str) -> zipfile.ZipFile:
    parts = urlsplit(url)
    response = project.client.get(f"{parts.path}?{parts.query}")
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["content-disposition"]
    return zipfile.ZipFile(io.BytesIO(response.content))


def exported(project: Any, body: dict[str, Any]) -> zipfile.ZipFile:
    export_id = start_export(project, body)
    assert export_status(project, export_id)["status"] == "Initiated"
    assert drain(project) == 1
    status = export_status(project, export_id)
    assert status["status"] == "Completed", status
    return download(project, status["download_url"])


def index_of(archive: zipfile.ZipFile) -> dict[str, Any]:
    name = next(n for n in archive.namelist() if n.endswith("_categories_articles.json"))
    data: dict[str, Any] = json.loads(archive.read(name))
    return data


def titles(index: dict[str, Any]) -> list[str]:
    out: list[str] = []

    def walk(nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            out.append(node["Title"])
            walk(node["SubCategories"])

    walk(index["Categories"])
    return out


# --------------------------------------------------------------------------- export


def test_project_export_runs_as_a_job_and_downloads_through_a_signed_url(project):
    build_kb(project)
    archive = exported(
        project, {"entity": "Project", "version_id": [], "exclude_media_files": True}
    )
    assert titles(index_of(archive)) == ["Guides", "Advanced", "Welcome"]
    assert "lorebase-manifest.json" in archive.namelist()


def test_version_export_with_camel_and_pascal_case_keys(project):
    build_kb(project)
    body = {"Entity": "Version", "versionId": [project.workspace_id], "excludeMediaFiles": True}
    archive = exported(project, body)
    assert len(titles(index_of(archive))) == 3


def test_category_export_in_both_documented_forms(project):
    ids = build_kb(project)
    selected = [{"id": ids["advanced"], "language_id": None, "version_id": project.workspace_id}]
    for entity in ("Category", "Version"):
        archive = exported(project, {"entity": entity, "selected_categories": selected})
        assert titles(index_of(archive)) == ["Advanced"]


def test_language_selection_and_modified_window(project):
    build_kb(project)
    body = {
        "entity": "Project",
        "SelectedLanguages": [{"Code": "fr", "Id": None, "VersionId": project.workspace_id}],
        "FilterByArticleModifiedAt": {"After": "2000-01-01T00:00:00Z", "Before": None},
    }
    archive = exported(project, body)
    assert index_of(archive)["Languages"] == ["fr"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "The Entity field is required."),
        ({"entity": "Everything"}, "The Entity field is required."),
        ({"entity": "Version", "version_id": []}, "VersionId field is required"),
        ({"entity": "Version", "version_id": ["nope"]}, "does not exist in your project"),
        ({"entity": "Category"}, "SelectedCategories field is required"),
        ({"entity": "Category", "selected_categories": [{"id": "nope"}]}, "Unable to find"),
        ({"entity": "Project", "selected_languages": [{"id": None}]}, "LanguageCode"),
        ({"entity": "Project", "selected_languages": [{"code": "xx"}]}, "'xx' is not enabled"),
        ({"entity": "Project", "export_type": 7}, "export_type 7"),
        (
            {
                "entity": "Project",
                "filter_by_article_modified_at": {"after": "2030-01-01", "before": "2020-01-01"},
            },
            "'after' must not be later",
        ),
    ],
)
def test_export_request_errors_are_400_envelopes(project, body, message):
    response = project.post(EXPORT, json=body)
    assert response.status_code == 400, response.text
    assert_conforms(response, "POST", EXPORT)
    assert message in response.json()["errors"][0]["description"]
    with project.session() as session:
        assert session.scalar(select(func.count()).select_from(Job)) == 0


def test_daily_export_quota_uses_documenteds_text(project):
    start_export(project, {"entity": "Project"})
    start_export(project, {"entity": "Project"})
    response = project.post(EXPORT, json={"entity": "Project"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["description"] == (
        "Export API request limit(2) is reached for the day."
    )


def test_unknown_or_foreign_export_id_is_invalid(project):
    response = project.get(f"{EXPORT}/not-a-job")
    assert response.status_code == 400
    assert_conforms(response, "GET", "/v2/Project/Export/{exportId}")
    assert response.json()["errors"][0]["description"] == "Invalid export id"
    export_id = start_export(project, {"entity": "Project"})
    token, _ = project.other_project()
    foreign = project.client.get(f"{EXPORT}/{export_id}", headers={"api_token": token})
    assert foreign.status_code == 400


def test_signed_download_url_refuses_tampering(project):
    export_id = start_export(project, {"entity": "Project"})
    drain(project)
    url = export_status(project, export_id)["download_url"]
    parts = urlsplit(url)
    tampered = project.client.get(
        f"{parts.path}?{parts.query.replace('signature=', 'signature=0')}"
    )
    assert tampered.status_code == 403
    assert tampered.json()["success"] is False


# --------------------------------------------------------------------------- import


def upload(project: Any, data: bytes, **fields: str) -> Any:
    form = {"import_by": project.owner_id, "publish_article": "true", **fields}
    return project.post(IMPORT, files={"file": ("export.zip", data, "application/zip")}, data=form)


def import_status(project: Any, import_id: str) -> dict[str, Any]:
    response = project.get(f"{IMPORT}/{import_id}")
    assert response.status_code == 200, response.text
    assert_conforms(response, "GET", "/v2/Project/Import/{importId}")
    payload: dict[str, Any] = response.json()
    return payload


def test_uploaded_export_imports_into_another_project(project):
    build_kb(project)
    data = exported(project, {"entity": "Project"})
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w") as copy:
        for name in data.namelist():
            copy.writestr(name, data.read(name))
    token, workspace_id = project.other_project()
    with project.session() as session:
        from lorebase.kb import workspaces

        workspaces.add_language(session, workspace_id, "fr")
        owner = workspaces.create_user(
            session, _project_of(session, workspace_id), email="o@x.io", first_name="O"
        )
        owner_id = owner.id
    response = project.client.post(
        IMPORT,
        headers={"api_token": token},
        files={"file": ("export.zip", raw.getvalue(), "application/zip")},
        data={"import_by": owner_id, "publish_article": "false"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "Queued"
    import_id = response.json()["id"]
    assert drain(project) == 2  # the import, then the page_bodies job it queues
    status = project.client.get(f"{IMPORT}/{import_id}", headers={"api_token": token}).json()
    assert status["status"] == "Completed", status
    log = status["import_documentation_log"]
    assert (log["new_versions"], log["categories"], log["articles"], log["languages"]) == (
        0,
        3,
        2,
        "2",
    )
    with project.session() as session:
        count = session.scalar(
            select(func.count())
            .select_from(Article)
            .where(Article.project_version_id == workspace_id)
        )
    assert count == 2


def _project_of(session: Any, workspace_id: str) -> str:
    return str(session.get(ProjectVersion, workspace_id).project_id)


BAD_ZIPS = {
    "not a zip": b"PK\x03\x04 but not really a zip file at all",
    "no index": None,
}


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04 truncated", "not a readable ZIP"),
        (_zip({"readme.txt": b"hello"}), "No index file found"),
        (_zip({"../evil/v1_categories_articles.json": b"{}"}), "evil"),
        (_zip({"v1/v1_categories_articles.json": b"{not json"}), "not valid JSON"),
        (
            _zip(
                {
                    "v1/v1_categories_articles.json": json.dumps(
                        {"Slug": "v1", "Languages": ["de"], "Categories": []}
                    ).encode()
                }
            ),
            "'de'",
        ),
    ],
)
def test_bad_archives_end_in_error_with_the_reason_and_nothing_written(project, data, message):
    response = upload(project, data)
    assert response.status_code == 200, response.text
    assert_conforms(response, "POST", IMPORT)
    import_id = response.json()["id"]
    drain(project)
    status = import_status(project, import_id)
    assert status["status"] == "Error"
    errors = [m for m in status["import_documentation_log"]["messages"] if m["message_type"] == 0]
    assert errors and message in errors[-1]["message"], errors
    with project.session() as session:
        assert session.scalar(select(func.count()).select_from(Article)) == 0
    blobs = project.client.app.state.runtime.blobs
    assert list(blobs.list("imports/")) == []  # the upload is gone too


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"source_documentation_url": "https://example.com/a.zip"}, "ImportBy argument"),
        ({"source_documentation_url": "https://example.com/a.zip", "import_by": "x"}, "authorized"),
        ({"import_by": "{owner}"}, "SourceDocumentationUrl field is required"),
        ({"source_documentation_url": "https://example.com/a.pdf", "import_by": "{owner}"}, ".zip"),
        ({"source_documentation_url": "ftp://example.com/a.zip", "import_by": "{owner}"}, "http"),
        ({"source_documentation_url": "http://127.0.0.1/a.zip", "import_by": "{owner}"}, "private"),
        ({"source_documentation_url": "http://[::1]:80/a.zip", "import_by": "{owner}"}, "private"),
        ({"source_documentation_url": "http://169.254.169.254/a.zip", "import_by": "{owner}"}, ""),
        ({"source_documentation_url": 5, "import_by": "{owner}"}, "not valid"),
    ],
)
def test_import_request_errors_are_400_envelopes(project, body, message):
    body = {k: (project.owner_id if v == "{owner}" else v) for k, v in body.items()}
    response = project.post(IMPORT, json=body)
    assert response.status_code == 400, response.text
    assert_conforms(response, "POST", IMPORT)
    assert message in response.json()["errors"][0]["description"]


def test_upload_that_is_not_a_zip_is_refused_at_once(project):
    response = upload(project, b"%PDF-1.7 not a zip")
    assert response.status_code == 400
    assert "not a ZIP" in response.json()["errors"][0]["description"]


def test_unknown_import_id_is_invalid(project):
    response = project.get(f"{IMPORT}/nope")
    assert response.status_code == 400
    assert_conforms(response, "GET", "/v2/Project/Import/{importId}")
    assert response.json()["errors"][0]["description"] == "Invalid import id"


@pytest.fixture
def zip_server(tmp_path: Path):
    handler = partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_import_from_url_when_private_addresses_are_allowed(project, zip_server):
    folder, base = zip_server
    build_kb(project)
    source = exported(project, {"entity": "Project"})
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w") as copy:
        for name in source.namelist():
            copy.writestr(name, source.read(name))
    (folder / "kb.zip").write_bytes(raw.getvalue())
    project.client.app.state.runtime.settings.import_allow_private_urls = True
    body = {
        "source_documentation_url": f"{base}/kb.zip",
        "publish_article": True,
        "import_by": project.owner_id,
    }
    response = project.post(IMPORT, json=body)
    assert response.status_code == 200, response.text
    assert_conforms(response, "POST", IMPORT)
    drain(project)
    status = import_status(project, response.json()["id"])
    assert status["status"] == "Completed", status
    assert status["import_documentation_log"]["articles"] == 2


def test_old_export_zips_are_deleted_when_the_next_export_completes(project):
    first = start_export(project, {"entity": "Project"})
    drain(project)
    with project.session() as session:
        job = session.get(Job, first)
        job.finished_at = job.finished_at - timedelta(days=8)
    second = start_export(project, {"entity": "Project"})
    drain(project)
    blobs = project.client.app.state.runtime.blobs
    assert list(blobs.list("exports/")) == [f"exports/{project.project_id}/{second}.zip"]
    assert export_status(project, first) | {"download_url": None} == export_status(project, first)
    assert export_status(project, first)["status"] == "Completed"
    assert export_status(project, second)["download_url"]
