"""Rate-limit overhead: a read route's throughput with the per-token limit on (a limit too high
to be reached) vs off, in the same run.

Generates a workspace (bench/generate.py), then starts `lorebase serve` on it in three ways —
`LOREBASE_RATE_LIMIT=off`, a limit of 10^9/minute in memory, and the same limit in the machine's
Redis (`LOREBASE_REDIS_URL`, reported, not the target) — and loads `GET /v2/Articles/{id}/en`
with `--concurrency` keep-alive connections for `--seconds` (bench/reads.py's load generator).
The off and memory servers run `--rounds` times (default 2), alternately, and the best phase of
each counts, so a drift of the machine during the run does not decide the ratio. Each server
gets exactly these limits, whatever the caller's environment says.

Target: requests/s with the limit on (memory) / off >= 0.9.

    .venv/bin/python -m bench.ratelimit
    .venv/bin/python -m bench.ratelimit --database-url postgresql+psycopg://postgres@127.0.0.1/postgres

A ratio off target is reported (FAIL) and the exit status is 0: a benchmark reports, it does
not gate. A phase in which no request succeeded stops the run with exit status 1.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/ratelimit.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate import GeneratedWorkspace, scratch_workspace
from bench.reads import Phase, load_phase, running_server
from bench.report import say, verdict, workspace_arguments

TARGET = 0.9
HIGH_LIMIT = "1000000000/minute"
REDIS_URL = "redis://127.0.0.1:6379/6"


def measure(ws: GeneratedWorkspace, data: Path, args: argparse.Namespace, **limits: str) -> Phase:
    """One load phase on a server started with `limits` (Settings field names)."""
    paths = [f"/v2/Articles/{i}/en" for i in ws.article_ids]
    headers = {"api_token": ws.admin_token}
    with running_server(ws.database_url, data, "cli", workers="0", **limits) as server:
        return load_phase(
            server,
            " ".join(f"LOREBASE_{k.upper()}={v}" for k, v in limits.items()),
            paths,
            headers,
            client="raw",
            concurrency=args.concurrency,
            seconds=args.seconds,
            max_requests=args.max_requests,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    workspace_arguments(parser, categories=200, articles=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--max-requests", type=int, default=50_000)
    parser.add_argument(
        "--rounds", type=int, default=2, help="phases with the limit off and on (memory), each"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with scratch_workspace(args, "lorebase-bench-ratelimit-") as (ws, data):
        off: list[Phase] = []
        memory: list[Phase] = []
        for _ in range(args.rounds):
            say("load: limit off...")
            off.append(measure(ws, data, args, rate_limit="off"))
            say("load: limit on (memory)...")
            memory.append(measure(ws, data, args, rate_limit=HIGH_LIMIT))
        say("load: limit on (Redis)...")
        redis = measure(ws, data, args, rate_limit=HIGH_LIMIT, redis_url=REDIS_URL)
    best_off = max(off, key=lambda p: p.rate)
    best_memory = max(memory, key=lambda p: p.rate)
    ratio = best_memory.rate / best_off.rate
    errors = sum(p.errors for p in [*off, *memory, redis])
    print(
        f"Rate-limit overhead: GET /v2/Articles/{{id}}/en, {args.concurrency} connections, "
        f"{args.seconds:g} s a phase, {ws.engine}, {args.articles:,} articles\n"
    )
    print(f"{'server':<34} {'req/s (each phase)':<24} {'best':>8}")
    for name, phases in (
        ("limit off", off),
        ("limit on, memory storage", memory),
        ("limit on, Redis storage", [redis]),
    ):
        each = ", ".join(f"{p.rate:,.0f}" for p in phases)
        best = max(p.rate for p in phases)
        print(f"{name:<34} {each:<24} {best:>8,.0f}")
    print(f"\non (memory) / off: {ratio:.2f} (target >= {TARGET}) {verdict(ratio >= TARGET)}")
    print(f"Redis / off: {redis.rate / best_off.rate:.2f} (reported)")
    print(f"errors (non-200 answers): {errors}")
    print(f"\nwall time of the whole run: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
