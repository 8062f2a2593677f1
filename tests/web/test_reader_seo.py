"""What the reader site tells crawlers and tools, on both databases: the sitemap index and one
sitemap per public workspace language, robots.txt, llms.txt and the `.md` twins of articles."""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime

import pytest

from tests.conftest import BACKENDS, Project
from tests.web.reader_content import (
    Library,
    add_workspace,
    article,
    build_library,
    category,
    module_project,
    ok,
    started,
)

BASE_URL = "http://127.0.0.1:8000"  # the public URL the test settings default to
NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@pytest.fixture(scope="module", params=BACKENDS)
def library(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Library]:
    with module_project(request, tmp_path_factory.mktemp("reader_seo")) as project:
        yield build_library(project)


def xml_of(library: Library, path: str) -> ET.Element:
    response = library.get(path)
    assert response.status_code == 200, (path, response.text[:300])
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    return ET.fromstring(response.content)


def sitemap_entries(library: Library, path: str) -> dict[str, str | None]:
    """loc -> lastmod of a workspace language's sitemap."""
    root = xml_of(library, path)
    assert root.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}urlset"
    entries = {}
    for url in root.findall("s:url", NS):
        loc = url.find("s:loc", NS)
        assert loc is not None and loc.text
        lastmod = url.find("s:lastmod", NS)
        entries[loc.text] = lastmod.text if lastmod is not None else None
    return entries


def sitemap_locations(library: Library) -> list[str]:
    root = xml_of(library, "/sitemap.xml")
    assert root.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
    return [loc.text or "" for loc in root.findall("s:sitemap/s:loc", NS)]


def test_the_sitemap_index_lists_one_sitemap_per_public_workspace_language(
    library: Library,
) -> None:
    # German has nothing published, so no sitemap; "internal" is not public.
    assert sitemap_locations(library) == [
        f"{BASE_URL}/sitemaps/v1/en.xml",
        f"{BASE_URL}/sitemaps/v1/fr.xml",
        f"{BASE_URL}/sitemaps/v2/en.xml",
    ]


def test_a_workspace_that_is_not_public_has_no_sitemap(library: Library) -> None:
    assert not any("/internal/" in loc for loc in sitemap_locations(library))
    response = library.get("/sitemaps/internal/en.xml")
    assert response.status_code == 404
    assert "payroll" not in response.text.lower()


def test_every_listed_sitemap_is_well_formed_and_answers(library: Library) -> None:
    for loc in sitemap_locations(library):
        entries = sitemap_entries(library, loc.removeprefix(BASE_URL))
        assert entries, loc
        for page in entries:
            assert page.startswith(BASE_URL), page
            assert library.get(page.removeprefix(BASE_URL)).status_code == 200, page


def test_a_language_sitemap_lists_the_pages_readers_can_find_with_their_dates(
    library: Library,
) -> None:
    entries = sitemap_entries(library, "/sitemaps/v1/en.xml")
    versions = ok(library.project.get(f"/v2/Articles/{library.ids['install']}/en/versions"))
    published = str(next(v for v in versions if v["version_number"] == 1)["created_at"])

    pages = [loc.removeprefix(BASE_URL) for loc in entries]
    assert pages[0] == "/"
    for expected in ("/docs/install", "/docs/changelog", "/docs/topic-12", "/docs/limits"):
        assert expected in pages, expected
    assert "/docs/en/category/welcome" in pages  # a Page category has a page of its own
    for absent in (
        "/docs/unlisted",  # excluded from search
        "/docs/internal",  # hidden
        "/docs/roadmap",  # draft only
        "/docs/buried",  # below a hidden category
        "/docs/en/category/secret",
        "/docs/en/category/guides",  # a folder: its articles are listed instead
    ):
        assert absent not in pages, absent
    assert len(pages) == len(set(pages))
    for loc, lastmod in entries.items():
        if loc != f"{BASE_URL}/":
            assert lastmod is not None, loc
            date.fromisoformat(lastmod)
    assert entries[f"{BASE_URL}/docs/install"] == published[:10]


def test_a_translation_s_sitemap_lists_its_own_urls(library: Library) -> None:
    assert list(sitemap_entries(library, "/sitemaps/v1/fr.xml")) == [
        f"{BASE_URL}/docs/fr",
        f"{BASE_URL}/docs/fr/install",
    ]
    assert list(sitemap_entries(library, "/sitemaps/v2/en.xml")) == [
        f"{BASE_URL}/v2",
        f"{BASE_URL}/v2/docs/migrate",
    ]


def test_robots_txt_points_at_the_sitemap_index(library: Library) -> None:
    response = library.get("/robots.txt")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    lines = response.text.splitlines()
    assert lines[0] == "User-agent: *"
    assert f"Sitemap: {BASE_URL}/sitemap.xml" in lines
    assert "Disallow: /" not in lines
    assert "Disallow: /search" in lines


def test_under_a_base_path_crawler_files_live_below_it(library: Library) -> None:
    settings = library.project.settings.model_copy(update={"site_base_path": "/help"})
    with started(settings) as client:
        robots = client.get("/help/robots.txt").text
        index = ET.fromstring(client.get("/help/sitemap.xml").content)
        sitemap = client.get("/help/sitemaps/v1/en.xml")
        llms = client.get("/help/llms.txt").text

    assert f"Sitemap: {BASE_URL}/help/sitemap.xml" in robots.splitlines()
    assert [loc.text for loc in index.findall("s:sitemap/s:loc", NS)] == [
        f"{BASE_URL}/help/sitemaps/v1/en.xml",
        f"{BASE_URL}/help/sitemaps/v1/fr.xml",
        f"{BASE_URL}/help/sitemaps/v2/en.xml",
    ]
    assert f"<loc>{BASE_URL}/help/docs/install</loc>" in sitemap.text
    assert f"({BASE_URL}/help/docs/install.md)" in llms


def test_llms_txt_lists_the_articles_linking_their_markdown_twins(library: Library) -> None:
    response = library.get("/llms.txt")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    text = response.text
    assert text.startswith("# My knowledge base\n")
    assert "## v1 (English)" in text and "## Version two (English)" in text
    links = dict(re.findall(r"^- \[([^\]]*)\]\(([^)]*)\)$", text, re.M))
    assert links["Install"] == f"{BASE_URL}/docs/install.md"
    assert links["Migrate"] == f"{BASE_URL}/v2/docs/migrate.md"
    for title in ("Unlisted", "Internal", "Roadmap", "Buried", "Payroll"):
        assert title not in links, title
    for href in links.values():
        twin = library.get(href.removeprefix(BASE_URL))
        assert twin.status_code == 200, href
        assert twin.headers["content-type"] == "text/markdown; charset=utf-8"


def test_an_article_excluded_from_search_is_in_no_crawler_file(library: Library) -> None:
    assert "/docs/unlisted" not in library.get("/sitemaps/v1/en.xml").text
    assert "/docs/unlisted" not in library.get("/llms.txt").text


def test_the_markdown_twin_of_a_markdown_article_is_its_markdown_with_merge_codes_resolved(
    library: Library,
) -> None:
    response = library.get("/docs/install.md")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    assert response.headers["etag"]
    text = response.text
    assert text.startswith("# Install\n")
    assert "> How to install Acme on any computer." in text
    assert "Install Acme in a minute." in text and "{{" not in text
    assert "## Requirements\n" in text and "### Disk space\n" in text
    assert "<h2" not in text
    assert library.get("/docs/fr/install.md").text.startswith("# Installer\n")


def test_the_markdown_twin_of_an_html_article_is_its_sanitised_html(library: Library) -> None:
    text = library.get("/docs/scripted.md").text

    assert text.startswith("# Scripted\n")
    assert "<p>Safe words</p>" in text
    assert "<script" not in text and "alert(" not in text
    assert "onerror" not in text and "javascript:" not in text


def test_the_markdown_twin_shows_the_published_revision_only(library: Library) -> None:
    assert "Version one of the changelog." in library.get("/docs/changelog.md").text
    for path in ("/docs/roadmap.md", "/docs/internal.md", "/docs/buried.md"):
        response = library.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "text/html; charset=utf-8"


# --- caching -----------------------------------------------------------------------------------

CRAWLER_FILES = ["/robots.txt", "/sitemap.xml", "/sitemaps/v1/en.xml", "/llms.txt"]


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


@pytest.mark.parametrize("path", CRAWLER_FILES)
def test_crawler_files_carry_a_last_modified_and_answer_304_to_either_condition(
    library: Library, path: str
) -> None:
    full = library.get(path)
    modified = parsedate_to_datetime(full.headers["last-modified"])
    validators = {name: full.headers.get(name) for name in ("etag", "last-modified")}

    assert full.status_code == 200 and full.headers["etag"]
    assert modified <= datetime.now(UTC)
    assert library.get(path).headers["last-modified"] == full.headers["last-modified"]
    with started(library.project.settings) as other:  # another process dates it alike
        assert other.get(path).headers["last-modified"] == full.headers["last-modified"]
    for condition in (
        {"If-None-Match": full.headers["etag"]},
        {"If-Modified-Since": http_date(modified)},
    ):
        answer = library.get(path, headers=condition)
        assert answer.status_code == 304 and answer.content == b"", condition
        assert {name: answer.headers.get(name) for name in validators} == validators
    earlier = {"If-Modified-Since": http_date(modified - timedelta(seconds=1))}
    assert library.get(path, headers=earlier).status_code == 200


def test_llms_txt_follows_a_write_to_any_public_workspace(project: Project) -> None:
    first = category(project, "Guides")
    article(project, first, "Install", "The first words.")
    second = add_workspace(project, "v2", "Version two")
    upgrading = category(project, "Upgrading", workspace=second)
    article(project, upgrading, "Migrate", "Move.", workspace=second)
    before = project.client.get("/llms.txt")
    assert "/v2/docs/migrate.md" in before.text
    time.sleep(1.05 - time.time() % 1)  # Last-Modified has whole seconds

    article(project, upgrading, "Rollback", "Back.", workspace=second)
    after = project.client.get(
        "/llms.txt", headers={"If-Modified-Since": before.headers["last-modified"]}
    )

    assert after.status_code == 200
    assert "/v2/docs/rollback.md" in after.text
    assert parsedate_to_datetime(after.headers["last-modified"]) > parsedate_to_datetime(
        before.headers["last-modified"]
    )
