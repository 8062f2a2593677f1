"""What a running Lorebase shares between the API, the job workers and the CLI: settings, the
database and the blob store, built once from the settings."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from lorebase.db.engine import make_engine, make_lookup_engine, make_session_factory
from lorebase.settings import Settings
from lorebase.storage import BlobStore, blob_store_from_url


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    # Plain reads (an export): never take SQLite's write lock, so they run beside writers.
    read_session_factory: sessionmaker[Session]
    blobs: BlobStore
    # Signs download and media URLs (read once: a file read per request would add up).
    secret: bytes
    # The one-row reads of every browser request (its session): see make_lookup_engine.
    lookup_engine: Engine


def make_runtime(settings: Settings, engine: Engine | None = None) -> Runtime:
    engine = engine or make_engine(settings.resolved_database_url())
    secret = settings.resolved_secret()
    blobs = blob_store_from_url(
        settings.storage_url,
        data_dir=settings.data_dir,
        base_url=settings.public_base_url,
        secret=secret,
    )
    # The job kinds must be registered wherever jobs run: serve, worker and the CLI.
    import lorebase.exchange.tasks
    import lorebase.kb.tasks  # noqa: F401

    return Runtime(
        settings,
        engine,
        make_session_factory(engine),
        make_session_factory(engine, writer=False),
        blobs,
        secret,
        make_lookup_engine(engine),
    )
