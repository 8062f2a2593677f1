"""bench/mirror.py (`lorebase mirror` under a source's rate limit) runs end to end in its smoke
size on SQLite and PostgreSQL and prints both of its figures; no ratio is gated here."""

from __future__ import annotations

import pytest

from tests.bench.test_benchmarks_smoke import RUN_TIMEOUT_S, Database, figure, figures, run_on

pytestmark = pytest.mark.timeout(RUN_TIMEOUT_S + 30)


def test_mirror_measures_requests_per_article_language_and_time_against_the_limit(
    database: Database,
) -> None:
    output = run_on(database, "mirror", "--smoke")
    assert figure(output, r"^requests refused \(429\): (\d+)") == 0
    sent, least, ratio = figures(
        output, r"^article requests / least needed\s+([\d,]+)\s+least ([\d,]+)\s+([\d.]+)"
    )
    assert sent >= least > 0 and ratio >= 1.0
    seconds, bound = figures(output, r"^wall time: ([\d.]+) s; rate-limit lower bound: ([\d.]+) s")
    assert seconds > 0 and bound > 0
