"""Request-scoped dependencies shared by the API versions: database session and caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

import anyio.to_thread
from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from lorebase.api.v2.errors import ApiError
from lorebase.auth.tokens import Caller, authenticate, record_use
from lorebase.db.engine import transaction
from lorebase.settings import Settings


def session_factory(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.session_factory
    return factory


@dataclass(frozen=True)
class V2Request:
    session: Session
    caller: Caller


async def v2_request(request: Request) -> AsyncIterator[V2Request]:
    """The request's session, and the caller authenticated on it.

    Reads set up on the event loop: a WAL (or PostgreSQL) read never waits for a lock, and
    the token lookup is one indexed row, cheaper than the two thread-pool crossings a sync
    dependency costs (bench/reads.py measured the hops at about as much as the queries).
    Writes start with SQLite's write lock taken, which may wait, so they set up and tear
    down in the thread pool. Write routes commit explicitly; anything left is rolled back.
    """
    if request.method in ("GET", "HEAD"):
        readers: sessionmaker[Session] = request.app.state.read_session_factory
        session = readers()
        try:
            caller = _identify(request, session)
            if caller.use_unrecorded:
                # A separate short write, at most once a minute per token, off the loop.
                await anyio.to_thread.run_sync(_record_use, request, caller.token_id)
            yield V2Request(session, _allowed(request, caller))
        finally:
            session.rollback()
            session.close()
        return
    # Writes check the token in a short transaction of its own (which also records its use,
    # even when the method is then refused), before the request's write transaction starts.
    caller = await anyio.to_thread.run_sync(_authenticate_writer, request)
    session = session_factory(request)()
    try:
        yield V2Request(session, caller)
    finally:
        await anyio.to_thread.run_sync(_close, session)


def _authenticate_writer(request: Request) -> Caller:
    with transaction(session_factory(request)) as session:
        caller = _identify(request, session)
        if caller.use_unrecorded:
            record_use(session, caller.token_id)
    return _allowed(request, caller)


def _close(session: Session) -> None:
    session.rollback()
    session.close()


def _record_use(request: Request, token_id: str) -> None:
    with transaction(session_factory(request)) as writer:
        record_use(writer, token_id)


def _identify(request: Request, session: Session) -> Caller:
    """The token's caller; 401 when the token is missing, unknown, revoked or expired."""
    # Document360 names the header api_token; proxies often turn '_' into '-' (formats §7).
    raw = request.headers.get("api_token") or request.headers.get("api-token")
    if not raw:
        raise ApiError(401, "The api_token header is missing.")
    caller = authenticate(session, raw)
    if caller is None:
        raise ApiError(401, "The api_token is invalid, expired or revoked.")
    return caller


def _allowed(request: Request, caller: Caller) -> Caller:
    """403 when the token may not use the request's method."""
    method = "GET" if request.method.upper() == "HEAD" else request.method.upper()
    if method not in caller.methods:
        raise ApiError(
            403,
            f"This API token may not use {method}; it allows {', '.join(sorted(caller.methods))}.",
        )
    return caller


V2RequestDep = Annotated[V2Request, Depends(v2_request)]


async def get_session(v2: V2RequestDep) -> Session:
    return v2.session


async def v2_caller(v2: V2RequestDep) -> Caller:
    return v2.caller


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SessionDep = Annotated[Session, Depends(get_session)]
CallerDep = Annotated[Caller, Depends(v2_caller)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
