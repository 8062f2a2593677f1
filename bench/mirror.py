"""`lorebase mirror`: requests per article language and wall time against the rate limit.

Generates a workspace (bench/generate.py: 60 % published, 20 % published with a newer draft,
20 % drafts; about a third translated), serves it with `lorebase serve` under a fixed-window
rate limit (`--rate`, default 100 requests every 2 seconds: Document360's 100 a minute, 30
times faster so that a run takes seconds), and mirrors it into a second, empty database with
the mirror told the same budget. Both figures come from that one run:

* requests: the least a mirror can send is one content request per article language plus one
  for the published revision of each language whose latest revision is a draft (only the
  version route has it). Target: article requests sent / that least <= 1.05. All requests
  per article language (the fixed plan, categories, settings) are printed beside it.
* time: the least time those requests can take under the limit, every window but the first
  waited out ((requests - 1) // amount * window). Target: wall time / that least <= 1.1.

    .venv/bin/python -m bench.mirror
    .venv/bin/python -m bench.mirror --database-url postgresql+psycopg://postgres@127.0.0.1/postgres
    .venv/bin/python -m bench.mirror --smoke      # CI size

A figure off target is reported (FAIL) and the exit status is 0; a run that copied nothing
exits 1.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/mirror.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate import scratch_database, scratch_workspace
from bench.reads import running_server
from bench.report import (
    RESULT_HEADS,
    exit_status,
    say,
    table_lines,
    verdict,
    workspace_arguments,
    workspace_heading,
)
from lorebase.bootstrap import prepare_database
from lorebase.db.engine import make_engine, make_session_factory
from lorebase.kb import workspaces
from lorebase.mirror.client import RateBudget, lower_bound_seconds
from lorebase.mirror.run import Mirror, MirrorOptions
from lorebase.runtime import make_runtime
from lorebase.settings import Settings

REQUEST_TARGET = 1.05
TIME_TARGET = 1.1
CONTENT_KINDS = ("article", "article-version")


def run(args: argparse.Namespace) -> int:
    budget = RateBudget.parse(args.rate)
    with (
        scratch_workspace(args, "lorebase-bench-mirror-") as (ws, data),
        running_server(ws.database_url, data, "cli", rate_limit=args.rate) as server,
        scratch_database(args.database_url) as target_url,
    ):
        prepare_database(target_url)
        settings = Settings(
            data_dir=data / "target", database_url=target_url, rate_limit="off", workers=0
        )
        runtime = make_runtime(settings, make_engine(target_url))
        sessions = make_session_factory(runtime.engine)
        with sessions() as session:
            project_id = workspaces.find_project(session, None).id
        options = MirrorOptions(server.base_url, ws.admin_token, budget)
        mirror = Mirror(options, sessions, project_id, runtime.blobs, "http://lorebase.test")
        say(f"mirroring {server.base_url} under {args.rate}...")
        started = time.perf_counter()
        plan = mirror.plan()
        report = mirror.run(plan)
        seconds = time.perf_counter() - started
        mirror.close()
        runtime.engine.dispose()
    if not report.articles:
        raise RuntimeError("the mirror copied no article")
    languages = plan.article_languages
    drafts = sum(
        1
        for space in plan.workspaces
        for a in space.article_languages.values()
        if 0 < a.public_version != a.latest_version
    )
    sent = sum(report.requests.values())
    content = sum(report.requests[kind] for kind in CONTENT_KINDS)
    least = languages + drafts
    request_ratio = content / least
    bound = lower_bound_seconds(sent, budget)
    time_ratio = seconds / bound if bound else float("inf")
    print(workspace_heading("mirror", ws.engine, ws))
    print(f"source rate limit: {args.rate} (the mirror's budget too)")
    print(f"article languages: {languages:,} ({drafts:,} with a draft over the published one)")
    print(
        "requests by kind: "
        + ", ".join(f"{kind} {count:,}" for kind, count in sorted(report.requests.items()))
    )
    print(f"requests refused (429): {report.refused}")
    print(f"all requests per article language: {sent / languages:.3f}")
    print(f"wall time: {seconds:.1f} s; rate-limit lower bound: {bound:.1f} s")
    print()
    rows = [
        (
            "article requests / least needed",
            f"{content:,}",
            f"least {least:,}",
            f"{request_ratio:.3f}",
            f"<= {REQUEST_TARGET}",
            verdict(request_ratio <= REQUEST_TARGET),
        ),
        (
            "wall time / rate-limit bound",
            f"{seconds:.1f} s",
            f"rate-limit bound {bound:.1f} s",
            f"{time_ratio:.3f}",
            f"<= {TIME_TARGET}",
            verdict(time_ratio <= TIME_TARGET),
        ),
    ]
    print("\n".join(table_lines(RESULT_HEADS, rows, strip=True)))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    workspace_arguments(parser, categories=40, articles=400)
    parser.add_argument(
        "--rate", default="100/2 seconds", help="the source's limit, in the limits notation"
    )
    parser.add_argument(
        "--smoke", action="store_true", help="CI size: 40 articles, 5 categories, 50/second"
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.articles, args.categories, args.rate = 40, 5, "50/second"
    return exit_status("mirror", lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
