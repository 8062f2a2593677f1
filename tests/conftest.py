"""Shared fixtures: a real database per test (SQLite always, PostgreSQL when configured),
the real ASGI app, and a ready project with its admin token, owner and workspace."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

# The suite sends far more than 100 requests a minute with one token; the rate limit is tested
# where it is set on purpose (tests/api/test_rate_limits.py). Servers started as subprocesses
# inherit this too.
os.environ.setdefault("LOREBASE_RATE_LIMIT", "1000000/minute")
# Servers the tests start run one process unless a test asks for more
# (tests/e2e/test_processes.py): several tests signal or kill the server's pid, which with
# `--processes N` is uvicorn's supervisor, not the process that answers.
os.environ.setdefault("LOREBASE_PROCESSES", "1")

from lorebase.app import create_app
from lorebase.auth.tokens import issue_token
from lorebase.bootstrap import ensure_project
from lorebase.db.engine import make_engine, make_session_factory, migrate, transaction
from lorebase.db.models import Base
from lorebase.kb import workspaces
from lorebase.settings import Settings

PG_URL = os.environ.get("LOREBASE_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
# scripts/test runs the suite as two processes side by side: the "postgresql" shard runs the
# tests that use PostgreSQL, the "sqlite" shard everything else. Unset: one process runs all.
SHARD = os.environ.get("LOREBASE_TEST_SHARD", "")


def _uses_postgresql(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    params = callspec.params.values() if callspec else ()
    on_postgresql = any(isinstance(value, str) and value == "postgresql" for value in params)
    return on_postgresql or "postgres_url" in getattr(item, "fixturenames", ())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if SHARD not in ("sqlite", "postgresql"):
        return
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        (keep if _uses_postgresql(item) == (SHARD == "postgresql") else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file; each test gets a copy (migrations run once per session)."""
    path = tmp_path_factory.mktemp("template") / "lorebase.sqlite3"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A scratch database for this test session, migrated once, dropped at the end."""
    admin = make_url(PG_URL)
    name = f"lorebase_test_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.set(database=name).render_as_string(hide_password=False)
    migrate(url)
    yield url
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def _empty_postgres(url: str) -> None:
    # DELETE beats TRUNCATE on a handful of near-empty tables (no file swaps, light locks).
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "lorebase.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_url")
    _empty_postgres(url)
    return url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=database_url, workers=0)


@dataclass
class Project:
    """A started Lorebase: what `lorebase serve` prints and creates on first start."""

    client: TestClient
    settings: Settings
    project_id: str
    token: str
    owner_id: str
    workspace_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"api_token": self.token}

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, headers=self.headers, **kw)

    def post(self, path: str, **kw: Any) -> Any:
        return self.client.post(path, headers=self.headers, **kw)

    def put(self, path: str, **kw: Any) -> Any:
        return self.client.put(path, headers=self.headers, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.client.delete(path, headers=self.headers, **kw)

    def session(self) -> Any:
        """A transaction on the same database, for setup the API does not offer."""
        engine = make_engine(self.settings.resolved_database_url(), pooled=False)
        return transaction(make_session_factory(engine))

    def token_for(self, methods: str, project_id: str | None = None) -> str:
        with self.session() as session:
            return issue_token(session, project_id or self.project_id, "test", methods).secret

    def add_language(self, code: str) -> None:
        with self.session() as session:
            workspaces.add_language(session, self.workspace_id, code)

    def add_user(self, email: str = "editor@example.com", first_name: str = "Eddie") -> str:
        with self.session() as session:
            return workspaces.create_user(
                session, self.project_id, email=email, first_name=first_name
            ).id

    def other_project(self) -> tuple[str, str]:
        """A second project on the same server: (its token, its workspace id)."""
        with self.session() as session:
            project = workspaces.create_project(session, "Someone else's KB")
            workspace = workspaces.workspaces(session, project.id)[0]
            token = issue_token(session, project.id, "other").secret
            return token, workspace.id


@pytest.fixture
def project(settings: Settings) -> Iterator[Project]:
    engine = make_engine(settings.resolved_database_url(), pooled=False)
    with transaction(make_session_factory(engine)) as session:
        first = ensure_project(session)
        assert first is not None
        workspace = workspaces.workspaces(session, first.project_id)[0]
    engine.dispose()
    app = create_app(settings)
    with TestClient(app) as client:
        yield Project(
            client=client,
            settings=settings,
            project_id=first.project_id,
            token=first.admin_token,
            owner_id=first.owner_id,
            workspace_id=workspace.id,
        )
    app.state.engine.dispose()
