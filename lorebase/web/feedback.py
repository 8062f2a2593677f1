"""The reader's "Was this article helpful?" form: POST /_lorebase/feedback."""

from __future__ import annotations

import threading
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from lorebase.auth.readers import readable_workspaces
from lorebase.auth.throttle import FeedbackThrottle
from lorebase.db.engine import transaction
from lorebase.kb import feedback, workspaces
from lorebase.kb.errors import KbError, NotFound
from lorebase.web.accounts import client_address
from lorebase.web.pages import page, redirect
from lorebase.web.visitor import (
    BrowserError,
    Visitor,
    VisitorDep,
    runtime_of,
    safe_next,
    same_origin,
    site_project_id,
)

FEEDBACK_PATH = "/_lorebase/feedback"
THANKS = "Thank you for your feedback."
THANKS_FRAGMENT = f'<p role="status">{THANKS}</p>'
ANSWERS = {"yes": True, "no": False}


def require_same_origin(request: Request) -> None:
    """Refuse a form another site's page sent (Origin of another host), or one that names
    no page of ours at all (neither Origin nor a Referer of this host).

    This route takes no CSRF token, unlike every other state-changing browser route: the
    article pages that carry its form are cached and shared between visitors, so they cannot
    hold a token bound to one browser. Checking the origin is enough here: the answer is
    anonymous, throttled per client, and changes nobody's data, so a forged one can do no more
    than a real visitor could. Browsers send Origin with every form POST; the Referer is the
    fallback for older ones (our pages send it to this site: Referrer-Policy same-origin).
    """
    origin = request.headers.get("origin")
    referer = request.headers.get("referer", "")
    if origin is not None:
        allowed = same_origin(request, origin)
    else:
        allowed = bool(referer) and same_origin(request, referer)
    if not allowed:
        raise BrowserError(
            403,
            "This request came from another site",
            "Nothing was sent. Use the form on the article's page.",
        )


router = APIRouter(include_in_schema=False, dependencies=[Depends(require_same_origin)])

_throttle_made = threading.Lock()


def throttle_of(request: Request) -> FeedbackThrottle:
    """The app's feedback throttle, made on first use from the settings (one per app, so
    memory counts are shared by every request the process serves)."""
    state = request.app.state
    found: FeedbackThrottle | None = getattr(state, "feedback_throttle", None)
    if found is None:
        with _throttle_made:
            found = getattr(state, "feedback_throttle", None)
            if found is None:
                settings = runtime_of(request).settings
                found = FeedbackThrottle(settings.feedback_per_client, settings.redis_url)
                state.feedback_throttle = found
    return found


def thanks_url(next_url: str) -> str:
    """The article page to go back to, with ?feedback=thanks, at its feedback section."""
    parts = urlsplit(safe_next(next_url, "/"))
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "feedback"]
    query.append(("feedback", "thanks"))
    return urlunsplit(("", "", parts.path, urlencode(query), "feedback"))


def _in_time(seconds: int) -> str:
    if seconds < 90:
        return "in a minute"
    return f"in about {round(seconds / 60)} minutes"


def _wants_fragment(request: Request) -> bool:
    return request.headers.get("hx-request", "").lower() == "true" or (
        "application/json" in request.headers.get("accept", "")
    )


def _check_reader(
    request: Request, visitor: Visitor, project_id: str, article_id: str, lang: str, back: str
) -> None:
    """404 unless the visitor may read the article in `lang`; 403 for an anonymous visitor of
    a private project (or someone signed in to another project)."""
    person = visitor.signed_in
    reader = runtime_of(request).read_session_factory()
    try:
        project = workspaces.find_project(reader, project_id)
        allowed: frozenset[str] | None = None
        if project.is_private:
            if person is None or person.project_id != project_id:
                raise BrowserError(
                    403,
                    "Sign in to send feedback",
                    "This knowledge base is private: only its readers can rate its articles.",
                    back=("/account/signin?next=" + quote(back, safe=""), "Sign in"),
                )
            allowed = readable_workspaces(reader, person.user_id, person.role)
        if not feedback.is_readable(reader, project_id, article_id, lang, workspace_ids=allowed):
            raise BrowserError(
                404,
                "This article is not available",
                "It may have been moved, hidden or unpublished meanwhile. Nothing was sent.",
            )
    finally:
        reader.close()


@router.post(FEEDBACK_PATH)
def send_feedback(
    request: Request,
    visitor: VisitorDep,
    article_id: str = Form(""),
    lang: str = Form(""),
    helpful: str = Form(""),
    reason: str = Form(""),
    comment: str = Form(""),
    next: str = Form(""),
) -> Response:
    back = (safe_next(next, "/"), "Back to the article")
    runtime = runtime_of(request)
    throttle = throttle_of(request)
    address = client_address(request)
    wait = throttle.retry_after(address)
    if wait is not None:
        return page(
            request,
            visitor,
            "message.html",
            title="Too much feedback from this address",
            status=429,
            headers={"Retry-After": str(wait)},
            detail=f"Thank you all the same. You can send more {_in_time(wait)}.",
            action_href=back[0],
            action_label=back[1],
        )
    answer = ANSWERS.get(helpful.strip().lower())
    if answer is None:
        raise BrowserError(
            400, "Your feedback could not be sent", "Choose Yes or No, then send it.", back=back
        )
    project_id = site_project_id(request)
    article_id, lang = article_id.strip(), lang.strip()
    _check_reader(request, visitor, project_id, article_id, lang, back[0])
    try:
        with transaction(runtime.session_factory) as session:
            feedback.record_feedback(
                session,
                project_id,
                article_id,
                lang,
                helpful=answer,
                reason=reason,
                comment=comment,
            )
    except KbError as error:
        # NotFound: unpublished since the check above.
        status = 404 if isinstance(error, NotFound) else 400
        raise BrowserError(
            status, "Your feedback could not be sent", error.message, back=back
        ) from None
    throttle.accepted(address)
    if _wants_fragment(request):
        response: Response = HTMLResponse(THANKS_FRAGMENT, headers={"Cache-Control": "no-store"})
        visitor.apply(response)
        return response
    return redirect(visitor, thanks_url(next))
