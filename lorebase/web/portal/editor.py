"""The editor of an article or a category page: Markdown with the server's own preview, drafts
saved (and autosaved) only on top of the revision the author opened, publish, unpublish,
fork, the revision history with a side-by-side diff and restore, SEO settings, and the
translation view (source and target language side by side)."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
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
from lorebase.web.visitor import (
    BROWSER_GUARDS,
    BrowserError,
    Requirement,
    SignedInDep,
    Visitor,
    VisitorDep,
)

router = APIRouter(include_in_schema=False, dependencies=BROWSER_GUARDS)

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


@dataclass(frozen=True)
class EditorRequest:
    """A request to the editor of one page: who, which page (an article or a category page,
    as the path says) and which language."""

    request: Request
    visitor: Visitor
    me: SignedIn
    kind: str
    item_id: str
    lang: str

    def open(self, session: Session) -> tuple[Draft, Desk]:
        """The page's draft in this language, and the desk it is written at."""
        draft = _open(session, self.me, self.kind, self.item_id, self.lang)
        return draft, open_desk(session, self.me.project_id, draft.workspace_id, draft.lang)

    def screen(
        self,
        template: str,
        draft: Draft,
        desk: Desk,
        *,
        title: str,
        status: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        """One of the editor's screens about `draft`, in the portal's frame."""
        return portal_page(
            self.request,
            self.visitor,
            self.me,
            template,
            title=title,
            section="tree",
            desk=desk,
            status=status,
            draft=draft,
            path=_path(self.kind, draft.item_id, draft.lang),
            **context,
        )

    def editor(
        self,
        *,
        status: int = 200,
        notice: str = "",
        problem: str = "",
        field: str = "",
        typed: dict[str, str] | None = None,
    ) -> HTMLResponse:
        with reading(self.request) as session:
            draft, desk = self.open(session)
            preview = drafts.preview(
                session, draft.workspace_id, draft.lang, draft.content_type, draft.content
            )
            parents: list[Any] = []
            if self.kind == "article":
                roots = categories.workspace_tree(
                    session,
                    desk.scope,
                    desk.lang,
                    include_articles=False,
                    include_description=False,
                )
                parents = flatten(roots)
            languages = _language_status(session, self.kind, draft, desk)
        return self.screen(
            "portal/editor.html",
            draft,
            desk,
            title=(typed or {}).get("title") or draft.title,
            status=status,
            kind=self.kind,
            preview=preview,
            parents=parents,
            languages=languages,
            types=CATEGORY_TYPES,
            notice=notice,
            problem=problem,
            field=field,
            typed=typed or {},
        )

    def conflict(self, current: Draft, title: str, content: str) -> HTMLResponse:
        """The author's text beside the version someone else saved meanwhile."""
        with reading(self.request) as session:
            desk = open_desk(session, self.me.project_id, current.workspace_id, current.lang)
        return self.screen(
            "portal/conflict.html",
            current,
            desk,
            title="Someone else saved this page",
            status=409,
            mine_title=title,
            mine=content,
            rows=side_by_side(current.content, content),
        )

    def back(self, draft: Draft, done: str) -> Response:
        query = f"?ws={draft.workspace_id}&lang={draft.lang}&done={done}"
        return redirect(self.visitor, _path(self.kind, draft.item_id, draft.lang) + query)

    def run(self, done: str, act: Callable[[Session, Draft], object]) -> Response:
        """Run `act` on the opened draft in one transaction; back to the editor with a notice,
        or the editor with why not."""
        try:
            with writing(self.request) as session:
                draft = drafts.open_draft(
                    session, self.me.project_id, self.kind, self.item_id[:64], self.lang[:20]
                )
                act(session, draft)
        except NotFound as error:
            raise _missing(error) from None
        except KbError as error:
            return self.editor(status=400, problem=error.message)
        return self.back(draft, done)


def _editor_request(permission: Permission) -> Callable[..., EditorRequest]:
    """The dependency that gathers an EditorRequest from a person whose role allows
    `permission`."""
    requirement = Requirement(permission)

    def gather(
        request: Request, visitor: VisitorDep, me: SignedInDep, item_id: str, lang: str
    ) -> EditorRequest:
        return EditorRequest(request, visitor, requirement.check(me), _kind(request), item_id, lang)

    return gather


Viewing = Annotated[EditorRequest, Depends(_editor_request(Permission.ENTER_PORTAL))]
Drafting = Annotated[EditorRequest, Depends(_editor_request(Permission.WRITE_DRAFTS))]
Publishing = Annotated[EditorRequest, Depends(_editor_request(Permission.PUBLISH))]
Organising = Annotated[EditorRequest, Depends(_editor_request(Permission.ORGANISE))]


def _language_status(session: Session, kind: str, draft: Draft, desk: Desk) -> list[dict[str, Any]]:
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


def show_editor(it: Viewing, done: str = "") -> Response:
    return it.editor(notice=DONE.get(done, ""))


def preview(it: Drafting, content: str = Form("")) -> Response:
    """The page as a reader will see it, from the text in the editor (htmx swaps it in)."""
    with reading(it.request) as session:
        draft = _open(session, it.me, it.kind, it.item_id, it.lang)
        try:
            rendered = drafts.preview(
                session, draft.workspace_id, draft.lang, draft.content_type, content
            )
        except Invalid as error:
            return HTMLResponse(f'<p class="problem">{html.escape(error.message)}</p>', 400)
    return HTMLResponse(rendered, headers={"Cache-Control": "no-store"})


def save(
    it: Drafting,
    title: str = Form(""),
    content: str = Form(""),
    base: str = Form(""),
    then: str = Form(""),
) -> Response:
    """Save the draft (a form post, or the editor's autosave asking for JSON); with
    `then=publish`, publish it in the same transaction."""
    me = it.me
    # Browsers send a textarea's line breaks as CRLF (HTML's form encoding); the API and the
    # Markdown stored from it use LF.
    content = content.replace("\r\n", "\n")
    if then == "publish":
        # Refused before anything is written: a draft writer's "Save and publish" must not
        # leave a saved draft behind a 403.
        Requirement(Permission.PUBLISH).check(me)
    try:
        with writing(it.request) as session:
            draft = drafts.save_draft(
                session,
                me.project_id,
                it.kind,
                it.item_id[:64],
                it.lang[:20],
                title=title.strip(),
                content=content,
                base=base,
                user_id=me.user_id,
            )
            if then == "publish":
                drafts.publish(
                    session,
                    me.project_id,
                    it.kind,
                    draft.item_id,
                    draft.lang,
                    version_number=draft.latest_version,
                    user_id=me.user_id,
                )
                draft = drafts.open_draft(
                    session, me.project_id, it.kind, draft.item_id, draft.lang
                )
    except StaleDraft as stale:
        if _wants_json(it.request):
            return _json({"error": stale.message, "conflict": True}, 409)
        return it.conflict(stale.current, title, content)
    except NotFound as error:
        if _wants_json(it.request):
            return _json({"error": error.message}, 404)
        raise _missing(error) from None
    except KbError as error:
        if _wants_json(it.request):
            return _json({"error": error.message}, 400)
        field = "title" if "Title" in error.message else "content"
        return it.editor(
            status=400,
            problem=error.message,
            field=field,
            typed={"title": title, "content": content},
        )
    if _wants_json(it.request):
        return _json(
            {
                "stamp": draft.stamp,
                "version": draft.latest_version,
                "status": "Published" if draft.status == 3 else "Draft",
                "saved_at": draft.modified_at.isoformat(),
            }
        )
    return it.back(draft, "published" if then == "publish" else "saved")


def publish(it: Publishing, version: int = Form(0)) -> Response:
    return it.run(
        "published",
        lambda session, draft: drafts.publish(
            session,
            it.me.project_id,
            draft.kind,
            draft.item_id,
            draft.lang,
            version_number=version or draft.latest_version,
            user_id=it.me.user_id,
        ),
    )


def unpublish(it: Publishing) -> Response:
    return it.run(
        "unpublished",
        lambda session, draft: drafts.unpublish(
            session, it.me.project_id, draft.kind, draft.item_id, draft.lang
        ),
    )


def restore(it: Drafting, version: int = Form(0)) -> Response:
    """Fork (the published version, when no `version` is named) or restore a version: a new
    latest draft with its text."""

    def act(session: Session, draft: Draft) -> None:
        number = version or draft.public_version
        if not number:
            raise Invalid("Nothing is published yet: there is no published version to fork.")
        drafts.restore(
            session,
            it.me.project_id,
            draft.kind,
            draft.item_id,
            draft.lang,
            version_number=number,
            user_id=it.me.user_id,
        )

    return it.run("restored" if version else "forked", act)


def settings(
    it: Drafting,
    slug: str = Form(""),
    description: str = Form(""),
    seo_title: str = Form(""),
    tags: str = Form(""),
) -> Response:
    """SEO title, description, slug and tags of this language (as /settings in the API)."""
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
        if it.kind == "article":
            articles.update_settings(session, it.me.project_id, draft.item_id, draft.lang, changes)
        else:
            categories.update_settings(
                session, it.me.project_id, draft.item_id, draft.lang, changes
            )

    return it.run("settings", act)


# --- history ------------------------------------------------------------------------------


def history(it: Viewing) -> Response:
    with reading(it.request) as session:
        draft, desk = it.open(session)
        lines = drafts.history(session, it.me.project_id, it.kind, draft.item_id, draft.lang)
        names = {user.id: user.email for user in workspaces.users(session, it.me.project_id)}
    return it.screen(
        "portal/history.html",
        draft,
        desk,
        title=f"History of {draft.title}",
        lines=lines,
        names=names,
    )


def compare(it: Viewing, left: str = "", right: str = "") -> Response:
    """Two versions side by side (`?left=&right=`, version numbers)."""
    try:
        numbers = int(left), int(right)
    except ValueError:
        raise BrowserError(
            400, "Choose two versions to compare", "Pick them in the history's table."
        ) from None
    with reading(it.request) as session:
        draft, desk = it.open(session)
        try:
            texts = [
                drafts.revision_text(
                    session, it.me.project_id, it.kind, draft.item_id, draft.lang, n
                )
                for n in numbers
            ]
        except NotFound as error:
            raise BrowserError(404, "No such version", error.message) from None
    (left_title, left_text), (right_title, right_text) = texts
    return it.screen(
        "portal/compare.html",
        draft,
        desk,
        title=f"Version {numbers[0]} and version {numbers[1]}",
        numbers=numbers,
        titles=(left_title, right_title),
        rows=side_by_side(f"# {left_title}\n\n{left_text}", f"# {right_title}\n\n{right_text}"),
    )


# --- translation --------------------------------------------------------------------------


def translate(it: Viewing, source: str = "") -> Response:
    """The target language (`lang`) written beside a source language (default: the
    workspace's default language)."""
    with reading(it.request) as session:
        target, desk = it.open(session)
        original = _open(session, it.me, it.kind, it.item_id, source or desk.scope.default_language)
        shown = drafts.preview(
            session, original.workspace_id, original.lang, original.content_type, original.content
        )
        languages = _language_status(session, it.kind, target, desk)
    return it.screen(
        "portal/translate.html",
        target,
        desk,
        title=f"Translate {original.title}",
        original=original,
        shown=shown,
        languages=languages,
        paths={code: _path(it.kind, target.item_id, code) for code, _ in desk.languages},
    )


# --- article only: move, visibility, delete -----------------------------------------------


def visibility(it: Organising, hidden: str = Form("")) -> Response:
    hide = hidden == "true"
    return it.run(
        "hidden" if hide else "shown",
        lambda session, draft: articles.update_article(
            session, it.me.project_id, draft.item_id, draft.lang, fields={"hidden": hide}
        ),
    )


def delete(it: Organising) -> Response:
    try:
        with writing(it.request) as session:
            draft = drafts.open_draft(
                session, it.me.project_id, "article", it.item_id[:64], it.lang[:20]
            )
            articles.delete_article(session, it.me.project_id, draft.item_id)
    except NotFound as error:
        raise _missing(error) from None
    return redirect(
        it.visitor, f"/portal?ws={draft.workspace_id}&lang={draft.lang}&done=article-deleted"
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
