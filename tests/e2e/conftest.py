"""The end-to-end tests' one browser: a single session-wide Chromium for every module (two
module-level copies of the fixture would start Playwright twice, which its sync API refuses)."""

from tests.e2e.browser import chromium  # noqa: F401
