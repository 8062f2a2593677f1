"""The team page: who may sign in, with which role; disable, enable, one-time links."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from lorebase.auth import accounts
from lorebase.auth.roles import Permission, Role
from lorebase.auth.sessions import SignedIn
from lorebase.db.engine import transaction
from lorebase.db.models import User
from lorebase.kb import workspaces
from lorebase.kb.errors import Forbidden, Invalid, KbError
from lorebase.web.pages import redirect
from lorebase.web.portal.desk import portal_page
from lorebase.web.visitor import (
    BROWSER_GUARDS,
    BrowserError,
    Requirement,
    Visitor,
    VisitorDep,
    runtime_of,
)

router = APIRouter(include_in_schema=False, dependencies=BROWSER_GUARDS)
TeamManager = Annotated[SignedIn, Depends(Requirement(Permission.MANAGE_TEAM))]

DONE = {
    "added": "The account is added.",
    "role": "The role is changed; it applies from the person's next page.",
    "disabled": "The account is disabled and signed out everywhere.",
    "enabled": "The account can sign in again.",
}


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    email: str
    role: Role
    disabled: bool


@dataclass(frozen=True)
class ShownLink:
    email: str
    url: str
    hours: int


def _team_page(
    request: Request,
    visitor: Visitor,
    me: SignedIn,
    *,
    status: int = 200,
    notice: str = "",
    problem: str = "",
    link: ShownLink | None = None,
    typed: dict[str, str] | None = None,
) -> HTMLResponse:
    reader = runtime_of(request).read_session_factory()
    try:
        people = [
            Person(
                user.id,
                f"{user.first_name} {user.last_name}".strip() or user.email,
                user.email,
                Role(user.role) if user.role in Role._value2member_map_ else Role.READER,
                user.disabled_at is not None,
            )
            for user in workspaces.users(reader, me.project_id)
        ]
    finally:
        reader.close()
    return portal_page(
        request,
        visitor,
        me,
        "team.html",
        title="Team",
        section="team",
        status=status,
        people=people,
        roles=list(Role),
        notice=notice,
        problem=problem,
        link=link,
        typed=typed or {},
    )


@router.get("/portal/team")
def team(request: Request, visitor: VisitorDep, me: TeamManager, done: str = "") -> Response:
    return _team_page(request, visitor, me, notice=DONE.get(done, ""))


def _member(session: Session, me: SignedIn, user_id: str) -> User:
    user = workspaces.find_user(session, me.project_id, user_id[:64])
    if user is None:
        raise BrowserError(404, "No such team account", "It may have been removed meanwhile.")
    return user


EMAIL_MAX = 254


def _check_new_member(email: str, name: str, role: Role, me: SignedIn) -> tuple[str, str]:
    email = email.strip()
    if not email or "@" not in email.strip("@") or len(email) > EMAIL_MAX or " " in email:
        raise Invalid("Type the person's email address, like kim@example.com.")
    if len(name) > 200:
        raise Invalid("The name is longer than 200 characters.")
    if role == Role.OWNER and me.role != Role.OWNER:
        raise Forbidden("Only an owner can add an owner.")
    first = name.strip().partition(" ")[0]
    return email, first or email.split("@")[0]


@router.post("/portal/team")
def add_member(
    request: Request,
    visitor: VisitorDep,
    me: TeamManager,
    email: str = Form(""),
    name: str = Form(""),
    role: str = Form("editor"),
) -> Response:
    """A new team account; it signs in first through a one-time link shown here once."""
    runtime = runtime_of(request)
    try:
        wanted = Role.from_name(role)
        address, first = _check_new_member(email, name, wanted, me)
        with transaction(runtime.session_factory) as session:
            user = workspaces.create_user(
                session,
                me.project_id,
                email=address,
                first_name=first,
                last_name=name.strip().partition(" ")[2],
                role=int(wanted),
            )
            raw = accounts.issue_sign_in_link(session, user)
    except (KbError, ValueError) as error:
        message = error.message if isinstance(error, KbError) else str(error)
        return _team_page(
            request, visitor, me, status=400, problem=message, typed={"email": email, "name": name}
        )
    url = accounts.sign_in_link_url(runtime.settings.public_base_url, raw)
    hours = int(accounts.LINK_LIFETIME.total_seconds() // 3600)
    return _team_page(
        request, visitor, me, notice=DONE["added"], link=ShownLink(address, url, hours)
    )


@router.post("/portal/team/{user_id}/role")
def change_role(
    request: Request, visitor: VisitorDep, me: TeamManager, user_id: str, role: str = Form("")
) -> Response:
    try:
        wanted = Role.from_name(role)
    except ValueError as error:
        return _team_page(request, visitor, me, status=400, problem=str(error))
    try:
        with transaction(runtime_of(request).session_factory) as session:
            accounts.change_role(
                session, me.role, me.user_id, _member(session, me, user_id), wanted
            )
    except KbError as error:
        return _team_page(request, visitor, me, status=400, problem=error.message)
    return redirect(visitor, "/portal/team?done=role")


ACCOUNT_SWITCHES = {"disable": accounts.disable_account, "enable": accounts.enable_account}


@router.post("/portal/team/{user_id}/disable")
@router.post("/portal/team/{user_id}/enable")
def switch_account(
    request: Request, visitor: VisitorDep, me: TeamManager, user_id: str
) -> Response:
    action = request.url.path.rsplit("/", 1)[-1]
    try:
        with transaction(runtime_of(request).session_factory) as session:
            ACCOUNT_SWITCHES[action](session, me.role, me.user_id, _member(session, me, user_id))
    except KbError as error:
        return _team_page(request, visitor, me, status=400, problem=error.message)
    return redirect(visitor, f"/portal/team?done={action}d")


@router.post("/portal/team/{user_id}/signin-link")
def sign_in_link(request: Request, visitor: VisitorDep, me: TeamManager, user_id: str) -> Response:
    runtime = runtime_of(request)
    try:
        with transaction(runtime.session_factory) as session:
            user = _member(session, me, user_id)
            if user.id == me.user_id:
                raise Invalid("Use your account page to change your own password.")
            if user.role == Role.OWNER and me.role != Role.OWNER:
                raise Forbidden("Only an owner can make a sign-in link for an owner.")
            if user.disabled_at is not None:
                raise Invalid("Enable the account first.")
            raw = accounts.issue_sign_in_link(session, user)
            email = user.email
    except KbError as error:
        return _team_page(request, visitor, me, status=400, problem=error.message)
    url = accounts.sign_in_link_url(runtime.settings.public_base_url, raw)
    hours = int(accounts.LINK_LIFETIME.total_seconds() // 3600)
    return _team_page(request, visitor, me, link=ShownLink(email, url, hours))
