"""Who may call what: the api_token header, revocation, expiry, allowed methods, projects."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from lorebase.auth.tokens import issue_token, revoke_token
from lorebase.db.models import ApiToken, utcnow
from tests.conformance.official import assert_conforms

TREE = "/v2/ProjectVersions/{projectVersionId}/categories"


def _as(project: Any, token: str | None, method: str, path: str, **kw: Any) -> Any:
    headers = {"api_token": token} if token is not None else {}
    return project.client.request(method, path, headers=headers, **kw)


def _assert_refused(response: Any, status: int, method: str, template: str) -> str:
    """A v2 envelope with success false (never FastAPI's {"detail": ...}); returns the text."""
    assert response.status_code == status, response.text
    assert_conforms(response, method, template)
    body = response.json()
    assert "detail" not in body
    assert body["success"] is False
    assert body["errors"][0]["error_code"] == str(status)
    description: str = body["errors"][0]["description"]
    return description


def _category(project: Any, name: str = "Guides") -> str:
    created = project.post(
        "/v2/Categories", json={"name": name, "project_version_id": project.workspace_id}
    )
    assert_conforms(created, "POST", "/v2/Categories")
    category_id: str = created.json()["data"]["id"]
    return category_id


def _article(project: Any, category_id: str, title: str = "Install") -> str:
    created = project.post(
        "/v2/Articles",
        json={
            "title": title,
            "content": "Body text",
            "category_id": category_id,
            "project_version_id": project.workspace_id,
            "user_id": project.owner_id,
        },
    )
    assert_conforms(created, "POST", "/v2/Articles")
    article_id: str = created.json()["data"]["id"]
    return article_id


def _tree(project: Any) -> Any:
    response = project.get(f"/v2/ProjectVersions/{project.workspace_id}/categories")
    assert_conforms(response, "GET", TREE)
    return response.json()["data"]


def _issue(project: Any, **kw: Any) -> tuple[str, str]:
    """A fresh token of this project: (token id, secret)."""
    with project.session() as session:
        issued = issue_token(session, project.project_id, "scripted", **kw)
        return issued.token.id, issued.secret


# --- missing, unknown, revoked, expired -----------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "template"),
    [
        ("GET", "/v2/ProjectVersions", "/v2/ProjectVersions"),
        ("GET", "/v2/Teams", "/v2/Teams"),
        ("POST", "/v2/Categories", "/v2/Categories"),
        ("DELETE", "/v2/Articles/some-id", "/v2/Articles/{articleId}"),
    ],
)
def test_a_request_without_a_token_is_refused_with_401(project, method, path, template):
    response = _as(project, None, method, path)
    description = _assert_refused(response, 401, method, template)
    assert "api_token" in description


def test_an_empty_token_header_counts_as_missing(project):
    response = _as(project, "", "GET", "/v2/ProjectVersions")
    assert "missing" in _assert_refused(response, 401, "GET", "/v2/ProjectVersions")


def test_an_unknown_token_is_refused_with_401(project):
    response = _as(project, "lb_not-a-token-we-issued", "GET", "/v2/ProjectVersions")
    description = _assert_refused(response, 401, "GET", "/v2/ProjectVersions")
    assert "invalid" in description


def test_a_token_that_differs_only_in_case_is_unknown(project):
    response = _as(project, project.token.swapcase(), "GET", "/v2/ProjectVersions")
    _assert_refused(response, 401, "GET", "/v2/ProjectVersions")


def test_a_revoked_token_is_refused_on_the_next_request(project):
    token_id, secret = _issue(project)
    before = _as(project, secret, "GET", "/v2/ProjectVersions")
    assert before.status_code == 200
    assert_conforms(before, "GET", "/v2/ProjectVersions")

    with project.session() as session:
        revoke_token(session, token_id)

    after = _as(project, secret, "GET", "/v2/ProjectVersions")
    assert "revoked" in _assert_refused(after, 401, "GET", "/v2/ProjectVersions")
    # Revoking one token leaves the others working.
    assert project.get("/v2/ProjectVersions").status_code == 200


def test_a_revoked_token_cannot_write_either(project):
    token_id, secret = _issue(project)
    with project.session() as session:
        revoke_token(session, token_id)
    response = _as(
        project,
        secret,
        "POST",
        "/v2/Categories",
        json={"name": "Sneaky", "project_version_id": project.workspace_id},
    )
    _assert_refused(response, 401, "POST", "/v2/Categories")
    assert _tree(project) == []


def test_an_expired_token_is_refused_with_401(project):
    _, secret = _issue(project, expires_at=utcnow() - timedelta(seconds=1))
    response = _as(project, secret, "GET", "/v2/ProjectVersions")
    assert "expired" in _assert_refused(response, 401, "GET", "/v2/ProjectVersions")


def test_a_token_that_expires_later_still_works(project):
    _, secret = _issue(project, expires_at=utcnow() + timedelta(days=1))
    response = _as(project, secret, "GET", "/v2/ProjectVersions")
    assert response.status_code == 200
    assert_conforms(response, "GET", "/v2/ProjectVersions")


# --- header spellings ---------------------------------------------------------------------------


@pytest.mark.parametrize("header", ["api_token", "api-token", "API_TOKEN", "Api-Token"])
def test_the_token_is_read_from_either_header_spelling(project, header):
    response = project.client.get("/v2/ProjectVersions", headers={header: project.token})
    assert response.status_code == 200, response.text
    assert_conforms(response, "GET", "/v2/ProjectVersions")
    assert response.json()["data"][0]["id"] == project.workspace_id


def test_the_dash_spelling_can_write(project):
    response = project.client.post(
        "/v2/Categories",
        headers={"api-token": project.token},
        json={"name": "Dashed", "project_version_id": project.workspace_id},
    )
    assert response.status_code == 200, response.text
    assert_conforms(response, "POST", "/v2/Categories")
    assert [c["name"] for c in _tree(project)] == ["Dashed"]


# --- allowed methods ------------------------------------------------------------------------


def test_a_get_only_token_reads(project):
    category_id = _category(project)
    reader = project.token_for("GET")
    listed = _as(project, reader, "GET", "/v2/ProjectVersions")
    assert listed.status_code == 200
    assert_conforms(listed, "GET", "/v2/ProjectVersions")
    one = _as(project, reader, "GET", f"/v2/Categories/{category_id}")
    assert one.status_code == 200
    assert_conforms(one, "GET", "/v2/Categories/{categoryId}")
    assert one.json()["data"]["name"] == "Guides"


def test_a_get_only_token_is_refused_every_write_with_403_and_nothing_changes(project):
    category_id = _category(project)
    article_id = _article(project, category_id)
    before = _tree(project)
    reader = project.token_for("GET")
    attempts = [
        (
            "POST",
            "/v2/Categories",
            "/v2/Categories",
            {"json": {"name": "New", "project_version_id": project.workspace_id}},
        ),
        (
            "PUT",
            f"/v2/Categories/{category_id}",
            "/v2/Categories/{categoryId}",
            {"json": {"name": "Renamed"}},
        ),
        ("DELETE", f"/v2/Categories/{category_id}", "/v2/Categories/{categoryId}", {}),
        (
            "PUT",
            f"/v2/Articles/{article_id}/en",
            "/v2/Articles/{articleId}/{langCode}",
            {"json": {"title": "Renamed"}},
        ),
        ("DELETE", f"/v2/Articles/{article_id}", "/v2/Articles/{articleId}", {}),
        (
            "POST",
            f"/v2/Articles/{article_id}/en/publish",
            "/v2/Articles/{articleId}/{langCode}/publish",
            {"json": {"user_id": project.owner_id, "version_number": 1}},
        ),
    ]
    for method, path, template, kw in attempts:
        response = _as(project, reader, method, path, **kw)
        description = _assert_refused(response, 403, method, template)
        assert method in description and "GET" in description
    assert _tree(project) == before


def test_a_post_only_token_may_create_but_not_read(project):
    writer = project.token_for("POST")
    created = _as(
        project,
        writer,
        "POST",
        "/v2/Categories",
        json={"name": "Write-only", "project_version_id": project.workspace_id},
    )
    assert created.status_code == 200
    assert_conforms(created, "POST", "/v2/Categories")
    listed = _as(project, writer, "GET", "/v2/ProjectVersions")
    _assert_refused(listed, 403, "GET", "/v2/ProjectVersions")


def test_the_method_check_applies_to_extension_routes_too(project):
    reader = project.token_for("GET")
    response = _as(
        project,
        reader,
        "POST",
        "/v2/Variables",
        json={"project_version_id": project.workspace_id, "name": "product", "value": "Lore"},
    )
    assert response.status_code == 403
    body = response.json()
    assert body["success"] is False and "detail" not in body
    listed = project.get("/v2/Variables", params={"projectVersionId": project.workspace_id})
    assert listed.json()["data"] == []


# --- another project's token -------------------------------------------------------------------


def test_another_projects_token_lists_only_its_own_workspaces(project):
    _category(project)
    other_token, other_workspace = project.other_project()
    response = _as(project, other_token, "GET", "/v2/ProjectVersions")
    assert response.status_code == 200
    assert_conforms(response, "GET", "/v2/ProjectVersions")
    assert [w["id"] for w in response.json()["data"]] == [other_workspace]
    assert project.workspace_id not in response.text


def test_another_projects_token_gets_404_for_this_projects_ids(project):
    category_id = _category(project)
    article_id = _article(project, category_id)
    before = _tree(project)
    other, _ = project.other_project()
    ws = project.workspace_id
    attempts = [
        ("GET", f"/v2/ProjectVersions/{ws}/categories", TREE, {}),
        (
            "GET",
            f"/v2/ProjectVersions/{ws}/articles",
            "/v2/ProjectVersions/{projectVersionId}/articles",
            {},
        ),
        (
            "GET",
            f"/v2/ProjectVersions/{ws}/en",
            "/v2/ProjectVersions/{projectVersionId}/{langCode}",
            {"params": {"searchQuery": "Install"}},
        ),
        ("GET", f"/v2/Language/{ws}", "/v2/Language/{projectVersionId}", {}),
        ("GET", f"/v2/Categories/{category_id}", "/v2/Categories/{categoryId}", {}),
        (
            "PUT",
            f"/v2/Categories/{category_id}",
            "/v2/Categories/{categoryId}",
            {"json": {"name": "Mine"}},
        ),
        ("DELETE", f"/v2/Categories/{category_id}", "/v2/Categories/{categoryId}", {}),
        (
            "GET",
            f"/v2/Categories/{category_id}/en/settings",
            "/v2/Categories/{categoryId}/{langCode}/settings",
            {},
        ),
        ("GET", f"/v2/Articles/{article_id}/en", "/v2/Articles/{articleId}/{langCode}", {}),
        (
            "PUT",
            f"/v2/Articles/{article_id}/en",
            "/v2/Articles/{articleId}/{langCode}",
            {"json": {"title": "Mine"}},
        ),
        (
            "GET",
            f"/v2/Articles/{article_id}/en/versions",
            "/v2/Articles/{articleId}/{langCode}/versions",
            {},
        ),
        ("DELETE", f"/v2/Articles/{article_id}", "/v2/Articles/{articleId}", {}),
        ("GET", f"/v2/Teams/{project.owner_id}", "/v2/Teams/{userId}", {}),
    ]
    for method, path, template, kw in attempts:
        response = _as(project, other, method, path, **kw)
        _assert_refused(response, 404, method, template)
        # The refusal must not leak what it refused.
        assert "Guides" not in response.text and "Install" not in response.text
    assert _tree(project) == before


def test_another_projects_token_cannot_create_in_this_projects_workspace(project):
    other, _ = project.other_project()
    response = _as(
        project,
        other,
        "POST",
        "/v2/Categories",
        json={"name": "Intruder", "project_version_id": project.workspace_id},
    )
    description = _assert_refused(response, 400, "POST", "/v2/Categories")
    assert "does not exist in your project" in description
    assert _tree(project) == []


def test_another_projects_team_list_does_not_include_this_projects_people(project):
    project.add_user("writer@example.com", "Wanda")
    other, _ = project.other_project()
    response = _as(project, other, "GET", "/v2/Teams")
    assert_conforms(response, "GET", "/v2/Teams")
    assert "writer@example.com" not in response.text
    assert project.owner_id not in response.text


# --- bookkeeping --------------------------------------------------------------------------------


def test_a_successful_request_records_last_used_at(project):
    token_id, secret = _issue(project)
    with project.session() as session:
        assert session.get(ApiToken, token_id).last_used_at is None
    started = utcnow()
    assert _as(project, secret, "GET", "/v2/ProjectVersions").status_code == 200
    with project.session() as session:
        used = session.get(ApiToken, token_id).last_used_at
    assert used is not None
    assert used >= started - timedelta(seconds=1)


def test_a_refused_method_still_counts_as_use_but_an_unknown_token_touches_nothing(project):
    token_id, secret = _issue(project, methods="GET")
    _as(project, secret, "DELETE", "/v2/Articles/x")
    _as(project, "lb_unknown", "GET", "/v2/ProjectVersions")
    with project.session() as session:
        tokens = {t.id: t for t in session.scalars(select(ApiToken))}
    assert tokens[token_id].last_used_at is not None
    assert all(t.last_used_at is None for i, t in tokens.items() if i != token_id)


def test_last_used_at_is_refreshed_at_most_once_a_minute(project):
    token_id, secret = _issue(project)

    def last_used() -> Any:
        with project.session() as session:
            return session.get(ApiToken, token_id).last_used_at

    assert _as(project, secret, "GET", "/v2/ProjectVersions").status_code == 200
    first = last_used()
    assert _as(project, secret, "GET", "/v2/Teams").status_code == 200
    assert last_used() == first  # reads do not become writes on every request

    with project.session() as session:
        session.get(ApiToken, token_id).last_used_at = first - timedelta(minutes=2)
    assert _as(project, secret, "GET", "/v2/Teams").status_code == 200
    assert last_used() >= first
