"""bench/processes.py (`serve --processes 1` against `--processes 2`) runs end to end in its
smoke size on SQLite and PostgreSQL and prints both throughputs; no ratio is gated here."""

from __future__ import annotations

import pytest

from tests.bench.test_benchmarks_smoke import RUN_TIMEOUT_S, Database, figures, run_on

pytestmark = pytest.mark.timeout(RUN_TIMEOUT_S + 30)


def test_processes_measures_one_and_two_server_processes(database: Database) -> None:
    output = run_on(database, "processes", "--smoke")
    for route in (r"GET /health", r"GET /v2/Articles/\{id\}/en"):
        one, two, ratio = figures(
            output, rf"^{route}\s+([\d,]+) req/s\s+([\d,]+) req/s\s+([\d.]+)x"
        )
        assert one > 0 and two > 0 and ratio > 0
    one_mb, two_mb = figures(output, r"RSS \(all processes\): ([\d,]+) MB / ([\d,]+) MB")
    assert two_mb > one_mb  # the second run really had more processes
