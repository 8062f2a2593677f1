"""Issuing, listing, revoking and checking API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from lorebase.db.models import ApiToken, utcnow
from lorebase.kb.errors import Invalid, NotFound

ALL_METHODS = ("GET", "POST", "PUT", "DELETE")
# `last_used_at` is refreshed at most this often so that reads do not become writes.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def parse_methods(text: str) -> str:
    methods = [m.strip().upper() for m in text.split(",") if m.strip()]
    unknown = [m for m in methods if m not in ALL_METHODS]
    if unknown or not methods:
        raise Invalid(
            f"Allowed methods must be a comma-separated subset of {','.join(ALL_METHODS)}; "
            f"got {text!r}."
        )
    return ",".join(m for m in ALL_METHODS if m in methods)


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str


def issue_token(
    session: Session,
    project_id: str,
    name: str,
    methods: str = ",".join(ALL_METHODS),
    expires_at: datetime | None = None,
) -> IssuedToken:
    secret = "lb_" + secrets.token_urlsafe(32)
    token = ApiToken(
        project_id=project_id,
        name=name,
        token_hash=hash_token(secret),
        methods=parse_methods(methods),
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    return IssuedToken(token, secret)


def list_tokens(session: Session, project_id: str | None = None) -> list[ApiToken]:
    query = select(ApiToken).order_by(ApiToken.created_at)
    if project_id:
        query = query.where(ApiToken.project_id == project_id)
    return list(session.scalars(query))


def revoke_token(session: Session, token_id_or_name: str) -> ApiToken:
    token = (
        session.get(ApiToken, token_id_or_name)
        or session.scalars(
            select(ApiToken).where(ApiToken.name == token_id_or_name, ApiToken.revoked_at.is_(None))
        ).first()
    )
    if token is None:
        raise NotFound(f"No token with id or name {token_id_or_name!r}.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    return token


@dataclass(frozen=True)
class Caller:
    """Who is calling: the token's project and the methods it may use."""

    token_id: str
    project_id: str
    methods: frozenset[str]
    # True when `last_used_at` is older than LAST_USED_RESOLUTION: call `record_use`.
    use_unrecorded: bool = False


# Built once: every request runs it.
TOKEN_COLUMNS = (
    ApiToken.id,
    ApiToken.project_id,
    ApiToken.methods,
    ApiToken.revoked_at,
    ApiToken.expires_at,
    ApiToken.last_used_at,
)
_BY_HASH = select(*TOKEN_COLUMNS).where(ApiToken.token_hash == bindparam("token_hash"))


def authenticate(session: Session, raw: str) -> Caller | None:
    """The caller for a raw token, or None when it is unknown, revoked or expired.

    Read-only, so that checking a token never takes SQLite's write lock; the rare refresh of
    `last_used_at` is a separate, short write (`record_use`).

    The raw token is never compared with anything: it is hashed, and the database finds the
    row by hash. Whatever the index lookup's timing reveals is about SHA-256 digests, and a
    caller cannot steer a digest towards a stored one without inverting SHA-256 of a 256-bit
    secret — which is what a constant-time comparison is there to guarantee. No cache: a
    revocation applies to the next request, on every process of the database.
    """
    return caller_of(session.execute(_BY_HASH, {"token_hash": hash_token(raw)}).first())


def caller_of(token: Any) -> Caller | None:
    """The caller a token's row (the columns of `_BY_HASH`) stands for, or None when there is
    no row or the token is revoked or expired. The API's fast path judges with this too."""
    now = utcnow()
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    unrecorded = token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION
    return Caller(token.id, token.project_id, frozenset(token.methods.split(",")), unrecorded)


def record_use(session: Session, token_id: str) -> None:
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=utcnow()))
