"""The v3 wire shapes: the success wrapper, the paginated wrapper and the RFC 7807 problem
document (api-reference.md §2.6), each serialised once with orjson."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from fastapi.responses import Response
from pydantic import BaseModel

from lorebase.api.wire import dumps
from lorebase.kb.errors import Invalid

PROBLEM_MEDIA_TYPE = "application/problem+json"
ERROR_TYPE_BASE = "https://developer.document360.com/errors/"

# §2.6: status -> (type slug, title, errors[0].code), as Document360 documents them.
PROBLEMS: dict[int, tuple[str, str, str]] = {
    400: ("bad-request", "Bad Request.", "BAD_REQUEST"),
    401: ("unauthorized", "Unauthorized.", "UNAUTHORIZED"),
    403: ("forbidden", "Forbidden.", "FORBIDDEN"),
    404: ("not-found", "Not Found.", "RESOURCE_NOT_FOUND"),
    405: ("method-not-allowed", "Method Not Allowed.", "METHOD_NOT_ALLOWED"),
    408: ("request-timeout", "Request Timeout.", "REQUEST_TIMEOUT"),
    409: ("conflict", "Conflict.", "CONFLICT"),
    413: ("payload-too-large", "Payload Too Large.", "PAYLOAD_TOO_LARGE"),
    422: ("validation-error", "Unprocessable Entity.", "VALIDATION_ERROR"),
    429: ("too-many-requests", "Too Many Requests.", "TOO_MANY_REQUESTS"),
    500: ("internal-error", "Internal Server Error.", "INTERNAL_SERVER_ERROR"),
    503: ("service-unavailable", "Service Unavailable.", "SERVICE_UNAVAILABLE"),
}


def request_id() -> str:
    return str(uuid.uuid4())


def wrapped(data: Any, **extra: Any) -> dict[str, Any]:
    return {
        "data": data,
        "success": True,
        "request_id": request_id(),
        "errors": [],
        "warnings": [],
        **extra,
    }


def ok(data: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        dumps(wrapped(data)), status_code=status, media_type="application/json", headers=headers
    )


@dataclass(frozen=True)
class PageRequest:
    """The list query of §2.6: `cursor` (opaque, from `next_cursor`) overrides `page`."""

    page: int = 1
    page_size: int = 25
    cursor: str | None = None
    include_total_count: bool = False

    def offset(self) -> int:
        if self.cursor is None:
            return (self.page - 1) * self.page_size
        return _decode_cursor(self.cursor)


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, value = text.partition(":")
        if kind == "o" and value.isdigit():
            return int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise Invalid("The cursor is not one this API returned; start again without a cursor.")


def paginated(items: Sequence[Any], paging: PageRequest) -> Response:
    """One page of `items` with its `pagination`; `page` is 0 when a cursor chose the page."""
    start = paging.offset()
    page = list(items[start : start + paging.page_size])
    has_more = start + len(page) < len(items)
    info: dict[str, Any] = {
        "page": 0 if paging.cursor is not None else paging.page,
        "page_size": paging.page_size,
        "has_more": has_more,
    }
    if paging.include_total_count:
        info["total_count"] = len(items)
    if has_more:
        info["next_cursor"] = _encode_cursor(start + len(page))
    return Response(dumps(wrapped(page, pagination=info)), media_type="application/json")


def problem_body(
    status: int, detail: str, *, instance: str | None = None, field: str | None = None
) -> dict[str, Any]:
    slug, title, code = PROBLEMS.get(status, PROBLEMS[500] if status >= 500 else PROBLEMS[400])
    error: dict[str, Any] = {"code": code, "message": detail}
    if field is not None:
        error["field"] = field
    return {
        "type": ERROR_TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "trace_id": request_id(),
        "errors": [error],
        "warnings": [],
    }


def problem(
    status: int,
    detail: str,
    *,
    instance: str | None = None,
    field: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    return Response(
        dumps(problem_body(status, detail, instance=instance, field=field)),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


# The shapes above as models, for the OpenAPI document only: responses are built as dicts
# and serialised once (DESIGN.md, measured performance rules).
Data = TypeVar("Data")


class ApiErrorModel(BaseModel):
    code: str
    message: str
    field: str | None = None
    details: str | None = None


class ApiWarningModel(BaseModel):
    code: str
    message: str


class ApiResponse(BaseModel, Generic[Data]):
    data: Data
    success: bool
    request_id: str
    errors: list[ApiErrorModel] | None = None
    warnings: list[ApiWarningModel] | None = None


class PaginationInfo(BaseModel):
    page: int
    page_size: int
    total_count: int | None = None
    has_more: bool
    next_cursor: str | None = None


class PaginatedResponse(ApiResponse[list[Data]], Generic[Data]):
    pagination: PaginationInfo


class ProblemDetails(BaseModel):
    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    trace_id: str | None = None
    errors: list[ApiErrorModel] | None = None
    warnings: list[ApiWarningModel] | None = None


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem documents a route may answer with."""
    return {
        status: {
            # `model` registers the schema (FastAPI files it under application/json too).
            "model": ProblemDetails,
            "description": PROBLEMS[status][1],
            "content": {
                PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}
            },
        }
        for status in statuses
    }
