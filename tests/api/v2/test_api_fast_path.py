"""Cached API reads answered before routing (lorebase/api/fastpath.py): the same answers as the
routes give, and never one the routes would not give now — a revoked, expired, foreign or
write-only token, a write on any process, a private project's media links."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from lorebase.api.fastpath import ApiFastPath, KeptAnswer, Offer
from lorebase.app import create_app
from lorebase.auth.tokens import issue_token, revoke_token
from lorebase.db.models import ApiToken, utcnow
from lorebase.web.fastpath import KeptPages
from tests.api.v2.test_drive import make_private, new_file, new_folder
from tests.conformance.official import assert_conforms


def test_kept_answers_are_bounded_by_count_and_by_bytes():
    kept = KeptPages[KeptAnswer](3, max_bytes=10)
    offer = Offer("project", "workspace", 1, None)
    for name, body in (("a", b"1234"), ("b", b"1234"), ("c", b"12")):
        kept.put((name, b""), KeptAnswer(offer, body))
    assert kept.get(("a", b"")) is not None  # 10 bytes, 3 answers: all kept
    kept.put(("d", b""), KeptAnswer(offer, b"1"))  # a 4th answer: the oldest goes
    assert kept.get(("a", b"")) is None and kept.get(("d", b"")) is not None
    kept.put(("e", b""), KeptAnswer(offer, b"123456789"))  # 9 more bytes: b and c go
    assert [kept.get((n, b"")) is not None for n in "bcde"] == [False, False, True, True]


def _fast_path(client: TestClient) -> ApiFastPath:
    layer: Any = client.app.middleware_stack  # type: ignore[attr-defined]
    while not isinstance(layer, ApiFastPath):
        layer = layer.app
    return layer


def _kept(client: TestClient, path: str, query: bytes = b"") -> bool:
    return _fast_path(client).answers.get((path, query)) is not None


def _article(project: Any, content: str = "First body") -> str:
    category = project.post(
        "/v2/Categories", json={"name": "Guides", "project_version_id": project.workspace_id}
    ).json()["data"]
    created = project.post(
        "/v2/Articles",
        json={
            "title": "Install",
            "content": content,
            "category_id": category["id"],
            "project_version_id": project.workspace_id,
            "user_id": project.owner_id,
        },
    )
    assert created.status_code == 200, created.text
    article_id: str = created.json()["data"]["id"]
    return article_id


def _as(project: Any, token: str, path: str, **kw: Any) -> Any:
    return project.client.get(path, headers={"api_token": token}, **kw)


def test_a_repeated_read_is_answered_from_the_kept_answer_with_the_same_bytes(project):
    path = f"/v2/Articles/{_article(project)}/en"
    first = project.get(path)
    assert first.status_code == 200
    assert _kept(project.client, path)
    second = project.get(path)
    assert_conforms(second, "GET", "/v2/Articles/{articleId}/{langCode}")
    assert second.content == first.content
    assert second.headers["content-type"] == first.headers["content-type"]
    assert second.headers["x-request-id"] != first.headers["x-request-id"]


def test_each_query_string_is_its_own_answer(project):
    path = f"/v2/Articles/{_article(project)}/en"
    latest = project.get(path).json()["data"]
    published = project.get(path, params={"isPublished": "true"})
    assert latest["version_number"] == 1
    assert _kept(project.client, path) and _kept(project.client, path, b"isPublished=true")
    assert project.get(path).json()["data"] == latest
    assert project.get(path, params={"isPublished": "true"}).content == published.content


def test_a_write_shows_in_the_next_read(project):
    path = f"/v2/Articles/{_article(project)}/en"
    project.get(path)
    project.get(path)
    changed = project.put(path, json={"title": "Installing"})
    assert changed.status_code == 200, changed.text
    assert project.get(path).json()["data"]["title"] == "Installing"


def test_a_write_on_another_server_process_shows_in_the_next_read(project):
    path = f"/v2/Articles/{_article(project)}/en"
    project.get(path)
    assert _kept(project.client, path)
    with TestClient(create_app(project.settings)) as other:
        changed = other.put(path, headers=project.headers, json={"title": "Elsewhere"})
        assert changed.status_code == 200, changed.text
    assert project.get(path).json()["data"]["title"] == "Elsewhere"


def test_a_category_read_is_kept_and_follows_writes_too(project):
    category = project.post(
        "/v2/Categories", json={"name": "Guides", "project_version_id": project.workspace_id}
    ).json()["data"]
    path = f"/v2/Categories/{category['id']}"
    assert project.get(path).json()["data"]["name"] == "Guides"
    assert _kept(project.client, path)
    project.put(path, json={"name": "Handbook"})
    assert project.get(path).json()["data"]["name"] == "Handbook"


def test_a_revoked_token_is_refused_even_for_a_kept_answer(project):
    path = f"/v2/Articles/{_article(project)}/en"
    with project.session() as session:
        issued = issue_token(session, project.project_id, "soon revoked")
    assert _as(project, issued.secret, path).status_code == 200
    assert _as(project, issued.secret, path).status_code == 200
    assert _kept(project.client, path)
    with project.session() as session:
        revoke_token(session, issued.token.id)
    refused = _as(project, issued.secret, path)
    assert refused.status_code == 401
    assert "revoked" in refused.json()["errors"][0]["description"]


def test_a_token_that_expired_since_is_refused(project):
    path = f"/v2/Articles/{_article(project)}/en"
    with project.session() as session:
        issued = issue_token(
            session, project.project_id, "short", expires_at=utcnow() + timedelta(days=1)
        )
    assert _as(project, issued.secret, path).status_code == 200
    assert _as(project, issued.secret, path).status_code == 200
    with project.session() as session:
        session.execute(
            update(ApiToken)
            .where(ApiToken.id == issued.token.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert _as(project, issued.secret, path).status_code == 401


def test_a_token_that_may_not_read_is_refused_a_kept_answer(project):
    path = f"/v2/Articles/{_article(project)}/en"
    project.get(path)
    assert _kept(project.client, path)
    writer = project.token_for("POST")
    for _ in range(2):
        assert _as(project, writer, path).status_code == 403


def test_another_projects_token_gets_not_found_not_the_kept_answer(project):
    path = f"/v2/Articles/{_article(project)}/en"
    project.get(path)
    assert _kept(project.client, path)
    stranger, _ = project.other_project()
    for _ in range(2):
        response = _as(project, stranger, path)
        assert response.status_code == 404
        assert "Install" not in response.text


def test_answers_with_media_links_are_never_kept_they_are_signed_per_request(project):
    file = new_file(project, new_folder(project))
    article_id = _article(project, "![logo]({})".format(file["file_url"]))
    path = f"/v2/Articles/{article_id}/en"
    project.get(path)
    make_private(project)
    for _ in range(2):
        assert "sig=" in project.get(path).json()["data"]["content"]
    assert not _kept(project.client, path)
