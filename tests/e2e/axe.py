"""Accessibility checks in browser tests: axe-core, vendored in `tests/e2e/vendor/` (see the
README there), injected into a Playwright page and run on its current document.

    violations = axe_violations(page)
    assert violations == [], describe(violations)

The script is added inline (no request is made), so this works on `file://` pages, in an
`offline_context`, and on pages served over http. A page whose Content-Security-Policy forbids
inline scripts needs a context opened with `bypass_csp=True`. Frames are not entered: axe
reports them as needing review, not as violations.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

AXE_SCRIPT = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
# WCAG 2.0, 2.1 and 2.2, levels A and AA: the rules axe tags with these. (No rule of axe 4.14
# is tagged "wcag22a", so it is not listed.)
WCAG_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
# How many failing elements `describe` lists per rule.
TARGETS_SHOWN = 5

_RUN = """async ([tags, exclude]) => {
    const context = exclude.length ? { exclude: exclude.map((selector) => [selector]) } : document;
    const options = { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] };
    const result = await window.axe.run(context, options);
    return result.violations;
}"""


@cache
def axe_source() -> str:
    """The text of the vendored `axe.min.js`, read once."""
    return AXE_SCRIPT.read_text(encoding="utf-8")


def inject_axe(page: Page) -> None:
    """Make `window.axe` available in the page's current document (once per document)."""
    if page.evaluate("typeof window.axe !== 'undefined' && typeof window.axe.run === 'function'"):
        return
    hint = (
        f"axe-core could not be added to {page.url}: if its Content-Security-Policy forbids "
        "inline scripts, open the browser context with bypass_csp=True"
    )
    try:
        page.add_script_tag(content=axe_source())
    except PlaywrightError as error:
        raise RuntimeError(f"{hint}\n{error.message}") from error
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        raise RuntimeError(hint)


def axe_violations(
    page: Page, *, tags: tuple[str, ...] = WCAG_AA, exclude: list[str] | None = None
) -> list[dict[str, Any]]:
    """Run axe-core on the page's current document and return its violations (each: id, impact,
    help, nodes with target/html).

    `tags` selects the rules (axe's tags, e.g. "wcag2aa", "best-practice"); `exclude` is a list
    of CSS selectors for elements (and their descendants) left out of the check. Each violation
    is axe's own result object: also description, helpUrl, tags, and per node failureSummary.
    """
    inject_axe(page)
    violations: list[dict[str, Any]] = page.evaluate(_RUN, [list(tags), list(exclude or [])])
    return violations


def describe(violations: Sequence[dict[str, Any]]) -> str:
    """A readable multi-line summary of `violations` for assertion messages: per rule its id,
    impact, help text and URL, and the first few failing elements' selectors."""
    if not violations:
        return "no accessibility violations"
    lines = [f"{len(violations)} accessibility violation(s):"]
    for violation in violations:
        nodes = violation.get("nodes", [])
        lines.append(
            f"- {violation.get('id')} [{violation.get('impact')}]: {violation.get('help')}"
            f" ({len(nodes)} element(s)) {violation.get('helpUrl', '')}".rstrip()
        )
        for node in nodes[:TARGETS_SHOWN]:
            target = " >> ".join(
                " ".join(part) if isinstance(part, list) else str(part)
                for part in node.get("target", [])
            )
            html = " ".join(str(node.get("html", "")).split())
            if len(html) > 120:
                html = html[:117] + "..."
            lines.append(f"    {target}  {html}")
        if len(nodes) > TARGETS_SHOWN:
            lines.append(f"    ... and {len(nodes) - TARGETS_SHOWN} more")
    return "\n".join(lines)
