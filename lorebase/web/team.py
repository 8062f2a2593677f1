"""The team page: who may sign in, with which role; disable, enable, one-time links."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from lorebase.auth import accounts
from lorebase.auth.roles import Permission, Role
from lorebase.auth.sessions import SignedIn
from lorebase.db.models import User
from lorebase.kb import workspaces
from lorebase.kb.errors import Forbidden, Invalid, KbError
from lorebase.web.pages import redirect
from lorebase.web.portal.desk import portal_page, reading, writing
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
    with reading(request) as reader:
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


def _shown_link(request: Request, email: str, raw: str) -> ShownLink:
    """A one-time sign-in link just issued, to show once on the answer to the form."""
    url = accounts.sign_in_link_url(runtime_of(request).settings.public_base_url, raw)
    return ShownLink(email, url, int(accounts.LINK_LIFETIME.total_seconds() // 3600))


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
    try:
        wanted = Role.from_name(role)
        address, first = _check_new_member(email, name, wanted, me)
        with writing(request) as session:
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
    return _team_page(
        request, visitor, me, notice=DONE["added"], link=_shown_link(request, address, raw)
    )


@dataclass(frozen=True)
class MemberChange:
    """A form posted about one team account: who sent it, and whose account."""

    request: Request
    visitor: Visitor
    me: SignedIn
    user_id: str

    def refused(self, problem: str) -> HTMLResponse:
        return _team_page(self.request, self.visitor, self.me, status=400, problem=problem)

    def run(self, done: str, change: Callable[[Session, User], object]) -> Response:
        """Run `change(session, account)` in one transaction; back to the team page with a
        notice, or to it with why not."""
        try:
            with writing(self.request) as session:
                change(session, _member(session, self.me, self.user_id))
        except KbError as error:
            return self.refused(error.message)
        return redirect(self.visitor, f"/portal/team?done={done}")


def _member_change(
    request: Request, visitor: VisitorDep, me: TeamManager, user_id: str
) -> MemberChange:
    return MemberChange(request, visitor, me, user_id)


Changing = Annotated[MemberChange, Depends(_member_change)]


@router.post("/portal/team/{user_id}/role")
def change_role(it: Changing, role: str = Form("")) -> Response:
    try:
        wanted = Role.from_name(role)
    except ValueError as error:
        return it.refused(str(error))
    return it.run(
        "role",
        lambda session, user: accounts.change_role(
            session, it.me.role, it.me.user_id, user, wanted
        ),
    )


ACCOUNT_SWITCHES = {"disable": accounts.disable_account, "enable": accounts.enable_account}


@router.post("/portal/team/{user_id}/disable")
@router.post("/portal/team/{user_id}/enable")
def switch_account(it: Changing) -> Response:
    action = it.request.url.path.rsplit("/", 1)[-1]
    return it.run(
        f"{action}d",
        lambda session, user: ACCOUNT_SWITCHES[action](session, it.me.role, it.me.user_id, user),
    )


@router.post("/portal/team/{user_id}/signin-link")
def sign_in_link(it: Changing) -> Response:
    try:
        with writing(it.request) as session:
            user = _member(session, it.me, it.user_id)
            if user.id == it.me.user_id:
                raise Invalid("Use your account page to change your own password.")
            if user.role == Role.OWNER and it.me.role != Role.OWNER:
                raise Forbidden("Only an owner can make a sign-in link for an owner.")
            if user.disabled_at is not None:
                raise Invalid("Enable the account first.")
            raw = accounts.issue_sign_in_link(session, user)
            email = user.email
    except KbError as error:
        return it.refused(error.message)
    return _team_page(it.request, it.visitor, it.me, link=_shown_link(it.request, email, raw))
