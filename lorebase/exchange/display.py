"""What readers see, for the exports made to be read (the offline HTML site and the PDF).

A reader's view of the knowledge base, as the published site shows it: for each article and
category page, the **published** revision of each language, with merge codes resolved for
display (`isForDisplay=true`: the language's own values, then the global ones) and rendered to
sanitised HTML by the same function as the API's `html_content` (`kb.content.render_with_values`),
so that the site, the PDF and the API show the same Markdown the same way. An item with no
published revision in a language is left out of that language; hidden articles and categories
(and everything below a hidden category) are left out, as the site hides them from readers.

Links: Lorebase media URLs of the exported Drive files become relative links to the copies in
the ZIP (`MediaLinks`); links between articles (`/docs/<slug>` or the article's API URL by id)
are left to each format, which knows its page names.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from sqlalchemy import Engine, Select, bindparam, select
from sqlalchemy.orm import Session

from lorebase.db.engine import lookup
from lorebase.exchange.plan import PAGE_TYPES, ArticleRef, FileKind, Node, WorkspacePlan
from lorebase.kb import merge_codes
from lorebase.kb.content import render_with_values
from lorebase.render import MergeCodeValues

# Lorebase media URLs: absolute, or root-relative `/media/...` (not inside a longer path).
MEDIA_URL = re.compile(r"""https?://[^\s"'<>()\[\]]+|(?<![\w.~/-])/media/[^\s"'<>()\[\]]+""")
# In sanitised HTML: a start tag, and its href/src values. The sanitiser quotes every attribute
# with '"' and escapes '<' and '>' inside values, so a tag ends at the first '>', and text or
# code that shows a tag is escaped ('&lt;img src=…') and never matches.
_START_TAG = re.compile(r"<[a-zA-Z][^>]*>")
_LINK_ATTRIBUTE = re.compile(r'(\s(?:href|src)=")([^"]*)"')


class MediaLinks:
    """Rewrites the Lorebase URLs of exported media files to relative links into the ZIP."""

    def __init__(self, sources: dict[str, str], media_dir: str) -> None:
        # unquoted, lower-cased URL path -> path below `media_dir`
        self.sources = sources
        self.media_dir = media_dir

    def rewrite(self, body: str | None, up: str) -> str:
        """`body` with every exported file's URL replaced by `<up><media_dir>/<path>`; its
        query (a signature, say) is dropped: it means nothing to a file in the ZIP."""
        if not body:
            return ""
        if not self.sources:
            return body

        def replace(match: re.Match[str]) -> str:
            return self._local(match.group(0), up) or match.group(0)

        return MEDIA_URL.sub(replace, body)

    def rewrite_html(self, body: str, up: str) -> str:
        """`rewrite` for sanitised HTML: only the href and src of tags, so that a media URL an
        author shows in text or in a code sample stays as written."""
        if not self.sources:
            return body

        def attribute(match: re.Match[str]) -> str:
            local = self._local(html.unescape(match.group(2)), up)
            return f'{match.group(1)}{html.escape(local)}"' if local else match.group(0)

        def tag(match: re.Match[str]) -> str:
            return _LINK_ATTRIBUTE.sub(attribute, match.group(0))

        return _START_TAG.sub(tag, body)

    def _local(self, url: str, up: str) -> str | None:
        path = self.sources.get(unquote(urlsplit(url).path).lower())
        if path is None:
            return None
        return f"{up}{self.media_dir}/{quote(path, safe='/')}"


@dataclass
class Page:
    """One article or category page in one language, ready to display."""

    id: str
    language: str
    title: str
    slug: str
    description: str | None
    html: str  # sanitised, merge codes resolved; media links not yet rewritten
    modified_at: datetime | None


@dataclass
class Readable:
    """What a reader may see of a workspace plan: hidden categories (with everything below
    them) and hidden articles left out; the order is the tree's."""

    nodes: list[Node]  # visible categories
    pages: list[Node]  # the visible Page and Index categories
    articles: list[ArticleRef]  # visible articles in visible categories, then root articles


def readable(plan: WorkspacePlan) -> Readable:
    nodes: list[Node] = []

    def walk(level: list[Node]) -> None:
        for node in level:
            if node.hidden:
                continue
            nodes.append(node)
            walk(node.children)

    walk(plan.roots)
    articles = [ref for node in nodes for ref in node.articles if not ref.hidden]
    articles += [ref for ref in plan.root_articles if not ref.hidden]
    pages = [node for node in nodes if node.category_type in PAGE_TYPES]
    return Readable(nodes, pages, articles)


@dataclass
class PageSource:
    """A published revision as stored: what `render_page` turns into a `Page` (plain data, so
    it can be handed to another process)."""

    id: str
    language: str
    title: str
    slug: str
    description: str | None
    content_type: int | None
    content: str | None
    html_content: str | None
    modified_at: datetime | None
    # The body as kept with the revision (kb.page_bodies); read by the live site only.
    ready_html: str | None = None
    ready_facts: dict[str, Any] | None = None
    ready_renderer: int | None = None


def render_page(source: PageSource, values: MergeCodeValues) -> Page:
    """The page readers see: merge codes resolved with `values`, rendered and sanitised."""
    _, rendered = render_with_values(
        source.content_type, source.content, source.html_content, values
    )
    return Page(
        source.id,
        source.language,
        source.title,
        source.slug,
        source.description,
        rendered or "",
        source.modified_at,
    )


def _source_query(kind: FileKind, one: bool) -> Select[Any]:
    revision = kind.revision
    model = kind.translation
    query = select(
        kind.owner.label("owner_id"),
        model.language_code,
        kind.title.label("name"),
        model.slug,
        model.description,
        revision.title,
        revision.content,
        revision.html_content,
        revision.created_at,
        # The live site's page takes the body kept with the revision; an export renders.
        *((revision.ready_html, revision.ready_facts, revision.ready_renderer) if one else ()),
    ).join(
        revision,
        (kind.revision_owner == kind.owner)
        & (revision.language_code == model.language_code)
        & (revision.version_number == model.public_version),
    )
    if one:
        return query.where(
            kind.owner == bindparam("owner_id"),
            model.language_code == bindparam("code"),
            model.public_version > 0,
        )
    return query


# The one-page read of the live site, built once: building a select costs more than running it.
_ONE_SOURCE: dict[int, Select[Any]] = {}


def published_source(
    engine: Engine, item: ArticleRef | Node, code: str, kind: FileKind
) -> PageSource | None:
    """The published revision of one article or category page in language `code`, read as
    a lookup (`db.engine.lookup`: one statement, no session) on `engine`."""
    query = _ONE_SOURCE.get(id(kind))
    if query is None:
        query = _ONE_SOURCE[id(kind)] = _source_query(kind, one=True)
    row = lookup(engine, query, {"owner_id": item.id, "code": code})
    if row is None:
        return None
    owner_id, code, name, slug, description, rev_title, content, html_content, created = row[:9]
    return PageSource(
        owner_id,
        code,
        rev_title or name,
        slug,
        description,
        item.content_type,
        content,
        html_content,
        created,
        *row[9:],
    )


def published_sources(
    session: Session, batch: Sequence[ArticleRef | Node], langs: list[str], kind: FileKind
) -> Iterator[dict[str, PageSource]]:
    """For each item of `batch` (articles, or category pages with `PAGE_FILES`), its
    published revisions by language code, in `batch`'s order."""
    ids = [item.id for item in batch]
    content_types = {item.id: item.content_type for item in batch}
    model = kind.translation
    rows = session.connection().execute(
        _source_query(kind, one=False).where(
            kind.owner.in_(ids), model.language_code.in_(langs), model.public_version > 0
        )
    )
    found: dict[str, dict[str, PageSource]] = defaultdict(dict)
    for owner_id, code, name, slug, description, rev_title, content, html_content, created in rows:
        # The title published with that revision, as the site shows it.
        found[owner_id][code] = PageSource(
            owner_id,
            code,
            rev_title or name,
            slug,
            description,
            content_types[owner_id],
            content,
            html_content,
            created,
        )
    for item_id in ids:
        yield found.get(item_id, {})


def category_title(plan: WorkspacePlan, node: Node, code: str) -> str:
    """A category's name in language `code`, else in the first exported language that has
    one (a folder still needs a heading), else "Untitled"."""
    for lang in plan.node_languages.get(node.id, []):
        if lang["Code"] == code:
            return str(lang["Title"])
    return plan.node_titles.get(node.id) or "Untitled"


class DisplayRenderer:
    """Renders published pages, looking the merge-code values of each language up once."""

    def __init__(self, session: Session, workspace_id: str) -> None:
        self.session = session
        self.workspace_id = workspace_id
        self._values: dict[str, MergeCodeValues] = {}

    def values(self, code: str) -> MergeCodeValues:
        if code not in self._values:
            self._values[code] = merge_codes.values_for(self.session, self.workspace_id, code)
        return self._values[code]

    def published(
        self, batch: Sequence[ArticleRef | Node], langs: list[str], kind: FileKind
    ) -> Iterator[dict[str, Page]]:
        """For each item of `batch` (articles, or category pages with `PAGE_FILES`), its
        published pages by language code, in `batch`'s order."""
        for sources in published_sources(self.session, batch, langs, kind):
            yield {code: render_page(source, self.values(code)) for code, source in sources.items()}


@dataclass(frozen=True)
class Heading:
    """What a page is called in one language before its body is read: enough to name its
    file and to link to it from the tree, breadcrumbs and other pages."""

    title: str
    slug: str


def published_headings(
    session: Session, ids: Sequence[str], langs: list[str], kind: FileKind
) -> dict[tuple[str, str], Heading]:
    """(item id, language) -> the published revision's title and the slug, for every item of
    `ids` published in a language of `langs`. Reads no bodies."""
    revision = kind.revision
    model = kind.translation
    found: dict[tuple[str, str], Heading] = {}
    for start in range(0, len(ids), 500):
        rows = session.connection().execute(
            select(kind.owner, model.language_code, kind.title, model.slug, revision.title)
            .join(
                revision,
                (kind.revision_owner == kind.owner)
                & (revision.language_code == model.language_code)
                & (revision.version_number == model.public_version),
            )
            .where(
                kind.owner.in_(ids[start : start + 500]),
                model.language_code.in_(langs),
                model.public_version > 0,
            )
        )
        for owner_id, code, name, slug, rev_title in rows:
            found[(owner_id, code)] = Heading(rev_title or name, slug)
    return found
