"""Every failure on a /v3 route becomes an RFC 7807 `application/problem+json` document, here
and only here (api-reference.md §2.6). api/v2/errors.py hands /v3 paths to `problem_for`."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from lorebase.api.limits import BodyTooSlow, UploadTooLarge
from lorebase.api.v3.envelope import problem
from lorebase.db.engine import is_database_busy
from lorebase.kb.errors import Conflict, Forbidden, Invalid, KbError, NotFound

log = logging.getLogger("lorebase.api")

PREFIX = "/v3/"
# v3 answers a rule broken by a well-formed request with 422, not v2's 400.
STATUS_OF: dict[type[KbError], int] = {Invalid: 422, NotFound: 404, Conflict: 409, Forbidden: 403}


# A write that met another request's change of the same rows at the same moment: a unique key
# taken in between, or PostgreSQL's serialization failure (40001) or deadlock (40P01). Lorebase
# orders its writes so that none is expected (lorebase.kb.revisions.RevisionStore.lock_item);
# should one happen, the client gets a conflict it can retry rather than a 500, and the log
# keeps the database's own message.
WRITE_CONFLICT = (
    "Another request changed the same item at the same moment; nothing of this request was "
    "applied. Send it again."
)
_CONFLICT_STATES = frozenset({"40001", "40P01"})


def is_write_conflict(exc: BaseException) -> bool:
    if isinstance(exc, IntegrityError):
        return True
    state = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return isinstance(exc, DBAPIError) and state in _CONFLICT_STATES


# SQLite's answer once a writer has waited `busy_timeout` (30 s, lorebase.db.engine) for the
# write lock: the server is overloaded with writes, the request was not applied.
DATABASE_BUSY = (
    "The database is busy with other writes; nothing of this request was applied. Send it "
    "again in a moment."
)
BUSY_RETRY_AFTER = {"Retry-After": "1"}


def is_v3(request: Request) -> bool:
    return request.url.path.startswith(PREFIX)


class ProblemError(Exception):
    """An HTTP-level refusal raised by the v3 layer itself (authentication, paging)."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.field = field
        self.headers = headers


def unauthorized(error: str, description: str) -> ProblemError:
    """401 with the RFC 6750 challenge a Bearer client expects."""
    challenge = f'Bearer error="{error}", error_description="{description}"'
    return ProblemError(401, description, headers={"WWW-Authenticate": challenge})


def _field(loc: list[Any]) -> str | None:
    """`["body", "items", 0, "id"]` -> `items[0].id`: the request field at fault."""
    parts = loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or None


def _validation(request: Request, exc: RequestValidationError) -> Response:
    error = dict(exc.errors()[0])
    field = _field(list(error.get("loc", ())))
    kind = error.get("type", "")
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    if kind == "json_invalid":
        return problem(400, "The request body is not valid JSON.", instance=request.url.path)
    if kind == "missing":
        detail = (
            f"The field {field} is required." if field else "A non-empty request body is required."
        )
    else:
        detail = f"The value of {field or 'the request body'} is not valid: {message}."
    return problem(422, detail, instance=request.url.path, field=field)


def problem_for(request: Request, exc: Exception) -> Response:
    """The problem document for any exception raised while serving a /v3 path."""
    instance = request.url.path
    if isinstance(exc, ProblemError):
        return problem(
            exc.status, exc.detail, instance=instance, field=exc.field, headers=exc.headers
        )
    if isinstance(exc, KbError):
        return problem(STATUS_OF.get(type(exc), 422), exc.message, instance=instance)
    if isinstance(exc, RequestValidationError):
        return _validation(request, exc)
    if isinstance(exc, UploadTooLarge):
        return problem(413, f"The upload exceeds {exc.limit} bytes.", instance=instance)
    if isinstance(exc, BodyTooSlow):
        return problem(408, exc.detail, instance=instance, headers={"Connection": "close"})
    if isinstance(exc, OverflowError | DataError):
        log.warning("unstorable value on %s %s: %s", request.method, instance, exc)
        return problem(422, "A value in the request cannot be stored.", instance=instance)
    if is_write_conflict(exc):
        log.warning("write conflict on %s %s: %s", request.method, instance, exc)
        return problem(409, WRITE_CONFLICT, instance=instance)
    if is_database_busy(exc):
        log.warning("database busy on %s %s: %s", request.method, instance, exc)
        return problem(503, DATABASE_BUSY, instance=instance, headers=BUSY_RETRY_AFTER)
    if isinstance(exc, StarletteHTTPException):
        if exc.status_code == 404:
            detail = f"No API route matches {request.method} {instance}."
        else:
            detail = str(exc.detail)
        headers = dict(exc.headers) if exc.headers else None
        return problem(exc.status_code, detail, instance=instance, headers=headers)
    log.exception("unhandled error on %s %s", request.method, instance, exc_info=exc)
    return problem(500, "Lorebase hit an internal error; the request was not applied.")


def install(app: FastAPI) -> None:
    """ProblemError is raised on /v3 paths only; every other exception type is registered
    once by api/v2/errors.py, which hands /v3 paths to `problem_for`."""

    @app.exception_handler(ProblemError)
    async def _problem(request: Request, exc: ProblemError) -> Response:
        return problem_for(request, exc)
