"""Issue 5's load test: 32 clients for 60 s of mixed reads and writes against a live
`lorebase serve` (loopback only), then every acknowledged write is read back (bench/load.py).
Both databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.load import run_load
from bench.ratelimit import HIGH_LIMIT
from tests.e2e.test_live_server import Server

CLIENTS = 32
DURATION_S = 60.0
# Enough requests for the mix to have meant something (every kind, each client many times),
# not a speed: speed is bench/load.py's, and this machine, shared with other test shards,
# has done as few as 23 requests/s (CI, load average 9). A stalled client fails on its own.
MIN_REQUESTS = 500
LOG_EXCERPT = 6000


@pytest.fixture
def server(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    # A limit never reached: a 429 would be the rate limit working, not an answer under load.
    monkeypatch.setenv("LOREBASE_RATE_LIMIT", HIGH_LIMIT)
    running = Server(tmp_path / "data", database_url)
    yield running
    running.stop()


def test_32_clients_for_60_s_see_no_5xx_and_lose_no_acknowledged_write(server: Server) -> None:
    report = run_load(
        server.base,
        server.token,
        clients=CLIENTS,
        seconds=DURATION_S,
        server_pid=server.process.pid,
    )
    summary = report.text()
    print(summary)  # the figures, with `pytest -s`
    failed = report.failures()
    context = f"{summary}\n\n{_log_excerpt(server.log())}"
    assert not report.server_errors, context
    assert not report.transport_errors, context
    assert not report.unexplained_4xx, context
    assert not report.lost_writes, context
    assert not report.violations, context
    assert not report.stalled_clients and not report.crashed_clients, context
    assert not failed, context
    assert report.verification.writes_verified == report.acknowledged, context
    assert report.requests >= MIN_REQUESTS, context


def _log_excerpt(log: str) -> str:
    """The server log from its first traceback (the cause of a first 5xx), and its end."""
    first = log.find("Traceback")
    head = (
        f"server log from the first traceback:\n{log[first : first + LOG_EXCERPT]}\n"
        if first >= 0
        else ""
    )
    return f"{head}server log (end):\n{log[-LOG_EXCERPT:]}"
