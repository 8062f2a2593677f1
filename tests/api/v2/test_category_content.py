"""/v2/Categories page bodies: content, revisions, fork, publish, merge codes, bulk writes."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conformance.official import assert_conforms

CONTENT = "/v2/Categories/{categoryId}/content/{langCode}"
VERSIONS = "/v2/Categories/{categoryId}/{langCode}versions"
VERSIONS_OLD = "/v2/Categories/{categoryId}/versions"
VERSION = "/v2/Categories/{categoryId}/versions/{langCode}/{versionNumber}"
VERSION_OLD = "/v2/Categories/{categoryId}/versions/{versionNumber}"
PUBLISH = "/v2/Categories/{categoryId}/{langCode}/publish"
PUBLISH_OLD = "/v2/Categories/{categoryId}/publish"
DELETE_VERSION = "/v2/Categories/{categoryId}/{langCode}/version/{versionNumber}"
DELETE_VERSION_OLD = "/v2/Categories/{categoryId}/version/{versionNumber}"
BULK_DELETE_VERSIONS = "/v2/Categories/bulkdelete-category-versions"
FORK = "/v2/Categories/{categoryId}/fork"
ENVELOPE_KEYS = {"extension_data", "success", "errors", "warnings", "information"}


# --- helpers --------------------------------------------------------------------------------


def create_page(
    project: Any, name: str = "Welcome", content: str | None = "Hello", category_type: int = 1
) -> str:
    body: dict[str, Any] = {
        "name": name,
        "project_version_id": project.workspace_id,
        "category_type": category_type,
        "user_id": project.owner_id,
    }
    if content is not None:
        body["content"] = content
    response = project.post("/v2/Categories", json=body)
    assert_conforms(response, "POST", "/v2/Categories")
    assert response.status_code == 200, response.text
    category_id: str = response.json()["data"]["id"]
    return category_id


def create_folder(project: Any, name: str = "Folder") -> str:
    response = project.post(
        "/v2/Categories", json={"name": name, "project_version_id": project.workspace_id}
    )
    assert response.status_code == 200
    category_id: str = response.json()["data"]["id"]
    return category_id


def get_content(project: Any, category_id: str, lang: str = "en", **params: Any) -> Any:
    response = project.get(f"/v2/Categories/{category_id}/content/{lang}", params=params)
    assert_conforms(response, "GET", CONTENT)
    return response


def page(project: Any, category_id: str, lang: str = "en", **params: Any) -> dict[str, Any]:
    response = get_content(project, category_id, lang, **params)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["category"]
    return data


def put_content(project: Any, category_id: str, body: Any, lang: str = "en", **kw: Any) -> Any:
    response = project.put(f"/v2/Categories/{category_id}/content/{lang}", json=body, **kw)
    assert_conforms(response, "PUT", CONTENT)
    return response


def saved(project: Any, category_id: str, body: Any, lang: str = "en") -> dict[str, Any]:
    response = put_content(project, category_id, body, lang)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def publish(project: Any, category_id: str, version: int, lang: str = "en") -> Any:
    response = project.post(
        f"/v2/Categories/{category_id}/{lang}/publish",
        json={"version_number": version, "user_id": project.owner_id},
    )
    assert_conforms(response, "POST", PUBLISH)
    return response


def versions(project: Any, category_id: str, lang: str = "en") -> Any:
    response = project.get(f"/v2/Categories/{category_id}/{lang}versions")
    assert_conforms(response, "GET", VERSIONS)
    return response


def version_numbers(project: Any, category_id: str, lang: str = "en") -> list[int]:
    response = versions(project, category_id, lang)
    assert response.status_code == 200, response.text
    return [v["version_number"] for v in response.json()["versions"]]


def fork(project: Any, category_id: str, body: Any) -> Any:
    response = project.put(f"/v2/Categories/{category_id}/fork", json=body)
    assert_conforms(response, "PUT", FORK)
    return response


def error_of(response: Any) -> str:
    description: str = response.json()["errors"][0]["description"]
    return description


def extension_post(project: Any, route: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST a Lorebase-extension merge code; those routes are not in the official document."""
    response = project.post(route, json={"project_version_id": project.workspace_id, **body})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    payload = response.json()
    assert ENVELOPE_KEYS | {"data"} == set(payload)
    assert payload["success"] is True
    assert payload["errors"] == []
    data: dict[str, Any] = payload["data"]
    return data


def published_v1_with_draft_v2(project: Any) -> str:
    category = create_page(project, content="First words")
    assert publish(project, category, 1).status_code == 200
    saved(project, category, {"content": "Second words"})
    return category


# --- reading and writing page content -----------------------------------------------------


def test_page_content_has_the_documented_shape(project):
    category = create_page(project, name="IndexPage", content="Some *content*", category_type=2)
    response = get_content(project, category)
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert "data" not in body  # the payload key of this route is `category`
    data = body["category"]
    assert data["id"] == category
    assert data["title"] == "IndexPage"
    assert data["content"] == "Some *content*"
    assert data["html_content"].strip() == "<p>Some <em>content</em></p>"
    assert data["project_document_version_id"] == project.workspace_id
    assert data["parent_category_id"] is None
    assert data["version_number"] == 1
    assert data["public_version"] == 0
    assert data["latest_version"] == 1
    assert data["status"] == 0
    assert data["slug"] == "indexpage"
    assert data["is_fall_back_content"] is False
    assert data["created_by"] == project.owner_id
    assert [a["id"] for a in data["authors"]] == [project.owner_id]
    assert data["content_type"] == "Markdown"
    assert data["is_block_editor"] is False


def test_html_content_is_rendered_from_the_markdown(project):
    category = create_page(
        project, content="# Title\n\nSome **bold** and a [link](https://example.com).\n\n- one"
    )
    html = page(project, category)["html_content"]
    assert re.search(r"<h1[^>]*>Title</h1>", html)
    assert "<strong>bold</strong>" in html
    assert re.search(r'<a href="https://example.com"[^>]*>link</a>', html)
    assert "<li>one</li>" in html


def test_html_content_is_sanitised(project):
    category = create_page(project, content='Hi <script>alert(1)</script><img src=x onerror="x()">')
    html = page(project, category)["html_content"]
    assert "<script" not in html
    assert "onerror" not in html


@pytest.mark.parametrize(
    ("content_type", "name", "block"), [(1, "Wysiwyg", False), ("block", "Block", True)]
)
def test_content_type_is_the_editor_name(project, content_type, name, block):
    response = project.post(
        "/v2/Categories",
        json={
            "name": "Html page",
            "project_version_id": project.workspace_id,
            "category_type": 1,
            "content_type": content_type,
            "content": "<p>Hi <b>there</b></p><script>alert(1)</script>",
        },
    )
    assert_conforms(response, "POST", "/v2/Categories")
    category = response.json()["data"]["id"]
    data = page(project, category)
    # The .NET enum names the spec's descriptions give: Markdown, Wysiwyg, Block.
    assert data["content_type"] == name
    assert data["is_block_editor"] is block
    assert "<b>there</b>" in data["html_content"]
    assert "<script" not in data["html_content"]


def test_page_created_without_content_has_an_empty_first_version(project):
    category = create_page(project, content=None)
    data = page(project, category)
    assert data["version_number"] == 1
    assert not data["content"]


def test_saving_a_draft_edits_it_in_place(project):
    category = create_page(project, content="Draft one")
    data = saved(project, category, {"content": "Draft two"})
    assert data["version_number"] == 1
    assert data["latest_version"] == 1
    assert data["public_version"] == 0
    assert data["status"] == 0
    assert data["category_id"] == category
    assert data["project_version_id"] == project.workspace_id
    assert data["content"] == "Draft two"
    assert page(project, category)["content"] == "Draft two"
    assert version_numbers(project, category) == [1]


def test_saving_over_a_published_revision_creates_a_new_draft(project):
    """The official example: published v1 edited -> v2, public 1, latest 2, status 0."""
    category = create_page(project, content="First words")
    assert publish(project, category, 1).status_code == 200

    data = saved(project, category, {"title": "Welcome v2", "content": "Second words"})

    assert data["version_number"] == 2
    assert data["public_version"] == 1
    assert data["latest_version"] == 2
    assert data["status"] == 0
    assert data["title"] == "Welcome v2"
    assert data["content"] == "Second words"
    assert version_numbers(project, category) == [1, 2]


def test_is_published_chooses_between_public_and_latest_revision(project):
    category = published_v1_with_draft_v2(project)

    public = page(project, category, isPublished="true")
    assert public["version_number"] == 1
    assert public["public_version"] == 1
    assert public["latest_version"] == 2
    assert public["status"] == 3
    assert public["content"] == "First words"

    latest = page(project, category, isPublished="false")
    assert latest["version_number"] == 2
    assert latest["public_version"] == 1
    assert latest["latest_version"] == 2
    assert latest["status"] == 0
    assert latest["content"] == "Second words"
    # isPublished defaults to false.
    assert page(project, category)["version_number"] == 2


def test_is_published_without_a_published_revision_serves_the_latest(project):
    # api-reference.md §4.2 documents this fallback for articles; pages share the rule.
    category = create_page(project, content="Never published")
    data = page(project, category, isPublished="true")
    assert data["version_number"] == 1
    assert data["public_version"] == 0
    assert data["status"] == 0


def test_saving_a_named_older_version_that_is_not_published_edits_it(project):
    category = published_v1_with_draft_v2(project)
    fork(project, category, {"version_number": 1, "user_id": project.owner_id, "lang_code": "en"})
    data = saved(project, category, {"content": "Fixed v2", "version_number": 2})
    assert data["version_number"] == 2
    assert data["latest_version"] == 3
    response = project.get(f"/v2/Categories/{category}/versions/en/2")
    assert response.json()["category"]["content"] == "Fixed v2"


def test_saving_a_missing_version_is_refused(project):
    category = create_page(project)
    response = put_content(project, category, {"content": "x", "version_number": 2})
    assert response.status_code == 400
    assert error_of(response) == (
        f"Category with Id {category} with the language code en does not contain version 2"
    )
    assert page(project, category)["content"] == "Hello"


def test_saving_the_title_renames_the_category(project):
    category = create_page(project, name="Old name")
    saved(project, category, {"title": "New name"})
    response = project.get(f"/v2/Categories/{category}")
    assert_conforms(response, "GET", "/v2/Categories/{categoryId}")
    assert response.json()["data"]["name"] == "New name"
    assert page(project, category)["title"] == "New name"


def test_saving_records_the_author(project):
    editor = project.add_user("writer@example.com", "Wanda")
    category = published_v1_with_draft_v2(project)
    data = saved(project, category, {"content": "By Wanda", "updated_by": editor})
    assert data["version_number"] == 2
    publish(project, category, 2)
    data = saved(project, category, {"content": "Wanda again", "updated_by": editor})
    assert data["version_number"] == 3
    assert data["created_by"] == editor
    assert {a["id"] for a in data["authors"]} == {project.owner_id, editor}


def test_saving_with_an_unknown_author_is_refused(project):
    category = create_page(project)
    response = put_content(project, category, {"content": "x", "updated_by": "stranger"})
    assert response.status_code == 400
    assert error_of(response) == "The user with id 'stranger' does not exist in your project."
    assert page(project, category)["content"] == "Hello"


@pytest.mark.parametrize("body", [{}, None, {"unknown": 1}])
def test_saving_without_a_body_is_refused(project, body):
    category = create_page(project)
    if body is None:
        response = project.put(f"/v2/Categories/{category}/content/en")
        assert_conforms(response, "PUT", CONTENT)
    else:
        response = put_content(project, category, body)
    assert response.status_code == 400
    assert error_of(response) == "A non-empty request body is required."


@pytest.mark.parametrize("body", [{"content": 5}, {"title": ["x"]}, {"version_number": "two"}])
def test_saving_wrongly_typed_fields_is_a_400(project, body):
    category = create_page(project)
    response = put_content(project, category, body)
    assert response.status_code == 400
    assert page(project, category)["content"] == "Hello"


def test_translation_option_is_accepted_as_a_string(project):
    category = create_page(project)
    data = saved(project, category, {"content": "x", "translation_option": "2"})
    assert data["content"] == "x"
    response = put_content(project, category, {"content": "y", "translation_option": "maybe"})
    assert response.status_code == 400


def test_content_of_unknown_category_is_a_404(project):
    response = get_content(project, "no-such-category")
    assert response.status_code == 404
    assert error_of(response) == "Category not found"
    response = put_content(project, "no-such-category", {"content": "x"})
    assert response.status_code == 404
    assert error_of(response) == "Category not found"


def test_content_of_another_projects_page_is_a_404(project):
    other_token, other_workspace = project.other_project()
    created = project.client.post(
        "/v2/Categories",
        headers={"api_token": other_token},
        json={
            "name": "Their page",
            "project_version_id": other_workspace,
            "category_type": 1,
            "content": "Secret body",
        },
    )
    theirs = created.json()["data"]["id"]
    response = get_content(project, theirs)
    assert response.status_code == 404
    assert "Secret" not in response.text
    response = put_content(project, theirs, {"content": "Overwritten"})
    assert response.status_code == 404
    still = project.client.get(
        f"/v2/Categories/{theirs}/content/en", headers={"api_token": other_token}
    )
    assert still.json()["category"]["content"] == "Secret body"


def test_content_of_a_folder_is_refused(project):
    folder = create_folder(project)
    response = get_content(project, folder)
    assert response.status_code == 400
    response = put_content(project, folder, {"content": "x"})
    assert response.status_code == 400


def test_content_in_unknown_language_is_refused(project):
    category = create_page(project)
    response = get_content(project, category, "xx")
    assert response.status_code == 400
    assert error_of(response) == "Language code not found"
    response = put_content(project, category, {"content": "x"}, lang="xx")
    assert response.status_code == 400
    assert error_of(response) == "Language code not found"


def test_missing_translation_falls_back_to_the_default_language(project):
    project.add_language("fr")
    category = create_page(project, content="English body")

    fallback = page(project, category, "fr")
    assert fallback["is_fall_back_content"] is True
    assert fallback["content"] == "English body"

    written = saved(project, category, {"title": "Bienvenue", "content": "Corps"}, lang="fr")
    assert written["is_fall_back_content"] is False
    assert written["version_number"] == 1

    french = page(project, category, "fr")
    assert french["is_fall_back_content"] is False
    assert french["content"] == "Corps"
    assert french["title"] == "Bienvenue"
    english = page(project, category, "en")
    assert english["content"] == "English body"
    assert english["is_fall_back_content"] is False
    # Each language has its own revisions.
    assert version_numbers(project, category, "fr") == [1]
    publish(project, category, 1, "fr")
    assert page(project, category, "en")["public_version"] == 0


def test_language_code_in_the_path_is_case_insensitive(project):
    project.add_language("fr")
    category = create_page(project)
    saved(project, category, {"content": "Corps"}, lang="FR")
    assert page(project, category, "fr")["content"] == "Corps"


# --- merge codes ------------------------------------------------------------------------------


def test_is_for_display_resolves_variables_nested_snippets_and_glossary(project):
    extension_post(project, "/v2/Variables", {"name": "Product", "value": "Acme KB"})
    extension_post(
        project, "/v2/Snippets", {"name": "Inner", "content": "inner {{variable.Product}}"}
    )
    extension_post(
        project, "/v2/Snippets", {"name": "Outer", "content": "outer **bold** {{snippet.Inner}}"}
    )
    extension_post(
        project,
        "/v2/Glossary",
        {"name": "SLA", "term": "Service level", "definition": "What we promise."},
    )
    source = "Use {{variable.Product}}. {{snippet.Outer}}. See {{glossary.SLA}}."
    category = create_page(project, content=source)

    shown = page(project, category, isForDisplay="true")

    assert shown["content"] == "Use Acme KB. outer **bold** inner Acme KB. See Service level."
    assert shown["html_content"].strip() == (
        "<p>Use Acme KB. outer <strong>bold</strong> inner Acme KB. See Service level.</p>"
    )

    raw = page(project, category, isForDisplay="false")
    assert raw["content"] == source
    assert "{{variable.Product}}" in raw["html_content"]
    assert page(project, category)["content"] == source


def test_a_language_specific_variable_wins_for_that_language(project):
    project.add_language("fr")
    extension_post(project, "/v2/Variables", {"name": "Greeting", "value": "Hello"})
    extension_post(
        project, "/v2/Variables", {"name": "Greeting", "value": "Bonjour", "language_code": "fr"}
    )
    category = create_page(project, content="{{variable.Greeting}} world")
    saved(project, category, {"content": "{{variable.Greeting}} monde"}, lang="fr")

    assert page(project, category, "en", isForDisplay=True)["content"] == "Hello world"
    assert page(project, category, "fr", isForDisplay=True)["content"] == "Bonjour monde"


def test_unknown_merge_codes_are_left_visible(project):
    category = create_page(project, content="Hi {{variable.Nobody}}")
    assert page(project, category, isForDisplay=True)["content"] == "Hi {{variable.Nobody}}"


def test_published_revision_is_resolved_for_display_too(project):
    extension_post(project, "/v2/Variables", {"name": "Product", "value": "Acme"})
    category = create_page(project, content="v1 {{variable.Product}}")
    publish(project, category, 1)
    saved(project, category, {"content": "v2 {{variable.Product}}"})
    shown = page(project, category, isPublished=True, isForDisplay=True)
    assert shown["content"] == "v1 Acme"


def test_saving_content_never_stores_resolved_merge_codes(project):
    extension_post(project, "/v2/Variables", {"name": "Product", "value": "Acme"})
    category = create_page(project, content="{{variable.Product}}")
    page(project, category, isForDisplay=True)
    data = saved(project, category, {"title": "Renamed"})
    assert data["content"] == "{{variable.Product}}"


# --- versions ---------------------------------------------------------------------------------


def test_version_list_uses_the_versions_payload_key(project):
    category = published_v1_with_draft_v2(project)
    response = versions(project, category)
    assert response.status_code == 200
    body = response.json()
    assert "data" not in body
    listed = body["versions"]
    assert [v["version_number"] for v in listed] == [1, 2]
    assert [v["status"] for v in listed] == [3, 0]
    assert [v["base_version"] for v in listed] == [0, 1]
    # The official examples show the author's display name here.
    assert listed[0]["created_by"] not in (None, project.owner_id)


def test_deprecated_version_list_reads_the_default_language(project):
    project.add_language("fr")
    category = published_v1_with_draft_v2(project)
    saved(project, category, {"content": "fr"}, lang="fr")
    response = project.get(f"/v2/Categories/{category}/versions")
    assert_conforms(response, "GET", VERSIONS_OLD)
    assert response.status_code == 200
    assert [v["version_number"] for v in response.json()["versions"]] == [1, 2]
    assert version_numbers(project, category, "fr") == [1]


def test_version_list_of_unknown_category_is_a_404(project):
    response = versions(project, "no-such-category")
    assert response.status_code == 404
    assert error_of(response) == "Category not found"
    response = project.get("/v2/Categories/no-such-category/versions")
    assert_conforms(response, "GET", VERSIONS_OLD)
    assert response.status_code == 404
    assert error_of(response) == "Category not found"


def test_version_list_in_unknown_language_is_refused(project):
    category = create_page(project)
    response = versions(project, category, "xx")
    assert response.status_code == 400
    assert error_of(response) == "Language code not found"


def test_version_list_path_is_case_insensitive(project):
    category = create_page(project)
    response = project.get(f"/V2/categories/{category}/ENVERSIONS")
    assert_conforms(response, "GET", VERSIONS)
    assert response.status_code == 200
    assert [v["version_number"] for v in response.json()["versions"]] == [1]


def test_get_by_version_on_current_and_deprecated_routes(project):
    category = published_v1_with_draft_v2(project)
    for number, content in ((1, "First words"), (2, "Second words")):
        current = project.get(f"/v2/Categories/{category}/versions/en/{number}")
        assert_conforms(current, "GET", VERSION)
        assert current.status_code == 200
        data = current.json()["category"]
        assert data["version_number"] == number
        assert data["content"] == content
        assert data["public_version"] == 1
        assert data["latest_version"] == 2
        assert data["status"] == (3 if number == 1 else 0)

        old = project.get(f"/v2/Categories/{category}/versions/{number}")
        assert_conforms(old, "GET", VERSION_OLD)
        assert old.status_code == 200
        assert old.json()["category"]["content"] == content


def test_get_by_version_resolves_merge_codes_for_display(project):
    extension_post(project, "/v2/Variables", {"name": "Product", "value": "Acme"})
    category = create_page(project, content="{{variable.Product}}")
    response = project.get(
        f"/v2/Categories/{category}/versions/en/1", params={"isForDisplay": "true"}
    )
    assert_conforms(response, "GET", VERSION)
    assert response.json()["category"]["content"] == "Acme"


def test_get_missing_version_is_the_documented_400(project):
    category = create_page(project)
    message = f"Category with Id {category} with the language code en does not contain version 2"
    current = project.get(f"/v2/Categories/{category}/versions/en/2")
    assert_conforms(current, "GET", VERSION)
    assert current.status_code == 400
    assert error_of(current) == message
    old = project.get(f"/v2/Categories/{category}/versions/2")
    assert_conforms(old, "GET", VERSION_OLD)
    assert old.status_code == 400
    assert error_of(old) == message


def test_get_version_of_unknown_category_is_a_404(project):
    response = project.get("/v2/Categories/nope/versions/en/1")
    assert_conforms(response, "GET", VERSION)
    assert response.status_code == 404
    assert error_of(response) == "Category not found"


@pytest.mark.parametrize("number", ["two", "0", "-1"])
def test_get_version_with_bad_number_is_a_400(project, number):
    category = create_page(project)
    response = project.get(f"/v2/Categories/{category}/versions/en/{number}")
    assert_conforms(response, "GET", VERSION)
    assert response.status_code == 400


# --- fork ---------------------------------------------------------------------------------------


def test_fork_creates_a_new_draft_from_the_named_version(project):
    category = create_page(project, content="Original")
    publish(project, category, 1)
    response = fork(
        project, category, {"version_number": 1, "user_id": project.owner_id, "lang_code": "en"}
    )
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["version_number"] == 2
    assert data["base_version"] == 1
    assert data["status"] == 0

    latest = page(project, category)
    assert latest["version_number"] == 2
    assert latest["content"] == "Original"
    assert latest["public_version"] == 1
    assert version_numbers(project, category) == [1, 2]


def test_fork_of_an_older_version_copies_that_version(project):
    category = published_v1_with_draft_v2(project)
    data = fork(
        project, category, {"version_number": 1, "user_id": project.owner_id, "lang_code": "en"}
    ).json()["data"]
    assert data["version_number"] == 3
    assert data["base_version"] == 1
    assert page(project, category)["content"] == "First words"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"version_number": 1, "user_id": "OWNER"}, "The LangCode field is required."),
        (
            {"version_number": 1, "user_id": "OWNER", "lang_code": ""},
            "The LangCode field is required.",
        ),
        (
            {"version_number": 5, "user_id": "OWNER", "lang_code": "en"},
            "Cannot fork version number 5, it does not exist in your project",
        ),
        (
            {"version_number": 1, "user_id": "stranger", "lang_code": "en"},
            "The user with id 'stranger' does not exist in your project.",
        ),
        ({"version_number": 1, "lang_code": "en"}, "The UserId field is required."),
        ({"version_number": 1, "user_id": "OWNER", "lang_code": "xx"}, "Language code not found"),
    ],
)
def test_fork_errors_use_the_documented_texts(project, body, message):
    body = dict(body)  # parameters are shared between database runs
    category = create_page(project)
    if body.get("user_id") == "OWNER":
        body["user_id"] = project.owner_id
    response = fork(project, category, body)
    assert response.status_code == 400
    assert error_of(response) == message
    assert version_numbers(project, category) == [1]


@pytest.mark.parametrize("body", [None, {}])
def test_fork_without_a_body_is_refused(project, body):
    category = create_page(project)
    response = fork(project, category, body)
    assert response.status_code == 400
    assert version_numbers(project, category) == [1]


def test_fork_of_unknown_category_is_a_404(project):
    response = fork(
        project, "nope", {"version_number": 1, "user_id": project.owner_id, "lang_code": "en"}
    )
    assert response.status_code == 404
    assert error_of(response) == "Category not found"


# --- publish ------------------------------------------------------------------------------------


def test_publish_on_the_current_route(project):
    category = create_page(project, content="Ready")
    response = publish(project, category, 1)
    assert response.status_code == 200
    assert response.json()["success"] is True
    data = page(project, category, isPublished=True)
    assert data["status"] == 3
    assert data["public_version"] == 1
    tree = project.get(f"/v2/ProjectVersions/{project.workspace_id}/categories").json()["data"]
    assert tree[0]["status"] == 3


def test_publish_on_the_deprecated_route_uses_the_default_language(project):
    project.add_language("fr")
    category = create_page(project, content="Ready")
    saved(project, category, {"content": "Prêt"}, lang="fr")
    response = project.post(
        f"/v2/Categories/{category}/publish",
        json={"version_number": 1, "user_id": project.owner_id, "publish_message": "Go"},
    )
    assert_conforms(response, "POST", PUBLISH_OLD)
    assert response.status_code == 200
    assert page(project, category, "en")["public_version"] == 1
    assert page(project, category, "fr")["public_version"] == 0


def test_publishing_an_older_version_makes_it_public(project):
    category = published_v1_with_draft_v2(project)
    assert publish(project, category, 2).status_code == 200
    assert page(project, category, isPublished=True)["content"] == "Second words"
    assert publish(project, category, 1).status_code == 200
    public = page(project, category, isPublished=True)
    assert public["version_number"] == 1
    assert public["content"] == "First words"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"version_number": 0, "user_id": "OWNER"},
            "The field VersionNumber must be between 1 and 32767.",
        ),
        (
            {"version_number": 32768, "user_id": "OWNER"},
            "The field VersionNumber must be between 1 and 32767.",
        ),
        ({"user_id": "OWNER"}, "The field VersionNumber must be between 1 and 32767."),
        ({"version_number": 1}, "The UserId field is required."),
        ({"version_number": 1, "user_id": ""}, "The UserId field is required."),
        (
            {"version_number": 1, "user_id": "stranger"},
            "The user with id 'stranger' does not exist in your project.",
        ),
    ],
)
@pytest.mark.parametrize("route", ["current", "deprecated"])
def test_publish_errors_use_the_documented_texts(project, body, message, route):
    body = dict(body)  # parameters are shared between database runs
    category = create_page(project)
    if body.get("user_id") == "OWNER":
        body["user_id"] = project.owner_id
    if route == "current":
        response = project.post(f"/v2/Categories/{category}/en/publish", json=body)
        assert_conforms(response, "POST", PUBLISH)
    else:
        response = project.post(f"/v2/Categories/{category}/publish", json=body)
        assert_conforms(response, "POST", PUBLISH_OLD)
    assert response.status_code == 400
    assert error_of(response) == message
    assert page(project, category)["public_version"] == 0


def test_publishing_a_missing_version_is_refused(project):
    category = create_page(project)
    response = publish(project, category, 9)
    assert response.status_code == 400
    assert error_of(response) == (
        f"Category with Id {category} with the language code en does not contain version 9"
    )


def test_publishing_the_published_version_again_is_refused(project):
    category = create_page(project)
    publish(project, category, 1)
    response = publish(project, category, 1)
    assert response.status_code == 400
    assert "already been published" in error_of(response)


def test_publish_of_unknown_category_is_a_404(project):
    response = publish(project, "nope", 1)
    assert response.status_code == 404
    assert error_of(response) == "Category not found."


def test_publish_of_a_folder_is_refused(project):
    folder = create_folder(project)
    assert publish(project, folder, 1).status_code == 400


# --- deleting versions --------------------------------------------------------------------------


def three_versions(project: Any, publish_last: bool = True) -> str:
    category = published_v1_with_draft_v2(project)
    publish(project, category, 2)
    saved(project, category, {"content": "Third words"})
    if publish_last:
        publish(project, category, 3)
    assert version_numbers(project, category) == [1, 2, 3]
    return category


def test_delete_version_on_the_current_route(project):
    category = three_versions(project)
    response = project.delete(f"/v2/Categories/{category}/en/version/1")
    assert_conforms(response, "DELETE", DELETE_VERSION)
    assert response.status_code == 200
    assert response.json()["success"] is True
    assert version_numbers(project, category) == [2, 3]
    gone = project.get(f"/v2/Categories/{category}/versions/en/1")
    assert gone.status_code == 400


def test_delete_version_on_the_deprecated_route(project):
    category = three_versions(project)
    response = project.delete(f"/v2/Categories/{category}/version/2")
    assert_conforms(response, "DELETE", DELETE_VERSION_OLD)
    assert response.status_code == 200
    assert version_numbers(project, category) == [1, 3]


def test_deleting_the_latest_draft_makes_the_previous_one_latest(project):
    category = published_v1_with_draft_v2(project)
    response = project.delete(f"/v2/Categories/{category}/en/version/2")
    assert response.status_code == 200
    data = page(project, category)
    assert data["version_number"] == 1
    assert data["latest_version"] == 1
    assert data["status"] == 3


@pytest.mark.parametrize("route", ["current", "deprecated"])
def test_the_last_version_cannot_be_deleted(project, route):
    category = create_page(project)
    if route == "current":
        response = project.delete(f"/v2/Categories/{category}/en/version/1")
        assert_conforms(response, "DELETE", DELETE_VERSION)
    else:
        response = project.delete(f"/v2/Categories/{category}/version/1")
        assert_conforms(response, "DELETE", DELETE_VERSION_OLD)
    assert response.status_code == 400
    assert error_of(response) == "Last Version cannot be deleted"
    assert version_numbers(project, category) == [1]


def test_deleting_a_missing_version_is_invalid_category_version(project):
    category = published_v1_with_draft_v2(project)
    response = project.delete(f"/v2/Categories/{category}/en/version/7")
    assert_conforms(response, "DELETE", DELETE_VERSION)
    assert response.status_code == 400
    assert error_of(response) == "Invalid Category Version"


def test_the_published_version_cannot_be_deleted(project):
    category = published_v1_with_draft_v2(project)
    response = project.delete(f"/v2/Categories/{category}/en/version/1")
    assert_conforms(response, "DELETE", DELETE_VERSION)
    assert response.status_code == 400
    assert version_numbers(project, category) == [1, 2]


def test_delete_version_of_unknown_category_is_a_404(project):
    response = project.delete("/v2/Categories/nope/en/version/1")
    assert_conforms(response, "DELETE", DELETE_VERSION)
    assert response.status_code == 404
    assert error_of(response) == "Invalid CategoryId"


def bulk_delete_versions(project: Any, category_id: str, numbers: list[Any], lang: str = "en"):
    response = project.delete(
        BULK_DELETE_VERSIONS,
        params=[("categoryId", category_id), ("langCode", lang)]
        + [("categoryVersionNumbers", n) for n in numbers],
    )
    assert_conforms(response, "DELETE", BULK_DELETE_VERSIONS)
    return response


def test_bulk_delete_versions_with_repeated_query_parameters(project):
    category = three_versions(project)
    response = bulk_delete_versions(project, category, [1, 2])
    assert response.status_code == 200
    body = response.json()
    assert body["category_id"] == category
    assert body["data"] == "Deleted category version(s) are 1,2"
    assert version_numbers(project, category) == [3]


@pytest.mark.parametrize("numbers", [[1, 9], [1, 3], [1, 2, 3]])
def test_bulk_delete_versions_deletes_nothing_when_one_fails(project, numbers):
    category = three_versions(project)
    response = bulk_delete_versions(project, category, numbers)
    assert response.status_code == 400
    assert version_numbers(project, category) == [1, 2, 3]


def test_bulk_delete_versions_of_unknown_category_is_a_404(project):
    response = bulk_delete_versions(project, "nope", [1])
    assert response.status_code == 404


def test_bulk_delete_versions_needs_the_numbers(project):
    category = three_versions(project)
    response = project.delete(
        BULK_DELETE_VERSIONS, params={"categoryId": category, "langCode": "en"}
    )
    assert_conforms(response, "DELETE", BULK_DELETE_VERSIONS)
    assert response.status_code == 400
    response = bulk_delete_versions(project, category, ["one"])
    assert response.status_code == 400
    assert version_numbers(project, category) == [1, 2, 3]


# --- bulk content update and bulk publish ----------------------------------------------------


def bulk_update(project: Any, items: Any) -> Any:
    response = project.put("/v2/Categories/bulkupdateContent", json=items)
    assert_conforms(response, "PUT", "/v2/Categories/bulkupdateContent")
    return response


def bulk_publish(project: Any, items: Any, lang: str = "en") -> Any:
    response = project.post(f"/v2/Categories/bulkpublish/{lang}", json=items)
    assert_conforms(response, "POST", "/v2/Categories/bulkpublish/{langCode}")
    return response


def test_bulk_update_content_saves_each_item(project):
    project.add_language("fr")
    first = create_page(project, name="First", content="one")
    second = create_page(project, name="Second", content="two")
    publish(project, second, 1)
    response = bulk_update(
        project,
        [
            {"category_id": first, "lang_code": "en", "content": "one, edited"},
            {"category_id": second, "lang_code": "en", "title": "Second v2", "content": "two v2"},
            {"category_id": first, "lang_code": "fr", "content": "un"},
        ],
    )
    assert response.status_code == 200
    results = response.json()["data"]
    assert [r["category_id"] for r in results] == [first, second, first]
    assert all(r["success"] for r in results)
    assert results[0]["details"] == f"Successfully updated category with an id {first}"
    assert page(project, first)["content"] == "one, edited"
    assert page(project, first, "fr")["content"] == "un"
    second_page = page(project, second)
    assert second_page["version_number"] == 2
    assert second_page["title"] == "Second v2"
    assert page(project, second, isPublished=True)["content"] == "two"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (
            {"category_id": "nope", "content": "x"},
            "Failed to update category with an id nope\r\nError: ",
        ),
        (
            {"category_id": "FIRST", "content": "x", "updated_by": "stranger"},
            "Failed to update category with an id FIRST\r\nError: "
            "The user with id 'stranger' does not exist in your project.",
        ),
        ({"content": "x"}, "The CategoryId field is required."),
        ({"category_id": "FOLDER", "content": "x"}, "Failed to update category with an id FOLDER"),
        (
            {"category_id": "FIRST", "content": "x", "version_number": 4},
            "Failed to update category with an id FIRST\r\nError: Category with Id FIRST with "
            "the language code en does not contain version 4",
        ),
    ],
)
def test_bulk_update_content_with_one_bad_item_writes_nothing(project, bad, message):
    bad = dict(bad)  # parameters are shared between database runs
    first = create_page(project, name="First", content="one")
    second = create_page(project, name="Second", content="two")
    folder = create_folder(project)
    for key, value in list(bad.items()):
        if value == "FIRST":
            bad[key] = first
        elif value == "FOLDER":
            bad[key] = folder
    message = message.replace("FIRST", first).replace("FOLDER", folder)
    response = bulk_update(
        project,
        [
            {"category_id": first, "lang_code": "en", "content": "changed"},
            {"category_id": second, "lang_code": "en", "content": "changed"},
            bad,
        ],
    )
    assert response.status_code == 400
    assert error_of(response).startswith(message)
    assert page(project, first)["content"] == "one"
    assert page(project, second)["content"] == "two"


@pytest.mark.parametrize("body", [[], None, {"category_id": "x"}])
def test_bulk_update_content_needs_a_non_empty_list(project, body):
    response = bulk_update(project, body)
    assert response.status_code == 400


def test_bulk_publish_publishes_every_item(project):
    first = create_page(project, name="First", content="one")
    second = published_v1_with_draft_v2(project)
    response = bulk_publish(
        project,
        [
            {"category_id": first, "user_id": project.owner_id, "version_number": 1},
            {
                "category_id": second,
                "user_id": project.owner_id,
                "version_number": 2,
                "publish_message": "v2",
            },
        ],
    )
    assert response.status_code == 200
    results = response.json()["data"]
    assert results == [
        {"category_id": first, "success": True, "details": "Bulk Publish Success"},
        {"category_id": second, "success": True, "details": "Bulk Publish Success"},
    ]
    assert page(project, first, isPublished=True)["public_version"] == 1
    assert page(project, second, isPublished=True)["content"] == "Second words"


def test_bulk_publish_in_another_language(project):
    project.add_language("fr")
    category = create_page(project)
    saved(project, category, {"content": "Bonjour"}, lang="fr")
    response = bulk_publish(
        project,
        [{"category_id": category, "user_id": project.owner_id, "version_number": 1}],
        lang="fr",
    )
    assert response.status_code == 200
    assert page(project, category, "fr")["public_version"] == 1
    assert page(project, category, "en")["public_version"] == 0


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"user_id": "OWNER", "version_number": 1}, "The CategoryId field is required."),
        ({"category_id": "SECOND", "version_number": 1}, "The UserId field is required."),
        (
            {"category_id": "SECOND", "user_id": "OWNER", "version_number": 0},
            "The field VersionNumber must be between 1 and 32767.",
        ),
        (
            {"category_id": "SECOND", "user_id": "OWNER"},
            "The field VersionNumber must be between 1 and 32767.",
        ),
        (
            {"category_id": "SECOND", "user_id": "stranger", "version_number": 1},
            "Failed to publish category with an id SECOND\r\nError: "
            "The user with id 'stranger' does not exist in your project.",
        ),
        (
            {"category_id": "nope", "user_id": "OWNER", "version_number": 1},
            "Failed to publish category with an id nope\r\nError: Category not found.",
        ),
        (
            {"category_id": "SECOND", "user_id": "OWNER", "version_number": 3},
            "Failed to publish category with an id SECOND\r\nError: Category with Id SECOND "
            "with the language code en does not contain version 3",
        ),
    ],
)
def test_bulk_publish_with_one_bad_item_publishes_nothing(project, bad, message):
    bad = dict(bad)  # parameters are shared between database runs
    first = create_page(project, name="First")
    second = create_page(project, name="Second")
    for key, value in list(bad.items()):
        if value == "OWNER":
            bad[key] = project.owner_id
        elif value == "SECOND":
            bad[key] = second
    message = message.replace("SECOND", second)
    response = bulk_publish(
        project,
        [{"category_id": first, "user_id": project.owner_id, "version_number": 1}, bad],
    )
    assert response.status_code == 400
    assert error_of(response) == message
    assert page(project, first)["public_version"] == 0
    assert page(project, second)["public_version"] == 0


@pytest.mark.parametrize("body", [[], None])
def test_bulk_publish_needs_a_non_empty_list(project, body):
    response = bulk_publish(project, body)
    assert response.status_code == 400
    assert error_of(response) == "A non-empty request body is required."


def test_bulk_publish_in_unknown_language_publishes_nothing(project):
    category = create_page(project)
    response = bulk_publish(
        project,
        [{"category_id": category, "user_id": project.owner_id, "version_number": 1}],
        lang="xx",
    )
    assert response.status_code == 400
    assert "Language code not found" in error_of(response)
    assert page(project, category)["public_version"] == 0


# --- paths --------------------------------------------------------------------------------------


def test_content_routes_are_case_insensitive(project):
    category = create_page(project, content="Body")
    response = project.put(f"/V2/CATEGORIES/{category}/CONTENT/en", json={"content": "Edited"})
    assert_conforms(response, "PUT", CONTENT)
    assert response.status_code == 200
    response = project.get(f"/v2/categories/{category}/content/EN")
    assert_conforms(response, "GET", CONTENT)
    assert response.json()["category"]["content"] == "Edited"
    response = project.post(
        f"/v2/categories/{category}/en/PUBLISH",
        json={"version_number": 1, "user_id": project.owner_id},
    )
    assert_conforms(response, "POST", PUBLISH)
    assert response.status_code == 200
    response = project.get(f"/v2/CATEGORIES/{category}/VERSIONS/en/1")
    assert_conforms(response, "GET", VERSION)
    assert response.json()["category"]["status"] == 3
