"""/v2/Articles: create, read (raw and for display), update, delete, bulk operations, and the
flat article list of a workspace (GET /v2/ProjectVersions/{id}/articles)."""

from __future__ import annotations

from typing import Any

from lorebase.db.models import ProjectVersion
from lorebase.kb import workspaces
from tests.conformance.official import assert_conforms

CREATE = "/v2/Articles"
ARTICLE = "/v2/Articles/{articleId}/{langCode}"
DELETE = "/v2/Articles/{articleId}"
PUBLISH = "/v2/Articles/{articleId}/{langCode}/publish"
BULK_CREATE = "/v2/Articles/bulkcreate"
BULK_UPDATE = "/v2/Articles/bulkupdate"
BULK_DELETE = "/v2/Articles/bulkdelete"
BULK_PUBLISH = "/v2/Articles/bulkpublish/{langCode}"
WORKSPACE_ARTICLES = "/v2/ProjectVersions/{projectVersionId}/articles"
MISSING = "00000000-0000-0000-0000-000000000000"
VERSION_RANGE = "The field VersionNumber must be between 1 and 32767."


def error_of(response: Any) -> str:
    description: str = response.json()["errors"][0]["description"]
    return description


def new_category(project: Any, name: str = "Guides", workspace_id: str | None = None) -> str:
    response = project.post(
        "/v2/Categories",
        json={"name": name, "project_version_id": workspace_id or project.workspace_id},
    )
    assert response.status_code == 200, response.text
    category_id: str = response.json()["data"]["id"]
    return category_id


def article_body(project: Any, category_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "title": "Getting started",
        "category_id": category_id,
        "project_version_id": project.workspace_id,
        "user_id": project.owner_id,
        "content": "# Hello",
        **fields,
    }


def new_article(project: Any, category_id: str, **fields: Any) -> dict[str, Any]:
    return new_article_from(project, article_body(project, category_id, **fields))


def new_article_from(project: Any, body: dict[str, Any]) -> dict[str, Any]:
    response = project.post(CREATE, json=body)
    assert_conforms(response, "POST", CREATE)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def read(project: Any, article_id: str, lang: str = "en", **params: Any) -> Any:
    response = project.get(f"/v2/Articles/{article_id}/{lang}", params=params)
    assert_conforms(response, "GET", ARTICLE)
    return response


def publish(project: Any, article_id: str, version: int, lang: str = "en") -> Any:
    response = project.post(
        f"/v2/Articles/{article_id}/{lang}/publish",
        json={"user_id": project.owner_id, "version_number": version},
    )
    assert_conforms(response, "POST", PUBLISH)
    return response


def save(project: Any, article_id: str, lang: str = "en", **fields: Any) -> Any:
    response = project.put(f"/v2/Articles/{article_id}/{lang}", json=fields)
    assert_conforms(response, "PUT", ARTICLE)
    return response


def merge_code(project: Any, route: str, **fields: Any) -> dict[str, Any]:
    """Lorebase-extension routes are not in the official document: envelope checked by hand."""
    response = project.post(
        f"/v2/{route}", json={"project_version_id": project.workspace_id, **fields}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    assert body["errors"] == []
    assert {"extension_data", "warnings", "information"} <= set(body)
    data: dict[str, Any] = body["data"]
    return data


# --- POST /v2/Articles ---------------------------------------------------------------------


def test_created_article_is_an_unpublished_draft_at_revision_one(project):
    category_id = new_category(project)

    data = new_article(project, category_id, content_type=0, order=3)

    assert data["title"] == "Getting started"
    assert data["public_version"] == 0
    assert data["latest_version"] == 1
    assert data["status"] == 0
    assert data["order"] == 3
    assert data["content_type"] == 0
    assert data["language_code"] == "en"
    assert data["slug"] == "getting-started"
    stored = read(project, data["id"]).json()["data"]
    assert stored["content"] == "# Hello"
    assert stored["category_id"] == category_id
    assert stored["project_version_id"] == project.workspace_id
    assert stored["created_by"] == project.owner_id


def test_content_type_is_accepted_as_integer_or_name(project):
    category_id = new_category(project)
    for sent, stored in [(0, 0), (1, 1), (2, 2), ("markdown", 0), ("WYSIWYG", 1), ("Block", 2)]:
        data = new_article(project, category_id, content_type=sent)

        assert data["content_type"] == stored, sent
        assert read(project, data["id"]).json()["data"]["content_type"] == stored, sent


def test_article_without_a_category_is_created_at_the_workspace_root(project):
    body = article_body(project, new_category(project))
    del body["category_id"]

    data = new_article_from(project, body)

    assert read(project, data["id"]).json()["data"]["category_id"] is None


def test_articles_without_order_go_to_the_bottom_of_their_category(project):
    category_id = new_category(project)

    first = new_article(project, category_id, title="One")
    second = new_article(project, category_id, title="Two")

    assert second["order"] > first["order"]


def test_missing_title_is_refused_with_the_documented_text(project):
    category_id = new_category(project)
    for body in (
        article_body(project, category_id, title=None),
        article_body(project, category_id, title="   "),
        {k: v for k, v in article_body(project, category_id).items() if k != "title"},
    ):
        response = project.post(CREATE, json=body)
        assert_conforms(response, "POST", CREATE)
        assert response.status_code == 400
        assert error_of(response) == "The Title field is required."


def test_unknown_user_is_refused_with_the_documented_text(project):
    response = project.post(
        CREATE, json=article_body(project, new_category(project), user_id=MISSING)
    )

    assert_conforms(response, "POST", CREATE)
    assert response.status_code == 400
    assert error_of(response) == f"The user with id '{MISSING}' does not exist in your project."


def test_unknown_category_is_refused_with_the_documented_text(project):
    response = project.post(CREATE, json=article_body(project, MISSING))

    assert_conforms(response, "POST", CREATE)
    assert response.status_code == 400
    assert error_of(response) == f"Unable to find specified parent category with an id {MISSING}."


def test_category_of_another_project_is_an_unknown_category(project):
    token, other_workspace = project.other_project()
    created = project.client.post(
        "/v2/Categories",
        json={"name": "Theirs", "project_version_id": other_workspace},
        headers={"api_token": token},
    )
    foreign_category = created.json()["data"]["id"]

    response = project.post(CREATE, json=article_body(project, foreign_category))

    assert_conforms(response, "POST", CREATE)
    assert response.status_code == 400
    assert error_of(response) == (
        f"Unable to find specified parent category with an id {foreign_category}."
    )


def test_unknown_workspace_is_refused_with_the_documented_text(project):
    body = article_body(project, new_category(project), project_version_id=MISSING)

    response = project.post(CREATE, json=body)

    assert_conforms(response, "POST", CREATE)
    assert response.status_code == 400
    assert error_of(response) == (
        f"The supplied project version id {MISSING} does not exist in your project."
    )


def test_workspace_of_another_project_is_an_unknown_workspace(project):
    _, other_workspace = project.other_project()
    body = article_body(project, new_category(project), project_version_id=other_workspace)

    response = project.post(CREATE, json=body)

    assert response.status_code == 400
    assert error_of(response) == (
        f"The supplied project version id {other_workspace} does not exist in your project."
    )


def test_wrong_json_types_in_create_are_a_400_not_a_500(project):
    valid = article_body(project, new_category(project))
    for changes in (
        {"title": 42},
        {"title": ["a"]},
        {"order": "first"},
        {"order": 1.5},
        {"content_type": 7},
        {"content_type": "rich text"},
        {"content_type": True},
        {"user_id": {"id": "x"}},
        {"category_id": 12},
        {"content": False},
        {"article_type": 5},
    ):
        response = project.post(CREATE, json={**valid, **changes})

        assert_conforms(response, "POST", CREATE)
        assert response.status_code == 400, changes
        assert error_of(response)
    assert project.get(f"/v2/ProjectVersions/{project.workspace_id}/articles").json()["data"] == []


def test_a_body_that_is_not_an_object_is_a_400_not_a_500(project):
    for raw in (b"", b"[]", b'"title"', b"42", b"null", b"{not json", b'{"title": "x",}'):
        response = project.client.post(
            CREATE, content=raw, headers={**project.headers, "content-type": "application/json"}
        )

        assert_conforms(response, "POST", CREATE)
        assert response.status_code == 400, raw


def test_out_of_range_order_is_a_400_not_a_database_error(project):
    body = article_body(project, new_category(project), order=2**40)

    response = project.post(CREATE, json=body)

    assert_conforms(response, "POST", CREATE)
    assert response.status_code == 400
    assert error_of(response) == "The field Order must be between -2147483648 and 2147483647."


def test_overlong_title_is_a_400_not_a_database_error(project):
    body = article_body(project, new_category(project), title="T" * 501)

    response = project.post(CREATE, json=body)

    assert_conforms(response, "POST", CREATE)
    assert response.status_code == 400
    assert error_of(response) == "The field Title must be a string with a maximum length of 500."
    listed = project.get(f"/v2/ProjectVersions/{project.workspace_id}/articles")
    assert listed.json()["data"] == []


def test_same_title_twice_gets_a_unique_slug_within_the_workspace(project):
    guides, faq = new_category(project, "Guides"), new_category(project, "FAQ")

    first = new_article(project, guides, title="Getting started")
    second = new_article(project, faq, title="Getting started")
    third = new_article(project, guides, title="Getting  Started!")

    assert first["slug"] == "getting-started"
    assert second["slug"] != first["slug"]
    assert second["slug"].startswith("getting-started-")
    assert len({first["slug"], second["slug"], third["slug"]}) == 3
    listed = project.get(f"/v2/ProjectVersions/{project.workspace_id}/articles").json()["data"]
    assert sorted(a["slug"] for a in listed) == sorted(
        [first["slug"], second["slug"], third["slug"]]
    )


def test_slugs_are_unique_per_workspace_not_across_projects(project):
    mine = new_article(project, new_category(project), title="Getting started")
    token, other_workspace = project.other_project()
    other = {"api_token": token}
    with project.session() as session:
        other_project_id = session.get(ProjectVersion, other_workspace).project_id
        owner_id = workspaces.create_user(
            session, other_project_id, email="them@example.com", first_name="Them"
        ).id
    category = project.client.post(
        "/v2/Categories", json={"name": "G", "project_version_id": other_workspace}, headers=other
    ).json()["data"]["id"]

    theirs = project.client.post(
        CREATE,
        json={
            "title": "Getting started",
            "category_id": category,
            "project_version_id": other_workspace,
            "user_id": owner_id,
        },
        headers=other,
    )

    assert_conforms(theirs, "POST", CREATE)
    assert mine["slug"] == theirs.json()["data"]["slug"] == "getting-started"


# --- GET /v2/Articles/{id}/{lang} ------------------------------------------------------------


def test_get_returns_the_latest_revision_with_a_public_url(project):
    data = new_article(project, new_category(project))
    save(project, data["id"], content="Second draft")

    body = read(project, data["id"]).json()["data"]

    assert body["id"] == data["id"]
    assert body["version_number"] == 1
    assert body["content"] == "Second draft"
    assert body["url"].endswith("/docs/en/getting-started")
    assert body["url"].startswith("http")
    assert body["is_fall_back_content"] is False
    assert body["status"] == 0


def test_is_published_serves_the_published_revision_while_a_newer_draft_exists(project):
    data = new_article(project, new_category(project), content="Published text")
    publish(project, data["id"], 1)
    save(project, data["id"], content="Draft text")

    latest = read(project, data["id"], isPublished="false").json()["data"]
    published = read(project, data["id"], isPublished="true").json()["data"]

    assert (latest["version_number"], latest["content"], latest["status"]) == (2, "Draft text", 0)
    assert (published["version_number"], published["content"], published["status"]) == (
        1,
        "Published text",
        3,
    )
    assert published["public_version"] == 1
    assert published["latest_version"] == 2


def test_is_published_falls_back_to_the_latest_revision_when_nothing_is_published(project):
    data = new_article(project, new_category(project), content="Only a draft")

    response = read(project, data["id"], isPublished="true")

    assert response.status_code == 200
    body = response.json()["data"]
    assert body["version_number"] == 1
    assert body["content"] == "Only a draft"
    assert body["public_version"] == 0


def test_markdown_html_content_is_rendered_and_sanitised(project):
    markdown = "# Title\n\nSome **bold** text.\n\n<script>alert('x')</script>\n\n[a](javascript:x)"
    data = new_article(project, new_category(project), content=markdown, content_type="markdown")

    body = read(project, data["id"]).json()["data"]

    assert body["content"] == markdown
    assert ">Title</h1>" in body["html_content"]
    assert "<strong>bold</strong>" in body["html_content"]
    assert "<script" not in body["html_content"]
    assert "alert(" not in body["html_content"]
    assert "javascript:" not in body["html_content"]


def test_wysiwyg_html_content_is_the_sanitised_body(project):
    html = '<p onclick="steal()">Hi <b>there</b></p><script>alert(1)</script>'
    data = new_article(project, new_category(project), content=html, content_type=1)

    body = read(project, data["id"]).json()["data"]

    assert body["content_type"] == 1
    assert "<b>there</b>" in body["html_content"]
    assert "<script" not in body["html_content"]
    assert "onclick" not in body["html_content"]


def test_for_display_resolves_variables_nested_snippets_and_glossary_terms(project):
    merge_code(project, "Variables", name="Product", value="Lorebase")
    merge_code(project, "Snippets", name="Inner", content="support by {{variable.Product}}")
    merge_code(project, "Snippets", name="Outer", content="Ask for {{snippet.Inner}}.")
    merge_code(project, "Glossary", name="KB", term="knowledge base", definition="Docs site")
    markdown = "Welcome to {{variable.Product}}. {{snippet.Outer}} Our {{glossary.KB}}."
    data = new_article(project, new_category(project), content=markdown)

    raw = read(project, data["id"], isForDisplay="false").json()["data"]
    shown = read(project, data["id"], isForDisplay="true").json()["data"]

    assert raw["content"] == markdown
    assert "{{variable.Product}}" in raw["html_content"]
    assert shown["content"] == (
        "Welcome to Lorebase. Ask for support by Lorebase. Our knowledge base."
    )
    assert "Welcome to Lorebase." in shown["html_content"]
    assert "Ask for support by Lorebase." in shown["html_content"]
    assert "knowledge base" in shown["html_content"]
    assert "{{" not in shown["html_content"]


def test_for_display_glossary_term_in_a_wysiwyg_article_is_an_abbr(project):
    merge_code(project, "Glossary", name="SSO", term="SSO", definition="Single sign-on")
    data = new_article(
        project, new_category(project), content="<p>Use {{glossary.SSO}}.</p>", content_type=1
    )

    shown = read(project, data["id"], isForDisplay="true").json()["data"]

    assert '<abbr title="Single sign-on">SSO</abbr>' in shown["html_content"]


def test_for_display_prefers_the_language_value_over_the_global_one(project):
    project.add_language("fr")
    merge_code(project, "Variables", name="Greeting", value="Hello")
    merge_code(project, "Variables", name="Greeting", value="Bonjour", language_code="fr")
    data = new_article(project, new_category(project), content="{{variable.Greeting}} world")
    save(project, data["id"], "fr", title="Bienvenue", content="{{variable.Greeting}} monde")

    english = read(project, data["id"], "en", isForDisplay="true").json()["data"]
    french = read(project, data["id"], "fr", isForDisplay="true").json()["data"]

    assert english["content"] == "Hello world"
    assert french["content"] == "Bonjour monde"


def test_for_display_never_lets_a_script_from_a_snippet_into_html(project):
    merge_code(project, "Snippets", name="Evil", content="<script>alert(1)</script>", is_html=True)
    data = new_article(project, new_category(project), content="Before {{snippet.Evil}} after")

    shown = read(project, data["id"], isForDisplay="true").json()["data"]

    assert "<script" not in shown["html_content"]


def test_untranslated_language_falls_back_to_the_default_language(project):
    project.add_language("fr")
    data = new_article(project, new_category(project), content="English body")

    body = read(project, data["id"], "fr").json()["data"]

    assert body["is_fall_back_content"] is True
    assert body["content"] == "English body"
    assert body["title"] == "Getting started"


def test_translated_language_is_not_fall_back_content(project):
    project.add_language("fr")
    data = new_article(project, new_category(project))
    save(project, data["id"], "fr", title="Premiers pas", content="Corps")

    body = read(project, data["id"], "FR").json()["data"]

    assert body["is_fall_back_content"] is False
    assert (body["title"], body["content"]) == ("Premiers pas", "Corps")
    assert "/docs/fr/" in body["url"]


def test_unknown_article_is_a_404_with_the_documented_text(project):
    response = read(project, MISSING)

    assert response.status_code == 404
    assert error_of(response) == "Article not found"


def test_article_of_another_project_is_not_found(project):
    data = new_article(project, new_category(project))
    token, _ = project.other_project()

    response = project.client.get(f"/v2/Articles/{data['id']}/en", headers={"api_token": token})

    assert_conforms(response, "GET", ARTICLE)
    assert response.status_code == 404
    assert error_of(response) == "Article not found"


def test_unknown_language_is_a_400_with_the_documented_text(project):
    data = new_article(project, new_category(project))

    response = read(project, data["id"], "xx")

    assert response.status_code == 400
    assert error_of(response) == "Language code not found"


def test_non_boolean_query_flags_are_a_400(project):
    data = new_article(project, new_category(project))
    for param in ("isPublished", "isForDisplay", "appendSASToken"):
        response = read(project, data["id"], **{param: "perhaps"})

        assert response.status_code == 400, param


# --- GET /v2/Articles/{id} (no language segment) ---------------------------------------------
# Not in the official document; real clients call it (lorebase/api/v2/articles.py). Its answers
# are those of GET /v2/Articles/{id}/{lang}, so they are validated against that operation.


def read_without_language(project: Any, article_id: str, **params: Any) -> Any:
    response = project.get(f"/v2/Articles/{article_id}", params=params)
    assert_conforms(response, "GET", ARTICLE)
    return response


def test_get_without_a_language_answers_the_default_language_as_the_language_route_does(project):
    project.add_language("fr")
    data = new_article(project, new_category(project), content="English body")
    save(project, data["id"], "fr", title="Premiers pas", content="Corps")

    response = read_without_language(project, data["id"])

    assert response.status_code == 200
    assert response.json() == read(project, data["id"], "en").json()
    assert "/docs/en/" in response.json()["data"]["url"]


def test_get_without_a_language_takes_lang_code_published_and_display_flags(project):
    project.add_language("fr")
    data = new_article(project, new_category(project), content="Published **text**")
    publish(project, data["id"], 1)
    save(project, data["id"], content="Draft text")
    save(project, data["id"], "fr", title="Premiers pas", content="Corps")

    french = read_without_language(project, data["id"], langCode="fr").json()["data"]
    published = read_without_language(
        project, data["id"], isPublished="true", isForDisplay="true"
    ).json()["data"]

    assert (french["title"], french["content"]) == ("Premiers pas", "Corps")
    assert "/docs/fr/" in french["url"]
    assert (published["version_number"], published["status"]) == (1, 3)
    assert "<strong>text</strong>" in published["html_content"]


def test_get_without_a_language_of_an_unknown_article_or_language_is_refused_as_documented(
    project,
):
    data = new_article(project, new_category(project))

    missing = read_without_language(project, MISSING)
    unknown_language = read_without_language(project, data["id"], langCode="xx")
    token, _ = project.other_project()
    foreign = project.client.get(f"/v2/Articles/{data['id']}", headers={"api_token": token})

    assert (missing.status_code, error_of(missing)) == (404, "Article not found")
    assert (unknown_language.status_code, error_of(unknown_language)) == (
        400,
        "Language code not found",
    )
    assert (foreign.status_code, error_of(foreign)) == (404, "Article not found")


# --- PUT /v2/Articles/{id}/{lang} ------------------------------------------------------------


def test_update_changes_title_content_visibility_and_translation_option(project):
    data = new_article(project, new_category(project))

    response = save(
        project,
        data["id"],
        title="Renamed",
        content="New body",
        hidden=True,
        translation_option="1",
    )

    assert response.status_code == 200
    summary = response.json()["data"]
    assert summary["id"] == data["id"]
    assert summary["title"] == "Renamed"
    assert summary["hidden"] is True
    assert summary["translation_option"] == 1
    assert summary["latest_version"] == 1
    stored = read(project, data["id"]).json()["data"]
    assert (stored["title"], stored["content"], stored["hidden"]) == ("Renamed", "New body", True)
    assert stored["translation_option"] == 1
    assert stored["version_number"] == 1


def test_translation_option_is_accepted_as_string_name_or_integer(project):
    data = new_article(project, new_category(project))
    for sent, stored in [("0", 0), ("2", 2), ("needTranslation", 1), (3, 3)]:
        response = save(project, data["id"], translation_option=sent)

        assert response.json()["data"]["translation_option"] == stored, sent


def test_update_moves_the_article_to_another_category_and_order(project):
    guides, faq = new_category(project, "Guides"), new_category(project, "FAQ")
    moving = new_article(project, guides, title="Moving")
    first = new_article(project, faq, title="First")
    second = new_article(project, faq, title="Second")

    response = save(project, moving["id"], category_id=faq, order=1)

    assert response.status_code == 200
    assert read(project, moving["id"]).json()["data"]["category_id"] == faq
    tree = project.get(f"/v2/Categories/{faq}").json()["data"]
    assert [a["id"] for a in sorted(tree["articles"], key=lambda a: a["order"])] == [
        moving["id"],
        first["id"],
        second["id"],
    ]
    assert project.get(f"/v2/Categories/{guides}").json()["data"]["articles"] == []


def test_update_order_moves_within_the_category(project):
    category_id = new_category(project)
    ids = [new_article(project, category_id, title=t)["id"] for t in ("A", "B", "C")]

    save(project, ids[2], order=1)

    articles = project.get(f"/v2/Categories/{category_id}").json()["data"]["articles"]
    assert [a["id"] for a in sorted(articles, key=lambda a: a["order"])] == [ids[2], ids[0], ids[1]]


def test_update_with_an_empty_body_is_refused(project):
    data = new_article(project, new_category(project))

    for kwargs in ({"json": {}}, {}):
        response = project.put(f"/v2/Articles/{data['id']}/en", **kwargs)
        assert_conforms(response, "PUT", ARTICLE)
        assert response.status_code == 400
        assert error_of(response) == "A non-empty request body is required."


def test_update_into_an_unknown_category_is_a_400_and_changes_nothing(project):
    category_id = new_category(project)
    data = new_article(project, category_id)

    response = save(project, data["id"], category_id=MISSING, title="Should not stick")

    assert response.status_code == 400
    assert error_of(response) == f"Unable to find specified parent category with an id {MISSING}."
    stored = read(project, data["id"]).json()["data"]
    assert (stored["category_id"], stored["title"]) == (category_id, "Getting started")


def test_update_in_an_unknown_language_is_a_400(project):
    data = new_article(project, new_category(project))

    response = save(project, data["id"], "xx", title="x")

    assert response.status_code == 400
    assert error_of(response) == "Language code not found"


def test_update_of_an_unknown_article_is_a_404(project):
    response = save(project, MISSING, title="x")

    assert response.status_code == 404
    assert error_of(response) == "Article not found"


def test_update_with_a_blank_title_is_refused(project):
    data = new_article(project, new_category(project))

    response = save(project, data["id"], title="  ")

    assert response.status_code == 400
    assert error_of(response) == "The Title field is required."


def test_wrong_json_types_in_update_are_a_400(project):
    data = new_article(project, new_category(project))
    for fields in (
        {"hidden": "perhaps"},
        {"order": "top"},
        {"translation_option": "7"},
        {"version_number": "latest"},
        {"title": 5},
        {"order": 2**40},
        {"category_id": ["x"]},
    ):
        response = save(project, data["id"], **fields)

        assert response.status_code == 400, fields
    assert read(project, data["id"]).json()["data"]["title"] == "Getting started"


def test_update_in_a_new_language_starts_that_translation_at_revision_one(project):
    project.add_language("fr")
    data = new_article(project, new_category(project))
    publish(project, data["id"], 1)
    save(project, data["id"], content="English v2")

    response = save(project, data["id"], "fr", title="Premiers pas", content="Bonjour")

    summary = response.json()["data"]
    assert summary["language_code"] == "fr"
    assert (summary["latest_version"], summary["public_version"]) == (1, 0)
    english = read(project, data["id"], "en").json()["data"]
    assert (english["latest_version"], english["public_version"]) == (2, 1)


# --- DELETE /v2/Articles/{id} ---------------------------------------------------------------


def test_delete_removes_every_language_and_a_second_delete_is_a_404(project):
    project.add_language("fr")
    data = new_article(project, new_category(project))
    save(project, data["id"], "fr", title="Premiers pas")

    deleted = project.delete(f"/v2/Articles/{data['id']}")
    again = project.delete(f"/v2/Articles/{data['id']}")

    assert_conforms(deleted, "DELETE", DELETE)
    assert deleted.status_code == 200
    assert deleted.json()["success"] is True
    for lang in ("en", "fr"):
        assert read(project, data["id"], lang).status_code == 404
    versions = project.get(f"/v2/Articles/{data['id']}/fr/versions")
    assert versions.status_code == 404
    assert_conforms(again, "DELETE", DELETE)
    assert again.status_code == 404
    assert error_of(again) == "Article not found"
    for lang in ("en", "fr"):
        listed = project.get(
            f"/v2/ProjectVersions/{project.workspace_id}/articles", params={"langCode": lang}
        )
        assert listed.json()["data"] == []


def test_a_deleted_article_is_no_longer_found_by_search(project):
    data = new_article(project, new_category(project), content="zebracorn habitats")
    search = f"/v2/ProjectVersions/{project.workspace_id}/en"
    before = project.get(search, params={"searchQuery": "zebracorn", "includeDrafts": "true"})
    assert [h["article_id"] for h in before.json()["data"]["hits"]] == [data["id"]]

    project.delete(f"/v2/Articles/{data['id']}")

    after = project.get(search, params={"searchQuery": "zebracorn", "includeDrafts": "true"})
    assert after.status_code == 200
    assert after.json()["success"] is True
    assert after.json()["data"]["hits"] == []
    assert after.json()["data"]["nb_hits"] == 0


def test_delete_of_another_projects_article_is_a_404_and_keeps_it(project):
    data = new_article(project, new_category(project))
    token, _ = project.other_project()

    response = project.client.delete(f"/v2/Articles/{data['id']}", headers={"api_token": token})

    assert_conforms(response, "DELETE", DELETE)
    assert response.status_code == 404
    assert read(project, data["id"]).status_code == 200


# --- bulk ----------------------------------------------------------------------------------


def test_bulk_create_creates_every_article(project):
    category_id = new_category(project)
    items = [article_body(project, category_id, title=t) for t in ("c1", "c2")]

    response = project.post(BULK_CREATE, json=items)

    assert_conforms(response, "POST", BULK_CREATE)
    assert response.status_code == 200
    results = response.json()["data"]
    assert [r["details"] for r in results] == [
        "Successfully created article c1",
        "Successfully created article c2",
    ]
    assert all(r["success"] for r in results)
    for result in results:
        assert read(project, result["article_id"]).status_code == 200


def test_bulk_create_with_one_bad_item_creates_nothing(project):
    category_id = new_category(project)
    items = [
        article_body(project, category_id, title="c1"),
        article_body(project, category_id, title="c2", user_id=MISSING),
    ]

    response = project.post(BULK_CREATE, json=items)

    assert_conforms(response, "POST", BULK_CREATE)
    assert response.status_code == 400
    assert error_of(response) == (
        f"Failed to create article c2\r\nError: The user with id '{MISSING}' "
        "does not exist in your project."
    )
    listed = project.get(f"/v2/ProjectVersions/{project.workspace_id}/articles")
    assert listed.json()["data"] == []


def test_bulk_create_names_the_workspace_as_the_official_text_does(project):
    items = [article_body(project, new_category(project), title="c1", project_version_id=MISSING)]

    response = project.post(BULK_CREATE, json=items)

    assert response.status_code == 400
    assert error_of(response) == (
        f"Failed to create article c1\r\nError: The supplied workspace id {MISSING} "
        "does not exist in your project."
    )


def test_bulk_create_with_a_missing_title_is_refused_with_the_bare_field_text(project):
    category_id = new_category(project)
    items = [article_body(project, category_id, title="c1"), article_body(project, category_id)]
    del items[1]["title"]

    response = project.post(BULK_CREATE, json=items)

    assert_conforms(response, "POST", BULK_CREATE)
    assert response.status_code == 400
    assert error_of(response) == "The Title field is required."
    assert project.get(f"/v2/ProjectVersions/{project.workspace_id}/articles").json()["data"] == []


def test_bulk_create_with_an_empty_or_malformed_list_is_a_400(project):
    for body in ([], {}, None, [1, 2], [{"title": 5}], "c1"):
        response = project.post(BULK_CREATE, json=body)

        assert_conforms(response, "POST", BULK_CREATE)
        assert response.status_code == 400, body


def test_bulk_create_of_more_than_500_items_is_refused(project):
    item = article_body(project, new_category(project))

    response = project.post(BULK_CREATE, json=[item] * 501)

    assert_conforms(response, "POST", BULK_CREATE)
    assert response.status_code == 400
    assert error_of(response) == "At most 500 items can be sent in one bulk request."
    assert project.get(f"/v2/ProjectVersions/{project.workspace_id}/articles").json()["data"] == []


def test_bulk_update_updates_every_article(project):
    category_id = new_category(project)
    a, b = (new_article(project, category_id, title=t) for t in ("A", "B"))

    response = project.put(
        BULK_UPDATE,
        json=[
            {"article_id": a["id"], "lang_code": "en", "title": "A2", "translation_option": "2"},
            {"article_id": b["id"], "lang_code": "en", "hidden": True},
        ],
    )

    assert_conforms(response, "PUT", BULK_UPDATE)
    assert response.status_code == 200
    assert [r["details"] for r in response.json()["data"]] == [
        f"Successfully updated article with an id {a['id']}",
        f"Successfully updated article with an id {b['id']}",
    ]
    first = read(project, a["id"]).json()["data"]
    assert (first["title"], first["translation_option"]) == ("A2", 2)
    assert read(project, b["id"]).json()["data"]["hidden"] is True


def test_bulk_update_with_one_unknown_article_changes_nothing(project):
    data = new_article(project, new_category(project))

    response = project.put(
        BULK_UPDATE,
        json=[
            {"article_id": data["id"], "lang_code": "en", "title": "Changed"},
            {"article_id": MISSING, "lang_code": "en", "title": "Nope"},
        ],
    )

    assert_conforms(response, "PUT", BULK_UPDATE)
    assert response.status_code == 400
    assert error_of(response) == (
        f"Failed to update article with an id {MISSING}\r\nError: Article not found"
    )
    assert read(project, data["id"]).json()["data"]["title"] == "Getting started"


def test_bulk_update_without_article_id_is_refused(project):
    response = project.put(BULK_UPDATE, json=[{"lang_code": "en", "title": "x"}])

    assert_conforms(response, "PUT", BULK_UPDATE)
    assert response.status_code == 400
    assert error_of(response) == "The ArticleId field is required."


def test_bulk_update_with_an_empty_body_is_refused(project):
    for body in ([], None):
        response = project.put(BULK_UPDATE, json=body)

        assert_conforms(response, "PUT", BULK_UPDATE)
        assert response.status_code == 400
        assert error_of(response) == "A non-empty request body is required."


def test_bulk_delete_deletes_every_listed_article(project):
    category_id = new_category(project)
    a, b, keep = (new_article(project, category_id, title=t) for t in ("A", "B", "Keep"))

    response = project.delete(BULK_DELETE, params={"articleIds": [a["id"], b["id"]]})

    assert_conforms(response, "DELETE", BULK_DELETE)
    assert response.status_code == 200
    assert [r["details"] for r in response.json()["data"]] == [
        f"Successfully deleted article with an id {a['id']}",
        f"Successfully deleted article with an id {b['id']}",
    ]
    assert read(project, a["id"]).status_code == 404
    assert read(project, b["id"]).status_code == 404
    assert read(project, keep["id"]).status_code == 200


def test_bulk_delete_deletes_an_id_listed_twice_once(project):
    data = new_article(project, new_category(project))

    response = project.delete(BULK_DELETE, params={"articleIds": [data["id"], data["id"]]})

    assert_conforms(response, "DELETE", BULK_DELETE)
    assert response.status_code == 200
    assert [r["article_id"] for r in response.json()["data"]] == [data["id"]]
    assert read(project, data["id"]).status_code == 404


def test_bulk_delete_with_one_unknown_article_deletes_nothing(project):
    data = new_article(project, new_category(project))

    response = project.delete(BULK_DELETE, params={"articleIds": [data["id"], MISSING]})

    assert_conforms(response, "DELETE", BULK_DELETE)
    assert response.status_code == 400
    assert error_of(response) == (
        f"Failed to delete article with an id {MISSING}\r\nError: Article not found"
    )
    assert read(project, data["id"]).status_code == 200


def test_bulk_delete_without_ids_is_a_400(project):
    response = project.delete(BULK_DELETE)

    assert_conforms(response, "DELETE", BULK_DELETE)
    assert response.status_code == 400


def test_bulk_publish_publishes_every_article(project):
    category_id = new_category(project)
    a, b = (new_article(project, category_id, title=t) for t in ("A", "B"))
    items = [
        {"article_id": x["id"], "user_id": project.owner_id, "version_number": 1} for x in (a, b)
    ]

    response = project.post("/v2/Articles/bulkpublish/en", json=items)

    # Not run through assert_conforms: the official schema declares CreateArticleResponse (one
    # summary object in `data`), but api-reference.md §4.2 says to emit the array of results,
    # as the official example does, so the shape is checked by hand here.
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["errors"] == []
    assert {"extension_data", "warnings", "information"} <= set(body)
    assert body["data"] == [
        {
            "article_id": x["id"],
            "success": True,
            "details": f"Successfully published article with an id {x['id']}",
        }
        for x in (a, b)
    ]
    for x in (a, b):
        stored = read(project, x["id"]).json()["data"]
        assert (stored["public_version"], stored["status"]) == (1, 3)


def test_bulk_publish_with_one_already_published_article_publishes_nothing(project):
    category_id = new_category(project)
    fresh, done = (new_article(project, category_id, title=t) for t in ("Fresh", "Done"))
    publish(project, done["id"], 1)
    items = [
        {"article_id": x["id"], "user_id": project.owner_id, "version_number": 1}
        for x in (fresh, done)
    ]

    response = project.post("/v2/Articles/bulkpublish/en", json=items)

    assert_conforms(response, "POST", BULK_PUBLISH)
    assert response.status_code == 400
    assert error_of(response) == (
        f"Failed to publish article with an id {done['id']}\r\n"
        "Error: Article has already been published."
    )
    assert read(project, fresh["id"]).json()["data"]["public_version"] == 0


def test_bulk_publish_with_an_unknown_user_publishes_nothing(project):
    category_id = new_category(project)
    a, b = (new_article(project, category_id, title=t) for t in ("A", "B"))
    items = [
        {"article_id": a["id"], "user_id": project.owner_id, "version_number": 1},
        {"article_id": b["id"], "user_id": MISSING, "version_number": 1},
    ]

    response = project.post("/v2/Articles/bulkpublish/en", json=items)

    assert_conforms(response, "POST", BULK_PUBLISH)
    assert response.status_code == 400
    assert error_of(response) == (
        f"Failed to publish article with an id {b['id']}\r\n"
        f"Error: The user with id '{MISSING}' does not exist in your project."
    )
    assert read(project, a["id"]).json()["data"]["public_version"] == 0


def test_bulk_publish_item_validation_uses_the_documented_texts(project):
    data = new_article(project, new_category(project))
    owner, article_id = project.owner_id, data["id"]
    for item, message in (
        ({"user_id": owner, "version_number": 1}, "The ArticleId field is required."),
        ({"article_id": article_id, "version_number": 1}, "The UserId field is required."),
        ({"article_id": article_id, "user_id": owner}, VERSION_RANGE),
        ({"article_id": article_id, "user_id": owner, "version_number": 0}, VERSION_RANGE),
        ({"article_id": article_id, "user_id": owner, "version_number": 40000}, VERSION_RANGE),
    ):
        response = project.post("/v2/Articles/bulkpublish/en", json=[item])

        assert_conforms(response, "POST", BULK_PUBLISH)
        assert response.status_code == 400, item
        assert error_of(response) == message
    assert read(project, data["id"]).json()["data"]["public_version"] == 0


def test_bulk_publish_with_an_empty_or_malformed_body_is_a_400(project):
    for body in ([], None, {"article_id": "x"}, [{"version_number": "one"}]):
        response = project.post("/v2/Articles/bulkpublish/en", json=body)

        assert_conforms(response, "POST", BULK_PUBLISH)
        assert response.status_code == 400, body


def test_bulk_publish_in_an_unknown_language_publishes_nothing(project):
    data = new_article(project, new_category(project))
    item = {"article_id": data["id"], "user_id": project.owner_id, "version_number": 1}

    response = project.post("/v2/Articles/bulkpublish/xx", json=[item])

    assert_conforms(response, "POST", BULK_PUBLISH)
    assert response.status_code == 400
    assert "Language code not found" in error_of(response)


# --- GET /v2/ProjectVersions/{id}/articles ----------------------------------------------------


def test_workspace_articles_lists_every_article_with_its_url(project):
    guides, faq = new_category(project, "Guides"), new_category(project, "FAQ")
    a = new_article(project, guides, title="Alpha")
    b = new_article(project, faq, title="Beta")
    publish(project, b["id"], 1)

    response = project.get(f"/v2/ProjectVersions/{project.workspace_id}/articles")

    assert_conforms(response, "GET", WORKSPACE_ARTICLES)
    listed = {item["id"]: item for item in response.json()["data"]}
    assert set(listed) == {a["id"], b["id"]}
    assert listed[a["id"]]["url"].endswith("/docs/en/alpha")
    assert listed[b["id"]]["url"].endswith("/docs/en/beta")
    assert (listed[b["id"]]["public_version"], listed[b["id"]]["status"]) == (1, 3)
    assert (listed[a["id"]]["public_version"], listed[a["id"]]["status"]) == (0, 0)


def test_workspace_articles_honours_the_language_code(project):
    project.add_language("fr")
    category_id = new_category(project)
    translated = new_article(project, category_id, title="Hello")
    english_only = new_article(project, category_id, title="Only English")
    save(project, translated["id"], "fr", title="Bonjour")

    response = project.get(
        f"/v2/ProjectVersions/{project.workspace_id}/articles", params={"langCode": "fr"}
    )

    assert_conforms(response, "GET", WORKSPACE_ARTICLES)
    listed = {item["id"]: item for item in response.json()["data"]}
    assert listed[translated["id"]]["title"] == "Bonjour"
    assert listed[translated["id"]]["language_code"] == "fr"
    assert "/docs/fr/" in listed[translated["id"]]["url"]
    assert listed[english_only["id"]]["language_code"] == "en"
    english = project.get(f"/v2/ProjectVersions/{project.workspace_id}/articles").json()["data"]
    assert {i["title"] for i in english} == {"Hello", "Only English"}


def test_workspace_articles_of_an_unknown_workspace_is_a_404(project):
    _, other_workspace = project.other_project()
    for workspace_id in (MISSING, other_workspace):
        response = project.get(f"/v2/ProjectVersions/{workspace_id}/articles")
        assert_conforms(response, "GET", WORKSPACE_ARTICLES)
        assert response.status_code == 404
        assert error_of(response) == (
            "The supplied project version id does not exist in your project"
        )


def test_workspace_articles_in_an_unknown_language_is_a_400(project):
    response = project.get(
        f"/v2/ProjectVersions/{project.workspace_id}/articles", params={"langCode": "xx"}
    )

    assert_conforms(response, "GET", WORKSPACE_ARTICLES)
    assert response.status_code == 400
    assert error_of(response) == "Language code not found"
