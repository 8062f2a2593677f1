"""Engine and session factory for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
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
            connect_args={"check_same_thread": False, "timeout": 30},
            **pool_args,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's implicit transaction handling skips BEGIN before some statements and
        # breaks SAVEPOINT; SQLAlchemy's documented recipe is to issue BEGIN ourselves.
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, **pool_args)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # Writers take the write lock up front: two deferred transactions that both read and then
    # write would deadlock, and SQLite answers that with an immediate "database is locked"
    # instead of waiting. Readers keep plain BEGIN so they never queue behind writers (WAL).
    if connection.get_execution_options().get("lorebase_writer"):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


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


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str) -> None:
    """Bring the schema to the newest revision; safe to call on every start."""
    command.upgrade(alembic_config(url), "head")
