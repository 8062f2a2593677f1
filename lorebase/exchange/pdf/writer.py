"""Write a project (or part of it) as PDFs (v3 `format: "pdf"`, `lorebase export --format pdf`).

The ZIP holds one PDF per workspace and language, `<workspace-slug>.<language code>.pdf`, and
nothing else. A workspace language with nothing published still gets its PDF (the cover and an
empty table of contents), so that the files of an export depend on the selection only.

Each PDF shows what the offline site shows (`display.DisplayRenderer`): the published revision
of every visible article and category page, merge codes resolved, sanitised, code highlighted,
in tree order: a category's heading and page body (Page/Index categories), its articles, its
sub-categories; then the articles outside any category. Categories with nothing published in a
language are left out of it. A cover page and a table of contents come first; the PDF outline
follows the category tree; every page but the cover carries the workspace name and the current
category at the top, and "n / N" at the bottom.

Memory: WeasyPrint holds the layout of a whole document until it writes it (measured here:
~0.9 MB a page, 830 MB for 300 articles of 4 KB), so the body is rendered in chunks of about
`CHUNK_CHARS` of HTML, each written to PDF bytes and dropped, and pypdf joins the parts. Page
numbers therefore cross documents and cannot be WeasyPrint counters of the body
(`target-counter` only sees its own document): the page each heading lands on is read from each
chunk's layout, the table of contents is rendered with those numbers (and its lines link to
the pages), and the outline is built by pypdf. The running header and the "n / N" footer are
laid out by WeasyPrint on empty sheets, one part at a time, and stamped over the pages.

Media: images load through `ExportMedia`, a URL fetcher that serves the project's Drive files
from the blob store and refuses every other URL, so rendering never touches the network or the
local disk. Bodies link Drive files by their Lorebase URLs; those are rewritten to
`lorebase-media:` URLs that only this fetcher understands.
"""

from __future__ import annotations

import html
import io
import mimetypes
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, BinaryIO, cast
from urllib.parse import unquote

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject
from sqlalchemy import select
from sqlalchemy.orm import Session
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from lorebase.db.models import Project
from lorebase.exchange.archive import (
    ExportSummary,
    ExportZip,
    Progress,
    UniqueNames,
    batched,
)
from lorebase.exchange.display import (
    DisplayRenderer,
    MediaLinks,
    Page,
    category_title,
    readable,
)
from lorebase.exchange.plan import (
    ARTICLE_FILES,
    BATCH,
    PAGE_FILES,
    Node,
    WorkspacePlan,
    media_plan,
    plan_workspaces,
)
from lorebase.render.highlight import highlight_code, stylesheet
from lorebase.storage import BlobStore

MEDIA_SCHEME = "lorebase-media:"
# TOC entries link to `lorebase-page:<n>`; the joined PDF turns them into links to page n.
PAGE_SCHEME = "lorebase-page:"
# About 30 articles of 4 KB Markdown: ~90 pages of WeasyPrint layout held at a time.
CHUNK_CHARS = 200_000
ANCHOR = "lorebase-entry-"

PAGE_CSS = """
@page { size: A4; margin: 22mm 18mm 20mm 18mm; }
html { font-family: "DejaVu Sans", sans-serif; font-size: 10pt; line-height: 1.45;
       color: #1f2328; }
.entry { break-before: page; }
.entry.folder + .entry { break-before: avoid; }
.entry-title { bookmark-level: none; font-size: 20pt; line-height: 1.2; margin: 0 0 0.6em;
               break-after: avoid; }
.entry.category > .entry-title { color: #0b4f8a; border-bottom: 2px solid #0b4f8a;
                                 padding-bottom: 0.2em; }
.body h1, .body h2, .body h3, .body h4, .body h5, .body h6 {
  bookmark-level: none; line-height: 1.25; margin: 1.2em 0 0.4em; break-after: avoid; }
.body h1 { font-size: 16pt; } .body h2 { font-size: 13.5pt; } .body h3 { font-size: 12pt; }
.body h4, .body h5, .body h6 { font-size: 10.5pt; }
p, li { orphans: 2; widows: 2; }
/* GFM task lists: the box on the line of its text (WeasyPrint lays out inputs as blocks). */
li > input[type=checkbox] { display: inline-block; width: 0.8em; height: 0.8em; margin: 0 0.4em 0 0;
                            vertical-align: -0.1em; }
li:has(> input[type=checkbox]) { list-style: none; }
a { color: #0b5cad; text-decoration: none; }
img { max-width: 100%; height: auto; break-inside: avoid; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 8.5pt; line-height: 1.35;
      background: #f6f8fa; border: 1px solid #d0d7de; border-radius: 4px; padding: 6pt 8pt;
      orphans: 3; widows: 3; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 0.9em; overflow-wrap: anywhere; }
pre code { font-size: 1em; }
blockquote { margin: 0.8em 0; padding: 0.2em 0.9em; border-left: 3px solid #d0d7de;
             color: #4a535c; }
table { border-collapse: collapse; width: 100%; margin: 0.8em 0; font-size: 9pt; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th, td { border: 1px solid #d0d7de; padding: 3pt 5pt; vertical-align: top;
         overflow-wrap: anywhere; }
th:not([align]) { text-align: left; }  /* GFM column alignment arrives as `align` */
th { background: #f6f8fa; }
.cover { page: cover; break-after: page; padding-top: 60mm; }
.cover .project { font-size: 14pt; color: #4a535c; margin: 0 0 4mm; }
.cover h1 { font-size: 30pt; line-height: 1.15; margin: 0 0 10mm; color: #0b4f8a; }
.cover dl { font-size: 11pt; }
.cover dt { float: left; width: 30mm; color: #4a535c; }
.cover dd { margin: 0 0 2mm 30mm; }
.toc h1 { font-size: 20pt; margin: 0 0 0.8em; }
.toc ol { list-style: none; margin: 0; padding: 0; }
.toc li { margin: 0 0 0.25em; }
.toc li.category { font-weight: bold; margin-top: 0.5em; }
.toc a { color: inherit; }
.toc a::after { content: leader('.') attr(data-page); font-weight: normal; }
"""

# The page furniture: one empty sheet per page, stamped over it. Its texts are set per sheet
# (the total page count is only known once every part is rendered).
FURNITURE_CSS = """
@page { size: A4; margin: 22mm 18mm 20mm 18mm;
  @top-left { content: string(workspace); font-size: 8pt; color: #4a535c; }
  @top-right { content: string(section); font-size: 8pt; color: #4a535c; }
  @bottom-center { content: string(folio); font-size: 8pt; color: #4a535c; } }
html { font-family: "DejaVu Sans", sans-serif; }
.sheet { break-after: page; }
.workspace { string-set: workspace content(); }
.section { string-set: section content(); }
.folio { string-set: folio content(); }
.sheet p { height: 0; overflow: hidden; visibility: hidden; margin: 0; }
"""


class ExportMedia(URLFetcher):  # type: ignore[misc]  # WeasyPrint ships no type hints
    """WeasyPrint's URL fetcher for one export: the project's Drive files, nothing else.

    `data:` URLs are refused too: sanitised bodies never keep them, so one rule (only the
    export's own files) covers every URL a body or a stylesheet could name.
    """

    def __init__(self, blobs: BlobStore | None, keys: dict[str, str]) -> None:
        super().__init__()
        self.blobs = blobs
        self.keys = keys  # unquoted, lower-cased path after MEDIA_SCHEME -> blob key
        self.served: set[str] = set()

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> Any:
        if not url.startswith(MEDIA_SCHEME) or self.blobs is None:
            raise ValueError(f"not a media file of this export: {url[:200]}")
        path = unquote(url.removeprefix(MEDIA_SCHEME))
        key = self.keys.get(path.lower())
        if key is None:
            raise ValueError(f"not a media file of this export: {url[:200]}")
        with self.blobs.open_reader(key) as reader:
            data = reader.read()
        self.served.add(key)
        kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
        return URLFetcherResponse(url, data, {"Content-Type": kind})


@dataclass
class Entry:
    """One heading of a PDF: a category or an article, at its depth in the tree."""

    title: str
    depth: int
    html: str
    section: str  # the category it belongs to, for the running header
    is_category: bool


@dataclass
class Cover:
    project: str
    workspace: str
    language: str
    exported: datetime


def write_pdf_zip(
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
) -> ExportSummary:
    """Write the project's published knowledge base to `out` as a ZIP of PDFs.

    The options mean what they mean for `write_json_zip` (same selection of workspaces,
    languages, category subtrees and modified window). `progress(done, total)` is called after
    each article and category page read, and after each PDF rendered.
    """
    created_at = datetime.now(UTC)
    summary = ExportSummary()
    workspaces, plans = plan_workspaces(
        session,
        project_id,
        workspace_ids=workspace_ids,
        languages=languages,
        category_ids=category_ids,
        modified_after=modified_after,
        modified_before=modified_before,
    )
    media = [] if exclude_media or blobs is None else media_plan(session, project_id)
    # Bodies link `lorebase-media:/<ZIP name of the file>` (MediaLinks writes `<dir>/<path>`).
    links = MediaLinks({unquote(entry.source).lower(): entry.name for entry in media}, MEDIA_SCHEME)
    fetcher = ExportMedia(blobs, {f"/{entry.name}".lower(): entry.blob_key for entry in media})
    project_name = session.scalar(select(Project.name).where(Project.id == project_id)) or ""
    shown = [readable(plan) for plan in plans]
    total = sum(len(view.pages) + len(view.articles) for view in shown)
    total += sum(len(plan.langs) for plan in plans)
    archive = ExportZip(out, created_at)
    names = UniqueNames()
    css = [CSS(string=PAGE_CSS + stylesheet())]
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    try:
        for ws, plan, view in zip(workspaces, plans, shown, strict=True):
            summary.workspaces += 1
            summary.categories += plan.category_count
            summary.articles += len(plan.articles)
            renderer = DisplayRenderer(session, ws.id)
            found: dict[str, dict[str, Page]] = {}
            for kind, items in ((PAGE_FILES, view.pages), (ARTICLE_FILES, view.articles)):
                for batch in batched(items, BATCH):
                    for item, by_lang in zip(
                        batch, renderer.published(batch, plan.langs, kind), strict=True
                    ):
                        for page in by_lang.values():
                            page.html = highlight_code(links.rewrite_html(page.html, ""))
                        found[item.id] = by_lang
                        tick()
            for code in plan.langs:
                cover = Cover(project_name, ws.version_code_name, code, created_at)
                pdf = render_pdf(cover, _entries(plan, code, found), css, fetcher)
                archive.write_bytes(names.claim(f"{ws.slug}.{code}", ".pdf"), pdf, record=False)
                tick()
        summary.media = len(fetcher.served)
        summary.files = len(archive.zip.infolist())
    finally:
        archive.close()
    return summary


def _entries(plan: WorkspacePlan, code: str, found: dict[str, dict[str, Page]]) -> list[Entry]:
    """The headings of one language's PDF, in reading order."""
    out: list[Entry] = []

    def visit(node: Node, depth: int) -> None:
        if node.hidden:
            return
        start = len(out)
        page = found.get(node.id, {}).get(code)
        title = page.title if page is not None else category_title(plan, node, code)
        out.append(Entry(title, depth, page.html if page else "", title, is_category=True))
        for ref in node.articles:  # hidden ones were never read
            article = found.get(ref.id, {}).get(code)
            if article is not None:
                out.append(Entry(article.title, depth + 1, article.html, title, False))
        for child in node.children:
            visit(child, depth + 1)
        if page is None and len(out) == start + 1:
            out.pop()  # nothing published below it in this language

    for node in plan.roots:
        visit(node, 0)
    for ref in plan.root_articles:
        article = found.get(ref.id, {}).get(code)
        if article is not None:
            out.append(Entry(article.title, 0, article.html, "", is_category=False))
    return out


def render_pdf(cover: Cover, entries: list[Entry], css: list[Any], fetcher: ExportMedia) -> bytes:
    """One PDF: cover and contents, the body rendered in chunks, joined and stamped."""
    parts: list[bytes] = []
    body_length = 0
    starts: list[int] = []  # body page (0-based) where each entry begins
    sections: dict[int, str] = {}  # body page -> the section named in its header
    for first, chunk in _chunks(entries):
        document = HTML(string=_body_html(cover, chunk, first), url_fetcher=fetcher).render(
            stylesheets=css
        )
        # A section's anchor is listed on every page it spans: the first one is its start.
        anchors: dict[int, int] = {}
        for number, page in enumerate(document.pages, start=body_length):
            for name in page.anchors:
                if name.startswith(ANCHOR):
                    anchors.setdefault(int(name.removeprefix(ANCHOR)), number)
        for index in range(first, first + len(chunk)):
            starts.append(anchors[index])
            sections.setdefault(anchors[index], entries[index].section)
        body_length += len(document.pages)
        parts.append(document.write_pdf())
        del document

    # The contents' length decides the page numbers it prints, and longer numbers never take
    # fewer pages: render with the last length seen until it holds.
    front_length = 2
    while True:
        front = HTML(
            string=_front_html(cover, entries, starts, front_length), url_fetcher=fetcher
        ).render(stylesheets=css)
        rendered = len(front.pages)
        if rendered == front_length:
            break
        del front  # a layout held while the next one is made would double the peak
        front_length = rendered
    front_pdf = front.write_pdf()
    del front

    total = front_length + body_length
    headers = ["", *["Contents"] * (front_length - 1)]
    for number in range(body_length):
        headers.append(sections.get(number, headers[-1] if number else ""))
    joined = PdfWriter()
    first_page = 0
    for part in [front_pdf, *parts]:
        stamped = _stamp_furniture(part, cover, first_page, total, headers)
        joined.append(stamped, import_outline=False)
        first_page += len(stamped.pages)
    _link_contents(joined, front_length)
    _outline(joined, entries, [front_length + start for start in starts])
    joined.add_metadata({"/Title": f"{cover.workspace} ({cover.language})"})
    # Every part carries its own copies of the same colour spaces and graphic states (-3 %).
    joined.compress_identical_objects()
    result = io.BytesIO()
    joined.write(result)
    return result.getvalue()


def _chunks(entries: list[Entry]) -> Iterable[tuple[int, list[Entry]]]:
    """(index of the first entry, entries) of each body chunk. A chunk never ends on a
    folder's bare heading, which shares its page with what follows."""
    first, size = 0, 0
    for index, entry in enumerate(entries):
        size += len(entry.html) + len(entry.title)
        if size >= CHUNK_CHARS and entry.html:
            yield first, entries[first : index + 1]
            first, size = index + 1, 0
    if first < len(entries):
        yield first, entries[first:]


def _document(cover: Cover, body: str) -> str:
    title = html.escape(f"{cover.workspace} ({cover.language})")
    return (
        f'<!DOCTYPE html><html lang="{html.escape(cover.language)}"><head>'
        f'<meta charset="utf-8"><title>{title}</title></head><body>{body}</body></html>'
    )


def _body_html(cover: Cover, chunk: list[Entry], first: int) -> str:
    parts = []
    for index, entry in enumerate(chunk, start=first):
        classes = "entry category" if entry.is_category else "entry article"
        if entry.is_category and not entry.html:
            classes += " folder"
        parts.append(
            f'<section class="{classes}" id="{ANCHOR}{index}">'
            f'<h1 class="entry-title">{html.escape(entry.title)}</h1>'
            f'<div class="body">{entry.html}</div></section>'
        )
    return _document(cover, "".join(parts))


def _front_html(cover: Cover, entries: list[Entry], starts: list[int], front_length: int) -> str:
    lines = []
    for entry, start in zip(entries, starts, strict=True):
        number = front_length + start + 1
        kind = "category" if entry.is_category else "article"
        indent = f"{entry.depth * 1.2:.1f}em"
        lines.append(
            f'<li class="{kind}" style="margin-left: {indent}">'
            f'<a href="{PAGE_SCHEME}{number}" data-page="{number}">'
            f"{html.escape(entry.title)}</a></li>"
        )
    contents = f"<ol>{''.join(lines)}</ol>" if lines else "<p>Nothing is published here yet.</p>"
    return _document(
        cover,
        f'<section class="cover"><p class="project">{html.escape(cover.project)}</p>'
        f"<h1>{html.escape(cover.workspace)}</h1><dl>"
        f"<dt>Language</dt><dd>{html.escape(cover.language)}</dd>"
        f"<dt>Exported</dt><dd>{cover.exported:%Y-%m-%d %H:%M} UTC</dd></dl></section>"
        f'<nav class="toc"><h1>Contents</h1>{contents}</nav>',
    )


def _stamp_furniture(
    part: bytes, cover: Cover, first_page: int, total: int, headers: list[str]
) -> PdfReader:
    """One part of the PDF with the header (workspace, current section) and the "n / N"
    footer stamped on every page but the cover; pages are numbered from `first_page`."""
    stamped = PdfWriter(clone_from=PdfReader(io.BytesIO(part)))
    workspace = html.escape(cover.workspace)
    sheets = []
    for number in range(first_page, first_page + len(stamped.pages)):
        sheets.append(
            '<div class="sheet"><p class="workspace">'
            f'{workspace}</p><p class="section">{html.escape(headers[number])}</p>'
            f'<p class="folio">{number + 1} / {total}</p></div>'
        )
    furniture = HTML(string=_document(cover, "".join(sheets))).write_pdf(
        stylesheets=[CSS(string=FURNITURE_CSS)]
    )
    stamps = PdfReader(io.BytesIO(furniture)).pages
    for number, (page, stamp) in enumerate(zip(stamped.pages, stamps, strict=True), first_page):
        if number == 0:
            continue  # the cover
        # The pages of one WeasyPrint PDF share one resource dictionary, and merging renames
        # the stamp's fonts that clash with the page's in it: shared, it would gain a font
        # for every page (measured: 61 MB for 2,757 pages). Each page gets its own copy.
        resources = cast(DictionaryObject, page["/Resources"].get_object())
        page[NameObject("/Resources")] = DictionaryObject(
            {
                key: DictionaryObject(value.get_object())
                if isinstance(value.get_object(), DictionaryObject)
                else value
                for key, value in resources.items()
            }
        )
        page.merge_page(stamp)
        page.compress_content_streams()  # merging leaves the page's content uncompressed
    result = io.BytesIO()
    stamped.write(result)
    # Read back from bytes: the joined PDF then holds no decoded page content.
    return PdfReader(result)


def _link_contents(joined: PdfWriter, front_length: int) -> None:
    """The contents' `lorebase-page:<n>` links become links to page n of this PDF."""
    for page in joined.pages[:front_length]:
        for annotation in page.get("/Annots", []):
            link = annotation.get_object()
            action = link.get("/A")
            target = action.get("/URI", "") if action is not None else ""
            if not str(target).startswith(PAGE_SCHEME):
                continue
            number = int(str(target).removeprefix(PAGE_SCHEME))
            destination = joined.pages[number - 1].indirect_reference
            link[NameObject("/A")] = DictionaryObject(
                {
                    NameObject("/S"): NameObject("/GoTo"),
                    NameObject("/D"): ArrayObject([destination, NameObject("/Fit")]),
                }
            )


def _outline(joined: PdfWriter, entries: list[Entry], pages: list[int]) -> None:
    """PDF bookmarks: categories with their articles and sub-categories as children."""
    parents: list[IndirectObject] = []
    for entry, page in zip(entries, pages, strict=True):
        del parents[entry.depth :]
        parent = parents[-1] if parents else None
        item = joined.add_outline_item(
            title=entry.title, page_number=page, parent=parent, bold=entry.is_category
        )
        parents.append(item)


__all__ = ["ExportMedia", "write_pdf_zip"]
