"""Reader-site benchmark: the live HTML site (`/docs/...`, `/search`, sitemaps) on a large
workspace.

Generates 1,000 categories and 10,000 articles (bench/generate.py), every one published and
visible (`all_public`: the sitemap then lists every article; `--with-drafts` for the mixed
workspace of the other benchmarks, 20% draft only, ~3% hidden), starts the server as a
user would (`lorebase serve`, `bench.reads.running_server`) and measures, against baselines
taken in the same run on the same server with the same client (`bench.reads.load_phase`:
pre-encoded HTTP/1.1 on keep-alive connections, concurrency 16 by default):

- article pages, uncached (each request another article, cycling through more articles than
  the page cache keeps, so every request renders) vs GET /health: target >= 0.4x;
- article pages, cached (one article again and again, after a warm-up) vs /health: >= 0.9x;
- the search page, one query at a time (a few hundred queries of every kind of
  bench/search.py: titles, typos, questions, inflections, prefixes): p95 <= 150 ms; the v2
  search route with the same queries is shown beside it;
- the sitemap, first request after a write (`/sitemap.xml`, then the default language's
  sitemap, on a workspace rebuilt for the new content stamp): <= 1 s for a sitemap of at least
  10,000 URLs (fewer is a FAIL, except in --smoke); cached shown beside;
- the server's RSS at the end of the run: < 300 MB;
- page weight: gzip size of an article page's HTML + site.css + site.js + theme.js (and any
  other asset the page links): <= 60 KB.

    .venv/bin/python -m bench.site
    .venv/bin/python -m bench.site --database-url postgresql+psycopg://postgres@127.0.0.1/postgres
    .venv/bin/python -m bench.site --smoke          # 200 articles, 1-second phases (CI)

With a PostgreSQL URL a scratch database is created on that server and dropped at the end. A
figure off its target is reported (FAIL) and the exit status is 0: a benchmark reports, it does
not gate. When a phase measured nothing (no request answered 200, a page missing), exit 1.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx

if __package__ in (None, ""):  # run as `python bench/site.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate import GeneratedWorkspace, scratch_workspace
from bench.reads import (
    Phase,
    RawConnection,
    Server,
    load_phase,
    memory_mb,
    path_of,
    request_bytes,
    running_server,
)
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
from bench.search import CorpusIndex, known_item_queries, published_articles, warmup_queries
from lorebase.web.reader import PAGES_KEPT

UNCACHED_TARGET = 0.4
CACHED_TARGET = 0.9
SEARCH_P95_TARGET_MS = 150.0
SITEMAP_TARGET_S = 1.0
SITEMAP_MIN_URLS = 10_000  # issue 14: "sitemap of 10,000 pages <= 1 s"
RSS_TARGET_MB = 300.0
WEIGHT_TARGET_KB = 60.0
ASSETS = ("/_lorebase/assets/site.css", "/_lorebase/assets/site.js", "/_lorebase/assets/theme.js")
_LOC = re.compile(r"<loc>([^<]+)</loc>")
_ASSET_LINK = re.compile(r'(?:href|src)="([^"]*/_lorebase/assets/[^"?#]+)')


class Client:
    """One keep-alive connection (`bench.reads.RawConnection`) for the sequential requests."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.connection = RawConnection(server)

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[float, bytes]:
        ms, status, body = self.connection.get(request_bytes(self.server, path, headers or {}))
        if status != 200:
            raise RuntimeError(f"GET {path}: HTTP {status}: {body[:300]!r}")
        return ms, body

    def close(self) -> None:
        self.connection.close()


# --- measurements -------------------------------------------------------------------------------


@dataclass
class Sitemap:
    index_path: str
    language_path: str
    uncached_ms: list[tuple[float, float]]  # (index, language sitemap) after each write
    cached_ms: list[tuple[float, float]]
    urls: int
    body_bytes: int
    article_paths: list[str]

    @staticmethod
    def total(samples: list[tuple[float, float]]) -> float:
        return statistics.median(a + b for a, b in samples)


def _write(server: Server, ws: GeneratedWorkspace) -> None:
    """A write through the API that moves the workspace's content stamp (as bench/reads.py)."""
    headers = {"api_token": ws.admin_token}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=60) as api:
        category_id = ws.category_ids[0]
        got = api.get(f"/v2/Categories/{category_id}")
        if got.status_code != 200:
            raise RuntimeError(f"GET /v2/Categories/{{id}}: HTTP {got.status_code}")
        hidden = got.json()["data"]["hidden"]
        put = api.put(f"/v2/Categories/{category_id}", json={"hidden": hidden})
        if put.status_code != 200:
            raise RuntimeError(f"PUT /v2/Categories/{{id}}: HTTP {put.status_code}: {put.text}")


def measure_sitemap(
    server: Server, ws: GeneratedWorkspace, client: Client, runs: int, cached_runs: int
) -> Sitemap:
    uncached: list[tuple[float, float]] = []
    index_path = language_path = ""
    body = b""
    for _ in range(runs):
        _write(server, ws)
        index_ms, index = client.get("/sitemap.xml")
        # The main workspace's default language is listed first.
        locations = _LOC.findall(index.decode())
        if not locations:
            raise RuntimeError(f"/sitemap.xml lists no sitemap: {index[:300]!r}")
        index_path, language_path = "/sitemap.xml", path_of(locations[0])
        language_ms, body = client.get(language_path)
        uncached.append((index_ms, language_ms))
    cached = [(client.get(index_path)[0], client.get(language_path)[0]) for _ in range(cached_runs)]
    urls = [path_of(u) for u in _LOC.findall(body.decode())]
    # Articles of the default language: `<base>/docs/<slug>` (categories are
    # `/docs/<lang>/category/<slug>`).
    articles = [u for u in urls if re.fullmatch(r".*/docs/[^/]+", u)]
    if not articles:
        raise RuntimeError(f"{language_path} lists no article: {body[:300]!r}")
    return Sitemap(index_path, language_path, uncached, cached, len(urls), len(body), articles)


@dataclass
class Weight(GzipSizes):
    page: str


def measure_weight(client: Client, page: str) -> Weight:
    _, html = client.get(page)
    linked = sorted(set(_ASSET_LINK.findall(html.decode())))
    parts = [("article HTML", len(html), gzip_size(html))]
    for asset in dict.fromkeys([*ASSETS, *(path_of(a) for a in linked)]):
        _, body = client.get(asset)
        parts.append((asset.rsplit("/", 1)[-1], len(body), gzip_size(body)))
    return Weight(files=parts, page=page)


@dataclass
class SearchRun:
    queries: int
    page_ms: list[float]
    route_ms: list[float]
    kinds: dict[str, int]


def measure_search(server: Server, ws: GeneratedWorkspace, count: int, seed: int) -> SearchRun:
    corpus = CorpusIndex(published_articles(ws.database_url, ws.workspace_id))
    per_kind = max(1, -(-count // 6))
    queries = known_item_queries(corpus, per_kind, seed, single_answer=False)[:count]
    if not queries:
        raise RuntimeError("no search query could be made from the workspace")
    client = Client(server)
    route = f"/v2/ProjectVersions/{ws.workspace_id}/en"
    token = {"api_token": ws.admin_token}
    page_ms, route_ms = [], []
    try:
        for text in warmup_queries(corpus):
            client.get(f"/search?q={quote(text)}&lang=en")
            client.get(f"{route}?searchQuery={quote(text)}&page=0&hitsPerPage=10", token)
        for n, query in enumerate(queries):
            page = lambda q=query.query: client.get(f"/search?q={quote(q)}&lang=en")[0]  # noqa: E731
            api = lambda q=query.query: client.get(  # noqa: E731
                f"{route}?searchQuery={quote(q)}&page=0&hitsPerPage=10", token
            )[0]
            # Each query goes to both, first to one then the other in turn: neither always
            # finds the database's pages warm from the other.
            if n % 2:
                route_ms.append(api())
                page_ms.append(page())
            else:
                page_ms.append(page())
                route_ms.append(api())
    finally:
        client.close()
    kinds: dict[str, int] = {}
    for query in queries:
        kinds[query.kind] = kinds.get(query.kind, 0) + 1
    return SearchRun(len(queries), page_ms, route_ms, kinds)


# --- report -------------------------------------------------------------------------------------


def report(
    ws: GeneratedWorkspace,
    concurrency: int,
    first_page_ms: float,
    sitemap: Sitemap,
    weight: Weight,
    search: SearchRun,
    health: list[Phase],
    uncached: Phase,
    cached: Phase,
    distinct: int,
    rss: tuple[float, float, float],
    min_urls: int = SITEMAP_MIN_URLS,
    all_public: bool = True,
) -> str:
    health_rate = statistics.mean(p.rate for p in health)
    rows: list[tuple[str, str, str, str, str, str]] = []
    for label, phase, target in (
        (f"article page, uncached ({distinct:,} articles)", uncached, UNCACHED_TARGET),
        ("article page, cached (one article)", cached, CACHED_TARGET),
    ):
        ratio = phase.rate / health_rate if health_rate else 0.0
        rows.append(
            (
                f"{label}, concurrency {concurrency}",
                f"{phase.rate:,.0f} req/s",
                f"/health {health_rate:,.0f} req/s",
                f"{ratio:.2f}x",
                f">= {target:g}x",
                verdict(ratio >= target and phase.errors == 0),
            )
        )
    p95 = percentile(search.page_ms, 0.95)
    route_p95 = percentile(search.route_ms, 0.95)
    rows.append(
        (
            f"search page p95, {search.queries} sequential queries",
            f"{p95:.1f} ms",
            f"v2 search route p95 {route_p95:.1f} ms",
            f"{p95 / route_p95:.2f}x" if route_p95 else "",
            f"<= {SEARCH_P95_TARGET_MS:g} ms",
            verdict(p95 <= SEARCH_P95_TARGET_MS),
        )
    )
    uncached_s = Sitemap.total(sitemap.uncached_ms) / 1000
    cached_s = Sitemap.total(sitemap.cached_ms) / 1000
    enough = sitemap.urls >= min_urls
    rows.append(
        (
            f"sitemap, first after a write, median of {len(sitemap.uncached_ms)}",
            f"{sitemap.urls:,} URLs: {uncached_s:.3f} s",
            f"cached {cached_s * 1000:.1f} ms",
            f"{uncached_s / cached_s:.0f}x" if cached_s else "",
            (f">= {min_urls:,} URLs, " if min_urls else "") + f"<= {SITEMAP_TARGET_S:g} s",
            verdict(uncached_s <= SITEMAP_TARGET_S and enough),
        )
    )
    rss_start, rss_end, rss_peak = rss
    rows.append(
        (
            "server RSS at the end (VmRSS)",
            f"{rss_end:.1f} MB",
            f"at start {rss_start:.1f} MB, peak {rss_peak:.1f} MB",
            "",
            f"< {RSS_TARGET_MB:g} MB",
            verdict(rss_end < RSS_TARGET_MB),
        )
    )
    rows.append(
        weight.row(
            f"page weight, gzip -{GZIP_LEVEL} (HTML + {len(weight.files) - 1} assets)",
            WEIGHT_TARGET_KB,
        )
    )
    lines = [
        workspace_heading("Lorebase reader-site benchmark", ws.engine, ws),
        "workspace: "
        + (
            "every category and article published and visible (bench.generate all_public)"
            if all_public
            else "with drafts (20% draft only) and hidden items, as the other benchmarks'"
        ),
        "",
        *table_lines(RESULT_HEADS, rows),
        "",
        "load phases (raw keep-alive client; it shares this machine's cores):",
    ]
    for phase in [health[0], uncached, cached, *health[1:]]:
        lines += phase.summary(30)
    if distinct <= PAGES_KEPT:
        lines.append(
            f"  note: {distinct:,} distinct articles fit the page cache ({PAGES_KEPT:,}): only "
            f"the first pass renders ({min(distinct, uncached.requests):,} of "
            f"{uncached.requests:,} requests); the ratio is not the uncached one"
        )
    else:
        lines.append(
            f"  uncached: {distinct:,} distinct articles > page cache {PAGES_KEPT:,}: every "
            "request rendered"
        )
    lines.append(
        "search page (ms): "
        f"p50 {percentile(search.page_ms, 0.5):.1f} / p95 {p95:.1f} / "
        f"p99 {percentile(search.page_ms, 0.99):.1f} / max {max(search.page_ms):.1f}; "
        f"v2 route p50 {percentile(search.route_ms, 0.5):.1f} / p95 {route_p95:.1f}; "
        "queries: " + ", ".join(f"{k} {n}" for k, n in search.kinds.items())
    )
    lines.append(
        f"sitemap after a write (ms, index + {sitemap.language_path}): "
        + ", ".join(f"{a:.0f} + {b:.0f}" for a, b in sitemap.uncached_ms)
        + f"; cached median {statistics.median(a for a, _ in sitemap.cached_ms):.1f} + "
        f"{statistics.median(b for _, b in sitemap.cached_ms):.1f}; "
        f"{sitemap.body_bytes / 1e6:.2f} MB; {sitemap.urls:,} URLs, of which "
        f"{len(sitemap.article_paths):,} articles"
    )
    if not enough:
        lines.append(
            f"  sitemap FAIL: {sitemap.urls:,} URLs, fewer than the {min_urls:,} pages the "
            "target is set for"
        )
    lines.append(
        f"page weight of {weight.page}: {weight.listing()} "
        "(the server itself sends them uncompressed)"
    )
    lines.append(
        f"first reader page after the server started (workspace build): {first_page_ms:.0f} ms"
    )
    return "\n".join(lines)


# --- main ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    workspace_arguments(parser)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each load phase")
    parser.add_argument("--max-requests", type=int, default=100_000, help="cap per load phase")
    parser.add_argument("--queries", type=int, default=300, help="search-page queries")
    parser.add_argument("--sitemap-runs", type=int, default=3, help="writes, each then a sitemap")
    parser.add_argument(
        "--with-drafts",
        action="store_true",
        help="the other benchmarks' workspace (20%% draft only, ~3%% hidden) instead of one where "
        "every article is published and visible; its sitemap holds fewer than 10,000 URLs",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="CI size: 200 articles, 20 categories, 1-second phases, concurrency 4, 30 queries",
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.articles, args.categories, args.seconds = 200, 20, 1.0
        args.concurrency, args.queries, args.sitemap_runs = 4, 30, 1
    # Read by bench.generate.generate_as_asked.
    args.all_public = not args.with_drafts
    return exit_status("reader-site", lambda: run(args))


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    with scratch_workspace(args, "lorebase-bench-site-") as (ws, data):
        say(f"  done in {ws.seconds:.1f} s; starting the server...")
        with running_server(ws.database_url, data, "cli") as server:
            rss_start = memory_mb(server.pid, "VmRSS")
            client = Client(server)
            try:
                first_page_ms, _ = client.get("/")
                say("sitemaps...")
                sitemap = measure_sitemap(server, ws, client, args.sitemap_runs, 10)
                articles = sitemap.article_paths
                weight = measure_weight(client, articles[0])
            finally:
                client.close()
            say(f"search page: {args.queries} queries...")
            search = measure_search(server, ws, args.queries, args.seed)
            load = {
                "client": "raw",
                "concurrency": args.concurrency,
                "seconds": args.seconds,
                "max_requests": args.max_requests,
            }
            health = [load_phase(server, "GET /health (before)", ["/health"], {}, **load)]
            # Every request another article; no warm-up (it would put the first articles of
            # the cycle in the cache before the window opens). articles[0] was fetched for
            # the page weight: left out.
            say(f"load: uncached article pages ({len(articles) - 1:,} articles)...")
            uncached = load_phase(
                server, "article pages, uncached", articles[1:], {}, warmup=0, **load
            )
            say("load: one cached article page...")
            cached = load_phase(server, "article page, cached", articles[1:2], {}, **load)
            health.append(load_phase(server, "GET /health (after)", ["/health"], {}, **load))
            rss = (rss_start, memory_mb(server.pid, "VmRSS"), memory_mb(server.pid, "VmHWM"))
    print(
        report(
            ws,
            args.concurrency,
            first_page_ms,
            sitemap,
            weight,
            search,
            health,
            uncached,
            cached,
            len(articles) - 1,
            rss,
            # The URL floor is the full size's; the smoke size is exempt.
            0 if args.smoke else SITEMAP_MIN_URLS,
            args.all_public,
        )
    )
    print(f"\nwall time of the whole run: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
