"""The last line of defence for concurrent writes: should the database refuse a write because
another request changed the same rows at the same moment (a unique key taken in between, a
PostgreSQL deadlock or serialization failure), the client gets a 409 it can retry, in its API
version's error shape, never a 500; SQLite's "database is locked" after its busy timeout is a
503 with Retry-After. Lorebase orders its writes so that none is expected
(tests/kb/test_write_races.py); these tests raise real database errors to see the answer."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from lorebase.api.v3.errors import DATABASE_BUSY, WRITE_CONFLICT, is_write_conflict
from lorebase.db.models import ApiToken
from tests.conftest import PG_URL

# PostgreSQL's own errors; .ci/run always provides the database, a SQLite-only run skips these.
postgres_only = pytest.mark.skipif(not PG_URL, reason="set LOREBASE_TEST_DATABASE_URL")


def _route_taking_one_token_hash_twice(project: Any) -> None:
    def clash() -> None:
        with project.session() as session:
            for name in ("one", "two"):
                session.add(ApiToken(project_id=project.project_id, name=name, token_hash="0" * 64))
            session.flush()  # the second row breaks the unique index: IntegrityError

    for prefix in ("/v2", "/v3"):
        project.client.app.add_api_route(f"{prefix}/test-only/clash", clash, methods=["POST"])


def test_a_unique_key_taken_in_between_is_a_409_in_each_versions_shape(project: Any) -> None:
    _route_taking_one_token_hash_twice(project)

    v2 = project.post("/v2/test-only/clash")
    assert v2.status_code == 409
    body = v2.json()
    assert body["success"] is False
    assert [e["description"] for e in body["errors"]] == [WRITE_CONFLICT]

    v3 = project.post("/v3/test-only/clash")
    assert v3.status_code == 409
    assert v3.headers["content-type"].startswith("application/problem+json")
    assert v3.json()["detail"] == WRITE_CONFLICT


@postgres_only
def test_a_postgresql_deadlock_is_a_write_conflict(postgres_url: str) -> None:
    """Two transactions take two rows in opposite orders; PostgreSQL breaks the cycle by
    failing one of them with SQLSTATE 40P01."""
    engine = create_engine(postgres_url, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS deadlock_probe (id int PRIMARY KEY)"))
        conn.execute(text("DELETE FROM deadlock_probe"))
        conn.execute(text("INSERT INTO deadlock_probe VALUES (1), (2)"))
    both_hold_one = threading.Barrier(2)
    failures: list[BaseException] = []

    def take(first: int, second: int) -> None:
        try:
            with engine.begin() as conn:
                conn.execute(text("UPDATE deadlock_probe SET id = id WHERE id = :i"), {"i": first})
                both_hold_one.wait(30)
                conn.execute(text("UPDATE deadlock_probe SET id = id WHERE id = :i"), {"i": second})
        except DBAPIError as exc:
            failures.append(exc)

    threads = [threading.Thread(target=take, args=pair) for pair in ((1, 2), (2, 1))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert len(failures) == 1, failures
        (deadlock,) = failures
        assert getattr(deadlock.orig, "sqlstate", None) == "40P01"
        assert is_write_conflict(deadlock)
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE deadlock_probe"))
        engine.dispose()


@postgres_only
@pytest.mark.parametrize("statement", ["SELECT 1/0", "SELECT CAST('x' AS int)"])
def test_other_database_errors_are_not_conflicts(postgres_url: str, statement: str) -> None:
    engine = create_engine(postgres_url, poolclass=NullPool)
    try:
        with pytest.raises(DBAPIError) as raised, engine.connect() as conn:
            conn.execute(text(statement))
        assert not is_write_conflict(raised.value)
    finally:
        engine.dispose()


def test_a_write_that_waited_out_sqlites_busy_timeout_is_a_503_to_retry(
    project: Any, tmp_path: Path
) -> None:
    """A real "database is locked": one connection holds SQLite's write lock, another with no
    patience (timeout 0, where Lorebase waits 30 s) asks for it."""
    path = tmp_path / "busy.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x int)")
    holder.execute("BEGIN IMMEDIATE")
    impatient = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0}, poolclass=NullPool)

    def write() -> None:
        with impatient.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))

    for prefix in ("/v2", "/v3"):
        project.client.app.add_api_route(f"{prefix}/test-only/busy", write, methods=["POST"])
    try:
        v2 = project.post("/v2/test-only/busy")
        v3 = project.post("/v3/test-only/busy")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        impatient.dispose()

    assert (v2.status_code, v2.headers["retry-after"]) == (503, "1")
    assert [e["description"] for e in v2.json()["errors"]] == [DATABASE_BUSY]
    assert (v3.status_code, v3.headers["retry-after"]) == (503, "1")
    assert v3.json()["detail"] == DATABASE_BUSY
