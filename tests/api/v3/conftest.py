"""v3 calls carry the token as `Authorization: Bearer` (api-reference.md §2.5)."""

from __future__ import annotations

from typing import Any

ERRORS = "https://developer.document360.com/errors/"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def v3_get(project: Any, path: str, token: str | None = None, **kw: Any) -> Any:
    headers = {**bearer(token or project.token), **kw.pop("headers", {})}
    return project.client.get(path, headers=headers, **kw)


def v3_post(project: Any, path: str, token: str | None = None, **kw: Any) -> Any:
    headers = {**bearer(token or project.token), **kw.pop("headers", {})}
    return project.client.post(path, headers=headers, **kw)


def assert_success(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["success"] is True
    assert body["errors"] == [] and body["warnings"] == []
    assert body["request_id"]
    return body["data"]


def assert_problem(response: Any, status: int, slug: str, code: str) -> dict[str, Any]:
    """An RFC 7807 document with §2.6's type, title and errors[0].code for `status`."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == ERRORS + slug
    assert body["status"] == status
    assert body["title"].endswith(".")
    assert body["trace_id"]
    assert body["errors"][0]["code"] == code
    assert body["errors"][0]["message"] == body["detail"]
    return body
