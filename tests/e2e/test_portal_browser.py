"""The authoring portal in real Chromium against a real `lorebase serve` (SQLite, see
`tests.e2e.portal_pages`): drag and drop and the keyboard's "Move…" dialog in the tree, the
editor's toolbar, preview, paste and drop upload, autosave, the conflict two people meet,
publishing, the history with its diff and restore, the merge-code picker; axe-core on every
portal screen in light and dark colours (and the editor at phone width), and the JavaScript
each screen ships.

One server serves the whole module; every test writes its own categories and articles through
the v2 API and opens its own browser contexts, so the tests do not depend on their order. The
administrator and the editor sign in once, through the sign-in form; their cookies are reused.
"""

from __future__ import annotations

import base64
import gzip
import itertools
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, Response, expect

from lorebase.web.portal.merge_codes import merge_code
from tests.api.v2.test_drive import png
from tests.e2e.axe import axe_violations, describe
from tests.e2e.portal_pages import (
    ADMIN_EMAIL,
    EDITOR_EMAIL,
    SECOND_LANGUAGE,
    LivePortal,
    ok,
    running_portal,
)
from tests.e2e.test_signin_browser import new_context, signed_in

PHONE = {"width": 390, "height": 844}
# site.css's --bg in each colour scheme: axe must judge the page as people see it.
BACKGROUNDS = {"light": "rgb(255, 255, 255)", "dark": "rgb(15, 20, 25)"}
# The budget: the JavaScript one portal screen ships, gzipped.
JS_BUDGET = 250 * 1024
AUTOSAVED = re.compile(r"^Draft saved \(version (\d+)\)")


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LivePortal]:
    with running_portal(tmp_path_factory.mktemp("portal-browser")) as running:
        yield running
    log_text = running.log_path.read_text(errors="replace")
    assert "Traceback" not in log_text, log_text


@pytest.fixture(scope="module")
def cookies(chromium: Browser, portal: LivePortal) -> dict[str, Any]:
    """Each person's signed-in browser state (cookies), signed in once through the form."""
    states = {}
    for email in (ADMIN_EMAIL, EDITOR_EMAIL):
        context = new_context(chromium)
        try:
            signed_in(context.new_page(), portal, email)  # type: ignore[arg-type]  # has .url
            states[email] = context.storage_state()
        finally:
            context.close()
    return states


@pytest.fixture
def person(chromium: Browser, cookies: dict[str, Any]) -> Iterator[Callable[..., BrowserContext]]:
    """`person(email, **context options)`: a browser signed in as that person."""
    opened: list[BrowserContext] = []

    def open_browser(email: str = ADMIN_EMAIL, **options: Any) -> BrowserContext:
        context = new_context(chromium, storage_state=cookies[email], **options)
        opened.append(context)
        return context

    yield open_browser
    for context in opened:
        context.close()


def admin_page(person: Callable[..., BrowserContext], **options: Any) -> Page:
    return person(ADMIN_EMAIL, **options).new_page()


def editor_path(article: str, lang: str = "en") -> str:
    return f"/portal/articles/{article}/{lang}"


def open_editor(page: Page, portal: LivePortal, article: str) -> None:
    page.goto(portal.url(editor_path(article)))
    expect(page.get_by_label("Text (Markdown)")).to_be_editable()


def notice(page: Page) -> Locator:
    return page.locator("main p.notice[role=status]")


# --- the tree -----------------------------------------------------------------------------------


def branch(page: Page, category: str) -> Locator:
    return page.locator(f"li.tree-item[data-id='{category}']")


def open_branch(page: Page, category: str) -> None:
    """Click the category's ▸ button; its articles load (htmx) into the opened branch."""
    item = branch(page, category)
    twisty = item.locator(":scope > .tree-row > button.twisty")
    with page.expect_response(lambda r: f"/portal/tree/{category}/articles" in r.url):
        twisty.click()
    expect(twisty).to_have_attribute("aria-expanded", "true")
    expect(item.locator(":scope > .tree-inside")).to_be_visible()


def ids_in(list_: Locator) -> list[str]:
    found: list[str] = list_.evaluate(
        "list => [...list.children].filter(li => li.dataset.id).map(li => li.dataset.id)"
    )
    return found


def articles_of(page: Page, category: str) -> Locator:
    return page.locator(f"#a-{category}")


def categories_in(page: Page, category: str) -> Locator:
    return branch(page, category).locator(":scope > .tree-inside > ul.tree-categories")


def pick_up(page: Page, item: str) -> None:
    """Press the mouse on the item's drag handle and start moving (SortableJS follows real
    pointer moves, not synthetic drag events)."""
    handle = page.locator(f"li.tree-item[data-id='{item}'] > .tree-row > .drag-handle")
    box = handle.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 4, y + 6, steps=4)


def drop_on(page: Page, item: str, onto: str) -> None:
    """Drag `item` onto the middle of the `onto` row and let go there."""
    pick_up(page, item)
    row = page.locator(f"li.tree-item[data-id='{onto}'] > .tree-row").bounding_box()
    assert row is not None
    page.mouse.move(row["x"] + 40, row["y"] + row["height"] / 2, steps=25)
    page.mouse.move(row["x"] + 42, row["y"] + row["height"] / 2 + 2, steps=4)
    page.mouse.up()


def drag_above(page: Page, item: str, onto: str, into: Locator) -> None:
    """Drag `item` to the upper edge of the `onto` row (where SortableJS lets an item from
    another list in) and let go once it shows in the list `into`. The row is measured again
    at each step: the tree shifts as the item passes its neighbours."""
    pick_up(page, item)
    row = page.locator(f"li.tree-item[data-id='{onto}'] > .tree-row")
    box = row.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 48, box["y"] + box["height"] / 2, steps=20)
    arrived = into.locator(f":scope > li.sortable-ghost[data-id='{item}']")
    for step in range(40):
        if arrived.count():
            break
        box = row.bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + 48 + step % 3, box["y"] + 3 + step % 2)
    page.mouse.up()


def moving(page: Page, kind: str, item: str) -> Any:
    """Wait for the move the tree sends to the server when an item is let go."""
    return page.expect_response(lambda r: r.url.split("?")[0].endswith(f"/{kind}/{item}/move"))


def test_dragging_articles_and_a_category_in_the_tree_moves_them_as_shown(
    person: Callable[..., BrowserContext], portal: LivePortal
) -> None:
    shelves = portal.category("Drag shelves")
    first = portal.category("First shelf", shelves)
    second = portal.category("Second shelf", shelves)
    third = portal.category("Third shelf", shelves)
    inner = portal.category("Inner shelf", second)
    one = portal.article("Book one", first, "One.")
    two = portal.article("Book two", first, "Two.")
    three = portal.article("Book three", second, "Three.")
    page = admin_page(person)
    page.goto(portal.url("/portal"))
    status = page.locator("#tree-status")
    open_branch(page, shelves)
    open_branch(page, first)
    open_branch(page, second)
    expect(articles_of(page, first).locator("li")).to_have_count(2)
    expect(articles_of(page, second).locator("li")).to_have_count(1)
    branch(page, shelves).evaluate("item => item.scrollIntoView({block: 'start'})")

    def shown_as_stored() -> None:
        """Each open list of the tree holds what the API reports, in the same order."""
        for category in (first, second):
            assert ids_in(articles_of(page, category)) == portal.children(category)[1]
        for category in (shelves, second):
            assert ids_in(categories_in(page, category)) == portal.children(category)[0]

    # "Book one" to the upper edge of "Book three": into the second shelf, beside it (above
    # or below is SortableJS's call as the pointer settles; the server must follow the tree).
    with moving(page, "articles", one) as moved:
        drag_above(page, one, three, articles_of(page, second))
    assert moved.value.status == 204, moved.value.text()
    expect(status).to_have_text("Moved.")
    assert ids_in(articles_of(page, first)) == [two]
    assert sorted(ids_in(articles_of(page, second))) == sorted([one, three])
    shown_as_stored()

    # The third shelf, up from the end of the branch into the second shelf, above "Inner shelf".
    with moving(page, "categories", third) as moved:
        drag_above(page, third, inner, categories_in(page, second))
    assert moved.value.status == 204, moved.value.text()
    expect(status).to_have_text("Moved.")
    assert sorted(ids_in(categories_in(page, second))) == sorted([third, inner])
    assert ids_in(categories_in(page, shelves)) == [first, second]
    shown_as_stored()

    # "Book two" let go over the middle of "Book one", in the other shelf: wherever
    # SortableJS leaves it, it stays in the tree, and the server has it in that place.
    drop_on(page, two, one)
    expect(status).not_to_have_text("Moving…")
    expect(status).not_to_contain_text("Not moved")
    expect(branch(page, two), "the dragged article vanished from the tree").to_be_attached(
        timeout=2000
    )
    shown_as_stored()

    # After a reload the tree shows what it showed.
    page.reload()
    for category in (shelves, first, second):
        open_branch(page, category)
    shown_as_stored()


def test_moving_a_category_with_the_keyboard_through_its_move_form(
    person: Callable[..., BrowserContext], portal: LivePortal
) -> None:
    target = portal.category("Keyboard target")
    portal.category("Already inside", target)
    mover = portal.category("Keyboard mover")
    page = admin_page(person)
    page.goto(portal.url(f"/portal/categories/{mover}"))
    inside = page.get_by_label("Inside", exact=True)
    inside.focus()
    inside.select_option(label="Keyboard target")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Position among its neighbours")).to_be_focused()
    page.keyboard.press("Control+a")
    page.keyboard.type("1")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Move", exact=True)).to_be_focused()
    page.keyboard.press("Enter")

    expect(notice(page)).to_have_text("The category is moved.")
    assert urlsplit(page.url).path == f"/portal/categories/{mover}"
    expect(page.get_by_label("Inside", exact=True)).to_have_value(target)
    children = portal.children(target)[0]
    assert children[0] == mover and len(children) == 2, children
    assert mover not in [root["id"] for root in portal.tree()]


def tab_to(page: Page, target: Locator, *, backwards: bool = False, presses: int = 80) -> None:
    """Press Tab (or Shift+Tab) until `target` has the focus, as a keyboard user would."""
    for _ in range(presses):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    raise AssertionError(f"{presses} presses of Tab never reached {target}")


def move_button(page: Page, title: str) -> Locator:
    return page.get_by_role("button", name=f"Move {title}…", exact=True)


def test_moving_an_article_and_a_category_with_the_keyboard_through_the_move_dialog(
    person: Callable[..., BrowserContext], portal: LivePortal
) -> None:
    """Tab and Enter only: each row's "Move…" opens the dialog, the destination is typed
    into its list, the position into its field; the tree then shows what the API reports."""
    home = portal.category("Dialog home")
    away = portal.category("Dialog away")
    inner = portal.category("Dialog inner", away)
    paper = portal.article("Dialog paper", home, "Paper.")
    staying = portal.article("Dialog staying", home, "Stays.")
    there = portal.article("Dialog there", away, "There.")
    page = admin_page(person)
    page.goto(portal.url("/portal"))
    status = page.locator("#tree-status")
    dialog = page.locator("#move-dialog")

    # Open "Dialog home" from the keyboard, then "Move Dialog paper…".
    twisty = branch(page, home).locator(":scope > .tree-row > button.twisty")
    tab_to(page, twisty)
    with page.expect_response(lambda r: f"/portal/tree/{home}/articles" in r.url):
        page.keyboard.press("Enter")
    mover = move_button(page, "Dialog paper")
    tab_to(page, mover)
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog", name="Move Dialog paper")).to_be_visible()
    destination = dialog.get_by_label("Category")
    expect(destination).to_be_focused()
    expect(destination).to_have_value(home)
    page.keyboard.type("Dialog away")  # the list's type-ahead
    expect(destination).to_have_value(away)
    page.keyboard.press("Tab")
    position = dialog.get_by_label("Position among its neighbours")
    expect(position).to_be_focused()
    page.keyboard.press("Control+a")
    page.keyboard.type("1")
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Move", exact=True)).to_be_focused()
    with moving(page, "articles", paper) as moved:
        page.keyboard.press("Enter")
    assert moved.value.status == 204, moved.value.text()
    expect(dialog).to_be_hidden()
    expect(status).to_have_text("Moved.")
    # The tree, fetched again, shows the article first in its new category, and the focus is
    # on its button there.
    assert portal.children(away)[1] == [paper, there]
    expect(articles_of(page, away).locator(":scope > li")).to_have_count(2)
    assert ids_in(articles_of(page, away)) == [paper, there]
    assert ids_in(articles_of(page, home)) == portal.children(home)[1] == [staying]
    expect(move_button(page, "Dialog paper")).to_be_focused()

    # A refused position is said next to its field; Escape closes and gives the focus back.
    mover = move_button(page, "Dialog home")
    tab_to(page, mover, backwards=True)
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog", name="Move Dialog home")).to_be_visible()
    page.keyboard.press("Tab")
    page.keyboard.press("Control+a")
    page.keyboard.type("0")
    page.keyboard.press("Enter")
    expect(position).to_have_attribute("aria-invalid", "true")
    expect(position).to_have_accessible_description(re.compile("must be 1 or more"))
    expect(dialog.locator("#move-position-problem")).to_have_text("The position must be 1 or more.")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(mover).to_be_focused()

    # "Dialog home" under "Dialog away", after "Dialog inner".
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog", name="Move Dialog home")).to_be_visible()
    inside = dialog.get_by_label("Inside", exact=True)
    expect(inside).to_be_focused()
    expect(inside).to_have_value("")  # the top level
    page.keyboard.type("Dialog away")
    expect(inside).to_have_value(away)
    page.keyboard.press("Tab")
    page.keyboard.press("Control+a")
    page.keyboard.type("2")
    tab_to(page, dialog.get_by_role("button", name="Move", exact=True))
    with moving(page, "categories", home) as moved:
        page.keyboard.press("Enter")
    assert moved.value.status == 204, moved.value.text()
    expect(dialog).to_be_hidden()
    assert portal.children(away)[0] == [inner, home]
    assert home not in [root["id"] for root in portal.tree()]
    expect(categories_in(page, away).locator(":scope > li")).to_have_count(2)
    assert ids_in(categories_in(page, away)) == [inner, home]
    assert home not in ids_in(page.locator("#portal-tree > ul.tree-categories"))
    expect(move_button(page, "Dialog home")).to_be_focused()

    # After a reload the tree shows the same.
    page.reload()
    open_branch(page, away)
    assert ids_in(categories_in(page, away)) == [inner, home]
    assert ids_in(articles_of(page, away)) == [paper, there]


# --- the editor ---------------------------------------------------------------------------------


def test_the_preview_follows_the_text_with_the_servers_html(
    person: Callable[..., BrowserContext], portal: LivePortal
) -> None:
    article = portal.article("Preview me", portal.category("Preview"), "Old words.")
    page = admin_page(person)
    open_editor(page, portal, article)
    preview = page.locator("#preview")
    expect(preview).to_contain_text("Old words.")

    text = page.get_by_label("Text (Markdown)")
    text.fill("")
    text.press_sequentially("## Getting started\n\nRun **this**:\n\n")
    text.press_sequentially("```python\nprint('hello')\n```\n")

    expect(preview.get_by_role("heading", level=2)).to_have_text("Getting started")
    expect(preview.locator("strong")).to_have_text("this")
    code = preview.locator(".highlight pre, pre.highlight").first
    expect(code).to_contain_text("print('hello')")
    # Pygments' tokens: the server's highlighter, not plain text.
    expect(code.locator("span").first).to_be_attached()
    expect(preview).not_to_contain_text("Old words.")


def test_pasting_an_image_uploads_it_to_drive_and_links_it(
    person: Callable[..., BrowserContext], portal: LivePortal
) -> None:
    article = portal.article("Paste here", portal.category("Paste"), "Before the image.\n")
    page = admin_page(person)
    open_editor(page, portal, article)
    text = page.get_by_label("Text (Markdown)")
    text.click()
    page.keyboard.press("Control+End")
    picture = base64.b64encode(png(6, 4)).decode()
    text.evaluate(
        """(area, data) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const file = new File([bytes], "pasted-chart.png", { type: "image/png" });
            const clipboardData = new DataTransfer();
            clipboardData.items.add(file);
            area.dispatchEvent(new ClipboardEvent("paste", {
                clipboardData, bubbles: true, cancelable: true,
            }));
        }""",
        picture,
    )

    expect(page.locator("#save-status")).to_have_text("Uploaded pasted-chart.png.")
    value = text.input_value()
    linked = re.search(r"!\[([^\]]*)\]\(([^)\s]+)\)", value)
    assert linked, value
    assert value.startswith("Before the image.\n"), value
    assert linked.group(1) == "pasted-chart"
    found = ok(portal.api.get("/Drive/Search", params={"searchKeyword": "pasted-chart"}))
    files = found["all_files"]
    assert [f["file_name"] for f in files] == ["pasted-chart.png"], files
    # The link serves the very bytes pasted.
    served = page.request.get(linked.group(2))
    assert served.status == 200 and served.body() == png(6, 4)
    # The preview shows the image.
    expect(page.locator(f"#preview img[src='{linked.group(2)}']")).to_be_attached()


def test_dropping_an_image_on_the_text_uploads_it_to_drive_and_links_it(
    person: Callable[..., BrowserContext], portal: LivePortal
) -> None:
    article = portal.article("Drop here", portal.category("Drop"), "Before the drop.\n")
    page = admin_page(person)
    open_editor(page, portal, article)
    text = page.get_by_label("Text (Markdown)")
    text.click()
    page.keyboard.press("Control+End")
    picture = base64.b64encode(png(5, 3)).decode()
    with page.expect_response(lambda r: r.url.endswith("/portal/drive/upload")) as uploaded:
        text.evaluate(
            """(area, data) => {
                const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
                const file = new File([bytes], "dropped-diagram.png", { type: "image/png" });
                const dataTransfer = new DataTransfer();
                dataTransfer.items.add(file);
                for (const type of ["dragenter", "dragover", "drop"]) {
                    area.dispatchEvent(new DragEvent(type, {
                        dataTransfer, bubbles: true, cancelable: true,
                    }));
                }
            }""",
            picture,
        )
    assert uploaded.value.status == 200, uploaded.value.text()

    expect(page.locator("#save-status")).to_have_text("Uploaded dropped-diagram.png.")
    value = text.input_value()
    linked = re.search(r"!\[([^\]]*)\]\(([^)\s]+)\)", value)
    assert linked, value
    assert value.startswith("Before the drop.\n"), value
    assert linked.group(1) == "dropped-diagram"
    found = ok(portal.api.get("/Drive/Search", params={"searchKeyword": "dropped-diagram"}))
    files = found["all_files"]
    assert [f["file_name"] for f in files] == ["dropped-diagram.png"], files
    served = page.request.get(linked.group(2))
    assert served.status == 200 and served.body() == png(5, 3)
    expect(page.locator(f"#preview img[src='{linked.group(2)}']")).to_be_attached()


# Each toolbar button on "beta" selected in the second line: the text it leaves and what it
# leaves selected.
TOOLBAR = {
    "Bold": ("first line\nalpha **beta** gamma", "beta"),
    "Italic": ("first line\nalpha _beta_ gamma", "beta"),
    "Heading": ("first line\n## alpha beta gamma", ""),
    "Link": ("first line\nalpha [beta](https://) gamma", "beta"),
    "Bulleted list": ("first line\n- alpha beta gamma", ""),
    "Code block": ("first line\nalpha \n```\nbeta\n```\n gamma", "beta"),
    "Table": ("first line\nalpha \n| Column | Column |\n| --- | --- |\n| beta | |\n gamma", "beta"),
}


def test_each_toolbar_button_marks_up_the_selection(
    person: Callable[..., BrowserContext], portal: LivePortal
) -> None:
    article = portal.article("Toolbar", portal.category("Toolbar"), "")
    page = admin_page(person)
    open_editor(page, portal, article)
    text = page.get_by_label("Text (Markdown)")
    toolbar = page.get_by_role("toolbar", name="Formatting")
    expect(toolbar).to_be_visible()
    selected = "area => area.value.slice(area.selectionStart, area.selectionEnd)"
    for name, (marked, still_selected) in TOOLBAR.items():
        text.fill("first line\nalpha beta gamma")
        start = len("first line\nalpha ")
        text.evaluate(f"area => area.setSelectionRange({start}, {start + 4})")
        toolbar.get_by_role("button", name=name, exact=True).click()
        expect(text, name).to_have_value(marked)
        expect(text, name).to_be_focused()
        assert text.evaluate(selected) == still_selected, name

    # With nothing selected, a placeholder is put in and selected, ready to be typed over.
    text.fill("Say ")
    text.evaluate("area => area.setSelectionRange(4, 4)")
    toolbar.get_by_role("button", name="Bold", exact=True).click()
    expect(text).to_have_value("Say **bold text**")
    assert text.evaluate(selected) == "bold text"
    page.keyboard.type("loud")
    expect(text).to_have_value("Say **loud**")
    expect(page.locator("#preview strong")).to_have_text("loud")


def autosave(response: Response) -> bool:
    """The editor's autosave: a save asking for JSON."""
    request = response.request
    return (
        request.method == "POST"
        and request.url.endswith("/save")
        and "application/json" in (request.headers.get("accept") or "")
    )


def test_autosave_keeps_the_draft_as_the_latest_revision(
    person: Callable[..., BrowserContext], portal: LivePortal
) -> None:
    article = portal.article("Autosaved", portal.category("Autosave"), "First words.")
    page = admin_page(person)
    open_editor(page, portal, article)
    text = page.get_by_label("Text (Markdown)")
    text.click()
    page.keyboard.press("Control+End")
    status = page.locator("#save-status")
    with page.expect_response(autosave) as saved:
        page.keyboard.type(" Typed, then left alone.")
    assert saved.value.status == 200, saved.value.text()
    expect(status).to_have_text(AUTOSAVED)
    shown = AUTOSAVED.match(status.inner_text())
    assert shown is not None
    latest = portal.article_in(article)
    assert latest["content"] == "First words. Typed, then left alone."
    assert latest["version_number"] == int(shown.group(1)) == latest["latest_version"]
    assert latest["status"] == 0

    # Typing on saves again, on top of the revision just saved (no conflict with itself).
    with page.expect_response(autosave) as saved:
        page.keyboard.type(" More.")
    assert saved.value.status == 200, saved.value.text()
    expect(status).to_have_text(AUTOSAVED)
    assert portal.article_in(article)["content"] == "First words. Typed, then left alone. More."


def test_two_people_saving_the_same_article_meet_the_conflict_screen(
    person: Callable[..., BrowserContext], portal: LivePortal
) -> None:
    article = portal.article("Shared page", portal.category("Conflicts"), "The original.")
    ada = person(ADMIN_EMAIL).new_page()
    eddie = person(EDITOR_EMAIL).new_page()
    open_editor(ada, portal, article)
    open_editor(eddie, portal, article)

    ada.get_by_label("Text (Markdown)").fill("Ada's version.")
    ada.get_by_role("button", name="Save draft").click()
    expect(notice(ada)).to_have_text("The draft is saved.")

    mine = "Eddie's version,\nwith a second line."
    eddie.get_by_label("Text (Markdown)").fill(mine)
    with eddie.expect_response(lambda r: r.url.endswith("/save")) as answer:
        eddie.get_by_role("button", name="Save draft").click()
    assert answer.value.status == 409
    expect(eddie.get_by_role("heading", level=1)).to_have_text("Someone else saved this page")
    expect(eddie.get_by_role("alert")).to_contain_text("Nothing was overwritten.")
    table = eddie.locator("table.diff")
    expect(table.locator("thead")).to_contain_text("Saved now")
    expect(table.locator("thead")).to_contain_text("Yours")
    expect(table.locator("td.left")).to_contain_text(["Ada's version."])
    expect(table.locator("td.right").first).to_contain_text("Eddie's version,")
    expect(table).to_contain_text("with a second line.")
    assert portal.article_in(article)["content"] == "Ada's version."

    eddie.get_by_role("button", name="Save mine over it").click()
    expect(notice(eddie)).to_have_text("The draft is saved.")
    expect(eddie.get_by_label("Text (Markdown)")).to_have_value(mine)
    assert portal.article_in(article)["content"] == mine


def test_save_and_publish_puts_the_text_on_the_reader_site(
    person: Callable[..., BrowserContext], portal: LivePortal
) -> None:
    article = portal.article("Published soon", portal.category("Publishing"), "Not yet.")
    page = admin_page(person)
    open_editor(page, portal, article)
    page.get_by_label("Text (Markdown)").fill("Now *everyone* reads this.")
    page.get_by_role("button", name="Save and publish").click()

    expect(notice(page)).to_have_text("Published: readers see this version now.")
    latest = portal.article_in(article)
    assert latest["status"] == 3 and latest["public_version"] == latest["version_number"]
    assert latest["content"] == "Now *everyone* reads this."

    reader = page.context.new_page()
    answer = reader.goto(latest["url"])
    assert answer is not None and answer.status == 200, latest["url"]
    expect(reader.get_by_role("heading", level=1)).to_have_text("Published soon")
    expect(reader.locator("main")).to_contain_text("Now everyone reads this.")
    expect(reader.locator("main em")).to_have_text("everyone")


def test_the_history_compares_two_versions_and_restores_one(
    person: Callable[..., BrowserContext], portal: LivePortal
) -> None:
    first_text = "Line one\nLine two\nLine three"
    article = portal.article("Historic", portal.category("History"), first_text)
    ok(
        portal.api.post(
            f"/Articles/{article}/en/publish",
            json={"user_id": portal.owner, "version_number": 1},
        )
    )
    page = admin_page(person)
    open_editor(page, portal, article)
    text = page.get_by_label("Text (Markdown)")
    text.fill("Line one\nLine 2, rewritten\nLine three")
    page.get_by_role("button", name="Save draft").click()
    expect(notice(page)).to_have_text("The draft is saved.")
    text.fill("Line one\nLine 2, rewritten\nLine three\nLine four")
    page.get_by_role("button", name="Save draft").click()
    expect(notice(page)).to_have_text("The draft is saved.")
    latest = portal.article_in(article)["version_number"]
    assert latest == 2

    page.get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("History of Historic")
    expect(page.locator("table.history tbody tr")).to_have_count(2)
    page.get_by_label("left version 1").check()
    page.get_by_label("right version 2").check()
    page.get_by_role("button", name="Compare side by side").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Version 1 and version 2")
    diff = page.locator("table.diff")
    changed = diff.locator("tbody tr.changed")
    expect(changed.locator("td.left")).to_contain_text(["Line two"])
    expect(changed.locator("td.right")).to_contain_text(["Line 2, rewritten"])
    added = diff.locator("tbody tr.added td.right")
    expect(added).to_contain_text(["Line four"])
    expect(diff.locator("tbody tr.removed")).to_have_count(0)

    page.get_by_role("link", name="Back to the history").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Restore version 1").click()
    expect(notice(page)).to_have_text("The version is restored as a new draft.")
    expect(page.get_by_label("Text (Markdown)")).to_have_value(first_text)
    restored = portal.article_in(article)
    assert restored["content"] == first_text
    assert restored["status"] == 0 and restored["public_version"] == 1


def test_typing_two_braces_opens_the_merge_code_picker_and_enter_inserts_the_code(
    person: Callable[..., BrowserContext], portal: LivePortal
) -> None:
    for name, value in (("PickerProduct", "Acme Widgets"), ("PickerRelease", "4.2")):
        ok(
            portal.api.post(
                "/Variables",
                json={"project_version_id": portal.workspace, "name": name, "value": value},
            )
        )
    article = portal.article("Codes", portal.category("Merge codes"), "Install")
    page = admin_page(person)
    open_editor(page, portal, article)
    text = page.get_by_label("Text (Markdown)")
    text.click()
    page.keyboard.press("Control+End")
    page.keyboard.type(" release {{")

    dialog = page.get_by_role("dialog", name="Insert a merge code")
    expect(dialog).to_be_visible()
    search = dialog.get_by_label("Name")
    expect(search).to_be_focused()
    options = dialog.get_by_role("option")
    expect(options.first).to_be_visible()
    page.keyboard.type("PickerRel")
    expect(options).to_have_count(1)
    expect(options).to_contain_text(["variable.PickerRelease"])
    expect(options).to_contain_text(["4.2"])
    page.keyboard.press("Enter")

    expect(dialog).to_be_hidden()
    code = merge_code("variable", "PickerRelease")
    expect(text).to_have_value(f"Install release {code}")
    expect(text).to_be_focused()
    expect(page.locator("#preview")).to_contain_text("Install release 4.2")

    # Opened from the toolbar and left with Escape: the author types on where they were.
    page.get_by_role("button", name="Merge code…").click()
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(text).to_be_focused()
    page.keyboard.type(" now")
    expect(text).to_have_value(f"Install release {code} now")


# --- every screen: axe-core and the JavaScript shipped -----------------------------------------


class Screens:
    """What the screens show: made once for the module, through the API."""

    def __init__(self, portal: LivePortal) -> None:
        self.portal = portal
        self.folder = portal.category("Screens")
        self.article = portal.article(
            "Screen article",
            self.folder,
            "## Setting up\n\nRun the installer.\n\n```sh\nlorebase serve\n```\n",
        )
        portal.article("Second screen article", self.folder, "More.")
        ok(
            portal.api.post(
                f"/Articles/{self.article}/en/publish",
                json={"user_id": portal.owner, "version_number": 1},
            )
        )
        ok(
            portal.api.put(
                f"/Articles/{self.article}/en",
                json={"content": "## Setting up\n\nRun the new installer.\n"},
            )
        )
        self.page_category = portal.category("Screen page", self.folder, category_type=1)
        ok(
            portal.api.put(
                f"/Categories/{self.page_category}/content/en",
                json={"content": "A page category's own text."},
            )
        )
        self.entries = {}
        for segment, body in (
            ("Variables", {"name": "ScreenProduct", "value": "Acme"}),
            ("Snippets", {"name": "ScreenWarning", "content": "**Careful.**"}),
            ("Glossary", {"name": "ScreenTerm", "term": "KB", "definition": "Knowledge base"}),
        ):
            made = ok(
                portal.api.post(
                    f"/{segment}", json={"project_version_id": portal.workspace, **body}
                )
            )
            self.entries[segment.lower()] = made["id"]
        folder = ok(
            portal.api.post("/Drive/Folders", json={"title": "Screens", "user_id": portal.owner})
        )
        ok(
            portal.api.post(
                "/Drive/Folders/Files",
                params={"DriveFolderId": folder["media_folder_id"], "UserId": portal.owner},
                files=[("files", ("screen.png", png(8, 8), "image/png"))],
            )
        )
        self.drive_folder = folder["media_folder_id"]
        wysiwyg = {
            "title": "Screen WYSIWYG article",
            "category_id": self.folder,
            "project_version_id": portal.workspace,
            "user_id": portal.owner,
            "content": "<p>Written in the <strong>WYSIWYG</strong> editor.</p>",
            "content_type": 1,
        }
        self.wysiwyg = str(ok(portal.api.post("/Articles", json=wysiwyg))["id"])
        # No worker runs (LOREBASE_WORKERS=0): the job stays queued, its page keeps polling.
        self.job = str(ok(portal.api.post("/Project/Export", json={"entity": "Project"}))["id"])
        self.members = itertools.count(1)


@pytest.fixture(scope="module")
def screens(portal: LivePortal) -> Screens:
    return Screens(portal)


def conflict_screen(page: Page, portal: LivePortal, screens: Screens) -> None:
    """The editor opened, someone else's save through the API, then "Save draft"."""
    open_editor(page, portal, screens.article)
    now = portal.article_in(screens.article)["content"]
    ok(portal.api.put(f"/Articles/{screens.article}/en", json={"content": now + "\nTheirs."}))
    page.get_by_label("Text (Markdown)").fill(now + "\nMine.")
    with page.expect_response(lambda r: r.url.endswith("/save")) as answer:
        page.get_by_role("button", name="Save draft").click()
    assert answer.value.status == 409
    expect(page.get_by_role("heading", level=1)).to_have_text("Someone else saved this page")


def tree_with_a_branch_open(page: Page, portal: LivePortal, screens: Screens) -> None:
    page.goto(portal.url("/portal"))
    open_branch(page, screens.folder)
    expect(articles_of(page, screens.folder).locator("li")).to_have_count(3)


def issued_token(page: Page, portal: LivePortal, screens: Screens) -> None:
    page.goto(portal.url("/portal/tokens"))
    page.get_by_label("Name", exact=True).fill("Screen check")
    page.get_by_role("button", name="Issue the token").click()
    expect(page.get_by_label(re.compile(r"^Its secret"))).to_have_value(re.compile(r"^lb_"))


def visit(page: Page, url: str, status: int = 200) -> None:
    answer = page.goto(url)
    assert answer is not None and answer.status == status, f"{url}: {answer and answer.status}"


def job_with_live_status(page: Page, portal: LivePortal, screens: Screens) -> None:
    """The job page once its live part has been fetched again and swapped in (htmx)."""
    status = f"/portal/exchange/jobs/{screens.job}/status"
    with page.expect_response(lambda r: r.url.endswith(status) and r.status == 200):
        visit(page, portal.url(f"/portal/exchange/jobs/{screens.job}"))
    expect(page.locator("#job-status")).to_contain_text("Queued")
    expect(page.locator("#job-progress")).to_be_attached()


def read_only_editor(page: Page, portal: LivePortal, screens: Screens) -> None:
    visit(page, portal.url(editor_path(screens.wysiwyg)))
    expect(page.locator(".article-body.readonly strong")).to_have_text("WYSIWYG")


def team_with_a_sign_in_link(page: Page, portal: LivePortal, screens: Screens) -> None:
    visit(page, portal.url("/portal/team"))
    page.locator("#new-email").fill(f"screen.member{next(screens.members)}@example.com")
    page.locator("#new-name").fill("Screen Member")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("code.secret")).to_contain_text("/account/")


def refused_form(page: Page, portal: LivePortal, screens: Screens) -> None:
    """The new-category form sent without a name: the field marked invalid, the reason."""
    visit(page, portal.url("/portal/categories/new"))
    with page.expect_response(lambda r: r.url.endswith("/portal/categories")) as answer:
        page.get_by_role("button", name="Create the category").click()
    assert answer.value.status == 400
    name = page.get_by_label("Name", exact=True)
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#name-problem")).not_to_be_empty()


def merge_code_picker_open(page: Page, portal: LivePortal, screens: Screens) -> None:
    open_editor(page, portal, screens.article)
    page.get_by_role("button", name="Merge code…").click()
    dialog = page.get_by_role("dialog", name="Insert a merge code")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("option").first).to_be_visible()


def move_dialog_open(page: Page, portal: LivePortal, screens: Screens) -> None:
    visit(page, portal.url("/portal"))
    move_button(page, "Screens").click()
    dialog = page.get_by_role("dialog", name="Move Screens")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Inside", exact=True)).to_be_focused()


# How a screen is shown: bring the administrator's page to it and return None, or return
# another person's page showing it.
Show = Callable[[Page], Page | None]


def screen_list(
    portal: LivePortal, screens: Screens, as_editor: Callable[[], Page]
) -> dict[str, Show]:
    """Each portal screen by name, with how to show it (`as_editor` opens a page of the
    editor's, for what an administrator is never refused)."""
    article = editor_path(screens.article)
    page_editor = f"/portal/categories/{screens.page_category}/en/edit"

    def at(path: str, status: int = 200) -> Show:
        return lambda page: visit(page, portal.url(path), status)

    def run(step: Callable[[Page, LivePortal, Screens], None]) -> Show:
        return lambda page: step(page, portal, screens)

    def refused_role(_page: Page) -> Page:
        page = as_editor()
        visit(page, portal.url("/portal/team"), 403)
        expect(page.get_by_role("heading", level=1)).to_have_text("Your role does not allow this")
        return page

    listed: dict[str, Show] = {
        "tree, a branch open": run(tree_with_a_branch_open),
        "category": at(f"/portal/categories/{screens.folder}"),
        "new category": at("/portal/categories/new"),
        "new article": at("/portal/articles/new"),
        "editor (Markdown)": at(article),
        "editor of a page category": at(page_editor),
        "conflict": run(conflict_screen),
        "history": at(f"{article}/history"),
        "compare": at(f"{article}/compare?left=1&right=2"),
        "translate": at(f"{editor_path(screens.article, SECOND_LANGUAGE)}/translate?source=en"),
        "variables": at("/portal/variables"),
        "snippets": at("/portal/snippets"),
        "glossary": at("/portal/glossary"),
        "variable, edit": at(f"/portal/variables/{screens.entries['variables']}"),
        "snippet, edit": at(f"/portal/snippets/{screens.entries['snippets']}"),
        "glossary term, edit": at(f"/portal/glossary/{screens.entries['glossary']}"),
        "drive": at(f"/portal/drive?folder={screens.drive_folder}"),
        "tokens": at("/portal/tokens"),
        "token issued": run(issued_token),
        "team": at("/portal/team"),
        "import and export": at("/portal/exchange"),
        "search": at("/portal/search?q=shelf"),
        "export job, live status": run(job_with_live_status),
        "read-only (WYSIWYG) editor": run(read_only_editor),
        "team, sign-in link shown": run(team_with_a_sign_in_link),
        "refused form": run(refused_form),
        "merge-code picker open": run(merge_code_picker_open),
        "move dialog open": run(move_dialog_open),
        "403 (role refused)": refused_role,
        "404 (no such category)": at("/portal/categories/no-such-category", 404),
    }
    return listed


@pytest.mark.parametrize("scheme", list(BACKGROUNDS))
def test_every_portal_screen_has_no_accessibility_violations(
    person: Callable[..., BrowserContext], portal: LivePortal, screens: Screens, scheme: str
) -> None:
    """axe-core's WCAG 2.x A and AA rules on each screen, as people see it in this scheme."""
    page = admin_page(person, color_scheme=scheme)

    def as_editor() -> Page:
        return person(EDITOR_EMAIL, color_scheme=scheme).new_page()

    found: dict[str, list[dict[str, Any]]] = {}
    for name, show in screen_list(portal, screens, as_editor).items():
        shown_in = show(page) or page
        shown_in.wait_for_load_state("load")
        shown = shown_in.evaluate("getComputedStyle(document.body).backgroundColor")
        assert shown == BACKGROUNDS[scheme], f"{name}: site.css is not applied ({shown})"
        found[name] = axe_violations(shown_in)
    failing = {name: violations for name, violations in found.items() if violations}
    assert not failing, "\n".join(
        f"{scheme} / {name}: {describe(violations)}" for name, violations in failing.items()
    )


def test_the_editor_at_phone_width_has_no_accessibility_violations(
    person: Callable[..., BrowserContext], portal: LivePortal, screens: Screens
) -> None:
    page = admin_page(person, viewport=PHONE, is_mobile=True, has_touch=True)
    open_editor(page, portal, screens.article)
    violations = axe_violations(page)
    assert violations == [], describe(violations)
    # Nothing wider than the phone: no sideways scrolling to reach the text or the buttons.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width


def test_every_portal_screen_ships_at_most_250_kb_of_gzipped_javascript(
    person: Callable[..., BrowserContext],
    portal: LivePortal,
    screens: Screens,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Each script body as the page received it, gzipped here (the server may not compress):
    what a compressing proxy would send. Printed for the issue's note."""
    context = person(ADMIN_EMAIL)
    bodies: dict[str, int] = {}

    def record(response: Response) -> None:
        script = response.request.resource_type == "script"
        if script and response.url.startswith(portal.base) and response.url not in bodies:
            bodies[response.url] = len(gzip.compress(response.body()))

    context.on("response", record)
    page = context.new_page()

    def as_editor() -> Page:
        editor = person(EDITOR_EMAIL)
        editor.on("response", record)
        return editor.new_page()

    weights: dict[str, dict[str, int]] = {}
    for name, show in screen_list(portal, screens, as_editor).items():
        shown_in = show(page) or page
        shown_in.wait_for_load_state("load")
        loaded: list[str] = shown_in.evaluate(
            """() => [...new Set([
                ...[...document.scripts].map((s) => s.src).filter(Boolean),
                ...performance.getEntriesByType("resource")
                    .filter((e) => e.initiatorType === "script").map((e) => e.name),
            ])]"""
        )
        mine = sorted(url for url in loaded if url.startswith(portal.base))
        missing = [url for url in mine if url not in bodies]
        assert not missing, f"{name}: no response recorded for {missing}"
        weights[name] = {url.removeprefix(portal.base): bodies[url] for url in mine}

    lines = ["JavaScript per portal screen (same-origin scripts, gzipped):"]
    for name, scripts in weights.items():
        listed = ", ".join(
            f"{path.rsplit('/', 1)[-1]} {size / 1024:.1f}" for path, size in scripts.items()
        )
        lines.append(f"  {name:<28} {sum(scripts.values()) / 1024:6.1f} KB  ({listed})")
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    heavy = {name: sum(s.values()) for name, s in weights.items() if sum(s.values()) > JS_BUDGET}
    assert not heavy, heavy
