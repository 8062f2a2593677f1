"""Every failure on a v2 route becomes a v2 envelope with `success: false`, here and only here."""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from lorebase.api.v2.envelope import fail
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


def describe_validation(errors: list[dict[str, Any]]) -> str:
    """ASP.NET-style messages for the first problem, as Document360's docs show them."""
    error = errors[0]
    loc = [str(p) for p in error.get("loc", ()) if p not in ("body",)]
    kind = error.get("type", "")
    where = loc[-1] if loc else ""
    if kind == "missing" and not loc:
        return "A non-empty request body is required."
    if kind == "missing":
        return f"The {pascal(where)} field is required."
    if kind in ("json_invalid", "value_error.jsondecode"):
        return f"The request body is not valid JSON: {error.get('msg', '')}."
    message = str(error.get("msg", "invalid value"))
    if message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    path = ".".join(loc) or "request body"
    return f"The value of {path} is not valid: {message}."


def install(app: FastAPI) -> None:
    @app.exception_handler(KbError)
    async def _domain(_request: Request, exc: KbError) -> Response:
        return fail(STATUS_OF.get(type(exc), 400), exc.message)

    @app.exception_handler(ApiError)
    async def _api(_request: Request, exc: ApiError) -> Response:
        return fail(exc.status, exc.description, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> Response:
        return fail(400, describe_validation(list(exc.errors())))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return fail(404, f"No API route matches {request.method} {request.url.path}.")
        if exc.status_code == 405:
            return fail(405, f"{request.method} is not allowed on {request.url.path}.")
        return fail(exc.status_code, str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return fail(500, "Lorebase hit an internal error; the request was not applied.")
