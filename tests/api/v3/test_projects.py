"""GET /v3/projects and /v3/projects/{id}/project-versions[/{id}] with §2.6 pagination."""

from __future__ import annotations

from typing import Any

import pytest

from lorebase.kb import workspaces
from tests.api.v3.conftest import assert_problem, assert_success, v3_get


def add_workspaces(project: Any, count: int) -> list[str]:
    with project.session() as session:
        db_project = workspaces.find_project(session, project.project_id)
        first = workspaces.workspaces(session, project.project_id)[0]
        ids = []
        for number in range(count):
            copy = type(first)(
                project_id=db_project.id,
                version_code_name=f"v{number + 2}",
                slug=f"v{number + 2}",
                is_main_version=False,
                position=number + 1,
                version_type=1,
            )
            session.add(copy)
            session.flush()
            ids.append(copy.id)
        return ids


def versions_path(project: Any) -> str:
    return f"/v3/projects/{project.project_id}/project-versions"


def test_projects_lists_the_tokens_project_only(project):
    project.other_project()
    response = v3_get(project, "/v3/projects")
    data = assert_success(response)
    assert [p["id"] for p in data] == [project.project_id]
    assert data[0]["status"] == 0 and data[0]["name"]
    assert response.json()["pagination"] == {"page": 1, "page_size": 25, "has_more": False}


def test_one_project(project):
    data = assert_success(v3_get(project, f"/v3/projects/{project.project_id}"))
    assert data["id"] == project.project_id
    assert set(data) >= {"id", "name", "description", "created_at", "status"}


def test_another_projects_token_gets_404_for_this_project(project):
    other_token, other_workspace = project.other_project()
    for path in (
        f"/v3/projects/{project.project_id}",
        versions_path(project),
        f"{versions_path(project)}/{project.workspace_id}",
    ):
        assert_problem(v3_get(project, path, other_token), 404, "not-found", "RESOURCE_NOT_FOUND")
    # ...and this project's token cannot reach the other project's workspace either.
    response = v3_get(project, f"{versions_path(project)}/{other_workspace}")
    assert_problem(response, 404, "not-found", "RESOURCE_NOT_FOUND")


def test_project_versions_are_listed_in_order_with_their_type(project):
    add_workspaces(project, 1)
    data = assert_success(v3_get(project, versions_path(project)))
    assert [(v["name"], v["is_default"], v["version_type"]) for v in data] == [
        ("v1", True, "KnowledgeBase"),
        ("v2", False, "ApiDocumentation"),
    ]
    assert set(data[0]) == {
        "id",
        "name",
        "slug",
        "order",
        "is_default",
        "version_type",
        "created_at",
        "modified_at",
    }


def test_one_project_version_carries_its_default_language(project):
    data = assert_success(v3_get(project, f"{versions_path(project)}/{project.workspace_id}"))
    assert data["id"] == project.workspace_id
    assert data["language_code"] == "en" and data["enable_rtl"] is False


def test_unknown_project_version_is_404(project):
    response = v3_get(project, f"{versions_path(project)}/nope")
    body = assert_problem(response, 404, "not-found", "RESOURCE_NOT_FOUND")
    assert "nope" in body["detail"]


def test_pages_with_has_more_and_total_count(project):
    add_workspaces(project, 4)  # five in all
    first = v3_get(project, versions_path(project), params={"page_size": 2})
    assert [v["name"] for v in assert_success(first)] == ["v1", "v2"]
    paging = first.json()["pagination"]
    assert paging["page"] == 1 and paging["page_size"] == 2 and paging["has_more"] is True
    assert "total_count" not in paging and paging["next_cursor"]
    last = v3_get(
        project,
        versions_path(project),
        params={"page": 3, "page_size": 2, "include_total_count": "true"},
    )
    assert [v["name"] for v in assert_success(last)] == ["v5"]
    assert last.json()["pagination"] == {
        "page": 3,
        "page_size": 2,
        "has_more": False,
        "total_count": 5,
    }
    beyond = v3_get(project, versions_path(project), params={"page": 9})
    assert assert_success(beyond) == [] and beyond.json()["pagination"]["has_more"] is False


def test_cursor_walks_every_page_and_reports_page_zero(project):
    add_workspaces(project, 4)
    names: list[str] = []
    params: dict[str, Any] = {"page_size": 2}
    while True:
        response = v3_get(project, versions_path(project), params=params)
        names += [v["name"] for v in assert_success(response)]
        paging = response.json()["pagination"]
        if "cursor" in params:
            assert paging["page"] == 0
        if not paging["has_more"]:
            assert "next_cursor" not in paging
            break
        params = {"page_size": 2, "cursor": paging["next_cursor"], "page": 1}
    assert names == ["v1", "v2", "v3", "v4", "v5"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": 0}, "page"),
        ({"page": 70687473028509460254026629120}, "page"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": 101}, "page_size"),
        ({"page": "two"}, "page"),
        ({"include_total_count": "maybe"}, "include_total_count"),
    ],
)
def test_bad_paging_is_422_naming_the_field(project, params, field):
    response = v3_get(project, versions_path(project), params=params)
    body = assert_problem(response, 422, "validation-error", "VALIDATION_ERROR")
    assert body["errors"][0]["field"] == field


def test_a_cursor_not_issued_by_the_api_is_422(project):
    response = v3_get(project, versions_path(project), params={"cursor": "garbage!"})
    body = assert_problem(response, 422, "validation-error", "VALIDATION_ERROR")
    assert "cursor" in body["detail"]
