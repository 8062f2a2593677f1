"""The portal's variables, snippets and glossary: listed as the API made them, created, edited
and deleted through forms (the API sees the result, published pages show it), refusals next to
the field, per-language values, escaping, roles; and the editor's merge-code picker data."""

from __future__ import annotations

import re
from typing import Any

import pytest

from lorebase.auth.roles import Role
from tests.conftest import Project
from tests.web.conftest import Browser, Site, csrf_of

API = {"variable": "/v2/Variables", "snippet": "/v2/Snippets", "glossary": "/v2/Glossary"}
API_VALUE = {"variable": "value", "snippet": "content", "glossary": "term"}
SCREEN = {
    "variable": "/portal/variables",
    "snippet": "/portal/snippets",
    "glossary": "/portal/glossary",
}
SCRIPT = "<script>alert(1)</script>"
BAD_NAME = '"><img src=x onerror=alert(1)>'


def _api_create(project: Project, kind: str, name: str, value: str = "x", **extra: Any) -> str:
    body = {"project_version_id": project.workspace_id, "name": name, API_VALUE[kind]: value}
    answer = project.post(API[kind], json={**body, **extra})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["data"]["id"])


def _api_list(project: Project, kind: str) -> list[dict[str, Any]]:
    answer = project.get(API[kind], params={"projectVersionId": project.workspace_id})
    assert answer.status_code == 200, answer.text
    return list(answer.json()["data"])


def _post(browser: Browser, path: str, data: dict[str, str]) -> Any:
    token = csrf_of(browser.get("/account").text)
    return browser.client.post(path, data={"csrf_token": token, **data}, follow_redirects=False)


def _picker(browser: Browser, **params: str) -> Any:
    return browser.get("/portal/merge-codes.json", params=params)


# --- listing ------------------------------------------------------------------------------


def test_the_screens_list_what_the_api_made_with_the_code_to_paste(
    site: Site, project: Project
) -> None:
    _api_create(project, "variable", "product", "Lorebase & co")
    _api_create(project, "snippet", "warning", "<b>Careful</b>\n\nTwo lines", is_html=True)
    _api_create(project, "snippet", "long", "x" * 500)
    _api_create(project, "glossary", "API", "API", definition="A way in for programs.")
    editor = site.signed_in(Role.EDITOR)

    variables = editor.get("/portal/variables")
    assert variables.status_code == 200
    assert "{{variable.product}}" in variables.text
    assert "Lorebase &amp; co" in variables.text and "All languages" in variables.text
    assert 'aria-current="page">Variables<' in variables.text

    snippets = editor.get("/portal/snippets").text
    assert "{{snippet.warning}}" in snippets
    # The source, escaped, never the rendered HTML.
    assert "&lt;b&gt;Careful&lt;/b&gt;" in snippets and "<b>Careful</b>" not in snippets
    assert ">HTML<" in snippets and ">Markdown<" in snippets
    assert "x" * 200 + "…" in snippets and "x" * 201 not in snippets

    glossary = editor.get("/portal/glossary").text
    assert "{{glossary.API}}" in glossary and "A way in for programs." in glossary
    assert "product" not in glossary  # each kind keeps to its own screen


def test_a_list_shows_the_desk_languages_entries_and_points_to_the_others(
    site: Site, project: Project
) -> None:
    project.add_language("fr")
    _api_create(project, "variable", "greeting", "Hello")
    _api_create(project, "variable", "greeting", "Bonjour", language_code="fr")
    _api_create(project, "variable", "only_fr", "Seulement", language_code="fr")
    editor = site.signed_in(Role.EDITOR)
    english = editor.get("/portal/variables").text
    assert "Hello" in english and "Bonjour" not in english and "only_fr" not in english
    assert "fr (2)" in english
    french = editor.get("/portal/variables?lang=fr").text
    assert "Hello" in french and "Bonjour" in french and "fr only" in french
    assert "fr has its own value" in french
    assert editor.get("/portal/variables?lang=de").status_code == 404
    assert editor.get("/portal/variables?ws=nope").status_code == 404


# --- forms --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(API))
def test_an_entry_is_created_edited_and_deleted_through_the_forms(
    site: Site, project: Project, kind: str
) -> None:
    editor = site.signed_in(Role.EDITOR)
    screen = SCREEN[kind]
    created = _post(
        editor,
        screen,
        {"name": " Product ", "value": "Lorebase", "definition": "Ours.", "is_html": "true"},
    )
    assert created.status_code == 303, created.text
    assert created.headers["location"].startswith(f"{screen}?ws=")
    (entry,) = _api_list(project, kind)
    assert (entry["name"], entry[API_VALUE[kind]], entry["language_code"]) == (
        "Product",
        "Lorebase",
        None,
    )
    if kind == "snippet":
        assert entry["is_html"] is True
    if kind == "glossary":
        assert entry["definition"] == "Ours."
    listed = editor.get(created.headers["location"])
    assert "It is created." in listed.text and "{{" + kind + ".Product}}" in listed.text

    form = editor.get(f"{screen}/{entry['id']}")
    assert form.status_code == 200
    assert 'value="Product"' in form.text and "Lorebase" in form.text

    changed = _post(editor, f"{screen}/{entry['id']}", {"name": "Product2", "value": "Lorebase 2"})
    assert changed.status_code == 303, changed.text
    (entry,) = _api_list(project, kind)
    assert (entry["name"], entry[API_VALUE[kind]]) == ("Product2", "Lorebase 2")
    if kind == "snippet":
        assert entry["is_html"] is False  # the box was left unticked
    if kind == "glossary":
        assert entry["definition"] == ""
    assert "The change is saved" in editor.get(changed.headers["location"]).text

    deleted = _post(editor, f"{screen}/{entry['id']}/delete", {})
    assert deleted.status_code == 303
    assert _api_list(project, kind) == []
    assert _post(editor, f"{screen}/{entry['id']}/delete", {}).status_code == 404
    assert editor.get(f"{screen}/{entry['id']}").status_code == 404
    assert _post(editor, f"{screen}/{entry['id']}", {"name": "x"}).status_code == 404


def test_refusals_are_shown_next_to_their_field_with_what_was_typed(
    site: Site, project: Project
) -> None:
    _api_create(project, "variable", "product", "Lorebase")
    editor = site.signed_in(Role.EDITOR)

    duplicate = _post(editor, "/portal/variables", {"name": "product", "value": "Typed again"})
    assert duplicate.status_code == 400
    assert 'id="name" name="name" value="product"' in duplicate.text
    assert 'aria-invalid="true" aria-describedby="name-hint name-problem"' in duplicate.text
    assert re.search(r'id="name-problem" class="field-problem">[^<]*already exists', duplicate.text)
    assert 'value="Typed again"' in duplicate.text
    assert len(_api_list(project, "variable")) == 1

    spaced = _post(editor, "/portal/variables", {"name": "has space", "value": "v"})
    assert spaced.status_code == 400 and "letters, digits" in spaced.text
    empty = _post(editor, "/portal/variables", {})
    assert empty.status_code == 400 and 'id="name-problem"' in empty.text
    too_long = _post(editor, "/portal/variables", {"name": "big", "value": "v" * 301})
    assert too_long.status_code == 400
    assert re.search(r'id="value-problem" class="field-problem">[^<]*300', too_long.text)
    huge_name = _post(editor, "/portal/variables", {"name": "n" * 5000})
    assert huge_name.status_code == 400
    no_such_language = _post(editor, "/portal/variables", {"name": "x", "language": "zz"})
    assert no_such_language.status_code == 400 and 'id="language-problem"' in no_such_language.text

    other = _api_create(project, "variable", "other")
    renamed = _post(editor, f"/portal/variables/{other}", {"name": "product", "value": "v"})
    assert renamed.status_code == 400 and 'id="name-problem"' in renamed.text
    assert [e["name"] for e in _api_list(project, "variable")] == ["other", "product"]

    assert editor.get("/portal/variables/" + "x" * 5000).status_code == 404
    assert _post(editor, "/portal/variables/" + "x" * 5000, {"name": "a"}).status_code == 404
    # A NUL cannot be stored (PostgreSQL) and is dropped rather than failing the request.
    nul = _post(editor, "/portal/variables", {"name": "nul", "value": "a\0b"})
    assert nul.status_code == 303
    assert any(e["value"] == "ab" for e in _api_list(project, "variable"))


def test_a_value_for_one_language_is_made_beside_the_global_one(
    site: Site, project: Project
) -> None:
    project.add_language("fr")
    editor = site.signed_in(Role.EDITOR)
    assert (
        _post(editor, "/portal/variables", {"name": "greeting", "value": "Hello"}).status_code
        == 303
    )
    french = {"name": "greeting", "value": "Bonjour", "language": "fr", "lang": "fr"}
    answer = _post(editor, "/portal/variables", french)
    assert answer.status_code == 303, answer.text
    assert "lang=fr" in answer.headers["location"]
    entries = _api_list(project, "variable")
    assert [(e["language_code"], e["value"]) for e in entries] == [
        (None, "Hello"),
        ("fr", "Bonjour"),
    ]
    again = _post(editor, "/portal/variables", french)
    assert again.status_code == 400 and "already exists for language fr" in again.text
    assert '<option value="fr" selected>' in again.text

    # The picker gives each language its own value.
    (english,) = _picker(editor, q="greeting").json()
    (in_french,) = _picker(editor, q="greeting", lang="fr").json()
    assert (english["preview"], in_french["preview"]) == ("Hello", "Bonjour")


def test_a_change_made_in_the_portal_shows_on_the_published_page(
    site: Site, project: Project
) -> None:
    variable = _api_create(project, "variable", "product", "Lorebase")
    category = project.post(
        "/v2/Categories", json={"name": "Docs", "project_version_id": project.workspace_id}
    ).json()["data"]["id"]
    created = project.post(
        "/v2/Articles",
        json={
            "title": "Welcome",
            "content": "Welcome to {{variable.product}}.",
            "category_id": category,
            "project_version_id": project.workspace_id,
            "user_id": project.owner_id,
        },
    )
    article = created.json()["data"]["id"]
    published = project.post(
        f"/v2/Articles/{article}/en/publish",
        json={"user_id": project.owner_id, "version_number": 1},
    )
    assert published.status_code == 200, published.text

    def shown() -> str:
        answer = project.get(f"/v2/Articles/{article}/en", params={"isForDisplay": "true"})
        assert answer.status_code == 200, answer.text
        return str(answer.json()["data"]["html_content"])

    assert "Welcome to Lorebase." in shown()
    editor = site.signed_in(Role.EDITOR)
    changed = _post(
        editor, f"/portal/variables/{variable}", {"name": "product", "value": "Lorebase 2"}
    )
    assert changed.status_code == 303
    assert "Welcome to Lorebase 2." in shown()


# --- escaping -----------------------------------------------------------------------------


def test_nothing_typed_is_shown_unescaped_on_any_of_these_screens(
    site: Site, project: Project
) -> None:
    snippet = _api_create(project, "snippet", "danger", SCRIPT, is_html=True)
    _api_create(project, "snippet", "danger_md", SCRIPT)
    term = _api_create(project, "glossary", "XSS", SCRIPT, definition=SCRIPT)
    variable = _api_create(project, "variable", "v", SCRIPT)
    editor = site.signed_in(Role.EDITOR)
    pages = [
        editor.get("/portal/variables"),
        editor.get("/portal/snippets"),
        editor.get("/portal/glossary"),
        editor.get(f"/portal/snippets/{snippet}"),
        editor.get(f"/portal/glossary/{term}"),
        editor.get(f"/portal/variables/{variable}"),
        _post(editor, "/portal/snippets", {"name": BAD_NAME, "value": SCRIPT, "is_html": "true"}),
        _post(
            editor, "/portal/glossary", {"name": BAD_NAME, "value": SCRIPT, "definition": SCRIPT}
        ),
        _post(editor, "/portal/variables", {"name": BAD_NAME, "value": SCRIPT}),
        _post(editor, f"/portal/snippets/{snippet}", {"name": BAD_NAME, "value": SCRIPT}),
        _post(editor, f"/portal/glossary/{term}", {"name": BAD_NAME, "definition": SCRIPT}),
        editor.get("/portal/variables", params={"ws": BAD_NAME}),
        editor.get("/portal/variables", params={"lang": BAD_NAME}),
        editor.get(f"/portal/variables/{BAD_NAME}"),
    ]
    for answer in pages:
        assert answer.status_code in (200, 400, 404), answer.url
        assert SCRIPT not in answer.text, answer.url
        assert "<img src=x" not in answer.text, answer.url
    refused = pages[8]
    assert "&gt;&lt;img src=x onerror=alert(1)&gt;" in refused.text
    assert "&lt;script&gt;" in refused.text


# --- roles --------------------------------------------------------------------------------


def test_draft_writers_use_the_picker_but_cannot_manage_merge_codes(
    site: Site, project: Project
) -> None:
    variable = _api_create(project, "variable", "product", "Lorebase")
    writer = site.signed_in(Role.DRAFT_WRITER)
    for path in (*SCREEN.values(), f"/portal/variables/{variable}"):
        answer = writer.get(path)
        assert answer.status_code == 403, path
        assert "Your role does not allow this" in answer.text
    for path in (
        "/portal/variables",
        f"/portal/variables/{variable}",
        f"/portal/variables/{variable}/delete",
    ):
        assert _post(writer, path, {"name": "taken", "value": "x"}).status_code == 403
    assert [e["value"] for e in _api_list(project, "variable")] == ["Lorebase"]
    assert 'href="/portal/variables' not in writer.get("/portal").text

    picker = _picker(writer)
    assert picker.status_code == 200
    assert picker.headers["content-type"] == "application/json"
    assert picker.json() == [
        {
            "kind": "variable",
            "name": "product",
            "code": "{{variable.product}}",
            "preview": "Lorebase",
        }
    ]
    reader = site.signed_in(Role.READER)
    assert _picker(reader).status_code == 403
    editor = site.signed_in(Role.EDITOR)
    assert 'href="/portal/variables?ws=' in editor.get("/portal").text


# --- the picker's data --------------------------------------------------------------------


def test_the_picker_lists_prefix_matches_first_and_at_most_fifty(
    site: Site, project: Project
) -> None:
    _api_create(project, "variable", "MainProduct", "The main one")
    _api_create(project, "variable", "ProductName", "Lorebase " * 30)
    _api_create(project, "snippet", "product-note", "<p>A <b>note</b> &amp; more</p>", is_html=True)
    _api_create(project, "snippet", "md", "**Bold** text")
    _api_create(project, "glossary", "PROD", "Prod", definition="Production.")
    _api_create(project, "glossary", "API", "")
    for number in range(60):
        _api_create(project, "variable", f"v{number:02d}", f"value {number}")
    writer = site.signed_in(Role.DRAFT_WRITER)

    found = _picker(writer, q="prod").json()
    assert [(c["kind"], c["name"]) for c in found] == [
        ("glossary", "PROD"),
        ("snippet", "product-note"),
        ("variable", "ProductName"),
        ("variable", "MainProduct"),
    ]
    by_name = {c["name"]: c for c in found}
    assert by_name["product-note"]["code"] == "{{snippet.product-note}}"
    assert by_name["product-note"]["preview"] == "A note & more"
    assert by_name["PROD"]["preview"] == "Prod: Production."
    long_preview = by_name["ProductName"]["preview"]
    assert len(long_preview) <= 121 and long_preview.endswith("…")

    assert [c["name"] for c in _picker(writer, q="variable.prod").json()] == [
        "ProductName",
        "MainProduct",
    ]
    assert [c["name"] for c in _picker(writer, q="{{snippet.").json()] == ["md", "product-note"]
    assert _picker(writer, q="API").json()[0] == {
        "kind": "glossary",
        "name": "API",
        "code": "{{glossary.API}}",
        "preview": "API",
    }
    everything = _picker(writer).json()
    assert len(everything) == 50
    assert [c["name"] for c in everything[:3]] == ["API", "MainProduct", "md"]
    assert [c["name"] for c in _picker(writer, q="v").json()][:2] == ["v00", "v01"]
    assert _picker(writer, q="nothing-like-it").json() == []
    assert _picker(writer, q="x" * 10_000).status_code == 200


def test_the_picker_answers_unknown_places_with_a_json_404(site: Site, project: Project) -> None:
    writer = site.signed_in(Role.DRAFT_WRITER)
    for params in ({"ws": "nope"}, {"lang": "zz"}, {"ws": "x" * 5000, "lang": "y" * 5000}):
        answer = _picker(writer, **params)
        assert answer.status_code == 404, params
        assert answer.headers["content-type"] == "application/json"
        assert set(answer.json()) == {"error"} and answer.json()["error"]
