"""The live reader site over HTTP, on both databases: every URL form, navigation, the tree,
languages, what readers may not see, sanitising and escaping, page caching across writes and
processes, bad input, search and suggestions, private projects. Crawler files:
tests/web/test_reader_seo.py. Renamed slugs: tests/web/test_reader_redirects.py."""

from __future__ import annotations

import html
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from fastapi.testclient import TestClient

from lorebase.auth import readers
from lorebase.auth.roles import Role
from lorebase.kb import feedback, workspaces
from tests.api.v2.test_drive import png
from tests.conftest import BACKENDS, Project
from tests.web.conftest import Site
from tests.web.reader_content import (
    LONG_WORDS,
    SEARCH_WORD,
    TOPICS,
    TRICKY_CATEGORY,
    TRICKY_TITLE,
    Library,
    add_workspace,
    article,
    build_library,
    category,
    edit_and_publish,
    module_project,
    ok,
    publish,
    started,
)

BASE_URL = "http://127.0.0.1:8000"  # the public URL the test settings default to
_ATTRIBUTE_URL = re.compile(r'\s(?:href|src|action|data-children|data-suggest)="([^"]*)"')
_TREE = re.compile(r'<nav id="tree"[^>]*>(.*?)</nav>', re.S)
_ARTICLE = re.compile(r"<article[^>]*>(.*?)</article>", re.S)
_HITS = re.compile(r'<ol class="search-hits">(.*?)</ol>', re.S)
_HREF = re.compile(r'href="([^"]*)"')


@pytest.fixture(scope="module", params=BACKENDS)
def library(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Library]:
    with module_project(request, tmp_path_factory.mktemp("reader")) as project:
        yield build_library(project)


@pytest.fixture(scope="module")
def help_site(library: Library) -> Iterator[TestClient]:
    """A second server process on the same database, serving the site below /help."""
    settings = library.project.settings.model_copy(update={"site_base_path": "/help"})
    with started(settings) as client:
        yield client


def get(library: Library, path: str, **kw: Any) -> Any:
    return library.get(path, **kw)


def page(library: Library, path: str) -> str:
    response = library.get(path)
    assert response.status_code == 200, (path, response.status_code, response.text[:500])
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    text: str = response.text
    return text


def tree_of(text: str) -> str:
    found = _TREE.search(text)
    assert found, "the page has no tree"
    return found.group(1)


def article_of(text: str) -> str:
    found = _ARTICLE.search(text)
    assert found, "the page has no article"
    return found.group(1)


def hits_of(text: str) -> list[str]:
    found = _HITS.search(text)
    return _HREF.findall(found.group(1)) if found else []


def pager_of(text: str) -> tuple[str | None, str | None]:
    found = re.search(r'<nav class="pager"[^>]*>(.*?)</nav>', text, re.S)
    assert found
    previous = re.search(r'rel="prev" href="([^"]*)"', found.group(1))
    following = re.search(r'rel="next" href="([^"]*)"', found.group(1))
    return (previous.group(1) if previous else None, following.group(1) if following else None)


def h1_of(text: str) -> str:
    found = re.search(r"<h1>(.*?)</h1>", text, re.S)
    assert found
    return found.group(1)


def title_of(text: str) -> str:
    found = re.search(r"<title>(.*?)</title>", text, re.S)
    assert found
    return found.group(1)


def meta(text: str, attribute: str, name: str) -> str | None:
    found = re.search(rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)">', text)
    return html.unescape(found.group(1)) if found else None


def alternates(text: str) -> dict[str, str]:
    return dict(re.findall(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', text))


def assert_themed_not_found(response: Any) -> None:
    assert response.status_code == 404, response.text[:300]
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert '<header class="site-header">' in response.text
    assert 'role="search"' in response.text and 'name="q"' in response.text
    assert "<h1>Page not found</h1>" in response.text


# --- every URL form ----------------------------------------------------------------------------


def test_the_root_is_the_main_workspace_s_home(library: Library) -> None:
    home = page(library, "/")

    assert h1_of(home) == "v1"
    assert title_of(home) == "v1 · My knowledge base"
    assert '<html lang="en">' in home
    assert 'href="/docs/install"' in tree_of(home)


def test_an_article_answers_at_its_slug_with_or_without_the_default_language(
    library: Library,
) -> None:
    for path in ("/docs/install", "/docs/en/install", "/docs/Install", "/docs/en/install/"):
        text = page(library, path)
        assert h1_of(text) == "Install", path
        assert title_of(text) == "Installing Acme · v1", path


def test_a_translation_answers_at_its_language_s_url(library: Library) -> None:
    text = page(library, "/docs/fr/install")

    assert h1_of(text) == "Installer"
    assert '<html lang="fr">' in text
    assert "Installez Acme." in article_of(text)


def test_a_second_workspace_lives_under_its_slug(library: Library) -> None:
    home = page(library, "/v2")
    migrate = page(library, "/v2/docs/migrate")

    assert h1_of(home) == "Version two"
    assert 'href="/v2/docs/migrate"' in home
    assert h1_of(migrate) == "Migrate"
    assert title_of(migrate) == "Migrate · Version two"
    assert 'href="/v2/docs/en/category/upgrading"' in migrate
    # Each workspace serves its own articles only.
    assert_themed_not_found(get(library, "/v2/docs/install"))
    assert_themed_not_found(get(library, "/docs/migrate"))


def test_a_language_home_shows_that_language_s_tree(library: Library) -> None:
    text = page(library, "/docs/fr")

    assert '<html lang="fr">' in text
    assert h1_of(text) == "v1"
    tree = tree_of(text)
    assert 'href="/docs/fr/install"' in tree and ">Installer<" in tree
    assert "/docs/configure" not in tree  # no French translation published


def test_a_folder_lists_what_it_holds(library: Library) -> None:
    text = page(library, "/docs/en/category/guides")

    assert h1_of(text) == "Guides"
    listing = article_of(text)
    assert '<section class="children">' in listing
    for href in ("/docs/install", "/docs/configure", "/docs/en/category/advanced", "/docs/tuning"):
        assert f'href="{href}"' in listing, href


def test_an_index_category_lists_its_articles(library: Library) -> None:
    text = page(library, "/docs/en/category/reference")

    assert h1_of(text) == "Reference"
    assert 'href="/docs/limits"' in article_of(text)


def test_a_page_category_shows_its_published_body(library: Library) -> None:
    text = page(library, "/docs/en/category/welcome")

    assert h1_of(text) == "Welcome"
    assert "<p>Welcome aboard, reader.</p>" in article_of(text)


def test_a_tag_page_lists_the_articles_carrying_it_in_reading_order(library: Library) -> None:
    text = page(library, "/docs/en/tags/setup")
    other = page(library, "/docs/en/tags/getting%20started")

    assert h1_of(text) == "Articles tagged “setup”"
    assert re.findall(r'<li><a href="([^"]*)">', text) == ["/docs/install", "/docs/tuning"]
    assert h1_of(other) == "Articles tagged “Getting started”"
    assert meta(text, "name", "robots") == "noindex"


def test_under_a_base_path_every_link_of_a_page_starts_with_it(
    library: Library, help_site: TestClient
) -> None:
    paths = [
        "/help/",
        "/help/docs/install",
        "/help/docs/fr/configure",
        "/help/docs/en/category/guides",
        "/help/docs/en/tags/setup",
        f"/help/search?q={SEARCH_WORD}",
        "/help/v2/docs/migrate",
        "/help/docs/nowhere",
    ]
    for path in paths:
        response = help_site.get(path)
        assert response.status_code in (200, 404), path
        links = _ATTRIBUTE_URL.findall(response.text)
        assert len(links) > 5, path
        for link in links:
            link = html.unescape(link)
            assert link.startswith(("/help/", "#", f"{BASE_URL}/help/")), (path, link)
    assert h1_of(help_site.get("/help/docs/install").text) == "Install"
    assert h1_of(help_site.get("/help/v2/docs/migrate").text) == "Migrate"


def test_under_a_base_path_the_site_is_not_at_the_root(help_site: TestClient) -> None:
    for path in ("/docs/install", "/docs/en/category/guides", "/v2/docs/migrate"):
        response = help_site.get(path, follow_redirects=False)
        assert response.status_code == 404, path
        assert "<h1>Install</h1>" not in response.text


# --- navigation --------------------------------------------------------------------------------


def test_breadcrumbs_lead_from_the_workspace_home_through_each_category(
    library: Library,
) -> None:
    text = page(library, "/docs/tuning")
    crumbs = re.search(r'<nav class="breadcrumbs"[^>]*>(.*?)</nav>', text, re.S)

    assert crumbs
    assert re.findall(r'<a href="([^"]*)">([^<]*)</a>', crumbs.group(1)) == [
        ("/", "v1"),
        ("/docs/en/category/guides", "Guides"),
        ("/docs/en/category/advanced", "Advanced"),
    ]


READING_ORDER = [
    "/docs/install",
    "/docs/configure",
    "/docs/unlisted",
    "/docs/changelog",
    "/docs/scripted",
    "/docs/script-alert-t-script-tricky-quoted",
    "/docs/caf%C3%A9-cr%C3%A8me",
    "/docs/tuning",
    *[f"/docs/topic-{n}" for n in range(1, TOPICS + 1)],
    "/docs/en/category/reference",
    "/docs/limits",
    "/docs/long-read",
    "/docs/en/category/welcome",
    "/docs/inside-corner",
]


def test_previous_and_next_follow_the_tree_order(library: Library) -> None:
    """Articles of a category before its sub-categories; hidden articles, drafts and hidden
    categories skipped; Index and Page categories in the order as pages of their own."""
    walked = []
    path: str | None = READING_ORDER[0]
    previous = None
    while path is not None:
        walked.append(path)
        back, path = pager_of(page(library, path))
        assert back == previous, walked[-1]
        previous = walked[-1]
        assert len(walked) <= len(READING_ORDER)

    assert walked == READING_ORDER


def test_on_this_page_lists_the_article_s_h2_and_h3_headings(library: Library) -> None:
    text = page(library, "/docs/install")
    toc = re.search(r'<nav class="toc"[^>]*>(.*?)</nav>', text, re.S)

    assert toc
    assert re.findall(r'<li class="toc-(\d)"><a href="#([^"]*)">([^<]*)</a>', toc.group(1)) == [
        ("2", "requirements", "Requirements"),
        ("3", "disk-space", "Disk space"),
        ("2", "steps", "Steps"),
    ]
    body = article_of(text)
    assert '<h2 id="requirements">' in body and '<h3 id="disk-space">' in body


def test_an_article_shows_its_read_time_and_last_update(library: Library) -> None:
    short = page(library, "/docs/install")
    long = page(library, "/docs/long-read")
    versions = ok(library.project.get(f"/v2/Articles/{library.ids['install']}/en/versions"))
    published = next(v for v in versions if v["version_number"] == 1)

    assert "1 min read" in short
    assert f"{-(-LONG_WORDS // 200)} min read" in long
    updated = re.search(r'Updated <time datetime="([^"]+)">(\d{4}-\d\d-\d\d)</time>', short)
    assert updated
    assert updated.group(1)[:10] == updated.group(2)
    assert updated.group(2) == str(published["created_at"])[:10]


def test_related_articles_and_tags_link_to_their_pages(library: Library) -> None:
    text = page(library, "/docs/install")
    related = re.search(r'<section class="related"[^>]*>(.*?)</section>', text, re.S)
    tags = re.search(r'<p class="tags">(.*?)</p>', text, re.S)

    assert related and re.findall(r'<a href="([^"]*)">([^<]*)</a>', related.group(1)) == [
        ("/docs/configure", "Configure")
    ]
    assert tags and re.findall(r'<a href="([^"]*)" rel="tag">([^<]*)</a>', tags.group(1)) == [
        ("/docs/en/tags/setup", "setup"),
        ("/docs/en/tags/Getting%20started", "Getting started"),
    ]
    for href, _ in re.findall(r'<a href="([^"]*)" rel="tag">([^<]*)</a>', tags.group(1)):
        assert get(library, href).status_code == 200, href


# --- the tree ----------------------------------------------------------------------------------


def test_the_current_branch_is_drawn_open_and_marks_the_page(library: Library) -> None:
    tree = tree_of(page(library, "/docs/tuning"))

    assert '<a href="/docs/tuning" aria-current="page">Tuning</a>' in tree
    assert tree.count('aria-current="page"') == 1
    assert re.search(r'aria-expanded="true" aria-label="Guides"', tree)
    assert re.search(r'aria-expanded="true" aria-label="Advanced"', tree)
    # Other branches are collapsed: their children are not in the page.
    assert re.search(r'aria-expanded="false" aria-label="Reference"', tree)
    assert "/docs/limits" not in tree


def test_a_collapsed_branch_names_a_fragment_that_answers_its_children(
    library: Library,
) -> None:
    tree = tree_of(page(library, "/docs/tuning"))
    reference = re.search(r'aria-label="Reference" data-children="([^"]+)"', tree)

    assert reference
    fragment = get(library, html.unescape(reference.group(1)))
    assert fragment.status_code == 200
    assert fragment.text.startswith("<ul>")
    assert re.findall(r'<a href="([^"]*)">', fragment.text) == ["/docs/limits", "/docs/long-read"]
    assert "<html" not in fragment.text


def test_the_home_does_not_inline_the_whole_tree(library: Library) -> None:
    tree = tree_of(page(library, "/"))

    # The top level and its children; deeper levels come from their fragments.
    assert 'href="/docs/en/category/guides"' in tree and 'href="/docs/install"' in tree
    assert 'href="/docs/en/category/advanced"' in tree
    assert "/docs/tuning" not in tree and "/docs/topic-1" not in tree
    advanced = re.search(r'aria-label="Advanced" data-children="([^"]+)"', tree)
    assert advanced
    children = get(library, html.unescape(advanced.group(1))).text
    assert 'href="/docs/tuning"' in children and 'href="/docs/topic-12"' in children


def test_a_fragment_of_an_unknown_or_hidden_category_is_not_found(library: Library) -> None:
    workspace = library.project.workspace_id
    for item in ("nope", library.ids["secret"], library.ids["install"] + "x"):
        response = get(library, f"/_lorebase/tree/{workspace}/en/{item}")
        assert response.status_code == 404, item
    assert (
        get(library, f"/_lorebase/tree/{workspace}/xx/{library.ids['guides']}").status_code == 404
    )


# --- languages and search engines ---------------------------------------------------------------


def test_the_language_switcher_keeps_the_article(library: Library) -> None:
    text = page(library, "/docs/install")
    switcher = re.search(r'<nav class="languages" aria-label="Languages">(.*?)</nav>', text, re.S)

    assert switcher
    assert dict(re.findall(r'<a href="([^"]*)" hreflang="([^"]*)"', switcher.group(1))) == {
        "/docs/install": "en",
        "/docs/de/install": "de",
        "/docs/fr/install": "fr",
    }


def workspace_links(text: str) -> dict[str, str]:
    """The workspace switcher's links: name -> href."""
    switcher = re.search(r'<nav class="languages workspaces-switch"[^>]*>(.*?)</nav>', text, re.S)
    assert switcher, "the page has no workspace switcher"
    links = re.findall(r'<a href="([^"]*)"(?: aria-current="true")?>([^<]*)</a>', switcher.group(1))
    return {html.unescape(name): html.unescape(href) for href, name in links}


def test_the_workspace_switcher_keeps_the_article_when_the_other_workspace_has_it(
    project: Project,
) -> None:
    guides, _ = _small_site(project)
    article(project, guides, "Configure", "Only the first workspace has it.")
    article(project, guides, "Roadmap", "Published here, a draft there.")
    article(project, guides, "Internal", "Published here, hidden there.")
    second = add_workspace(project, "v2", "Version two")
    upgrading = category(project, "Upgrading", workspace=second)
    article(project, upgrading, "Install", "Install version two.", workspace=second)
    roadmap = article(project, upgrading, "Roadmap", "Not yet.", workspace=second, published=False)
    hidden = article(project, upgrading, "Internal", "Staff only.", workspace=second)
    ok(project.put(f"/v2/Articles/{hidden}/en", json={"hidden": True}))

    def links(path: str) -> dict[str, str]:
        response = project.client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return workspace_links(response.text)

    assert links("/docs/install") == {"v1": "/", "Version two": "/v2/docs/install"}
    assert links("/v2/docs/install") == {"v1": "/docs/install", "Version two": "/v2"}
    # Not in the other workspace, not published there, hidden there: its home.
    for slug in ("configure", "roadmap", "internal"):
        assert links(f"/docs/{slug}") == {"v1": "/", "Version two": "/v2"}, slug
    # Published there later: the first workspace's page, drawn and kept before, links to it
    # (pages are kept while no workspace of the project changes, the fast path's too).
    assert links("/docs/roadmap") == {"v1": "/", "Version two": "/v2"}
    publish(project, roadmap)
    assert links("/docs/roadmap") == {"v1": "/", "Version two": "/v2/docs/roadmap"}


def test_a_language_without_the_translation_shows_the_default_article_with_a_notice(
    library: Library,
) -> None:
    for path, language in (("/docs/fr/configure", "French"), ("/docs/de/install", "German")):
        text = page(library, path)
        assert f"This article is not available in {language}; it is shown in English." in text
        assert '<article lang="en">' in text
        assert meta(text, "name", "robots") == "noindex"
        assert 'rel="canonical"' not in text
    assert "Configure it in the settings file." in page(library, "/docs/fr/configure")


def test_hreflang_alternates_name_every_translation_and_x_default(library: Library) -> None:
    expected = {
        "en": f"{BASE_URL}/docs/install",
        "fr": f"{BASE_URL}/docs/fr/install",
        "x-default": f"{BASE_URL}/docs/install",
    }
    assert alternates(page(library, "/docs/install")) == expected
    assert alternates(page(library, "/docs/fr/install")) == expected
    # An article in one language only names no alternates.
    assert alternates(page(library, "/docs/tuning")) == {}


def test_the_canonical_url_is_the_article_s_own_address(library: Library) -> None:
    for path in ("/docs/install", "/docs/en/install", "/docs/INSTALL"):
        text = page(library, path)
        assert f'<link rel="canonical" href="{BASE_URL}/docs/install">' in text, path
    assert f'<link rel="canonical" href="{BASE_URL}/docs/fr/install">' in page(
        library, "/docs/fr/install"
    )


def test_description_and_open_graph_come_from_the_article_settings(library: Library) -> None:
    text = page(library, "/docs/install")

    assert meta(text, "name", "description") == "How to install Acme on any computer."
    assert meta(text, "property", "og:description") == "How to install Acme on any computer."
    assert meta(text, "property", "og:title") == "Installing Acme"
    assert meta(text, "property", "og:type") == "article"
    assert meta(text, "property", "og:url") == f"{BASE_URL}/docs/install"
    assert meta(text, "property", "og:site_name") == "My knowledge base"
    assert meta(text, "property", "og:locale") == "en"
    assert meta(text, "name", "robots") is None
    assert '<link rel="alternate" type="text/markdown" href="/docs/install.md">' in text


def test_an_article_excluded_from_search_is_noindex_and_not_in_search(library: Library) -> None:
    text = page(library, "/docs/unlisted")
    found = page(library, "/search?q=quokka")

    assert meta(text, "name", "robots") == "noindex"
    assert hits_of(found) == []
    assert "/docs/unlisted" not in hits_of(page(library, f"/search?q={SEARCH_WORD}&page=2"))
    suggestions = get(library, _suggest(library, "quokka")).json()
    assert suggestions["hits"] == []


# --- what readers may not see -------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/docs/internal",  # hidden article
        "/docs/buried",  # published, below a hidden category
        "/docs/en/category/secret",  # hidden category
        "/docs/roadmap",  # draft only
        "/docs/fr/roadmap",
        "/docs/roadmap.md",
        "/docs/xx/install",  # a language the workspace does not have
        "/docs/xx",
        "/nosuch/docs/install",  # no such workspace
        "/nosuch",
        "/docs/never-written",
        "/docs/en/category/nosuch",
        "/docs/en/tags/nosuch",
        "/docs/en/category/guides/extra",
    ],
)
def test_what_readers_may_not_see_is_a_themed_not_found_page(library: Library, path: str) -> None:
    assert_themed_not_found(get(library, path))


def test_hidden_and_draft_text_reaches_no_page_search_or_tree(library: Library) -> None:
    home = page(library, "/")
    guides = page(library, "/docs/en/category/guides")
    for word in ("xylophonist", "quetzalcoatl", "ptarmigan", "okapi"):
        assert hits_of(page(library, f"/search?q={word}")) == [], word
        assert get(library, _suggest(library, word)).json()["hits"] == [], word
    for title in ("Internal", "Roadmap", "Buried", "Secret"):
        assert f">{title}<" not in home and f">{title}<" not in guides, title


def test_an_article_edited_after_publication_shows_its_published_revision(
    library: Library,
) -> None:
    text = article_of(page(library, "/docs/changelog"))
    markdown = get(library, "/docs/changelog.md").text

    assert "Version one of the changelog." in text and "Version two" not in text
    assert "Version one of the changelog." in markdown and "Version two" not in markdown


# --- bodies: merge codes, sanitising, escaping ---------------------------------------------------


def test_merge_codes_are_resolved_in_the_body(library: Library) -> None:
    body = article_of(page(library, "/docs/install"))

    assert "Install Acme in a minute." in body
    assert "{{" not in body


def test_a_script_in_an_article_body_never_reaches_the_page(library: Library) -> None:
    body = article_of(page(library, "/docs/scripted"))

    assert "Safe words" in body
    assert "<script" not in body and "alert(" not in body
    assert "onerror" not in body and "javascript:" not in body


def test_a_title_with_markup_is_escaped_everywhere(library: Library) -> None:
    raw_title, raw_category = "<script>alert(", "<img src=x"
    slug = library.tricky_slug
    pages = {
        "tree": page(library, "/"),
        "article": page(library, f"/docs/{slug}"),
        "breadcrumbs": page(library, "/docs/inside-corner"),
        "search": page(library, "/search?q=tricky"),
        "neighbour": page(library, "/docs/scripted"),
    }
    for where, text in pages.items():
        assert raw_title not in text and raw_category not in text, where
    article_page = pages["article"]
    assert html.unescape(h1_of(article_page)) == TRICKY_TITLE
    assert html.unescape(title_of(article_page)) == f"{TRICKY_TITLE} · v1"
    assert html.escape(TRICKY_CATEGORY, quote=False) in pages["breadcrumbs"]
    assert f"/docs/{slug}" in hits_of(pages["search"])
    suggestions = get(library, _suggest(library, "tricky"))
    assert suggestions.headers["content-type"] == "application/json"
    hit = suggestions.json()["hits"][0]
    # JSON carries the title as text (site.js sets it as text); the snippet is escaped HTML.
    assert hit["title"] == TRICKY_TITLE
    assert "<script" not in hit["snippet"]
    sitemap = get(library, "/sitemaps/v1/en.xml").text
    ET.fromstring(sitemap)
    assert "<script" not in sitemap and "<img" not in sitemap


# --- caching -----------------------------------------------------------------------------------


def test_pages_carry_an_etag_and_answer_304_to_a_reader_who_has_them(library: Library) -> None:
    first = get(library, "/docs/install")
    etag = first.headers["etag"]

    assert re.fullmatch(r'"[0-9a-f]+"', etag)
    assert get(library, "/docs/install").headers["etag"] == etag
    again = get(library, "/docs/install", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    assert get(library, "/docs/install", headers={"If-None-Match": f"W/{etag}"}).status_code == 304
    stale = get(library, "/docs/install", headers={"If-None-Match": '"0000"'})
    assert stale.status_code == 200 and "<h1>Install</h1>" in stale.text


# Every kind of page: home, a folder category, a tag, the search, a sitemap, an article.
CONDITIONAL_PATHS = [
    "/",
    "/docs/en/category/guides",
    "/docs/en/tags/setup",
    f"/search?q={SEARCH_WORD}",
    "/sitemaps/v1/en.xml",
    "/docs/install",
]
VALIDATORS = ("etag", "last-modified", "cache-control")


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def validators(response: Any) -> dict[str, str | None]:
    return {name: response.headers.get(name) for name in VALIDATORS}


def same_headers(response: Any) -> dict[str, str]:
    """The headers that are the same for every answer of a page (not the request's id)."""
    return {k: v for k, v in response.headers.items() if k != "x-request-id"}


@pytest.mark.parametrize("path", CONDITIONAL_PATHS)
def test_every_page_carries_a_last_modified_that_holds_until_content_changes(
    library: Library, help_site: TestClient, path: str
) -> None:
    first = get(library, path)
    again = get(library, path)
    elsewhere = help_site.get("/help" + path)

    assert first.status_code == 200 and re.fullmatch(r'"[0-9a-f]+"', first.headers["etag"])
    modified = parsedate_to_datetime(first.headers["last-modified"])
    assert first.headers["last-modified"] == http_date(modified)  # IMF-fixdate, in GMT
    assert modified <= datetime.now(UTC)
    assert again.headers["last-modified"] == first.headers["last-modified"]
    # Another server process dates the page alike.
    assert elsewhere.headers["last-modified"] == first.headers["last-modified"]


def test_a_kept_page_is_answered_as_its_route_answered_it(library: Library) -> None:
    with started(library.project.settings) as other:
        for path in CONDITIONAL_PATHS:
            routed, kept = other.get(path), other.get(path)
            assert routed.status_code == kept.status_code == 200, path
            assert kept.content == routed.content, path
            assert same_headers(kept) == same_headers(routed), path
            assert kept.headers["last-modified"] == get(library, path).headers["last-modified"]


@pytest.mark.parametrize("condition", ["If-None-Match", "If-Modified-Since"])
def test_every_page_answers_304_to_a_reader_who_has_it(library: Library, condition: str) -> None:
    full = {path: get(library, path) for path in CONDITIONAL_PATHS}
    # A process of its own: its routes answer first, then its fast path (pages kept).
    with started(library.project.settings) as other:
        for path, response in full.items():
            value = response.headers["etag" if condition == "If-None-Match" else "last-modified"]
            routed = other.get(path, headers={condition: value})
            kept = other.get(path, headers={condition: value})
            for answer in (routed, kept):
                assert answer.status_code == 304, (path, answer.status_code)
                assert answer.content == b""
                assert validators(answer) == validators(response), path
                assert "content-type" not in answer.headers, path
            assert same_headers(routed) == same_headers(kept), path


@pytest.mark.parametrize("path", ["/", f"/search?q={SEARCH_WORD}", "/sitemaps/v1/en.xml"])
def test_if_modified_since_is_asked_only_without_if_none_match_and_to_the_second(
    library: Library, path: str
) -> None:
    full = get(library, path)
    modified = parsedate_to_datetime(full.headers["last-modified"])
    second = timedelta(seconds=1)

    def status(**headers: str) -> int:
        code: int = get(library, path, headers=headers).status_code
        return code

    for same in (
        http_date(modified),
        http_date(modified + second),
        modified.strftime("%a %b %d %H:%M:%S %Y"),  # asctime
        modified.strftime("%A, %d-%b-%y %H:%M:%S GMT"),  # RFC 850
    ):
        assert status(**{"If-Modified-Since": same}) == 304, same
    for changed in (http_date(modified - second), "yesterday", "Mon, 32 Foo 2020 99:00:00 GMT"):
        assert status(**{"If-Modified-Since": changed}) == 200, changed
    # If-None-Match, when sent, is the one asked.
    stale = {"If-None-Match": '"0000"', "If-Modified-Since": http_date(modified)}
    assert status(**stale) == 200
    current = {"If-None-Match": full.headers["etag"], "If-Modified-Since": "Mon, 1 Jan 1990"}
    assert status(**current) == 304
    full_again = get(library, path, headers={"If-Modified-Since": http_date(modified - second)})
    assert full_again.content == full.content
    assert validators(full_again) == validators(full)


def test_a_write_moves_the_last_modified_of_the_pages_it_changes(project: Project) -> None:
    guides, _ = _small_site(project)
    paths = ["/", "/docs/en/category/guides", "/sitemaps/v1/en.xml"]
    before = {path: project.client.get(path) for path in paths}
    time.sleep(1.05 - time.time() % 1)  # Last-Modified has whole seconds

    article(project, guides, "Later", "Written afterwards.")

    for path in paths:
        since = {"If-Modified-Since": before[path].headers["last-modified"]}
        after = project.client.get(path, headers=since)
        assert after.status_code == 200, path
        assert parsedate_to_datetime(after.headers["last-modified"]) > parsedate_to_datetime(
            before[path].headers["last-modified"]
        ), path
        assert "/docs/later" in after.text, path


def _small_site(project: Project) -> tuple[str, str]:
    guides = category(project, "Guides")
    return guides, article(project, guides, "Install", "The first words.")


def test_an_api_write_shows_new_content_with_a_new_etag(project: Project) -> None:
    _, install = _small_site(project)
    before = project.client.get("/docs/install")
    assert "The first words." in before.text

    edit_and_publish(project, install, "The second words.")
    after = project.client.get("/docs/install")
    revalidated = project.client.get(
        "/docs/install", headers={"If-None-Match": before.headers["etag"]}
    )

    assert after.status_code == 200
    assert "The second words." in after.text and "The first words." not in after.text
    assert after.headers["etag"] != before.headers["etag"]
    assert revalidated.status_code == 200 and "The second words." in revalidated.text


def test_a_write_through_one_server_process_is_seen_by_another(project: Project) -> None:
    guides, install = _small_site(project)
    with started(project.settings) as other:
        assert "The first words." in other.get("/docs/install").text
        assert "/docs/later" not in other.get("/").text

        edit_and_publish(project, install, "The second words.")
        article(project, guides, "Later", "Written afterwards.")

        assert "The second words." in other.get("/docs/install").text
        assert 'href="/docs/later"' in other.get("/").text
        assert other.get("/docs/later").status_code == 200


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/docs/%00",
        "/docs/a%00b",
        "/docs/%ff",
        "/docs/%FF%FE",
        "/docs/%2e%2e",
        "/docs/%2e%2e/%2e%2e/etc/passwd",
        "/docs/en/..%2f..%2fetc",
        "/docs/%E2%80%AE",
        "/docs/%F0%9F%98%80",
        "/docs/%20",
        "/docs/.md",
        "/v2/docs/%00",
        "/%00/docs/install",
        "/docs/en/tags/%00",
        "/docs/en/category/%ff",
    ],
)
def test_odd_characters_in_a_path_get_a_themed_not_found_page(library: Library, path: str) -> None:
    assert_themed_not_found(get(library, path))


def test_a_unicode_slug_answers_its_article(library: Library) -> None:
    slug = quote("café-crème")
    for path in (f"/docs/{slug}", f"/docs/en/{quote('CAFÉ-CRÈME')}"):
        assert h1_of(page(library, path)) == "Café crème", path


@pytest.mark.parametrize("path", ["/docs/", "/v2/docs/", "/docs/en/category/", "/nosuch/docs/"])
def test_a_path_longer_than_1024_characters_is_a_themed_bad_request(
    library: Library, path: str
) -> None:
    response = get(library, path + "a" * 1100)

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert '<header class="site-header">' in response.text


@pytest.mark.parametrize(
    "query",
    [
        "%00%01%02%1f%7f",
        "x" * 10_000,
        "%3Cscript%3Ealert(1)%3C/script%3E",
        "%27%20OR%201%3D1--%20%22",
        "%27%3B%20DROP%20TABLE%20articles%3B--",
        "%ED%A0%80",  # a lone surrogate, as UTF-8 bytes
        "%uD800",
        "%ff%fe%fd",
        "%5C%25_%25",
        "*",
        "%22",
        "(",
        "a%20AND%20OR%20NOT",
        "%E2%80%AE%F0%9F%98%80",
        "&q=twice",
    ],
)
def test_a_search_for_any_bytes_answers_a_page(library: Library, query: str) -> None:
    response = get(library, f"/search?q={query}")

    assert response.status_code in (200, 400), response.text[:300]
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "<script>alert(1)" not in response.text
    suggest = get(library, _suggest(library, query))
    assert suggest.status_code in (200, 400)


def test_a_searched_script_is_shown_as_text(library: Library) -> None:
    text = page(library, "/search?q=%3Cscript%3Ealert(1)%3C/script%3E")

    assert "<script>alert(1)" not in text
    assert 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in text


@pytest.mark.parametrize("number", ["abc", "-1", "0", "1.5", ""])
def test_a_result_page_that_is_not_a_positive_number_shows_the_first(
    library: Library, number: str
) -> None:
    text = page(library, f"/search?q={SEARCH_WORD}&page={number}")

    assert hits_of(text) == hits_of(page(library, f"/search?q={SEARCH_WORD}"))


@pytest.mark.parametrize("number", ["99999", "9" * 50, "1" + "0" * 400])
def test_a_huge_result_page_number_answers_a_search_page(library: Library, number: str) -> None:
    text = page(library, f"/search?q={SEARCH_WORD}&page={number}")

    assert f'value="{SEARCH_WORD}"' in text


def test_a_result_page_past_the_last_shows_no_hits(library: Library) -> None:
    text = page(library, f"/search?q={SEARCH_WORD}&page=50")

    assert hits_of(text) == []
    assert pager_of(text)[1] is None


# --- search -----------------------------------------------------------------------------------


def _suggest(library: Library, query: str, workspace: str = "", lang: str = "en") -> str:
    return (
        f"/_lorebase/suggest?workspace={workspace or library.project.workspace_id}"
        f"&lang={lang}&q={query}"
    )


def _all_hits(library: Library, path: str) -> list[str]:
    found: list[str] = []
    number = 1
    while True:
        hits = hits_of(page(library, f"{path}&page={number}"))
        if not hits:
            return found
        found += hits
        number += 1


def test_search_results_are_scoped_to_the_workspace_and_language(library: Library) -> None:
    english = _all_hits(library, f"/search?q={SEARCH_WORD}")
    french = _all_hits(library, f"/search?q={SEARCH_WORD}&lang=fr")
    second = _all_hits(library, f"/v2/search?q={SEARCH_WORD}")

    assert "/docs/install" in english and "/docs/topic-12" in english
    assert all(href.startswith("/docs/") and "/fr/" not in href for href in english)
    assert french == ["/docs/fr/install"]
    assert second == ["/v2/docs/migrate"]


def test_search_hits_show_a_highlighted_snippet_and_their_category_path(
    library: Library,
) -> None:
    text = page(library, "/search?q=tuning")
    hit = re.search(r'<li><a href="/docs/tuning">Tuning</a>(.*?)</li>', text, re.S)

    assert hit
    assert '<span class="muted path">Guides › Advanced</span>' in hit.group(1)
    assert "<em>tuning</em>" in hit.group(1).lower()


def test_search_results_are_paginated_with_links(library: Library) -> None:
    first = page(library, f"/search?q={SEARCH_WORD}")
    following = page(library, f"/search?q={SEARCH_WORD}&page=2")
    everything = _all_hits(library, f"/search?q={SEARCH_WORD}")

    assert len(hits_of(first)) == 10
    assert pager_of(first) == (None, f"/search?q={SEARCH_WORD}&amp;lang=en&amp;page=2")
    assert pager_of(following)[0] == f"/search?q={SEARCH_WORD}&amp;lang=en&amp;page=1"
    assert pager_of(following)[1] is None
    assert len(everything) == len(set(everything))
    # Every visible article holding the word, the excluded one left out, once each.
    assert "/docs/unlisted" not in everything
    assert len(everything) == 4 + TOPICS
    assert f"{len(everything)} articles match “{SEARCH_WORD}”." in first


def test_the_search_page_works_without_scripts(library: Library) -> None:
    text = page(library, "/search")

    form = re.search(
        r'<form class="search-page" role="search" method="get" action="/search">', text
    )
    assert form
    assert '<input id="search-page-q" type="search" name="q" value=""' in text
    assert '<input type="hidden" name="lang" value="en">' in text
    assert '<button type="submit">Search</button>' in text
    # Every page's header carries the same plain form.
    header = page(library, "/docs/install")
    assert '<form class="search-form" role="search" method="get" action="/search">' in header
    assert 'name="q"' in header


def test_suggestions_are_json_hits_with_title_link_path_and_snippet(library: Library) -> None:
    response = get(library, _suggest(library, "tuning"))

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"hits", "none"}
    assert body["hits"][0] == {
        "title": "Tuning",
        "href": "/docs/tuning",
        "path": "Guides › Advanced",
        "snippet": body["hits"][0]["snippet"],
    }
    assert "<em>" in body["hits"][0]["snippet"].lower()
    assert len(get(library, _suggest(library, SEARCH_WORD)).json()["hits"]) <= 8
    french = get(library, _suggest(library, SEARCH_WORD, lang="fr")).json()["hits"]
    assert [hit["href"] for hit in french] == ["/docs/fr/install"]
    second = get(library, _suggest(library, SEARCH_WORD, workspace=library.second)).json()
    assert [hit["href"] for hit in second["hits"]] == ["/v2/docs/migrate"]


def test_a_search_that_finds_nothing_is_counted(library: Library) -> None:
    for query in ("Wombat  Grooming", "wombat grooming"):
        assert hits_of(page(library, f"/search?q={quote(query)}")) == []
    page(library, f"/search?q={SEARCH_WORD}")

    with library.project.session() as session:
        misses = feedback.search_misses(session, library.project.workspace_id, "en")
    counted = {miss.query: miss.count for miss in misses}
    assert counted.get("wombat grooming") == 2
    assert SEARCH_WORD not in counted


# --- private projects and workspaces -------------------------------------------------------------


def make_private(project: Project) -> None:
    with project.session() as session:
        workspaces.set_privacy(session, project.project_id, True)


def test_a_private_project_sends_anonymous_readers_to_sign_in(project: Project, site: Site) -> None:
    guides, _ = _small_site(project)
    make_private(project)
    browser = site.browser()

    paths = [
        "/docs/install",
        "/docs/install.md",
        "/",
        "/search?q=install",
        "/docs/en/category/guides",
        f"/_lorebase/tree/{project.workspace_id}/en/{guides}",
        f"/_lorebase/suggest?workspace={project.workspace_id}&lang=en&q=first",
    ]
    for path in paths:
        response = browser.get(path)
        assert response.status_code == 303, path
        location = urlsplit(response.headers["location"])
        assert location.path == "/account/signin"
        assert parse_qs(location.query)["next"] == [path]
        assert "first words" not in response.text


def test_a_signed_in_reader_reads_a_private_page_cached_privately(
    project: Project, site: Site
) -> None:
    _small_site(project)
    make_private(project)
    reader = site.signed_in(Role.READER, "rita@example.com")

    response = reader.get("/docs/install")

    assert response.status_code == 200
    assert "The first words." in response.text
    assert response.headers["cache-control"].startswith("private")
    assert meta(response.text, "name", "robots") == "noindex"


def test_a_reader_in_a_group_without_the_workspace_gets_not_found(
    project: Project, site: Site
) -> None:
    _small_site(project)
    make_private(project)
    elsewhere = add_workspace(project, "partners", "Partners")
    rita = site.add_account("rita@example.com", Role.READER)
    with project.session() as session:
        group = readers.create_group(session, project.project_id, "Partners", [elsewhere])
        readers.add_member(
            session, group, workspaces.require_user(session, project.project_id, rita)
        )
    reader = site.browser()
    assert reader.sign_in("rita@example.com").status_code == 303

    assert reader.get("/docs/install").status_code == 404
    assert reader.get("/partners").status_code == 200


def test_a_private_project_asks_robots_to_stay_out_and_lists_no_sitemaps(
    project: Project,
) -> None:
    _small_site(project)
    make_private(project)

    robots = project.client.get("/robots.txt")
    index = project.client.get("/sitemap.xml")

    assert robots.status_code == 200
    assert robots.text.splitlines() == ["User-agent: *", "Disallow: /"]
    assert index.status_code == 200
    assert list(ET.fromstring(index.text)) == []
    assert project.client.get("/sitemaps/v1/en.xml").status_code == 404
    assert project.client.get("/llms.txt").status_code == 404


def test_media_links_in_a_private_page_are_signed(project: Project, site: Site) -> None:
    folder = ok(
        project.post(
            "/v2/Drive/Folders",
            json={"title": "Images", "user_id": project.owner_id},
        )
    )["media_folder_id"]
    uploaded = ok(
        project.post(
            "/v2/Drive/Folders/Files",
            params={"DriveFolderId": folder, "UserId": project.owner_id},
            files=[("files", ("logo.png", png(), "image/png"))],
        )
    )[0]
    url = uploaded["file_url"]
    guides = category(project, "Guides")
    article(project, guides, "Pictures", f"![logo]({url})")
    make_private(project)
    reader = site.signed_in(Role.READER, "rita@example.com")

    text = reader.get("/docs/pictures").text

    found = re.search(r'<img src="([^"]+)"', text)
    assert found
    signed = urlsplit(html.unescape(found.group(1)))
    assert f"{signed.scheme}://{signed.netloc}{signed.path}" == url
    query = parse_qs(signed.query)
    assert query["se"][0].isdigit() and re.fullmatch(r"[0-9a-f]{16,}", query["sig"][0])


def test_a_workspace_that_is_not_public_needs_a_signed_in_reader(library: Library) -> None:
    response = get(library, "/internal/docs/payroll")

    assert response.status_code == 303
    assert response.headers["location"] == "/account/signin?next=%2Finternal%2Fdocs%2Fpayroll"
    assert "payroll" not in page(library, "/").lower()


# --- the whole site ----------------------------------------------------------------------------


def test_every_link_of_the_public_site_answers_without_a_redirect(library: Library) -> None:
    """A crawl from `/` through every link the pages name (assets and sign-in aside)."""
    found_on: dict[str, str] = {"/": ""}
    status: dict[str, int] = {}
    queue = ["/"]
    while queue:
        path = queue.pop()
        if path in status:
            continue
        response = get(library, path)
        status[path] = response.status_code
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        for link in _ATTRIBUTE_URL.findall(response.text):
            link = html.unescape(link).split("#")[0]
            if link.startswith(BASE_URL):
                link = link.removeprefix(BASE_URL) or "/"
            if not link.startswith("/") or link.startswith(("/_lorebase/assets/", "/account")):
                continue
            if link.startswith(("/_lorebase/suggest", "/_lorebase/feedback")):
                continue
            found_on.setdefault(link, path)
            queue.append(link)

    assert len(status) > 40
    broken = {
        f"{path} (linked from {found_on[path]})": code
        for path, code in status.items()
        if code != 200
    }
    # The workspace that is not public is linked for readers who may sign in to it.
    signing_in = {
        key for key, code in broken.items() if key.startswith("/internal") and code == 303
    }
    assert {key: code for key, code in broken.items() if key not in signing_in} == {}
