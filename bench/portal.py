"""Authoring-portal benchmark (issue 15): the editor's preview, the tree screen of a large
workspace in a real browser, and the JavaScript each portal screen ships.

Generates 1,000 categories and 10,000 articles (bench/generate.py), adds an editor's account
with a password and a variable, a snippet and a glossary term, starts the server as a user
would (`lorebase serve`, `bench.reads.running_server`), signs in over HTTP (the sign-in form
and its CSRF token, with httpx) and measures the issue's three targets, each an absolute
figure printed with its target and PASS/FAIL beside a baseline of the same run for scale:

1. the preview round trip: `POST /portal/articles/{id}/en/preview` with a 4 KB Markdown
   article (headings, lists, fenced code, a table, a note, merge codes), as the editor's
   htmx request sends it (X-CSRF-Token, HX-Request), on one keep-alive connection
   (`bench.reads.RawConnection`); p50 <= 30 ms. Baseline: GET /health on the same connection;
2. the tree screen (`GET /portal?ws=<id>`): the server's answer (p50 of --tree-requests, HTML
   size), then in Debian's Chromium (Playwright, /usr/bin/chromium) from navigation start to
   DOMContentLoaded, to the load event, and until the tree responds: as soon as the DOM is
   ready the first category's toggle is clicked, and the time is taken at the first frame
   after its article list arrived (htmx swaps it in). Each run is a first visit (a new
   browser context, empty cache); median of --browser-runs; "interactive" <= 1 s. Without
   Chromium this part is skipped and says so;
3. JavaScript per screen (tree, editor, Drive, variables, snippets, glossary): the gzip -6
   size of every same-origin script the page names (`<script src>`), plus any other script
   the browser fetched for it (module imports, scripts added later) when Chromium is there;
   <= 250 KB each.

    .venv/bin/python -m bench.portal
    .venv/bin/python -m bench.portal --database-url postgresql+psycopg://postgres@127.0.0.1/postgres
    .venv/bin/python -m bench.portal --smoke        # CI: 60 articles, a few requests of each

With a PostgreSQL URL a scratch database is created on that server and dropped at the end. A
figure off its target is reported (FAIL) and the exit status is 0: a benchmark reports, it
does not gate. A sign-in refused, a screen or a preview not answered 200, or a tree that
never responded measured nothing: exit status 1.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urljoin, urlsplit

import httpx

if __package__ in (None, ""):  # run as `python bench/portal.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate import GeneratedWorkspace, scratch_workspace
from bench.reads import RawConnection, Server, path_of, request_bytes, running_server
from bench.report import (
    GZIP_LEVEL,
    RESULT_HEADS,
    GzipSizes,
    exit_status,
    gzip_size,
    percentile,
    say,
    table_lines,
    verdict,
    workspace_arguments,
    workspace_heading,
)
from lorebase.auth import accounts
from lorebase.auth.roles import Role
from lorebase.db.engine import make_engine, make_session_factory, transaction
from lorebase.kb import merge_codes, workspaces
from lorebase.web.visitor import SESSION_COOKIE

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext

PREVIEW_P50_TARGET_MS = 30.0
INTERACTIVE_TARGET_S = 1.0
JS_TARGET_KB = 250.0
CHROMIUM = Path("/usr/bin/chromium")
# Root in a container: Chromium's sandbox needs user namespaces it may not have; /dev/shm is
# often 64 MB there (the flags of tests/e2e/browser.py).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
EMAIL = "bench.portal@example.com"
PASSWORD = "benchmark: the portal's correct horse battery staple"
LANG = "en"
WARMUP = 5
CSRF_HEADER = re.compile(r'"X-CSRF-Token": "([0-9a-f]+)"')
SCRIPT_SRC = re.compile(r"<script\b[^>]*\bsrc=\"([^\"]+)\"")
# The merge codes the preview's article uses, made in the workspace before the server starts.
MERGE_CODES = {
    "variable": {"name": "product_name", "value": "Acme Relay"},
    "snippet": {
        "name": "support",
        "value": "Still stuck? Write to **support@example.com** with the key's id and the "
        "time of the last event you received.",
    },
    "glossary": {
        "name": "lease",
        "value": "lease",
        "definition": "The time a key may sign or verify before it must be renewed.",
    },
}

# A 4 KB article as authors write them (about 4,100 bytes: the report prints the exact size).
PREVIEW_MARKDOWN = """\
# Rotating the webhook signing key of {{variable.product_name}}

{{variable.product_name}} signs every webhook it sends with a key that lives for ninety days.
This article explains when to rotate the key, how to do it without dropping events, and what
to check afterwards. Read the [security overview](https://docs.example.com/security) first if
the words *key ring* are new to you; a key's {{glossary.lease}} is explained there too.

## Before you start

You need:

- an account with the **Administrator** role;
- the command-line client, version 4.2 or later (`acme --version` prints it);
- about fifteen minutes, most of it waiting for caches to expire;
- the list of receivers that verify signatures, with a way to reach their owners.

> **Note:** rotating the key does not invalidate events already delivered. Receivers that
> keep a copy of the key ring must fetch it again; the steps below say when.

## Rotate the key

1. Create the new key. It starts *pending* and signs nothing yet:

   ```bash
   acme keys create --purpose webhooks --algorithm ed25519
   acme keys list --purpose webhooks --format table
   ```

2. Publish the key ring, so that receivers learn the new public key before it signs:
   `acme keys publish --purpose webhooks`.
3. Wait until every receiver has fetched the ring. The delivery log shows the last fetch of
   each one; an hour is usually enough.
4. Promote the new key. From now on it signs every event, and the old key moves to
   *retiring*: it still verifies, for seven days.
5. After seven days, retire the old key: `acme keys retire --id <old key id>`.

## The states of a key

| State | Signs new events | Verifies old events | Lasts |
|---|---|---|--:|
| pending | no | no | until promoted |
| active | yes | yes | 90 days |
| retiring | no | yes | 7 days |
| retired | no | no | forever |

A key that reaches the end of its ninety days without a successor stays active, and the
dashboard shows a warning on every page until a new key is promoted.

## Verifying a signature

Receivers verify the `Acme-Signature` header against the raw body, before parsing it:

```python
import base64
from nacl.signing import VerifyKey

def verify(body: bytes, header: str, ring: dict[str, str]) -> bool:
    key_id, _, signature = header.partition(":")
    public = ring.get(key_id)
    if public is None:
        return False  # an unknown key: fetch the ring again, then retry once
    try:
        VerifyKey(base64.b64decode(public)).verify(body, base64.b64decode(signature))
    except Exception:
        return False
    return True
```

Keep the ring in memory and fetch it again when a signature names a key you do not know,
at most once a minute: a receiver that fetches on every event slows down its own deliveries.

## Rotating on a schedule

Most teams rotate on the first Monday of each quarter, so that the ninety days never run out
during a holiday. The client can do the first three steps from a scheduled job; promotion and
retirement stay manual, because someone has to read the delivery log before each of them.

```json
{
  "schedule": "0 9 1-7 1,4,7,10 1",
  "steps": ["create", "publish", "notify"],
  "notify": "#webhooks-on-call",
  "algorithm": "ed25519"
}
```

## Troubleshooting

- **Events fail verification right after the promotion.** A receiver still holds the old
  ring. Ask its owner to fetch the ring again, or wait: the ring's cache lifetime is one hour.
- **The promotion is refused.** Another administrator is rotating the same key; the audit
  log names them and the time they started.
- **The dashboard still warns after the promotion.** The warning is computed once an hour;
  it clears by itself at the next computation.
- **Deliveries stop altogether.** Check the endpoint's status page first:
  - a 401 or 403 means the receiver rejects the signature;
  - a 5xx means the receiver itself is failing, whatever the key.

Checklist for the day of the rotation:

- [x] the new key is created and published
- [x] every receiver fetched the ring
- [ ] the new key is promoted
- [ ] the old key is retired, seven days later

{{snippet.support}}
"""


# --- the account and the merge codes -----------------------------------------------------------


def seed_author(ws: GeneratedWorkspace) -> None:
    """An editor's account with a password (the role whose tree screen loads the most script:
    SortableJS for drag and drop), and the merge codes the preview's article names."""
    engine = make_engine(ws.database_url, pooled=False)
    try:
        with transaction(make_session_factory(engine)) as session:
            user = workspaces.create_user(
                session,
                ws.project_id,
                email=EMAIL,
                first_name="Bench",
                last_name="Portal",
                role=int(Role.EDITOR),
            )
            hashed = accounts.new_password_hash(user, PASSWORD)
            accounts.store_password(session, user.id, hashed, keep_session=None)
            for kind, fields in MERGE_CODES.items():
                merge_codes.create_entry(
                    session, ws.project_id, kind, {"project_version_id": ws.workspace_id, **fields}
                )
    finally:
        engine.dispose()


@dataclass
class SignedInClient:
    """The session (httpx's cookie jar after the sign-in form) and the CSRF token of the
    portal's htmx requests."""

    http: httpx.Client
    session_cookie: str
    csrf_token: str


def sign_in(server: Server, ws: GeneratedWorkspace) -> SignedInClient:
    http = httpx.Client(base_url=server.base_url, timeout=120, follow_redirects=False)
    form_page = http.get("/account/signin")
    if form_page.status_code != 200:
        raise RuntimeError(f"GET /account/signin: HTTP {form_page.status_code}")
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form_page.text)
    if found is None:
        raise RuntimeError("the sign-in page has no csrf_token field")
    answer = http.post(
        "/account/signin",
        data={
            "csrf_token": found.group(1),
            "email": EMAIL,
            "password": PASSWORD,
            "next": "/portal",
        },
    )
    session_cookie = http.cookies.get(SESSION_COOKIE)
    if answer.status_code != 303 or not session_cookie:
        raise RuntimeError(
            f"the sign-in was refused: HTTP {answer.status_code}: {answer.text[:500]}"
        )
    # Signed in, the CSRF token is bound to the session: read it off a portal page.
    portal = http.get(f"/portal?ws={ws.workspace_id}")
    token = CSRF_HEADER.search(portal.text) if portal.status_code == 200 else None
    if token is None:
        raise RuntimeError(f"GET /portal: HTTP {portal.status_code}, no CSRF token in the page")
    return SignedInClient(http, session_cookie, token.group(1))


# --- 1. the preview and 2a. the tree screen's answer ---------------------------------------------


@dataclass
class Timings:
    preview_ms: list[float]
    preview_health_ms: list[float]
    preview_html_bytes: int
    tree_ms: list[float]
    tree_health_ms: list[float]
    tree_html: bytes


def _alternate(
    connection: RawConnection, request: bytes, health: bytes, count: int, what: str
) -> tuple[list[float], list[float], bytes]:
    """`count` timed requests, each followed by a GET /health on the same connection (so
    drift on a shared machine touches both), after WARMUP untimed ones of each."""
    timed, baseline, body = [], [], b""
    for n in range(WARMUP + count):
        ms, status, body = connection.get(request)
        if status != 200:
            raise RuntimeError(f"{what}: HTTP {status}: {body[:500]!r}")
        health_ms, health_status, _ = connection.get(health)
        if health_status != 200:
            raise RuntimeError(f"GET /health: HTTP {health_status}")
        if n >= WARMUP:
            timed.append(ms)
            baseline.append(health_ms)
    return timed, baseline, body


def measure_http(
    server: Server,
    ws: GeneratedWorkspace,
    client: SignedInClient,
    previews: int,
    tree_requests: int,
) -> Timings:
    cookie = f"{SESSION_COOKIE}={client.session_cookie}"
    preview_path = f"/portal/articles/{ws.article_ids[0]}/{LANG}/preview"
    preview = request_bytes(
        server,
        preview_path,
        {
            "Cookie": cookie,
            "Content-Type": "application/x-www-form-urlencoded",
            "X-CSRF-Token": client.csrf_token,
            "HX-Request": "true",
        },
        method="POST",
        body=urlencode({"content": PREVIEW_MARKDOWN}).encode(),
    )
    tree = request_bytes(server, f"/portal?ws={ws.workspace_id}", {"Cookie": cookie})
    health = request_bytes(server, "/health", {})
    connection = RawConnection(server)
    try:
        preview_ms, preview_health, html = _alternate(
            connection, preview, health, previews, f"POST {preview_path}"
        )
        text = html.decode()
        # The preview went through the publishing pipeline: merge codes resolved, the table
        # and the code rendered.
        for expected in ("Acme Relay", "support@example.com", "<table", "<pre", "<h2"):
            if expected not in text:
                raise RuntimeError(f"the preview lacks {expected!r}: {text[:500]}")
        tree_ms, tree_health, tree_html = _alternate(
            connection, tree, health, tree_requests, "GET /portal"
        )
    finally:
        connection.close()
    if b'id="portal-tree"' not in tree_html:
        raise RuntimeError("GET /portal answered a page without the tree")
    return Timings(preview_ms, preview_health, len(html), tree_ms, tree_health, tree_html)


# --- 2b. the tree screen in Chromium, 3. JavaScript per screen ----------------------------------

# Runs in the page once its DOM is ready: clicks the first category's toggle and resolves,
# at the first frame after htmx replaced that category's article list, with the times from
# navigation start (performance.now()'s origin).
OPEN_FIRST_BRANCH = """
() => new Promise((resolve, reject) => {
  const button = document.querySelector("#portal-tree button.twisty");
  if (!button) { reject(new Error("the tree has no category toggle")); return; }
  // The branch's article list: the placeholder tree.js replaces when the branch first opens.
  const branch = document.getElementById(button.getAttribute("aria-controls"));
  const old = branch && branch.querySelector(":scope > ul.tree-articles");
  const target = old ? "#" + CSS.escape(old.id) : "";
  if (!old) { reject(new Error("no article list " + target)); return; }
  const timer = setTimeout(() => reject(new Error("the article list never arrived")), 20000);
  const observer = new MutationObserver(() => {
    const list = document.querySelector(target);
    if (!list || list === old) return;
    observer.disconnect();
    requestAnimationFrame(() => {
      clearTimeout(timer);
      resolve({clicked, shown: performance.now(),
               articles: list.querySelectorAll("li").length,
               visible: !document.getElementById(button.getAttribute("aria-controls")).hidden});
    });
  });
  observer.observe(document.body, {childList: true, subtree: true});
  const clicked = performance.now();
  button.click();
})
"""

# DevTools' Performance.getMetrics counters (seconds of the renderer's main thread), by the
# name the report gives them.
MAIN_THREAD = {
    "TaskDuration": "all tasks",
    "ScriptDuration": "script",
    "RecalcStyleDuration": "style",
    "LayoutDuration": "layout",
}

NAVIGATION_TIMING = """
() => {
  const n = performance.getEntriesByType("navigation")[0];
  return {response_start: n.responseStart, response_end: n.responseEnd,
          dom_content_loaded: n.domContentLoadedEventEnd, load: n.loadEventEnd,
          categories: document.querySelectorAll("#portal-tree button.twisty").length};
}
"""


@dataclass
class BrowserRun:
    response_start_ms: float
    response_end_ms: float
    dom_content_loaded_ms: float
    load_ms: float
    clicked_ms: float
    shown_ms: float  # the first frame after the first branch's article list arrived
    articles: int
    categories: int
    main_thread_ms: dict[str, float]  # MAIN_THREAD's counters, at the end of the run


@dataclass
class BrowserResult:
    version: str
    runs: list[BrowserRun]
    # screen -> same-origin script paths the browser fetched for it
    scripts_fetched: dict[str, list[str]] = field(default_factory=dict)

    def median(self, name: str) -> float:
        return float(statistics.median(getattr(run, name) for run in self.runs))

    def main_thread(self, counter: str) -> float:
        return float(statistics.median(run.main_thread_ms[counter] for run in self.runs))


def measure_browser(
    server: Server, client: SignedInClient, tree_path: str, screens: dict[str, str], runs: int
) -> BrowserResult:
    from playwright.sync_api import Error

    try:
        return _measure_browser(server, client, tree_path, screens, runs)
    except Error as error:
        raise RuntimeError(f"Chromium: {error}") from error


def _measure_browser(
    server: Server, client: SignedInClient, tree_path: str, screens: dict[str, str], runs: int
) -> BrowserResult:
    from playwright.sync_api import Request, sync_playwright

    origin = server.base_url
    results: list[BrowserRun] = []
    fetched: dict[str, list[str]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            # One untimed visit first: the browser's own start-up is not the page's cost.
            for n in range(runs + 1):
                # A new context each time: a first visit, nothing in the browser's cache.
                context = _signed_in_context(browser, origin, client.session_cookie)
                try:
                    page = context.new_page()
                    # Chromium's own counters of the renderer's main thread (DevTools'
                    # Performance domain): where the time to DOMContentLoaded went.
                    devtools = context.new_cdp_session(page)
                    devtools.send("Performance.enable")
                    answer = page.goto(origin + tree_path, wait_until="domcontentloaded")
                    if answer is None or answer.status != 200:
                        raise RuntimeError(
                            f"Chromium: GET {tree_path}: HTTP {answer.status if answer else '?'}"
                        )
                    opened: dict[str, Any] = page.evaluate(OPEN_FIRST_BRANCH)
                    page.wait_for_load_state("load")
                    timing: dict[str, Any] = page.evaluate(NAVIGATION_TIMING)
                    counters = {
                        metric["name"]: metric["value"] * 1000
                        for metric in devtools.send("Performance.getMetrics")["metrics"]
                    }
                    if not opened["visible"]:
                        raise RuntimeError("Chromium: the first branch did not open")
                    if n == 0:
                        continue
                    results.append(
                        BrowserRun(
                            timing["response_start"],
                            timing["response_end"],
                            timing["dom_content_loaded"],
                            timing["load"],
                            opened["clicked"],
                            opened["shown"],
                            opened["articles"],
                            timing["categories"],
                            {name: counters.get(name, 0.0) for name in MAIN_THREAD},
                        )
                    )
                finally:
                    context.close()
            for screen, path in screens.items():
                # Each screen a first visit too: every script is requested, none from cache.
                context = _signed_in_context(browser, origin, client.session_cookie)
                try:
                    page = context.new_page()
                    requested: list[Request] = []

                    def record(request: Request, requested: list[Request] = requested) -> None:
                        requested.append(request)

                    page.on("request", record)
                    # Network idle: scripts a page adds after its load event are counted too.
                    answer = page.goto(origin + path, wait_until="networkidle")
                    if answer is None or answer.status != 200:
                        raise RuntimeError(
                            f"Chromium: GET {path}: HTTP {answer.status if answer else '?'}"
                        )
                    fetched[screen] = sorted(
                        {
                            path_of(r.url)
                            for r in requested
                            if r.resource_type == "script" and r.url.startswith(origin + "/")
                        }
                    )
                finally:
                    context.close()
            version = browser.version
        finally:
            browser.close()
    return BrowserResult(version, results, fetched)


def _signed_in_context(browser: Browser, origin: str, session_cookie: str) -> BrowserContext:
    """A new browser context (a first visit: an empty cache) holding the session cookie."""
    context = browser.new_context()
    context.add_cookies([{"name": SESSION_COOKIE, "value": session_cookie, "url": origin}])
    return context


@dataclass
class ScreenScripts(GzipSizes):
    """The scripts of one screen: `files` holds each one's (path, bytes, gzip bytes)."""

    screen: str
    path: str
    browser_only: list[str]  # fetched by the browser, not named by a <script src>


def screen_paths(ws: GeneratedWorkspace) -> dict[str, str]:
    query = f"?ws={ws.workspace_id}&lang={LANG}"
    return {
        "tree": f"/portal{query}",
        "editor": f"/portal/articles/{ws.article_ids[0]}/{LANG}{query}",
        "Drive": "/portal/drive",
        "variables": f"/portal/variables{query}",
        "snippets": f"/portal/snippets{query}",
        "glossary": f"/portal/glossary{query}",
    }


def measure_scripts(
    server: Server, client: SignedInClient, screens: dict[str, str], fetched: dict[str, list[str]]
) -> list[ScreenScripts]:
    found: list[ScreenScripts] = []
    sizes: dict[str, tuple[int, int]] = {}
    origin = urlsplit(server.base_url).netloc
    for screen, path in screens.items():
        page = client.http.get(path)
        if page.status_code != 200:
            raise RuntimeError(f"GET {path} ({screen}): HTTP {page.status_code}: {page.text[:300]}")
        named = []
        for src in SCRIPT_SRC.findall(page.text):
            url = urljoin(server.base_url + path, src)
            if urlsplit(url).netloc == origin:
                named.append(path_of(url))
        named = list(dict.fromkeys(named))
        extra = [p for p in fetched.get(screen, []) if p not in named]
        scripts = []
        for script in [*named, *extra]:
            if script not in sizes:
                body = client.http.get(script)
                if body.status_code != 200:
                    raise RuntimeError(
                        f"GET {script} (a script of {path}): HTTP {body.status_code}"
                    )
                sizes[script] = (len(body.content), gzip_size(body.content))
            scripts.append((script, *sizes[script]))
        found.append(ScreenScripts(files=scripts, screen=screen, path=path, browser_only=extra))
    return found


# --- report -------------------------------------------------------------------------------------


def report(
    ws: GeneratedWorkspace,
    timings: Timings,
    browser: BrowserResult | None,
    skipped: str,
    scripts: list[ScreenScripts],
) -> str:
    preview_p50 = percentile(timings.preview_ms, 0.5)
    preview_health = percentile(timings.preview_health_ms, 0.5)
    tree_p50 = percentile(timings.tree_ms, 0.5)
    tree_health = percentile(timings.tree_health_ms, 0.5)
    tree_kb = len(timings.tree_html) / 1024
    tree_gzip_kb = gzip_size(timings.tree_html) / 1024
    size = len(PREVIEW_MARKDOWN.encode())
    rows: list[tuple[str, str, str, str, str, str]] = [
        (
            f"preview round trip p50, {size:,}-byte article, {len(timings.preview_ms)} requests",
            f"{preview_p50:.1f} ms",
            f"/health p50 {preview_health:.2f} ms",
            f"{preview_p50 / preview_health:.1f}x" if preview_health else "",
            f"<= {PREVIEW_P50_TARGET_MS:g} ms",
            verdict(preview_p50 <= PREVIEW_P50_TARGET_MS),
        ),
        (
            f"tree screen, server answer p50 of {len(timings.tree_ms)} ({tree_kb:,.0f} KB HTML)",
            f"{tree_p50:.1f} ms",
            f"/health p50 {tree_health:.2f} ms",
            f"{tree_p50 / tree_health:.0f}x" if tree_health else "",
            "",
            "",
        ),
    ]
    if browser is not None:
        interactive = browser.median("shown_ms") / 1000
        rows.append(
            (
                f"tree screen interactive in Chromium, median of {len(browser.runs)} first visits",
                f"{interactive:.3f} s",
                f"DOMContentLoaded {browser.median('dom_content_loaded_ms') / 1000:.3f} s, "
                f"load {browser.median('load_ms') / 1000:.3f} s",
                "",
                f"<= {INTERACTIVE_TARGET_S:g} s",
                verdict(interactive <= INTERACTIVE_TARGET_S),
            )
        )
    else:
        rows.append(
            (
                "tree screen interactive in Chromium",
                "skipped",
                skipped,
                "",
                f"<= {INTERACTIVE_TARGET_S:g} s",
                "",
            )
        )
    for screen in scripts:
        rows.append(
            screen.row(
                f"JS shipped, {screen.screen} screen ({len(screen.files)} scripts), "
                f"gzip -{GZIP_LEVEL}",
                JS_TARGET_KB,
            )
        )
    lines = [
        workspace_heading("Lorebase authoring-portal benchmark", ws.engine, ws),
        "",
        *table_lines(RESULT_HEADS, rows, strip=True),
        "",
        "details (one keep-alive connection, each request followed by a GET /health):",
        f"  preview (ms): p50 {preview_p50:.1f} / p95 {percentile(timings.preview_ms, 0.95):.1f}"
        f" / max {max(timings.preview_ms):.1f}; /health p50 {preview_health:.2f} / p95 "
        f"{percentile(timings.preview_health_ms, 0.95):.2f}; answer "
        f"{timings.preview_html_bytes:,} bytes of HTML",
        f"  tree screen (ms): p50 {tree_p50:.1f} / p95 {percentile(timings.tree_ms, 0.95):.1f}"
        f" / max {max(timings.tree_ms):.1f}; HTML {len(timings.tree_html):,} bytes, "
        f"{tree_gzip_kb:,.1f} KB gzip -{GZIP_LEVEL} (the server sends it uncompressed)",
    ]
    if browser is not None:
        lines.append(
            f"  Chromium {browser.version}, from navigation start (ms; medians of "
            f"{len(browser.runs)}): first byte {browser.median('response_start_ms'):.0f}, "
            f"HTML received {browser.median('response_end_ms'):.0f}, DOMContentLoaded "
            f"{browser.median('dom_content_loaded_ms'):.0f}, load {browser.median('load_ms'):.0f},"
            f" toggle clicked {browser.median('clicked_ms'):.0f}, its articles shown "
            f"{browser.median('shown_ms'):.0f} (click to shown "
            f"{statistics.median(r.shown_ms - r.clicked_ms for r in browser.runs):.0f})"
        )
        lines.append(
            "  Chromium's main thread until then (ms; medians, DevTools' counters): "
            + ", ".join(
                f"{label} {browser.main_thread(counter):.0f}"
                for counter, label in MAIN_THREAD.items()
            )
        )
        first = browser.runs[0]
        lines.append(
            f"  the tree in the browser: {first.categories:,} categories, first branch "
            f"{first.articles:,} articles; runs (DOMContentLoaded / shown, ms): "
            + ", ".join(f"{r.dom_content_loaded_ms:.0f} / {r.shown_ms:.0f}" for r in browser.runs)
        )
    else:
        lines.append(f"  tree screen in Chromium: skipped, {skipped}")
    for screen in scripts:
        seen = (
            f"; fetched by the browser only: {', '.join(screen.browser_only)}"
            if screen.browser_only
            else ""
        )
        lines.append(
            f"  JS of {screen.screen} ({screen.path.split('?')[0]}): {screen.listing()}{seen}"
        )
    if browser is None:
        lines.append("  (scripts as the pages name them; without a browser, none added later)")
    return "\n".join(lines)


# --- main ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    workspace_arguments(parser)
    parser.add_argument("--previews", type=int, default=200, help="timed preview requests")
    parser.add_argument("--tree-requests", type=int, default=20, help="timed GET /portal")
    parser.add_argument("--browser-runs", type=int, default=5, help="first visits in Chromium")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium part")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="CI size: 60 articles, 10 categories, 10 previews, 3 tree requests, 1 browser run",
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.articles, args.categories = 60, 10
        args.previews, args.tree_requests, args.browser_runs = 10, 3, 1
    return exit_status("portal", lambda: run(args))


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    with scratch_workspace(args, "lorebase-bench-portal-") as (ws, data):
        seed_author(ws)
        say(f"  done in {ws.seconds:.1f} s; starting the server...")
        with running_server(ws.database_url, data, "cli") as server:
            client = sign_in(server, ws)
            try:
                say(f"{args.previews} previews, {args.tree_requests} tree screens...")
                timings = measure_http(server, ws, client, args.previews, args.tree_requests)
                screens = screen_paths(ws)
                browser: BrowserResult | None = None
                skipped = ""
                if args.no_browser:
                    skipped = "--no-browser given"
                elif not CHROMIUM.exists():
                    skipped = f"no browser at {CHROMIUM} (scripts/ensure-chromium installs it)"
                else:
                    say(f"Chromium: {args.browser_runs} visits of the tree, then the screens...")
                    browser = measure_browser(
                        server, client, screens["tree"], screens, args.browser_runs
                    )
                scripts = measure_scripts(
                    server, client, screens, browser.scripts_fetched if browser else {}
                )
            finally:
                client.http.close()
    print(report(ws, timings, browser, skipped, scripts))
    print(f"\nwall time of the whole run: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
