"""`lorebase worker` as an operator runs it: starts, then stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

from tests.e2e.test_live_server import LOREBASE


def test_worker_command_stops_gracefully_on_sigterm(tmp_path: Path, database_url: str) -> None:
    process = subprocess.Popen(
        [*LOREBASE, "worker", "--data-dir", str(tmp_path), "--concurrency", "2"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "LOREBASE_DATABASE_URL": database_url},
    )
    try:
        assert process.stderr is not None
        # The database is empty: the worker, first to start, makes the project and shows its
        # admin token and the owner's one-time sign-in link (lorebase.cli._prepare), then says
        # it runs.
        opening: list[str] = []
        while not opening or "worker running" not in opening[-1]:
            line = process.stderr.readline()
            assert line, opening
            opening.append(line)
        assert "Created a new project" in opening[0], opening
        assert opening[2].startswith("lb_"), opening
        assert any("/account/link/" in line for line in opening), opening
        assert "worker running 2 thread(s)" in opening[-1], opening
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0
        rest = process.stderr.read()
        assert "finishing the current jobs" in rest and "worker stopped" in rest
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
