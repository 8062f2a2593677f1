"""The tree's "Move…" dialog: the form fragment each row's button fetches (the item's current
place and position filled in, never a category inside itself offered), who may fetch it, ids
that are not there, and the form posted back as the dialog posts it moving the item the way
the v2 API then reports."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from lorebase.auth.roles import Role
from lorebase.db.models import ProjectVersion
from lorebase.kb import workspaces
from tests.conftest import Project
from tests.web.conftest import Browser, Site, csrf_of

OPTION = re.compile(r'<option value="([^"]*)"( selected)?>([^<]*)</option>')
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
POSITION = re.compile(r'<input id="move-position" name="position" type="number"[^>]* value="(\d+)"')
ACTION = re.compile(r'<form method="post" action="([^"]+)"')
SELECT = re.compile(r'<select id="move-to" name="([^"]+)">')
FRAGMENT = {"HX-Request": "true"}  # what tree.js sends when it fetches the form


def _category(
    project: Project, name: str, parent: str | None = None, *, ws: str = "", token: str = ""
) -> str:
    body = {"name": name, "project_version_id": ws or project.workspace_id}
    if parent:
        body["parent_category_id"] = parent
    headers = {"api_token": token} if token else project.headers
    answer = project.client.post("/v2/Categories", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["data"]["id"])


def _article(
    project: Project,
    title: str,
    category: str,
    *,
    ws: str = "",
    token: str = "",
    user: str = "",
) -> str:
    body = {
        "title": title,
        "category_id": category,
        "project_version_id": ws or project.workspace_id,
        "user_id": user or project.owner_id,
        "content": f"# {title}",
    }
    headers = {"api_token": token} if token else project.headers
    answer = project.client.post("/v2/Articles", json=body, headers=headers)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["data"]["id"])


def _api_tree(project: Project) -> list[dict[str, Any]]:
    answer = project.get(f"/v2/ProjectVersions/{project.workspace_id}/categories")
    assert answer.status_code == 200, answer.text
    return list(answer.json()["data"])


def _api_category(project: Project, category_id: str) -> dict[str, Any]:
    answer = project.get(f"/v2/Categories/{category_id}")
    assert answer.status_code == 200, answer.text
    return dict(answer.json()["data"])


def _children(project: Project, parent: str | None) -> list[str]:
    """The ids of `parent`'s child categories (the top level's when None), in API order."""
    if parent is None:
        nodes = _api_tree(project)
    else:
        nodes = _api_category(project, parent)["child_categories"]
    return [node["id"] for node in sorted(nodes, key=lambda node: node["order"])]


def _articles(project: Project, category: str) -> list[str]:
    listed = _api_category(project, category)["articles"] or []
    return [a["id"] for a in sorted(listed, key=lambda a: a["order"])]


def _add_workspace(project: Project) -> str:
    """A second workspace of the same project (the v2 API has no route that creates one)."""
    with project.session() as session:
        made = ProjectVersion(
            project_id=project.project_id,
            version_code_name="Version two",
            slug="v2",
            is_main_version=False,
            position=1,
        )
        session.add(made)
        session.flush()
        workspaces.add_language(session, made.id, "en", is_default=True)
        return made.id


def _dialog(browser: Browser, path: str) -> Any:
    answer = browser.get(path, headers=FRAGMENT)
    assert answer.status_code == 200, answer.text
    text = answer.text
    # A fragment for the tree page's one dialog, not a page in the portal's frame.
    assert text.lstrip().startswith("<form") and "<html" not in text.lower()
    assert text.count("<form") == 1 and text.count("<select") == 1
    return answer


def _found(pattern: re.Pattern[str], text: str) -> str:
    found = pattern.search(text)
    assert found, pattern.pattern
    return found.group(1)


def _options(text: str) -> list[tuple[str, bool, str]]:
    """The destinations offered: (value, preselected, visible label without indentation)."""
    return [
        (value, bool(selected), html.unescape(label).lstrip("— "))
        for value, selected, label in OPTION.findall(text)
    ]


def _fields(text: str) -> dict[str, str]:
    """What the dialog's form posts as it stands: its hidden fields, the preselected place
    (the first option when none is marked, as a browser does) and the position."""
    fields = dict(HIDDEN.findall(text))
    options = _options(text)
    chosen = [value for value, selected, _ in options if selected]
    assert len(chosen) <= 1, options
    fields[_found(SELECT, text)] = chosen[0] if chosen else options[0][0]
    fields["position"] = _found(POSITION, text)
    return fields


def _send(browser: Browser, text: str, fields: dict[str, str]) -> Any:
    """Post the form to its own action as tree.js does: its fields, the CSRF header, HX."""
    return browser.client.post(
        html.unescape(_found(ACTION, text)),
        data=fields,
        headers={"X-CSRF-Token": fields["csrf_token"], **FRAGMENT},
        follow_redirects=False,
    )


@pytest.fixture
def shelf(project: Project) -> dict[str, str]:
    """Top, Other and Tricky at the top level; Top holds Middle (holding Deep) and Second;
    Middle holds three articles."""
    ids = {"top": _category(project, "Top"), "other": _category(project, "Other")}
    ids["tricky"] = _category(project, 'Tricky <b>"name"</b> & co')
    ids["middle"] = _category(project, "Middle", ids["top"])
    ids["second"] = _category(project, "Second", ids["top"])
    ids["deep"] = _category(project, "Deep", ids["middle"])
    for title in ("First", "Between", "Last"):
        ids[title.lower()] = _article(project, title, ids["middle"])
    return ids


@pytest.mark.parametrize("role", [Role.EDITOR, Role.ADMIN])
def test_a_categorys_form_offers_every_place_but_itself_and_whats_inside_it(
    site: Site, project: Project, shelf: dict[str, str], role: Role
) -> None:
    organiser = site.signed_in(role)
    text = _dialog(organiser, f"/portal/categories/{shelf['middle']}/move").text
    assert _found(ACTION, text) == f"/portal/categories/{shelf['middle']}/move"
    assert _found(SELECT, text) == "parent"
    fields = _fields(text)
    assert fields["csrf_token"] == csrf_of(text) and len(fields["csrf_token"]) >= 32
    assert (fields["ws"], fields["lang"]) == (project.workspace_id, "en")
    assert '<h2 id="move-title">Move Middle</h2>' in text
    assert _options(text) == [
        ("", False, "The top level"),
        (shelf["top"], True, "Top"),
        (shelf["second"], False, "Second"),
        (shelf["other"], False, "Other"),
        (shelf["tricky"], False, 'Tricky <b>"name"</b> & co'),
    ]
    assert shelf["middle"] not in {value for value, _, _ in _options(text)}
    assert shelf["deep"] not in text  # not even in some other attribute
    assert fields["position"] == "1"
    assert '<option value="{}">— Second</option>'.format(shelf["second"]) in text  # indented

    text = _dialog(organiser, f"/portal/categories/{shelf['second']}/move").text
    assert (_fields(text)["parent"], _fields(text)["position"]) == (shelf["top"], "2")
    assert {shelf["middle"], shelf["deep"]} <= {value for value, _, _ in _options(text)}

    # A top-level category: "The top level" is its place; its whole subtree is left out, and
    # the name a person gave is shown as text, never as markup.
    text = _dialog(organiser, f"/portal/categories/{shelf['tricky']}/move").text
    assert (_fields(text)["parent"], _fields(text)["position"]) == ("", "3")
    assert not any(selected for _, selected, _ in _options(text))
    assert "<b>" not in text and "Move Tricky &lt;b&gt;" in text
    text = _dialog(organiser, f"/portal/categories/{shelf['top']}/move").text
    assert [value for value, _, _ in _options(text)] == ["", shelf["other"], shelf["tricky"]]
    assert _fields(text)["position"] == "1"


def test_an_articles_form_offers_every_category_with_its_own_preselected(
    site: Site, project: Project, shelf: dict[str, str]
) -> None:
    editor = site.signed_in(Role.EDITOR)
    text = _dialog(editor, f"/portal/articles/{shelf['between']}/move").text
    assert _found(ACTION, text) == f"/portal/articles/{shelf['between']}/move"
    assert _found(SELECT, text) == "category"
    assert '<h2 id="move-title">Move Between</h2>' in text
    assert "The top level" not in text  # an article lives in a category
    assert [value for value, _, _ in _options(text)] == [
        shelf[name] for name in ("top", "middle", "deep", "second", "other", "tricky")
    ]
    assert [value for value, selected, _ in _options(text) if selected] == [shelf["middle"]]
    fields = _fields(text)
    assert fields["csrf_token"] == csrf_of(text)
    assert (fields["ws"], fields["lang"], fields["position"]) == (project.workspace_id, "en", "2")
    for name, position in (("first", "1"), ("last", "3")):
        text = _dialog(editor, f"/portal/articles/{shelf[name]}/move").text
        assert _fields(text)["position"] == position, name


def test_who_may_fetch_the_form(site: Site, project: Project, shelf: dict[str, str]) -> None:
    paths = (
        f"/portal/categories/{shelf['middle']}/move",
        f"/portal/articles/{shelf['first']}/move",
    )
    writer = site.signed_in(Role.DRAFT_WRITER)
    assert writer.get("/portal").status_code == 200  # writes drafts, but cannot organise
    reader = site.signed_in(Role.READER)
    for path in paths:
        for someone in (writer, reader):
            answer = someone.get(path, headers=FRAGMENT)
            assert answer.status_code == 403, path
            assert "Your role does not allow this" in answer.text
            assert "move-to" not in answer.text and "move-position" not in answer.text
        answer = writer.get(path)
        assert answer.status_code == 403, path
        # Signed out: to the sign-in form, which comes back to the form afterwards.
        answer = site.browser().get(path, headers=FRAGMENT)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/account/signin")
        assert "move-to" not in answer.text
    # ...and the move handlers the form posts to answer them the same way.
    for path, data in (
        (paths[0], {"parent": "", "position": "1"}),
        (paths[1], {"category": shelf["other"], "position": "1"}),
    ):
        token = csrf_of(writer.get("/portal").text)
        answer = writer.client.post(
            path, data={"csrf_token": token, **data}, follow_redirects=False
        )
        assert answer.status_code == 403, path
    assert _children(project, shelf["top"]) == [shelf["middle"], shelf["second"]]


def test_an_id_that_is_not_there_is_not_found(
    site: Site, project: Project, shelf: dict[str, str]
) -> None:
    editor = site.signed_in(Role.EDITOR)
    token, foreign_ws = project.other_project()
    foreign_category = _category(project, "Theirs", ws=foreign_ws, token=token)
    with project.session() as session:
        foreign_project = session.get(ProjectVersion, foreign_ws).project_id
        author = workspaces.create_user(
            session, foreign_project, email="them@example.com", first_name="Them"
        ).id
    foreign_article = _article(
        project, "Theirs", foreign_category, ws=foreign_ws, token=token, user=author
    )
    second_ws = _add_workspace(project)
    elsewhere_category = _category(project, "Elsewhere", ws=second_ws)
    elsewhere_article = _article(project, "Elsewhere", elsewhere_category, ws=second_ws)
    for kind, ids in (
        (
            "categories",
            ("nope", "x" * 5000, foreign_category, elsewhere_category, shelf["first"]),
        ),
        ("articles", ("nope", "x" * 5000, foreign_article, elsewhere_article, shelf["middle"])),
    ):
        for item_id in ids:
            path = f"/portal/{kind}/{item_id}/move"
            answer = editor.get(path, headers=FRAGMENT)
            assert answer.status_code == 404, (path[:80], answer.text[:300])
            assert answer.text.startswith('<p class="problem">'), answer.text[:300]
            assert "no longer exists" in answer.text and "move-to" not in answer.text
    # A path no id has: the themed page, before any query.
    for kind in ("categories", "articles"):
        answer = editor.get(f"/portal/{kind}/%00/move", headers=FRAGMENT)
        assert answer.status_code == 404 and "move-to" not in answer.text
    # Asked on the other workspace's desk, its own items are there to move, among its own.
    text = _dialog(editor, f"/portal/categories/{elsewhere_category}/move?ws={second_ws}").text
    assert _options(text) == [("", False, "The top level")]
    assert _fields(text)["ws"] == second_ws
    text = _dialog(editor, f"/portal/articles/{elsewhere_article}/move?ws=v2").text
    assert _options(text) == [(elsewhere_category, True, "Elsewhere")]
    assert (_fields(text)["ws"], _fields(text)["position"]) == (second_ws, "1")
    assert editor.get(f"/portal/categories/{shelf['top']}/move?ws=nope").status_code == 404


def test_the_form_posted_back_moves_the_category(
    site: Site, project: Project, shelf: dict[str, str]
) -> None:
    editor = site.signed_in(Role.EDITOR)
    path = f"/portal/categories/{shelf['middle']}/move"
    # Sent as it comes, the form leaves the category where it is.
    text = _dialog(editor, path).text
    assert _send(editor, text, _fields(text)).status_code == 204
    assert _children(project, shelf["top"]) == [shelf["middle"], shelf["second"]]

    fields = {**_fields(text), "parent": shelf["other"], "position": "1"}
    assert _send(editor, text, fields).status_code == 204
    assert _children(project, shelf["top"]) == [shelf["second"]]
    assert _children(project, shelf["other"]) == [shelf["middle"]]
    moved = _api_category(project, shelf["middle"])
    assert (moved["parent_category_id"], moved["order"]) == (shelf["other"], 0)
    assert [c["id"] for c in moved["child_categories"]] == [shelf["deep"]]  # its subtree too

    # The form fetched again shows the new place; to the top level, second place.
    text = _dialog(editor, path).text
    assert (_fields(text)["parent"], _fields(text)["position"]) == (shelf["other"], "1")
    assert _send(editor, text, {**_fields(text), "parent": "", "position": "2"}).status_code == 204
    assert _children(project, None) == [
        shelf["top"],
        shelf["middle"],
        shelf["other"],
        shelf["tricky"],
    ]
    assert _api_category(project, shelf["middle"])["parent_category_id"] is None
    text = _dialog(editor, path).text
    assert (_fields(text)["parent"], _fields(text)["position"]) == ("", "2")

    # A place the form never offers, forged in: refused with the reason, nothing moves.
    for forged in (shelf["middle"], shelf["deep"]):
        answer = _send(editor, text, {**_fields(text), "parent": forged})
        assert answer.status_code == 400
        assert "under itself or one of its descendants" in answer.text
    assert _api_category(project, shelf["middle"])["parent_category_id"] is None

    # Without scripts it is a plain form: the handler answers with the category's screen.
    fields = {**_fields(text), "parent": shelf["top"], "position": "3"}
    answer = editor.client.post(path, data=fields, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].startswith(f"/portal/categories/{shelf['middle']}?")
    assert _children(project, shelf["top"]) == [shelf["second"], shelf["middle"]]


def test_the_form_posted_back_moves_the_article(
    site: Site, project: Project, shelf: dict[str, str]
) -> None:
    editor = site.signed_in(Role.EDITOR)
    first, between, last = shelf["first"], shelf["between"], shelf["last"]
    text = _dialog(editor, f"/portal/articles/{last}/move").text
    assert _send(editor, text, _fields(text)).status_code == 204  # as it comes: stays
    assert _articles(project, shelf["middle"]) == [first, between, last]

    assert _send(editor, text, {**_fields(text), "position": "1"}).status_code == 204
    assert _articles(project, shelf["middle"]) == [last, first, between]

    text = _dialog(editor, f"/portal/articles/{between}/move").text
    assert _fields(text)["position"] == "3"
    fields = {**_fields(text), "category": shelf["tricky"], "position": "1"}
    assert _send(editor, text, fields).status_code == 204
    assert _articles(project, shelf["middle"]) == [last, first]
    assert _articles(project, shelf["tricky"]) == [between]
    moved = project.get(f"/v2/Articles/{between}/en").json()["data"]
    assert moved["category_id"] == shelf["tricky"]
    text = _dialog(editor, f"/portal/articles/{between}/move").text
    assert (_fields(text)["category"], _fields(text)["position"]) == (shelf["tricky"], "1")

    answer = _send(editor, text, {**_fields(text), "position": "0"})
    assert answer.status_code == 400 and "1 or more" in answer.text
    answer = _send(editor, text, {**_fields(text), "category": "nope"})
    assert answer.status_code == 400
    assert _articles(project, shelf["tricky"]) == [between]
