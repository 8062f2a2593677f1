"""One page of the offline site, from a published revision to the HTML file and its search
entry. Everything here takes and returns plain data, so that the writer can run it in other
processes (`exchange.parallel`); the writer keeps the database and the ZIP.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import jinja2
from markupsafe import Markup

from lorebase.exchange.display import MediaLinks, PageSource, render_page
from lorebase.render import MergeCodeValues
from lorebase.render.page import Heading, finish_html, headings

# Every page is `<workspace>/<lang>/<name>.html`: two folders below the site's root.
UP = "../../"
EXCERPT_CHARS = 180
TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader("lorebase.exchange.htmlsite", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    # Installed files do not change under a running server: no stat() per render.
    auto_reload=False,
)
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
# The href of <a> tags only: the same characters in text or in a code sample (where the
# sanitiser leaves '"' unescaped) stay as the author wrote them. The sanitiser escapes '<' and
# '>' inside attribute values, so `[^>]*` cannot leave the tag.
_HREF = re.compile(r'(<a\s(?:[^>]*?\s)?href=")([^"]*)"')
# The path segments after which Document360 site links name a page by its slug.
_SITE_LINK_SEGMENTS = ("docs", "category")
# Search words: two or more word characters, or one that is not ASCII (a CJK character is a
# word; the "s" of "team's" is not).
_WORD = re.compile(r"\w\w+|[^\W\x00-\x7f]")
_ONE_ASCII_CHARACTER = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")
_DIACRITICS = re.compile("[\u0300-\u036f]+")
# ASCII text: letters, digits and "_" stay, everything else separates words (bytes.translate
# is several times faster than the regex on the usual all-ASCII page).
_ASCII_WORD_CHARS = bytes(
    c if (c < 128 and chr(c).isalnum()) or c == ord("_") else ord(" ") for c in range(256)
)


@dataclass
class LanguageContext:
    """What every page of one workspace language shares."""

    variables: dict[str, Any]  # the templates' site-wide values (names, labels, language)
    values: MergeCodeValues
    links: MediaLinks
    by_slug: dict[str, str]  # slug (lower-cased) -> page file name, for links in bodies


@dataclass
class PageJob:
    """One page to render: its published revision (None: an Index category's listing) and
    its place in the site (links as {"title", "href"} dicts)."""

    href: str
    title: str
    source: PageSource | None
    breadcrumbs: list[dict[str, str | None]]
    previous: dict[str, str | None] | None
    next: dict[str, str | None] | None
    children: str | None  # the subtree as static HTML, for category pages
    languages: list[dict[str, Any]]


@dataclass
class RenderedPage:
    href: str
    html: bytes
    title: str
    excerpt: str


@dataclass
class RenderedBatch:
    pages: list[RenderedPage]
    # Search word -> the positions in `pages` of the pages holding it, ascending; words in
    # sorted order (so that the index's bytes do not depend on the process's string hashing).
    terms: dict[str, list[int]]


def render_pages(context: LanguageContext, jobs: list[PageJob]) -> RenderedBatch:
    """Render a batch of pages of one language (run in a worker process for large sites)."""
    template = TEMPLATES.get_template("page.html")
    rendered: list[RenderedPage] = []
    terms: dict[str, list[int]] = {}
    for job in jobs:
        page = render_page(job.source, context.values) if job.source is not None else None
        rendered_body = page.html if page else ""
        body = page_body(rendered_body, context)
        modified = page.modified_at if page else None
        document = template.render(
            title=job.title,
            body=Markup(body),
            toc=table_of_contents(headings(body)),
            breadcrumbs=job.breadcrumbs,
            children=Markup(job.children) if job.children else None,
            previous=job.previous,
            next=job.next,
            modified=modified.isoformat() if modified else None,
            languages=job.languages,
            **context.variables,
        )
        # Text from the body before highlighting: the same words, a fraction of the tags.
        text = html.unescape(_TAG.sub(" ", rendered_body))
        start = _SPACE.sub(" ", text[: EXCERPT_CHARS * 4]).strip()
        excerpt = start[:EXCERPT_CHARS] + ("…" if len(start) > EXCERPT_CHARS else "")
        number = len(rendered)
        for word in words(f"{job.title} {text}"):
            if word in terms:
                terms[word].append(number)
            else:
                terms[word] = [number]
        rendered.append(RenderedPage(job.href, document.encode(), job.title, excerpt))
    return RenderedBatch(rendered, {word: terms[word] for word in sorted(terms)})


def warm_up() -> None:
    """Run once in each worker process as it starts: the templates compiled before the first
    batch arrives."""
    TEMPLATES.get_template("page.html")


def page_body(body: str, context: LanguageContext) -> str:
    """The rendered body as the site shows it: media and page links made relative, code
    highlighted, tables scrollable."""
    body = context.links.rewrite_html(body, UP)
    body = _rewrite_page_links(body, context.by_slug)
    return finish_html(body)


def _rewrite_page_links(body: str, by_slug: dict[str, str]) -> str:
    if "href=" not in body:
        return body

    def replace(match: re.Match[str]) -> str:
        if "docs/" not in match.group(2) and "category/" not in match.group(2):
            return match.group(0)  # the usual link, to elsewhere: decided without parsing
        url = html.unescape(match.group(2))
        parts = urlsplit(url)
        segments = [s for s in unquote(parts.path).split("/") if s]
        if len(segments) < 2 or not any(s in _SITE_LINK_SEGMENTS for s in segments[:-1]):
            return match.group(0)
        name = by_slug.get(segments[-1].lower())
        if name is None:
            return match.group(0)
        fragment = f"#{parts.fragment}" if parts.fragment else ""
        return f'{match.group(1)}{html.escape(name + fragment)}"'

    return _HREF.sub(replace, body)


def table_of_contents(found: tuple[Heading, ...]) -> list[dict[str, Any]]:
    """The "In this article" list of a page, as the templates take it."""
    return [
        {"level": heading.level, "id": heading.anchor, "text": Markup(heading.html)}
        for heading in found
    ]


def fold(text: str) -> str:
    """Lower case without accents: what the search index and site.js compare."""
    if text.isascii():
        return text.lower()
    # Exactly what site.js does: NFKD, then the combining diacritical marks block removed.
    return _DIACRITICS.sub("", unicodedata.normalize("NFKD", text)).lower()


def words(text: str) -> set[str]:
    """The distinct search words of a page's plain text, folded."""
    if text.isascii():
        found = set(text.encode().lower().translate(_ASCII_WORD_CHARS).decode().split())
        return found - _ONE_ASCII_CHARACTER
    return set(_WORD.findall(fold(text)))
