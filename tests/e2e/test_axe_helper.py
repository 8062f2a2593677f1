"""The axe-core helper (tests/e2e/axe.py) on two small pages opened from disk: one with known
accessibility faults, which axe must report, and one without, on which it must report none."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser

from tests.e2e.axe import axe_violations, describe
from tests.e2e.browser import offline_context

# No lang, an image without alt text, an input without a label.
FAULTY = """<!doctype html>
<html>
<head><meta charset="utf-8"><title>Faulty</title></head>
<body>
<main>
<h1>Faulty</h1>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="10" height="10">
<form><input type="text" id="name"></form>
</main>
</body>
</html>
"""
CLEAN = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Clean</title></head>
<body>
<main>
<h1>Clean</h1>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="10" height="10" alt="A dot">
<form><label for="name">Name</label> <input type="text" id="name"></form>
</main>
</body>
</html>
"""


def violations_of(
    browser: Browser, file: Path, exclude: list[str] | None = None
) -> list[dict[str, Any]]:
    """axe's violations on `file`, opened from disk in a context where nothing else loads."""
    offline = offline_context(browser)
    page = offline.context.new_page()
    page.goto(file.as_uri())
    found = axe_violations(page, exclude=exclude)
    offline.context.close()
    assert offline.requested == []
    return found


def test_axe_reports_the_faults_of_a_faulty_page(chromium, tmp_path):
    page = tmp_path / "faulty.html"
    page.write_text(FAULTY, encoding="utf-8")

    violations = violations_of(chromium, page)

    ids = {violation["id"] for violation in violations}
    assert {"image-alt", "label", "html-has-lang"} <= ids, describe(violations)
    summary = describe(violations)
    assert "image-alt" in summary and "img" in summary
    # Excluding the image leaves its rule nothing to fail on.
    without_image = violations_of(chromium, page, exclude=["img"])
    assert "image-alt" not in {violation["id"] for violation in without_image}
    assert "label" in {violation["id"] for violation in without_image}


@contextmanager
def served(folder: Path) -> Iterator[str]:
    """`folder` served over http on a free local port; yields the base URL."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_axe_runs_on_a_page_served_over_http(chromium, tmp_path):
    (tmp_path / "faulty.html").write_text(FAULTY, encoding="utf-8")
    context = chromium.new_context()
    page = context.new_page()
    with served(tmp_path) as base:
        page.goto(f"{base}/faulty.html")
        first = axe_violations(page)
        # A second run in the same document reuses the injected script.
        again = axe_violations(page, tags=("wcag2a",))
    context.close()

    assert {"image-alt", "label", "html-has-lang"} <= {v["id"] for v in first}, describe(first)
    assert {"image-alt", "label", "html-has-lang"} <= {v["id"] for v in again}, describe(again)


def test_axe_finds_nothing_on_a_clean_page(chromium, tmp_path):
    page = tmp_path / "clean.html"
    page.write_text(CLEAN, encoding="utf-8")

    violations = violations_of(chromium, page)

    assert violations == [], describe(violations)
