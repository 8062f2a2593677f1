"""The live reader site in real Chromium against a real `lorebase serve` (SQLite, the demo plus
a deeper tree written through the API, see `tests.e2e.reader_site`): axe-core on every kind of
page in light and dark colours and at phone width, the theme toggle, the lazy tree, the
typeahead, the feedback form, the language switcher, printing, third-party requests and the
article page's weight.

One server serves the whole module; each test opens its own browser contexts.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, Response, expect

from tests.e2e.axe import axe_violations, describe
from tests.e2e.reader_site import (
    DEPLOY_TAG,
    ONLY_IN_DEPLOYING,
    RUNBOOKS,
    ReaderSite,
    running_reader_site,
)

# Playwright waits this long (ms) for an element or a navigation: a page of this server
# answers in milliseconds, and a failure must not cost 30 s.
WAIT_MS = 10_000
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# site.css's --bg in each colour scheme.
LIGHT_BG = "rgb(255, 255, 255)"
DARK_BG = "rgb(15, 20, 25)"
THANKS = "Thank you for your feedback."
FALLBACK_NOTICE = "This article is not available in French; it is shown in English."
# HTML, CSS and JavaScript of an article page, gzipped: what a reader downloads at most.
PAGE_WEIGHT_LIMIT = 60 * 1024

ARTICLE = "/docs/deploying"
PAGES = {
    "home": "/",
    "category": "/docs/en/category/operations",
    "article": ARTICLE,
    "search results": f"/search?q={ONLY_IN_DEPLOYING}&lang=en",
    "tag": f"/docs/en/tags/{DEPLOY_TAG}",
    "not found": "/docs/no-such-page",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReaderSite]:
    with running_reader_site(tmp_path_factory.mktemp("reader-browser")) as running:
        yield running
    log_text = running.log_path.read_text(errors="replace")
    assert "Traceback" not in log_text, log_text


def new_context(browser: Browser, **options: Any) -> BrowserContext:
    """A fresh browser (no storage). CSP is bypassed only so that axe can be injected."""
    context = browser.new_context(**{"bypass_csp": True, "viewport": DESKTOP, **options})
    context.set_default_timeout(WAIT_MS)
    return context


def background(page: Page) -> str:
    colour: str = page.evaluate("getComputedStyle(document.body).backgroundColor")
    return colour


def tree_branch(page: Page, title: str) -> Locator:
    """The list of the tree entry called `title`: its children, once fetched."""
    return page.locator(f"xpath=//nav[@id='tree']//li[a[normalize-space()='{title}']]/ul")


# --- accessibility ------------------------------------------------------------------------------

VIEWS = {
    "light": ({"color_scheme": "light"}, list(PAGES)),
    "dark": ({"color_scheme": "dark"}, list(PAGES)),
    # Contrast does not change with the width, nor the layout with the colours.
    "phone": ({"color_scheme": "light", "viewport": PHONE, "is_mobile": True}, ["article"]),
}


@pytest.mark.parametrize("view", list(VIEWS))
def test_every_kind_of_reader_page_has_no_accessibility_violations(
    chromium: Browser, site: ReaderSite, view: str
) -> None:
    """axe-core's WCAG 2.x A and AA rules on the home page (and its typeahead open), a
    category, an article, search results, a tag and the not-found page."""
    options, names = VIEWS[view]
    expected_bg = DARK_BG if options["color_scheme"] == "dark" else LIGHT_BG
    found: dict[str, list[dict[str, Any]]] = {}
    context = new_context(chromium, **options)
    page = context.new_page()
    try:
        for name in names:
            answer = page.goto(site.url(PAGES[name]))
            assert answer is not None
            assert answer.status == (404 if name == "not found" else 200), name
            page.wait_for_load_state("load")
            # axe must judge the page as people see it: with site.css, in this scheme.
            assert background(page) == expected_bg, f"{name}: site.css is not applied"
            found[name] = axe_violations(page)
            if name == "home":
                # The typeahead's suggestions, drawn by site.js over the page.
                page.get_by_role("searchbox", name="Search").press_sequentially("quokka")
                expect(page.locator("#search-results em").first).to_be_visible()
                found["home, suggestions shown"] = axe_violations(page)
        if view == "phone":
            # Nothing wider than the phone: no sideways scrolling to read the article.
            width = page.evaluate("document.scrollingElement.scrollWidth")
            assert width <= PHONE["width"] + 1, width
    finally:
        context.close()

    failing = {name: violations for name, violations in found.items() if violations}
    assert not failing, "\n".join(
        f"{view} / {name}: {describe(violations)}" for name, violations in failing.items()
    )


# --- theme ---------------------------------------------------------------------------------------


def test_the_theme_toggle_switches_to_dark_and_the_choice_survives_a_reload(
    chromium: Browser, site: ReaderSite
) -> None:
    context = new_context(chromium, color_scheme="light")
    page = context.new_page()
    try:
        page.goto(site.url(ARTICLE))
        toggle = page.get_by_role("button", name="Dark mode")
        expect(toggle).to_be_visible()
        expect(toggle).to_have_attribute("aria-pressed", "false")
        assert background(page) == LIGHT_BG

        toggle.click()

        expect(page.locator("html")).to_have_attribute("data-theme", "dark")
        expect(toggle).to_have_attribute("aria-pressed", "true")
        assert background(page) == DARK_BG
        assert page.evaluate("localStorage.getItem('lorebase-theme')") == "dark"

        page.reload()
        expect(page.locator("html")).to_have_attribute("data-theme", "dark")
        expect(toggle).to_have_attribute("aria-pressed", "true")
        assert background(page) == DARK_BG

        # Another page of the site opens dark too, and pressing again goes back to light.
        page.goto(site.url("/"))
        assert background(page) == DARK_BG
        toggle.click()
        expect(page.locator("html")).to_have_attribute("data-theme", "light")
        expect(toggle).to_have_attribute("aria-pressed", "false")
        assert background(page) == LIGHT_BG
    finally:
        context.close()


def test_without_javascript_the_theme_toggle_is_not_offered(
    chromium: Browser, site: ReaderSite
) -> None:
    """The toggle works through site.js: without it, a button would do nothing."""
    context = new_context(chromium, java_script_enabled=False, color_scheme="light")
    page = context.new_page()
    try:
        page.goto(site.url(ARTICLE))
        expect(page.locator("main article h1")).to_have_text("Deploying")
        expect(page.get_by_role("button", name="Dark mode")).to_be_hidden()
    finally:
        context.close()


# --- tree ---------------------------------------------------------------------------------------


def test_a_closed_tree_branch_fetches_its_children_when_opened_and_hides_them_when_closed(
    chromium: Browser, site: ReaderSite
) -> None:
    context = new_context(chromium)
    page = context.new_page()
    try:
        page.goto(site.url(ARTICLE))
        tree = page.get_by_role("navigation", name="Contents")
        button = tree.get_by_role("button", name="Runbooks")
        expect(button).to_have_attribute("aria-expanded", "false")
        expect(tree.get_by_role("link", name="Runbook 01")).to_have_count(0)
        branch_url = site.url(str(button.get_attribute("data-children")))

        with page.expect_response(branch_url) as fetched:
            button.click()
        assert fetched.value.status == 200

        expect(button).to_have_attribute("aria-expanded", "true")
        branch = tree_branch(page, "Runbooks")
        children = branch.locator("a")
        expect(children).to_have_count(len(RUNBOOKS))
        assert children.all_inner_texts() == RUNBOOKS
        expect(branch).to_be_visible()

        button.click()
        expect(button).to_have_attribute("aria-expanded", "false")
        expect(branch).to_be_hidden()

        # Opened again, it shows the list it has: no second request.
        fetches: list[str] = []
        page.on("request", lambda request: fetches.append(request.url))
        button.click()
        expect(button).to_have_attribute("aria-expanded", "true")
        expect(branch).to_be_visible()
        expect(children).to_have_count(len(RUNBOOKS))
        assert branch_url not in fetches

        children.last.click()
        expect(page).to_have_url(site.url("/docs/runbook-12"))
        expect(page.locator("main article h1")).to_have_text("Runbook 12")
    finally:
        context.close()


def test_a_tree_branch_opens_and_closes_from_the_keyboard(
    chromium: Browser, site: ReaderSite
) -> None:
    context = new_context(chromium)
    page = context.new_page()
    try:
        page.goto(site.url(ARTICLE))
        tree = page.get_by_role("navigation", name="Contents")
        button = tree.get_by_role("button", name="Monitoring")
        dashboards = tree.get_by_role("link", name="Dashboards")
        expect(dashboards).to_have_count(0)

        # The Runbooks link comes just before Monitoring's toggle.
        tree.get_by_role("link", name="Runbooks", exact=True).focus()
        page.keyboard.press("Tab")
        expect(button).to_be_focused()

        page.keyboard.press("Enter")
        expect(button).to_have_attribute("aria-expanded", "true")
        expect(dashboards).to_be_visible()

        page.keyboard.press("Space")
        expect(button).to_have_attribute("aria-expanded", "false")
        expect(dashboards).to_be_hidden()

        page.keyboard.press("Space")
        expect(button).to_have_attribute("aria-expanded", "true")
        expect(dashboards).to_be_visible()
        # The newly shown link is the next stop of the Tab key.
        page.keyboard.press("Tab")
        expect(tree.get_by_role("link", name="Monitoring", exact=True)).to_be_focused()
        page.keyboard.press("Tab")
        expect(dashboards).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator("main article h1")).to_have_text("Dashboards")
    finally:
        context.close()


# --- search ---------------------------------------------------------------------------------------


def test_typing_in_the_header_search_suggests_articles_with_highlighted_words(
    chromium: Browser, site: ReaderSite
) -> None:
    context = new_context(chromium)
    page = context.new_page()
    try:
        page.goto(site.url("/"))
        results = page.locator("#search-results")
        expect(results).to_be_hidden()

        page.get_by_role("searchbox", name="Search").press_sequentially("quokka", delay=20)

        expect(results).to_be_visible()
        suggestion = results.get_by_role("link", name="Deploying")
        expect(suggestion).to_be_visible()
        expect(results.locator("li").first).to_contain_text("Operations")
        # The server's <em> marks arrive as elements, never as text.
        highlight = results.locator("em")
        expect(highlight.first).to_have_text(ONLY_IN_DEPLOYING)
        assert "<em>" not in results.inner_text()
        assert "&quot;" not in results.inner_text()

        suggestion.click()
        expect(page).to_have_url(site.url(ARTICLE))
        expect(page.locator("main article h1")).to_have_text("Deploying")
    finally:
        context.close()


def test_without_javascript_the_header_search_opens_the_results_page(
    chromium: Browser, site: ReaderSite
) -> None:
    context = new_context(chromium, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(site.url("/"))
        search = page.get_by_role("searchbox", name="Search")
        search.fill(ONLY_IN_DEPLOYING)
        search.press("Enter")

        expect(page).to_have_url(site.url(f"/search?q={ONLY_IN_DEPLOYING}&lang=en"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Search")
        expect(page.get_by_role("status")).to_have_text(f"1 article matches “{ONLY_IN_DEPLOYING}”.")
        hits = page.locator("ol.search-hits > li")
        expect(hits).to_have_count(1)
        expect(hits.get_by_role("link")).to_have_text("Deploying")
        expect(hits.locator("em")).to_have_text(ONLY_IN_DEPLOYING)
        expect(page.locator("#search-results")).to_be_hidden()

        hits.get_by_role("link").click()
        expect(page.locator("main article h1")).to_have_text("Deploying")
    finally:
        context.close()


# --- feedback -------------------------------------------------------------------------------------


def recorded_feedback(site: ReaderSite, title: str) -> list[dict[str, Any]]:
    response = httpx.get(
        site.url(f"/v2/Articles/{site.articles[title]}/feedback"),
        headers={"api_token": site.token},
    )
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["data"]["entries"]
    return entries


def answer_no(page: Page, comment: str) -> None:
    page.get_by_label("No", exact=True).check()
    page.get_by_label("Reason").select_option("inaccurate")
    page.get_by_label("Comment").fill(comment)
    page.get_by_role("button", name="Send feedback").click()


def expect_thanks(page: Page, site: ReaderSite, path: str) -> None:
    """The thanks, either on the article reloaded with ?feedback=thanks or swapped in."""
    feedback = page.locator("#feedback")
    expect(feedback.get_by_role("status")).to_have_text(THANKS)
    expect(feedback.get_by_role("button", name="Send feedback")).to_have_count(0)
    assert page.url.split("#")[0] in (site.url(path), site.url(path + "?feedback=thanks"))


def test_the_feedback_form_asks_for_a_reason_only_after_no_and_thanks_the_reader(
    chromium: Browser, site: ReaderSite
) -> None:
    comment = "The Asia wait is 45 minutes now (with JavaScript)."
    context = new_context(chromium)
    page = context.new_page()
    try:
        page.goto(site.url(ARTICLE))
        more = page.locator("#feedback .feedback-more")
        expect(page.get_by_role("heading", name="Was this article helpful?")).to_be_visible()
        expect(more).to_be_hidden()
        expect(page.get_by_label("Reason")).to_be_hidden()
        page.get_by_label("Yes", exact=True).check()
        expect(more).to_be_hidden()
        page.get_by_label("No", exact=True).check()
        expect(more).to_be_visible()
        page.get_by_label("Yes", exact=True).check()
        expect(more).to_be_hidden()

        answer_no(page, comment)

        expect_thanks(page, site, ARTICLE)
    finally:
        context.close()
    sent = [e for e in recorded_feedback(site, "Deploying") if e["comment"] == comment]
    assert len(sent) == 1, recorded_feedback(site, "Deploying")
    assert sent[0]["helpful"] is False
    assert sent[0]["reason"] == "inaccurate"
    assert sent[0]["language_code"] == "en"


def test_the_feedback_form_works_without_javascript(chromium: Browser, site: ReaderSite) -> None:
    comment = "A screenshot of the dashboard would help (without JavaScript)."
    context = new_context(chromium, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(site.url("/docs/dashboards"))
        expect(page.locator("main article h1")).to_have_text("Dashboards")
        answer_no(page, comment)
        expect_thanks(page, site, "/docs/dashboards")
    finally:
        context.close()
    sent = [e for e in recorded_feedback(site, "Dashboards") if e["comment"] == comment]
    assert len(sent) == 1, recorded_feedback(site, "Dashboards")
    assert sent[0]["helpful"] is False
    assert sent[0]["reason"] == "inaccurate"


# --- languages ------------------------------------------------------------------------------------


def test_the_language_switcher_opens_the_translation_or_says_there_is_none(
    chromium: Browser, site: ReaderSite
) -> None:
    context = new_context(chromium)
    page = context.new_page()
    try:
        languages = page.get_by_role("navigation", name="Languages")
        page.goto(site.url("/docs/getting-started"))
        expect(languages.get_by_role("link", name="English")).to_have_attribute(
            "aria-current", "true"
        )

        languages.get_by_role("link", name="French").click()

        expect(page).to_have_url(site.url("/docs/fr/getting-started"))
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        expect(page.locator("main article h1").first).to_have_text("Bien démarrer")
        expect(page.locator("main .notice")).to_have_count(0)
        expect(languages.get_by_role("link", name="French")).to_have_attribute(
            "aria-current", "true"
        )

        # "Deploying" has no French translation: the English text, said so.
        page.goto(site.url(ARTICLE))
        languages.get_by_role("link", name="French").click()

        expect(page).to_have_url(site.url("/docs/fr/deploying"))
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        expect(page.get_by_role("note")).to_have_text(FALLBACK_NOTICE)
        expect(page.locator("main article")).to_have_attribute("lang", "en")
        expect(page.locator("main article h1")).to_have_text("Deploying")

        languages.get_by_role("link", name="English").click()
        expect(page).to_have_url(site.url(ARTICLE))
        expect(page.get_by_role("note")).to_have_count(0)
    finally:
        context.close()


# --- print, requests, weight ------------------------------------------------------------------


def test_printing_an_article_leaves_out_the_header_tree_and_feedback(
    chromium: Browser, site: ReaderSite
) -> None:
    context = new_context(chromium)
    page = context.new_page()
    try:
        page.goto(site.url(ARTICLE))
        for selector in ("header.site-header", "nav#tree", "#feedback"):
            expect(page.locator(selector)).to_be_visible()

        page.emulate_media(media="print")

        for selector in ("header.site-header", "nav#tree", "#feedback", "nav.toc", "nav.pager"):
            expect(page.locator(selector)).to_be_hidden()
        expect(page.locator("main article h1")).to_have_text("Deploying")
        expect(page.locator("main article table")).to_be_visible()
        expect(page.locator("main article pre")).to_be_visible()
    finally:
        context.close()


def test_an_article_page_requests_nothing_from_another_host(
    chromium: Browser, site: ReaderSite
) -> None:
    context = new_context(chromium)
    requested: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    page = context.new_page()
    try:
        page.goto(site.url(ARTICLE), wait_until="networkidle")
        # The scripts' own requests too: a suggestion and an opened branch.
        page.get_by_role("searchbox", name="Search").press_sequentially("runbook", delay=20)
        expect(page.locator("#search-results a").first).to_be_visible()
        tree = page.get_by_role("navigation", name="Contents")
        tree.get_by_role("button", name="Runbooks").click()
        expect(tree.get_by_role("link", name="Runbook 01")).to_be_visible()
        page.wait_for_load_state("networkidle")
    finally:
        context.close()

    paths = {url.removeprefix(site.base).split("?")[0] for url in requested}
    assert {
        ARTICLE,
        "/_lorebase/assets/site.css",
        "/_lorebase/assets/site.js",
        "/_lorebase/assets/theme.js",
        "/_lorebase/suggest",
    } <= paths, requested
    elsewhere = [url for url in requested if not url.startswith(site.base + "/")]
    assert elsewhere == [], elsewhere


def test_an_article_page_weighs_at_most_60_kb_of_gzipped_html_css_and_javascript(
    chromium: Browser, site: ReaderSite
) -> None:
    """The server may not compress: each body is gzipped here, as a compressing proxy (or a
    later server) would send it."""
    context = new_context(chromium, extra_http_headers={"Accept-Encoding": "gzip"})
    responses: list[Response] = []
    context.on("response", lambda response: responses.append(response))
    page = context.new_page()
    try:
        page.goto(site.url(ARTICLE), wait_until="networkidle")
        sizes = {
            response.url.removeprefix(site.base): (
                len(body := response.body()),
                len(gzip.compress(body)),
                response.headers.get("content-encoding", "identity"),
            )
            for response in responses
            if response.request.resource_type in ("document", "stylesheet", "script")
        }
    finally:
        context.close()

    assert {ARTICLE, "/_lorebase/assets/site.css", "/_lorebase/assets/site.js"} <= set(sizes)
    raw = sum(size for size, _, _ in sizes.values())
    gzipped = sum(size for _, size, _ in sizes.values())
    report = "; ".join(
        f"{path}: {size:,} B, {packed:,} B gzipped (sent as {encoding})"
        for path, (size, packed, encoding) in sorted(sizes.items())
    )
    print(f"article page weight: {gzipped:,} B gzipped ({raw:,} B uncompressed): {report}")
    assert gzipped <= PAGE_WEIGHT_LIMIT, report
