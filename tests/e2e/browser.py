"""Headless Chromium for end-to-end tests: Debian's `chromium` package driven by Playwright.

The browser is installed by `scripts/ensure-chromium` when missing (Playwright's own browser
download is not used); a machine that cannot install it fails the tests that need it, with
the installer's output, rather than skipping them.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Request, Route, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
ENSURE_CHROMIUM = REPO / "scripts" / "ensure-chromium"
ARTIFACTS = REPO / "test-artifacts"
# Root in a container: Chromium's sandbox needs user namespaces it may not have; /dev/shm is
# often 64 MB there, too small for its shared memory.
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
# URL schemes that never leave the machine: the site's own files, and inline data.
OFFLINE_SCHEMES = ("file:", "data:", "about:")


def ensure_chromium() -> None:
    if CHROMIUM.exists():
        return
    try:
        done = subprocess.run(
            [str(ENSURE_CHROMIUM)], capture_output=True, text=True, timeout=900, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        pytest.fail(f"{ENSURE_CHROMIUM} could not run: {error}", pytrace=False)
    if done.returncode != 0 or not CHROMIUM.exists():
        pytest.fail(
            f"Debian's chromium is needed for the browser tests and {ENSURE_CHROMIUM} could "
            f"not install it (exit {done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-3000:]}",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    ensure_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield browser
        browser.close()


@dataclass
class OfflineContext:
    """A browser context in which only `file:`, `data:` and `about:` URLs load; every other
    request is recorded in `requested` and aborted."""

    context: BrowserContext
    requested: list[str] = field(default_factory=list)

    def _record(self, request: Request) -> None:
        if not request.url.startswith(OFFLINE_SCHEMES):
            self.requested.append(request.url)

    def _block(self, route: Route) -> None:
        if route.request.url.startswith(OFFLINE_SCHEMES):
            route.continue_()
        else:
            route.abort()


def offline_context(browser: Browser, **options: Any) -> OfflineContext:
    offline = OfflineContext(browser.new_context(**options))
    offline.context.on("request", offline._record)
    offline.context.route("**/*", offline._block)
    return offline
