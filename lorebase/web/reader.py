"""The live reader site: every workspace, language, category and article of the site's project
at Document360's URLs (see `web.reading`), rendered with the offline HTML export's templates,
stylesheet and body pipeline.

Pages are the same for every reader of a project, so they carry nothing of the visitor (no
CSRF token, no name in the header): a rendered page is kept per process under its
workspace's content stamp, and answered with an ETag and a Last-Modified (304 when the
reader has it already).
Private projects (and workspaces not public) need a signed-in reader; their pages are
`Cache-Control: private` and their media links are signed as the API signs them.
"""

from __future__ import annotations

import hashlib
import html
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from lorebase.auth.readers import readable_workspaces
from lorebase.auth.sessions import SignedIn, check_session, touch_session
from lorebase.db.engine import lookup, transaction
from lorebase.db.models import (
    Article,
    ArticleTranslation,
    Category,
    CategoryTranslation,
    MergeCodeEntry,
    ProjectVersion,
)
from lorebase.exchange.display import PageSource, published_source, render_page
from lorebase.exchange.htmlsite.navigation import (
    NavNode,
    breadcrumbs,
    link,
    static_tree,
)
from lorebase.exchange.htmlsite.pages import TEMPLATES, table_of_contents
from lorebase.exchange.htmlsite.writer import LABELS
from lorebase.exchange.plan import ARTICLE_FILES, PAGE_FILES
from lorebase.kb import drive, merge_codes, page_bodies
from lorebase.kb.content import render_with_values
from lorebase.kb.feedback import FEEDBACK_REASONS, record_search_miss
from lorebase.kb.search import (
    Ranked,
    SearchHit,
    articles_of,
    rank,
    ranked_hits,
    search_articles,
)
from lorebase.kb.search.analysis import analyzer
from lorebase.kb.search.query import query_words
from lorebase.kb.settings import former_owners
from lorebase.render import MergeCodeValues
from lorebase.render.page import ReadyBody, ready_body
from lorebase.runtime import Runtime
from lorebase.web.fastpath import KeptPage, KeptPages, not_modified
from lorebase.web.reading import (
    ProjectRow,
    ReaderLanguage,
    ReaderSite,
    ReaderWorkspace,
    WorkspaceRow,
    article_href,
    language_settings,
    project_row,
    tag_href,
)
from lorebase.web.visitor import (
    SESSION_COOKIE,
    BrowserError,
    SignInNeeded,
    runtime_of,
    site_project_id,
)

router = APIRouter(include_in_schema=False)
# `/{workspace}`: one segment, which would take `/health` or `/account`; mounted last.
fallback_router = APIRouter(include_in_schema=False)
# HEAD too: crawlers and link checkers ask it.
READ_METHODS = ["GET", "HEAD"]

# Longer paths are refused before anything is looked up (no slug comes close).
MAX_PATH = 1024
MAX_QUERY = 200
HITS_PER_PAGE = 10
SEARCH_WINDOW = 100
SUGGESTIONS = 8
WORDS_PER_MINUTE = 200
PAGES_KEPT = 1000  # rendered pages kept per process (a few tens of KB each)
DATES_KEPT = 1000  # workspaces' content dates kept per process, by stamp
READER_LABELS = {
    **LABELS,
    "not_found": "Page not found",
    "not_found_detail": "There is no page at this address. It may have moved: try the search, "
    "or start from the contents.",
    "fallback": "This article is not available in {language}; it is shown in {shown}.",
    "tag_title": "Articles tagged “{tag}”",
    "no_results": "No articles match “{query}”.",
    "results": "{total} articles match “{query}”.",
    "one_result": "1 article matches “{query}”.",
    "about": "About {total} articles match “{query}”.",
}
# The headers of every reader page: our own files only, never framed. Images may come from
# anywhere an author linked them (Document360 bodies often point at its CDN).
SITE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: https:; media-src 'self' https:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
    ),
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Served:
    """A rendered answer, as kept in the page cache."""

    body: bytes
    etag: str
    media_type: str = "text/html; charset=utf-8"
    status: int = 200
    last_modified: datetime | None = None

    @classmethod
    def of(
        cls,
        body: bytes,
        media_type: str = "text/html; charset=utf-8",
        status: int = 200,
        last_modified: datetime | None = None,
    ) -> Served:
        digest = hashlib.blake2b(body, digest_size=12).hexdigest()
        return cls(body, f'"{digest}"', media_type, status, last_modified)


class RenderedPages:
    """Rendered pages by (workspace, stamp, what): the least recently used go first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._pages: OrderedDict[tuple[Any, ...], Served] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> Served | None:
        with self._lock:
            found = self._pages.get(key)
            if found is not None:
                self._pages.move_to_end(key)
            return found

    def put(self, key: tuple[Any, ...], served: Served) -> None:
        with self._lock:
            self._pages[key] = served
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)


@dataclass
class Reading:
    """One request to the reader site: who may read, which workspace, and its caches. The
    database session opens only when a page has to be rendered (a cached page needs none)."""

    request: Request
    runtime: Runtime
    project: ProjectRow
    row: WorkspaceRow
    site: ReaderSite
    private: bool
    reader: SignedIn | None
    allowed: frozenset[str] | None  # workspaces the reader may read (None: all)
    _session: Session | None = None
    _ws: ReaderWorkspace | None = None
    missing: bool = False  # the address named no workspace: only a not-found page is shown
    # The crawlers' files of the whole site (robots.txt, sitemap.xml, llms.txt), not of a
    # workspace: dated by the newest content of every public workspace.
    whole_site: bool = False

    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = self.runtime.read_session_factory()
        return self._session

    @property
    def ws(self) -> ReaderWorkspace:
        if self._ws is None:
            self._ws = self.workspace(self.row)
        return self._ws

    def workspace(self, row: WorkspaceRow) -> ReaderWorkspace:
        return self.site.workspace(lambda: self.session, self.project, row)

    def close(self) -> None:
        if self._session is not None:
            self._session.close()

    @property
    def base(self) -> str:
        return self.site.base_path

    def absolute(self, href: str) -> str:
        return self.runtime.settings.public_base_url.rstrip("/") + href


def install(app: Any, base_path: str) -> None:
    """Mount the reader site below `base_path`, ahead of the API's routers: its paths
    (`/docs/…`, `/{workspace}/docs/…`) are none of the API's, and a page is found without
    trying the API's hundred-odd templates first. `install_fallback` mounts the rest."""
    app.state.reader_site = ReaderSite(base_path)
    app.state.reader_pages = RenderedPages(PAGES_KEPT)
    app.state.reader_kept_pages = KeptPages[KeptPage](PAGES_KEPT)
    app.state.reader_content_dates = {}
    from lorebase.web import crawlers

    app.include_router(crawlers.router, prefix=base_path)
    app.include_router(router, prefix=base_path)


def install_fallback(app: Any, base_path: str) -> None:
    """Mount `/{workspace}` after every other route."""
    app.include_router(fallback_router, prefix=base_path)


def _site(request: Request) -> ReaderSite:
    site: ReaderSite = request.app.state.reader_site
    return site


def _kept(request: Request) -> KeptPages[KeptPage]:
    kept: KeptPages[KeptPage] = request.app.state.reader_kept_pages
    return kept


def _pages(request: Request) -> RenderedPages:
    pages: RenderedPages = request.app.state.reader_pages
    return pages


# --- routes -----------------------------------------------------------------------------------


@router.api_route("/_lorebase/tree/{workspace_id}/{lang}/{item_id}", methods=READ_METHODS)
def tree_branch(request: Request, workspace_id: str, lang: str, item_id: str) -> Response:
    """The children of one category as an HTML fragment (the tree opened in the browser)."""
    with open_reading(request, workspace_id=workspace_id) as reading:
        language = reading.ws.language(lang)
        node = language.by_id.get(item_id) if language else None
        if language is None or node is None:
            raise BrowserError(404, READER_LABELS["not_found"])
        children = node.children

        def fragment() -> Served:
            return Served.of(_branch(reading, language, children, set(), None).encode())

        served = cached_page(reading, ("branch", language.code, item_id), fragment)
        assert served is not None
        return answer(request, served, private=reading.private)


@router.api_route("/_lorebase/suggest", methods=READ_METHODS)
def suggest(request: Request) -> Response:
    """Typeahead: the first hits of the search as JSON (title, link, category path, snippet)."""
    params = request.query_params
    with open_reading(request, workspace_id=params.get("workspace", "")) as reading:
        language = reading.ws.language(params.get("lang") or None)
        if language is None:
            raise BrowserError(404, READER_LABELS["not_found"])
        query = _query(params.get("q", ""))
        hits: list[dict[str, str]] = []
        if query:
            # A few spare hits, in case some are not for readers' eyes.
            window = 2 * SUGGESTIONS
            hits = _search(reading, language, query, 1, SUGGESTIONS, window=window).hits
        body = orjson.dumps({"hits": hits, "none": "No results"})
        headers = {"Cache-Control": "private, max-age=60" if reading.private else "max-age=60"}
        return Response(body, media_type="application/json", headers={**SITE_HEADERS, **headers})


@router.api_route("/", methods=READ_METHODS)
def home(request: Request) -> Response:
    return _serve(request, None, [])


@router.api_route("/docs", methods=READ_METHODS)
def docs_home(request: Request) -> Response:
    return _serve(request, None, ["docs"])


@router.api_route("/docs/{rest:path}", methods=READ_METHODS)
def docs(request: Request, rest: str) -> Response:
    return _serve(request, None, ["docs", *rest.split("/")])


@router.api_route("/search", methods=READ_METHODS)
def search_page(request: Request) -> Response:
    return _serve(request, None, ["search"])


@fallback_router.api_route("/{workspace}", methods=READ_METHODS)
def workspace_home(request: Request, workspace: str) -> Response:
    return _serve(request, workspace, [])


@router.api_route("/{workspace}/docs", methods=READ_METHODS)
def workspace_docs_home(request: Request, workspace: str) -> Response:
    return _serve(request, workspace, ["docs"])


@router.api_route("/{workspace}/docs/{rest:path}", methods=READ_METHODS)
def workspace_docs(request: Request, workspace: str, rest: str) -> Response:
    return _serve(request, workspace, ["docs", *rest.split("/")])


@router.api_route("/{workspace}/search", methods=READ_METHODS)
def workspace_search(request: Request, workspace: str) -> Response:
    return _serve(request, workspace, ["search"])


# --- serving ----------------------------------------------------------------------------------


def _serve(request: Request, workspace: str | None, segments: list[str]) -> Response:
    path = request.url.path
    if len(path) > MAX_PATH or len(request.url.query) > MAX_PATH:
        raise BrowserError(400, "This address is too long", "Check the link you followed.")
    with open_reading(request, workspace_slug=workspace, themed_not_found=True) as reading:
        if reading.missing:
            return _not_found(reading, None)
        if segments == ["search"]:
            return _search_page(reading)
        while len(segments) > 1 and segments[-1] == "":
            segments = segments[:-1]  # a trailing slash names the same page
        if any(_CONTROL.search(s) or not s for s in segments):
            return _not_found(reading, None)
        target = _route(reading.ws, segments)
        if target is None:
            return _not_found(reading, None)
        kind, language, name = target
        # Back from "Was this article helpful?": the same page, thanking instead of asking.
        thanked = kind == "article" and request.query_params.get("feedback") == "thanks"
        key = (kind, language.code, name.lower(), thanked)
        renderers: dict[str, Callable[[], Served | None]] = {
            "home": lambda: _home(reading, language),
            "article": lambda: _article(reading, language, name, thanked),
            "markdown": lambda: _markdown(reading, language, name),
            "category": lambda: _category(reading, language, name),
            "tag": lambda: _tag(reading, language, name),
        }
        served = cached_page(reading, key, renderers[kind])
        if served is not None:
            _keep(reading, served)
        if served is None:
            moved = _renamed(reading, kind, language, name)
            if moved is not None:
                headers = {**SITE_HEADERS, "Cache-Control": "no-cache"}
                return RedirectResponse(moved, 301, headers=headers)
            return _not_found(reading, language)
        return answer(request, served, private=reading.private, media_signed=reading.private)


def _renamed(reading: Reading, kind: str, language: ReaderLanguage, slug: str) -> str | None:
    """Where a renamed article or category lives now (its old slug in this language, or in
    the default language for an article shown in its place)."""
    if kind not in ("article", "markdown", "category"):
        return None
    item_kind = "category" if kind == "category" else "article"
    default = reading.ws.language(None)
    candidates = [language] if default is None or default is language else [language, default]
    for candidate in candidates:
        for item_id in former_owners(reading.session, item_kind, candidate.code, slug):
            node = language.by_id.get(item_id) or candidate.by_id.get(item_id)
            if node is not None and node.href:
                return node.href + (".md" if kind == "markdown" else "")
    return None


def _route(ws: ReaderWorkspace, segments: list[str]) -> tuple[str, ReaderLanguage, str] | None:
    """(what, language, name) for the path below the workspace, None if it names nothing."""
    default = ws.language(None)
    if default is None:
        return None
    if not segments or segments == ["docs"]:
        return "home", default, ""
    if segments[0] != "docs":
        return None
    rest = segments[1:]
    language = ws.language(rest[0])
    if language is not None:
        rest = rest[1:]
    else:
        language = default
    if not rest:
        return "home", language, ""
    if len(rest) == 1:
        if rest[0].endswith(".md") and len(rest[0]) > 3:
            return "markdown", language, rest[0][:-3]
        return "article", language, rest[0]
    if len(rest) == 2 and rest[0] == "category":
        return "category", language, rest[1]
    if len(rest) == 2 and rest[0] == "tags":
        return "tag", language, rest[1]
    return None


@contextmanager
def open_reading(
    request: Request,
    *,
    workspace_slug: str | None = None,
    workspace_id: str | None = None,
    public_only: bool = False,
    themed_not_found: bool = False,
) -> Iterator[Reading]:
    """The request's workspace (the main one unless named) and who reads it. A private
    project's pages need a signed-in reader of a workspace the reader may read; with
    `public_only` (crawlers' files) nobody is asked to sign in and the caller shows only what
    is public."""
    runtime = runtime_of(request)
    project_id = site_project_id(request)
    project = project_row(runtime.lookup_engine, project_id)
    if project is None:
        raise BrowserError(503, "This server has no project yet", "Run `lorebase migrate`.")
    if workspace_id is not None:
        row = next((w for w in project.workspaces if w.id == workspace_id), None)
    elif workspace_slug is None:
        row = project.main()
    else:
        row = project.named(workspace_slug)
    private = project.is_private or (row is not None and not row.is_public)
    reader, allowed = None, None
    missing = False
    if private and not public_only:
        reader = _signed_in_reader(request, runtime)
        if reader is None or reader.project_id != project.id:
            path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise SignInNeeded(path)
        with runtime.read_session_factory() as session:
            allowed = readable_workspaces(session, reader.user_id, reader.role)
    unknown = row is None or (allowed is not None and row.id not in allowed)
    if unknown and themed_not_found:
        # The not-found page still offers the main workspace's search and contents.
        row = project.main()
        unknown = row is None or (allowed is not None and row.id not in allowed)
        missing = True
    if unknown or row is None:
        raise BrowserError(404, READER_LABELS["not_found"], READER_LABELS["not_found_detail"])
    reading = Reading(request, runtime, project, row, _site(request), private, reader, allowed)
    reading.missing = missing
    reading.whole_site = public_only and workspace_slug is None and workspace_id is None
    # `answer` dates the pages that carry no date of their own by the reading's content
    # (the crawlers' files are answered by `web.crawlers`, which passes only the request).
    request.state.reading = reading
    try:
        yield reading
    finally:
        reading.close()


def _signed_in_reader(request: Request, runtime: Runtime) -> SignedIn | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw or len(raw) > 100:
        return None
    idle = timedelta(minutes=runtime.settings.session_idle_minutes)
    reader = check_session(runtime.lookup_engine, raw, idle=idle)
    if reader is not None and reader.touch_due:
        with transaction(runtime.session_factory) as session:
            touch_session(session, reader.session_hash)
    return reader


def cached_page(
    reading: Reading, key: tuple[Any, ...], render: Callable[[], Served | None]
) -> Served | None:
    pages = _pages(reading.request)
    # Kept while no workspace of the project has changed: a page shows the others too (the
    # workspace switcher links to the article there when it exists; the crawlers' files list
    # every public workspace).
    stamps = reading.project.stamps()
    full_key = (reading.row.id, stamps, *key)
    served = pages.get(full_key)
    if served is None:
        served = render()
        if served is not None:
            served = _dated(reading, served)
            pages.put(full_key, served)
    return served


# The newest write among a workspace's content, with the stamp the same statement saw. A
# deleted item leaves no date behind: the date may then stay (or go back) while the ETag
# moves, which is why If-None-Match, when sent, is the one asked (RFC 9110 §13.2.2).
_CONTENT_DATE = select(
    ProjectVersion.content_stamp,
    ProjectVersion.modified_at,
    select(func.max(Category.modified_at))
    .where(Category.project_version_id == ProjectVersion.id)
    .scalar_subquery()
    .label("categories"),
    select(func.max(CategoryTranslation.modified_at))
    .join(Category, Category.id == CategoryTranslation.category_id)
    .where(Category.project_version_id == ProjectVersion.id)
    .scalar_subquery()
    .label("category_translations"),
    select(func.max(Article.modified_at))
    .where(Article.project_version_id == ProjectVersion.id)
    .scalar_subquery()
    .label("articles"),
    select(func.max(ArticleTranslation.modified_at))
    .join(Article, Article.id == ArticleTranslation.article_id)
    .where(Article.project_version_id == ProjectVersion.id)
    .scalar_subquery()
    .label("article_translations"),
    select(func.max(MergeCodeEntry.modified_at))
    .where(MergeCodeEntry.project_version_id == ProjectVersion.id)
    .scalar_subquery()
    .label("merge_codes"),
).where(ProjectVersion.id == bindparam("workspace_id"))


def content_date(reading: Reading, row: WorkspaceRow) -> datetime:
    """When the workspace's content last changed: the newest write among its categories,
    articles, their translations and its merge codes (the workspace's own date when it has
    none). Read from the database, so every server process dates a page alike; read once per
    stamp per process."""
    dates: dict[tuple[str, int], datetime] = reading.request.app.state.reader_content_dates
    known = dates.get((row.id, row.stamp))
    if known is not None:
        return known
    found = lookup(reading.runtime.lookup_engine, _CONTENT_DATE, {"workspace_id": row.id})
    if found is None:  # the workspace went since the request began
        return row.modified_at
    newest: datetime = max(d for d in found[1:] if d is not None)
    # A write committed since the request read the stamp: its date is right for the newer
    # stamp, and later than this one's (a later Last-Modified only costs a full answer).
    if int(found.content_stamp) == row.stamp:
        if len(dates) >= DATES_KEPT:
            dates.clear()
        dates[(row.id, row.stamp)] = newest
    return newest


def _page_date(reading: Reading) -> datetime:
    """The date of a page with none of its own: its workspace's content date; for the
    crawlers' files of the whole site, the newest of the public workspaces'."""
    if not reading.whole_site:
        return content_date(reading, reading.row)
    public = [row for row in reading.project.workspaces if row.is_public]
    return max((content_date(reading, row) for row in public), default=reading.row.modified_at)


def _dated(reading: Reading, served: Served) -> Served:
    if served.last_modified is not None or served.status != 200:
        return served
    return replace(served, last_modified=_page_date(reading))


def answer(
    request: Request,
    served: Served,
    *,
    private: bool,
    media_signed: bool = False,
    max_age: int = 0,
) -> Response:
    reading: Reading | None = getattr(request.state, "reading", None)
    if reading is not None:
        served = _dated(reading, served)
    if media_signed:
        served = _signed(request, served)
    headers = _headers(served, private, max_age)
    if served.status == 200 and not_modified(
        request.headers.get("if-none-match"),
        request.headers.get("if-modified-since"),
        served.etag,
        _seconds(served.last_modified),
    ):
        return Response(status_code=304, headers=headers)
    return Response(served.body, served.status, headers=headers, media_type=served.media_type)


def _seconds(moment: datetime | None) -> int | None:
    # Last-Modified has whole seconds: the date as sent is the one compared.
    return None if moment is None else int(moment.timestamp())


def _headers(served: Served, private: bool, max_age: int = 0) -> dict[str, str]:
    cache = ("private" if private else "public") + (
        f", max-age={max_age}" if max_age else ", no-cache"
    )
    headers = {**SITE_HEADERS, "ETag": served.etag, "Cache-Control": cache}
    if served.last_modified is not None:
        headers["Last-Modified"] = served.last_modified.strftime("%a, %d %b %Y %H:%M:%S GMT")
    return headers


def _keep(reading: Reading, served: Served) -> None:
    """Hand a public page to the fast path, which answers its address until the stamp moves."""
    if reading.private or served.status != 200:
        return
    headers = [
        (name.lower().encode(), value.encode()) for name, value in _headers(served, False).items()
    ]
    scope = reading.request.scope
    kept = KeptPage(
        reading.project.id,
        reading.row.id,
        reading.project.stamps(),
        served.etag,
        _seconds(served.last_modified),
        headers,
        served.media_type.encode(),
        served.body,
    )
    _kept(reading.request).put((scope["path"], scope["query_string"]), kept)


def _signed(request: Request, served: Served) -> Served:
    """A private project's page with its media URLs signed. The expiry is rounded to half the
    URLs' lifetime, so that the page (and its ETag) stays the same for that long."""
    runtime = runtime_of(request)
    settings = runtime.settings
    ttl = settings.media_url_ttl
    step = max(ttl // 2, 1)
    now = float(int(time.time()) // step * step)
    text = served.body.decode()
    signed = drive.sign_media_urls(text, settings.public_base_url, runtime.secret, ttl, now)
    if signed == text:
        return served
    return Served.of(signed.encode(), served.media_type, served.status, served.last_modified)


# --- pages ------------------------------------------------------------------------------------


def _common(reading: Reading, language: ReaderLanguage, item_id: str | None) -> dict[str, Any]:
    ws = reading.ws
    base = reading.base
    return {
        "site_name": reading.project.name,
        "footer": reading.project.name,
        "labels": READER_LABELS,
        "lang": language.code,
        "rtl": language.nav.rtl,
        "up": f"{base}/_lorebase/",
        "live": True,
        # One workspace: the site is the project ("v1" names nothing to a reader).
        "workspace_name": reading.row.name
        if len(reading.project.workspaces) > 1
        else reading.project.name,
        "home_href": ws.home_href(language.code),
        "search_action": ws.search_href(),
        "suggest_url": f"{base}/_lorebase/suggest?"
        + urlencode({"workspace": reading.row.id, "lang": language.code}),
        "languages": _languages(reading, language, item_id),
        "workspaces": _workspaces(reading, language, item_id),
    }


def _languages(
    reading: Reading, language: ReaderLanguage, item_id: str | None
) -> list[dict[str, Any]]:
    """A link per language: to the same page there, to the default language's version of it
    (shown with a notice) when it is not translated, else to that language's home."""
    ws = reading.ws
    default = ws.language(None)
    entries = []
    for other in ws.languages.values():
        href = ws.home_href(other.code)
        if item_id is not None:
            there = other.by_id.get(item_id)
            source = default.by_id.get(item_id) if default else None
            if there is not None and there.href:
                href = there.href
            elif source is not None and source.is_article:
                href = article_href(ws.prefix, other.code, ws.default, source.slug)
        entries.append(
            {
                "code": other.code,
                "name": other.nav.name,
                "href": href,
                "current": other is language,
            }
        )
    return entries


def _workspaces(
    reading: Reading, language: ReaderLanguage, item_id: str | None
) -> list[dict[str, Any]]:
    """A link per readable workspace: to the article of the same slug there, if any."""
    current = language.by_id.get(item_id) if item_id else None
    entries = []
    for row in reading.project.workspaces:
        if reading.allowed is not None and row.id not in reading.allowed:
            continue
        if not row.is_public and reading.reader is None and row.id != reading.row.id:
            continue  # a workspace for signed-in readers: not offered to anonymous ones
        if row.id == reading.row.id:
            entries.append(
                {"name": row.name, "href": reading.ws.home_href(language.code), "current": True}
            )
            continue
        other = reading.workspace(row)
        there = other.language(language.code) or other.language(None)
        if there is None:
            continue
        href = other.home_href(there.code)
        if current is not None:
            found = (there.articles if current.is_article else there.categories).get(
                current.slug.lower()
            )
            if found is not None and found.href:
                href = found.href
        entries.append({"name": row.name, "href": href, "current": False})
    return entries


def _render(template: str, **context: Any) -> bytes:
    return TEMPLATES.get_template(template).render(**context).encode()


def _branch(
    reading: Reading,
    language: ReaderLanguage,
    level: list[NavNode],
    open_ids: set[str],
    current: str | None,
) -> str:
    """A level of the tree: the branches in `open_ids` drawn open, the others as buttons that
    fetch their children when pressed. Each entry's closed form is drawn once per stamp: a
    page differs from its neighbours only along its own branch."""
    closed = language.closed_entries
    parts = ["<ul>"]
    for node in level:
        if node.item_id not in open_ids and node.item_id != current:
            entry = closed.get(node.item_id)
            if entry is None:
                entry = closed[node.item_id] = _entry(reading, language, node, False, False)
            parts.append(entry)
            continue
        expanded = node.item_id in open_ids and bool(node.children)
        parts.append(_entry(reading, language, node, expanded, node.item_id == current, False))
        if expanded:
            parts.append(_branch(reading, language, node.children, open_ids, current))
        parts.append("</li>")
    parts.append("</ul>")
    return "".join(parts)


# Trees drawn open kept per language; beyond this many the kept ones are dropped.
OPEN_TREES_KEPT = 256


def _open_tree(
    reading: Reading, language: ReaderLanguage, trail: list[NavNode], node: NavNode
) -> str:
    """The tree of a page: drawn open down to it (a page inside a category whose siblings
    number in the thousands still gets only that branch), its own link marked current.
    Pages of one category share the drawing; only the mark differs."""
    path = tuple(crumb.item_id for crumb in trail) + ((node.item_id,) if node.children else ())
    kept = language.open_trees
    drawn = kept.get(path)
    if drawn is None:
        if len(kept) >= OPEN_TREES_KEPT:
            kept.clear()
        drawn = kept[path] = _branch(reading, language, language.nav.roots, set(path), None)
    if not node.href:
        return drawn
    link = f'<a href="{html.escape(node.href)}">'
    return drawn.replace(link, link[:-1] + ' aria-current="page">', 1)


def _entry(
    reading: Reading,
    language: ReaderLanguage,
    node: NavNode,
    expanded: bool,
    current: bool,
    close: bool = True,
) -> str:
    """One entry of the tree: its toggle (a category with children), its link."""
    title = html.escape(node.title)
    parts = ["<li>"]
    if node.children:
        url = (
            f"{reading.base}/_lorebase/tree/{reading.row.id}/{quote(language.code)}/{node.item_id}"
        )
        parts.append(
            f'<button type="button" aria-expanded="{"true" if expanded else "false"}" '
            f'aria-label="{title}" data-children="{html.escape(url)}"></button>'
        )
    if node.href:
        mark = ' aria-current="page"' if current else ""
        parts.append(f'<a href="{html.escape(node.href)}"{mark}>{title}</a>')
    else:
        parts.append(f'<span class="label">{title}</span>')
    if close:
        parts.append("</li>")
    return "".join(parts)


def _home(reading: Reading, language: ReaderLanguage) -> Served:
    roots = language.nav.roots
    # The first two levels; deeper branches are fetched when opened.
    tree = _branch(reading, language, roots, {n.item_id for n in roots}, None) if roots else None
    ws = reading.ws
    seo = {
        "title": reading.row.name,
        "canonical": reading.absolute(ws.home_href(language.code)),
        "alternates": [
            {"code": other.code, "href": reading.absolute(ws.home_href(other.code))}
            for other in ws.languages.values()
        ]
        if len(ws.languages) > 1
        else [],
        "noindex": reading.private,
    }
    body = _render(
        "home.html",
        **_common(reading, language, None),
        static_tree=Markup(tree) if tree else None,
        nothing_published="Nothing is published here yet.",
        seo=seo,
    )
    return Served.of(body)


def _values(reading: Reading, code: str) -> MergeCodeValues:
    cache = reading.ws.values
    if code not in cache:
        cache[code] = merge_codes.values_for(reading.session, reading.row.id, code)
    return cache[code]


def _ready(reading: Reading, source: PageSource) -> ReadyBody:
    """The page's body as kept with its published revision, else rendered now (not kept: a
    read does not write; the body is made ready on publish and by the `page_bodies` job)."""
    code = source.language

    def digest() -> str:
        digests = reading.ws.values_digests
        if code not in digests:
            digests[code] = page_bodies.values_digest(_values(reading, code))
        return digests[code]

    kept = page_bodies.usable(
        source.ready_html,
        source.ready_facts,
        source.ready_renderer,
        source.content_type,
        digest,
    )
    return kept or ready_body(render_page(source, _values(reading, code)).html)


def _article_node(
    reading: Reading, language: ReaderLanguage, slug: str
) -> tuple[NavNode, ReaderLanguage] | None:
    """The article of `slug` in `language`, else (a translation not published) the default
    language's, which the page then shows with a notice."""
    node = language.articles.get(slug.lower())
    if node is not None:
        return node, language
    default = reading.ws.language(None)
    if default is not None and default is not language:
        node = default.articles.get(slug.lower())
        if node is not None:
            return node, default
    return None


def _source(reading: Reading, node: NavNode, code: str) -> PageSource | None:
    ws = reading.ws
    engine = reading.runtime.lookup_engine
    if node.is_article:
        ref = ws.articles.get(node.item_id)
        return published_source(engine, ref, code, ARTICLE_FILES) if ref else None
    category = ws.categories.get(node.item_id)
    return published_source(engine, category, code, PAGE_FILES) if category else None


def _article(
    reading: Reading, language: ReaderLanguage, slug: str, thanked: bool = False
) -> Served | None:
    found = _article_node(reading, language, slug)
    if found is None:
        return None
    node, shown = found
    return _page(reading, language, shown, node, thanked)


def _category(reading: Reading, language: ReaderLanguage, slug: str) -> Served | None:
    node = language.categories.get(slug.lower())
    if node is None:
        return None
    return _page(reading, language, language, node)


def _page(
    reading: Reading,
    language: ReaderLanguage,
    shown: ReaderLanguage,
    node: NavNode,
    thanked: bool = False,
) -> Served | None:
    """An article or category page in `language`; `shown` is the language of its content
    (the default language's, when `language` has no translation)."""
    ws = reading.ws
    source = None if node.listing_only else _source(reading, node, shown.code)
    if source is None and not node.listing_only:
        return None
    ready = _ready(reading, source) if source else None
    settings: dict[str, Any] = {}
    if node.is_article:
        language_settings(reading.session, ws, shown)
        settings = (shown.settings or {}).get(node.item_id, {})
    position = shown.position.get(node.item_id)
    order = shown.nav.reading_order
    previous = order[position - 1] if position else None
    following = order[position + 1] if position is not None and position + 1 < len(order) else None
    trail = breadcrumbs(node)
    tags = [
        {"name": tag, "href": tag_href(ws.prefix, shown.code, tag)}
        for tag in settings.get("tags") or []
        if isinstance(tag, str) and tag.strip()
    ]
    related = [
        link(shown.by_id[item])
        for item in settings.get("related_articles") or []
        if isinstance(item, str) and item in shown.by_id
    ]
    fallback = None
    if shown is not language:
        fallback = READER_LABELS["fallback"].format(
            language=language.nav.name, shown=shown.nav.name
        )
    excluded = bool(settings.get("exclude_from_search"))
    # Search engines show a description: the article's own, else its opening words.
    description = (source.description if source else None) or (ready.opening if ready else None)
    canonical = reading.absolute(node.href or "")
    alternates = []
    for other in ws.languages.values():
        there = other.by_id.get(node.item_id)
        if there is not None and there.href:
            alternates.append({"code": other.code, "href": reading.absolute(there.href)})
    if len(alternates) > 1:
        default = ws.language(None)
        there = default.by_id.get(node.item_id) if default else None
        if there is not None and there.href:
            alternates.append({"code": "x-default", "href": reading.absolute(there.href)})
    else:
        alternates = []
    title = source.title if source else node.title
    seo_title = settings.get("seo_title") or None
    tree = _open_tree(reading, shown, trail, node)
    feedback = None
    if node.is_article:
        feedback = {
            "action": f"{reading.base}/_lorebase/feedback",
            "article_id": node.item_id,
            "lang": shown.code,
            "next": node.href,
            "reasons": list(FEEDBACK_REASONS),
            "thanks": thanked,
        }
    context = _common(reading, language, node.item_id)
    context["tree"] = Markup(tree)
    document = _render(
        "page.html",
        **context,
        title=title,
        seo_title=seo_title,
        body=Markup(ready.html if ready else ""),
        toc=table_of_contents(ready.headings if ready else ()),
        breadcrumbs=[link(crumb) for crumb in trail],
        children=Markup(static_tree(node.children)) if node.children else None,
        previous=link(previous) if previous else None,
        next=link(following) if following else None,
        modified=source.modified_at.isoformat() if source and source.modified_at else None,
        read_minutes=(
            max(1, math.ceil(ready.words / WORDS_PER_MINUTE)) if ready and node.is_article else None
        ),
        tags=tags,
        related=related,
        fallback=fallback,
        content_lang=shown.code,
        feedback=feedback,
        seo={
            "title": seo_title or title,
            "description": description,
            "canonical": canonical if shown is language else None,
            "alternates": alternates,
            "noindex": reading.private or excluded or shown is not language,
            "og_type": "article" if node.is_article else "website",
            "markdown": f"{node.href}.md" if node.is_article and node.href else None,
        },
    )
    return Served.of(document, last_modified=source.modified_at if source else None)


def _markdown(reading: Reading, language: ReaderLanguage, slug: str) -> Served | None:
    """The `.md` twin of an article: its Markdown (merge codes resolved; an HTML article's
    sanitised HTML, which Markdown carries as it is), for tools and language models."""
    found = _article_node(reading, language, slug)
    if found is None:
        return None
    node, shown = found
    source = _source(reading, node, shown.code)
    if source is None:
        return None
    resolved, rendered = render_with_values(
        source.content_type, source.content, source.html_content, _values(reading, shown.code)
    )
    text = resolved if source.content_type in (None, 0) and resolved is not None else rendered
    parts = [f"# {source.title}\n"]
    if source.description:
        parts.append(f"> {source.description}\n")
    parts.append((text or "").strip() + "\n")
    return Served.of(
        "\n".join(parts).encode(),
        "text/markdown; charset=utf-8",
        last_modified=source.modified_at,
    )


def _tag(reading: Reading, language: ReaderLanguage, tag: str) -> Served | None:
    language_settings(reading.session, reading.ws, language)
    found = (language.tags or {}).get(tag.strip().lower())
    if found is None:
        return None
    name, nodes = found
    body = _render(
        "listing.html",
        **_common(reading, language, None),
        title=READER_LABELS["tag_title"].format(tag=name),
        entries=[link(node) for node in nodes],
        seo={"title": name, "noindex": True, "alternates": []},
    )
    return Served.of(body)


def _not_found(reading: Reading, language: ReaderLanguage | None) -> Response:
    language = language or reading.ws.language(None)
    if language is None:
        raise BrowserError(404, READER_LABELS["not_found"], READER_LABELS["not_found_detail"])
    body = _render(
        "listing.html",
        **_common(reading, language, None),
        title=READER_LABELS["not_found"],
        detail=READER_LABELS["not_found_detail"],
        entries=[link(node) for node in language.nav.roots if node.href],
        seo={"title": READER_LABELS["not_found"], "noindex": True, "alternates": []},
    )
    return Response(
        body,
        404,
        headers={**SITE_HEADERS, "Cache-Control": "no-store"},
        media_type="text/html; charset=utf-8",
    )


# --- search -----------------------------------------------------------------------------------


def _query(raw: str) -> str:
    return _CONTROL.sub(" ", raw)[:MAX_QUERY].strip()


@dataclass
class Found:
    hits: list[dict[str, str]]
    total: int
    exact: bool  # False: `total` is the index's count, hidden and excluded articles included


def _search(
    reading: Reading,
    language: ReaderLanguage,
    query: str,
    page: int,
    per_page: int,
    window: int = SEARCH_WINDOW,
) -> Found:
    """Hits readers may open (published, not hidden, not excluded from search), with their
    category path and a highlighted snippet.

    The index holds every published article, so the hits readers may not see are dropped
    here. To count and page what remains exactly, the first `SEARCH_WINDOW` hits are read at
    once (most searches find fewer); pages past them are read one by one, and their total is
    the index's, less what was dropped."""
    language_settings(reading.session, reading.ws, language)
    settings = language.settings or {}
    session = reading.session
    analysis = analyzer(language.code)
    words = query_words(query, analysis)

    def readable(article_id: str) -> NavNode | None:
        node = language.by_id.get(article_id)
        if node is None or not node.href:
            return None
        if settings.get(article_id, {}).get("exclude_from_search"):
            return None
        return node

    def shown(hits: list[SearchHit]) -> list[dict[str, str]]:
        found = []
        for hit in hits:
            node = readable(hit.article_id)
            if node is not None:
                found.append(
                    {
                        "title": node.title,
                        "href": node.href or "",
                        "path": " › ".join(crumb.title for crumb in breadcrumbs(node)),
                        "snippet": hit.snippet.value,
                    }
                )
        return found

    if not words:  # no word to search by (only punctuation, say): every article, in order
        result = search_articles(
            session,
            reading.row.id,
            language.code,
            query,
            page=page - 1,
            hits_per_page=per_page,
            include_drafts=False,
        )
        hits = shown(result.hits)
        return Found(hits, result.total - (len(result.hits) - len(hits)), False)

    def visible(result_page: int, size: int) -> tuple[list[int], Ranked, int]:
        """The readable entries of one result page of `size`; the ranking; how many of the
        page's entries were dropped. Texts are read later, for the entries shown only."""
        ranked = rank(
            session,
            reading.row.id,
            language.code,
            words,
            analysis,
            "published",
            size,
            result_page + 1,
        )
        entries = ranked.entries[result_page * size :]
        articles = articles_of(session, entries)
        kept = [e for e in entries if e in articles and readable(articles[e]) is not None]
        return kept, ranked, len(entries) - len(kept)

    if page * per_page <= window:
        kept, ranked, dropped = visible(0, window)
        start = (page - 1) * per_page
        hits = shown(ranked_hits(session, ranked, kept[start : start + per_page]))
        if ranked.total <= window:
            return Found(hits, len(kept), True)
        return Found(hits, ranked.total - dropped, False)
    kept, ranked, dropped = visible(page - 1, per_page)
    return Found(shown(ranked_hits(session, ranked, kept)), ranked.total - dropped, False)


def _search_page(reading: Reading) -> Response:
    params = reading.request.query_params
    language = reading.ws.language(params.get("lang") or None) or reading.ws.language(None)
    if language is None:
        return _not_found(reading, None)
    query = _query(params.get("q", ""))
    raw_page = params.get("page", "1")
    page = int(raw_page) if raw_page.isdigit() and 0 < len(raw_page) <= 6 else 1
    page = max(page, 1)
    hits: list[dict[str, str]] = []
    total = 0
    if query:
        found = _search(reading, language, query, page, HITS_PER_PAGE)
        hits, total = found.hits, found.total
        if total == 0 and page == 1:
            _count_miss(reading, language, query)
    if not query:
        summary = ""
    elif total == 0:
        summary = READER_LABELS["no_results"].format(query=query)
    elif total == 1:
        summary = READER_LABELS["one_result"].format(query=query)
    elif found.exact:
        summary = READER_LABELS["results"].format(total=total, query=query)
    else:
        summary = READER_LABELS["about"].format(total=total, query=query)

    def page_href(number: int) -> str:
        return (
            reading.ws.search_href()
            + "?"
            + urlencode({"q": query, "lang": language.code, "page": number})
        )

    body = _render(
        "search.html",
        **_common(reading, language, None),
        query=query,
        summary=summary,
        hits=[{**hit, "snippet": Markup(hit["snippet"])} for hit in hits],
        previous_href=page_href(page - 1) if page > 1 else None,
        next_href=page_href(page + 1) if page * HITS_PER_PAGE < total else None,
        seo={"title": "Search", "noindex": True, "alternates": []},
    )
    return answer(reading.request, Served.of(body), private=reading.private)


def _count_miss(reading: Reading, language: ReaderLanguage, query: str) -> None:
    """A reader's search that found nothing: counted, so that authors see what is missing."""
    with transaction(reading.runtime.session_factory) as session:
        record_search_miss(session, reading.row.id, language.code, query)
