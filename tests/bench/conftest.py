"""The database every benchmark's smoke run is given (tests/bench/test_benchmarks_smoke.py)."""

from __future__ import annotations

import pytest

from tests.bench.test_benchmarks_smoke import BACKENDS, PG_URL, Database


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest) -> Database:
    """A benchmark's --database-url: none (SQLite in a temp directory of its own), or the test
    database's server, on which the benchmark creates and drops a scratch database."""
    if request.param == "sqlite":
        return Database("SQLite", [])
    return Database("PostgreSQL", ["--database-url", PG_URL])
