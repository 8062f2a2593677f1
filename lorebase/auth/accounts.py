"""Team accounts as people who sign in: passwords, one-time links, roles, disabling."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from lorebase.auth.passwords import check_new_password, hash_password, verify_password
from lorebase.auth.roles import Permission, Role, allows
from lorebase.auth.sessions import end_user_sessions
from lorebase.db.models import SignInLink, User, utcnow
from lorebase.kb.errors import Forbidden, Invalid, NotFound

# A first-start or reset link: long enough to open the mail or the terminal, short enough
# that a leaked log line soon stops mattering.
LINK_LIFETIME = timedelta(hours=24)


def find_account(session: Session, project_id: str, email: str) -> User | None:
    """The project's account with this email, matched without regard to case."""
    return session.scalars(
        select(User).where(
            User.project_id == project_id, func.lower(User.email) == email.strip().lower()
        )
    ).first()


def require_account(session: Session, project_id: str, email: str) -> User:
    user = find_account(session, project_id, email)
    if user is None:
        raise NotFound(f"No team account with the email {email}.")
    return user


@dataclass(frozen=True)
class VerifiedPassword:
    user_id: str
    # Set when the stored hash used other Argon2 parameters: store this one instead.
    rehashed: str | None


def verify_sign_in(
    session: Session, project_id: str, email: str, password: str
) -> VerifiedPassword | None:
    """The account, when the email and password match an enabled account; None otherwise.

    Unknown emails, accounts without a password and disabled accounts cost one Argon2
    verification like a wrong password, so the answer's timing does not tell them apart.
    Run it on a read session: the verification (~0.1 s) must not hold a write lock.
    """
    user = find_account(session, project_id, email)
    stored = user.password_hash if user is not None and user.disabled_at is None else None
    matches, rehashed = verify_password(password, stored)
    if not matches or user is None:
        return None
    return VerifiedPassword(user.id, rehashed)


def new_password_hash(user: User, password: str) -> str:
    """Check a new password for the account and hash it (outside any write transaction:
    hashing takes ~0.1 s)."""
    check_new_password(password, email=user.email, name=f"{user.first_name} {user.last_name}")
    return hash_password(password)


def store_password(
    session: Session, user_id: str, password_hash: str, *, keep_session: str | None
) -> None:
    """Store a hash from `new_password_hash`; every other session of the account ends."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("The account no longer exists.")
    user.password_hash = password_hash
    user.password_changed_at = utcnow()
    end_user_sessions(session, user.id, keep=keep_session)


def _link_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def issue_sign_in_link(session: Session, user: User, lifetime: timedelta = LINK_LIFETIME) -> str:
    """A one-time sign-in secret for the account (the URL path is the caller's business)."""
    raw = secrets.token_urlsafe(32)
    session.add(
        SignInLink(token_hash=_link_hash(raw), user_id=user.id, expires_at=utcnow() + lifetime)
    )
    session.flush()
    return raw


def redeem_sign_in_link(session: Session, raw: str) -> User | None:
    """The link's account, once: a used, expired or unknown link, or a disabled account,
    gives None. Marking it used is one conditional UPDATE, so two clicks at once cannot
    both succeed."""
    now = utcnow()
    claimed = session.execute(
        update(SignInLink)
        .where(
            SignInLink.token_hash == _link_hash(raw),
            SignInLink.used_at.is_(None),
            SignInLink.expires_at > now,
        )
        .values(used_at=now)
        .returning(SignInLink.user_id)
    ).scalar()
    if claimed is None:
        return None
    user = session.get(User, claimed)
    if user is None or user.disabled_at is not None:
        return None
    return user


def sign_in_link_url(public_base_url: str, raw: str) -> str:
    return f"{public_base_url.rstrip('/')}/account/link/{raw}"


def sign_in_link_is_open(session: Session, raw: str) -> bool:
    link = session.get(SignInLink, _link_hash(raw))
    return link is not None and link.used_at is None and link.expires_at > utcnow()


def change_role(session: Session, actor_role: Role, actor_id: str, user: User, role: Role) -> None:
    """Give the account another role, as someone with `actor_role` may."""
    _may_manage(session, actor_role, actor_id, user)
    if Role.OWNER in (role, user.role) and not allows(actor_role, Permission.MANAGE_OWNERS):
        raise Forbidden("Only an owner can make someone an owner or change an owner's role.")
    if user.role == Role.OWNER and role != Role.OWNER:
        _keep_an_owner(session, user)
    user.role = int(role)


def disable_account(session: Session, actor_role: Role, actor_id: str, user: User) -> None:
    """The account can no longer sign in; its sessions end now."""
    _may_manage(session, actor_role, actor_id, user)
    if user.role == Role.OWNER:
        if not allows(actor_role, Permission.MANAGE_OWNERS):
            raise Forbidden("Only an owner can disable an owner's account.")
        _keep_an_owner(session, user)
    if user.disabled_at is None:
        user.disabled_at = utcnow()
    end_user_sessions(session, user.id)
    # Links handed out before stay dead after the account is enabled again.
    session.execute(delete(SignInLink).where(SignInLink.user_id == user.id))


def enable_account(session: Session, actor_role: Role, actor_id: str, user: User) -> None:
    _may_manage(session, actor_role, actor_id, user)
    if user.role == Role.OWNER and not allows(actor_role, Permission.MANAGE_OWNERS):
        raise Forbidden("Only an owner can enable an owner's account.")
    user.disabled_at = None


def _may_manage(session: Session, actor_role: Role, actor_id: str, user: User) -> None:
    if not allows(actor_role, Permission.MANAGE_TEAM):
        raise Forbidden("Your role cannot manage team accounts.")
    if user.id == actor_id:
        raise Invalid("You cannot change your own role or disable your own account.")


def _keep_an_owner(session: Session, leaving: User) -> None:
    others = session.scalar(
        select(func.count())
        .select_from(User)
        .where(
            User.project_id == leaving.project_id,
            User.role == int(Role.OWNER),
            User.disabled_at.is_(None),
            User.id != leaving.id,
        )
    )
    if not others:
        raise Invalid("A project keeps at least one owner who can sign in.")
