"""The permission matrix: every operation of Lorebase's own OpenAPI document (v2 and v3), asked
by every kind of token, gets the documented refusal in its API version's error shape:

* no token, an unknown token, a revoked one, an expired one → 401;
* a token whose allowed methods do not include the operation's → 403;
* a valid token of another project, naming this project's objects → exactly the answer it gets
  for ids that exist nowhere (status and body, ids aside): nothing of another project is ever
  returned or confirmed to exist.

Never a 5xx. Both databases.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from lorebase.auth.tokens import ALL_METHODS, issue_token, revoke_token
from lorebase.db.models import utcnow
from lorebase.kb import merge_codes, workspaces
from tests.exchange.test_jsonzip_writer import article, category, drive_file

PARAMETER = re.compile(r"{(\w+)}")
# Placeholders for parameters that are not object ids, and the id of nothing.
NOT_IDS = {"langCode": "en", "versionNumber": "1", "file_name": "logo.png", "key": "nothing"}
NOWHERE = "00000000-0000-4000-8000-000000000000"


def operations(project: Any) -> Iterator[tuple[str, str]]:
    spec = project.client.app.openapi()
    for path, methods in spec["paths"].items():
        if not path.startswith(("/v2/", "/v3/")):
            continue  # /blobs and /media are signed URLs, not token routes
        for method in methods:
            yield method.upper(), path


def fill(path: str, ids: dict[str, str]) -> str:
    return PARAMETER.sub(lambda m: NOT_IDS.get(m.group(1)) or ids.get(m.group(1), NOWHERE), path)


def send(project: Any, method: str, path: str, token: str | None) -> Any:
    headers: dict[str, str] = {}
    if token is not None:
        headers = (
            {"Authorization": f"Bearer {token}"}
            if path.startswith("/v3/")
            else {"api_token": token}
        )
    body = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
    return project.client.request(method, path, headers=headers, **body)


def assert_refused(response: Any, path: str, status: int, what: str) -> None:
    assert response.status_code == status, (what, path, response.status_code, response.text)
    if path.startswith("/v3/"):
        assert response.headers["content-type"].startswith("application/problem+json"), path
        assert response.json()["status"] == status
    else:
        body = response.json()
        assert body["success"] is False and body["errors"][0]["description"], (path, body)


def test_tokens_that_cannot_act_are_refused_on_every_operation(project):
    with project.session() as session:
        revoked = issue_token(session, project.project_id, "revoked")
        revoke_token(session, revoked.token.id)
        expired = issue_token(
            session, project.project_id, "expired", expires_at=utcnow() - timedelta(minutes=1)
        )
        # One token per method that lacks exactly that method.
        lacking = {
            method: issue_token(
                session,
                project.project_id,
                f"no-{method}",
                ",".join(m for m in ALL_METHODS if m != method),
            ).secret
            for method in ALL_METHODS
        }
    unauthenticated = {
        "no token": None,
        "unknown token": "lb_" + "x" * 43,
        "revoked token": revoked.secret,
        "expired token": expired.secret,
    }
    checked = 0
    for method, template in operations(project):
        path = fill(template, {})
        for what, token in unauthenticated.items():
            assert_refused(send(project, method, path, token), path, 401, f"{method} {what}")
        assert_refused(send(project, method, path, lacking[method]), path, 403, f"{method} lacking")
        checked += 1
    assert checked > 90


def _comparable(response: Any, ids: dict[str, str]) -> tuple[int, str]:
    text = response.text
    for value in ids.values():
        text = text.replace(value, NOWHERE)
    # Per-request identifiers differ between any two answers.
    text = re.sub(r'"(trace_id|request_id)":"[^"]*"', r'"\1":""', text)
    return response.status_code, text


@pytest.fixture
def objects(project: Any) -> dict[str, str]:
    """One object of this project for each kind of id the routes take."""
    guides = category(project, "Guides")
    install = article(project, guides, "Install", "Install it")
    url = drive_file(project, "logo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    file_id = url.split("/media/", 1)[1].split("/")[1]
    with project.session() as session:
        from lorebase.kb import drive

        folder = drive.ensure_folder_path(session, project.project_id, ["Images"], None)
        assert folder is not None
        entry = merge_codes.create_entry(
            session,
            project.project_id,
            "variable",
            {"project_version_id": project.workspace_id, "name": "Product", "value": "Acme"},
        )
        user = workspaces.create_user(
            session, project.project_id, email="u@example.com", first_name="Una"
        )
        folder_id, entry_id, user_id = folder.id, entry.id, user.id
    return {
        "categoryId": guides,
        "articleId": install,
        "projectVersionId": project.workspace_id,
        "project_version_id": project.workspace_id,
        "project_id": project.project_id,
        "folderId": folder_id,
        "fileId": file_id,
        "file_id": file_id,
        "entryId": entry_id,
        "userId": user_id,
    }


def test_another_projects_token_learns_nothing_of_this_project(project, objects):
    stranger, _ = project.other_project()
    compared = 0
    for method, template in operations(project):
        if not PARAMETER.search(template) or (method != "GET" and "{" not in template):
            continue
        named = {k: v for k, v in objects.items() if "{" + k + "}" in template}
        if not named:
            continue
        ours = send(project, method, fill(template, objects), stranger)
        nowhere = send(project, method, fill(template, {}), stranger)
        assert ours.status_code < 500, (method, template, ours.text)
        assert 200 <= ours.status_code < 300 or ours.status_code >= 400
        assert _comparable(ours, named) == _comparable(nowhere, named), (method, template)
        compared += 1
    assert compared > 40
    # Every method was tried, DELETE included: the objects are all still there.
    assert project.get(f"/v2/Articles/{objects['articleId']}/en").status_code == 200
    assert project.get(f"/v2/Categories/{objects['categoryId']}").status_code == 200
    folder = project.get(f"/v2/Drive/Folders/{objects['folderId']}")
    assert folder.status_code == 200, folder.text
