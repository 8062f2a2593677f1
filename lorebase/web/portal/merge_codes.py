"""The portal's variables, snippets and glossary: each kind listed for the desk's workspace and
language, created, edited and deleted through forms; and the editor's merge-code picker data."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from lorebase.auth.roles import Permission
from lorebase.auth.sessions import SignedIn
from lorebase.db.models import MergeCodeEntry
from lorebase.kb import merge_codes as kb
from lorebase.kb.errors import KbError, NotFound
from lorebase.render.page import opening
from lorebase.web.pages import redirect
from lorebase.web.portal.desk import Desk, open_desk, portal_page, reading, writing
from lorebase.web.visitor import BROWSER_GUARDS, BrowserError, Requirement, Visitor, VisitorDep

router = APIRouter(include_in_schema=False, dependencies=BROWSER_GUARDS)
Keeper = Annotated[SignedIn, Depends(Requirement(Permission.MANAGE_MERGE_CODES))]
Writer = Annotated[SignedIn, Depends(Requirement(Permission.WRITE_DRAFTS))]

# What the list shows of a long snippet or definition; the edit form has all of it.
EXCERPT_CHARS = 200
PREVIEW_CHARS = 120
PICKER_LIMIT = 50
DONE = {
    "created": "It is created. Paste its code into an article to use it.",
    "saved": "The change is saved; published pages using it show it now.",
    "deleted": "It is deleted. Articles still using its code show the code as typed.",
}


@dataclass(frozen=True)
class Kind:
    """What differs between variables, snippets and glossary terms on the screens."""

    kind: str  # the domain's word: variable | snippet | glossary
    section: str  # the navigation's section and the path segment
    title: str
    one: str  # "variable", "snippet", "glossary term"
    value_label: str
    value_hint: str

    @property
    def path(self) -> str:
        return f"/portal/{self.section}"


KINDS = {
    kind.section: kind
    for kind in (
        Kind(
            "variable",
            "variables",
            "Variables",
            "variable",
            "Value",
            f"Plain text, at most {kb.VARIABLE_MAX} characters.",
        ),
        Kind(
            "snippet",
            "snippets",
            "Snippets",
            "snippet",
            "Content",
            "Markdown, or HTML when the box below is ticked. It may use other merge codes.",
        ),
        Kind(
            "glossary",
            "glossary",
            "Glossary",
            "glossary term",
            "Term as shown",
            "The words readers see in the article; the name when left empty.",
        ),
    )
}


@dataclass(frozen=True)
class Row:
    """One entry as the list and the edit form show it."""

    id: str
    name: str
    code: str
    value: str
    excerpt: str
    definition: str
    definition_excerpt: str
    is_html: bool
    language_code: str  # "" for every language
    overridden: bool  # global, but the desk's language has a value of its own


@dataclass(frozen=True)
class Typed:
    """What a person sent in a form, shown again with the reason it was refused."""

    name: str = ""
    value: str = ""
    definition: str = ""
    is_html: bool = False
    language: str = ""

    def fields(self, kind: Kind) -> dict[str, Any]:
        """What the domain takes from the form: the HTML box only for a snippet, the
        definition only for a glossary term."""
        fields: dict[str, Any] = {"name": self.name, "value": self.value}
        if kind.kind == "snippet":
            fields["is_html"] = self.is_html
        if kind.kind == "glossary":
            fields["definition"] = self.definition
        return fields


def _excerpt(text: str, length: int = EXCERPT_CHARS) -> str:
    return text if len(text) <= length else text[:length].rstrip() + "…"


def _row(entry: MergeCodeEntry, overridden: bool = False) -> Row:
    return Row(
        id=entry.id,
        name=entry.name,
        code=merge_code(entry.kind, entry.name),
        value=entry.value,
        excerpt=_excerpt(entry.value),
        definition=entry.definition,
        definition_excerpt=_excerpt(entry.definition),
        is_html=entry.is_html,
        language_code=entry.language_code,
        overridden=overridden,
    )


def merge_code(kind: str, name: str) -> str:
    return f"{{{{{kind}.{name}}}}}"


def _clean(text: str) -> str:
    # A NUL cannot be stored in PostgreSQL text and no person means to type one.
    return text.replace("\0", "")


def _typed_entry(
    name: str = Form(""),
    value: str = Form(""),
    definition: str = Form(""),
    is_html: str = Form(""),
    language: str = Form(""),
) -> Typed:
    """The create or edit form as sent (the edit form has no language)."""
    return Typed(
        _clean(name).strip(),
        _clean(value),
        _clean(definition),
        is_html == "true",
        _clean(language)[:20],
    )


TypedEntry = Annotated[Typed, Depends(_typed_entry)]


def _field_of(message: str) -> str:
    """The form field a domain message is about, so it is shown next to that field."""
    if "Name" in message or " named " in message:
        return "name"
    if "value" in message:
        return "value"
    if "anguage" in message:
        return "language"
    return ""


def _problem_shown(refused: KbError | None) -> dict[str, Any]:
    """Why a form was refused, for the page: next to the field the message is about, or above
    the form when it is about none (never both)."""
    message = refused.message if refused else ""
    field = _field_of(message)
    return {
        "problem": "" if field else message,
        "field_problem": message if field else "",
        "field": field,
    }


# --- the list and the create form ---------------------------------------------------------


def _list_page(
    request: Request,
    visitor: Visitor,
    me: SignedIn,
    kind: Kind,
    ws: str,
    lang: str,
    *,
    notice: str = "",
    refused: KbError | None = None,
    typed: Typed | None = None,
) -> HTMLResponse:
    with reading(request) as session:
        desk = open_desk(session, me.project_id, ws, lang)
        entries = kb.list_entries(session, me.project_id, desk.workspace_id, kind.kind)
        shown = [e for e in entries if e.language_code in ("", desk.lang)]
        own = {e.name for e in shown if e.language_code}
        rows = [_row(e, overridden=not e.language_code and e.name in own) for e in shown]
        elsewhere: dict[str, int] = {}
        for entry in entries:
            if entry.language_code not in ("", desk.lang):
                elsewhere[entry.language_code] = elsewhere.get(entry.language_code, 0) + 1
    return portal_page(
        request,
        visitor,
        me,
        "portal/merge_codes.html",
        title=kind.title,
        section=kind.section,
        desk=desk,
        status=400 if refused else 200,
        kind=kind,
        rows=rows,
        elsewhere=sorted(elsewhere.items()),
        notice=notice,
        typed=typed or Typed(),
        **_problem_shown(refused),
    )


def _register(kind: Kind) -> None:
    @router.get(kind.path, name=f"portal_list_{kind.kind}")
    def list_entries(
        request: Request,
        visitor: VisitorDep,
        me: Keeper,
        ws: str = "",
        lang: str = "",
        done: str = "",
    ) -> Response:
        return _list_page(request, visitor, me, kind, ws, lang, notice=DONE.get(done, ""))

    @router.post(kind.path, name=f"portal_create_{kind.kind}")
    def create_entry(
        request: Request,
        visitor: VisitorDep,
        me: Keeper,
        typed: TypedEntry,
        ws: str = Form(""),
        lang: str = Form(""),
    ) -> Response:
        try:
            with writing(request) as session:
                desk = open_desk(session, me.project_id, ws, lang)
                fields = {
                    **typed.fields(kind),
                    "project_version_id": desk.workspace_id,
                    "language_code": typed.language or None,
                }
                entry = kb.create_entry(session, me.project_id, kind.kind, fields)
                target = f"{kind.path}{desk.query(done='created')}#entry-{entry.id}"
        except KbError as error:
            return _list_page(request, visitor, me, kind, ws, lang, refused=error, typed=typed)
        return redirect(visitor, target)

    @router.get(f"{kind.path}/{{entry_id}}", name=f"portal_edit_{kind.kind}")
    def edit_entry(
        request: Request,
        visitor: VisitorDep,
        me: Keeper,
        entry_id: str,
        lang: str = "",
    ) -> Response:
        return _entry_page(request, visitor, me, kind, entry_id[:64], lang)

    @router.post(f"{kind.path}/{{entry_id}}", name=f"portal_update_{kind.kind}")
    def update_entry(
        request: Request,
        visitor: VisitorDep,
        me: Keeper,
        entry_id: str,
        typed: TypedEntry,
        lang: str = Form(""),
    ) -> Response:
        try:
            with writing(request) as session:
                entry = kb.update_entry(
                    session, me.project_id, kind.kind, entry_id[:64], typed.fields(kind)
                )
                desk = _desk_of(session, me, entry, lang)
                target = f"{kind.path}{desk.query(done='saved')}#entry-{entry.id}"
        except NotFound:
            raise _gone(kind) from None
        except KbError as error:
            return _entry_page(
                request, visitor, me, kind, entry_id[:64], lang, refused=error, typed=typed
            )
        return redirect(visitor, target)

    @router.post(f"{kind.path}/{{entry_id}}/delete", name=f"portal_delete_{kind.kind}")
    def delete_entry(
        request: Request,
        visitor: VisitorDep,
        me: Keeper,
        entry_id: str,
        lang: str = Form(""),
    ) -> Response:
        try:
            with writing(request) as session:
                entry = kb.get_entry(session, me.project_id, kind.kind, entry_id[:64])
                desk = _desk_of(session, me, entry, lang)
                kb.delete_entry(session, me.project_id, kind.kind, entry.id)
        except NotFound:
            raise _gone(kind) from None
        return redirect(visitor, f"{kind.path}{desk.query(done='deleted')}")


# --- one entry ----------------------------------------------------------------------------


def _gone(kind: Kind) -> BrowserError:
    return BrowserError(
        404,
        f"No such {kind.one}",
        "It may have been deleted meanwhile.",
        back=(kind.path, kind.title),
    )


def _desk_of(session: Any, me: SignedIn, entry: MergeCodeEntry, lang: str) -> Desk:
    """The entry's own workspace, at the language the author came from when it has it."""
    try:
        return open_desk(session, me.project_id, entry.project_version_id, lang)
    except BrowserError:
        return open_desk(session, me.project_id, entry.project_version_id)


def _entry_page(
    request: Request,
    visitor: Visitor,
    me: SignedIn,
    kind: Kind,
    entry_id: str,
    lang: str,
    *,
    refused: KbError | None = None,
    typed: Typed | None = None,
) -> HTMLResponse:
    with reading(request) as session:
        try:
            entry = kb.get_entry(session, me.project_id, kind.kind, entry_id)
        except NotFound:
            raise _gone(kind) from None
        desk = _desk_of(session, me, entry, lang)
        row = _row(entry)
    shown = typed or Typed(row.name, row.value, row.definition, row.is_html)
    return portal_page(
        request,
        visitor,
        me,
        "portal/merge_codes_entry.html",
        title=f"{kind.one.capitalize()} {row.name}",
        section=kind.section,
        desk=desk,
        status=400 if refused else 200,
        kind=kind,
        row=row,
        typed=shown,
        **_problem_shown(refused),
    )


for _kind in KINDS.values():
    _register(_kind)


# --- the editor's picker --------------------------------------------------------------------

_TAG = re.compile(r"<[^>]*>")
_KIND_ORDER = {"variable": 0, "snippet": 1, "glossary": 2}


def _plain(text: str, is_html: bool) -> str:
    if is_html:
        text = html.unescape(_TAG.sub(" ", text))
    return opening(text, PREVIEW_CHARS) or ""


def _json(body: object, status: int = 200) -> Response:
    return Response(
        orjson.dumps(body),
        status,
        media_type="application/json",
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/portal/merge-codes.json")
def merge_code_choices(
    request: Request, me: Writer, ws: str = "", lang: str = "", q: str = ""
) -> Response:
    """The merge codes an article in this workspace and language can use (its own value where
    the language has one), as the editor's picker and autocompletion list them: names
    containing `q`, those starting with it first. `q` may carry the kind too, as the author
    types it after `{{` ("variable.Prod")."""
    wanted = q[:100].strip().lstrip("{").strip()
    only_kind = ""
    head, dot, rest = wanted.partition(".")
    if dot and head.lower() in _KIND_ORDER:
        only_kind, wanted = head.lower(), rest
    wanted = wanted.lower()
    try:
        with reading(request) as session:
            desk = open_desk(session, me.project_id, ws, lang)
            values = kb.values_for(session, desk.workspace_id, desk.lang)
    except BrowserError as error:
        return _json({"error": f"{error.title}. {error.detail}".strip()}, error.status)
    choices = [("variable", name, _plain(value, False)) for name, value in values.variables.items()]
    choices += [
        ("snippet", name, _plain(snippet.content, snippet.is_html))
        for name, snippet in values.snippets.items()
    ]
    choices += [
        (
            "glossary",
            name,
            _plain(f"{term.term}: {term.definition}" if term.definition else term.term, False),
        )
        for name, term in values.glossary.items()
    ]
    found = [
        choice
        for choice in choices
        if (not only_kind or choice[0] == only_kind) and wanted in choice[1].lower()
    ]
    found.sort(key=lambda c: (not c[1].lower().startswith(wanted), c[1].lower(), _KIND_ORDER[c[0]]))
    return _json(
        [
            {"kind": kind, "name": name, "code": merge_code(kind, name), "preview": preview}
            for kind, name, preview in found[:PICKER_LIMIT]
        ]
    )
