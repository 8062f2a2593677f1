"""The editor: open, preview through the publishing pipeline, save (and autosave as JSON),
the conflict a stale save meets, publish, unpublish, fork, history, compare, restore,
settings, translation; page categories through the same editor; roles and bad input."""

from __future__ import annotations

import re
from typing import Any

from lorebase.auth.roles import Role
from tests.conftest import Project
from tests.web.conftest import Browser, Site, csrf_of
from tests.web.portal.test_tree import _article, _category

STAMP = re.compile(r'name="base" id="base" value="([^"]*)"')


def _stamp(html: str) -> str:
    found = STAMP.search(html)
    assert found, "the editor has no base stamp"
    return found.group(1)


def _post(browser: Browser, path: str, data: dict[str, str], **kw: Any) -> Any:
    page = browser.get(path.rsplit("/", 1)[0])
    token = csrf_of(page.text)
    return browser.client.post(
        path, data={"csrf_token": token, **data}, follow_redirects=False, **kw
    )


def _article_in(project: Project, title: str = "Hello") -> str:
    return _article(project, title, _category(project, "Guides"))


def test_the_editor_opens_with_a_preview_rendered_by_the_server(
    site: Site, project: Project
) -> None:
    article = _article_in(project)
    editor = site.signed_in(Role.EDITOR)
    page = editor.get(f"/portal/articles/{article}/en")
    assert page.status_code == 200, page.text
    assert '<textarea id="content"' in page.text and "# Hello" in page.text
    assert _stamp(page.text)
    token = csrf_of(page.text)
    answer = editor.client.post(
        f"/portal/articles/{article}/en/preview",
        data={"content": "## Hi <script>alert(1)</script>\n\n```python\nx = 1\n```"},
        headers={"X-CSRF-Token": token, "HX-Request": "true"},
    )
    assert answer.status_code == 200
    assert "<h2" in answer.text and "<script>" not in answer.text
    assert 'class="highlight' in answer.text


def test_saving_publishing_and_the_history(site: Site, project: Project) -> None:
    article = _article_in(project)
    path = f"/portal/articles/{article}/en"
    editor = site.signed_in(Role.EDITOR)
    base = _stamp(editor.get(path).text)
    answer = _post(
        editor, f"{path}/save", {"title": "Hello again", "content": "First draft", "base": base}
    )
    assert answer.status_code == 303, answer.text
    api = project.get(f"/v2/Articles/{article}/en").json()["data"]
    assert (api["title"], api["content"], api["status"]) == ("Hello again", "First draft", 0)

    base = _stamp(editor.get(path).text)
    answer = _post(
        editor,
        f"{path}/save",
        {"title": "Hello again", "content": "Ready", "base": base, "then": "publish"},
    )
    assert answer.status_code == 303
    api = project.get(f"/v2/Articles/{article}/en").json()["data"]
    assert (api["content"], api["status"]) == ("Ready", 3)

    # Autosave: JSON, a new draft revision on top of the published one.
    base = _stamp(editor.get(path).text)
    answer = _post(
        editor,
        f"{path}/save",
        {"title": "Hello again", "content": "Ready, then changed", "base": base},
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    saved = answer.json()
    assert saved["version"] == 2 and saved["status"] == "Draft" and saved["stamp"]
    history = editor.get(f"{path}/history").text
    assert "Version" in history and 'value="2"' in history
    compare = editor.get(f"{path}/compare?left=1&right=2")
    assert compare.status_code == 200
    assert "Removed: </span>Ready" in compare.text
    assert "Added: </span>Ready, then changed" in compare.text

    answer = _post(editor, f"{path}/restore", {"version": "1"})
    assert answer.status_code == 303
    api = project.get(f"/v2/Articles/{article}/en").json()["data"]
    assert (api["version_number"], api["content"]) == (3, "Ready")

    answer = _post(editor, f"{path}/unpublish", {})
    assert answer.status_code == 303
    versions = project.get(f"/v2/Articles/{article}/en/versions").json()["data"]
    assert all(v["status"] == 0 for v in versions), versions


def test_a_stale_save_meets_the_conflict_screen_and_overwrites_nothing(
    site: Site, project: Project
) -> None:
    article = _article_in(project)
    path = f"/portal/articles/{article}/en"
    alice = site.signed_in(Role.EDITOR, "alice@example.com")
    bob = site.signed_in(Role.EDITOR, "bob@example.com")
    alice_base = _stamp(alice.get(path).text)
    bob_base = _stamp(bob.get(path).text)
    assert (
        _post(
            alice, f"{path}/save", {"title": "Hello", "content": "Alice's", "base": alice_base}
        ).status_code
        == 303
    )
    answer = _post(bob, f"{path}/save", {"title": "Hello", "content": "Bob's", "base": bob_base})
    assert answer.status_code == 409
    assert "Alice&#39;s" in answer.text and "Bob&#39;s" in answer.text
    assert project.get(f"/v2/Articles/{article}/en").json()["data"]["content"] == "Alice's"
    json_answer = _post(
        bob,
        f"{path}/save",
        {"title": "Hello", "content": "Bob's", "base": bob_base},
        headers={"Accept": "application/json"},
    )
    assert json_answer.status_code == 409 and json_answer.json()["conflict"] is True
    # "Save mine over it" carries the stamp of what Bob was shown.
    fresh = re.search(r'name="base" value="([^"]+)"', answer.text)
    assert fresh
    answer = _post(
        bob, f"{path}/save", {"title": "Hello", "content": "Bob's", "base": fresh.group(1)}
    )
    assert answer.status_code == 303
    assert project.get(f"/v2/Articles/{article}/en").json()["data"]["content"] == "Bob's"


def test_settings_translation_and_category_pages(site: Site, project: Project) -> None:
    project.add_language("fr")
    article = _article_in(project)
    editor = site.signed_in(Role.EDITOR)
    path = f"/portal/articles/{article}/en"
    answer = _post(
        editor,
        f"{path}/settings",
        {"slug": "Hello World", "seo_title": "Hi", "description": "About", "tags": "a, b"},
    )
    assert answer.status_code == 303, answer.text
    settings = project.get(f"/v2/Articles/{article}/en/settings").json()["data"]
    assert (settings["slug"], settings["seo_title"], settings["tags"]) == (
        "hello-world",
        "Hi",
        ["a", "b"],
    )
    french = editor.get(f"/portal/articles/{article}/fr")
    assert french.status_code == 200 and "has no text of its own yet" in french.text
    side = editor.get(f"/portal/articles/{article}/fr/translate?source=en")
    assert side.status_code == 200 and "Not written" in side.text
    answer = _post(
        editor, f"/portal/articles/{article}/fr/save", {"title": "Bonjour", "content": "Salut"}
    )
    assert answer.status_code == 303, answer.text
    assert project.get(f"/v2/Articles/{article}/fr").json()["data"]["title"] == "Bonjour"

    page = _category(project, "A page", kind=1)
    path = f"/portal/categories/{page}/en/edit"
    base = _stamp(editor.get(path).text)
    answer = _post(
        editor,
        f"{path}/save",
        {"title": "A page", "content": "Page text", "base": base, "then": "publish"},
    )
    assert answer.status_code == 303, answer.text
    content = project.get(f"/v2/Categories/{page}/content/en").json()["category"]
    assert (content["content"], content["status"]) == ("Page text", 3)
    folder = _category(project, "A folder")
    assert editor.get(f"/portal/categories/{folder}/en/edit").status_code == 400


def test_roles_and_bad_input(site: Site, project: Project) -> None:
    article = _article_in(project)
    path = f"/portal/articles/{article}/en"
    writer = site.signed_in(Role.DRAFT_WRITER)
    base = _stamp(writer.get(path).text)
    answer = _post(
        writer, f"{path}/save", {"title": "T", "content": "x", "base": base, "then": "publish"}
    )
    assert answer.status_code == 403
    assert project.get(f"/v2/Articles/{article}/en").json()["data"]["content"] == "# Hello"
    assert _post(writer, f"{path}/publish", {}).status_code == 403
    editor = site.signed_in(Role.EDITOR)
    base = _stamp(editor.get(path).text)
    answer = _post(editor, f"{path}/save", {"title": " ", "content": "x", "base": base})
    assert answer.status_code == 400 and 'aria-invalid="true"' in answer.text
    assert editor.get(f"/portal/articles/{'x' * 3000}/en").status_code == 404
    assert editor.get(f"/portal/articles/{article}/zz").status_code == 404
    assert editor.get(f"{path}/compare?left=a&right=2").status_code == 400
    assert editor.get(f"{path}/compare?left=1&right=99").status_code == 404
    answer = _post(editor, f"{path}/unpublish", {})
    assert answer.status_code == 400 and "not published" in answer.text
