"""Article revisions over HTTP: version lists, reading a version, publishing, forking, deleting
versions, settings and descriptions, in their current and deprecated (default-language) forms."""

from __future__ import annotations

from typing import Any

from tests.conformance.official import assert_conforms

MISSING = "00000000-0000-0000-0000-000000000000"

VERSIONS = "/v2/Articles/{articleId}/{langCode}/versions"
VERSIONS_OLD = "/v2/Articles/{articleId}/versions"
VERSION = "/v2/Articles/{articleId}/{langCode}/versions/{versionNumber}"
VERSION_OLD = "/v2/Articles/{articleId}/versions/{versionNumber}"
DELETE_VERSION = "/v2/Articles/{articleId}/{langCode}/version/{versionNumber}"
DELETE_VERSION_OLD = "/v2/Articles/{articleId}/version/{versionNumber}"
BULK_DELETE_VERSIONS = "/v2/Articles/bulkdelete-article-versions"
PUBLISH = "/v2/Articles/{articleId}/{langCode}/publish"
PUBLISH_OLD = "/v2/Articles/{articleId}/publish"
FORK = "/v2/Articles/{articleId}/fork"
SETTINGS = "/v2/Articles/{articleId}/{langCode}/settings"
SETTINGS_OLD = "/v2/Articles/{articleId}/settings"
DESCRIPTION = "/v2/Articles/{articleId}/{langCode}/updateDescription"
DESCRIPTION_OLD = "/v2/Articles/{articleId}/updateDescription"
ARTICLE = "/v2/Articles/{articleId}/{langCode}"


def error_of(response: Any) -> str:
    description: str = response.json()["errors"][0]["description"]
    return description


def new_article(project: Any, title: str = "Getting started", content: str = "v1") -> str:
    category = project.post(
        "/v2/Categories", json={"name": "Guides", "project_version_id": project.workspace_id}
    ).json()["data"]["id"]
    response = project.post(
        "/v2/Articles",
        json={
            "title": title,
            "category_id": category,
            "project_version_id": project.workspace_id,
            "user_id": project.owner_id,
            "content": content,
        },
    )
    assert response.status_code == 200, response.text
    article_id: str = response.json()["data"]["id"]
    return article_id


def save(project: Any, article_id: str, lang: str = "en", **fields: Any) -> dict[str, Any]:
    response = project.put(f"/v2/Articles/{article_id}/{lang}", json=fields)
    assert_conforms(response, "PUT", ARTICLE)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def publish(project: Any, article_id: str, version: int, lang: str | None = "en", **body: Any):
    path = (
        f"/v2/Articles/{article_id}/{lang}/publish"
        if lang
        else (f"/v2/Articles/{article_id}/publish")
    )
    response = project.post(
        path, json={"user_id": project.owner_id, "version_number": version, **body}
    )
    assert_conforms(response, "POST", PUBLISH if lang else PUBLISH_OLD)
    return response


def versions(project: Any, article_id: str, lang: str | None = "en") -> Any:
    if lang is None:
        response = project.get(f"/v2/Articles/{article_id}/versions")
        assert_conforms(response, "GET", VERSIONS_OLD)
    else:
        response = project.get(f"/v2/Articles/{article_id}/{lang}/versions")
        assert_conforms(response, "GET", VERSIONS)
    return response


def statuses(project: Any, article_id: str, lang: str | None = "en") -> list[tuple[int, int]]:
    response = versions(project, article_id, lang)
    assert response.status_code == 200, response.text
    return [(v["version_number"], v["status"]) for v in response.json()["data"]]


def latest(project: Any, article_id: str, lang: str = "en", **params: Any) -> dict[str, Any]:
    response = project.get(f"/v2/Articles/{article_id}/{lang}", params=params)
    assert_conforms(response, "GET", ARTICLE)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def fork(project: Any, article_id: str, **body: Any) -> Any:
    response = project.put(f"/v2/Articles/{article_id}/fork", json=body)
    assert_conforms(response, "PUT", FORK)
    return response


# --- saving and publishing -------------------------------------------------------------------


def test_saving_a_draft_edits_it_in_place(project):
    article_id = new_article(project)

    save(project, article_id, content="edited")
    save(project, article_id, content="edited again")

    assert statuses(project, article_id) == [(1, 0)]
    assert latest(project, article_id)["content"] == "edited again"


def test_saving_over_a_published_revision_creates_a_new_draft(project):
    article_id = new_article(project, content="published body")
    publish(project, article_id, 1)

    summary = save(project, article_id, content="draft body")

    assert (summary["latest_version"], summary["public_version"], summary["status"]) == (2, 1, 0)
    assert statuses(project, article_id) == [(1, 3), (2, 0)]
    listed = versions(project, article_id).json()["data"]
    assert listed[1]["base_version"] == 1
    published = latest(project, article_id, isPublished="true")
    assert (published["version_number"], published["content"]) == (1, "published body")
    assert latest(project, article_id)["content"] == "draft body"


def test_each_save_after_a_publish_creates_one_draft_not_one_per_save(project):
    article_id = new_article(project)
    publish(project, article_id, 1)

    save(project, article_id, content="a")
    save(project, article_id, content="b")

    assert statuses(project, article_id) == [(1, 3), (2, 0)]


def test_saving_an_explicit_published_version_number_still_makes_a_new_draft(project):
    article_id = new_article(project)
    publish(project, article_id, 1)
    save(project, article_id, content="draft")
    publish(project, article_id, 2)

    save(project, article_id, content="from v2", version_number=2)

    assert statuses(project, article_id) == [(1, 0), (2, 3), (3, 0)]
    assert latest(project, article_id, isPublished="true")["content"] == "draft"


def test_naming_the_published_version_without_changes_creates_no_draft(project):
    article_id = new_article(project)
    publish(project, article_id, 1)

    summary = save(project, article_id, version_number=1, hidden=True)

    assert (summary["latest_version"], summary["hidden"]) == (1, True)
    assert statuses(project, article_id) == [(1, 3)]


def test_saving_an_unknown_version_number_is_a_400(project):
    article_id = new_article(project)

    response = project.put(
        f"/v2/Articles/{article_id}/en", json={"content": "x", "version_number": 9}
    )

    assert_conforms(response, "PUT", ARTICLE)
    assert response.status_code == 400
    assert "does not contain version 9" in error_of(response)


def test_publish_moves_the_public_version_and_the_statuses(project):
    article_id = new_article(project)
    publish(project, article_id, 1)
    save(project, article_id, content="v2")

    response = publish(project, article_id, 2, publish_message="Second release")

    assert response.status_code == 200
    summary = response.json()["data"]
    assert summary["id"] == article_id
    assert (summary["public_version"], summary["latest_version"], summary["status"]) == (2, 2, 3)
    assert statuses(project, article_id) == [(1, 0), (2, 3)]
    shown = latest(project, article_id, isPublished="true")
    assert (shown["version_number"], shown["status"]) == (2, 3)


def test_publishing_an_older_revision_leaves_the_article_a_draft_with_a_public_version(project):
    article_id = new_article(project)
    publish(project, article_id, 1)
    save(project, article_id, content="v2")
    publish(project, article_id, 2)
    save(project, article_id, content="v3")

    response = publish(project, article_id, 1)

    summary = response.json()["data"]
    assert (summary["public_version"], summary["latest_version"], summary["status"]) == (1, 3, 0)
    assert statuses(project, article_id) == [(1, 3), (2, 0), (3, 0)]


def test_publishing_the_published_version_again_is_refused(project):
    article_id = new_article(project)
    publish(project, article_id, 1)

    response = publish(project, article_id, 1)

    assert response.status_code == 400
    assert error_of(response) == "Article has already been published."


def test_publish_version_number_out_of_range_uses_the_documented_text(project):
    article_id = new_article(project)
    for version in (0, -1, 32768, None):
        response = publish(project, article_id, version)

        assert response.status_code == 400, version
        assert error_of(response) == "The field VersionNumber must be between 1 and 32767."
    assert statuses(project, article_id) == [(1, 0)]


def test_publish_without_user_is_refused(project):
    article_id = new_article(project)

    for body in ({"version_number": 1}, {"version_number": 1, "user_id": ""}):
        response = project.post(f"/v2/Articles/{article_id}/en/publish", json=body)
        assert_conforms(response, "POST", PUBLISH)
        assert response.status_code == 400
        assert error_of(response) == "The UserId field is required."


def test_publish_by_an_unknown_user_is_refused(project):
    article_id = new_article(project)

    response = project.post(
        f"/v2/Articles/{article_id}/en/publish", json={"user_id": MISSING, "version_number": 1}
    )

    assert_conforms(response, "POST", PUBLISH)
    assert response.status_code == 400
    assert error_of(response) == f"The user with id '{MISSING}' does not exist in your project."


def test_publish_of_an_unknown_version_is_refused(project):
    article_id = new_article(project)

    response = publish(project, article_id, 9)

    assert response.status_code == 400
    assert error_of(response) == (
        "Cannot publish version number 9, it does not exist in your project."
    )


def test_publish_of_an_unknown_article_is_a_404_with_the_documented_text(project):
    for lang in ("en", None):
        response = publish(project, MISSING, 1, lang)
        assert response.status_code == 404
        assert error_of(response) == "Article not found."


def test_publish_with_an_empty_or_malformed_body_is_a_400(project):
    article_id = new_article(project)
    for kwargs in (
        {},
        {"json": {"version_number": "one", "user_id": project.owner_id}},
        {"json": ["x"]},
    ):
        response = project.post(f"/v2/Articles/{article_id}/en/publish", **kwargs)
        assert_conforms(response, "POST", PUBLISH)
        assert response.status_code == 400, kwargs


def test_deprecated_publish_acts_on_the_default_language(project):
    project.add_language("fr")
    article_id = new_article(project)
    save(project, article_id, "fr", title="Premiers pas")

    response = publish(project, article_id, 1, None)

    assert response.status_code == 200
    assert response.json()["data"]["language_code"] == "en"
    assert statuses(project, article_id, "en") == [(1, 3)]
    assert statuses(project, article_id, "fr") == [(1, 0)]


# --- languages -------------------------------------------------------------------------------


def test_each_language_counts_its_own_revisions(project):
    project.add_language("fr")
    article_id = new_article(project)
    publish(project, article_id, 1)
    save(project, article_id, content="en v2")

    french = save(project, article_id, "fr", title="Premiers pas", content="fr v1")

    assert (french["latest_version"], french["public_version"]) == (1, 0)
    assert statuses(project, article_id, "fr") == [(1, 0)]
    assert statuses(project, article_id, "en") == [(1, 3), (2, 0)]
    publish(project, article_id, 1, "fr")
    assert statuses(project, article_id, "fr") == [(1, 3)]
    assert latest(project, article_id, "fr", isPublished="true")["content"] == "fr v1"


def test_versions_of_an_untranslated_language_are_not_found(project):
    project.add_language("fr")
    article_id = new_article(project)

    response = versions(project, article_id, "fr")

    assert response.status_code == 404
    assert error_of(response) == "Article not found"


# --- versions list and version reads ---------------------------------------------------------


def test_versions_list_names_the_author_and_uses_the_data_key(project):
    article_id = new_article(project)
    publish(project, article_id, 1)
    save(project, article_id, content="v2")

    for lang in ("en", None):
        body = versions(project, article_id, lang).json()
        assert "versions" not in body
        first, second = body["data"]
        assert first["version_number"] == 1
        assert first["base_version"] == 0
        assert first["created_by"] == "Owner"
        assert (second["version_number"], second["base_version"], second["status"]) == (2, 1, 0)


def test_versions_of_an_unknown_article_are_a_404(project):
    for lang in ("en", None):
        response = versions(project, MISSING, lang)
        assert response.status_code == 404
        assert error_of(response) == "Article not found"


def test_reading_a_version_returns_that_revision_with_its_creation_time(project):
    article_id = new_article(project, content="first")
    publish(project, article_id, 1)
    save(project, article_id, content="second")

    current = project.get(f"/v2/Articles/{article_id}/en/versions/1")
    deprecated = project.get(f"/v2/Articles/{article_id}/versions/2")

    assert_conforms(current, "GET", VERSION)
    assert_conforms(deprecated, "GET", VERSION_OLD)
    one, two = current.json()["data"], deprecated.json()["data"]
    assert (one["version_number"], one["content"], one["status"]) == (1, "first", 3)
    assert (two["version_number"], two["content"], two["status"]) == (2, "second", 0)
    for data in (one, two):
        assert data["version_created_at"]
        assert "url" not in data
        assert (data["public_version"], data["latest_version"]) == (1, 2)


def test_reading_a_version_for_display_resolves_merge_codes(project):
    created = project.post(
        "/v2/Variables",
        json={"project_version_id": project.workspace_id, "name": "Who", "value": "World"},
    )
    assert created.status_code == 200
    assert created.json()["success"] is True
    article_id = new_article(project, content="Hello {{variable.Who}}")

    response = project.get(
        f"/v2/Articles/{article_id}/en/versions/1", params={"isForDisplay": "true"}
    )

    assert_conforms(response, "GET", VERSION)
    assert response.json()["data"]["content"] == "Hello World"


def test_reading_an_unknown_version_or_article_is_a_404(project):
    article_id = new_article(project)
    for path, template in (
        (f"/v2/Articles/{article_id}/en/versions/9", VERSION),
        (f"/v2/Articles/{article_id}/versions/9", VERSION_OLD),
        (f"/v2/Articles/{MISSING}/en/versions/1", VERSION),
        (f"/v2/Articles/{MISSING}/versions/1", VERSION_OLD),
    ):
        response = project.get(path)
        assert_conforms(response, "GET", template)
        assert response.status_code == 404, path
        assert error_of(response) == "Article not found"


def test_reading_a_non_numeric_version_is_a_400(project):
    article_id = new_article(project)

    response = project.get(f"/v2/Articles/{article_id}/en/versions/latest")

    assert_conforms(response, "GET", VERSION)
    assert response.status_code == 400


def test_deprecated_version_routes_act_on_the_default_language(project):
    project.add_language("fr")
    article_id = new_article(project, content="english")
    save(project, article_id, "fr", title="Premiers pas", content="french")
    publish(project, article_id, 1, "fr")
    save(project, article_id, "fr", content="french v2")

    listed = versions(project, article_id, None).json()["data"]
    one = project.get(f"/v2/Articles/{article_id}/versions/1").json()["data"]
    missing_two = project.get(f"/v2/Articles/{article_id}/versions/2")

    assert [v["version_number"] for v in listed] == [1]
    assert one["content"] == "english"
    assert missing_two.status_code == 404


# --- fork ------------------------------------------------------------------------------------


def test_fork_copies_a_revision_into_a_new_draft(project):
    article_id = new_article(project, content="original")
    publish(project, article_id, 1)
    save(project, article_id, content="second")

    response = fork(project, article_id, version_number=1, user_id=project.owner_id, lang_code="en")

    assert response.status_code == 200
    forked = response.json()["data"]
    assert (forked["version_number"], forked["base_version"], forked["status"]) == (3, 1, 0)
    assert forked["created_by"] == "Owner"
    third = project.get(f"/v2/Articles/{article_id}/en/versions/3").json()["data"]
    assert third["content"] == "original"
    assert statuses(project, article_id) == [(1, 3), (2, 0), (3, 0)]
    assert latest(project, article_id)["version_number"] == 3


def test_fork_records_the_forking_user_as_author(project):
    editor = project.add_user("editor@example.com", "Eddie")
    article_id = new_article(project)

    response = fork(project, article_id, version_number=1, user_id=editor, lang_code="en")

    assert response.json()["data"]["created_by"] == "Eddie"


def test_fork_refusals_use_the_documented_texts(project):
    article_id = new_article(project)
    owner = project.owner_id
    for body, message in (
        ({"version_number": 1, "lang_code": "en"}, "The UserId field is required."),
        ({"version_number": 1, "user_id": owner}, "The LangCode field is required."),
        (
            {"version_number": 9, "user_id": owner, "lang_code": "en"},
            "Cannot fork version number 9, it does not exist in your project.",
        ),
        (
            {"version_number": 0, "user_id": owner, "lang_code": "en"},
            "Cannot fork version number 0, it does not exist in your project.",
        ),
        (
            {"version_number": 1, "user_id": MISSING, "lang_code": "en"},
            f"The user with id '{MISSING}' does not exist in your project.",
        ),
        ({"user_id": owner, "lang_code": "en"}, "The VersionNumber field is required."),
        ({"version_number": 1, "user_id": owner, "lang_code": "xx"}, "Language code not found"),
    ):
        response = fork(project, article_id, **body)

        assert response.status_code == 400, body
        assert error_of(response) == message
    assert statuses(project, article_id) == [(1, 0)]


def test_fork_of_an_unknown_article_is_a_404(project):
    response = fork(project, MISSING, version_number=1, user_id=project.owner_id, lang_code="en")

    assert response.status_code == 404
    assert error_of(response) == "One or more errors occurred. (Article not found)."


def test_fork_with_an_empty_or_malformed_body_is_a_400(project):
    article_id = new_article(project)
    for kwargs in ({}, {"json": {"version_number": "x"}}, {"json": "fork"}):
        response = project.put(f"/v2/Articles/{article_id}/fork", **kwargs)
        assert_conforms(response, "PUT", FORK)
        assert response.status_code == 400, kwargs


# --- deleting versions -----------------------------------------------------------------------


def test_deleting_a_draft_version_removes_it(project):
    article_id = new_article(project)
    publish(project, article_id, 1)
    save(project, article_id, content="v2")
    fork(project, article_id, version_number=1, user_id=project.owner_id, lang_code="en")

    response = project.delete(f"/v2/Articles/{article_id}/en/version/3")

    assert_conforms(response, "DELETE", DELETE_VERSION)
    assert response.status_code == 200
    assert statuses(project, article_id) == [(1, 3), (2, 0)]
    assert latest(project, article_id)["latest_version"] == 2


def test_deprecated_delete_version_acts_on_the_default_language(project):
    project.add_language("fr")
    article_id = new_article(project)
    fork(project, article_id, version_number=1, user_id=project.owner_id, lang_code="en")
    save(project, article_id, "fr", title="Premiers pas")
    fork(project, article_id, version_number=1, user_id=project.owner_id, lang_code="fr")

    response = project.delete(f"/v2/Articles/{article_id}/version/1")

    assert_conforms(response, "DELETE", DELETE_VERSION_OLD)
    assert response.status_code == 200
    assert statuses(project, article_id, "en") == [(2, 0)]
    assert statuses(project, article_id, "fr") == [(1, 0), (2, 0)]


def test_the_last_version_cannot_be_deleted(project):
    article_id = new_article(project)

    for path, template in (
        (f"/v2/Articles/{article_id}/en/version/1", DELETE_VERSION),
        (f"/v2/Articles/{article_id}/version/1", DELETE_VERSION_OLD),
    ):
        response = project.delete(path)
        assert_conforms(response, "DELETE", template)
        assert response.status_code == 400
        assert error_of(response) == "Last Version cannot be deleted"
    assert statuses(project, article_id) == [(1, 0)]


def test_deleting_an_unknown_version_is_a_400(project):
    article_id = new_article(project)
    fork(project, article_id, version_number=1, user_id=project.owner_id, lang_code="en")

    for path, template in (
        (f"/v2/Articles/{article_id}/en/version/9", DELETE_VERSION),
        (f"/v2/Articles/{article_id}/version/9", DELETE_VERSION_OLD),
    ):
        response = project.delete(path)
        assert_conforms(response, "DELETE", template)
        assert response.status_code == 400
        # api-reference.md §4.2: "400 `Article not found` for both bad article and bad version".
        assert error_of(response) == "Article not found"


def test_deleting_a_version_of_an_unknown_article_is_a_404(project):
    response = project.delete(f"/v2/Articles/{MISSING}/en/version/1")

    assert_conforms(response, "DELETE", DELETE_VERSION)
    assert response.status_code == 404
    assert error_of(response) == "Article not found"


def test_the_published_version_cannot_be_deleted(project):
    article_id = new_article(project)
    publish(project, article_id, 1)
    save(project, article_id, content="v2")

    response = project.delete(f"/v2/Articles/{article_id}/en/version/1")

    assert_conforms(response, "DELETE", DELETE_VERSION)
    assert response.status_code == 400
    assert statuses(project, article_id) == [(1, 3), (2, 0)]


def test_bulk_delete_versions_reports_the_deleted_numbers(project):
    article_id = new_article(project)
    for _ in range(2):
        fork(project, article_id, version_number=1, user_id=project.owner_id, lang_code="en")

    response = project.delete(
        BULK_DELETE_VERSIONS,
        params={"articleId": article_id, "langCode": "en", "articleVersionNumbers": [1, 2]},
    )

    assert_conforms(response, "DELETE", BULK_DELETE_VERSIONS)
    assert response.status_code == 200
    body = response.json()
    assert body["article_id"] == article_id
    assert body["data"] == "Deleted article version(s) are 1,2"
    assert statuses(project, article_id) == [(3, 0)]


def test_bulk_delete_versions_deletes_a_repeated_number_once(project):
    article_id = new_article(project)
    for _ in range(2):
        fork(project, article_id, version_number=1, user_id=project.owner_id, lang_code="en")

    response = project.delete(
        BULK_DELETE_VERSIONS,
        params={"articleId": article_id, "langCode": "en", "articleVersionNumbers": [1, 2, 1]},
    )

    assert_conforms(response, "DELETE", BULK_DELETE_VERSIONS)
    assert response.status_code == 200
    assert response.json()["data"] == "Deleted article version(s) are 1,2"
    assert statuses(project, article_id) == [(3, 0)]


def test_bulk_delete_versions_with_one_bad_number_deletes_nothing(project):
    article_id = new_article(project)
    fork(project, article_id, version_number=1, user_id=project.owner_id, lang_code="en")
    fork(project, article_id, version_number=1, user_id=project.owner_id, lang_code="en")

    response = project.delete(
        BULK_DELETE_VERSIONS,
        params={"articleId": article_id, "langCode": "en", "articleVersionNumbers": [2, 9]},
    )

    assert_conforms(response, "DELETE", BULK_DELETE_VERSIONS)
    assert response.status_code == 400
    assert error_of(response) == "Invalid Article Version"
    assert statuses(project, article_id) == [(1, 0), (2, 0), (3, 0)]


def test_bulk_delete_versions_cannot_remove_every_version(project):
    article_id = new_article(project)
    fork(project, article_id, version_number=1, user_id=project.owner_id, lang_code="en")

    response = project.delete(
        BULK_DELETE_VERSIONS,
        params={"articleId": article_id, "langCode": "en", "articleVersionNumbers": [1, 2]},
    )

    assert_conforms(response, "DELETE", BULK_DELETE_VERSIONS)
    assert response.status_code == 400
    assert error_of(response) == "Last Version cannot be deleted"
    assert statuses(project, article_id) == [(1, 0), (2, 0)]


def test_bulk_delete_versions_of_an_unknown_article_is_a_404(project):
    response = project.delete(
        BULK_DELETE_VERSIONS,
        params={"articleId": MISSING, "langCode": "en", "articleVersionNumbers": [1]},
    )

    assert_conforms(response, "DELETE", BULK_DELETE_VERSIONS)
    assert response.status_code == 404
    assert error_of(response) == "Article not found"


def test_bulk_delete_versions_with_missing_or_malformed_parameters_is_a_400(project):
    article_id = new_article(project)
    for params in (
        {"articleId": article_id, "langCode": "en"},
        {"articleId": article_id, "langCode": "en", "articleVersionNumbers": "two"},
        {"langCode": "en", "articleVersionNumbers": 1},
        {"articleId": article_id, "langCode": "xx", "articleVersionNumbers": 1},
    ):
        response = project.delete(BULK_DELETE_VERSIONS, params=params)
        assert_conforms(response, "DELETE", BULK_DELETE_VERSIONS)
        assert response.status_code == 400, params
    assert statuses(project, article_id) == [(1, 0)]


# --- settings --------------------------------------------------------------------------------


def test_settings_have_defaults_and_the_article_slug(project):
    article_id = new_article(project)

    for path, template in (
        (f"/v2/Articles/{article_id}/en/settings", SETTINGS),
        (f"/v2/Articles/{article_id}/settings", SETTINGS_OLD),
    ):
        response = project.get(path)
        assert_conforms(response, "GET", template)
        data = response.json()["data"]
        assert data["slug"] == "getting-started"
        assert data["related_articles"] == []
        assert data["tags"] == []
        assert data["allow_comments"] is True


def test_updating_settings_stores_them_and_returns_related_articles_as_objects(project):
    article_id = new_article(project)
    related_id = new_article(project, title="Related one")

    response = project.put(
        f"/v2/Articles/{article_id}/en/settings",
        json={
            "seo_title": "SEO",
            "description": "Meta description",
            "allow_comments": False,
            "tags": ["a", "b"],
            "status_indicator": 1,
            "exclude_from_search": True,
            "related_articles": [related_id],
            "slug": "Start Here",
        },
    )

    assert_conforms(response, "PUT", SETTINGS)
    assert response.status_code == 200
    body = response.json()
    assert [i["description"] for i in body["information"]] == [
        "Article settings updated successfully"
    ]
    data = body["data"]
    assert data["url"].endswith("/docs/en/start-here")
    assert data["slug"] == "start-here"
    assert data["related_articles"] == [
        {"id": related_id, "title": "Related one", "hidden": False, "slug": "related-one"}
    ]
    stored = project.get(f"/v2/Articles/{article_id}/en/settings").json()["data"]
    assert (stored["seo_title"], stored["description"], stored["tags"]) == (
        "SEO",
        "Meta description",
        ["a", "b"],
    )
    assert (stored["allow_comments"], stored["status_indicator"]) == (False, 1)
    assert stored["exclude_from_search"] is True
    assert stored["related_articles"][0]["id"] == related_id
    assert latest(project, article_id)["slug"] == "start-here"


def test_deprecated_settings_update_acts_on_the_default_language(project):
    project.add_language("fr")
    article_id = new_article(project)
    save(project, article_id, "fr", title="Premiers pas")

    response = project.put(f"/v2/Articles/{article_id}/settings", json={"seo_title": "English"})

    assert_conforms(response, "PUT", SETTINGS_OLD)
    assert response.status_code == 200
    assert response.json()["information"][0]["description"] == (
        "Article settings updated successfully"
    )
    assert project.get(f"/v2/Articles/{article_id}/en/settings").json()["data"]["seo_title"] == (
        "English"
    )
    assert project.get(f"/v2/Articles/{article_id}/fr/settings").json()["data"]["seo_title"] is None
    assert project.get(f"/v2/Articles/{article_id}/settings").json()["data"]["seo_title"] == (
        "English"
    )


def test_a_slug_taken_by_another_article_gets_a_suffix(project):
    article_id = new_article(project)
    new_article(project, title="Taken")

    response = project.put(f"/v2/Articles/{article_id}/en/settings", json={"slug": "taken"})

    assert response.json()["data"]["slug"] == "taken-1"


def test_a_slug_equal_to_the_current_one_but_for_case_is_stored_as_a_slug(project):
    article_id = new_article(project)

    response = project.put(
        f"/v2/Articles/{article_id}/en/settings", json={"slug": "Getting Started"}
    )

    assert_conforms(response, "PUT", SETTINGS)
    assert response.json()["data"]["slug"] == "getting-started"
    assert response.json()["data"]["url"].endswith("/docs/en/getting-started")


def test_status_indicator_expiry_date_is_returned_in_utc_with_z(project):
    article_id = new_article(project)

    zone_less = project.put(
        f"/v2/Articles/{article_id}/en/settings",
        json={"status_indicator": 3, "status_indicator_expiry_date": "2030-01-01T00:00:00"},
    )
    offset = project.put(
        f"/v2/Articles/{article_id}/settings",
        json={"status_indicator_expiry_date": "2030-01-01T02:00:00+02:00"},
    )

    assert_conforms(zone_less, "PUT", SETTINGS)
    assert_conforms(offset, "PUT", SETTINGS_OLD)
    assert zone_less.json()["data"]["status_indicator_expiry_date"] == "2030-01-01T00:00:00.000Z"
    assert offset.json()["data"]["status_indicator_expiry_date"] == "2030-01-01T00:00:00.000Z"
    stored = project.get(f"/v2/Articles/{article_id}/en/settings")
    assert_conforms(stored, "GET", SETTINGS)
    assert stored.json()["data"]["status_indicator"] == 3


def test_expiry_date_is_accepted_with_or_without_milliseconds(project):
    article_id = new_article(project)
    answers = {}
    for sent in ("2030-01-01T00:00:00.123Z", "2030-01-01T00:00:00Z", "2030-01-01T00:00:00.5"):
        response = project.put(
            f"/v2/Articles/{article_id}/en/settings",
            json={"status_indicator_expiry_date": sent},
        )
        assert_conforms(response, "PUT", SETTINGS)
        answers[sent] = response.json()["data"]["status_indicator_expiry_date"]

    assert answers == {
        "2030-01-01T00:00:00.123Z": "2030-01-01T00:00:00.123Z",
        "2030-01-01T00:00:00Z": "2030-01-01T00:00:00.000Z",
        "2030-01-01T00:00:00.5": "2030-01-01T00:00:00.500Z",
    }


def test_settings_with_an_unknown_related_article_are_refused(project):
    article_id = new_article(project)

    response = project.put(
        f"/v2/Articles/{article_id}/en/settings",
        json={"related_articles": [MISSING], "seo_title": "Not stored"},
    )

    assert_conforms(response, "PUT", SETTINGS)
    assert response.status_code == 400
    assert MISSING in error_of(response)
    assert project.get(f"/v2/Articles/{article_id}/en/settings").json()["data"]["seo_title"] is None


def test_settings_with_an_empty_body_are_refused(project):
    article_id = new_article(project)
    for path, template in (
        (f"/v2/Articles/{article_id}/en/settings", SETTINGS),
        (f"/v2/Articles/{article_id}/settings", SETTINGS_OLD),
    ):
        for kwargs in ({}, {"json": {}}):
            response = project.put(path, **kwargs)
            assert_conforms(response, "PUT", template)
            assert response.status_code == 400
            assert error_of(response) == "A non-empty request body is required."


def test_settings_with_wrong_types_are_a_400(project):
    article_id = new_article(project)
    for body in (
        {"tags": "a,b"},
        {"allow_comments": "sometimes"},
        {"related_articles": "x"},
        {"status_indicator": 9},
        {"status_indicator_expiry_date": "next week"},
    ):
        response = project.put(f"/v2/Articles/{article_id}/en/settings", json=body)
        assert_conforms(response, "PUT", SETTINGS)
        assert response.status_code == 400, body


def test_settings_of_an_unknown_article_are_a_404(project):
    for method, path, template in (
        ("GET", f"/v2/Articles/{MISSING}/en/settings", SETTINGS),
        ("GET", f"/v2/Articles/{MISSING}/settings", SETTINGS_OLD),
        ("PUT", f"/v2/Articles/{MISSING}/en/settings", SETTINGS),
        ("PUT", f"/v2/Articles/{MISSING}/settings", SETTINGS_OLD),
    ):
        response = project.client.request(
            method, path, headers=project.headers, json={"seo_title": "x"}
        )
        assert_conforms(response, method, template)
        assert response.status_code == 404, path
        assert error_of(response) == "Article not found"


# --- updateDescription -----------------------------------------------------------------------


def test_update_description_sets_the_description_of_that_language(project):
    project.add_language("fr")
    article_id = new_article(project)
    save(project, article_id, "fr", title="Premiers pas")

    current = project.put(
        f"/v2/Articles/{article_id}/fr/updateDescription", params={"description": "Résumé"}
    )
    deprecated = project.put(
        f"/v2/Articles/{article_id}/updateDescription", params={"description": "Summary"}
    )

    assert_conforms(current, "PUT", DESCRIPTION)
    assert_conforms(deprecated, "PUT", DESCRIPTION_OLD)
    assert current.status_code == deprecated.status_code == 200
    assert latest(project, article_id, "fr")["description"] == "Résumé"
    assert latest(project, article_id, "en")["description"] == "Summary"


def test_update_description_of_an_unknown_article_or_language_is_refused(project):
    article_id = new_article(project)

    for path, template, status, message in (
        (f"/v2/Articles/{MISSING}/en/updateDescription", DESCRIPTION, 404, "Article not found"),
        (f"/v2/Articles/{MISSING}/updateDescription", DESCRIPTION_OLD, 404, "Article not found"),
        (
            f"/v2/Articles/{article_id}/xx/updateDescription",
            DESCRIPTION,
            400,
            "Language code not found",
        ),
    ):
        response = project.put(path, params={"description": "x"})
        assert_conforms(response, "PUT", template)
        assert response.status_code == status, path
        assert error_of(response) == message


def test_related_articles_are_named_in_the_language_read_else_the_default(project):
    # The title came from whichever translation the database returned last: on PostgreSQL
    # the English settings could name a related article by its French title.
    project.add_language("fr")
    article_id = new_article(project)
    related_id = new_article(project, title="Related one")
    translated = project.put(f"/v2/Articles/{related_id}/fr", json={"title": "Article lié"})
    assert translated.status_code == 200, translated.text
    stored = project.put(
        f"/v2/Articles/{article_id}/en/settings", json={"related_articles": [related_id]}
    )
    assert stored.status_code == 200, stored.text

    def related_title(lang: str) -> str:
        settings = project.get(f"/v2/Articles/{article_id}/{lang}/settings").json()["data"]
        title: str = settings["related_articles"][0]["title"]
        return title

    for _ in range(3):
        assert related_title("en") == "Related one"
