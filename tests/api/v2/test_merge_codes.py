"""/v2/Variables, /v2/Snippets, /v2/Glossary: Lorebase's merge-code extension routes.

They are not in the official document, so the v2 envelope is checked by hand here.
"""

from __future__ import annotations

from typing import Any

import pytest

ENVELOPE_KEYS = {"extension_data", "success", "errors", "warnings", "information"}
ERROR_KEYS = {"extension_data", "stack_trace", "description", "error_code", "custom_data"}
ROUTES = {"variable": "/v2/Variables", "snippet": "/v2/Snippets", "glossary": "/v2/Glossary"}
VALUE_KEY = {"variable": "value", "snippet": "content", "glossary": "term"}
KINDS = list(ROUTES)


def ok(response: Any, payload: bool = True) -> Any:
    """The success envelope: the five envelope fields plus `data` (none for a delete)."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == ENVELOPE_KEYS | ({"data"} if payload else set()), body
    assert body["success"] is True
    assert body["extension_data"] is None
    assert body["errors"] == [] and body["warnings"] == [] and body["information"] == []
    return body.get("data")


def failed(response: Any, status: int) -> str:
    """The error envelope: success false and one BaseError carrying the message."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == ENVELOPE_KEYS, body
    assert body["success"] is False
    assert body["warnings"] == [] and body["information"] == []
    (error,) = body["errors"]
    assert set(error) == ERROR_KEYS
    assert error["error_code"] == str(status)
    description: str = error["description"]
    assert description.strip()
    return description


def create(project: Any, kind: str, name: str, value: str = "x", **extra: Any) -> Any:
    body = {"project_version_id": project.workspace_id, "name": name, VALUE_KEY[kind]: value}
    return project.post(ROUTES[kind], json={**body, **extra})


def listed(project: Any, kind: str) -> list[dict[str, Any]]:
    response = project.get(ROUTES[kind], params={"projectVersionId": project.workspace_id})
    entries: list[dict[str, Any]] = ok(response)
    return entries


# --- create, read, list, update, delete -------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_an_entry_goes_through_its_whole_life(project, kind):
    route = ROUTES[kind]
    created = ok(create(project, kind, "Product_name-1", "Lorebase"))
    entry_id = created["id"]
    assert created["name"] == "Product_name-1"
    assert created["project_version_id"] == project.workspace_id
    assert created["language_code"] is None
    assert created["merge_code"] == f"{{{{{kind}.Product_name-1}}}}"
    assert created[VALUE_KEY[kind]] == "Lorebase"
    assert created["created_at"].endswith("Z")

    assert ok(project.get(f"{route}/{entry_id}")) == created
    assert listed(project, kind) == [created]

    updated = ok(project.put(f"{route}/{entry_id}", json={VALUE_KEY[kind]: "Lorebase 2"}))
    assert updated[VALUE_KEY[kind]] == "Lorebase 2"
    assert updated["name"] == "Product_name-1"
    renamed = ok(project.put(f"{route}/{entry_id}", json={"name": "Product"}))
    assert renamed["merge_code"] == f"{{{{{kind}.Product}}}}"
    assert ok(project.get(f"{route}/{entry_id}"))[VALUE_KEY[kind]] == "Lorebase 2"

    # Like the official deletes, a bare envelope.
    assert ok(project.delete(f"{route}/{entry_id}"), payload=False) is None
    assert failed(project.get(f"{route}/{entry_id}"), 404) == f"{kind.capitalize()} not found"
    failed(project.delete(f"{route}/{entry_id}"), 404)
    assert listed(project, kind) == []


def test_snippets_carry_is_html_and_glossary_terms_a_definition(project):
    snippet = ok(create(project, "snippet", "warning", "<b>Careful</b>", is_html=True))
    assert snippet["content"] == "<b>Careful</b>" and snippet["is_html"] is True
    plain = ok(create(project, "snippet", "note", "**Note**"))
    assert plain["is_html"] is False
    term = ok(create(project, "glossary", "API", "API", definition="A way in for programs."))
    assert term["definition"] == "A way in for programs."
    changed = ok(project.put(f"/v2/Glossary/{term['id']}", json={"definition": "Better."}))
    assert changed["definition"] == "Better." and changed["term"] == "API"
    toggled = ok(project.put(f"/v2/Snippets/{snippet['id']}", json={"is_html": False}))
    assert toggled["is_html"] is False


def test_lists_are_sorted_by_name_and_keep_kinds_apart(project):
    for name in ("zeta", "alpha", "mid"):
        ok(create(project, "variable", name))
    ok(create(project, "snippet", "beta"))
    assert [e["name"] for e in listed(project, "variable")] == ["alpha", "mid", "zeta"]
    assert [e["name"] for e in listed(project, "snippet")] == ["beta"]
    assert listed(project, "glossary") == []


def test_an_entry_is_not_reachable_through_another_kinds_route(project):
    variable = ok(create(project, "variable", "product"))
    for route in ("/v2/Snippets", "/v2/Glossary"):
        failed(project.get(f"{route}/{variable['id']}"), 404)
        failed(project.put(f"{route}/{variable['id']}", json={"name": "x"}), 404)
        failed(project.delete(f"{route}/{variable['id']}"), 404)
    assert ok(project.get(f"/v2/Variables/{variable['id']}"))["name"] == "product"


# --- global and per-language entries ---------------------------------------------------------


def test_one_name_can_be_global_and_per_language(project):
    project.add_language("fr")
    global_entry = ok(create(project, "variable", "greeting", "Hello"))
    french = ok(create(project, "variable", "greeting", "Bonjour", language_code="fr"))
    assert global_entry["language_code"] is None
    assert french["language_code"] == "fr"
    entries = listed(project, "variable")
    assert [(e["name"], e["language_code"]) for e in entries] == [
        ("greeting", None),
        ("greeting", "fr"),
    ]


def test_the_language_code_is_stored_as_the_workspace_spells_it(project):
    project.add_language("pt-BR")
    entry = ok(create(project, "variable", "x", language_code="PT-br"))
    assert entry["language_code"] == "pt-BR"


def test_a_per_language_value_wins_over_the_global_one_when_displayed(project):
    project.add_language("fr")
    ok(create(project, "variable", "product", "Lorebase"))
    ok(create(project, "variable", "product", "Lorebase FR", language_code="fr"))
    category = project.post(
        "/v2/Categories", json={"name": "Docs", "project_version_id": project.workspace_id}
    ).json()["data"]["id"]
    article = project.post(
        "/v2/Articles",
        json={
            "title": "Welcome",
            "content": "Welcome to {{variable.product}}.",
            "category_id": category,
            "project_version_id": project.workspace_id,
            "user_id": project.owner_id,
        },
    ).json()["data"]["id"]
    french = project.put(
        f"/v2/Articles/{article}/fr", json={"content": "Bienvenue dans {{variable.product}}."}
    )
    assert french.status_code == 200, french.text

    def shown(lang: str) -> str:
        response = project.get(f"/v2/Articles/{article}/{lang}", params={"isForDisplay": "true"})
        assert response.status_code == 200, response.text
        html: str = response.json()["data"]["html_content"]
        return html

    assert "Welcome to Lorebase." in shown("en")
    assert "Bienvenue dans Lorebase FR." in shown("fr")


# --- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "name", ["", "has space", "dot.name", "braces}}", "ümlaut", "x" * 51, "slash/name"]
)
def test_a_name_outside_the_rules_is_a_400(project, kind, name):
    description = failed(create(project, kind, name), 400)
    assert "letters, digits" in description
    assert listed(project, kind) == []


@pytest.mark.parametrize("name", ["a", "A-b_C9", "x" * 50, "123", "-_-"])
def test_names_of_letters_digits_dash_underscore_up_to_50_are_accepted(project, name):
    assert ok(create(project, "variable", name))["name"] == name


def test_a_missing_name_is_a_400(project):
    response = project.post(
        "/v2/Variables", json={"project_version_id": project.workspace_id, "value": "v"}
    )
    assert "Name" in failed(response, 400)


def test_a_variable_value_is_at_most_300_characters(project):
    assert ok(create(project, "variable", "long", "v" * 300))["value"] == "v" * 300
    description = failed(create(project, "variable", "longer", "v" * 301), 400)
    assert "300" in description
    entry = listed(project, "variable")[0]
    too_long = project.put(f"/v2/Variables/{entry['id']}", json={"value": "w" * 301})
    assert "300" in failed(too_long, 400)
    assert ok(project.get(f"/v2/Variables/{entry['id']}"))["value"] == "v" * 300


def test_snippets_and_glossary_terms_have_no_300_character_limit(project):
    assert ok(create(project, "snippet", "big", "s" * 5000))["content"] == "s" * 5000
    term = ok(create(project, "glossary", "big", "t", definition="d" * 5000))
    assert term["definition"] == "d" * 5000


@pytest.mark.parametrize("kind", KINDS)
def test_a_duplicate_name_in_the_same_language_is_a_400(project, kind):
    first = ok(create(project, kind, "dup", "one"))
    description = failed(create(project, kind, "dup", "two"), 400)
    assert "dup" in description and "already exists" in description
    assert [e["id"] for e in listed(project, kind)] == [first["id"]]


def test_a_duplicate_name_for_the_same_language_is_a_400_but_other_kinds_may_share_it(project):
    project.add_language("fr")
    ok(create(project, "variable", "dup", language_code="fr"))
    description = failed(create(project, "variable", "dup", language_code="FR"), 400)
    assert "language fr" in description
    ok(create(project, "snippet", "dup", language_code="fr"))
    ok(create(project, "glossary", "dup"))


def test_renaming_onto_an_existing_name_is_a_400_and_changes_nothing(project):
    ok(create(project, "variable", "first"))
    second = ok(create(project, "variable", "second"))
    response = project.put(f"/v2/Variables/{second['id']}", json={"name": "first"})
    assert "already exists" in failed(response, 400)
    assert ok(project.get(f"/v2/Variables/{second['id']}"))["name"] == "second"
    # Renaming to its own name is not a clash.
    assert ok(project.put(f"/v2/Variables/{second['id']}", json={"name": "second"}))


def test_renaming_onto_a_name_used_in_another_language_is_allowed(project):
    project.add_language("fr")
    ok(create(project, "variable", "shared", language_code="fr"))
    mine = ok(create(project, "variable", "mine"))
    assert ok(project.put(f"/v2/Variables/{mine['id']}", json={"name": "shared"}))


def test_the_language_or_workspace_of_an_entry_cannot_be_changed(project):
    project.add_language("fr")
    entry = ok(create(project, "variable", "fixed"))
    moved = project.put(f"/v2/Variables/{entry['id']}", json={"language_code": "fr"})
    assert "cannot be changed" in failed(moved, 400)
    _, other_workspace = project.other_project()
    moved = project.put(
        f"/v2/Variables/{entry['id']}", json={"project_version_id": other_workspace}
    )
    assert "cannot be changed" in failed(moved, 400)
    assert ok(project.get(f"/v2/Variables/{entry['id']}"))["language_code"] is None


def test_a_language_the_workspace_lacks_is_a_400(project):
    description = failed(create(project, "variable", "x", language_code="de"), 400)
    assert description == "Language code not found"


def test_an_unknown_workspace_is_a_400_on_create(project):
    response = project.post(
        "/v2/Variables", json={"project_version_id": "nope", "name": "x", "value": "v"}
    )
    assert failed(response, 400) == (
        "The supplied project version id nope does not exist in your project"
    )


def test_a_missing_workspace_is_a_400_on_create(project):
    response = project.post("/v2/Variables", json={"name": "x", "value": "v"})
    assert failed(response, 400) == "The ProjectVersionId field is required."


def test_listing_an_unknown_workspace_is_a_404_and_a_missing_one_a_400(project):
    unknown = project.get("/v2/Variables", params={"projectVersionId": "nope"})
    assert "does not exist" in failed(unknown, 404)
    missing = project.get("/v2/Variables")
    assert failed(missing, 400) == "The ProjectVersionId field is required."


@pytest.mark.parametrize("body", [None, {}])
def test_create_and_update_need_a_body(project, body):
    entry = ok(create(project, "variable", "x"))
    response = project.post("/v2/Variables", json=body)
    assert failed(response, 400)
    response = project.put(f"/v2/Variables/{entry['id']}", json=body)
    assert failed(response, 400) == "A non-empty request body is required."


@pytest.mark.parametrize(
    "body",
    [{"name": 5}, {"name": ["x"]}, {"value": {"a": 1}}, {"is_html": "sometimes"}],
)
def test_wrong_field_types_are_a_400(project, body):
    response = project.post(
        "/v2/Snippets", json={"project_version_id": project.workspace_id, "name": "n", **body}
    )
    failed(response, 400)
    assert listed(project, "snippet") == []


def test_updating_an_unknown_entry_is_a_404(project):
    failed(project.put("/v2/Variables/nope", json={"value": "v"}), 404)


# --- another project ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_another_projects_entries_are_404_to_this_project(project, kind):
    other_token, other_workspace = project.other_project()
    headers = {"api_token": other_token}
    theirs = project.client.post(
        ROUTES[kind],
        json={"project_version_id": other_workspace, "name": "secret", VALUE_KEY[kind]: "s"},
        headers=headers,
    )
    entry = ok(theirs)
    route = f"{ROUTES[kind]}/{entry['id']}"
    failed(project.get(route), 404)
    failed(project.put(route, json={VALUE_KEY[kind]: "mine"}), 404)
    failed(project.delete(route), 404)
    listed_theirs = project.get(ROUTES[kind], params={"projectVersionId": other_workspace})
    failed(listed_theirs, 404)
    # Still intact for its owner.
    kept = ok(project.client.get(route, headers=headers))
    assert kept[VALUE_KEY[kind]] == "s"


def test_another_project_cannot_create_entries_in_this_workspace(project):
    other_token, _ = project.other_project()
    response = project.client.post(
        "/v2/Variables",
        json={"project_version_id": project.workspace_id, "name": "x", "value": "v"},
        headers={"api_token": other_token},
    )
    assert "does not exist in your project" in failed(response, 400)
    assert listed(project, "variable") == []


def test_extension_routes_need_a_token(project):
    response = project.client.get("/v2/Variables", params={"projectVersionId": "x"})
    failed(response, 401)
