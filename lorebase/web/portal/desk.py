"""What every portal screen shares: the author's desk (workspace and language) and the page
frame with the portal's navigation, shown by role."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from lorebase.auth.roles import Permission, allows
from lorebase.auth.sessions import SignedIn
from lorebase.db.engine import transaction
from lorebase.kb import workspaces
from lorebase.kb.workspaces import WorkspaceScope
from lorebase.web.pages import PORTAL_STATIC_PATH, page
from lorebase.web.visitor import BrowserError, Visitor, runtime_of


@dataclass(frozen=True)
class NavItem:
    section: str
    label: str
    href: str
    permission: Permission


# The portal's screens in the order of its navigation; each shown only to roles allowed it.
NAVIGATION = (
    NavItem("tree", "Documentation", "/portal", Permission.ENTER_PORTAL),
    NavItem("search", "Search", "/portal/search", Permission.ENTER_PORTAL),
    NavItem("variables", "Variables", "/portal/variables", Permission.MANAGE_MERGE_CODES),
    NavItem("snippets", "Snippets", "/portal/snippets", Permission.MANAGE_MERGE_CODES),
    NavItem("glossary", "Glossary", "/portal/glossary", Permission.MANAGE_MERGE_CODES),
    NavItem("drive", "Drive", "/portal/drive", Permission.WRITE_DRAFTS),
    NavItem("exchange", "Import and export", "/portal/exchange", Permission.MANAGE_PROJECT),
    NavItem("tokens", "API tokens", "/portal/tokens", Permission.MANAGE_TOKENS),
    NavItem("team", "Team", "/portal/team", Permission.MANAGE_TEAM),
)


@dataclass(frozen=True)
class WorkspaceChoice:
    id: str
    name: str


@dataclass(frozen=True)
class Desk:
    """The workspace and language an author is working in, chosen by `?ws=&lang=` and kept
    in every link of the portal (no server-side state: two tabs may work in two places)."""

    scope: WorkspaceScope
    lang: str
    choices: tuple[WorkspaceChoice, ...]

    @property
    def workspace_id(self) -> str:
        return self.scope.id

    @property
    def workspace_name(self) -> str:
        return self.scope.workspace.version_code_name or self.scope.workspace.slug

    @property
    def languages(self) -> list[tuple[str, str]]:
        """(code, name) of the workspace's languages, the default first."""
        return [
            (language.code, language.name or language.code) for language in self.scope.languages
        ]

    @property
    def is_default_language(self) -> bool:
        return self.lang == self.scope.default_language

    def query(self, **more: str) -> str:
        """`?ws=…&lang=…` (plus `more`) for a link that keeps the author at this desk."""
        return "?" + urlencode({"ws": self.scope.id, "lang": self.lang, **more})


def open_desk(session: Session, project_id: str, ws: str = "", lang: str = "") -> Desk:
    """The desk `?ws=&lang=` asks for; the project's first workspace and its default language
    when they are missing. An unknown one is a 404 page, never a silent switch."""
    found = workspaces.workspaces(session, project_id)
    if not found:
        raise BrowserError(404, "This project has no workspace yet")
    chosen = found[0]
    if ws:
        match = [w for w in found if w.id == ws[:64] or w.slug == ws[:200]]
        if not match:
            raise BrowserError(
                404, "No such workspace", "It may have been deleted.", back=("/portal", "Portal")
            )
        chosen = match[0]
    scope = workspaces.scope_of(session, chosen)
    code = scope.default_language
    if lang:
        if not scope.has_language(lang[:20]):
            raise BrowserError(
                404,
                "This workspace has no such language",
                f"{chosen.version_code_name or chosen.slug} is not written in {lang[:20]!r}.",
                back=("/portal", "Portal"),
            )
        code = scope.language(lang[:20])
    choices = tuple(WorkspaceChoice(w.id, w.version_code_name or w.slug) for w in found)
    return Desk(scope, code, choices)


@contextmanager
def reading(request: Request) -> Iterator[Session]:
    """A session on the read side (a replica when one is configured), closed afterwards."""
    session = runtime_of(request).read_session_factory()
    try:
        yield session
    finally:
        session.close()


@contextmanager
def writing(request: Request) -> Iterator[Session]:
    """One transaction on the primary: committed when the block ends, rolled back on error."""
    with transaction(runtime_of(request).session_factory) as session:
        yield session


def portal_page(
    request: Request,
    visitor: Visitor,
    me: SignedIn,
    template: str,
    *,
    title: str,
    section: str,
    desk: Desk | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A portal screen in the portal's frame: navigation for this role, the desk's switchers."""
    navigation = [item for item in NAVIGATION if allows(me.role, item.permission)]
    return page(
        request,
        visitor,
        template,
        title=title,
        status=status,
        headers=headers,
        me=me,
        navigation=navigation,
        section=section,
        desk=desk,
        portal_assets=PORTAL_STATIC_PATH,
        may=lambda permission: allows(me.role, Permission[permission]),
        **context,
    )
