"""The portal's API tokens: the project's tokens listed (never their secrets), new ones issued
with the methods they may use (the secret shown once, on the answer to the form), revoked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from lorebase.auth import tokens
from lorebase.auth.roles import Permission
from lorebase.auth.sessions import SignedIn
from lorebase.db.models import ApiToken, utcnow
from lorebase.kb.errors import Invalid, KbError
from lorebase.web.pages import redirect
from lorebase.web.portal.desk import portal_page, reading, writing
from lorebase.web.visitor import BROWSER_GUARDS, BrowserError, Requirement, Visitor, VisitorDep

router = APIRouter(include_in_schema=False, dependencies=BROWSER_GUARDS)
TokenManager = Annotated[SignedIn, Depends(Requirement(Permission.MANAGE_TOKENS))]

NAME_MAX = 200  # the width of the name column
DONE = {"revoked": "The token is revoked: calls that send it are refused from now on."}


@dataclass(frozen=True)
class TokenRow:
    id: str
    name: str
    methods: list[str]
    created: str
    last_used: str
    expires: str
    expired: bool


@dataclass(frozen=True)
class NewSecret:
    """A token just issued: the only time its secret is on a page."""

    name: str
    secret: str
    methods: list[str]


def _when(moment: datetime | None, never: str) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else never


def _row(token: ApiToken, now: datetime) -> TokenRow:
    return TokenRow(
        id=token.id,
        name=token.name,
        methods=token.methods.split(","),
        created=_when(token.created_at, ""),
        last_used=_when(token.last_used_at, "Never"),
        expires=_when(token.expires_at, "Never"),
        expired=token.expires_at is not None and token.expires_at <= now,
    )


def _tokens_page(
    request: Request,
    visitor: Visitor,
    me: SignedIn,
    *,
    status: int = 200,
    notice: str = "",
    problem: str = "",
    field: str = "",
    typed_name: str = "",
    typed_methods: list[str] | None = None,
    issued: NewSecret | None = None,
) -> HTMLResponse:
    now = utcnow()
    with reading(request) as session:
        rows = [
            _row(token, now)
            for token in tokens.list_tokens(session, me.project_id)
            if token.revoked_at is None
        ]
    return portal_page(
        request,
        visitor,
        me,
        "portal/tokens.html",
        title="API tokens",
        section="tokens",
        status=status,
        rows=rows,
        all_methods=tokens.ALL_METHODS,
        chosen=tokens.ALL_METHODS if typed_methods is None else typed_methods,
        typed_name=typed_name,
        name_max=NAME_MAX,
        notice=notice,
        problem=problem,
        field=field,
        issued=issued,
    )


@router.get("/portal/tokens")
def token_list(request: Request, visitor: VisitorDep, me: TokenManager, done: str = "") -> Response:
    return _tokens_page(request, visitor, me, notice=DONE.get(done, ""))


@router.post("/portal/tokens")
def issue(
    request: Request,
    visitor: VisitorDep,
    me: TokenManager,
    name: Annotated[str, Form()] = "",
    methods: Annotated[list[str] | None, Form()] = None,
) -> Response:
    wanted = [m[:10] for m in methods or []][: len(tokens.ALL_METHODS) + 1]
    field = "name"
    try:
        label = name.strip()
        if not label:
            raise Invalid("Give the token a name that says who or what uses it.")
        if len(label) > NAME_MAX:
            raise Invalid(f"The name must be at most {NAME_MAX} characters long.")
        field = "methods"
        if not wanted:
            raise Invalid("Choose at least one method the token may use.")
        with writing(request) as session:
            made = tokens.issue_token(session, me.project_id, label, ",".join(wanted))
            issued = NewSecret(made.token.name, made.secret, made.token.methods.split(","))
    except KbError as error:
        return _tokens_page(
            request,
            visitor,
            me,
            status=400,
            problem=error.message,
            field=field,
            typed_name=name,
            typed_methods=wanted,
        )
    # The answer to the form itself shows the secret (no redirect: it would have to travel in
    # a URL or be kept somewhere); the page is never cached (portal_page's no-store).
    return _tokens_page(request, visitor, me, issued=issued)


@router.post("/portal/tokens/{token_id}/revoke")
def revoke(request: Request, visitor: VisitorDep, me: TokenManager, token_id: str) -> Response:
    with writing(request) as session:
        # Only this project's live tokens: revoke_token itself would find any project's.
        mine = [
            token
            for token in tokens.list_tokens(session, me.project_id)
            if token.id == token_id[:64] and token.revoked_at is None
        ]
        if not mine:
            raise BrowserError(
                404,
                "No such token",
                "It may have been revoked already.",
                back=("/portal/tokens", "API tokens"),
            )
        tokens.revoke_token(session, mine[0].id)
    return redirect(visitor, "/portal/tokens?done=revoked")
