"""schemathesis's own runner (`st run`) against a live `lorebase serve` holding the demo
knowledge base: its examples, coverage (boundary values: empty, huge, negative, wrong types)
and fuzzing phases over every operation of Lorebase's OpenAPI document, bounded (`-n 20`, a
fixed seed) and time-capped. No answer may be a 5xx or break the document's response schema.
Both databases. The in-process run with a richer project is test_schemathesis.py; this one
adds the coverage phase. (A longer run by hand, `-n 40`, found a 500 neither bounded run had:
a huge v3 `page`; fixed in lorebase/api/v3/projects.py.)"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_live_server import Server, run_cli

ST = str(Path(sys.executable).parent / "st")
EXAMPLES_PER_OPERATION = 20
SEED = 1
TIME_CAP_SECONDS = 300


@pytest.fixture
def demo_server(tmp_path: Path, database_url: str) -> Iterator[tuple[Server, str]]:
    data = tmp_path / "data"
    env = {**os.environ, "LOREBASE_DATABASE_URL": database_url}
    loaded = run_cli("demo", "--data-dir", str(data), env=env)
    assert loaded.returncode == 0, loaded.stderr
    created = run_cli("token", "create", "--name", "st", "--data-dir", str(data), env=env)
    assert created.returncode == 0, created.stderr
    running = Server(data, database_url)
    yield running, created.stdout.strip()
    running.stop()


@pytest.mark.timeout(TIME_CAP_SECONDS)
def test_st_run_finds_no_server_error_and_no_schema_violation(
    demo_server: tuple[Server, str], tmp_path: Path
) -> None:
    server, token = demo_server
    run = subprocess.run(
        [
            ST,
            "run",
            f"{server.base}/openapi.json",
            "--header",
            f"api_token: {token}",
            "--header",
            f"Authorization: Bearer {token}",
            "--max-examples",
            str(EXAMPLES_PER_OPERATION),
            "--seed",
            str(SEED),
            "--phases",
            "examples,coverage,fuzzing",
            "--checks",
            "not_a_server_error,response_schema_conformance",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=TIME_CAP_SECONDS - 30,
        env={**os.environ, "NO_COLOR": "1"},
        cwd=tmp_path,  # st keeps its example database in the working folder
        check=False,
    )
    summary = run.stdout[-6000:]
    print(next((line for line in run.stdout.splitlines() if " generated, " in line), ""))
    assert run.returncode == 0, f"{summary}\n{run.stderr[-3000:]}\n{server.log()[-6000:]}"
    # Every operation of the document was run, not only some.
    document = httpx.get(f"{server.base}/openapi.json").json()
    operations = sum(
        1
        for item in document["paths"].values()
        for method in item
        if method in {"get", "put", "post", "delete", "patch"}
    )
    assert f"Tested: {operations}" in run.stdout, summary
