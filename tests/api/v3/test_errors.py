"""Every v3 failure is application/problem+json (api-reference.md §2.6), while v2 paths keep
the v2 envelope."""

from __future__ import annotations

import pytest

from lorebase.auth.tokens import revoke_token
from tests.api.v3.conftest import assert_problem, bearer, v3_get, v3_post


@pytest.mark.parametrize(
    ("headers", "error"),
    [
        ({}, "invalid_request"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "invalid_request"),
        ({"Authorization": "Bearer"}, "invalid_request"),
        ({"Authorization": "Bearer lb_not-a-token"}, "invalid_token"),
    ],
)
def test_missing_or_bad_token_is_401_with_a_bearer_challenge(project, headers, error):
    response = project.client.get("/v3/projects", headers=headers)
    assert_problem(response, 401, "unauthorized", "UNAUTHORIZED")
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith(f'Bearer error="{error}"')
    assert "error_description=" in challenge


def test_the_v2_api_token_header_is_not_a_v3_credential(project):
    response = project.client.get("/v3/projects", headers={"api_token": project.token})
    assert_problem(response, 401, "unauthorized", "UNAUTHORIZED")


def test_revoked_token_is_401(project):
    token = project.token_for("GET")
    assert v3_get(project, "/v3/projects", token).status_code == 200
    with project.session() as session:
        revoke_token(session, "test")
    response = v3_get(project, "/v3/projects", token)
    assert_problem(response, 401, "unauthorized", "UNAUTHORIZED")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_read_only_token_may_not_start_an_export_403(project):
    token = project.token_for("GET")
    body = {"project_version_id": project.workspace_id, "format": "json"}
    response = v3_post(project, f"/v3/projects/{project.project_id}/exports", token, json=body)
    problem = assert_problem(response, 403, "forbidden", "FORBIDDEN")
    assert "POST" in problem["detail"]


def test_unknown_v3_route_is_a_404_problem(project):
    response = v3_get(project, "/v3/nowhere")
    problem = assert_problem(response, 404, "not-found", "RESOURCE_NOT_FOUND")
    assert problem["instance"] == "/v3/nowhere"


def test_wrong_method_is_a_405_problem(project):
    response = project.client.delete("/v3/projects", headers=bearer(project.token))
    problem = assert_problem(response, 405, "method-not-allowed", "METHOD_NOT_ALLOWED")
    assert "DELETE" not in response.headers["Allow"] and "GET" in response.headers["Allow"]
    assert problem["instance"] == "/v3/projects"


def test_malformed_json_is_a_400_problem(project):
    response = v3_post(
        project,
        f"/v3/projects/{project.project_id}/exports",
        content=b'{"format": ',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 400 and "not valid JSON" in body["detail"]
    assert body["instance"] == f"/v3/projects/{project.project_id}/exports"


def test_oversize_body_is_a_400_problem(project):
    big = b'{"format": "' + b"x" * (project.settings.max_body_bytes + 1) + b'"}'
    response = v3_post(
        project,
        f"/v3/projects/{project.project_id}/exports",
        content=big,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


def test_v2_paths_keep_the_v2_envelope(project):
    response = project.client.get("/v2/ProjectVersions")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert response.json()["success"] is False
    assert "api_token" in response.json()["errors"][0]["description"]
    malformed = project.client.post(
        "/v2/Project/Export",
        content=b"{",
        headers={"api_token": project.token, "Content-Type": "application/json"},
    )
    assert malformed.status_code == 400 and malformed.json()["success"] is False


def test_openapi_documents_v3_shapes_and_problem_responses(project):
    document = project.client.get("/openapi.json").json()
    start = document["paths"]["/v3/projects/{project_id}/exports"]["post"]["responses"]
    assert "202" in start and "200" not in start
    assert set(start) >= {"401", "403", "404", "422", "429"}
    problem = start["422"]["content"]["application/problem+json"]["schema"]
    assert problem == {"$ref": "#/components/schemas/ProblemDetails"}
    schemas = document["components"]["schemas"]
    assert {"type", "title", "status", "errors"} <= set(schemas["ProblemDetails"]["properties"])
    versions = document["paths"]["/v3/projects/{project_id}/project-versions"]["get"]
    listed = versions["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert "pagination" in schemas[listed.rsplit("/", 1)[1]]["properties"]
    assert {p["name"] for p in versions["parameters"]} >= {
        "page",
        "page_size",
        "cursor",
        "include_total_count",
    }


@pytest.mark.parametrize("segment", ["exports", "imports", "project-versions"])
def test_an_id_holding_nul_is_not_found_on_every_engine(project, segment):
    response = v3_get(project, f"/v3/projects/{project.project_id}/{segment}/a%00b")
    assert_problem(response, 404, "not-found", "RESOURCE_NOT_FOUND")
