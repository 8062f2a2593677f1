"""What the reader site tells crawlers and tools: `sitemap.xml` (an index, then one sitemap
per workspace language with each public page's last publication), `robots.txt`, and
`llms.txt` (llmstxt.org: the pages as a Markdown list linking to their `.md` twins).

Private projects list nothing and ask robots to stay out; workspaces that are not public are
left out of every list.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from fastapi import APIRouter, Request
from fastapi.responses import Response

from lorebase.web.reader import READ_METHODS, Reading, Served, answer, cached_page, open_reading
from lorebase.web.reading import (
    ReaderLanguage,
    language_settings,
    publication_dates,
)
from lorebase.web.visitor import BrowserError

router = APIRouter(include_in_schema=False)

XML = "application/xml; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


@router.api_route("/robots.txt", methods=READ_METHODS)
def robots(request: Request) -> Response:
    with open_reading(request, public_only=True) as reading:
        base = reading.base
        if reading.project.is_private:
            body = "User-agent: *\nDisallow: /\n"
        else:
            body = (
                "User-agent: *\n"
                f"Disallow: {base}/_lorebase/\n"
                f"Disallow: {base}/search\n"
                "Disallow: /account/\n"
                "Disallow: /portal/\n"
                f"Sitemap: {reading.absolute(base + '/sitemap.xml')}\n"
            )
        return answer(request, Served.of(body.encode(), TEXT), private=False)


@router.api_route("/sitemap.xml", methods=READ_METHODS)
def sitemap_index(request: Request) -> Response:
    with open_reading(request, public_only=True) as reading:
        entries = []
        if not reading.project.is_private:
            for row in reading.project.workspaces:
                if not row.is_public:
                    continue
                ws = reading.workspace(row)
                for language in ws.languages.values():
                    if language.nav.reading_order:
                        href = f"{reading.base}/sitemaps/{row.slug}/{language.code}.xml"
                        entries.append(
                            f"<sitemap><loc>{escape(reading.absolute(href))}</loc></sitemap>"
                        )
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{SITEMAP_NS}">\n'
            + "\n".join(entries)
            + "\n</sitemapindex>\n"
        )
        return answer(request, Served.of(body.encode(), XML), private=False)


@router.api_route("/sitemaps/{workspace}/{lang}.xml", methods=READ_METHODS)
def sitemap(request: Request, workspace: str, lang: str) -> Response:
    with open_reading(request, workspace_slug=workspace, public_only=True) as reading:
        language = reading.ws.language(lang)
        if reading.project.is_private or not reading.row.is_public or language is None:
            raise BrowserError(404, "No sitemap here")
        served = cached_page(
            reading, ("sitemap", language.code), lambda: _sitemap(reading, language)
        )
        assert served is not None
        return answer(request, served, private=False)


def _sitemap(reading: Reading, language: ReaderLanguage) -> Served:
    """Every page readers can find (published, not hidden, not excluded from search), with
    the date of its published revision; Index categories listing only their contents are
    left out (their articles are in)."""
    ws = reading.ws
    publication_dates(reading.session, ws, language)
    language_settings(reading.session, ws, language)
    dates = language.published_at or {}
    settings = language.settings or {}
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<urlset xmlns="{SITEMAP_NS}">',
        f"<url><loc>{escape(reading.absolute(ws.home_href(language.code)))}</loc></url>",
    ]
    for node in language.nav.reading_order:
        if node.listing_only or not node.href:
            continue
        if settings.get(node.item_id, {}).get("exclude_from_search"):
            continue
        published = dates.get(node.item_id)
        lastmod = f"<lastmod>{published.date().isoformat()}</lastmod>" if published else ""
        lines.append(f"<url><loc>{escape(reading.absolute(node.href))}</loc>{lastmod}</url>")
    lines.append("</urlset>\n")
    return Served.of("\n".join(lines).encode(), XML)


@router.api_route("/llms.txt", methods=READ_METHODS)
def llms_txt(request: Request) -> Response:
    with open_reading(request, public_only=True) as reading:
        if reading.project.is_private:
            raise BrowserError(404, "Nothing to list here")
        served = cached_page(reading, ("llms.txt",), lambda: _llms_txt(reading))
        assert served is not None
        return answer(request, served, private=False)


def _llms_txt(reading: Reading) -> Served:
    """Each public workspace's default language: its pages as Markdown links to their `.md`
    twins, grouped by top-level category."""
    lines = [f"# {reading.project.name}", ""]
    for row in reading.project.workspaces:
        if not row.is_public:
            continue
        ws = reading.workspace(row)
        language = ws.language(None)
        if language is None or not language.nav.reading_order:
            continue
        language_settings(reading.session, ws, language)
        settings = language.settings or {}
        lines.append(f"## {row.name} ({language.nav.name})")
        lines.append("")
        for node in language.nav.reading_order:
            if not node.is_article or not node.href:
                continue
            if settings.get(node.item_id, {}).get("exclude_from_search"):
                continue
            # Link text: brackets would end it, and markup is shown as text.
            title = node.title.replace("[", "(").replace("]", ")")
            title = title.replace("<", "&lt;").replace(">", "&gt;")
            lines.append(f"- [{title}]({reading.absolute(node.href)}.md)")
        lines.append("")
    return Served.of("\n".join(lines).encode(), "text/markdown; charset=utf-8")
