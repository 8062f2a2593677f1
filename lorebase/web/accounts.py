"""Sign-in and the account pages: password, one-time link and single sign-on sign-in,
sign-out (here and everywhere), choosing a password."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import time
from datetime import timedelta

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lorebase.auth import accounts, sessions, sso
from lorebase.auth.passwords import MIN_LENGTH, verify_password
from lorebase.auth.sessions import SignedIn
from lorebase.auth.throttle import SignInThrottle
from lorebase.db.engine import transaction
from lorebase.db.models import User
from lorebase.kb.errors import KbError
from lorebase.runtime import Runtime
from lorebase.web.pages import page, redirect
from lorebase.web.visitor import (
    BROWSER_GUARDS,
    SESSION_COOKIE,
    BrowserError,
    SignedInDep,
    Visitor,
    VisitorDep,
    runtime_of,
    safe_next,
    set_cookie,
    site_project_id,
)

router = APIRouter(include_in_schema=False, dependencies=BROWSER_GUARDS)

WRONG_CREDENTIALS = "The email or the password is not right."
# The state of a single sign-on attempt rides in a signed cookie for this long.
SSO_COOKIE = "lorebase_sso"
SSO_ATTEMPT_SECONDS = 600
# After a link sign-in the person may choose a password without the current one this long.
LINK_GRACE = timedelta(hours=1)


def throttle_of(request: Request) -> SignInThrottle:
    throttle: SignInThrottle = request.app.state.signin_throttle
    return throttle


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""


def _start(request: Request, visitor: Visitor, session: Session, user: User, method: str) -> str:
    """A fresh session for the user; the browser's previous one, if any, ends (no fixation:
    a session id never outlives a sign-in)."""
    settings = runtime_of(request).settings
    if visitor.signed_in is not None:
        sessions.end_session(session, visitor.signed_in.session_hash)
    sessions.purge_ended_sessions(session, idle=timedelta(minutes=settings.session_idle_minutes))
    return sessions.start_session(
        session,
        user,
        method=method,
        lifetime=timedelta(days=settings.session_max_days),
        client_address=client_address(request),
        user_agent=request.headers.get("user-agent", ""),
    )


def _signed_in_response(request: Request, visitor: Visitor, raw: str, target: str) -> Response:
    settings = runtime_of(request).settings
    response = redirect(visitor, target)
    set_cookie(
        response, SESSION_COOKIE, raw, visitor.secure, max_age=settings.session_max_days * 86400
    )
    return response


def _sign_in_page(
    request: Request,
    visitor: Visitor,
    *,
    next_url: str = "",
    email: str = "",
    status: int = 200,
    problem: str = "",
    notice: str = "",
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    settings = runtime_of(request).settings
    return page(
        request,
        visitor,
        "signin.html",
        title="Sign in",
        status=status,
        headers=headers,
        next=safe_next(next_url, ""),
        email=email[:320],
        problem=problem,
        notice=notice,
        sso_name=settings.oidc_name if settings.sso_enabled else "",
    )


NOTICES = {
    "signed-out": "You are signed out.",
    "everywhere": "You are signed out on every browser.",
    "password": "Your password is saved. Your other browsers were signed out.",
    "welcome": "You are signed in. Choose a password to sign in with next time.",
}


@router.get("/account/signin")
async def sign_in_form(
    request: Request, visitor: VisitorDep, next: str = "", notice: str = ""
) -> Response:
    if visitor.signed_in is not None:
        return redirect(visitor, safe_next(next, "/account"))
    return _sign_in_page(request, visitor, next_url=next, notice=NOTICES.get(notice, ""))


@router.post("/account/signin")
def sign_in(
    request: Request,
    visitor: VisitorDep,
    email: str = Form(""),
    password: str = Form(""),
    next: str = Form(""),
) -> Response:
    runtime = runtime_of(request)
    project_id = site_project_id(request)
    address = client_address(request)
    throttle = throttle_of(request)
    wait = throttle.retry_after(project_id, email, address)
    if wait is not None:
        minutes = math.ceil(wait / 60)
        return _sign_in_page(
            request,
            visitor,
            next_url=next,
            email=email,
            status=429,
            problem=f"Too many sign-in attempts. Try again in {minutes} minute"
            f"{'s' if minutes != 1 else ''}.",
            headers={"Retry-After": str(wait)},
        )
    # Verified on a read session: Argon2 takes ~0.1 s and must not hold SQLite's write lock.
    reader = runtime.read_session_factory()
    try:
        verified = accounts.verify_sign_in(reader, project_id, email, password[:2048])
    finally:
        reader.rollback()
        reader.close()
    raw = None
    if verified is not None:
        with transaction(runtime.session_factory) as session:
            user = session.get(User, verified.user_id)
            if user is not None and user.disabled_at is None:
                if verified.rehashed:
                    user.password_hash = verified.rehashed
                raw = _start(request, visitor, session, user, "password")
    if raw is None:
        throttle.failed(project_id, email, address)
        return _sign_in_page(
            request, visitor, next_url=next, email=email, status=400, problem=WRONG_CREDENTIALS
        )
    throttle.succeeded(project_id, email)
    return _signed_in_response(request, visitor, raw, safe_next(next, "/account"))


@router.post("/account/signout")
def sign_out(request: Request, visitor: VisitorDep) -> Response:
    if visitor.signed_in is not None:
        with transaction(runtime_of(request).session_factory) as session:
            sessions.end_session(session, visitor.signed_in.session_hash)
    response = redirect(visitor, "/account/signin?notice=signed-out")
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=visitor.secure, httponly=True, samesite="lax"
    )
    return response


@router.post("/account/sessions/end-all")
def sign_out_everywhere(request: Request, visitor: VisitorDep, me: SignedInDep) -> Response:
    with transaction(runtime_of(request).session_factory) as session:
        sessions.end_user_sessions(session, me.user_id)
    response = redirect(visitor, "/account/signin?notice=everywhere")
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=visitor.secure, httponly=True, samesite="lax"
    )
    return response


def _may_skip_current_password(me: SignedIn, user: User) -> bool:
    from lorebase.db.models import utcnow

    if user.password_hash is None:
        return True
    return me.method == "link" and utcnow() - me.started_at < LINK_GRACE


def _account_page(
    request: Request,
    visitor: Visitor,
    me: SignedIn,
    *,
    status: int = 200,
    notice: str = "",
    problem: str = "",
    field_problem: str = "",
    current_problem: str = "",
) -> HTMLResponse:
    reader = runtime_of(request).read_session_factory()
    try:
        user = reader.get(User, me.user_id)
        assert user is not None
        listed = sessions.user_sessions(reader, me.user_id)
        needs_current = not _may_skip_current_password(me, user)
        has_password = user.password_hash is not None
    finally:
        reader.close()
    return page(
        request,
        visitor,
        "account.html",
        title="Your account",
        status=status,
        me=me,
        sessions=listed,
        needs_current=needs_current,
        has_password=has_password,
        min_length=MIN_LENGTH,
        notice=notice,
        problem=problem,
        field_problem=field_problem,
        current_problem=current_problem,
    )


@router.get("/account")
def account(request: Request, visitor: VisitorDep, me: SignedInDep, notice: str = "") -> Response:
    return _account_page(request, visitor, me, notice=NOTICES.get(notice, ""))


@router.post("/account/password")
def change_password(
    request: Request,
    visitor: VisitorDep,
    me: SignedInDep,
    current_password: str = Form(""),
    new_password: str = Form(""),
    confirm_password: str = Form(""),
) -> Response:
    runtime = runtime_of(request)
    reader = runtime.read_session_factory()
    try:
        user = reader.get(User, me.user_id)
        assert user is not None
        reader.expunge(user)
    finally:
        reader.close()
    if not _may_skip_current_password(me, user):
        matches, _ = verify_password(current_password[:2048], user.password_hash)
        if not matches:
            return _account_page(
                request,
                visitor,
                me,
                status=400,
                current_problem="The current password is not right.",
            )
    if new_password != confirm_password:
        return _account_page(
            request, visitor, me, status=400, field_problem="The two new passwords differ."
        )
    try:
        hashed = accounts.new_password_hash(user, new_password)
    except KbError as error:
        return _account_page(request, visitor, me, status=400, field_problem=error.message)
    with transaction(runtime.session_factory) as session:
        accounts.store_password(session, me.user_id, hashed, keep_session=me.session_hash)
    return redirect(visitor, "/account?notice=password")


@router.get("/account/link/{token}")
def link_form(request: Request, visitor: VisitorDep, token: str) -> Response:
    reader = runtime_of(request).read_session_factory()
    try:
        usable = len(token) <= 100 and accounts.sign_in_link_is_open(reader, token)
    finally:
        reader.close()
    if not usable:
        raise _dead_link()
    return page(request, visitor, "link.html", title="Sign in with a one-time link", token=token)


def _dead_link() -> BrowserError:
    return BrowserError(
        400,
        "This sign-in link cannot be used",
        "It has been used already, has expired or was mistyped. Ask an administrator for a new "
        "one, or run `lorebase user signin-link EMAIL` on the server.",
    )


@router.post("/account/link/{token}")
def link_sign_in(request: Request, visitor: VisitorDep, token: str) -> Response:
    if len(token) > 100:
        raise _dead_link()
    with transaction(runtime_of(request).session_factory) as session:
        user = accounts.redeem_sign_in_link(session, token)
        if user is None or user.project_id != site_project_id(request):
            session.rollback()
            raise _dead_link()
        raw = _start(request, visitor, session, user, "link")
    return _signed_in_response(request, visitor, raw, "/account?notice=welcome")


# Single sign-on. The callback is a GET that signs in: what protects it from forgery is the
# `state` (tied to the signed cookie set when this browser left), as OAuth 2.0 prescribes.


def _redirect_uri(runtime: Runtime) -> str:
    return runtime.settings.public_base_url.rstrip("/") + "/account/signin/sso/callback"


def _seal(secret: bytes, payload: dict[str, str | int]) -> str:
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    mac = hmac.new(secret, b"sso\0" + body.encode(), hashlib.sha256).hexdigest()
    return f"{body}.{mac}"


def _unseal(secret: bytes, sealed: str) -> dict[str, str | int] | None:
    body, _, mac = sealed.rpartition(".")
    expected = hmac.new(secret, b"sso\0" + body.encode(), hashlib.sha256).hexdigest()
    if not body or not hmac.compare_digest(mac.encode(), expected.encode()):
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        return None
    if not isinstance(payload, dict) or int(payload.get("expires", 0)) < time.time():
        return None
    return payload


def _sso_runtime(request: Request) -> Runtime:
    runtime = runtime_of(request)
    if not runtime.settings.sso_enabled:
        raise BrowserError(404, "Single sign-on is not set up on this server")
    return runtime


@router.get("/account/signin/sso")
async def sso_begin(request: Request, visitor: VisitorDep, next: str = "") -> Response:
    runtime = _sso_runtime(request)
    try:
        url, attempt = await sso.begin(runtime.settings, _redirect_uri(runtime))
    except sso.SsoRefused as refused:
        return _sign_in_page(request, visitor, next_url=next, status=502, problem=str(refused))
    sealed = _seal(
        runtime.secret,
        {
            "state": attempt.state,
            "nonce": attempt.nonce,
            "verifier": attempt.code_verifier,
            "next": safe_next(next, "/account"),
            "expires": int(time.time()) + SSO_ATTEMPT_SECONDS,
        },
    )
    response = RedirectResponse(url, 303, headers={"Cache-Control": "no-store"})
    visitor.apply(response)
    set_cookie(response, SSO_COOKIE, sealed, visitor.secure, max_age=SSO_ATTEMPT_SECONDS)
    return response


@router.get("/account/signin/sso/callback")
async def sso_callback(request: Request, visitor: VisitorDep) -> Response:
    runtime = _sso_runtime(request)
    payload = _unseal(runtime.secret, request.cookies.get(SSO_COOKIE, ""))
    params = {key: value[:2048] for key, value in request.query_params.items()}
    try:
        if payload is None:
            raise sso.SsoRefused(
                "This sign-in did not start here or has expired; please try again."
            )
        attempt = sso.SsoAttempt(
            str(payload["state"]), str(payload["nonce"]), str(payload["verifier"])
        )
        identity = await sso.complete(runtime.settings, _redirect_uri(runtime), params, attempt)
        raw = await _sso_session(request, visitor, identity)
    except sso.SsoRefused as refused:
        kept = str(payload.get("next", "")) if payload else ""
        refusal = _sign_in_page(request, visitor, next_url=kept, status=400, problem=str(refused))
        refusal.delete_cookie(SSO_COOKIE, path="/")
        return refusal
    target = safe_next(str(payload.get("next", "")), "/account") if payload else "/account"
    response = _signed_in_response(request, visitor, raw, target)
    response.delete_cookie(SSO_COOKIE, path="/")
    return response


async def _sso_session(request: Request, visitor: Visitor, identity: sso.SsoIdentity) -> str:
    import anyio.to_thread

    runtime = runtime_of(request)
    project_id = site_project_id(request)

    def _write() -> str:
        with transaction(runtime.session_factory) as session:
            user = sso.account_for(session, project_id, identity, runtime.settings)
            return _start(request, visitor, session, user, "sso")

    def _write_once_more_if_raced() -> str:
        try:
            return _write()
        except IntegrityError:
            # Two first sign-ins of one new person at once: the other created the account;
            # this one now finds it.
            return _write()

    return await anyio.to_thread.run_sync(_write_once_more_if_raced)
