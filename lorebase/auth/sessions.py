"""Browser sessions: started at sign-in, checked on every browser request, ended at sign-out.

The cookie holds a random id; the database holds its SHA-256 and the session's times, so
every process of a cluster honours a session, and a sign-out, a password change or a disabled
account ends it on the next request anywhere. Nothing is cached in a process.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, bindparam, delete, or_, select, update
from sqlalchemy.orm import Session

from lorebase.auth.roles import Role
from lorebase.db.engine import lookup
from lorebase.db.models import BrowserSession, User, utcnow

# `last_seen_at` is written at most this often: a page view is a read, not a write.
TOUCH_RESOLUTION = timedelta(minutes=1)


def hash_session_id(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class SignedIn:
    """The person behind a browser session."""

    session_hash: str
    user_id: str
    project_id: str
    role: Role
    email: str
    name: str
    method: str
    started_at: datetime
    # True when last_seen_at is older than TOUCH_RESOLUTION: call `touch_session`.
    touch_due: bool


def start_session(
    session: Session,
    user: User,
    *,
    method: str,
    lifetime: timedelta,
    client_address: str = "",
    user_agent: str = "",
) -> str:
    """A new session for the user; returns the raw id for the cookie (never stored)."""
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        BrowserSession(
            id_hash=hash_session_id(raw),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + lifetime,
            method=method,
            client_address=client_address[:64],
            user_agent=user_agent[:300],
        )
    )
    user.last_login_at = now
    session.flush()
    return raw


# Built once: every browser request runs it.
_BY_HASH = (
    select(
        BrowserSession.id_hash,
        BrowserSession.created_at,
        BrowserSession.last_seen_at,
        BrowserSession.expires_at,
        BrowserSession.method,
        User.id.label("user_id"),
        User.project_id,
        User.role,
        User.email,
        User.first_name,
        User.last_name,
        User.disabled_at,
    )
    .join(User, User.id == BrowserSession.user_id)
    .where(BrowserSession.id_hash == bindparam("id_hash"))
)


def find_session(session: Session, raw: str, *, idle: timedelta) -> SignedIn | None:
    """The signed-in person for a cookie's id, or None when the session is unknown, ended,
    idle too long, past its absolute end, or its account is disabled.

    The id is found by its hash, never compared with anything (see auth.tokens.authenticate).
    """
    return _signed_in(session.execute(_BY_HASH, {"id_hash": hash_session_id(raw)}).first(), idle)


def check_session(lookup_engine: Engine, raw: str, *, idle: timedelta) -> SignedIn | None:
    """`find_session` for every browser request: one round trip on the lookup engine (see
    lorebase.db.engine.make_lookup_engine), no ORM session."""
    return _signed_in(lookup(lookup_engine, _BY_HASH, {"id_hash": hash_session_id(raw)}), idle)


def _signed_in(row: Any, idle: timedelta) -> SignedIn | None:
    if row is None or row.disabled_at is not None:
        return None
    now = utcnow()
    if row.expires_at <= now or row.last_seen_at + idle <= now:
        return None
    try:
        role = Role(row.role)
    except ValueError:
        return None
    return SignedIn(
        session_hash=row.id_hash,
        user_id=row.user_id,
        project_id=row.project_id,
        role=role,
        email=row.email,
        name=f"{row.first_name} {row.last_name}".strip() or row.email,
        method=row.method,
        started_at=row.created_at,
        touch_due=now - row.last_seen_at > TOUCH_RESOLUTION,
    )


def touch_session(session: Session, session_hash: str) -> None:
    session.execute(
        update(BrowserSession)
        .where(BrowserSession.id_hash == session_hash)
        .values(last_seen_at=utcnow())
    )


def end_session(session: Session, session_hash: str) -> None:
    session.execute(delete(BrowserSession).where(BrowserSession.id_hash == session_hash))


def end_user_sessions(session: Session, user_id: str, *, keep: str | None = None) -> int:
    """End every session of the account (but `keep`, a session hash); returns how many."""
    query = delete(BrowserSession).where(BrowserSession.user_id == user_id)
    if keep is not None:
        query = query.where(BrowserSession.id_hash != keep)
    return session.execute(query).rowcount or 0  # type: ignore[attr-defined]


def user_sessions(session: Session, user_id: str) -> list[BrowserSession]:
    return list(
        session.scalars(
            select(BrowserSession)
            .where(BrowserSession.user_id == user_id)
            .order_by(BrowserSession.last_seen_at.desc())
        )
    )


def purge_ended_sessions(session: Session, *, idle: timedelta) -> int:
    """Delete sessions past their end (run now and then, e.g. at a sign-in)."""
    now = utcnow()
    return (
        session.execute(
            delete(BrowserSession).where(
                or_(BrowserSession.expires_at <= now, BrowserSession.last_seen_at <= now - idle)
            )
        ).rowcount  # type: ignore[attr-defined]
        or 0
    )
