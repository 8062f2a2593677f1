"""Throughput of `lorebase serve --processes 1` against `--processes 2` on the same generated
workspace, database and client, in one run: /health and GET /v2/Articles/{id}/en.

Usage (from the repository root):
    .venv/bin/python -m bench.processes                 # 1,000 categories / 10,000 articles
    .venv/bin/python -m bench.processes --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python -m bench.processes --smoke         # CI size, 1-second phases

The load generator runs on the same machine: on 2 cores, 2 server processes share them with
the client, so the ratio shows what a second process buys here, not a 2-core ceiling. Each
server runs `--workers 0` (no background jobs) with the rate limit off.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bench.generate import scratch_workspace
from bench.reads import Phase, load_phase, memory_mb, running_server
from bench.report import say, table_lines, workspace_arguments, workspace_heading

PROCESS_COUNTS = (1, 2)


def measure(
    url: str, data_dir: Path, processes: int, routes: dict[str, list[str]], headers: dict[str, str],
    load: dict[str, object],
) -> tuple[dict[str, Phase], float]:  # fmt: skip
    """Each route's load phase on a server of `processes` processes, and its RSS (MB, all
    processes)."""
    data_dir.mkdir()
    with running_server(url, data_dir, "cli", processes=str(processes), workers="0") as server:
        phases = {}
        for label, paths in routes.items():
            say(f"load: {processes} process(es), {label}...")
            phases[label] = load_phase(server, label, paths, headers, **load)  # type: ignore[arg-type]
        rss = memory_mb(server.pid, "VmRSS")
    return phases, rss


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    workspace_arguments(parser)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each load phase")
    parser.add_argument("--max-requests", type=int, default=100_000, help="cap per load phase")
    parser.add_argument(
        "--smoke", action="store_true", help="CI size: 60 articles, 10 categories, 1-second phases"
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.articles, args.categories, args.seconds, args.concurrency = 60, 10, 1.0, 4
    started = time.perf_counter()
    with scratch_workspace(args, "lorebase-bench-processes-") as (ws, data):
        url = ws.database_url
        routes = {
            "GET /health": ["/health"],
            "GET /v2/Articles/{id}/en": [f"/v2/Articles/{i}/en" for i in ws.article_ids],
        }
        load: dict[str, object] = {
            "client": "raw",
            "concurrency": args.concurrency,
            "seconds": args.seconds,
            "max_requests": args.max_requests,
        }
        headers = {"api_token": ws.admin_token}
        results = {
            count: measure(url, data / f"p{count}", count, routes, headers, load)
            for count in PROCESS_COUNTS
        }
    one, two = (results[count][0] for count in PROCESS_COUNTS)
    rows = [
        (
            label,
            f"{one[label].rate:,.0f} req/s",
            f"{two[label].rate:,.0f} req/s",
            f"{two[label].rate / one[label].rate:.2f}x",
            f"{one[label].server_cpu:.2f} / {two[label].server_cpu:.2f}",
        )
        for label in routes
    ]
    heads = ("route", "1 process", "2 processes", "2 / 1", "server cores used (1 / 2)")
    lines = [
        workspace_heading("Lorebase processes benchmark", ws.engine, ws),
        "",
        *table_lines(heads, rows, strip=True),
        "",
        f"client: {args.concurrency} keep-alive connections, {args.seconds:g}-second phases, on "
        "the same machine; the server's RSS (all processes): "
        + " / ".join(f"{results[count][1]:.0f} MB" for count in PROCESS_COUNTS),
        f"wall time of the whole run: {time.perf_counter() - started:.1f} s",
    ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
