"""A migrated database with one project, and session factories on it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session, sessionmaker

from lorebase.bootstrap import ensure_project
from lorebase.db.engine import make_engine, make_session_factory, transaction
from lorebase.db.models import Job


@dataclass
class Queue:
    factory: sessionmaker[Session]
    project_id: str

    def load(self, job_id: str) -> Job:
        with transaction(self.factory) as session:
            job = session.get(Job, job_id)
            assert job is not None
            return job


@pytest.fixture
def jobs_db(database_url: str) -> Iterator[Queue]:
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    with transaction(factory) as session:
        first = ensure_project(session)
        assert first is not None
    yield Queue(factory, first.project_id)
    engine.dispose()
