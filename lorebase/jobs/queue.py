"""The durable job queue: a `jobs` table in the application database.

Enqueueing joins the caller's transaction, so a job exists exactly when the data that asked
for it does. Workers claim one job at a time under a lease they renew with `heartbeat`; a
worker that dies stops renewing, its lease runs out and the next `claim_next_job` takes the
job over (bounded by `max_attempts`, then the job ends in `Error` with the reason).

Claiming is one atomic step on each engine: `SELECT … FOR UPDATE SKIP LOCKED` then `UPDATE`
on PostgreSQL, a single `UPDATE … WHERE id = (SELECT … LIMIT 1) RETURNING …` on SQLite.
Every state change after the claim is one short transaction that only takes effect while the
calling worker still owns the lease.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from lorebase.db.engine import transaction
from lorebase.db.models import Job, utcnow

QUEUED = "Queued"
IN_PROGRESS = "InProgress"
COMPLETED = "Completed"
ERROR = "Error"

# Message types of the job log, as the API reports them.
MESSAGE_ERROR = 0
MESSAGE_WARNING = 1
MESSAGE_INFO = 2

SessionFactory = sessionmaker[Session]


def enqueue(
    session: Session,
    project_id: str,
    kind: str,
    params: dict[str, Any] | None = None,
    *,
    max_attempts: int = 3,
) -> Job:
    """Add a queued job to the caller's transaction (not committed here)."""
    now = utcnow()
    job = Job(
        project_id=project_id,
        kind=kind,
        params=dict(params or {}),
        status=QUEUED,
        progress_done=0,
        progress_total=0,
        messages=[],
        attempts=0,
        max_attempts=max_attempts,
        created_at=now,
        updated_at=now,
    )
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, job_id: str) -> Job | None:
    return session.get(Job, job_id)


def _claimable(now: datetime) -> ColumnElement[bool]:
    return or_(
        Job.status == QUEUED,
        and_(
            Job.status == IN_PROGRESS,
            Job.lease_expires_at < now,
            Job.attempts < Job.max_attempts,
        ),
    )


def _runnable(kinds: list[str], now: datetime) -> ColumnElement[bool]:
    return and_(Job.kind.in_(kinds), _claimable(now))


def _claim_values(worker_id: str, now: datetime, lease: timedelta) -> dict[str, Any]:
    return {
        "status": IN_PROGRESS,
        "attempts": Job.attempts + 1,
        "lease_owner": worker_id,
        "lease_expires_at": now + lease,
        "updated_at": now,
    }


def _fail_abandoned(session: Session, now: datetime) -> None:
    """Jobs whose worker died on their last allowed attempt end in Error with the reason."""
    query = (
        select(Job.id, Job.attempts)
        .where(
            Job.status == IN_PROGRESS,
            Job.lease_expires_at < now,
            Job.attempts >= Job.max_attempts,
        )
        .limit(100)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    for job_id, attempts in session.execute(query).all():
        reason = f"worker stopped responding after {attempts} attempts"
        job = session.get(Job, job_id)
        if job is None:
            continue
        # Re-checked: on SQLite another worker may have swept the row in between.
        session.execute(
            update(Job)
            .where(
                Job.id == job_id,
                Job.status == IN_PROGRESS,
                Job.lease_expires_at < now,
            )
            .values(
                status=ERROR,
                error=reason,
                messages=[*job.messages, {"type": MESSAGE_ERROR, "message": reason}],
                lease_owner=None,
                lease_expires_at=None,
                finished_at=now,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )


def claim_next_job(
    session_factory: SessionFactory,
    worker_id: str,
    kinds: Iterable[str],
    lease: timedelta,
) -> Job | None:
    """Atomically claim the oldest runnable job of one of `kinds` for `worker_id`.

    Runnable: queued, or in progress under an expired lease (its worker died) with attempts
    left. Returns the claimed job (detached, already committed) or None.
    """
    kind_list = sorted(set(kinds))
    if not kind_list:
        return None
    now = utcnow()
    claimed = _claim_values(worker_id, now, lease)
    with transaction(session_factory) as session:
        # Sweeping in the claim's transaction keeps a poll to one short write transaction.
        _fail_abandoned(session, now)
        oldest = select(Job.id).where(_runnable(kind_list, now)).order_by(Job.created_at, Job.id)
        if session.get_bind().dialect.name == "postgresql":
            job_id = session.scalars(oldest.limit(1).with_for_update(skip_locked=True)).first()
            if job_id is None:
                return None
            session.execute(
                update(Job)
                .where(Job.id == job_id)
                .values(**claimed)
                .execution_options(synchronize_session=False)
            )
        else:
            job_id = session.scalars(
                update(Job)
                .where(Job.id == oldest.limit(1).scalar_subquery())
                .values(**claimed)
                .returning(Job.id)
                .execution_options(synchronize_session=False)
            ).first()
            if job_id is None:
                return None
        session.execute(
            update(Job)
            .where(Job.id == job_id, Job.started_at.is_(None))
            .values(started_at=now)
            .execution_options(synchronize_session=False)
        )
        job = session.get(Job, job_id, populate_existing=True)
        assert job is not None
        return job


def claim_job(
    session_factory: SessionFactory, job_id: str, worker_id: str, lease: timedelta
) -> Job | None:
    """Atomically claim the job `job_id` for `worker_id` if it is runnable (the rules of
    `claim_next_job`); None when another worker holds it or it has ended.

    `lorebase export|import` run the job they queued in their own process this way.
    """
    now = utcnow()
    with transaction(session_factory) as session:
        # One conditional UPDATE: PostgreSQL re-checks the WHERE clause after taking the row
        # lock, SQLite serialises writers, so two claimers can never both match.
        claimed = session.execute(
            update(Job)
            .where(Job.id == job_id, _claimable(now))
            .values(**_claim_values(worker_id, now, lease))
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return None
        session.execute(
            update(Job)
            .where(Job.id == job_id, Job.started_at.is_(None))
            .values(started_at=now)
            .execution_options(synchronize_session=False)
        )
        return session.get(Job, job_id, populate_existing=True)


def _owned(job_id: str, worker_id: str) -> ColumnElement[bool]:
    return and_(Job.id == job_id, Job.lease_owner == worker_id, Job.status == IN_PROGRESS)


def _update_owned(
    session_factory: SessionFactory, job_id: str, worker_id: str, **values: Any
) -> bool:
    with transaction(session_factory) as session:
        result = session.execute(
            update(Job)
            .where(_owned(job_id, worker_id))
            .values(updated_at=utcnow(), **values)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def heartbeat(
    session_factory: SessionFactory, job_id: str, worker_id: str, lease: timedelta
) -> bool:
    """Renew the lease; False when this worker no longer owns the job (taken over or ended)."""
    return _update_owned(session_factory, job_id, worker_id, lease_expires_at=utcnow() + lease)


def _append_owned(
    session_factory: SessionFactory,
    job_id: str,
    worker_id: str,
    message: dict[str, Any] | None,
    **values: Any,
) -> bool:
    """Update an owned job, appending `message` to its log (read-modify-write, row locked)."""
    with transaction(session_factory) as session:
        query = select(Job).where(_owned(job_id, worker_id))
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        job = session.scalars(query).first()
        if job is None:
            return False
        if message is not None:
            job.messages = [*job.messages, message]
        for key, value in values.items():
            setattr(job, key, value)
        job.updated_at = utcnow()
        return True


def report_progress(
    session_factory: SessionFactory,
    job_id: str,
    worker_id: str,
    done: int,
    total: int,
    message: str | None = None,
    message_type: int = MESSAGE_INFO,
) -> bool:
    """Record progress (and optionally a log message); False when the lease was lost."""
    entry = None if message is None else {"type": message_type, "message": message}
    return _append_owned(
        session_factory, job_id, worker_id, entry, progress_done=done, progress_total=total
    )


def complete(
    session_factory: SessionFactory,
    job_id: str,
    worker_id: str,
    result_key: str | None,
    result: dict[str, Any] | None = None,
) -> bool:
    """Mark the job Completed with its result; no effect unless `worker_id` owns the lease."""
    now = utcnow()
    return _update_owned(
        session_factory,
        job_id,
        worker_id,
        status=COMPLETED,
        result_key=result_key,
        result=result,
        lease_owner=None,
        lease_expires_at=None,
        finished_at=now,
    )


def fail(session_factory: SessionFactory, job_id: str, worker_id: str, reason: str) -> bool:
    """Mark the job Error with `reason` (also logged); no effect unless this worker owns it."""
    return _append_owned(
        session_factory,
        job_id,
        worker_id,
        {"type": MESSAGE_ERROR, "message": reason},
        status=ERROR,
        error=reason,
        lease_owner=None,
        lease_expires_at=None,
        finished_at=utcnow(),
    )


def release(session_factory: SessionFactory, job_id: str, worker_id: str) -> bool:
    """Hand an unfinished job back to the queue (graceful shutdown); the attempt is not counted."""
    return _update_owned(
        session_factory,
        job_id,
        worker_id,
        status=QUEUED,
        attempts=Job.attempts - 1,
        lease_owner=None,
        lease_expires_at=None,
    )
