"""The "Was this article helpful?" form in real Chromium, without JavaScript: axe-core's WCAG 2.x
A and AA rules in light and dark colours and at phone width, answered with the keyboard alone,
and what the browser posts. The form is the packaged partial with site.css, on a page served
by Playwright (the reader site's article page that includes it is not ours to build here)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from lorebase.kb.feedback import FEEDBACK_REASONS
from lorebase.web.feedback import FEEDBACK_PATH
from lorebase.web.pages import ASSETS, TEMPLATES
from tests.e2e.axe import axe_violations, describe

SITE = "http://kb.test"
ARTICLE = "/docs/install"
VIEWS = {
    "light": {"color_scheme": "light"},
    "dark": {"color_scheme": "dark"},
    "phone": {"color_scheme": "light", "viewport": {"width": 390, "height": 844}},
}


def article_page(thanks: bool) -> str:
    form = TEMPLATES.get_template("feedback.html").render(
        feedback={
            "action": FEEDBACK_PATH,
            "article_id": "article-1",
            "lang": "en",
            "next": ARTICLE,
            "reasons": list(FEEDBACK_REASONS),
            "thanks": thanks,
        }
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<title>Install · Docs</title><link rel="stylesheet" href="/site.css"></head>'
        f"<body><main><h1>Install</h1><p>Run the installer.</p>{form}</main></body></html>"
    )


class Served:
    """The article page, the stylesheet, and the feedback route, answered by Playwright."""

    def __init__(self) -> None:
        self.posted: list[dict[str, list[str]]] = []

    def handle(self, route: Route) -> None:
        request = route.request
        path = request.url.removeprefix(SITE).split("?")[0]
        if path == "/site.css":
            route.fulfill(body=(ASSETS / "site.css").read_text(), content_type="text/css")
        elif path == FEEDBACK_PATH and request.method == "POST":
            self.posted.append(parse_qs(request.post_data or "", keep_blank_values=True))
            route.fulfill(status=303, headers={"Location": ARTICLE + "?feedback=thanks"})
        elif path == ARTICLE:
            thanks = "feedback=thanks" in request.url
            route.fulfill(body=article_page(thanks), content_type="text/html")
        else:
            route.abort()


@pytest.fixture
def served(chromium: Browser) -> Iterator[tuple[Page, Served]]:
    """The article page in a browser with JavaScript off."""
    context = chromium.new_context(java_script_enabled=False)
    context.set_default_timeout(10_000)
    server = Served()
    context.route("**/*", server.handle)
    page = context.new_page()
    page.goto(SITE + ARTICLE)
    yield page, server
    context.close()


@pytest.mark.parametrize("view", list(VIEWS))
def test_the_form_and_the_thanks_have_no_accessibility_violations(
    chromium: Browser, view: str
) -> None:
    # axe is a script: this browser runs JavaScript, the page itself needs none.
    context = chromium.new_context(**VIEWS[view])
    context.set_default_timeout(10_000)
    found: dict[str, list[dict[str, Any]]] = {}
    try:
        page = context.new_page()
        page.route("**/*", Served().handle)
        page.goto(SITE + ARTICLE)
        found["form"] = axe_violations(page)
        page.get_by_label("No").check()
        found["form, No chosen"] = axe_violations(page)
        page.goto(SITE + ARTICLE + "?feedback=thanks")
        found["thanks"] = axe_violations(page)
    finally:
        context.close()
    assert all(not v for v in found.values()), {k: describe(v) for k, v in found.items() if v}


def test_a_reader_answers_with_the_keyboard_alone_without_javascript(
    served: tuple[Page, Served],
) -> None:
    page, server = served
    expect(page.get_by_role("heading", name="Was this article helpful?")).to_be_visible()
    more = page.locator(".feedback-more")
    page.get_by_label("Yes").focus()
    page.keyboard.press("ArrowRight")  # radios: arrows move and choose
    expect(page.get_by_label("No")).to_be_checked()
    expect(more).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Reason")).to_be_focused()
    page.get_by_label("Reason").select_option("inaccurate")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Comment")).to_be_focused()
    page.keyboard.type("Step 3 names the old menu.")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Send feedback")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_have_text("Thank you for your feedback.")
    assert server.posted == [
        {
            "article_id": ["article-1"],
            "lang": ["en"],
            "next": [ARTICLE],
            "helpful": ["no"],
            "reason": ["inaccurate"],
            "comment": ["Step 3 names the old menu."],
        }
    ]


def test_yes_needs_no_reason_and_the_form_asks_for_an_answer_first(
    served: tuple[Page, Served],
) -> None:
    page, server = served
    page.get_by_role("button", name="Send feedback").click()
    assert server.posted == []  # `required`: the browser asks for Yes or No first
    page.get_by_label("Yes").check()
    expect(page.locator(".feedback-more")).to_be_hidden()
    expect(page.get_by_label("Comment")).to_have_attribute("maxlength", "1000")
    page.get_by_role("button", name="Send feedback").click()
    expect(page.get_by_role("status")).to_be_visible()
    assert server.posted[0]["helpful"] == ["yes"]
