"""The Lorebase extension routes that read reader feedback: GET /v2/Articles/{id}/feedback and
GET /v2/ProjectVersions/{id}/search-misses, in the v2 envelope, with the v2 refusals. Both
databases."""

from __future__ import annotations

import re

import pytest

from lorebase.kb import feedback
from tests.conftest import Project
from tests.kb.test_feedback import Content

ISO_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
ENVELOPE = {"extension_data", "success", "errors", "warnings", "information"}


@pytest.fixture
def content(project: Project) -> Content:
    return Content(project)


def test_an_articles_feedback_in_the_v2_envelope(project: Project, content: Content) -> None:
    project.add_language("fr")
    install = content.article("Install")
    content.translate(install, "fr", "Installer", published=True)
    content.answer(install, True)
    content.answer(install, False, "missing-information", "Which port?")
    content.answer(install, False, lang="fr")

    answer = project.get(f"/v2/Articles/{install}/feedback")

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == ENVELOPE | {"data"} and body["success"] is True
    data = body["data"]
    assert (data["helpful"], data["not_helpful"]) == (1, 2)
    newest, middle, oldest = data["entries"]
    assert newest == {
        "language_code": "fr",
        "helpful": False,
        "reason": None,
        "comment": None,
        "created_at": newest["created_at"],
    }
    assert (middle["reason"], middle["comment"]) == ("missing-information", "Which port?")
    assert oldest["helpful"] is True
    assert all(ISO_UTC.fullmatch(e["created_at"]) for e in data["entries"])

    english = project.get(f"/v2/Articles/{install}/feedback", params={"langCode": "en"}).json()
    assert (english["data"]["helpful"], english["data"]["not_helpful"]) == (1, 1)
    # Paths match without regard to case, as every v2 route; the article route is unchanged.
    assert project.get(f"/v2/articles/{install}/FEEDBACK").json()["data"] == data
    assert project.get(f"/v2/Articles/{install}/en").json()["data"]["title"] == "Install"


def test_feedback_of_an_unknown_or_foreign_article_is_the_v2_404(
    project: Project, content: Content
) -> None:
    install = content.article("Install")
    stranger, _ = project.other_project()
    for token in (project.token, stranger):
        for article_id in (install, "no-such-article"):
            answer = project.client.get(
                f"/v2/Articles/{article_id}/feedback", headers={"api_token": token}
            )
            if token == project.token and article_id == install:
                assert answer.status_code == 200
                continue
            assert answer.status_code == 404, (token, article_id)
            body = answer.json()
            assert body["success"] is False
            assert body["errors"][0]["description"] == "Article not found"


def test_the_routes_need_a_token_that_may_read(project: Project, content: Content) -> None:
    install = content.article("Install")
    writer_only = project.token_for("POST,PUT,DELETE")
    for path in (
        f"/v2/Articles/{install}/feedback",
        f"/v2/ProjectVersions/{project.workspace_id}/search-misses",
    ):
        missing = project.client.get(path)
        assert missing.status_code == 401
        assert missing.json()["errors"][0]["description"] == "The api_token header is missing."
        assert project.client.get(path, headers={"api_token": "lb_nope"}).status_code == 401
        refused = project.client.get(path, headers={"api_token": writer_only})
        assert refused.status_code == 403 and refused.json()["success"] is False


def record_misses(project: Project, lang: str, *queries: str) -> None:
    with project.session() as session:
        for query in queries:
            feedback.record_search_miss(session, project.workspace_id, lang, query)


def test_a_workspaces_search_misses_most_repeated_first(project: Project) -> None:
    project.add_language("fr")
    record_misses(project, "en", "Proxy", "proxy ", "SSO setup")
    record_misses(project, "fr", "mot de passe")
    path = f"/v2/ProjectVersions/{project.workspace_id}/search-misses"

    body = project.get(path).json()

    assert set(body) == ENVELOPE | {"data"} and body["success"] is True
    rows = body["data"]
    assert [(r["language_code"], r["query"], r["count"]) for r in rows[:1]] == [("en", "proxy", 2)]
    assert {(r["language_code"], r["query"]) for r in rows[1:]} == {
        ("en", "sso setup"),
        ("fr", "mot de passe"),
    }
    assert set(rows[0]) == {"language_code", "query", "count", "last_searched_at"}
    assert ISO_UTC.fullmatch(rows[0]["last_searched_at"])
    french = project.get(path, params={"langCode": "FR"}).json()["data"]
    assert [r["query"] for r in french] == ["mot de passe"]
    unknown = project.get(path, params={"langCode": "xx"})
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["description"] == "Language code not found"
    # The search route beside it still answers searches.
    search = project.get(f"/v2/ProjectVersions/{project.workspace_id}/en?searchQuery=proxy")
    assert search.status_code == 200 and search.json()["data"]["nb_hits"] == 0


def test_search_misses_of_an_unknown_or_foreign_workspace_are_the_v2_404(
    project: Project,
) -> None:
    _, foreign = project.other_project()
    for workspace_id in (foreign, "no-such-workspace"):
        answer = project.get(f"/v2/ProjectVersions/{workspace_id}/search-misses")
        assert answer.status_code == 404
        body = answer.json()
        assert body["success"] is False
        assert body["errors"][0]["description"] == (
            "The supplied project version id does not exist in your project"
        )
