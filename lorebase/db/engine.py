"""Engine and session factory for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import namedtuple
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, Select, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def make_engine(url: str, *, pooled: bool = True) -> Engine:
    pool_args: dict[str, Any] = (
        {"pool_size": 20, "max_overflow": 20} if pooled else {"poolclass": NullPool}
    )
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT},
            **pool_args,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's implicit transaction handling skips BEGIN before some statements and
        # breaks SAVEPOINT; SQLAlchemy's documented recipe is to issue BEGIN ourselves.
        _WriterQueue().attach(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **pool_args)


def make_lookup_engine(engine: Engine) -> Engine:
    """An engine for the one-row lookups every browser request makes (its session).

    On PostgreSQL a connection of the main pool costs three more round trips than the query:
    the pre-ping, BEGIN and the ROLLBACK that returns it. This pool runs its statements in
    autocommit, without a pre-ping (a connection that died is dropped when it fails, and
    `lookup` asks once more). SQLite's local connections cost next to nothing, so it uses
    the main engine.
    """
    if engine.dialect.name == "sqlite":
        return engine
    return create_engine(
        engine.url,
        isolation_level="AUTOCOMMIT",
        pool_size=10,
        max_overflow=20,
        # The same few statements on every request: prepared on each connection at once.
        connect_args={"prepare_threshold": 0},
    )


def lookup(engine: Engine, statement: Select[Any] | Any, parameters: dict[str, Any]) -> Any:
    """The first row of a read on `make_lookup_engine`'s engine (None without one), asked
    once more when the connection it was given had died (a restarted database).

    The statement goes to the driver as SQL compiled once, on a pooled driver connection:
    SQLAlchemy's execution path costs about as much again as PostgreSQL's round trip, and
    on SQLite (autocommit connections: one statement reads one snapshot) its BEGIN and
    ROLLBACK cost more than the query. Values are converted by the columns' own types.
    """
    rows = _lookup(engine, statement, parameters, every=False)
    return rows[0] if rows else None


def lookup_rows(engine: Engine, statement: Select[Any] | Any, parameters: dict[str, Any]) -> Any:
    """Every row of a read, as `lookup` reads its first."""
    return _lookup(engine, statement, parameters, every=True)


def _lookup(
    engine: Engine, statement: Select[Any] | Any, parameters: dict[str, Any], *, every: bool
) -> list[Any]:
    prepared = _prepared_lookup(engine, statement)
    arguments = prepared.compiled.construct_params(parameters)
    if prepared.compiled.positional:  # SQLite's "?" placeholders
        arguments = [arguments[name] for name in prepared.compiled.positiontup]
    for attempt in (1, 2):
        driver_connection = engine.raw_connection()
        try:
            cursor = driver_connection.cursor()
            cursor.execute(prepared.sql, arguments)
            found = cursor.fetchall() if every else cursor.fetchmany(1)
            cursor.close()
            break
        except engine.dialect.loaded_dbapi.OperationalError:
            # The connection died (a restarted database): drop it, take another, once.
            driver_connection.invalidate()
            if attempt == 2:
                raise
        finally:
            driver_connection.close()
    return [
        prepared.row(
            *(
                value if convert is None else convert(value)
                for value, convert in zip(values, prepared.converters, strict=True)
            )
        )
        for values in found
    ]


@dataclass(frozen=True)
class _PreparedLookup:
    sql: str
    compiled: Any
    converters: list[Any]
    row: Any


_prepared: dict[tuple[int, int], _PreparedLookup] = {}


def _prepared_lookup(engine: Engine, statement: Select[Any] | Any) -> _PreparedLookup:
    key = (id(engine.dialect), id(statement))
    found = _prepared.get(key)
    if found is None:
        compiled = statement.compile(dialect=engine.dialect)
        columns = list(statement.selected_columns)
        found = _PreparedLookup(
            str(compiled),
            compiled,
            # The dialect's own form of each type: SQLite's DateTime parses the stored text.
            [
                column.type.dialect_impl(engine.dialect).result_processor(engine.dialect, None)
                for column in columns
            ],
            namedtuple("LookupRow", [column.key for column in columns]),
        )
        _prepared[key] = found
    return found


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT * 1000)}")
    cursor.close()


# Seconds a writer waits for SQLite's write lock (PRAGMA busy_timeout above, in ms).
BUSY_TIMEOUT = 30.0
_QUEUED = "lorebase_writer_queue"


class _WriterQueue:
    """One engine's writers take SQLite's write lock one at a time, in the order they came.

    Writers take the write lock up front (`BEGIN IMMEDIATE`): two deferred transactions that
    both read and then write would deadlock, and SQLite answers that with an immediate
    "database is locked" instead of waiting. Readers keep plain BEGIN so they never queue
    behind writers (WAL). A writer that finds the lock taken is left to SQLite's busy handler,
    which polls with growing sleeps (up to 100 ms): the writers that came last poll fastest
    and get through first, and under 32 clients some waited 10 s or more. So the writers of
    this process first queue on a lock of their own, which wakes them as soon as it is free;
    only writers of other processes (workers) still meet at SQLite's lock. The lock is held
    from BEGIN to COMMIT or ROLLBACK, and given back, whatever happens, when the connection
    goes back to the pool or is invalidated.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def attach(self, engine: Engine) -> None:
        event.listen(engine, "begin", self._begin)
        event.listen(engine, "commit", self._end)
        event.listen(engine, "rollback", self._end)
        event.listen(engine.pool, "checkin", self._returned)
        event.listen(engine.pool, "invalidate", self._invalidated)

    def _begin(self, connection: Connection) -> None:
        if not connection.get_execution_options().get("lorebase_writer"):
            connection.exec_driver_sql("BEGIN")
            return
        if not self._lock.acquire(timeout=BUSY_TIMEOUT):
            raise OperationalError(
                "BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked")
            )
        connection.info[_QUEUED] = True
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self._give_back(connection.info)
            raise

    def _end(self, connection: Connection) -> None:
        if connection.invalidated:
            return  # given back by the pool's "invalidate" event; `info` is out of reach now
        self._give_back(connection.info)

    def _returned(self, _dbapi_connection: Any, record: Any) -> None:
        self._give_back(record.info)

    def _invalidated(self, _dbapi_connection: Any, record: Any, _exception: Any) -> None:
        self._give_back(record.info)

    def _give_back(self, info: dict[Any, Any]) -> None:
        if info.pop(_QUEUED, False):
            self._lock.release()


def make_session_factory(engine: Engine, *, writer: bool = True) -> sessionmaker[Session]:
    """Sessions on `engine`; `writer=False` for requests that only read."""
    bind = engine.execution_options(lorebase_writer=True) if writer else engine
    return sessionmaker(bind=bind, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def is_database_busy(exc: BaseException) -> bool:
    """SQLite's answer once a writer has waited `BUSY_TIMEOUT` for the write lock."""
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


# Every process that starts on a database (`serve` on N API nodes, workers, `migrate`, CLI
# commands) migrates it and may create the first project: they take turns. On PostgreSQL the
# turn is a transaction-level advisory lock on this key; on SQLite it is the write lock itself
# (BEGIN IMMEDIATE). Either way the migrations and the first-start work commit together, so a
# process that waited finds the schema at head and the project made.
_SCHEMA_LOCK_KEY = 0x4C6F7265  # "Lore"
# How long a starting process waits for its turn: longer than any migration is expected to
# take, short enough that a process stuck behind a hung one says so.
STARTUP_LOCK_TIMEOUT = 600.0


@contextmanager
def prepared_schema(url: str) -> Iterator[Connection]:
    """Migrate to the newest revision in this process's turn, and yield the connection still
    inside that turn's transaction, for first-start work (committed with the migrations)."""
    engine = make_engine(url, pooled=False)
    try:
        with _turn(engine) as connection:
            config = alembic_config(url)
            # env.py runs the migrations on this connection, inside our transaction (Alembic
            # leaves a transaction it did not begin to its owner).
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            yield connection
    finally:
        engine.dispose()


@contextmanager
def _turn(engine: Engine) -> Iterator[Connection]:
    deadline = time.monotonic() + STARTUP_LOCK_TIMEOUT
    if engine.dialect.name != "sqlite":
        with engine.connect() as connection, connection.begin():
            connection.execute(text(f"SET LOCAL lock_timeout = '{int(STARTUP_LOCK_TIMEOUT)}s'"))
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK_KEY}
            )
            yield connection
        return
    while True:
        connection = engine.connect().execution_options(lorebase_writer=True)
        try:
            transaction = connection.begin()  # BEGIN IMMEDIATE: waits BUSY_TIMEOUT at most
        except OperationalError as exc:
            connection.close()
            if not is_database_busy(exc) or time.monotonic() > deadline:
                raise
            continue
        with connection, transaction:
            yield connection
        return


def migrate(url: str) -> None:
    """Bring the schema to the newest revision; safe to call on every start, from any number of
    processes at once."""
    with prepared_schema(url):
        pass
