"""A project's exports and imports as the portal lists them: the latest first, and one of them
by id."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lorebase.db.models import Job
from lorebase.exchange.service import EXPORT, IMPORT, find_job

KINDS = (EXPORT, IMPORT)
RECENT = 20


def recent_jobs(session: Session, project_id: str, limit: int = RECENT) -> list[Job]:
    """The project's latest export and import jobs, newest first (other kinds are the
    system's own follow-ups, such as the page bodies an import queues)."""
    return list(
        session.scalars(
            select(Job)
            .where(Job.project_id == project_id, Job.kind.in_(KINDS))
            .order_by(Job.created_at.desc(), Job.id.desc())
            .limit(limit)
        )
    )


def exchange_job(session: Session, project_id: str, job_id: str) -> Job | None:
    """The project's export or import `job_id`; None for another project's, another kind's, or
    an id no job can have (PostgreSQL text holds no NUL)."""
    if "\x00" in job_id or len(job_id) > 64:
        return None
    return find_job(session, project_id, EXPORT, job_id) or find_job(
        session, project_id, IMPORT, job_id
    )
