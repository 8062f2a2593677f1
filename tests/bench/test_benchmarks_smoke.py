"""Every benchmark in bench/ runs end to end in a smoke size, on SQLite and on PostgreSQL when
LOREBASE_TEST_DATABASE_URL is set: a benchmark that measures nothing (every request refused, a
figure missing, a crash) fails the build instead of rotting. No figure is held to its target
here: benchmarks report, tests gate."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.generate import generate_workspace, scratch_database
from bench.reads import load_phase, running_server

ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("LOREBASE_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
# tests/conftest.py raises the rate limit for this process and every process it starts; a
# benchmark must set what it needs itself, so its run does not get these.
SUITE_SETTINGS = ("LOREBASE_RATE_LIMIT", "LOREBASE_EXPORT_DAILY_LIMIT")
SMALL = ("--articles", "60", "--categories", "10")
# A smoke run takes seconds (under 15 on SQLite, 30 on PostgreSQL, on 2 cores). These caps
# stop a hang; they are no speed target.
RUN_TIMEOUT_S = 150
pytestmark = pytest.mark.timeout(RUN_TIMEOUT_S + 30)


@dataclass(frozen=True)
class Database:
    engine: str  # as the benchmarks name it in their reports
    options: list[str]


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'lorebase.sqlite3'}"
        return
    with scratch_database(PG_URL) as url:
        yield url


def run_benchmark(name: str, *options: str) -> str:
    """`python -m bench.<name> <options>` from the repository root, without the suite's
    settings; its standard output, once it has exited 0."""
    env = {key: value for key, value in os.environ.items() if key not in SUITE_SETTINGS}
    process = subprocess.Popen(
        [sys.executable, "-m", f"bench.{name}", *options],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # The servers and children a benchmark starts share its process group: a hung run is
        # stopped whole, none of them outlives the test.
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=RUN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        pytest.fail(f"bench.{name} still running after {RUN_TIMEOUT_S} s:\n{out}\n{err[-5000:]}")
    assert process.returncode == 0, f"bench.{name} exited {process.returncode}:\n{out}\n{err}"
    return out


def run_on(database: Database, name: str, *options: str) -> str:
    """`run_benchmark` on `database`; its report's first line names that database's engine."""
    output = run_benchmark(name, *options, *database.options)
    headline = output.splitlines()[0]
    assert f" {database.engine}, " in headline, output
    return output


def figures(output: str, pattern: str) -> tuple[float, ...]:
    """The numbers that `pattern`'s groups capture in a line of `output` (1,234 reads 1234)."""
    found = re.search(pattern, output, re.MULTILINE)
    assert found, f"no line matches {pattern!r} in:\n{output}"
    return tuple(float(group.replace(",", "")) for group in found.groups())


def figure(output: str, pattern: str) -> float:
    return figures(output, pattern)[0]


def test_generate_fills_an_empty_database_with_the_categories_and_articles_asked(
    empty_database: str,
) -> None:
    output = run_benchmark("generate", "--database-url", empty_database, *SMALL)

    counts = json.loads(output)["counts"]
    assert counts["categories"] == 10
    assert counts["articles"] == 60
    assert counts["article_revisions"] >= 60


def test_reads_measures_the_tree_and_both_routes_with_no_request_refused(
    database: Database,
) -> None:
    output = run_on(
        database,
        "reads",
        *SMALL,
        *("--seconds", "1", "--concurrency", "4", "--cold-runs", "1", "--warm-runs", "2"),
    )

    assert figure(output, r"^GET tree, cold: first request\s+([\d.]+) ms") > 0
    assert figure(output, r"^GET tree, warm \(cached\): median of 2\s+([\d.]+) ms") > 0
    assert figure(output, r"^GET /health, concurrency 4\s+([\d,]+) req/s") > 0
    assert figures(output, r"^\s+GET /health \(bare ASGI\)\s+(\d+) ok\s+(\d+) errors")[0] > 0
    for item in (r"GET /v2/Categories/\{id\}", r"GET /v2/Articles/\{id\}/en"):
        for reads in (r"all [\d,]+ in turn", "100 again and again"):
            route = f"{item}, {reads}"
            assert figure(output, rf"^{route}, concurrency 4\s+([\d,]+) req/s") > 0
            answered, refused = figures(output, rf"^\s+{route}\s+(\d+) ok\s+(\d+) errors")
            assert answered > 0
            assert refused == 0
    assert figure(output, r"^server peak RSS \(VmHWM\)\s+([\d.]+) MB") > 0


def test_ratelimit_loads_the_server_with_the_limit_off_and_on_and_no_request_refused(
    database: Database,
) -> None:
    output = run_on(
        database,
        "ratelimit",
        *SMALL,
        *("--seconds", "1", "--concurrency", "4", "--rounds", "1"),
    )

    for server in ("limit off", r"limit on, memory storage", r"limit on, Redis storage"):
        assert figure(output, rf"^{server}\s.*?([\d,]+)$") > 0
    assert figure(output, r"^on \(memory\) / off: ([\d.]+) \(target") > 0
    assert figure(output, r"^Redis / off: ([\d.]+)") > 0
    assert figure(output, r"^errors \(non-200 answers\): (\d+)$") == 0


def test_load_runs_its_clients_reads_back_their_writes_and_is_refused_nothing(
    database: Database,
) -> None:
    output = run_on(database, "load", "--clients", "4", "--seconds", "2")

    assert figure(output, r"^requests: [\d,]+ in [\d.]+ s = ([\d,]+) req/s") > 0
    assert figure(output, r"^5xx: \d+, transport errors: \d+, 4xx: \d+ \((\d+) unexplained\)") == 0
    acknowledged, verified = figures(
        output, r"^writes acknowledged: ([\d,]+) \(\d+ during setup\); verified: ([\d,]+)"
    )
    assert acknowledged > 0
    assert verified > 0
    assert re.search(r"^verdict: (PASS|FAIL)$", output, re.MULTILINE), output


def test_exchange_times_the_export_and_the_import_against_their_baselines(
    database: Database,
) -> None:
    output = run_on(database, "exchange", *SMALL, "--runs", "1")

    export, baseline = figures(
        output, r"^export to JSON ZIP \(best of 1\)\s+([\d.]+) s\s+zipfile ZIP_DEFLATED ([\d.]+) s"
    )
    assert export > 0 and baseline > 0
    assert figure(output, r"^import of that ZIP \(read \+ write \+ commit\)\s+([\d.]+) s") > 0
    assert figure(output, r"^peak RSS of the export \(child, VmHWM\)\s+([\d.]+) MB") > 0
    assert figure(output, r"^peak RSS of the import \(child, VmHWM\)\s+([\d.]+) MB") > 0
    # The real fixture lives beside the repository, not in it: imported when there, and the
    # report says so when it is not.
    assert re.search(
        r"^(import of the real fixture \(best of 1\)\s+[\d.]+ s|fixture: skipped, no file at )",
        output,
        re.MULTILINE,
    ), output


def test_html_site_builds_the_lorebase_site_and_the_mkdocs_site_of_the_same_pages(
    database: Database,
) -> None:
    output = run_on(database, "html_site", *SMALL)

    pages = figure(output, r"; ([\d,]+) published pages, ")
    assert pages > 0
    for site in ("Lorebase HTML export", r"mkdocs build \(material\)"):
        seconds, files = figures(output, rf"^{site}\s+([\d.]+)\s+[\d.]+\s+([\d,]+)\s")
        assert seconds > 0
        assert files >= pages
    assert figure(output, r"^MkDocs / Lorebase time: ([\d.]+)x") > 0


def test_pdf_exports_every_published_article_and_reports_pages_per_second(
    database: Database,
) -> None:
    output = run_on(database, "pdf", "--articles", "10", "--categories", "3")

    assert figure(output, r"^Lorebase PDF export benchmark: \w+, (\d+) published articles") == 10
    assert figure(output, r"^PDF\s+1 file, ([\d,]+) pages") >= 10
    assert figure(output, r"^pages per second\s+([\d.]+)") > 0
    assert figure(output, r"^peak RSS of the child \(VmHWM\)\s+([\d.]+) MB") > 0


def test_render_times_both_renderers_and_compares_the_api_with_the_html_export(
    database: Database,
) -> None:
    output = run_on(database, "render", "--articles", "60", "--rounds", "1", "--sample", "5")

    assert figure(output, r"^Lorebase markdown_to_html\s+([\d,]+)\s") > 0
    assert figure(output, r"^markdown-it-py\s+([\d,]+)\s") > 0
    assert figure(output, r"^Lorebase / markdown-it-py: ([\d.]+)x") > 0
    assert figure(output, r"^API html_content == HTML export page body: \d+/(\d+) articles") == 5


def test_search_measures_the_route_and_both_baselines_on_every_kind_of_query(
    database: Database, tmp_path: Path
) -> None:
    dumped = tmp_path / "queries.jsonl"
    output = run_on(
        database,
        "search",
        *("--corpus", "generated", "--queries-per-kind", "8"),
        *("--latency-articles", "200", "--latency-categories", "20"),
        *("--dump-queries", str(dumped)),
    )

    # The generated corpus repeats pooled paragraphs, so body-word queries that name a single
    # article may not exist there (the report says so); every other kind has its 8.
    for kind in ("exact title", "one typo", "a question", "other inflection", "typed prefix"):
        assert figure(output, rf"^MRR@10\s+{kind}\s+(\d+)\s") == 8
    assert re.search(r"^MRR@10\s+body words\s+\d+\s+(n/a|[\d.]+)\s", output, re.MULTILINE), output
    for kind in ("exact title", "one typo", "a question", "other inflection", "overall"):
        for value in figures(output, rf"^MRR@10\s+{kind}\s+\d+\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$"):
            assert 0 <= value <= 1
    assert figure(output, r"^\s+Lorebase, the route, 200 articles\s+([\d.]+)\s") > 0
    assert re.search(r"^overall MRR@10 >= 0\.80\s+[\d.]+\s+(PASS|FAIL)$", output, re.MULTILINE)
    queries = [json.loads(line) for line in dumped.read_text().splitlines()]
    assert len(queries) == figure(output, r", (\d+) known-item queries;")
    assert all(q["query"] and q["article_id"] and q["kind"] for q in queries)


def test_a_load_phase_in_which_every_request_is_refused_stops_the_benchmark(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'lorebase.sqlite3'}"
    ws = generate_workspace(url, categories=2, articles=5)
    paths = [f"/v2/Articles/{i}/en" for i in ws.article_ids]
    # One request a minute: the warm-up spends it, every timed request is a 429.
    with (
        running_server(url, tmp_path, "cli", rate_limit="1/minute") as server,
        pytest.raises(RuntimeError, match=r"measured nothing: no request succeeded.*HTTP 429"),
    ):
        load_phase(
            server,
            "GET /v2/Articles/{id}/en",
            paths,
            {"api_token": ws.admin_token},
            client="raw",
            concurrency=2,
            seconds=0.5,
            max_requests=100,
            warmup=1,
        )


def test_accounts_times_argon2_the_sign_in_and_the_session_check_against_the_token_check(
    database: Database,
) -> None:
    output = run_on(database, "accounts", "--smoke")

    headline = r"^Lorebase sign-in and session benchmark: \w+, (\d+) browser sessions"
    assert figure(output, headline) == 100
    for measure in (
        r"Argon2id verify_password \(in-process\), median of 3",
        r"sign-in round trip \(POST /account/signin, 303\), median of 3",
    ):
        assert figure(output, rf"^{measure}\s+([\d.]+) ms") > 0
    check, token = figures(
        output,
        r"^session check per request \(in-process, as current_visitor\), median of 200\s+"
        r"([\d.]+) ms\s+token check, same block ([\d.]+) ms",
    )
    assert check > 0 and token > 0
    # Each page was answered as expected (the benchmark checks the status, and that the
    # signed-in pages show the account) and timed.
    for page in ("sso page, signed in", "sso page, anonymous", "GET /account, signed in"):
        assert figure(output, rf"^\s+{page}\s+p25 [\d.]+ / p50 ([\d.]+) / p75") > 0
    assert figure(output, r"^\s+GET /account/signin, anonymous\s+p25 [\d.]+ / p50 ([\d.]+)") > 0
    for target in (
        "Argon2 verification in 50-100 ms",
        "sign-in round trip in 50-100 ms",
        r"session check <= 0\.3 ms",
    ):
        assert re.search(rf"^{target}: (PASS|FAIL)$", output, re.MULTILINE), output
