"""SQLite writers of one process queue on a lock of their own before `BEGIN IMMEDIATE`
(lorebase.db.engine._WriterQueue). The lock must come back however a writer's transaction ends
— commit, an error and rollback, a session closed without either, a connection invalidated, a
BEGIN that failed — or every later writer of the process would wait for ever. After each way
out, the next writer on the same engine must get through; a hang guard turns "for ever" into a
failure. Real SQLite files."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from lorebase.db.engine import make_engine, make_session_factory, transaction

HANG_GUARD = 20.0


@pytest.fixture(params=["pooled", "unpooled"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    made = make_engine(f"sqlite:///{tmp_path / 'queue.sqlite3'}", pooled=request.param == "pooled")
    with made.begin() as conn:
        conn.execute(text("CREATE TABLE notes (n int)"))
    yield made
    made.dispose()


def write(engine: Engine, n: int) -> None:
    with transaction(make_session_factory(engine)) as session:
        session.execute(text("INSERT INTO notes VALUES (:n)"), {"n": n})


def next_writer_gets_through(engine: Engine) -> None:
    done = threading.Event()
    worker = threading.Thread(target=lambda: (write(engine, 99), done.set()), daemon=True)
    worker.start()
    worker.join(HANG_GUARD)
    assert done.is_set(), "the next writer is still waiting: the queue's lock was not given back"


def commit(engine: Engine) -> None:
    write(engine, 1)


def fail_and_roll_back(engine: Engine) -> None:
    with pytest.raises(ZeroDivisionError), transaction(make_session_factory(engine)) as session:
        session.execute(text("INSERT INTO notes VALUES (1)"))
        raise ZeroDivisionError


def close_without_ending(engine: Engine) -> None:
    session = make_session_factory(engine)()
    session.execute(text("INSERT INTO notes VALUES (1)"))
    session.close()


def invalidate_the_connection(engine: Engine) -> None:
    session = make_session_factory(engine)()
    session.execute(text("INSERT INTO notes VALUES (1)"))
    session.connection().invalidate()
    session.close()


def statement_error_then_rollback(engine: Engine) -> None:
    with pytest.raises(OperationalError), transaction(make_session_factory(engine)) as session:
        session.execute(text("INSERT INTO no_such_table VALUES (1)"))


@pytest.mark.parametrize(
    "way_out",
    [
        commit,
        fail_and_roll_back,
        close_without_ending,
        invalidate_the_connection,
        statement_error_then_rollback,
    ],
)
def test_the_lock_comes_back_however_a_writer_ends(
    engine: Engine, way_out: Callable[[Engine], None]
) -> None:
    for _ in range(3):  # a lock given back twice would raise; one kept would hang the next
        way_out(engine)
        next_writer_gets_through(engine)


def test_a_begin_that_could_not_get_sqlites_lock_gives_the_queue_back(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process holds SQLite's write lock (here: a plain sqlite3 connection) for
    longer than the busy timeout: the BEGIN fails, and the queue must not stay taken."""
    monkeypatch.setattr("lorebase.db.engine.BUSY_TIMEOUT", 0.2)  # read as engines are made
    fast = make_engine(f"sqlite:///{tmp_path / 'queue.sqlite3'}")
    other = sqlite3.connect(tmp_path / "queue.sqlite3", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(OperationalError, match="database is locked"):
            write(fast, 1)
    finally:
        other.execute("ROLLBACK")
        other.close()
    next_writer_gets_through(fast)
    fast.dispose()


def test_writers_of_many_threads_all_get_through(engine: Engine) -> None:
    threads = [threading.Thread(target=write, args=(engine, n), daemon=True) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(HANG_GUARD)
    assert not any(thread.is_alive() for thread in threads)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM notes")).scalar_one() == 40
