"""What the live reader site knows of a project's workspaces: each workspace language's tree
of readable pages (`exchange.htmlsite.navigation`, the offline site's own), named by
Document360's URLs, kept per process and rebuilt when the workspace's content stamp moves.

Every request reads the project's workspaces with their stamps (one small query), so a write
through any server process is seen by every other on its next request.

URLs (below the site's base path; `P` is "" for the main workspace, else `/<workspace>`):

    P/docs/<slug>                    article, default language
    P/docs/<lang>/<slug>             article in <lang> (the default language's when it has none)
    P/docs/<lang>/category/<slug>    category (its page, or the list of what it holds)
    P/docs/<lang>/tags/<tag>         articles carrying a tag
    P/docs/<lang>                    a language's home; `/` is the main workspace's
    P/search?q=…&lang=…              search
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, bindparam, select
from sqlalchemy.orm import Session

from lorebase.db.engine import lookup_rows
from lorebase.db.models import (
    Article,
    ArticleTranslation,
    Category,
    Language,
    Project,
    ProjectVersion,
)
from lorebase.exchange.display import Heading
from lorebase.exchange.htmlsite.navigation import (
    LanguageNav,
    NavNode,
    PageNamer,
    plan_languages,
)
from lorebase.exchange.plan import (
    ARTICLE_FILES,
    PAGE_FILES,
    ArticleRef,
    Node,
    WorkspacePlan,
    plan_workspaces,
)
from lorebase.render import MergeCodeValues
from lorebase.web.fastpath import Stamps, project_stamps


@dataclass(frozen=True)
class WorkspaceRow:
    """A workspace as every request sees it: enough to route and to check the cache."""

    id: str
    slug: str
    name: str
    is_main: bool
    is_public: bool
    stamp: int
    modified_at: datetime


@dataclass(frozen=True)
class ProjectRow:
    id: str
    name: str
    is_private: bool
    workspaces: list[WorkspaceRow]

    def stamps(self) -> Stamps:
        """What a page is kept at: every workspace's content stamp (a page shows the others
        too, through its workspace switcher)."""
        return project_stamps((ws.id, ws.stamp) for ws in self.workspaces)

    def main(self) -> WorkspaceRow | None:
        for ws in self.workspaces:
            if ws.is_main:
                return ws
        return self.workspaces[0] if self.workspaces else None

    def named(self, slug: str) -> WorkspaceRow | None:
        wanted = slug.lower()
        for ws in self.workspaces:
            if ws.slug.lower() == wanted:
                return ws
        return None


@dataclass
class ReaderLanguage:
    nav: LanguageNav
    articles: dict[str, NavNode]  # slug (lower-cased) -> article
    categories: dict[str, NavNode]  # slug (lower-cased) -> category
    by_id: dict[str, NavNode]
    position: dict[str, int]  # item id -> its place in the reading order
    # tag (lower-cased) -> (the tag as written, its articles in reading order); built on demand
    tags: dict[str, tuple[str, list[NavNode]]] | None = None
    # item id -> the published revision's date; built on demand (sitemaps)
    published_at: dict[str, datetime] | None = None
    # article id -> its translation's settings (tags, search exclusion…); built on demand
    settings: dict[str, dict[str, Any]] | None = None
    # item id -> its entry in the tree, closed, as HTML (drawn on demand, see web.reader)
    closed_entries: dict[str, str] = field(default_factory=dict)
    # the open categories, root first -> the tree drawn open along them (see web.reader)
    open_trees: dict[tuple[str, ...], str] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return self.nav.code


@dataclass
class ReaderWorkspace:
    row: WorkspaceRow
    prefix: str  # base path + "/<workspace>" unless it is the main workspace
    languages: dict[str, ReaderLanguage]  # code (lower-cased) -> language, default first
    default: str  # the default language's code
    articles: dict[str, ArticleRef]
    categories: dict[str, Node]
    lock: threading.Lock = field(default_factory=threading.Lock)
    values: dict[str, MergeCodeValues] = field(default_factory=dict)  # merge codes by language
    values_digests: dict[str, str] = field(default_factory=dict)  # page_bodies.values_digest

    def language(self, code: str | None) -> ReaderLanguage | None:
        if code is None:
            return self.languages.get(self.default.lower())
        return self.languages.get(code.lower())

    def home_href(self, code: str) -> str:
        if code == self.default:
            # `/` (or `<base>/`) for the main workspace, `/<workspace>` for another.
            return self.prefix if self.prefix and not self.row.is_main else self.prefix + "/"
        return f"{self.prefix}/docs/{quote(code)}"

    def search_href(self) -> str:
        return f"{self.prefix}/search"


def article_href(prefix: str, code: str, default: str, slug: str) -> str:
    if code == default:
        return f"{prefix}/docs/{quote(slug)}"
    return f"{prefix}/docs/{quote(code)}/{quote(slug)}"


def category_href(prefix: str, code: str, slug: str) -> str:
    return f"{prefix}/docs/{quote(code)}/category/{quote(slug)}"


def tag_href(prefix: str, code: str, tag: str) -> str:
    return f"{prefix}/docs/{quote(code)}/tags/{quote(tag, safe='')}"


_PROJECT_ROWS = (
    select(
        Project.name.label("project_name"),
        Project.is_private,
        ProjectVersion.id,
        ProjectVersion.slug,
        ProjectVersion.version_code_name,
        ProjectVersion.is_main_version,
        ProjectVersion.is_public,
        ProjectVersion.content_stamp,
        ProjectVersion.modified_at,
    )
    .outerjoin(ProjectVersion, ProjectVersion.project_id == Project.id)
    .where(Project.id == bindparam("project_id"))
    .order_by(ProjectVersion.position, ProjectVersion.created_at)
)


def project_row(engine: Engine, project_id: str) -> ProjectRow | None:
    """The project and its workspaces with their stamps: the one query of every page (on
    the lookup engine: `db.engine.lookup_rows`)."""
    rows = lookup_rows(engine, _PROJECT_ROWS, {"project_id": project_id})
    if not rows:
        return None
    workspaces = [
        WorkspaceRow(
            r.id,
            r.slug,
            r.version_code_name or r.slug,
            bool(r.is_main_version),
            bool(r.is_public),
            int(r.content_stamp or 0),
            r.modified_at,
        )
        for r in rows
        if r.id is not None
    ]
    return ProjectRow(project_id, rows[0].project_name, bool(rows[0].is_private), workspaces)


class ReaderSite:
    """The per-process cache of `ReaderWorkspace`s, one per workspace, by stamp."""

    def __init__(self, base_path: str) -> None:
        self.base_path = base_path
        self._workspaces: dict[str, ReaderWorkspace] = {}
        self._lock = threading.Lock()
        self._building: dict[str, threading.Lock] = {}

    def workspace(
        self, session: Callable[[], Session], project: ProjectRow, row: WorkspaceRow
    ) -> ReaderWorkspace:
        known = self._workspaces.get(row.id)
        if known is not None and known.row.stamp == row.stamp:
            return known
        with self._lock:
            building = self._building.setdefault(row.id, threading.Lock())
        # One build per workspace at a time: the others wait for it rather than repeat it.
        with building:
            known = self._workspaces.get(row.id)
            if known is not None and known.row.stamp == row.stamp:
                return known
            built = build_workspace(session(), project, row, self.base_path)
            self._workspaces[row.id] = built
            return built


def build_workspace(
    session: Session, project: ProjectRow, row: WorkspaceRow, base_path: str
) -> ReaderWorkspace:
    prefix = base_path if row.is_main else f"{base_path}/{quote(row.slug)}"
    ws = session.get(ProjectVersion, row.id)
    assert ws is not None
    _, plans = plan_workspaces(
        session,
        project.id,
        workspace_ids=[row.id],
        languages=None,
        category_ids=None,
        modified_after=None,
        modified_before=None,
    )
    plan: WorkspacePlan = plans[0]
    default = plan.langs[0] if plan.langs else "en"

    def namer_for(code: str) -> PageNamer:
        def name(heading: Heading, is_article: bool) -> str:
            if is_article:
                return article_href(prefix, code, default, heading.slug)
            return category_href(prefix, code, heading.slug)

        return name

    # Languages hidden from the site (Document360's "hide from the knowledge base") stay out.
    hidden = set(
        session.scalars(
            select(Language.code).where(
                Language.project_version_id == row.id, Language.hidden.is_(True)
            )
        )
    )
    languages: dict[str, ReaderLanguage] = {}
    for nav in plan_languages(session, ws, plan, namer_for):
        if nav.code in hidden and nav.code != default:
            continue
        languages[nav.code.lower()] = _index_language(nav, prefix)
    return ReaderWorkspace(
        row,
        prefix,
        languages,
        default,
        {ref.id: ref for ref in plan.articles},
        {node.id: node for node in plan.pages},
    )


def _index_language(nav: LanguageNav, prefix: str) -> ReaderLanguage:
    lang = ReaderLanguage(nav, {}, {}, {}, {})

    def index(level: list[NavNode]) -> None:
        for node in level:
            lang.by_id[node.item_id] = node
            if node.is_article:
                lang.articles.setdefault(node.slug.lower(), node)
            else:
                if node.href is None:
                    # A folder: on the live site it lists what it holds, so that the tree
                    # works without scripts (offline, folders are only labels).
                    node.href = category_href(prefix, nav.code, node.slug)
                    node.listing_only = True
                lang.categories.setdefault(node.slug.lower(), node)
            index(node.children)

    index(nav.roots)
    lang.position = {node.item_id: i for i, node in enumerate(nav.reading_order)}
    return lang


def language_settings(session: Session, ws: ReaderWorkspace, lang: ReaderLanguage) -> None:
    """Fill `lang.settings` and `lang.tags` (once per stamp): every article's settings."""
    with ws.lock:
        if lang.settings is not None:
            return
        rows = session.connection().execute(
            select(ArticleTranslation.article_id, ArticleTranslation.settings)
            .join(Article, Article.id == ArticleTranslation.article_id)
            .where(
                Article.project_version_id == ws.row.id,
                ArticleTranslation.language_code == lang.code,
            )
        )
        settings = {article_id: dict(value or {}) for article_id, value in rows}
        tags: dict[str, tuple[str, list[NavNode]]] = {}
        for node in lang.nav.reading_order:
            if not node.is_article:
                continue
            for tag in settings.get(node.item_id, {}).get("tags") or []:
                if not isinstance(tag, str) or not tag.strip():
                    continue
                entry = tags.setdefault(tag.strip().lower(), (tag.strip(), []))
                entry[1].append(node)
        lang.tags = tags
        lang.settings = settings


def publication_dates(session: Session, ws: ReaderWorkspace, lang: ReaderLanguage) -> None:
    """Fill `lang.published_at` (once per stamp): when each page's public revision was made."""
    with ws.lock:
        if lang.published_at is not None:
            return
        found: dict[str, datetime] = {}
        # The revision each translation publishes, as the pages read it (`FileKind`).
        for kind, model in ((ARTICLE_FILES, Article), (PAGE_FILES, Category)):
            revision, translation = kind.revision, kind.translation
            rows = session.connection().execute(
                select(kind.owner, revision.created_at)
                .join(
                    revision,
                    (kind.revision_owner == kind.owner)
                    & (revision.language_code == translation.language_code)
                    & (revision.version_number == translation.public_version),
                )
                .join(model, model.id == kind.owner)
                .where(
                    model.project_version_id == ws.row.id,
                    translation.language_code == lang.code,
                    translation.public_version > 0,
                )
            )
            for item_id, created in rows:
                found[item_id] = created
        lang.published_at = found
