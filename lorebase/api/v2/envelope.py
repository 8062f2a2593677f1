"""The v2 response envelope, serialised once with orjson."""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response

from lorebase.api.wire import dumps


def envelope(**payload: Any) -> dict[str, Any]:
    return {
        **payload,
        "extension_data": None,
        "success": True,
        "errors": [],
        "warnings": [],
        "information": [],
    }


def ok(*, information: list[str] | None = None, **payload: Any) -> Response:
    body = envelope(**payload)
    if information:
        body["information"] = [{"extension_data": None, "description": d} for d in information]
    return Response(dumps(body), media_type="application/json")


def raw_ok(body: bytes) -> Response:
    return Response(body, media_type="application/json")


def error_body(description: str, status: int) -> dict[str, Any]:
    body = envelope()
    body["success"] = False
    body["errors"] = [
        {
            "extension_data": None,
            "stack_trace": None,
            "description": description,
            "error_code": str(status),
            "custom_data": None,
        }
    ]
    return body


def fail(status: int, description: str, headers: dict[str, str] | None = None) -> Response:
    return Response(
        dumps(error_body(description, status)),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )
