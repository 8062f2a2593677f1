"""The editor's actions beyond saving: forking the published version, hiding, showing and
deleting an article, WYSIWYG and Block articles shown read-only and refused on save, the
preview matching what readers and the API get once the text is published, and the autosave's
JSON answer to a stale save."""

from __future__ import annotations

import re
from typing import Any

import pytest

from lorebase.auth.roles import PERMISSIONS, Permission, Role
from lorebase.render.page import finish_html
from tests.conftest import Project
from tests.web.conftest import Browser, Site
from tests.web.portal.test_editor import _article_in, _post, _stamp
from tests.web.portal.test_tree import _article, _category

DONE_NOTICE = re.compile(r'<p class="notice"[^>]*>([^<]*)</p>')
READER_BODY = re.compile(
    r'<article>\s*<h1>[^<]*</h1>\s*<p class="page-meta muted">.*?</p>(.*?)</article>', re.S
)


def _versions(project: Project, article: str, lang: str = "en") -> list[dict[str, Any]]:
    answer = project.get(f"/v2/Articles/{article}/{lang}/versions")
    assert answer.status_code == 200, answer.text
    return list(answer.json()["data"])


def _api_article(project: Project, article: str, lang: str = "en") -> dict[str, Any]:
    answer = project.get(f"/v2/Articles/{article}/{lang}")
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["data"])


def _publish(project: Project, article: str, version: int = 1) -> None:
    answer = project.post(
        f"/v2/Articles/{article}/en/publish",
        json={"user_id": project.owner_id, "version_number": version},
    )
    assert answer.status_code == 200, answer.text


def _follow(browser: Browser, answer: Any) -> str:
    assert answer.status_code == 303, answer.text
    page = browser.get(answer.headers["location"])
    assert page.status_code == 200, page.text
    return str(page.text)


# --- fork ---------------------------------------------------------------------------------


def test_forking_a_published_article_starts_a_draft_with_the_published_text(
    site: Site, project: Project
) -> None:
    article = _article_in(project, "Forked")
    _publish(project, article)
    published = _api_article(project, article)
    assert (published["status"], published["version_number"]) == (3, 1)
    path = f"/portal/articles/{article}/en"
    editor = site.signed_in(Role.EDITOR)
    before = editor.get(path).text
    assert f'action="{path}/restore"' in before and "Fork a new draft" in before

    page = _follow(editor, _post(editor, f"{path}/restore", {}))

    notices = DONE_NOTICE.findall(page)
    assert "A new draft is started from the published version." in notices, notices
    versions = {v["version_number"]: v for v in _versions(project, article)}
    assert sorted(versions) == [1, 2]
    assert (versions[1]["status"], versions[2]["status"]) == (3, 0)
    latest = project.get(f"/v2/Articles/{article}/en/versions/2").json()["data"]
    assert (latest["title"], latest["content"]) == (published["title"], published["content"])
    still = project.get(f"/v2/Articles/{article}/en/versions/1").json()["data"]
    assert (still["content"], still["status"]) == (published["content"], 3)
    assert _api_article(project, article, "en")["content"] == published["content"]
    # The editor now stands on the new draft, with the published version still named.
    assert "Version 2 · version 1 is published" in page
    assert 'class="badge draft">Draft' in page


def test_forking_with_nothing_published_is_refused_and_writes_nothing(
    site: Site, project: Project
) -> None:
    article = _article_in(project, "Never published")
    path = f"/portal/articles/{article}/en"
    editor = site.signed_in(Role.EDITOR)
    assert "Fork a new draft" not in editor.get(path).text
    answer = _post(editor, f"{path}/restore", {})
    assert answer.status_code == 400
    assert "no published version to fork" in answer.text
    assert [v["version_number"] for v in _versions(project, article)] == [1]


# --- hide, show, delete -------------------------------------------------------------------


def test_hiding_and_showing_an_article_changes_what_the_api_reports(
    site: Site, project: Project
) -> None:
    article = _article_in(project, "Hideable")
    _publish(project, article)
    path = f"/portal/articles/{article}/en"
    editor = site.signed_in(Role.EDITOR)
    assert _api_article(project, article)["hidden"] is False
    assert 'name="hidden" value="true"' in editor.get(path).text

    page = _follow(editor, _post(editor, f"{path}/visibility", {"hidden": "true"}))
    assert "The article is hidden from readers." in DONE_NOTICE.findall(page)
    assert 'class="badge hidden-item">Hidden' in page
    assert 'name="hidden" value="false"' in page and "Show to readers" in page
    assert _api_article(project, article)["hidden"] is True
    # Hiding writes no revision and leaves the published version as it was.
    assert [(v["version_number"], v["status"]) for v in _versions(project, article)] == [(1, 3)]

    page = _follow(editor, _post(editor, f"{path}/visibility", {"hidden": "false"}))
    assert "The article is shown to readers again." in DONE_NOTICE.findall(page)
    assert "hidden-item" not in page
    assert _api_article(project, article)["hidden"] is False


def test_deleting_an_article_removes_it_from_the_api_and_the_tree(
    site: Site, project: Project
) -> None:
    category = _category(project, "Guides")
    kept = _article(project, "Kept", category)
    doomed = _article(project, "Doomed", category)
    editor = site.signed_in(Role.EDITOR)
    listing = f"/portal/tree/{category}/articles"
    assert doomed in editor.get(listing).text and kept in editor.get(listing).text

    answer = _post(editor, f"/portal/articles/{doomed}/en/delete", {})
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].startswith(f"/portal?ws={project.workspace_id}&lang=en")
    assert "The article is deleted." in editor.get(answer.headers["location"]).text

    assert project.get(f"/v2/Articles/{doomed}/en").status_code == 404
    fragment = editor.get(listing).text
    assert doomed not in fragment and kept in fragment
    tree = project.get(f"/v2/ProjectVersions/{project.workspace_id}/categories").json()["data"]
    listed = [a["id"] for node in tree for a in node.get("articles") or []]
    assert doomed not in listed and kept in listed
    assert editor.get(f"/portal/articles/{doomed}/en").status_code == 404
    assert _post(editor, f"/portal/articles/{kept}/en/delete", {}).status_code == 303
    assert project.get(f"/v2/Articles/{kept}/en").status_code == 404


def test_a_draft_writer_may_neither_hide_nor_delete_an_article(
    site: Site, project: Project
) -> None:
    # The one permission table decides: a draft writer writes but does not reorganise.
    assert Permission.ORGANISE not in PERMISSIONS[Role.DRAFT_WRITER]
    article = _article_in(project, "Protected")
    path = f"/portal/articles/{article}/en"
    writer = site.signed_in(Role.DRAFT_WRITER)
    page = writer.get(path).text
    assert f'action="{path}/delete"' not in page and f'action="{path}/visibility"' not in page
    assert _post(writer, f"{path}/delete", {}).status_code == 403
    assert _post(writer, f"{path}/visibility", {"hidden": "true"}).status_code == 403
    found = _api_article(project, article)
    assert (found["title"], found["hidden"]) == ("Protected", False)


# --- WYSIWYG and Block articles -----------------------------------------------------------

RICH_BODIES = {
    1: '<h2 id="rich">Rich <em>text</em></h2><p>Made in the WYSIWYG editor.</p>',
    2: "<p>Made in the <strong>Block</strong> editor.</p><ul><li>one</li></ul>",
}


@pytest.mark.parametrize(("content_type", "editor_name"), [(1, "WYSIWYG"), (2, "Block")])
def test_wysiwyg_and_block_articles_are_read_only_and_a_save_is_refused(
    site: Site, project: Project, content_type: int, editor_name: str
) -> None:
    category = _category(project, "Guides")
    answer = project.post(
        "/v2/Articles",
        json={
            "title": f"{editor_name} page",
            "category_id": category,
            "project_version_id": project.workspace_id,
            "user_id": project.owner_id,
            "content": RICH_BODIES[content_type] + "<script>alert(1)</script>",
            "content_type": content_type,
        },
    )
    assert answer.status_code == 200, answer.text
    article = str(answer.json()["data"]["id"])
    path = f"/portal/articles/{article}/en"
    editor = site.signed_in(Role.EDITOR)

    page = editor.get(path)
    assert page.status_code == 200, page.text
    assert (
        f"This page is written in the {editor_name} editor. It is shown here read-only."
        in page.text
    )
    assert "<textarea" not in page.text.split('id="editor-form"')[1].split("</form>")[0]
    assert 'name="content"' not in page.text
    assert "Save draft" not in page.text and "Save and publish" not in page.text
    shown = re.search(r'<div class="article-body readonly">(.*?)</div>\n', page.text, re.S)
    assert shown, page.text
    assert RICH_BODIES[content_type] in shown.group(1)
    assert "<script>" not in shown.group(1)

    versions = _versions(project, article)
    refused = _post(
        editor,
        f"{path}/save",
        {"title": "Changed", "content": "# Markdown now", "base": _stamp(page.text)},
    )
    assert refused.status_code == 400
    assert (
        '<p class="problem" role="alert">This page is written in the WYSIWYG or Block editor; '
        "it is read-only here.</p>" in refused.text
    )
    assert "<textarea" not in refused.text.split('id="editor-form"')[1].split("</form>")[0]
    assert _versions(project, article) == versions
    assert _api_article(project, article)["title"] == f"{editor_name} page"

    autosave = _post(
        editor,
        f"{path}/save",
        {"title": "Changed", "content": "# Markdown now", "base": _stamp(page.text)},
        headers={"Accept": "application/json"},
    )
    assert autosave.status_code == 400
    assert "read-only here" in autosave.json()["error"]
    assert _versions(project, article) == versions


# --- the preview is what readers get ------------------------------------------------------

PIPELINE_TEXT = (
    "## Install {{variable.product}}\n\n"
    "Ask {{glossary.API}} about it.\n\n"
    "```python\nprint('hi')  # a comment\n```\n\n"
    "| Option | Meaning |\n|---|---|\n| `a` | <script>alert(1)</script>first |\n\n"
    "- [x] done\n- [ ] <img src=x onerror=alert(1)> later\n\n"
    "[link](javascript:alert(1)) and https://example.com/auto and ~~gone~~\n"
)


def test_the_preview_is_the_body_readers_and_the_api_get_once_published(
    site: Site, project: Project
) -> None:
    ws = project.workspace_id
    for route, body in (
        ("Variables", {"name": "product", "value": "Lore & base"}),
        ("Glossary", {"name": "API", "term": "the API", "definition": "A way in."}),
    ):
        answer = project.post(f"/v2/{route}", json={"project_version_id": ws, **body})
        assert answer.status_code == 200, answer.text
    article = _article_in(project, "Pipeline")
    path = f"/portal/articles/{article}/en"
    editor = site.signed_in(Role.EDITOR)
    base = _stamp(editor.get(path).text)
    preview = _post(editor, f"{path}/preview", {"content": PIPELINE_TEXT})
    assert preview.status_code == 200
    # The merge codes are resolved, the hostile parts gone, the code highlighted.
    assert "Lore &amp; base" in preview.text and "{{" not in preview.text
    assert "<script>" not in preview.text and "onerror" not in preview.text
    assert '<pre class="highlight">' in preview.text and '<div class="table-wrap">' in preview.text

    saved = _post(
        editor,
        f"{path}/save",
        {"title": "Pipeline", "content": PIPELINE_TEXT, "base": base, "then": "publish"},
    )
    assert saved.status_code == 303, saved.text
    assert _api_article(project, article)["status"] == 3

    slug = project.get(f"/v2/Articles/{article}/en/settings").json()["data"]["slug"]
    page = site.browser().get(f"/docs/{slug}")  # a reader, signed out
    assert page.status_code == 200, page.text
    reader = READER_BODY.search(page.text)
    assert reader, page.text
    # Only the template's indentation around the body differs.
    assert reader.group(1).strip() == preview.text.strip()

    # The API's html_content for display (`isForDisplay=true` resolves the merge codes) is the
    # same pipeline before the finishing touches every site adds (code highlighting, tables
    # wrapped to scroll: render.page.finish_html); without it the codes stay as typed.
    shown = project.get(f"/v2/Articles/{article}/en", params={"isForDisplay": "true"})
    assert shown.status_code == 200, shown.text
    assert finish_html(shown.json()["data"]["html_content"]) == preview.text
    raw = _api_article(project, article)["html_content"]
    assert "{{variable.product}}" in raw and "{{glossary.API}}" in raw


# --- the autosave's conflict ----------------------------------------------------------------


def test_the_autosave_answers_409_with_a_json_body_on_a_stale_base(
    site: Site, project: Project
) -> None:
    article = _article_in(project, "Contested")
    path = f"/portal/articles/{article}/en"
    alice = site.signed_in(Role.EDITOR, "alice@example.com")
    bob = site.signed_in(Role.EDITOR, "bob@example.com")
    base = _stamp(bob.get(path).text)
    assert (
        _post(
            alice,
            f"{path}/save",
            {"title": "Contested", "content": "Alice's", "base": _stamp(alice.get(path).text)},
        ).status_code
        == 303
    )
    versions = _versions(project, article)

    for stale in (base, "", "1:2000-01-01T00:00:00", "garbage"):
        answer = _post(
            bob,
            f"{path}/save",
            {"title": "Contested", "content": "Bob's", "base": stale},
            headers={"Accept": "application/json"},
        )
        assert answer.status_code == 409, (stale, answer.text)
        assert answer.headers["content-type"] == "application/json"
        assert answer.headers["cache-control"] == "no-store"
        assert answer.json() == {
            "error": "Someone saved this page after you opened it. Nothing was overwritten: "
            "compare the two versions and choose.",
            "conflict": True,
        }
    assert _versions(project, article) == versions
    assert _api_article(project, article)["content"] == "Alice's"
