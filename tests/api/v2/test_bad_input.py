"""Every kind of bad input gets a 4xx v2 envelope, never a 500, and writes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from lorebase.settings import Settings
from tests.conformance.official import assert_conforms, official_spec

# Small caps so that the limits are cheap to reach; everything Document360 sends fits.
MAX_BODY = 16 * 1024
MAX_DEPTH = 8
HUGE = 2**80
JSON_HEADERS = {"content-type": "application/json"}


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        max_body_bytes=MAX_BODY,
        max_json_depth=MAX_DEPTH,
    )


@dataclass
class Content:
    category_id: str
    article_id: str


@pytest.fixture
def content(project: Any) -> Content:
    """One category holding one published article: something a bad write could damage."""
    category = project.post(
        "/v2/Categories", json={"name": "Guides", "project_version_id": project.workspace_id}
    )
    assert category.status_code == 200, category.text
    category_id = category.json()["data"]["id"]
    article = project.post(
        "/v2/Articles",
        json={
            "title": "Install",
            "content": "How to install",
            "category_id": category_id,
            "project_version_id": project.workspace_id,
            "user_id": project.owner_id,
        },
    )
    assert article.status_code == 200, article.text
    article_id = article.json()["data"]["id"]
    published = project.post(
        f"/v2/Articles/{article_id}/en/publish",
        json={"user_id": project.owner_id, "version_number": 1},
    )
    assert published.status_code == 200, published.text
    return Content(category_id, article_id)


def snapshot(project: Any, content: Content | None = None) -> Any:
    """What a client can see of the workspace: the tree, the article list, one article."""
    ws = project.workspace_id
    seen: dict[str, Any] = {
        "tree": project.get(f"/v2/ProjectVersions/{ws}/categories").json()["data"],
        "articles": project.get(f"/v2/ProjectVersions/{ws}/articles").json()["data"],
        "variables": project.get("/v2/Variables", params={"projectVersionId": ws}).json(),
    }
    if content is not None:
        seen["article"] = project.get(f"/v2/Articles/{content.article_id}/en").json()["data"]
        seen["settings"] = project.get(f"/v2/Articles/{content.article_id}/en/settings").json()
        seen["category"] = project.get(f"/v2/Categories/{content.category_id}").json()["data"]
    return seen


@pytest.fixture
def unchanged(project: Any, content: Content) -> Iterator[None]:
    """Fails the test if anything a client can see changed while it ran."""
    before = snapshot(project, content)
    yield
    assert snapshot(project, content) == before


def assert_envelope_error(response: Any, status: int) -> str:
    """The bare v2 error envelope, for responses of paths the official document lacks."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert "detail" not in body
    # /v2/Teams declares only 200, so any other status is checked against the bare envelope
    # (CustomerApiBaseResponse), which is what an unknown path or method must answer with.
    official_spec().validate_response("GET", "/v2/Teams", status, body)
    assert body["success"] is False
    assert body["errors"][0]["error_code"] == str(status)
    description: str = body["errors"][0]["description"]
    assert description.strip()
    return description


def refused(response: Any, method: str, template: str, status: int = 400) -> str:
    assert response.status_code == status, response.text
    assert_conforms(response, method, template)
    body = response.json()
    assert "detail" not in body
    assert body["errors"][0]["error_code"] == str(status)
    description: str = body["errors"][0]["description"]
    return description


def send_raw(project: Any, method: str, path: str, body: bytes, **headers: str) -> Any:
    return project.client.request(
        method, path, content=body, headers={**project.headers, **JSON_HEADERS, **headers}
    )


# Representative writes: (method, path template, path from content, a valid-looking body).
def write_routes(project: Any, content: Content) -> list[tuple[str, str, str, Any]]:
    ws, cat, art = project.workspace_id, content.category_id, content.article_id
    return [
        ("POST", "/v2/Categories", "/v2/Categories", {"name": "X", "project_version_id": ws}),
        (
            "POST",
            "/v2/Categories/bulkcreate",
            "/v2/Categories/bulkcreate",
            [{"name": "X", "project_version_id": ws}],
        ),
        ("PUT", "/v2/Categories/{categoryId}", f"/v2/Categories/{cat}", {"name": "Renamed"}),
        (
            "POST",
            "/v2/Articles",
            "/v2/Articles",
            {"title": "T", "project_version_id": ws, "user_id": project.owner_id},
        ),
        ("PUT", "/v2/Articles/{articleId}/{langCode}", f"/v2/Articles/{art}/en", {"title": "T"}),
        (
            "PUT",
            "/v2/Articles/{articleId}/{langCode}/settings",
            f"/v2/Articles/{art}/en/settings",
            {"seo_title": "S"},
        ),
        (
            "PUT",
            "/v2/Articles/bulkupdate",
            "/v2/Articles/bulkupdate",
            [{"article_id": art, "lang_code": "en", "title": "T"}],
        ),
    ]


# --- malformed bodies -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"{",
        b'{"name": "x",}',
        b"{'name': 'x'}",
        b'{"name": NaN}',
        b'{"name": "x"} trailing',
        b"\x00\x01",
    ],
)
def test_malformed_json_is_a_400_that_says_so(project, content, unchanged, raw):
    for method, template, path, _ in write_routes(project, content):
        response = send_raw(project, method, path, raw)
        assert "not valid JSON" in refused(response, method, template)


def test_invalid_utf8_in_the_body_is_a_400_naming_the_byte(project, content, unchanged):
    raw = b'{"name": "caf\xe9", "project_version_id": "%s"}' % project.workspace_id.encode()
    response = send_raw(project, "POST", "/v2/Categories", raw)
    description = refused(response, "POST", "/v2/Categories")
    assert "UTF-8" in description and "0xe9" in description


def test_a_lone_surrogate_escape_is_a_400(project, content, unchanged):
    raw = b'{"name": "\\ud800", "project_version_id": "%s"}' % project.workspace_id.encode()
    response = send_raw(project, "POST", "/v2/Categories", raw)
    refused(response, "POST", "/v2/Categories")


def test_a_nul_character_in_a_string_is_a_400_on_every_engine(project, content, unchanged):
    body = {"name": "a\u0000b", "project_version_id": project.workspace_id}
    response = project.post("/v2/Categories", json=body)
    assert "NUL" in refused(response, "POST", "/v2/Categories")


@pytest.mark.parametrize("raw", [b"", b"   ", b"null"])
def test_an_empty_body_asks_for_a_body(project, content, unchanged, raw):
    response = send_raw(project, "PUT", f"/v2/Categories/{content.category_id}", raw)
    description = refused(response, "PUT", "/v2/Categories/{categoryId}")
    assert description == "A non-empty request body is required."


# --- wrong top-level type -------------------------------------------------------------------


@pytest.mark.parametrize("body", [[], [{"name": "X"}], "text", 42, True])
def test_a_non_object_where_an_object_is_expected_is_a_400(project, content, unchanged, body):
    for method, template, path, valid in write_routes(project, content):
        if isinstance(valid, list):
            continue
        response = project.client.request(method, path, json=body, headers=project.headers)
        description = refused(response, method, template)
        assert "JSON object" in description, description


@pytest.mark.parametrize("body", [{"name": "X"}, "text", 42])
def test_an_object_where_an_array_is_expected_is_a_400(project, content, unchanged, body):
    for method, template, path, valid in write_routes(project, content):
        if not isinstance(valid, list):
            continue
        response = project.client.request(method, path, json=body, headers=project.headers)
        description = refused(response, method, template)
        assert "JSON array" in description, description


def test_an_array_of_non_objects_in_a_bulk_route_is_a_400(project, content, unchanged):
    response = project.post("/v2/Categories/bulkcreate", json=[1, "two"])
    description = refused(response, "POST", "/v2/Categories/bulkcreate")
    assert "[0]" in description


# --- wrong field types and values -----------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", 5),
        ("name", ["Guides"]),
        ("name", {"en": "Guides"}),
        ("project_version_id", 123),
        ("order", "first"),
        ("order", 1.5),
        ("order", [1]),
        ("parent_category_id", False),
        ("category_type", [0]),
        ("user_id", {}),
    ],
)
def test_a_field_of_the_wrong_type_is_a_400_naming_the_field(
    project, content, unchanged, field, value
):
    body = {"name": "X", "project_version_id": project.workspace_id, field: value}
    response = project.post("/v2/Categories", json=body)
    description = refused(response, "POST", "/v2/Categories")
    assert field in description, description


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("hidden", "maybe"),
        ("title", 7),
        ("version_number", "latest"),
        ("translation_option", "someday"),
        ("category_id", ["x"]),
    ],
)
def test_a_wrong_type_on_article_update_is_a_400(project, content, unchanged, field, value):
    response = project.put(f"/v2/Articles/{content.article_id}/en", json={field: value})
    description = refused(response, "PUT", "/v2/Articles/{articleId}/{langCode}")
    assert field in description, description


@pytest.mark.parametrize(
    ("field", "value"),
    [("tags", "one,two"), ("allow_comments", "sometimes"), ("related_articles", "id")],
)
def test_a_wrong_type_on_settings_is_a_400(project, content, unchanged, field, value):
    response = project.put(f"/v2/Articles/{content.article_id}/en/settings", json={field: value})
    description = refused(response, "PUT", "/v2/Articles/{articleId}/{langCode}/settings")
    assert field in description, description


@pytest.mark.parametrize(
    ("path", "template", "field", "value", "listed"),
    [
        ("/v2/Categories", "/v2/Categories", "category_type", "Shelf", ["folder", "page", "index"]),
        ("/v2/Categories", "/v2/Categories", "category_type", 7, ["folder", "page", "index"]),
        ("/v2/Categories", "/v2/Categories", "content_type", "rtf", ["markdown", "wysiwyg"]),
        ("/v2/Articles", "/v2/Articles", "content_type", "docx", ["markdown", "wysiwyg", "block"]),
    ],
)
def test_an_unknown_enum_name_is_a_400_listing_the_valid_values(
    project, content, unchanged, path, template, field, value, listed
):
    body = {
        "name": "X",
        "title": "X",
        "project_version_id": project.workspace_id,
        "user_id": project.owner_id,
        field: value,
    }
    response = project.post(path, json=body)
    description = refused(response, "POST", template)
    assert field in description
    for name in listed:
        assert name in description, description


def test_an_unknown_status_indicator_lists_the_valid_ones(project, content, unchanged):
    response = project.put(
        f"/v2/Articles/{content.article_id}/en/settings", json={"status_indicator": "shiny"}
    )
    description = refused(response, "PUT", "/v2/Articles/{articleId}/{langCode}/settings")
    for name in ("none", "new", "updated", "custom"):
        assert name in description


@pytest.mark.parametrize("number", [HUGE, -HUGE, 2**40, 2**31])
def test_huge_integers_for_order_are_a_400_not_a_500(project, content, unchanged, number):
    ws = project.workspace_id
    attempts = [
        ("POST", "/v2/Categories", "/v2/Categories", {"name": "X", "project_version_id": ws}),
        (
            "PUT",
            f"/v2/Categories/{content.category_id}",
            "/v2/Categories/{categoryId}",
            {"name": "X"},
        ),
        (
            "POST",
            "/v2/Articles",
            "/v2/Articles",
            {
                "title": "X",
                "project_version_id": ws,
                "user_id": project.owner_id,
                "category_id": content.category_id,
            },
        ),
        (
            "PUT",
            f"/v2/Articles/{content.article_id}/en",
            "/v2/Articles/{articleId}/{langCode}",
            {"title": "X"},
        ),
    ]
    for method, path, template, body in attempts:
        response = project.client.request(
            method, path, json={**body, "order": number}, headers=project.headers
        )
        refused(response, method, template)


@pytest.mark.parametrize("number", [HUGE, -HUGE, 2**40])
def test_huge_version_numbers_are_a_400_not_a_500(project, content, unchanged, number):
    art, owner = content.article_id, project.owner_id
    attempts = [
        (
            "POST",
            f"/v2/Articles/{art}/en/publish",
            "/v2/Articles/{articleId}/{langCode}/publish",
            {"user_id": owner, "version_number": number},
        ),
        (
            "PUT",
            f"/v2/Articles/{art}/en",
            "/v2/Articles/{articleId}/{langCode}",
            {"title": "X", "version_number": number},
        ),
        (
            "PUT",
            f"/v2/Articles/{art}/fork",
            "/v2/Articles/{articleId}/fork",
            {"user_id": owner, "lang_code": "en", "version_number": number},
        ),
    ]
    for method, path, template, body in attempts:
        response = project.client.request(method, path, json=body, headers=project.headers)
        refused(response, method, template)


@pytest.mark.parametrize("number", [str(HUGE), str(2**40), "-1", "0"])
def test_huge_or_impossible_version_numbers_in_the_path_are_4xx_not_500(
    project, content, unchanged, number
):
    art = content.article_id
    read = project.get(f"/v2/Articles/{art}/en/versions/{number}")
    assert read.status_code in (400, 404), read.text
    assert_conforms(read, "GET", "/v2/Articles/{articleId}/{langCode}/versions/{versionNumber}")
    deleted = project.delete(f"/v2/Articles/{art}/en/version/{number}")
    assert deleted.status_code in (400, 404), deleted.text
    assert_conforms(
        deleted, "DELETE", "/v2/Articles/{articleId}/{langCode}/version/{versionNumber}"
    )


def test_a_non_numeric_version_number_in_the_path_is_a_400(project, content, unchanged):
    response = project.get(f"/v2/Articles/{content.article_id}/en/versions/latest")
    description = refused(
        response, "GET", "/v2/Articles/{articleId}/{langCode}/versions/{versionNumber}"
    )
    assert "versionNumber" in description


def test_overlong_text_is_never_a_500(project, content):
    response = project.post(
        "/v2/Categories", json={"name": "n" * 5000, "project_version_id": project.workspace_id}
    )
    # SQLite stores any length; PostgreSQL's varchar refuses. Either way: no 500.
    assert response.status_code < 500, response.text
    assert_conforms(response, "POST", "/v2/Categories")
    icon = project.put(f"/v2/Categories/{content.category_id}", json={"icon": "i" * 5000})
    assert icon.status_code < 500, icon.text
    assert_conforms(icon, "PUT", "/v2/Categories/{categoryId}")


# --- size and depth -------------------------------------------------------------------------


def test_a_body_over_the_size_cap_is_a_400_before_anything_is_parsed(project, content, unchanged):
    body = {
        "name": "x" * MAX_BODY,
        "project_version_id": project.workspace_id,
    }
    response = project.post("/v2/Categories", json=body)
    description = refused(response, "POST", "/v2/Categories")
    assert str(MAX_BODY) in description


def test_a_streamed_body_over_the_size_cap_is_a_400(project, content, unchanged):
    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(MAX_BODY // 1024 + 2):
            yield b"x" * 1024
        yield b'", "project_version_id": "%s"}' % project.workspace_id.encode()

    response = project.client.post(
        "/v2/Categories", content=chunks(), headers={**project.headers, **JSON_HEADERS}
    )
    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert str(MAX_BODY) in refused(response, "POST", "/v2/Categories")


def test_a_body_just_under_the_size_cap_is_accepted(project, content):
    body = {"name": "Big", "project_version_id": project.workspace_id, "content": ""}
    padding = MAX_BODY - len(json.dumps(body).encode()) - 64
    body["content"] = "y" * padding
    response = project.post("/v2/Categories", json=body)
    assert response.status_code == 200, response.text
    assert_conforms(response, "POST", "/v2/Categories")


def test_json_nested_deeper_than_the_limit_is_a_400(project, content, unchanged):
    deep: Any = "leaf"
    for _ in range(MAX_DEPTH + 1):
        deep = [deep]
    body = {"name": "X", "project_version_id": project.workspace_id, "extra": deep}
    response = project.post("/v2/Categories", json=body)
    assert str(MAX_DEPTH) in refused(response, "POST", "/v2/Categories")


def test_json_nested_very_deep_is_a_400_without_recursion_trouble(project, content, unchanged):
    raw = b"[" * 100_00 + b"]" * 100_00
    response = send_raw(project, "POST", "/v2/Categories/bulkcreate", raw)
    refused(response, "POST", "/v2/Categories/bulkcreate")


def test_json_at_the_depth_limit_is_accepted(project, content):
    deep: Any = "leaf"
    for _ in range(MAX_DEPTH - 1):
        deep = {"k": deep}
    # Unknown properties are ignored (api/v2/requests.py), so only the depth is at stake.
    body = {"name": "Deep", "project_version_id": project.workspace_id, "extra": deep}
    response = project.post("/v2/Categories", json=body)
    assert response.status_code == 200, response.text


# --- media types ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "text/json", "application/json-patch+json", "application/*+json", None],
)
def test_every_declared_json_media_type_is_accepted(project, content_type):
    raw = json.dumps({"name": "Typed", "project_version_id": project.workspace_id}).encode()
    headers = dict(project.headers)
    if content_type:
        headers["content-type"] = content_type
    response = project.client.post("/v2/Categories", content=raw, headers=headers)
    assert response.status_code == 200, response.text
    assert_conforms(response, "POST", "/v2/Categories")


def test_a_body_sent_as_plain_text_is_a_400_asking_for_json(project, content, unchanged):
    raw = json.dumps({"name": "Typed", "project_version_id": project.workspace_id}).encode()
    response = send_raw(project, "POST", "/v2/Categories", raw, **{"content-type": "text/plain"})
    assert "application/json" in refused(response, "POST", "/v2/Categories")


# --- unknown paths and methods ----------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/v2/Nothing",
        "/v2/Categories/a/b/c/d/e",
        "/v2/ProjectVersions/x/y/z",
        "/v9/Categories",
        # (A path of one segment names a workspace of the reader site: a page, see below.)
        "/nothing/at/all",
    ],
)
def test_a_path_that_matches_no_route_is_a_404_envelope(project, path):
    for method in ("GET", "POST", "DELETE"):
        response = project.client.request(method, path, headers=project.headers)
        description = assert_envelope_error(response, 404)
        assert path in description


def test_a_reader_site_path_answers_other_methods_with_a_405_naming_get(project):
    assert project.client.get("/nothing").headers["content-type"].startswith("text/html")
    response = project.client.post("/nothing", headers=project.headers)
    description = assert_envelope_error(response, 405)
    assert "GET" in description.rsplit("; use ", 1)[1].rstrip(".").split(", ")


def test_an_unknown_path_without_a_token_is_still_a_404_envelope(project):
    response = project.client.get("/v2/Nothing")
    assert_envelope_error(response, 404)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PATCH", "/v2/Categories/{cat}", {"GET", "PUT", "DELETE"}),
        ("POST", "/v2/ProjectVersions", {"GET"}),
        ("DELETE", "/v2/Teams", {"GET"}),
        ("PUT", "/v2/Articles", {"POST"}),
    ],
)
def test_a_wrong_method_on_an_existing_path_is_a_405_envelope_with_allow(
    project, content, unchanged, method, path, allowed
):
    path = path.format(cat=content.category_id)
    response = project.client.request(method, path, headers=project.headers, json={})
    description = assert_envelope_error(response, 405)
    assert method in description
    assert {m.strip() for m in response.headers["allow"].split(",")} == allowed


# --- query parameters -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"searchQuery": "x", "page": "abc"}, "page"),
        ({"searchQuery": "x", "page": "-1"}, "page"),
        ({"searchQuery": "x", "page": str(HUGE)}, "page"),
        ({"searchQuery": "x", "hitsPerPage": "ten"}, "hitsPerPage"),
        ({"searchQuery": "x", "hitsPerPage": "0"}, "hitsPerPage"),
        ({"searchQuery": "x", "includeDrafts": "perhaps"}, "includeDrafts"),
    ],
)
def test_a_search_parameter_of_the_wrong_type_is_a_400_naming_it(project, params, name):
    response = project.get(f"/v2/ProjectVersions/{project.workspace_id}/en", params=params)
    description = refused(response, "GET", "/v2/ProjectVersions/{projectVersionId}/{langCode}")
    assert name in description and "query parameter" in description


@pytest.mark.parametrize(
    ("path", "template", "params"),
    [
        ("/v2/Teams", "/v2/Teams", {"skip": "abc"}),
        ("/v2/Teams", "/v2/Teams", {"take": "-3"}),
        (
            "/v2/ProjectVersions/{ws}/categories",
            "/v2/ProjectVersions/{projectVersionId}/categories",
            {"excludeArticles": "sometimes"},
        ),
        (
            "/v2/Articles/{art}/en",
            "/v2/Articles/{articleId}/{langCode}",
            {"isPublished": "maybe"},
        ),
    ],
)
def test_other_query_parameters_of_the_wrong_type_are_400(project, content, path, template, params):
    path = path.format(ws=project.workspace_id, art=content.article_id)
    response = project.get(path, params=params)
    refused(response, "GET", template)


def test_a_missing_required_query_parameter_is_a_400_naming_it(project, content, unchanged):
    response = project.delete("/v2/Articles/bulkdelete")
    assert refused(response, "DELETE", "/v2/Articles/bulkdelete") == (
        "The ArticleIds field is required."
    )


def test_bulk_version_delete_with_non_numeric_versions_is_a_400(project, content, unchanged):
    response = project.delete(
        "/v2/Articles/bulkdelete-article-versions",
        params={"articleId": content.article_id, "langCode": "en", "articleVersionNumbers": "x"},
    )
    refused(response, "DELETE", "/v2/Articles/bulkdelete-article-versions")


# --- extension routes share the same guards ----------------------------------------------------


def test_bad_bodies_on_extension_routes_get_the_same_envelope(project, content, unchanged):
    for raw in (b"{", b"[]", b'"x"', b'{"name": 5}'):
        response = send_raw(project, "POST", "/v2/Variables", raw)
        assert_envelope_error(response, 400)


# --- random JSON ------------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
field_names = st.sampled_from(
    [
        "name",
        "title",
        "project_version_id",
        "category_id",
        "parent_category_id",
        "order",
        "category_type",
        "content_type",
        "article_type",
        "user_id",
        "content",
    ]
)
bodies = json_values | st.dictionaries(field_names | st.text(max_size=8), json_values, max_size=6)


@hypothesis_settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(category=bodies, article=bodies)
def test_random_json_never_causes_a_500_and_always_gets_an_envelope(project, category, article):
    for path, body in (("/v2/Categories", category), ("/v2/Articles", article)):
        response = project.post(path, json=body)
        assert response.status_code < 500, response.text
        assert_conforms(response, "POST", path)
        # No random body names this project's workspace, so nothing can have been created.
        assert response.status_code == 400, response.text
