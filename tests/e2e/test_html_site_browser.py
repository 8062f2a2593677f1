"""The offline HTML site in a real browser: a knowledge base built through the API, exported
with the "html" writer, unzipped, and opened from disk (`file://`) in headless Chromium with
every request that is not a local file blocked and recorded.

Screenshots of the index and of an article (light, dark, phone width) are saved under
`test-artifacts/html-site/`.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, expect

from lorebase.exchange.formats import EXPORT_WRITERS
from tests.e2e.browser import ARTIFACTS, offline_context
from tests.exchange.test_jsonzip_writer import article, category, drive_file, ok

SCREENSHOTS = ARTIFACTS / "html-site"
PHONE = {"width": 375, "height": 812}
# A 1×1 PNG: the page must show it from the ZIP's media folder.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
# Occurs in the body of "Configure" and nowhere else.
ONLY_IN_CONFIGURE = "zanzibarite"
INSTALL = """Read this before anything else.

## Requirements

A computer with a network card.

### Linux

Any recent distribution.

## Steps

```python
def install(target: str) -> None:
    print("installing", target)
```

| Platform | Supported | Since |
|---|---|--:|
| Linux | yes | 1.0 |
| macOS | yes | 2.1 |

When it is installed, [configure it](/docs/configure).

![The logo]({logo})
"""
CONFIGURE = f"""## Settings

Set the {ONLY_IN_CONFIGURE} option in the settings file.

## Checking

Run the check command.
"""


def publish(project: Any, kind: str, item_id: str, lang: str = "en") -> None:
    body = {"user_id": project.owner_id, "version_number": 1}
    response = project.post(f"/v2/{kind}/{item_id}/{lang}/publish", json=body)
    assert response.status_code == 200 and response.json()["success"], response.text


def drive_image(project: Any) -> str:
    return drive_file(project, "logo.png", PNG)


def unzipped_site(project: Any, folder: Path) -> Path:
    """A published knowledge base in English and French, exported and unzipped in `folder`:
    Guides (Install, Configure; Advanced: Upgrade) and the page category Overview."""
    guides = category(project, "Guides")
    advanced = category(project, "Advanced", parent=guides)
    overview = category(
        project,
        "Overview",
        category_type=1,
        content="What the product does.",
        user_id=project.owner_id,
    )
    install = article(project, guides, "Install", INSTALL.format(logo=drive_image(project)))
    configure = article(project, guides, "Configure", CONFIGURE)
    upgrade = article(project, advanced, "Upgrade", "## Before\n\nBack up your data.")
    for item in (install, configure, upgrade):
        publish(project, "Articles", item)
    publish(project, "Categories", overview)
    project.add_language("fr")
    french = {"title": "Installer", "content": "## Prérequis\n\nUn ordinateur."}
    ok(project.put(f"/v2/Articles/{install}/fr", json=french))
    publish(project, "Articles", install, "fr")

    out = io.BytesIO()
    blobs = project.client.app.state.runtime.blobs
    with project.session() as session:
        EXPORT_WRITERS["html"](session, project.project_id, out, blobs=blobs)
    with zipfile.ZipFile(out) as archive:
        archive.extractall(folder)
    return folder / "index.html"


def open_article(page: Page, index: Path, title: str) -> None:
    """From the site's index, through the workspace home, to the article called `title`."""
    page.goto(index.as_uri())
    page.locator('ul.workspaces a[hreflang="en"]').click()
    expect(page).to_have_url(re.compile(r"/en/index\.html$"))
    page.locator("nav#tree a", has_text=title).first.click()
    expect(page.locator("main article h1")).to_have_text(title)


def test_reader_browses_searches_and_switches_language_offline(project, chromium, tmp_path):
    index = unzipped_site(project, tmp_path / "site")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    offline = offline_context(chromium, viewport={"width": 1280, "height": 900})
    page = offline.context.new_page()

    page.goto(index.as_uri())
    expect(page.locator("ul.workspaces a")).to_have_count(2)
    page.screenshot(path=SCREENSHOTS / "index.png", full_page=True)
    open_article(page, index, "Install")

    # The tree comes from tree.js, drawn by site.js: every ancestor of this page is open.
    tree_links = page.locator("nav#tree a")
    expect(tree_links.first).to_be_visible()
    assert {"Install", "Configure", "Overview"} <= set(tree_links.all_inner_texts())
    expect(page.locator("nav.breadcrumbs")).to_contain_text("Guides")
    toc = page.locator("nav.toc a").evaluate_all("links => links.map(a => a.hash)")
    assert toc == ["#requirements", "#linux", "#steps"]
    expect(page.locator("main article pre.highlight code.language-python")).to_be_visible()
    expect(page.locator("main article table td", has_text="macOS")).to_be_visible()
    image = page.locator("main article img")
    assert image.evaluate("img => img.complete && img.naturalWidth") == 1
    page.screenshot(path=SCREENSHOTS / "article-light.png", full_page=True)

    page.locator("main article a", has_text="configure it").click()
    expect(page.locator("main article h1")).to_have_text("Configure")
    page.locator("a[rel=prev]").click()
    expect(page.locator("main article h1")).to_have_text("Install")
    page.locator("a[rel=next]").click()
    expect(page.locator("main article h1")).to_have_text("Configure")
    page.locator("a[rel=next]").click()
    expect(page.locator("main article h1")).to_have_text("Upgrade")

    page.locator("input#search").fill(ONLY_IN_CONFIGURE)
    results = page.locator("#search-results li a")
    expect(results).to_have_count(1)
    results.click()
    expect(page).to_have_url(re.compile(r"/en/configure\.html$"))
    expect(page.locator("main article h1")).to_have_text("Configure")

    page.locator("a[rel=prev]").click()
    page.locator('nav.languages a[hreflang="fr"]').click()
    expect(page.locator("main article h1")).to_have_text("Installer")
    expect(page.locator("html")).to_have_attribute("lang", "fr")

    offline.context.close()
    assert offline.requested == []


def body_background(browser: Browser, index: Path, **options: Any) -> str:
    offline = offline_context(browser, **options)
    page = offline.context.new_page()
    open_article(page, index, "Install")
    colour: str = page.evaluate("getComputedStyle(document.body).backgroundColor")
    if options.get("color_scheme") == "dark":
        page.screenshot(path=SCREENSHOTS / "article-dark.png", full_page=True)
    offline.context.close()
    assert offline.requested == []
    return colour


def test_site_fits_a_phone_and_follows_the_dark_colour_scheme(project, chromium, tmp_path):
    index = unzipped_site(project, tmp_path / "site")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    phone = offline_context(chromium, viewport=PHONE, device_scale_factor=2, is_mobile=True)
    page = phone.context.new_page()
    page.goto(index.as_uri())
    widths = {"index": page.evaluate("document.scrollingElement.scrollWidth")}
    open_article(page, index, "Install")
    widths["article"] = page.evaluate("document.scrollingElement.scrollWidth")
    page.screenshot(path=SCREENSHOTS / "article-phone.png", full_page=True)
    page.locator("nav.breadcrumbs a").first.click()
    expect(page.locator("nav#tree[data-static] a").first).to_be_visible()
    widths["home"] = page.evaluate("document.scrollingElement.scrollWidth")
    phone.context.close()
    assert all(width <= PHONE["width"] + 1 for width in widths.values()), widths
    assert phone.requested == []

    light = body_background(chromium, index, color_scheme="light")
    dark = body_background(chromium, index, color_scheme="dark")
    assert light != dark
