"""Rendering browser pages: one Jinja2 environment over the site's own templates (the
offline HTML export's layout and stylesheet) and the account pages, and the headers every
page carries."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import jinja2
import orjson
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from lorebase.auth.roles import Permission, allows
from lorebase.exchange.htmlsite.writer import site_stylesheet
from lorebase.web.visitor import (
    BrowserError,
    SignInNeeded,
    Visitor,
    current_visitor,
    site_project,
)

TEMPLATES = jinja2.Environment(
    loader=jinja2.ChoiceLoader(
        [
            jinja2.PackageLoader("lorebase.web", "templates"),
            jinja2.PackageLoader("lorebase.exchange.htmlsite", "templates"),
        ]
    ),
    autoescape=True,
    auto_reload=False,
)
ASSETS = Path(__file__).resolve().parent.parent / "exchange" / "htmlsite" / "assets"
ASSETS_PATH = "/_lorebase/assets"
# The portal's own styles and scripts, with the vendored libraries (static/vendor/README.md).
PORTAL_STATIC = Path(__file__).resolve().parent / "static"
PORTAL_STATIC_PATH = "/_lorebase/portal"

# Pages with a person's data or a form: never cached, never framed (clickjacking), no
# Referer leaving with a one-time link in it, no script but our own files.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
}


def page(
    request: Request,
    visitor: Visitor,
    template: str,
    *,
    title: str,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    person = visitor.signed_in
    html = TEMPLATES.get_template(template).render(
        visitor=visitor,
        title=title,
        site_name=site_project(request).name,
        lang="en",
        rtl=False,
        up="/_lorebase/",
        home_href="/",
        base="",
        footer="",
        can_enter_portal=person is not None and allows(person.role, Permission.ENTER_PORTAL),
        **context,
    )
    response = HTMLResponse(html, status, headers={**PAGE_HEADERS, **(headers or {})})
    visitor.apply(response)
    return response


# What a person is told for the statuses the API's error mapping produces.
ERROR_TITLES = {
    400: "This could not be done",
    403: "This is not allowed",
    404: "Not found",
    409: "Someone else changed this at the same moment",
    503: "The server is busy",
}


def error_page(request: Request, api_answer: Response) -> HTMLResponse:
    """The API's answer to an error (status, description, Retry-After) as a page."""
    status = api_answer.status_code
    try:
        detail = str(orjson.loads(bytes(api_answer.body))["errors"][0]["description"])
    except (ValueError, KeyError, IndexError, TypeError):
        detail = ""
    retry = api_answer.headers.get("retry-after")
    return page(
        request,
        request.state.visitor,
        "message.html",
        title=ERROR_TITLES.get(status, "Something went wrong on our side"),
        status=status,
        detail=detail,
        headers={"Retry-After": retry} if retry else None,
    )


def redirect(visitor: Visitor, url: str) -> RedirectResponse:
    response = RedirectResponse(url, 303, headers={"Cache-Control": "no-store"})
    visitor.apply(response)
    return response


def install(app: FastAPI, base_path: str = "") -> None:
    stylesheet = site_stylesheet()
    etag = '"' + hashlib.blake2b(stylesheet, digest_size=12).hexdigest() + '"'

    def site_css(request: Request) -> Response:
        # site.css with the code highlighting styles, composed as the offline export writes it.
        headers = {"ETag": etag, "Cache-Control": "public, max-age=3600"}
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return Response(stylesheet, media_type="text/css; charset=utf-8", headers=headers)

    for prefix in dict.fromkeys(["", base_path]):
        app.add_api_route(
            f"{prefix}{ASSETS_PATH}/site.css", site_css, methods=["GET"], include_in_schema=False
        )
        app.mount(f"{prefix}{ASSETS_PATH}", StaticFiles(directory=ASSETS), name=f"assets{prefix}")
    app.mount(PORTAL_STATIC_PATH, StaticFiles(directory=PORTAL_STATIC), name="portal-static")

    @app.exception_handler(BrowserError)
    async def _refused(request: Request, exc: BrowserError) -> HTMLResponse:
        visitor = await current_visitor(request)
        href, label = exc.back or ("", "")
        return page(
            request,
            visitor,
            "message.html",
            title=exc.title,
            status=exc.status,
            detail=exc.detail,
            action_href=href,
            action_label=label,
        )

    @app.exception_handler(SignInNeeded)
    async def _sign_in(request: Request, exc: SignInNeeded) -> RedirectResponse:
        from urllib.parse import quote

        visitor = await current_visitor(request)
        target = "/account/signin"
        if exc.next_url:
            target += "?next=" + quote(exc.next_url, safe="")
        return redirect(visitor, target)
