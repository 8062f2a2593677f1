"""The editor of an article or a category page: Markdown with the server's own preview, drafts
saved (and autosaved) only on top of the revision the author opened, publish, unpublish,
fork, the revision history with a side-by-side diff and restore, SEO settings, and the
translation view (source and target language side by side)."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from lorebase.auth.roles import Permission
from lorebase.auth.sessions import SignedIn
from lorebase.kb import articles, categories, drafts, workspaces
from lorebase.kb.drafts import Draft, StaleDraft
from lorebase.kb.errors import Invalid, KbError, NotFound
from lorebase.kb.revisions import article_revisions, category_revisions, translation_status
from lorebase.web.pages import redirect
from lorebase.web.portal.desk import Desk, open_desk, portal_page, reading, writing
from lorebase.web.portal.diff import side_by_side
from lorebase.web.portal.tree import CATEGORY_TYPES, flatten
from lorebase.web.visitor import BROWSER_GUARDS, BrowserError, Requirement, Visitor, VisitorDep

router = APIRouter(include_in_schema=False, dependencies=BROWSER_GUARDS)
Author = Annotated[SignedIn, Depends(Requirement(Permission.ENTER_PORTAL))]
Writer = Annotated[SignedIn, Depends(Requirement(Permission.WRITE_DRAFTS))]
Publisher = Annotated[SignedIn, Depends(Requirement(Permission.PUBLISH))]
Organiser = Annotated[SignedIn, Depends(Requirement(Permission.ORGANISE))]

# Where each kind's editor lives; its actions hang below.
PATHS = {
    "article": "/portal/articles/{item_id}/{lang}",
    "category": "/portal/categories/{item_id}/{lang}/edit",
}
DONE = {
    "saved": "The draft is saved.",
    "published": "Published: readers see this version now.",
    "unpublished": "Unpublished: readers no longer see this language.",
    "forked": "A new draft is started from the published version.",
    "restored": "The version is restored as a new draft.",
    "settings": "The settings are saved.",
    "moved": "The article is moved.",
    "hidden": "The article is hidden from readers.",
    "shown": "The article is shown to readers again.",
}


def _path(kind: str, item_id: str, lang: str) -> str:
    return PATHS[kind].format(item_id=item_id, lang=lang)


def _kind(request: Request) -> str:
    return "category" if request.url.path.startswith("/portal/categories/") else "article"


def _missing(error: KbError) -> BrowserError:
    return BrowserError(
        404,
        "No such page",
        error.message or "It may have been deleted.",
        back=("/portal", "Portal"),
    )


def _open(session: Session, me: SignedIn, kind: str, item_id: str, lang: str) -> Draft:
    try:
        return drafts.open_draft(session, me.project_id, kind, item_id[:64], lang[:20])
    except NotFound as error:
        raise _missing(error) from None
    except Invalid as error:
        if "folder" in error.message:
            raise BrowserError(400, "A folder has no page", error.message) from None
        raise _missing(error) from None


def _editor(
    request: Request,
    visitor: Visitor,
    me: SignedIn,
    kind: str,
    item_id: str,
    lang: str,
    *,
    status: int = 200,
    notice: str = "",
    problem: str = "",
    field: str = "",
    typed: dict[str, str] | None = None,
) -> HTMLResponse:
    with reading(request) as session:
        draft = _open(session, me, kind, item_id, lang)
        desk = open_desk(session, me.project_id, draft.workspace_id, draft.lang)
        preview = drafts.preview(
            session, draft.workspace_id, draft.lang, draft.content_type, draft.content
        )
        parents: list[Any] = []
        if kind == "article":
            roots = categories.workspace_tree(
                session, desk.scope, desk.lang, include_articles=False, include_description=False
            )
            parents = flatten(roots)
        languages = _language_status(session, me, kind, draft, desk)
    return portal_page(
        request,
        visitor,
        me,
        "portal/editor.html",
        title=(typed or {}).get("title") or draft.title,
        section="tree",
        desk=desk,
        status=status,
        draft=draft,
        kind=kind,
        path=_path(kind, draft.item_id, draft.lang),
        preview=preview,
        parents=parents,
        languages=languages,
        types=CATEGORY_TYPES,
        notice=notice,
        problem=problem,
        field=field,
        typed=typed or {},
    )


def _language_status(
    session: Session, me: SignedIn, kind: str, draft: Draft, desk: Desk
) -> list[dict[str, Any]]:
    """Each language of the workspace: written or not, draft or published."""
    store: Any = article_revisions if kind == "article" else category_revisions
    found = {tr.language_code: tr for tr in store.translations(session, draft.item_id)}
    rows = []
    for code, name in desk.languages:
        tr = found.get(code)
        written = tr is not None and tr.latest_version > 0
        rows.append(
            {
                "code": code,
                "name": name,
                "written": written,
                "status": translation_status(tr) if written and tr is not None else None,
                "published": bool(tr and tr.public_version),
                "modified_at": tr.modified_at if tr is not None else None,
            }
        )
    return rows


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _json(body: dict[str, Any], status: int = 200) -> Response:
    return Response(
        orjson.dumps(body),
        status,
        media_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


# --- the editor ---------------------------------------------------------------------------


def show_editor(
    request: Request,
    visitor: VisitorDep,
    me: Author,
    item_id: str,
    lang: str,
    done: str = "",
) -> Response:
    return _editor(request, visitor, me, _kind(request), item_id, lang, notice=DONE.get(done, ""))


def preview(
    request: Request,
    visitor: VisitorDep,
    me: Writer,
    item_id: str,
    lang: str,
    content: str = Form(""),
) -> Response:
    """The page as a reader will see it, from the text in the editor (htmx swaps it in)."""
    with reading(request) as session:
        draft = _open(session, me, _kind(request), item_id, lang)
        try:
            rendered = drafts.preview(
                session, draft.workspace_id, draft.lang, draft.content_type, content
            )
        except Invalid as error:
            return HTMLResponse(f'<p class="problem">{html.escape(error.message)}</p>', 400)
    return HTMLResponse(rendered, headers={"Cache-Control": "no-store"})


def save(
    request: Request,
    visitor: VisitorDep,
    me: Writer,
    item_id: str,
    lang: str,
    title: str = Form(""),
    content: str = Form(""),
    base: str = Form(""),
    then: str = Form(""),
) -> Response:
    """Save the draft (a form post, or the editor's autosave asking for JSON); with
    `then=publish`, publish it in the same transaction."""
    kind = _kind(request)
    # Browsers send a textarea's line breaks as CRLF (HTML's form encoding); the API and the
    # Markdown stored from it use LF.
    content = content.replace("\r\n", "\n")
    if then == "publish":
        # Refused before anything is written: a draft writer's "Save and publish" must not
        # leave a saved draft behind a 403.
        Requirement(Permission.PUBLISH).check(me)
    try:
        with writing(request) as session:
            draft = drafts.save_draft(
                session,
                me.project_id,
                kind,
                item_id[:64],
                lang[:20],
                title=title.strip(),
                content=content,
                base=base,
                user_id=me.user_id,
            )
            if then == "publish":
                drafts.publish(
                    session,
                    me.project_id,
                    kind,
                    draft.item_id,
                    draft.lang,
                    version_number=draft.latest_version,
                    user_id=me.user_id,
                )
                draft = drafts.open_draft(session, me.project_id, kind, draft.item_id, draft.lang)
    except StaleDraft as stale:
        if _wants_json(request):
            return _json({"error": stale.message, "conflict": True}, 409)
        return _conflict(request, visitor, me, kind, stale.current, title, content)
    except NotFound as error:
        if _wants_json(request):
            return _json({"error": error.message}, 404)
        raise _missing(error) from None
    except KbError as error:
        if _wants_json(request):
            return _json({"error": error.message}, 400)
        field = "title" if "Title" in error.message else "content"
        return _editor(
            request,
            visitor,
            me,
            kind,
            item_id,
            lang,
            status=400,
            problem=error.message,
            field=field,
            typed={"title": title, "content": content},
        )
    if _wants_json(request):
        return _json(
            {
                "stamp": draft.stamp,
                "version": draft.latest_version,
                "status": "Published" if draft.status == 3 else "Draft",
                "saved_at": draft.modified_at.isoformat(),
            }
        )
    done = "published" if then == "publish" else "saved"
    return _back(visitor, kind, draft, done)


def _back(visitor: Visitor, kind: str, draft: Draft, done: str) -> Response:
    query = f"?ws={draft.workspace_id}&lang={draft.lang}&done={done}"
    return redirect(visitor, _path(kind, draft.item_id, draft.lang) + query)


def _conflict(
    request: Request,
    visitor: Visitor,
    me: SignedIn,
    kind: str,
    current: Draft,
    title: str,
    content: str,
) -> HTMLResponse:
    with reading(request) as session:
        desk = open_desk(session, me.project_id, current.workspace_id, current.lang)
    return portal_page(
        request,
        visitor,
        me,
        "portal/conflict.html",
        title="Someone else saved this page",
        section="tree",
        desk=desk,
        status=409,
        draft=current,
        path=_path(kind, current.item_id, current.lang),
        mine_title=title,
        mine=content,
        rows=side_by_side(current.content, content),
    )


def _action(
    request: Request,
    visitor: Visitor,
    me: SignedIn,
    item_id: str,
    lang: str,
    done: str,
    act: Callable[[Session, Draft], None],
) -> Response:
    """Run `act` on the opened draft in one transaction; back to the editor with a notice,
    or the editor with why not."""
    kind = _kind(request)
    try:
        with writing(request) as session:
            draft = drafts.open_draft(session, me.project_id, kind, item_id[:64], lang[:20])
            act(session, draft)
    except NotFound as error:
        raise _missing(error) from None
    except KbError as error:
        return _editor(request, visitor, me, kind, item_id, lang, status=400, problem=error.message)
    return _back(visitor, kind, draft, done)


def publish(
    request: Request,
    visitor: VisitorDep,
    me: Publisher,
    item_id: str,
    lang: str,
    version: int = Form(0),
) -> Response:
    return _action(
        request,
        visitor,
        me,
        item_id,
        lang,
        "published",
        lambda session, draft: drafts.publish(
            session,
            me.project_id,
            draft.kind,
            draft.item_id,
            draft.lang,
            version_number=version or draft.latest_version,
            user_id=me.user_id,
        ),
    )


def unpublish(
    request: Request, visitor: VisitorDep, me: Publisher, item_id: str, lang: str
) -> Response:
    return _action(
        request,
        visitor,
        me,
        item_id,
        lang,
        "unpublished",
        lambda session, draft: drafts.unpublish(
            session, me.project_id, draft.kind, draft.item_id, draft.lang
        ),
    )


def restore(
    request: Request,
    visitor: VisitorDep,
    me: Writer,
    item_id: str,
    lang: str,
    version: int = Form(0),
) -> Response:
    """Fork (the published version, when no `version` is named) or restore a version: a new
    latest draft with its text."""

    def act(session: Session, draft: Draft) -> None:
        number = version or draft.public_version
        if not number:
            raise Invalid("Nothing is published yet: there is no published version to fork.")
        drafts.restore(
            session,
            me.project_id,
            draft.kind,
            draft.item_id,
            draft.lang,
            version_number=number,
            user_id=me.user_id,
        )

    return _action(request, visitor, me, item_id, lang, "restored" if version else "forked", act)


def settings(
    request: Request,
    visitor: VisitorDep,
    me: Writer,
    item_id: str,
    lang: str,
    slug: str = Form(""),
    description: str = Form(""),
    seo_title: str = Form(""),
    tags: str = Form(""),
) -> Response:
    """SEO title, description, slug and tags of this language (as /settings in the API)."""
    kind = _kind(request)
    changes: dict[str, Any] = {
        "seo_title": seo_title.strip() or None,
        "description": description.strip() or None,
        "tags": [t.strip() for t in tags.split(",") if t.strip()][:50],
    }
    if slug.strip():
        changes["slug"] = slug.strip()

    def act(session: Session, draft: Draft) -> None:
        for name, limit in (("SEO title", 500), ("description", 2000), ("slug", 500)):
            key = {"SEO title": "seo_title"}.get(name, name)
            if len(changes.get(key) or "") > limit:
                raise Invalid(f"The {name} is longer than {limit} characters.")
        if any(len(tag) > 200 for tag in changes["tags"]):
            raise Invalid("A tag is longer than 200 characters.")
        if kind == "article":
            articles.update_settings(session, me.project_id, draft.item_id, draft.lang, changes)
        else:
            categories.update_settings(session, me.project_id, draft.item_id, draft.lang, changes)

    return _action(request, visitor, me, item_id, lang, "settings", act)


# --- history ------------------------------------------------------------------------------


def history(request: Request, visitor: VisitorDep, me: Author, item_id: str, lang: str) -> Response:
    kind = _kind(request)
    with reading(request) as session:
        draft = _open(session, me, kind, item_id, lang)
        desk = open_desk(session, me.project_id, draft.workspace_id, draft.lang)
        lines = drafts.history(session, me.project_id, kind, draft.item_id, draft.lang)
        names = {user.id: user.email for user in workspaces.users(session, me.project_id)}
    return portal_page(
        request,
        visitor,
        me,
        "portal/history.html",
        title=f"History of {draft.title}",
        section="tree",
        desk=desk,
        draft=draft,
        path=_path(kind, draft.item_id, draft.lang),
        lines=lines,
        names=names,
    )


def compare(
    request: Request,
    visitor: VisitorDep,
    me: Author,
    item_id: str,
    lang: str,
    left: str = "",
    right: str = "",
) -> Response:
    """Two versions side by side (`?left=&right=`, version numbers)."""
    kind = _kind(request)
    try:
        numbers = int(left), int(right)
    except ValueError:
        raise BrowserError(
            400, "Choose two versions to compare", "Pick them in the history's table."
        ) from None
    with reading(request) as session:
        draft = _open(session, me, kind, item_id, lang)
        desk = open_desk(session, me.project_id, draft.workspace_id, draft.lang)
        try:
            texts = [
                drafts.revision_text(session, me.project_id, kind, draft.item_id, draft.lang, n)
                for n in numbers
            ]
        except NotFound as error:
            raise BrowserError(404, "No such version", error.message) from None
    (left_title, left_text), (right_title, right_text) = texts
    return portal_page(
        request,
        visitor,
        me,
        "portal/compare.html",
        title=f"Version {numbers[0]} and version {numbers[1]}",
        section="tree",
        desk=desk,
        draft=draft,
        path=_path(kind, draft.item_id, draft.lang),
        numbers=numbers,
        titles=(left_title, right_title),
        rows=side_by_side(f"# {left_title}\n\n{left_text}", f"# {right_title}\n\n{right_text}"),
    )


# --- translation --------------------------------------------------------------------------


def translate(
    request: Request,
    visitor: VisitorDep,
    me: Author,
    item_id: str,
    lang: str,
    source: str = "",
) -> Response:
    """The target language (`lang`) written beside a source language (default: the
    workspace's default language)."""
    kind = _kind(request)
    with reading(request) as session:
        target = _open(session, me, kind, item_id, lang)
        desk = open_desk(session, me.project_id, target.workspace_id, target.lang)
        original = _open(session, me, kind, item_id, source or desk.scope.default_language)
        shown = drafts.preview(
            session, original.workspace_id, original.lang, original.content_type, original.content
        )
        languages = _language_status(session, me, kind, target, desk)
    return portal_page(
        request,
        visitor,
        me,
        "portal/translate.html",
        title=f"Translate {original.title}",
        section="tree",
        desk=desk,
        draft=target,
        original=original,
        shown=shown,
        languages=languages,
        path=_path(kind, target.item_id, target.lang),
        paths={code: _path(kind, target.item_id, code) for code, _ in desk.languages},
    )


# --- article only: move, visibility, delete -----------------------------------------------


def visibility(
    request: Request,
    visitor: VisitorDep,
    me: Organiser,
    item_id: str,
    lang: str,
    hidden: str = Form(""),
) -> Response:
    hide = hidden == "true"

    def act(session: Session, draft: Draft) -> None:
        articles.update_article(
            session, me.project_id, draft.item_id, draft.lang, fields={"hidden": hide}
        )

    return _action(request, visitor, me, item_id, lang, "hidden" if hide else "shown", act)


def delete(
    request: Request, visitor: VisitorDep, me: Organiser, item_id: str, lang: str
) -> Response:
    try:
        with writing(request) as session:
            draft = drafts.open_draft(session, me.project_id, "article", item_id[:64], lang[:20])
            articles.delete_article(session, me.project_id, draft.item_id)
    except NotFound as error:
        raise _missing(error) from None
    return redirect(
        visitor, f"/portal?ws={draft.workspace_id}&lang={draft.lang}&done=article-deleted"
    )


def _install() -> None:
    for kind, base in PATHS.items():
        router.add_api_route(base, show_editor, methods=["GET"])
        router.add_api_route(base + "/preview", preview, methods=["POST"])
        router.add_api_route(base + "/save", save, methods=["POST"])
        router.add_api_route(base + "/publish", publish, methods=["POST"])
        router.add_api_route(base + "/unpublish", unpublish, methods=["POST"])
        router.add_api_route(base + "/restore", restore, methods=["POST"])
        router.add_api_route(base + "/settings", settings, methods=["POST"])
        router.add_api_route(base + "/history", history, methods=["GET"])
        router.add_api_route(base + "/compare", compare, methods=["GET"])
        router.add_api_route(base + "/translate", translate, methods=["GET"])
        if kind == "article":
            router.add_api_route(base + "/visibility", visibility, methods=["POST"])
            router.add_api_route(base + "/delete", delete, methods=["POST"])


_install()
