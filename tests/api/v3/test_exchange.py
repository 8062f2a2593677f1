"""POST/GET /v3/projects/{id}/exports and /imports: 202 + Operation-Location, then poll;
the jobs run by the same worker loop as v2's (api-reference.md §2.5)."""

from __future__ import annotations

import io
import zipfile
from typing import Any
from urllib.parse import urlsplit

import pytest

from lorebase.db.models import Job
from lorebase.exchange.formats import supported_formats
from tests.api.v2.test_project_exchange import drain, zip_server  # noqa: F401
from tests.api.v3.conftest import assert_problem, assert_success, v3_get, v3_post
from tests.exchange.test_jsonzip_writer import build_kb


def exports_path(project: Any) -> str:
    return f"/v3/projects/{project.project_id}/exports"


def imports_path(project: Any) -> str:
    return f"/v3/projects/{project.project_id}/imports"


def start_export(project: Any, **body: Any) -> tuple[str, str]:
    """(export id, Operation-Location) of a started export."""
    body = {"project_version_id": project.workspace_id, "format": "json", **body}
    response = v3_post(project, exports_path(project), json=body)
    data = assert_success(response, 202)
    assert data == {
        "id": data["id"],
        "status": "Pending",
        "download_url": None,
        "completed_at": None,
    }
    return data["id"], response.headers["Operation-Location"]


def poll(project: Any, location: str) -> dict[str, Any]:
    data: dict[str, Any] = assert_success(v3_get(project, urlsplit(location).path))
    return data


def download(project: Any, url: str) -> zipfile.ZipFile:
    parts = urlsplit(url)
    response = project.client.get(f"{parts.path}?{parts.query}")
    assert response.status_code == 200, response.text
    return zipfile.ZipFile(io.BytesIO(response.content))


def test_export_end_to_end(project):
    build_kb(project)
    export_id, location = start_export(project)
    assert urlsplit(location).path == f"{exports_path(project)}/{export_id}"
    assert poll(project, location)["status"] == "Pending"
    assert drain(project) == 1
    done = poll(project, location)
    assert done["id"] == export_id and done["status"] == "Completed"
    assert done["completed_at"] and done["download_url"]
    archive = download(project, done["download_url"])
    assert any(name.endswith(".json") for name in archive.namelist())


def test_export_of_one_language_stores_the_language_and_workspace(project):
    project.add_language("fr")
    export_id, _ = start_export(project, lang_code="FR")
    with project.session() as session:
        params = session.get(Job, export_id).params
    assert params["entity"] == "Version"
    assert params["workspace_ids"] == [project.workspace_id]
    assert params["languages"] == ["fr"] and params["format"] == "json"


def test_export_accepts_the_v3_1_workspace_id_name(project):
    body = {"workspace_id": project.workspace_id, "format": "json"}
    assert_success(v3_post(project, exports_path(project), json=body), 202)


def test_failed_export_is_reported_as_failed(project):
    export_id, location = start_export(project)
    with project.session() as session:
        job = session.get(Job, export_id)
        job.params = {**job.params, "format": "no-such-writer"}
    drain(project)
    assert poll(project, location)["status"] == "Failed"


def test_unknown_format_is_422_listing_the_supported_ones(project):
    body = {"project_version_id": project.workspace_id, "format": "docx"}
    response = v3_post(project, exports_path(project), json=body)
    problem = assert_problem(response, 422, "validation-error", "VALIDATION_ERROR")
    assert problem["errors"][0]["field"] == "format"
    for name in supported_formats():
        assert name in problem["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"format": "json"}, "project_version_id"),
        ({"project_version_id": "", "format": "json"}, "project_version_id"),
        ({"project_version_id": "{ws}"}, "format"),
        ({"project_version_id": "nope", "format": "json"}, "project_version_id"),
        ({"project_version_id": "{ws}", "format": "json", "lang_code": "de"}, "lang_code"),
        ({"project_version_id": "{ws}", "format": "json", "colour": "red"}, "colour"),
    ],
)
def test_bad_export_request_is_422_naming_the_field(project, body, field):
    body = {k: (project.workspace_id if v == "{ws}" else v) for k, v in body.items()}
    response = v3_post(project, exports_path(project), json=body)
    problem = assert_problem(response, 422, "validation-error", "VALIDATION_ERROR")
    assert problem["errors"][0]["field"] == field


def test_export_of_another_projects_workspace_is_refused(project):
    _, other_workspace = project.other_project()
    body = {"project_version_id": other_workspace, "format": "json"}
    response = v3_post(project, exports_path(project), json=body)
    assert_problem(response, 422, "validation-error", "VALIDATION_ERROR")


def test_unknown_or_foreign_export_id_is_404(project):
    export_id, _ = start_export(project)
    other_token, _ = project.other_project()
    assert_problem(
        v3_get(project, f"{exports_path(project)}/nope"), 404, "not-found", "RESOURCE_NOT_FOUND"
    )
    foreign = v3_get(project, f"{exports_path(project)}/{export_id}", other_token)
    assert_problem(foreign, 404, "not-found", "RESOURCE_NOT_FOUND")


def test_a_token_of_another_project_cannot_start_an_export_here(project):
    other_token, other_workspace = project.other_project()
    body = {"project_version_id": other_workspace, "format": "json"}
    response = v3_post(project, exports_path(project), other_token, json=body)
    assert_problem(response, 404, "not-found", "RESOURCE_NOT_FOUND")


def test_import_end_to_end(project, zip_server):  # noqa: F811
    folder, base = zip_server
    build_kb(project)
    _, location = start_export(project)
    drain(project)
    source = download(project, poll(project, location)["download_url"])
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
    response = v3_post(project, imports_path(project), json=body)
    data = assert_success(response, 202)
    assert data == {"id": data["id"], "status": "Pending", "completed_at": None}
    location = response.headers["Operation-Location"]
    assert urlsplit(location).path == f"{imports_path(project)}/{data['id']}"
    assert drain(project) == 2  # the import, then the page_bodies job it queues
    done = poll(project, location)
    assert done["status"] == "Completed" and done["completed_at"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"source_documentation_url": "https://example.com/a.zip"}, "import_by"),
        ({"import_by": "{owner}"}, "source_documentation_url"),
        (
            {"source_documentation_url": "ftp://example.com/a.zip", "import_by": "{owner}"},
            "source_documentation_url",
        ),
        (
            {"source_documentation_url": "http://127.0.0.1/a.zip", "import_by": "{owner}"},
            "source_documentation_url",
        ),
    ],
)
def test_bad_import_request_is_422_naming_the_field(project, body, field):
    body = {k: (project.owner_id if v == "{owner}" else v) for k, v in body.items()}
    response = v3_post(project, imports_path(project), json=body)
    problem = assert_problem(response, 422, "validation-error", "VALIDATION_ERROR")
    assert problem["errors"][0]["field"] == field


def test_import_by_an_unknown_user_is_refused(project):
    body = {"source_documentation_url": "https://example.com/a.zip", "import_by": "nobody"}
    response = v3_post(project, imports_path(project), json=body)
    problem = assert_problem(response, 422, "validation-error", "VALIDATION_ERROR")
    assert "not authorized" in problem["detail"]


def test_unknown_or_foreign_import_id_is_404(project):
    response = v3_get(project, f"{imports_path(project)}/nope")
    assert_problem(response, 404, "not-found", "RESOURCE_NOT_FOUND")
    other_token, _ = project.other_project()
    response = v3_get(project, f"{imports_path(project)}/nope", other_token)
    assert_problem(response, 404, "not-found", "RESOURCE_NOT_FOUND")


def test_daily_export_quota_is_a_429_with_rate_limit_headers(project):
    project.client.app.state.runtime.settings.export_daily_limit = 1
    start_export(project)
    body = {"project_version_id": project.workspace_id, "format": "json"}
    response = v3_post(project, exports_path(project), json=body)
    problem = assert_problem(response, 429, "too-many-requests", "TOO_MANY_REQUESTS")
    assert "limit(1)" in problem["detail"]
    assert 0 < int(response.headers["Retry-After"]) <= 86400
    assert response.headers["X-RateLimit-Limit"] == "1"
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert int(response.headers["X-RateLimit-Reset"]) % 86400 == 0
