"""Write a project as an offline HTML documentation site in a ZIP (v2 `export_type: 1`, v3
`format: "html"`). Unzipped, it opens from disk (`file://`): no server, no network.

Layout::

    index.html                      every workspace and language, linking to their homes
    assets/site.css, assets/site.js typography, dark mode, Pygments styles; tree and search
    <workspace>/<lang>/index.html   the workspace's home: its whole tree as nested lists
    <workspace>/<lang>/tree.js      the tree once, `window.LOREBASE_TREE` (every page uses it)
    <workspace>/<lang>/search.js    the prebuilt search index, `window.LOREBASE_SEARCH`
    <workspace>/<lang>/<slug>.html  one page per published article and Page/Index category
    media/<drive folders>/<file>    the project's Drive files, unless media are excluded

What is shown is the reader's view (`exchange.display`): published revisions only, merge codes
resolved, sanitised, hidden items left out. Every page of a language sits in one folder, so the
links between them are bare file names and the assets are always `../../`. Links in bodies to
another exported page (Document360 site links `…/docs/<slug>` or `…/category/<slug>`) are
rewritten to that page; links to exported media, to the copies in `media/`.

Scale: pages carry breadcrumbs, previous/next and their table of contents, but not the tree,
which lives once per language in `tree.js` and is drawn by `site.js` (only the branch of the
current page is expanded), so the site grows with the article count, not with its square. The
search index maps each folded word to the pages holding it (delta-encoded numbers); scripts,
not `fetch()`, carry it, because browsers block `fetch()` on `file://`.

Memory: as for every format, the trees and one small row per article are held; bodies are read
and rendered in batches, and every page is written as soon as it is rendered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any, BinaryIO
from urllib.parse import unquote

import orjson
from markupsafe import Markup
from sqlalchemy.orm import Session

from lorebase.db.models import Project, ProjectVersion
from lorebase.exchange.archive import ExportSummary, ExportZip, Progress, UniqueNames, batched
from lorebase.exchange.display import (
    DisplayRenderer,
    Heading,
    MediaLinks,
    PageSource,
    published_sources,
)
from lorebase.exchange.htmlsite.navigation import (
    LanguageNav,
    NavNode,
    PageNamer,
    breadcrumbs,
    link,
    plan_languages,
    static_tree,
)
from lorebase.exchange.htmlsite.pages import (
    TEMPLATES,
    UP,
    LanguageContext,
    PageJob,
    RenderedBatch,
    render_pages,
    warm_up,
)
from lorebase.exchange.parallel import RenderPool, default_processes
from lorebase.exchange.plan import (
    ARTICLE_FILES,
    PAGE_FILES,
    Node,
    WorkspacePlan,
    media_plan,
    plan_workspaces,
)
from lorebase.render.highlight import stylesheet
from lorebase.storage import BlobStore

ASSETS_DIR = "assets"
ASSET_FILES = ("site.js", "theme.js", "favicon.svg")
MEDIA_DIR = "media"
# Names a page may not take in its language folder.
RESERVED = ("index", "tree", "search")
# Below this many pages an export renders in its own process: starting worker processes and
# feeding them costs more than it saves (measured on 2 CPUs: 1,207 pages took 2.1 s with two
# workers, 1.3 s alone; 12,016 pages 7.2 s with two workers, 11 s alone).
PARALLEL_MIN_PAGES = 4000
# Pages handed to a worker at a time (their bodies are read from the database together).
PAGES_PER_BATCH = 400
LABELS = {
    "search": "Search",
    "languages": "Languages",
    "contents": "Contents",
    "breadcrumbs": "Breadcrumbs",
    "in_this_category": "In this category",
    "updated": "Updated",
    "pager": "Previous and next",
    "previous": "Previous",
    "next": "Next",
    "on_this_page": "On this page",
    "skip": "Skip to content",
    "dark_mode": "Dark mode",
    "workspaces": "Workspaces",
    "minutes_to_read": "min read",
    "tags": "Tags",
    "related": "Related articles",
    "search_words": "Words to look for",
    "results_pages": "Result pages",
}
NOTHING_PUBLISHED = "nothing published"
NO_RESULTS = "No results"


@dataclass
class _Language:
    """One language of one workspace as the offline site lays it out: its folder and the
    page file names of its slugs."""

    nav: LanguageNav
    folder: str
    by_slug: dict[str, str]  # slug (lower-cased) -> page file name, for links in bodies

    @property
    def code(self) -> str:
        return self.nav.code


def write_html_site(
    session: Session,
    project_id: str,
    out: BinaryIO,
    *,
    workspace_ids: list[str] | None = None,
    languages: list[str] | None = None,
    category_ids: list[str] | None = None,
    exclude_media: bool = False,
    blobs: BlobStore | None = None,
    modified_after: datetime | None = None,
    modified_before: datetime | None = None,
    progress: Progress | None = None,
    processes: int | None = None,
) -> ExportSummary:
    """Write the project's published knowledge base to `out` as an offline HTML site ZIP.

    The options select what every export format selects (`write_json_zip`); within that, only
    what a reader sees is shown. `progress(done, total)` is called after each page of each
    language and each media file. Pages are rendered in `processes` processes (default: one
    per CPU once the site has `PARALLEL_MIN_PAGES` pages, else this process alone).
    """
    created_at = datetime.now(UTC)
    project = session.get(Project, project_id)
    site_name = project.name if project is not None else "Documentation"
    workspaces, plans = plan_workspaces(
        session,
        project_id,
        workspace_ids=workspace_ids,
        languages=languages,
        category_ids=category_ids,
        modified_after=modified_after,
        modified_before=modified_before,
    )
    if processes is None:
        # An upper bound of the page count, known before the trees are built, so that the
        # worker processes start (and import) while the rest is planned.
        planned = sum((len(p.articles) + len(p.pages)) * len(p.langs) for p in plans)
        processes = default_processes() if planned >= PARALLEL_MIN_PAGES else 1
    with RenderPool(processes, warm_up=warm_up) as pool:
        return _write_site(
            session,
            project_id,
            workspaces,
            plans,
            pool,
            out,
            site_name,
            created_at,
            exclude_media,
            blobs,
            progress,
        )


def _write_site(
    session: Session,
    project_id: str,
    workspaces: list[ProjectVersion],
    plans: list[WorkspacePlan],
    pool: RenderPool,
    out: BinaryIO,
    site_name: str,
    created_at: datetime,
    exclude_media: bool,
    blobs: BlobStore | None,
    progress: Progress | None,
) -> ExportSummary:
    media = [] if exclude_media or blobs is None else media_plan(session, project_id)
    media_paths = [entry.name.removeprefix("Media/") for entry in media]
    links = MediaLinks(
        {unquote(e.source).lower(): p for e, p in zip(media, media_paths, strict=True)},
        MEDIA_DIR,
    )
    footer = f"{site_name} · exported {created_at:%Y-%m-%d %H:%M} UTC by Lorebase"
    common = {"site_name": site_name, "footer": footer, "labels": LABELS}
    sites = [_plan_languages(session, ws, plan) for ws, plan in zip(workspaces, plans, strict=True)]
    total = sum(len(lang.nav.reading_order) for site in sites for lang in site) + len(media)
    summary = ExportSummary()
    archive = ExportZip(out, created_at)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    try:
        archive.write_bytes(f"{ASSETS_DIR}/site.css", site_stylesheet(), record=False)
        for name in ASSET_FILES:
            archive.write_bytes(f"{ASSETS_DIR}/{name}", asset(name), record=False)
        listed = []
        for ws, plan, site in zip(workspaces, plans, sites, strict=True):
            summary.workspaces += 1
            summary.categories += plan.category_count
            summary.articles += len(plan.articles)
            renderer = DisplayRenderer(session, ws.id)
            entries = []
            for lang in site:
                context = LanguageContext(
                    variables={
                        **common,
                        "lang": lang.code,
                        "rtl": lang.nav.rtl,
                        "up": UP,
                        "workspace_name": ws.version_code_name or ws.slug,
                        "home_href": "index.html",
                    },
                    values=renderer.values(lang.code),
                    links=links,
                    by_slug=lang.by_slug,
                )
                written = _write_language(archive, session, pool, context, plan, lang, site, tick)
                entries.append(
                    {
                        "code": lang.code,
                        "name": lang.nav.name,
                        "href": f"{lang.folder}/index.html",
                        "pages": written,
                    }
                )
            listed.append({"name": ws.version_code_name or ws.slug, "languages": entries})
        for entry, path in zip(media, media_paths, strict=True):
            assert blobs is not None
            with blobs.open_reader(entry.blob_key) as source:
                archive.write_stream(f"{MEDIA_DIR}/{path}", source)
            summary.media += 1
            tick()
        root = TEMPLATES.get_template("root.html").render(
            lang="en",
            rtl=False,
            up="",
            workspaces=listed,
            nothing_published=NOTHING_PUBLISHED,
            **common,
        )
        archive.write_bytes("index.html", root.encode(), record=False)
        summary.files = len(archive.zip.infolist())
    finally:
        archive.close()
    return summary


def asset(name: str) -> bytes:
    return resources.files("lorebase.exchange.htmlsite").joinpath("assets", name).read_bytes()


def site_stylesheet() -> bytes:
    """site.css with Pygments' styles: a light one, and a dark one for dark mode (the
    system's, unless the reader chose light; or the reader's choice)."""
    dark = ':root:not([data-theme="light"]) .highlight'
    return (
        asset("site.css")
        + stylesheet("default", ".highlight").encode()
        + b"\n@media (prefers-color-scheme: dark) {\n"
        + stylesheet("monokai", dark).encode()
        + b"\n}\n"
        + stylesheet("monokai", ':root[data-theme="dark"] .highlight').encode()
        + b"\n"
    )


def _plan_languages(session: Session, ws: ProjectVersion, plan: WorkspacePlan) -> list[_Language]:
    """Each exported language's tree of published pages, page file names and reading order
    (no bodies read)."""
    folders = UniqueNames()
    ws_folder = folders.claim(ws.slug)
    by_slug: dict[str, dict[str, str]] = {}

    def namer_for(code: str) -> PageNamer:
        names = UniqueNames()
        for reserved in RESERVED:
            names.claim(reserved)
        slugs = by_slug[code] = {}

        def page_name(heading: Heading, is_article: bool) -> str:
            name = names.claim(heading.slug, ".html")
            slugs.setdefault(heading.slug.lower(), name)
            return name

        return page_name

    return [
        _Language(nav, f"{ws_folder}/{nav.code}", by_slug[nav.code])
        for nav in plan_languages(session, ws, plan, namer_for)
    ]


def _write_language(
    archive: ExportZip,
    session: Session,
    pool: RenderPool,
    context: LanguageContext,
    plan: WorkspacePlan,
    lang: _Language,
    site: list[_Language],
    tick: Callable[[], None],
) -> int:
    """Write one language's pages, home, tree and search index; the number of pages."""
    search = _SearchIndex()
    jobs = _page_jobs(session, plan, lang, site)
    for rendered in pool.map(render_pages, ((context, batch) for batch in jobs)):
        for page in rendered.pages:
            archive.write_bytes(f"{lang.folder}/{page.href}", page.html, record=False)
            tick()
        search.add(rendered)
    home = TEMPLATES.get_template("home.html").render(
        static_tree=Markup(static_tree(lang.nav.roots)) if lang.nav.roots else None,
        languages=_switcher(lang, site, None),
        nothing_published=NOTHING_PUBLISHED,
        **context.variables,
    )
    archive.write_bytes(f"{lang.folder}/index.html", home.encode(), record=False)
    tree = {"nodes": [_tree_json(nav) for nav in lang.nav.roots]}
    archive.write_bytes(f"{lang.folder}/tree.js", _script("LOREBASE_TREE", tree), record=False)
    archive.write_bytes(
        f"{lang.folder}/search.js", _script("LOREBASE_SEARCH", search.data()), record=False
    )
    return len(lang.nav.reading_order)


def _page_jobs(
    session: Session, plan: WorkspacePlan, lang: _Language, site: list[_Language]
) -> Iterator[list[PageJob]]:
    """The pages of the reading order with their published revisions, read in batches."""
    articles = {ref.id: ref for ref in plan.articles}
    categories: dict[str, Node] = {node.id: node for node in plan.pages}
    order = lang.nav.reading_order
    position = {id(nav): i for i, nav in enumerate(order)}
    for batch in batched(order, PAGES_PER_BATCH):
        found: dict[str, PageSource] = {}
        for navs, kind, items in (
            ([nav for nav in batch if nav.is_article], ARTICLE_FILES, articles),
            (
                [nav for nav in batch if not nav.is_article and not nav.listing_only],
                PAGE_FILES,
                categories,
            ),
        ):
            if not navs:
                continue
            refs = [items[nav.item_id] for nav in navs]
            for nav, sources in zip(
                navs, published_sources(session, refs, [lang.code], kind), strict=True
            ):
                if lang.code in sources:
                    found[nav.item_id] = sources[lang.code]
        jobs = []
        for nav in batch:
            source = found.get(nav.item_id)
            if source is None and not nav.listing_only:
                continue  # unpublished since the plan was read: its links stay dead
            i = position[id(nav)]
            jobs.append(
                PageJob(
                    href=nav.href or "",
                    title=source.title if source else nav.title,
                    source=source,
                    breadcrumbs=[link(crumb) for crumb in breadcrumbs(nav)],
                    previous=link(order[i - 1]) if i > 0 else None,
                    next=link(order[i + 1]) if i + 1 < len(order) else None,
                    children=static_tree(nav.children) if nav.children else None,
                    languages=_switcher(lang, site, nav.item_id),
                )
            )
        yield jobs


def _switcher(lang: _Language, site: list[_Language], item_id: str | None) -> list[dict[str, Any]]:
    """A link per language: to the same page when it is published there, else to its home."""
    entries = []
    for other in site:
        href = other.nav.pages.get(item_id, "index.html") if item_id is not None else "index.html"
        entries.append(
            {
                "code": other.code,
                "name": other.nav.name,
                "href": f"../{other.folder.rsplit('/', 1)[-1]}/{href}",
                "current": other is lang,
            }
        )
    return entries


def _tree_json(nav: NavNode) -> list[Any]:
    if nav.children:
        return [nav.title, nav.href or "", [_tree_json(child) for child in nav.children]]
    return [nav.title, nav.href or ""]


def _script(name: str, value: Any) -> bytes:
    # JSON is a JavaScript expression; "</" cannot occur outside strings, and U+2028/9 are
    # valid in string literals since ES2019.
    return b"window." + name.encode() + b" = " + orjson.dumps(value) + b";\n"


class _SearchIndex:
    """word -> the numbers of the pages holding it, and each page's title, link and excerpt."""

    def __init__(self) -> None:
        self.docs: list[list[str]] = []
        self.terms: dict[str, list[int]] = {}

    def add(self, batch: RenderedBatch) -> None:
        base = len(self.docs)
        self.docs.extend([page.title, page.href, page.excerpt] for page in batch.pages)
        terms = self.terms
        for word, positions in batch.terms.items():
            numbers = [base + position for position in positions]
            if word in terms:
                terms[word].extend(numbers)
            else:
                terms[word] = numbers

    def data(self) -> dict[str, Any]:
        terms = {}
        for word, numbers in self.terms.items():
            # Ascending numbers stored as differences: most are small, so the file is too.
            deltas, last = [], 0
            for number in numbers:
                deltas.append(number - last)
                last = number
            terms[word] = deltas
        return {"docs": self.docs, "terms": terms, "none": NO_RESULTS}


__all__ = ["LABELS", "asset", "site_stylesheet", "write_html_site"]
