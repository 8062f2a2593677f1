"""Every failure on a v2 route becomes a v2 envelope with `success: false`, here and only here."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from lorebase.api.limits import BodyTooSlow, UploadTooLarge
from lorebase.api.v2.envelope import fail
from lorebase.api.v3 import errors as v3_errors
from lorebase.db.engine import is_database_busy
from lorebase.kb.errors import Conflict, Forbidden, Invalid, KbError, NotFound

log = logging.getLogger("lorebase.api")

STATUS_OF: dict[type[KbError], int] = {Invalid: 400, NotFound: 404, Conflict: 409, Forbidden: 403}


class ApiError(Exception):
    """An HTTP-level refusal raised by the v2 layer itself (auth, body limits)."""

    def __init__(self, status: int, description: str, headers: dict[str, str] | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.headers = headers


def pascal(field: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[_\s]+", field))


SOURCES = ("body", "query", "path", "header")


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _where(loc: list[Any]) -> str:
    """`[0, "name"]` -> `[0].name`: where in the body the bad value sits."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


def describe_validation(errors: list[dict[str, Any]]) -> str:
    """ASP.NET-style messages for the first problem, as Document360's docs show them."""
    error = errors[0]
    raw = list(error.get("loc", ()))
    source = raw[0] if raw and raw[0] in SOURCES else "body"
    loc = raw[1:] if raw and raw[0] in SOURCES else raw
    kind = error.get("type", "")
    given = error.get("input")
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    if kind == "aspnet_message":
        # A complete sentence in Document360's own words (see api/v2/requests.py).
        return message
    if kind in ("json_invalid", "value_error.jsondecode"):
        return f"The request body is not valid JSON: {error.get('ctx', {}).get('error', message)}."
    if kind == "missing":
        if source == "body" and not loc:
            return "A non-empty request body is required."
        return f"The {pascal(str(loc[-1]))} field is required."
    if source != "body":
        return f"The {source} parameter {_where(loc)} is not valid: {message}."
    if not loc:
        if isinstance(given, bytes | bytearray):
            return "The request body must be JSON sent with Content-Type: application/json."
        if kind in ("model_type", "model_attributes_type", "dict_type"):
            return f"The request body must be a JSON object, not {_json_kind(given)}."
        if kind == "list_type":
            return f"The request body must be a JSON array, not {_json_kind(given)}."
    return f"The value of {_where(loc) or 'the request body'} is not valid: {message}."


OUT_OF_RANGE = (
    "A number in the request is out of range: integers must lie between -2147483648 and 2147483647."
)
TOO_LONG = "A text value in the request is longer than Lorebase can store for that field."
UNSTORABLE = "A value in the request cannot be stored; check numbers and text for odd values."


def unstorable_description(exc: Exception) -> str:
    if isinstance(exc, OverflowError):
        return OUT_OF_RANGE
    # SQLSTATE class 22 (data exception): 22003 numeric out of range, 22001 string too long.
    state = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return {"22003": OUT_OF_RANGE, "22001": TOO_LONG}.get(state or "", UNSTORABLE)


def allowed_methods(request: Request) -> str:
    """Every method some route serves on this path (RFC 9110: a 405 carries Allow).

    Starlette's own Allow names only the first route that matched the path, but FastAPI
    registers one route per method, so /v2/Categories/{id} would claim to allow GET alone.
    The declared paths (the OpenAPI document FastAPI caches) are the full list.
    """
    paths: dict[str, dict[str, Any]] = request.app.openapi().get("paths", {})
    methods: set[str] = set()
    for template, operations in paths.items():
        if _template_pattern(template).fullmatch(request.url.path):
            methods.update(m.upper() for m in operations if m.upper() in HTTP_METHODS)
    return ", ".join(sorted(methods))


HTTP_METHODS = frozenset({"GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "HEAD"})


@functools.cache
def _template_pattern(template: str) -> re.Pattern[str]:
    literal_parts = re.split(r"\{[^}/]+\}", template)
    return re.compile("[^/]+".join(re.escape(part) for part in literal_parts))


Handler = Callable[[Request, Any], Awaitable[Response]]


# Paths that belong to the browser (the portal, the account pages), never to the API.
_BROWSER_ONLY = ("/portal/", "/account/")


def _browser_only(request: Request) -> bool:
    return (request.url.path + "/").startswith(_BROWSER_ONLY)


def _v2_only(handler: Handler) -> Handler:
    """This module shapes v2 errors only; /v3 paths get api/v3/errors.py's problem+json, and
    browser pages lorebase.web.pages' error page."""

    @functools.wraps(handler)
    async def routed(request: Request, exc: Any) -> Response:
        if v3_errors.is_v3(request):
            return v3_errors.problem_for(request, exc)
        answer = await handler(request, exc)
        if getattr(request.state, "visitor", None) is None and _browser_only(request):
            # No route matched, so no dependency met the visitor; these paths are only ever
            # opened in a browser, so the answer is a page all the same.
            from lorebase.web.visitor import current_visitor

            await current_visitor(request)
        if getattr(request.state, "visitor", None) is not None:
            # A browser page met the error (its visitor was known): the same status and
            # words, as a page rather than a v2 envelope.
            from lorebase.web.pages import error_page

            return error_page(request, answer)
        return answer

    return routed


def install(app: FastAPI) -> None:
    @app.exception_handler(KbError)
    @_v2_only
    async def _domain(_request: Request, exc: KbError) -> Response:
        return fail(STATUS_OF.get(type(exc), 400), exc.message)

    @app.exception_handler(ApiError)
    @_v2_only
    async def _api(_request: Request, exc: ApiError) -> Response:
        return fail(exc.status, exc.description, exc.headers)

    @app.exception_handler(UploadTooLarge)
    @_v2_only
    async def _upload(_request: Request, exc: UploadTooLarge) -> Response:
        return fail(400, f"The upload exceeds {exc.limit} bytes.")

    @app.exception_handler(BodyTooSlow)
    @_v2_only
    async def _slow(_request: Request, exc: BodyTooSlow) -> Response:
        return fail(408, exc.detail, {"Connection": "close"})

    @app.exception_handler(RequestValidationError)
    @_v2_only
    async def _validation(_request: Request, exc: RequestValidationError) -> Response:
        return fail(400, describe_validation(list(exc.errors())))

    # The last line of defence for numbers no field bound caught (a path segment such as
    # versionNumber=2**80): the driver refuses them before anything is written, so they are
    # the client's mistake, not a 500.
    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    @_v2_only
    async def _unstorable(request: Request, exc: Exception) -> Response:
        log.warning("unstorable value on %s %s: %s", request.method, request.url.path, exc)
        return fail(400, unstorable_description(exc))

    @app.exception_handler(IntegrityError)
    @app.exception_handler(OperationalError)
    @_v2_only
    async def _database(request: Request, exc: Exception) -> Response:
        if v3_errors.is_write_conflict(exc):
            log.warning("write conflict on %s %s: %s", request.method, request.url.path, exc)
            return fail(409, v3_errors.WRITE_CONFLICT)
        if is_database_busy(exc):
            log.warning("database busy on %s %s: %s", request.method, request.url.path, exc)
            return fail(503, v3_errors.DATABASE_BUSY, v3_errors.BUSY_RETRY_AFTER)
        return await _unexpected(request, exc)

    @app.exception_handler(StarletteHTTPException)
    @_v2_only
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404 and _browser_only(request):
            return fail(404, "Nothing in Lorebase has this address. Check the link.")
        if exc.status_code == 404:
            return fail(404, f"No API route matches {request.method} {request.url.path}.")
        headers = dict(exc.headers) if exc.headers else None
        if exc.status_code == 405:
            # Routes outside the API's document (the reader site's pages) name theirs in Allow.
            allowed = allowed_methods(request) or (exc.headers or {}).get("Allow", "")
            return fail(
                405,
                f"{request.method} is not allowed on {request.url.path}; use {allowed}.",
                {**(headers or {}), "Allow": allowed},
            )
        return fail(exc.status_code, str(exc.detail), headers)

    @app.exception_handler(Exception)
    @_v2_only
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return fail(500, "Lorebase hit an internal error; the request was not applied.")
