"""Self-tests of tests/conformance/official.py against the official document itself.

They prove the validator set-up is neither too lax (invalid bodies fail with precise
messages) nor too strict (the document's own examples pass), so that a failure of
``assert_conforms`` in an API test points at the server, not at the harness.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conformance.official import (
    ENVELOPE_REF,
    SPEC_DIR_ENV,
    SPEC_FILENAME,
    VENDORED_SPEC,
    OfficialSpec,
    UnknownOperationError,
    assert_conforms,
    official_spec,
    spec_path,
)

SPEC = official_spec()
CATEGORY = "/v2/Categories/{categoryId}"
NAIVE_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?")


@dataclass(frozen=True)
class Example:
    method: str
    path: str
    status: int  # 0 for a request-body example
    name: str
    value: Any

    @property
    def key(self) -> tuple[str, str, int, str]:
        return (self.method, self.path, self.status, self.name)

    def __str__(self) -> str:
        where = "request" if self.status == 0 else str(self.status)
        return f"{self.method} {self.path} {where} {self.name!r}"


def _response_examples() -> Iterator[Example]:
    for method, path in SPEC.operations():
        for status, response in SPEC.operation(method, path)["responses"].items():
            media = response.get("content", {}).get("application/json", {})
            for name, example in media.get("examples", {}).items():
                yield Example(method, path, int(status), name, example["value"])


def _request_examples() -> Iterator[Example]:
    for method, path in SPEC.operations():
        body = SPEC.operation(method, path).get("requestBody") or {}
        media = body.get("content", {}).get("application/json", {})
        for name, example in media.get("examples", {}).items():
            yield Example(method, path, 0, name, example["value"])


def _claims_success(value: Any) -> bool:
    return isinstance(value, dict) and value.get("success") is True and not value.get("errors")


RESPONSE_EXAMPLES = list(_response_examples())
SUCCESS_EXAMPLES = [
    e for e in RESPONSE_EXAMPLES if e.status in (200, 400) and _claims_success(e.value)
]
OTHER_EXAMPLES = [e for e in RESPONSE_EXAMPLES if e not in SUCCESS_EXAMPLES]
REQUEST_EXAMPLES = list(_request_examples())

#: Official examples that contradict their own declared schema, with the reason and a
#: fragment the validation error must contain (so the entry goes stale loudly if the
#: document or the validator changes). Cf. api-reference.md section 7 item 10.
KNOWN_BAD_EXAMPLES: dict[tuple[str, str, int, str], tuple[str, str]] = {
    ("PUT", "/v2/Articles/{articleId}/{langCode}", 200, "Article Created Successfully"): (
        "example `data` is a full article (content, html_content, authors, url, ...) but the "
        "declared CreateArticleResponse.data is ArticleSimpleDataCustomer, "
        "additionalProperties: false",
        "/data: Additional properties are not allowed ('authors', 'category_id', 'category_type'",
    ),
    ("POST", "/v2/Articles/{articleId}/publish", 200, "Publish Article Request Example"): (
        "example has a top-level `url`, absent from the declared CreateArticleResponse",
        "(root): Additional properties are not allowed ('url' was unexpected)",
    ),
    (
        "POST",
        "/v2/Articles/{articleId}/{langCode}/publish",
        200,
        "Publish Article Request Example",
    ): (
        "example has a top-level `url`, absent from the declared CreateArticleResponse",
        "(root): Additional properties are not allowed ('url' was unexpected)",
    ),
    ("POST", "/v2/Articles/bulkpublish/{langCode}", 200, "Publish Article Request Example"): (
        "example `data` is an array of per-article results, the declared "
        "CreateArticleResponse.data is one object",
        "is not of type 'object'",
    ),
}


def _with_utc_offsets(value: Any) -> Any:
    """The example as Lorebase would emit it: zone-less date-times in UTC with milliseconds."""
    if isinstance(value, dict):
        return {k: _with_utc_offsets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_utc_offsets(v) for v in value]
    if isinstance(value, str) and NAIVE_DATETIME.fullmatch(value):
        seconds, _, fraction = value.partition(".")
        return f"{seconds}.{(fraction + '000')[:3]}Z"
    return value


def _example(method: str, path: str, status: int, name: str) -> Any:
    for example in RESPONSE_EXAMPLES:
        if example.key == (method, path, status, name):
            return copy.deepcopy(example.value)
    raise LookupError(name)


def _category_body() -> dict[str, Any]:
    """A valid GET /v2/Categories/{categoryId} 200 body (the official example, with Z)."""
    body: dict[str, Any] = _with_utc_offsets(_example("GET", CATEGORY, 200, "Success Response"))
    SPEC.validate_response("GET", CATEGORY, 200, body)
    return body


def _rejection(method: str, path: str, status: int, body: Any, **kwargs: Any) -> str:
    with pytest.raises(AssertionError) as info:
        SPEC.validate_response(method, path, status, body, **kwargs)
    return str(info.value)


def _response(status: int, body: Any, content_type: str = "application/json") -> httpx.Response:
    return httpx.Response(
        status, content=json.dumps(body).encode(), headers={"content-type": content_type}
    )


def _error_envelope(description: str = "Category not found") -> dict[str, Any]:
    return {
        "extension_data": None,
        "success": False,
        "errors": [
            {
                "extension_data": None,
                "stack_trace": None,
                "description": description,
                "error_code": "404",
                "custom_data": None,
            }
        ],
        "warnings": [],
        "information": [],
    }


# ------------------------------------------------------------------ loading and lookup


def test_spec_is_loaded_once_and_has_the_expected_size() -> None:
    assert official_spec() is SPEC
    assert SPEC.document["openapi"] == "3.0.1"
    assert len(list(SPEC.operations())) >= 70
    # Guard against the example collection silently going empty.
    assert len(SUCCESS_EXAMPLES) >= 60
    assert len(REQUEST_EXAMPLES) >= 30


SHARED_SPEC = Path(__file__).resolve().parents[2].parent / "shared" / "spec" / SPEC_FILENAME


@pytest.mark.skipif(
    not SHARED_SPEC.exists(),
    reason=f"no shared contract at {SHARED_SPEC} to compare the repository's copy with "
    "(a plain clone); CI has it",
)
def test_the_repositorys_copy_of_the_official_document_is_the_shared_contract() -> None:
    assert VENDORED_SPEC.read_bytes() == SHARED_SPEC.read_bytes()


def test_spec_dir_can_be_overridden(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert spec_path() == VENDORED_SPEC
    monkeypatch.setenv(SPEC_DIR_ENV, str(tmp_path))
    assert spec_path() == tmp_path / SPEC_FILENAME
    with pytest.raises(FileNotFoundError, match=SPEC_DIR_ENV):
        OfficialSpec.load()


def test_operation_lookup_is_exact_and_suggests_close_matches() -> None:
    op = SPEC.operation("get", "/v2/Categories/{categoryId}/{langCode}versions")
    assert op["responses"]["200"]
    with pytest.raises(UnknownOperationError) as info:
        SPEC.operation("GET", "/v2/Categories/{categoryId}/{langCode}/versions")
    assert isinstance(info.value, KeyError)
    assert "GET /v2/Categories/{categoryId}/{langCode}versions" in str(info.value)
    with pytest.raises(KeyError, match="PATCH /v2/Categories"):
        SPEC.operation("PATCH", CATEGORY)


# --------------------------------------------------- (a) official examples validate


@pytest.mark.parametrize("example", SUCCESS_EXAMPLES, ids=str)
def test_official_success_example_matches_its_schema(example: Example) -> None:
    known_bad = KNOWN_BAD_EXAMPLES.get(example.key)
    utc = _with_utc_offsets(example.value)
    if known_bad is not None:
        _reason, fragment = known_bad
        assert fragment in _rejection(example.method, example.path, example.status, utc)
        return
    # As Lorebase emits it (with Z), under the default strict RFC 3339 check ...
    SPEC.validate_response(example.method, example.path, example.status, utc)
    # ... and verbatim, zone-less date-times and all, in the lenient mode.
    SPEC.validate_response(
        example.method,
        example.path,
        example.status,
        example.value,
        allow_naive_datetime=True,
    )


def test_known_bad_examples_exist() -> None:
    keys = {e.key for e in SUCCESS_EXAMPLES}
    assert set(KNOWN_BAD_EXAMPLES) <= keys


@pytest.mark.parametrize("example", OTHER_EXAMPLES, ids=str)
def test_official_error_example_matches_its_schema(example: Example) -> None:
    # Error examples (and the odd "success: false" 200s) are bare or payload envelopes.
    SPEC.validate_response(
        example.method,
        example.path,
        example.status,
        _with_utc_offsets(example.value),
    )


def test_zone_less_official_example_fails_strict_date_time_check() -> None:
    raw = _example("GET", CATEGORY, 200, "Success Response")
    message = _rejection("GET", CATEGORY, 200, raw)
    assert "/data/modified_at: '2024-06-13T14:30:00' is not a 'date-time'" in message
    assert "/data/articles/1/modified_at:" in message


# ---------------------------------------------- (b) invalid bodies are rejected usefully


@pytest.mark.parametrize("status", [1, 2, 7, -1, "3", 3.0])
def test_integer_enum_behind_ref_rejects_other_values(status: Any) -> None:
    body = _category_body()
    body["data"]["child_categories"][0]["status"] = status
    message = _rejection("GET", CATEGORY, 200, body)
    assert "/data/child_categories/0/status:" in message


def test_enum_error_message_names_path_and_value() -> None:
    body = _category_body()
    body["data"]["child_categories"][0]["status"] = 7
    message = _rejection("GET", CATEGORY, 200, body)
    assert "/data/child_categories/0/status: 7 is not one of [0, 3]" in message
    assert "GetCategoryResponse" in message
    assert "(1 error)" in message


@pytest.mark.parametrize("status", [0, 3])
def test_integer_enum_accepts_its_values(status: int) -> None:
    body = _category_body()
    body["data"]["child_categories"][0]["status"] = status
    SPEC.validate_response("GET", CATEGORY, 200, body)


def test_extra_property_is_rejected_at_every_level() -> None:
    body = _category_body()
    body["context"] = None
    body["data"]["bogus"] = 1
    body["data"]["articles"][0]["created_at"] = "2024-06-13T14:30:00Z"
    message = _rejection("GET", CATEGORY, 200, body)
    assert "(root): Additional properties are not allowed ('context' was unexpected)" in message
    assert "/data: Additional properties are not allowed ('bogus' was unexpected)" in message
    assert "/data/articles/0: Additional properties are not allowed ('created_at'" in message
    assert "(3 errors)" in message


def test_string_where_integer_expected() -> None:
    body = _category_body()
    body["data"]["order"] = "11"
    assert "/data/order: '11' is not of type 'integer'" in _rejection("GET", CATEGORY, 200, body)
    body["data"]["order"] = True
    assert "/data/order: True is not of type 'integer'" in _rejection("GET", CATEGORY, 200, body)
    body["data"]["order"] = 1.5
    assert "/data/order: 1.5 is not of type 'integer'" in _rejection("GET", CATEGORY, 200, body)


def test_int32_range_is_checked() -> None:
    body = _category_body()
    body["data"]["order"] = 2**31
    assert "/data/order: 2147483648 is not a 'int32'" in _rejection("GET", CATEGORY, 200, body)
    body["data"]["order"] = 2**31 - 1
    SPEC.validate_response("GET", CATEGORY, 200, body)


@pytest.mark.parametrize(
    "value",
    [
        "2024-06-13T14:30:00",  # zone-less: RFC 3339 requires an offset
        "2024-13-01T14:30:00Z",
        "2024-02-30T14:30:00Z",
        "2024-06-13T25:30:00Z",
        "2024-06-13",
        "13/06/2024 14:30",
        "yesterday",
        "",
    ],
)
def test_bad_date_time_is_rejected(value: str) -> None:
    body = _category_body()
    body["data"]["modified_at"] = value
    message = _rejection("GET", CATEGORY, 200, body)
    assert f"/data/modified_at: {value!r} is not a 'date-time'" in message


@pytest.mark.parametrize(
    "value",
    ["2024-06-13T14:30:00Z", "2024-06-13T14:30:00.123456Z", "2024-06-13T16:30:00+02:00"],
)
def test_rfc3339_date_time_is_accepted(value: str) -> None:
    body = _category_body()
    body["data"]["modified_at"] = value
    SPEC.validate_response("GET", CATEGORY, 200, body)


def test_lenient_mode_accepts_only_zone_less_real_date_times() -> None:
    body = _category_body()
    body["data"]["modified_at"] = "2024-06-13T14:30:00"
    SPEC.validate_response("GET", CATEGORY, 200, body, allow_naive_datetime=True)
    body["data"]["modified_at"] = "2024-02-30T14:30:00"
    message = _rejection("GET", CATEGORY, 200, body, allow_naive_datetime=True)
    assert "is not a 'date-time'" in message


def test_nullable_next_to_allof_accepts_null() -> None:
    # {"allOf": [{"$ref": ...}], "nullable": true}: envelope extension_data, the payload
    # itself, and integer enums such as content_type (ArticleContentType [0, 1, 2]).
    body = _category_body()
    body["extension_data"] = None
    body["data"]["articles"][0]["content_type"] = None
    body["data"]["child_categories"][0]["status"] = None
    SPEC.validate_response("GET", CATEGORY, 200, body)
    SPEC.validate_response("GET", CATEGORY, 200, {**body, "data": None})


def test_nullable_next_to_allof_still_validates_non_null_values() -> None:
    body = _category_body()
    body["extension_data"] = {"x": 1}
    body["data"]["articles"][0]["content_type"] = 3
    body["data"]["articles"][1]["content_type"] = "Markdown"
    message = _rejection("GET", CATEGORY, 200, body)
    assert "/extension_data: Additional properties are not allowed ('x' was unexpected)" in (
        message
    )
    assert "/data/articles/0/content_type: 3 is not one of [0, 1, 2]" in message
    assert "/data/articles/1/content_type: 'Markdown' is not one of [0, 1, 2]" in message


def test_null_is_rejected_where_not_nullable() -> None:
    body = _category_body()
    body["success"] = None
    body["data"]["hidden"] = None
    # ArticleSimpleDataCustomer.status is a plain allOf-$ref, without nullable.
    body["data"]["articles"][0]["status"] = None
    message = _rejection("GET", CATEGORY, 200, body)
    assert "/success: None for not nullable" in message
    assert "/data/hidden: None for not nullable" in message
    assert "/data/articles/0/status: None is not one of [0, 3]" in message


def test_wrong_root_type_and_long_values_are_truncated() -> None:
    message = _rejection("GET", CATEGORY, 200, [{"x": "y" * 10_000}])
    assert "(root): " in message
    assert "is not of type 'object'" in message
    assert len(message) < 600
    body = _category_body()
    body["data"]["name"] = list(range(10_000))
    message = _rejection("GET", CATEGORY, 200, body)
    assert "/data/name: [0, 1, 2" in message
    assert "… is not of type 'string'" in message
    assert len(message) < 600


def test_every_error_is_listed_up_to_a_cap() -> None:
    body = _category_body()
    articles = body["data"]["articles"]
    body["data"]["articles"] = [dict(articles[0], status=9) for _ in range(60)]
    message = _rejection("GET", CATEGORY, 200, body)
    assert "(60 errors)" in message
    assert "/data/articles/0/status: 9 is not one of [0, 3]" in message
    assert "… and 10 more" in message


# ---------------------------------------------- (c) undeclared statuses use the envelope


@pytest.mark.parametrize("status", [401, 403, 404, 429, 500, 503])
def test_undeclared_status_falls_back_to_envelope(status: int) -> None:
    assert SPEC.response_schema("GET", CATEGORY, status) == {"$ref": ENVELOPE_REF}
    SPEC.validate_response("GET", CATEGORY, status, _error_envelope())
    payload = {**_error_envelope(), "data": None}
    message = _rejection("GET", CATEGORY, status, payload)
    assert f"-> {status}: body does not conform to {ENVELOPE_REF}" in message
    assert "('data' was unexpected)" in message


def test_undeclared_400_falls_back_to_envelope() -> None:
    assert SPEC.declared_statuses("GET", "/v2/Teams") == {200}
    assert SPEC.response_schema("GET", "/v2/Teams", 400) == {"$ref": ENVELOPE_REF}
    SPEC.validate_response("GET", "/v2/Teams", 400, _error_envelope("bad"))


def test_declared_statuses_use_their_own_schema() -> None:
    assert SPEC.response_schema("GET", CATEGORY, 200) == {
        "$ref": "#/components/schemas/GetCategoryResponse"
    }
    assert SPEC.response_schema("GET", CATEGORY, 400) == {"$ref": ENVELOPE_REF}


# ------------------------------------------------------------------ assert_conforms()


def test_assert_conforms_accepts_a_valid_success_response() -> None:
    assert_conforms(_response(200, _category_body()), "GET", CATEGORY)
    resp = _response(200, _category_body(), "application/json; charset=utf-8")
    assert_conforms(resp, "GET", CATEGORY)


@pytest.mark.parametrize(
    "written",
    ["2024-06-13T14:30:00Z", "2024-06-13T14:30:00.123456Z", "2024-06-13T16:30:00.123+02:00"],
)
def test_assert_conforms_insists_on_lorebases_one_date_time_form(written: str) -> None:
    body = _category_body()
    body["data"]["created_at"] = written
    with pytest.raises(AssertionError, match="/data/created_at"):
        assert_conforms(_response(200, body), "GET", CATEGORY)


@pytest.mark.parametrize("status", [400, 401, 404, 429, 500])
def test_assert_conforms_accepts_a_valid_error_response(status: int) -> None:
    assert_conforms(_response(status, _error_envelope()), "GET", CATEGORY)


@pytest.mark.parametrize(
    ("status", "body", "content_type", "expected"),
    [
        (200, {"success": True}, "text/html", "content-type is 'text/html'"),
        (200, {"success": True}, "application/problem+json", "expected application/json"),
        (201, {"success": True}, "application/json", "status 201 is not declared"),
        (200, {"success": "true"}, "application/json", "/success: 'true' is not of type"),
        (200, {"errors": []}, "application/json", "'success' must be a boolean"),
        (404, {**_error_envelope(), "success": True}, "application/json", "'success' is true"),
        (404, {**_error_envelope(), "errors": []}, "application/json", "non-empty 'errors'"),
        (404, {**_error_envelope(), "errors": None}, "application/json", "non-empty 'errors'"),
        (429, {"success": False}, "application/json", "non-empty 'errors' list, got null"),
        (
            404,
            {**_error_envelope(), "errors": [{"description": "  "}]},
            "application/json",
            "errors[0].description must be a non-empty string",
        ),
        (
            404,
            {**_error_envelope(), "errors": [{"error_code": "404"}]},
            "application/json",
            "errors[0].description must be a non-empty string, got null",
        ),
        (404, {**_error_envelope(), "data": None}, "application/json", "'data' was unexpected"),
    ],
)
def test_assert_conforms_rejects(status: int, body: Any, content_type: str, expected: str) -> None:
    with pytest.raises(AssertionError) as info:
        assert_conforms(_response(status, body, content_type), "GET", CATEGORY)
    assert expected in str(info.value)
    assert f"GET {CATEGORY} -> {status}" in str(info.value)


def test_assert_conforms_rejects_non_json_body() -> None:
    resp = httpx.Response(200, content=b"<html/>", headers={"content-type": "application/json"})
    with pytest.raises(AssertionError, match="body is not JSON"):
        assert_conforms(resp, "GET", CATEGORY)


def test_assert_conforms_rejects_unknown_operation() -> None:
    with pytest.raises(KeyError, match="close matches"):
        assert_conforms(_response(200, _category_body()), "GET", "/v2/Category/{categoryId}")


# -------------------------------------------------------------------- (d) request bodies


@pytest.mark.parametrize("example", REQUEST_EXAMPLES, ids=str)
def test_official_request_example_is_a_valid_request(example: Example) -> None:
    SPEC.validate_request_body(example.method, example.path, example.value)
    SPEC.validate_request_body(
        example.method,
        example.path,
        _with_utc_offsets(example.value),
        allow_naive_datetime=False,
    )


def test_invalid_request_bodies_are_rejected() -> None:
    good = {
        "title": "New Article",
        "project_version_id": "46f48bc7-760f-4b07-b2d2-fce4aa8ba234",
        "user_id": "f11efc6f-e968-4e95-82eb-85ad61559de8",
    }
    SPEC.validate_request_body("POST", "/v2/Articles", good)
    SPEC.validate_request_body("POST", "/v2/Articles", {**good, "content_type": None})
    bad: dict[str, Any] = {k: v for k, v in good.items() if k != "title"}
    bad.update(content_type=5, export_type=0)
    with pytest.raises(AssertionError) as info:
        SPEC.validate_request_body("POST", "/v2/Articles", bad)
    message = str(info.value)
    assert "POST /v2/Articles request body does not conform to" in message
    assert "(root): 'title' is a required property" in message
    assert "/content_type: 5 is not one of [0, 1, 2]" in message
    assert "('export_type' was unexpected)" in message


def test_request_body_lookup_errors_are_clear() -> None:
    with pytest.raises(KeyError, match="no application/json request body"):
        SPEC.validate_request_body("GET", CATEGORY, {})
    with pytest.raises(KeyError, match="multipart/form-data"):
        SPEC.validate_request_body("POST", "/v2/Drive/Folders/Files", {})


# ------------------------------------------------------- a synthetic in-memory document


def test_in_memory_document_and_alternatives_in_messages() -> None:
    document: dict[str, Any] = {
        "openapi": "3.0.1",
        "paths": {
            "/v2/Things/{id}": {
                "get": {
                    "responses": {
                        "200": {
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Thing"}
                                }
                            }
                        }
                    }
                }
            }
        },
        "components": {
            "schemas": {
                "Thing": {
                    "type": "object",
                    "properties": {
                        "value": {"oneOf": [{"type": "integer"}, {"type": "boolean"}]},
                        "kind": {"anyOf": [{"$ref": "#/components/schemas/Kind"}]},
                    },
                    "additionalProperties": False,
                },
                "Kind": {"type": "integer", "enum": [0, 1]},
            }
        },
    }
    spec = OfficialSpec(document)
    spec.validate_response("GET", "/v2/Things/{id}", 200, {"value": 1, "kind": 0})
    with pytest.raises(AssertionError) as info:
        spec.validate_response("GET", "/v2/Things/{id}", 200, {"value": "x", "kind": 5})
    message = str(info.value)
    assert "/value: 'x' is not valid under any of the given schemas" in message
    assert "- /value: 'x' is not of type 'integer'" in message
    assert "- /kind: 5 is not one of [0, 1]" in message
    assert spec.response_schema("GET", "/v2/Things/{id}", 404) == {"$ref": ENVELOPE_REF}
