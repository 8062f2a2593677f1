"""The portal's tree screen: categories in the API's order, created, renamed, moved (to the
top level too), retyped, hidden and deleted through forms; articles created and moved; roles
and bad input."""

from __future__ import annotations

import re

from lorebase.auth.roles import Role
from tests.conftest import Project
from tests.web.conftest import Browser, Site, csrf_of


def _category(project: Project, name: str, parent: str | None = None, kind: int = 0) -> str:
    body = {"name": name, "project_version_id": project.workspace_id, "category_type": kind}
    if parent:
        body["parent_category_id"] = parent
    answer = project.post("/v2/Categories", json=body)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["data"]["id"])


def _article(project: Project, title: str, category: str) -> str:
    body = {
        "title": title,
        "category_id": category,
        "project_version_id": project.workspace_id,
        "user_id": project.owner_id,
        "content": f"# {title}",
    }
    answer = project.post("/v2/Articles", json=body)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["data"]["id"])


def _api_tree(project: Project) -> list[dict]:
    answer = project.get(f"/v2/ProjectVersions/{project.workspace_id}/categories")
    assert answer.status_code == 200, answer.text
    return list(answer.json()["data"])


def _post(browser: Browser, path: str, data: dict[str, str], page: str = "/portal") -> object:
    token = csrf_of(browser.get(page).text)
    return browser.client.post(path, data={"csrf_token": token, **data}, follow_redirects=False)


def test_the_tree_lists_categories_in_the_order_the_api_reports(
    site: Site, project: Project
) -> None:
    first = _category(project, "Getting started")
    second = _category(project, "Guides")
    child = _category(project, "Install <b>now</b>", first)
    editor = site.signed_in(Role.EDITOR)
    html = editor.get("/portal").text
    names = [c["name"] for c in _api_tree(project)]
    positions = [html.index(f'data-id="{c}"') for c in (first, child, second)]
    assert positions == sorted(positions), names
    assert "Install &lt;b&gt;now&lt;/b&gt;" in html and "<b>now</b>" not in html
    fragment = editor.get(f"/portal/tree/{first}/articles").text
    assert 'class="tree-articles"' in fragment


def test_organising_through_the_forms(site: Site, project: Project) -> None:
    top = _category(project, "Top")
    other = _category(project, "Other")
    inner = _category(project, "Inner", top)
    article = _article(project, "Hello", top)
    editor = site.signed_in(Role.EDITOR)
    page = f"/portal/categories/{inner}"
    assert editor.get(page).status_code == 200

    answer = _post(editor, f"/portal/categories/{inner}/rename", {"name": "Renamed"}, page)
    assert answer.status_code == 303
    # To the top level, first place: the v2 PUT cannot do this one.
    to_top = {"parent": "", "position": "1"}
    answer = _post(editor, f"/portal/categories/{inner}/move", to_top, page)
    assert answer.status_code == 303, answer.text
    assert [c["name"] for c in _api_tree(project)] == ["Renamed", "Top", "Other"]
    answer = _post(editor, f"/portal/categories/{inner}/move", {"parent": inner}, page)
    assert answer.status_code == 400
    assert "under itself" in answer.text

    answer = _post(editor, f"/portal/categories/{other}/visibility", {"hidden": "true"}, page)
    assert answer.status_code == 303
    assert next(c for c in _api_tree(project) if c["id"] == other)["hidden"] is True

    answer = _post(editor, f"/portal/categories/{other}/type", {"category_type": "1"}, page)
    assert answer.status_code == 303
    assert next(c for c in _api_tree(project) if c["id"] == other)["category_type"] == 1

    answer = _post(
        editor, f"/portal/articles/{article}/move", {"category": other, "position": "1"}, page
    )
    assert answer.status_code == 303, answer.text
    moved = project.get(f"/v2/Articles/{article}/en").json()["data"]
    assert moved["category_id"] == other

    answer = _post(editor, f"/portal/categories/{top}/delete", {}, page)
    assert answer.status_code == 303
    assert [c["name"] for c in _api_tree(project)] == ["Renamed", "Other"]


def test_creating_categories_and_articles(site: Site, project: Project) -> None:
    editor = site.signed_in(Role.EDITOR)
    answer = _post(editor, "/portal/categories", {"name": "  ", "category_type": "0"})
    assert answer.status_code == 400
    assert 'aria-invalid="true"' in answer.text and "Name field is required" in answer.text
    answer = _post(editor, "/portal/categories", {"name": "Guides", "category_type": "2"})
    assert answer.status_code == 303
    (made,) = _api_tree(project)
    assert (made["name"], made["category_type"]) == ("Guides", 2)
    answer = _post(editor, "/portal/articles", {"title": "First steps", "category": ""})
    assert answer.status_code == 400 and "Choose the category" in answer.text
    answer = _post(editor, "/portal/articles", {"title": "First steps", "category": made["id"]})
    assert answer.status_code == 303
    assert re.search(r"/portal/articles/[^/]+/en\?", answer.headers["location"])


def test_roles_and_bad_input(site: Site, project: Project) -> None:
    top = _category(project, "Top")
    writer = site.signed_in(Role.DRAFT_WRITER)
    assert writer.get("/portal").status_code == 200
    assert writer.get("/portal/categories/new").status_code == 403
    answer = _post(writer, f"/portal/categories/{top}/delete", {})
    assert answer.status_code == 403
    reader = site.signed_in(Role.READER)
    assert reader.get("/portal").status_code == 403
    assert site.browser().get("/portal").status_code == 303  # to the sign-in form
    editor = site.signed_in(Role.EDITOR)
    assert editor.get("/portal?ws=nope").status_code == 404
    assert editor.get("/portal?lang=xx").status_code == 404
    assert editor.get("/portal/categories/" + "x" * 5000).status_code == 404
    # PostgreSQL cannot even hold a NUL: browser paths answer the themed 404 before any query.
    for path in (
        f"/portal/tree/{'%00' * 10}/articles",
        "/portal/articles/%00/en",
        "/portal/drive/%01",
    ):
        answer = editor.get(path)
        assert answer.status_code == 404 and answer.text.startswith("<!doctype html>"), path
    answer = _post(editor, f"/portal/categories/{top}/move", {"position": "first"})
    assert answer.status_code == 400 and "whole number" in answer.text
