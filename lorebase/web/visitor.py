"""Who is at the browser: the session cookie, CSRF tokens bound to it, and role checks.

Every browser route depends on `current_visitor`; state-changing ones also pass
`check_csrf`, and protected ones name their permission with `Requirement`, which the tests
read back to check every route against the permission table.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated
from urllib.parse import quote, urlsplit

import anyio.to_thread
from fastapi import Depends, Request
from starlette.responses import Response

from lorebase.auth.roles import Permission, allows
from lorebase.auth.sessions import SignedIn, check_session, touch_session
from lorebase.db.engine import transaction
from lorebase.runtime import Runtime

SESSION_COOKIE = "lorebase_session"
# A random id for a browser that is not signed in: the sign-in form's CSRF token is bound
# to it, so another site cannot sign a browser in to an account of its choosing.
VISITOR_COOKIE = "lorebase_visitor"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class BrowserError(Exception):
    """A refusal shown to a person as a page, with what to do next."""

    def __init__(
        self, status: int, title: str, detail: str = "", *, back: tuple[str, str] | None = None
    ) -> None:
        super().__init__(title)
        self.status = status
        self.title = title
        self.detail = detail
        # (href, label) of a way on: the form to send again, the sign-in page.
        self.back = back


class SignInNeeded(Exception):
    """The page needs a signed-in person: off to the sign-in form, and back afterwards."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


@dataclass
class Visitor:
    signed_in: SignedIn | None
    csrf_token: str
    secure: bool
    # A visitor id to set on the response (first visit of a browser that is not signed in).
    new_visitor_id: str | None = None

    def apply(self, response: Response) -> None:
        if self.new_visitor_id is not None:
            set_cookie(response, VISITOR_COOKIE, self.new_visitor_id, self.secure, max_age=None)


def set_cookie(
    response: Response, name: str, value: str, secure: bool, *, max_age: int | None
) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path="/", secure=secure, httponly=True, samesite="lax"
    )


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def is_secure(request: Request) -> bool:
    """Secure cookies when the browser reached us over HTTPS (directly, or through a proxy
    uvicorn trusts for X-Forwarded-Proto), or when the public URL says HTTPS."""
    return request.url.scheme == "https" or runtime_of(request).settings.public_base_url.startswith(
        "https://"
    )


def csrf_token_for(secret: bytes, binding: str) -> str:
    digest = hmac.new(secret, b"csrf\0" + binding.encode(), hashlib.sha256).digest()
    return digest.hex()


async def current_visitor(request: Request) -> Visitor:
    """The visitor of this request (computed once per request, kept on request.state).

    The session is read on the event loop, as the API reads tokens: one indexed row. The
    rare refresh of last_seen_at is a short write in the thread pool.
    """
    known: Visitor | None = getattr(request.state, "visitor", None)
    if known is not None:
        return known
    runtime = runtime_of(request)
    settings = runtime.settings
    signed_in: SignedIn | None = None
    raw = request.cookies.get(SESSION_COOKIE)
    if raw and len(raw) <= 100:
        signed_in = check_session(
            runtime.lookup_engine, raw, idle=timedelta(minutes=settings.session_idle_minutes)
        )
        if signed_in is not None and signed_in.touch_due:
            await anyio.to_thread.run_sync(_touch, runtime, signed_in.session_hash)
    new_visitor_id = None
    if signed_in is not None:
        binding = "session:" + signed_in.session_hash
    else:
        visitor_id = request.cookies.get(VISITOR_COOKIE, "")
        if not (16 <= len(visitor_id) <= 64):
            visitor_id = new_visitor_id = secrets.token_urlsafe(24)
        binding = "visitor:" + visitor_id
    visitor = Visitor(
        signed_in, csrf_token_for(runtime.secret, binding), is_secure(request), new_visitor_id
    )
    request.state.visitor = visitor
    return visitor


def _touch(runtime: Runtime, session_hash: str) -> None:
    with transaction(runtime.session_factory) as session:
        touch_session(session, session_hash)


VisitorDep = Annotated[Visitor, Depends(current_visitor)]


# No id, slug or name holds a control character (PostgreSQL text cannot even store a NUL), so a
# path with one names nothing: refuse it before any query sees it.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


async def check_path(request: Request) -> None:
    """Answer 404 for a path no item can have, rather than let the database refuse it."""
    if _CONTROL.search(request.url.path):
        raise BrowserError(404, "No such page", "The address holds characters no page has.")


async def check_csrf(request: Request, visitor: VisitorDep) -> None:
    """Refuse a state-changing request that does not carry this browser's CSRF token (a form
    field, or the X-CSRF-Token header htmx sends), or that another site's page started."""
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("origin")
    if origin is not None and not same_origin(request, origin):
        raise BrowserError(
            403,
            "This request came from another site",
            "Nothing was changed. Use the form on this site.",
        )
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent:
        try:
            form = await request.form()
        except Exception as error:
            raise BrowserError(400, "This form could not be read", str(error)[:200]) from error
        field = form.get(CSRF_FIELD)
        sent = field if isinstance(field, str) else ""
    if not sent or not hmac.compare_digest(sent.encode(), visitor.csrf_token.encode()):
        referer = urlsplit(request.headers.get("referer", ""))
        back = referer.path if referer.netloc == request.url.netloc and referer.path else ""
        raise BrowserError(
            403,
            "This form has expired",
            "Nothing was changed. Open the page again and send the form once more.",
            back=(safe_next(back, "/account"), "Open the page again"),
        )


# What every browser router checks before its handlers run.
BROWSER_GUARDS = [Depends(check_path), Depends(check_csrf)]


def same_origin(request: Request, origin: str) -> bool:
    # Hosts are compared, not schemes: behind a TLS-terminating proxy the browser's origin is
    # https while this process sees http.
    host = urlsplit(origin).netloc.lower()
    allowed = {
        request.url.netloc.lower(),
        urlsplit(runtime_of(request).settings.public_base_url).netloc.lower(),
    }
    return host in allowed


class Requirement:
    """A browser route's gate: a signed-in person of this project, with `permission`
    (None: any signed-in person). Anonymous visitors are sent to the sign-in form."""

    def __init__(self, permission: Permission | None) -> None:
        self.permission = permission

    async def __call__(self, request: Request, visitor: VisitorDep) -> SignedIn:
        person = visitor.signed_in
        if person is None:
            path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise SignInNeeded(path if request.method in SAFE_METHODS else "")
        if person.project_id != site_project_id(request):
            raise BrowserError(403, "This account belongs to another project")
        return self.check(person)

    def check(self, person: SignedIn) -> SignedIn:
        """The role part of the gate, for a route that needs more only for some requests."""
        if self.permission is not None and not allows(person.role, self.permission):
            raise BrowserError(
                403,
                "Your role does not allow this",
                f"{person.role.title}s cannot {self.permission.value}. Ask an administrator "
                "if you need to.",
            )
        return person


SignedInDep = Annotated[SignedIn, Depends(Requirement(None))]


@dataclass(frozen=True)
class SiteProject:
    id: str
    name: str


def site_project(request: Request) -> SiteProject:
    """The project the browser pages serve: the server's first project (Document360 serves
    one project per site). Looked up once per process: projects are never renumbered."""
    cached: SiteProject | None = getattr(request.app.state, "site_project", None)
    if cached is None:
        from lorebase.kb import workspaces

        reader = runtime_of(request).read_session_factory()
        try:
            project = workspaces.default_project(reader)
            if project is None:
                raise BrowserError(503, "This server has no project yet", "Run `lorebase migrate`.")
            cached = SiteProject(project.id, project.name)
        finally:
            reader.close()
        request.app.state.site_project = cached
    return cached


def site_project_id(request: Request) -> str:
    return site_project(request).id


def safe_next(target: str, default: str) -> str:
    """`next=` as a path on this site, or `default`: never another origin (an open redirect
    would lend our sign-in page to phishing)."""
    if not target or len(target) > 2000 or not target.startswith("/"):
        return default
    if target.startswith(("//", "/\\")) or any(c in target for c in "\\\r\n\t\0"):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return quote(target, safe="/?&=%#:@!$'()*+,;~-._")
