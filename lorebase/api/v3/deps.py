"""The v3 caller: `Authorization: Bearer <token>` with the same project tokens as v2
(api-reference.md §2.5), and the request's database session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

import anyio.to_thread
from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from lorebase.api.v3.errors import ProblemError, unauthorized
from lorebase.auth.tokens import Caller, authenticate, record_use
from lorebase.db.engine import transaction
from lorebase.runtime import Runtime


@dataclass(frozen=True)
class V3Request:
    session: Session
    caller: Caller
    runtime: Runtime

    def project(self, project_id: str) -> str:
        """The path's project, which must be the token's: another project's is not found,
        so a token cannot learn which project ids exist."""
        if project_id != self.caller.project_id:
            raise ProblemError(404, f"Project {project_id} not found.")
        return project_id


def storable(item_id: str) -> bool:
    """PostgreSQL text cannot hold NUL, so such a path id names nothing: a 404 on both
    engines rather than the driver's refusal on one."""
    return "\x00" not in item_id


def _writers(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.session_factory
    return factory


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise unauthorized("invalid_request", "The Authorization header is missing.")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized(
            "invalid_request", "Send the API token as 'Authorization: Bearer <token>'."
        )
    return token.strip()


def _identify(request: Request, session: Session) -> Caller:
    caller = authenticate(session, _bearer(request))
    if caller is None:
        raise unauthorized("invalid_token", "The token is invalid, expired or revoked.")
    method = "GET" if request.method.upper() == "HEAD" else request.method.upper()
    if method not in caller.methods:
        raise ProblemError(
            403,
            f"This API token may not use {method}; it allows {', '.join(sorted(caller.methods))}.",
        )
    return caller


def _record_use(request: Request, token_id: str) -> None:
    with transaction(_writers(request)) as writer:
        record_use(writer, token_id)


def _authenticate_writer(request: Request) -> Caller:
    with transaction(_writers(request)) as session:
        caller = _identify(request, session)
        if caller.use_unrecorded:
            record_use(session, caller.token_id)
    return caller


def _close(session: Session) -> None:
    session.rollback()
    session.close()


async def v3_request(request: Request) -> AsyncIterator[V3Request]:
    """As api/deps.py's v2_request: reads authenticate on the event loop (a WAL read never
    waits), writes in the thread pool (SQLite's write lock may). Anything uncommitted is
    rolled back."""
    runtime: Runtime = request.app.state.runtime
    if request.method in ("GET", "HEAD"):
        session = request.app.state.read_session_factory()
        try:
            caller = _identify(request, session)
            if caller.use_unrecorded:
                await anyio.to_thread.run_sync(_record_use, request, caller.token_id)
            yield V3Request(session, caller, runtime)
        finally:
            session.rollback()
            session.close()
        return
    caller = await anyio.to_thread.run_sync(_authenticate_writer, request)
    session = _writers(request)()
    try:
        yield V3Request(session, caller, runtime)
    finally:
        await anyio.to_thread.run_sync(_close, session)


V3RequestDep = Annotated[V3Request, Depends(v3_request)]
