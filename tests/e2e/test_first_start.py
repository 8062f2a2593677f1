"""Processes started at the same moment on an empty database, as an orchestrator starts API
nodes, workers and set-up commands together: they take turns to migrate, exactly one creates
the project, every one comes up, none prints a traceback."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from lorebase.db.models import ApiToken, Project
from tests.conftest import BACKENDS, PG_URL
from tests.e2e.test_live_server import LOREBASE, free_port

TOKEN = re.compile(r"^lb_[A-Za-z0-9_-]+$", re.MULTILINE)


@pytest.fixture(params=BACKENDS)
def unmigrated_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database nothing has touched: no file yet on SQLite, a new database on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'lorebase.sqlite3'}"
        return
    admin = create_engine(make_url(PG_URL), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"lorebase_first_start_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


class Started:
    """One `lorebase` command started in the background, its output kept in files."""

    def __init__(self, folder: Path, name: str, args: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.stdout_path = folder / f"{name}.out"
        self.stderr_path = folder / f"{name}.err"
        with open(self.stdout_path, "w") as out, open(self.stderr_path, "w") as err:
            self.process = subprocess.Popen([*LOREBASE, *args], stdout=out, stderr=err, env=env)

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text()

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
        try:
            return self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


def _wait_for_health(base: str, process: Started) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.process.poll() is None, f"{process.name} died:\n{process.stderr}"
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"{process.name} did not answer /health within 60 s:\n{process.stderr}")


def test_six_processes_started_together_on_an_empty_database_make_one_project_and_all_run(
    tmp_path: Path, unmigrated_database: str
) -> None:
    env = {
        **os.environ,
        "LOREBASE_DATABASE_URL": unmigrated_database,
        "LOREBASE_DATA_DIR": str(tmp_path / "data"),
    }
    ports = [free_port(), free_port()]
    commands = {
        "serve-a": ["serve", "--port", str(ports[0]), "--workers", "1"],
        "serve-b": ["serve", "--port", str(ports[1]), "--workers", "0"],
        "worker": ["worker"],
        "migrate": ["migrate"],
        "token-1": ["token", "create", "--name", "ci-1"],
        "token-2": ["token", "create", "--name", "ci-2"],
    }
    # Started back to back, before any has imported Lorebase: they meet on the empty database.
    started = {name: Started(tmp_path, name, args, env) for name, args in commands.items()}
    try:
        for port, name in zip(ports, ("serve-a", "serve-b"), strict=True):
            _wait_for_health(f"http://127.0.0.1:{port}", started[name])
        for name in ("migrate", "token-1", "token-2"):
            assert started[name].process.wait(timeout=60) == 0, started[name].stderr
        assert started["worker"].process.poll() is None, started["worker"].stderr
    finally:
        codes = {name: process.stop() for name, process in started.items()}

    for name, process in started.items():
        assert "Traceback" not in process.stderr, f"{name}:\n{process.stderr}"
        # uvicorn shuts down gracefully on SIGTERM, then dies of the signal it caught.
        expected = (0, -signal.SIGTERM) if name.startswith("serve") else (0,)
        assert codes[name] in expected, f"{name} exited {codes[name]}:\n{process.stderr}"

    engine = create_engine(unmigrated_database, poolclass=NullPool)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Project)) == 1
        # The admin token and the two the commands asked for: nothing twice.
        assert connection.scalar(select(func.count()).select_from(ApiToken)) == 3
    engine.dispose()

    # Exactly one process found the database empty and showed the admin token, once.
    announcements = [p for p in started.values() if "Admin API token" in p.stderr]
    assert len(announcements) == 1
    creator = announcements[0]
    admin_token = TOKEN.findall(creator.stdout + creator.stderr)[-1]
    created = [TOKEN.findall(started[name].stdout) for name in ("token-1", "token-2")]
    assert all(len(tokens) == 1 for tokens in created), created
    assert len({admin_token, created[0][0], created[1][0]}) == 3


def test_a_second_process_waits_for_the_first_ones_turn_and_then_finds_the_project(
    tmp_path: Path, unmigrated_database: str
) -> None:
    """The turn is held for the whole first start: a process that starts while another is
    still migrating does not see a half-made schema."""
    from lorebase.bootstrap import prepare_database
    from lorebase.db.engine import prepared_schema

    env = {
        **os.environ,
        "LOREBASE_DATABASE_URL": unmigrated_database,
        "LOREBASE_DATA_DIR": str(tmp_path / "data"),
    }
    (tmp_path / "data").mkdir(exist_ok=True)
    with prepared_schema(unmigrated_database):
        # We hold the turn (schema made, not committed); the command must wait for it.
        waiting = Started(tmp_path, "token", ["token", "create", "--name", "late"], env)
        time.sleep(3)
        assert waiting.process.poll() is None, waiting.stderr
    assert waiting.process.wait(timeout=60) == 0, waiting.stderr
    assert TOKEN.findall(waiting.stdout), waiting.stdout
    assert "Admin API token" in waiting.stderr  # it made the project: we had not
    assert prepare_database(unmigrated_database) is None
