"""Request-scoped dependencies shared by the API versions: database session and caller."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from lorebase.api.v2.errors import ApiError
from lorebase.auth.tokens import Caller, authenticate, record_use
from lorebase.db.engine import transaction
from lorebase.settings import Settings


def session_factory(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.session_factory
    return factory


def get_session(request: Request) -> Iterator[Session]:
    """A session per request; write routes commit explicitly before answering."""
    if request.method in ("GET", "HEAD"):
        readers: sessionmaker[Session] = request.app.state.read_session_factory
        session = readers()
    else:
        session = session_factory(request)()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def v2_caller(request: Request) -> Caller:
    """The token's project and methods; 401 without a valid token, 403 for a method it lacks."""
    # Document360 names the header api_token; proxies often turn '_' into '-' (formats §7).
    raw = request.headers.get("api_token") or request.headers.get("api-token")
    if not raw:
        raise ApiError(401, "The api_token header is missing.")
    readers: sessionmaker[Session] = request.app.state.read_session_factory
    with transaction(readers) as session:
        caller = authenticate(session, raw)
    if caller is None:
        raise ApiError(401, "The api_token is invalid, expired or revoked.")
    if caller.use_unrecorded:
        with transaction(session_factory(request)) as session:
            record_use(session, caller.token_id)
    if request.method.upper() not in caller.methods:
        raise ApiError(
            403,
            f"This API token may not use {request.method.upper()}; "
            f"it allows {', '.join(sorted(caller.methods))}.",
        )
    return caller


SessionDep = Annotated[Session, Depends(get_session)]
CallerDep = Annotated[Caller, Depends(v2_caller)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
