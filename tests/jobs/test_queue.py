"""The job queue against the real database: transactions, atomic claims, leases, attempts."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lorebase.db.engine import transaction
from lorebase.db.models import Job
from lorebase.jobs import queue
from lorebase.kb import workspaces
from tests.jobs.conftest import Queue

LONG = timedelta(minutes=5)
SHORT = timedelta(milliseconds=100)


def _enqueue(db: Queue, kind: str = "test", **kw: object) -> str:
    with transaction(db.factory) as session:
        return queue.enqueue(session, db.project_id, kind, {"n": 1}, **kw).id  # type: ignore[arg-type]


def test_enqueue_commits_and_rolls_back_with_the_callers_transaction(jobs_db: Queue) -> None:
    with pytest.raises(RuntimeError), transaction(jobs_db.factory) as session:
        workspaces.create_user(session, jobs_db.project_id, email="a@x.org", first_name="A")
        queue.enqueue(session, jobs_db.project_id, "export", {"format": "zip"})
        raise RuntimeError("the request failed")
    with transaction(jobs_db.factory) as session:
        assert session.scalar(select(func.count()).select_from(Job)) == 0

    job_id = _enqueue(jobs_db, "export")
    job = jobs_db.load(job_id)
    assert (job.status, job.kind, job.params, job.attempts, job.max_attempts) == (
        "Queued",
        "export",
        {"n": 1},
        0,
        3,
    )
    assert job.messages == [] and job.lease_owner is None


def test_claims_the_oldest_job_of_the_asked_kinds(jobs_db: Queue) -> None:
    other = _enqueue(jobs_db, "other")
    first = _enqueue(jobs_db, "test")
    second = _enqueue(jobs_db, "test")
    job = queue.claim_next_job(jobs_db.factory, "w1", ["test"], LONG)
    assert job is not None and job.id == first
    assert (job.status, job.attempts, job.lease_owner) == ("InProgress", 1, "w1")
    assert job.started_at is not None and job.lease_expires_at is not None
    job = queue.claim_next_job(jobs_db.factory, "w1", ["test"], LONG)
    assert job is not None and job.id == second
    assert queue.claim_next_job(jobs_db.factory, "w1", ["test"], LONG) is None
    assert queue.claim_next_job(jobs_db.factory, "w1", [], LONG) is None
    assert jobs_db.load(other).status == "Queued"


def test_concurrent_claimers_never_get_the_same_job(jobs_db: Queue) -> None:
    ids = [_enqueue(jobs_db) for _ in range(24)]
    claims: list[tuple[str, str]] = []
    lock = threading.Lock()
    start = threading.Barrier(6)

    def claimer(worker: str) -> None:
        start.wait()
        while (job := queue.claim_next_job(jobs_db.factory, worker, ["test"], LONG)) is not None:
            with lock:
                claims.append((worker, job.id))

    threads = [threading.Thread(target=claimer, args=(f"w{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    counts = Counter(job_id for _, job_id in claims)
    assert sorted(counts) == sorted(ids)
    assert set(counts.values()) == {1}
    for worker, job_id in claims:
        job = jobs_db.load(job_id)
        assert (job.lease_owner, job.attempts, job.status) == (worker, 1, "InProgress")


def test_expired_lease_is_taken_over_and_ends_in_error_after_max_attempts(
    jobs_db: Queue,
) -> None:
    job_id = _enqueue(jobs_db, max_attempts=2)
    first = queue.claim_next_job(jobs_db.factory, "dead", ["test"], SHORT)
    assert first is not None and first.id == job_id
    # A live lease is not taken over.
    assert queue.claim_next_job(jobs_db.factory, "w2", ["test"], SHORT) is None
    time.sleep(0.15)
    second = queue.claim_next_job(jobs_db.factory, "w2", ["test"], SHORT)
    assert second is not None and second.id == job_id
    assert (second.attempts, second.lease_owner) == (2, "w2")

    # The first worker comes back: it lost the lease and cannot record anything.
    assert not queue.heartbeat(jobs_db.factory, job_id, "dead", LONG)
    assert not queue.report_progress(jobs_db.factory, job_id, "dead", 1, 2, "late")
    assert not queue.complete(jobs_db.factory, job_id, "dead", "exports/late.zip")
    assert not queue.fail(jobs_db.factory, job_id, "dead", "late failure")
    job = jobs_db.load(job_id)
    assert (job.status, job.lease_owner, job.result_key, job.messages) == (
        "InProgress",
        "w2",
        None,
        [],
    )

    # The second worker dies too: no attempts left, so the job ends with the reason.
    time.sleep(0.15)
    assert queue.claim_next_job(jobs_db.factory, "w3", ["test"], SHORT) is None
    job = jobs_db.load(job_id)
    reason = "worker stopped responding after 2 attempts"
    assert (job.status, job.error, job.attempts, job.lease_owner) == ("Error", reason, 2, None)
    assert job.messages == [{"type": 0, "message": reason}]
    assert job.finished_at is not None
    assert not queue.heartbeat(jobs_db.factory, job_id, "w2", LONG)


def test_heartbeat_keeps_the_lease(jobs_db: Queue) -> None:
    job_id = _enqueue(jobs_db)
    assert queue.claim_next_job(jobs_db.factory, "w1", ["test"], SHORT) is not None
    for _ in range(3):
        time.sleep(0.05)
        assert queue.heartbeat(jobs_db.factory, job_id, "w1", SHORT)
    assert queue.claim_next_job(jobs_db.factory, "w2", ["test"], SHORT) is None
    assert jobs_db.load(job_id).attempts == 1


def test_progress_messages_and_completion_are_recorded(jobs_db: Queue) -> None:
    job_id = _enqueue(jobs_db)
    assert queue.claim_next_job(jobs_db.factory, "w1", ["test"], LONG) is not None
    assert queue.report_progress(jobs_db.factory, job_id, "w1", 0, 10)
    assert queue.report_progress(jobs_db.factory, job_id, "w1", 4, 10, "read 4 articles")
    assert queue.report_progress(
        jobs_db.factory, job_id, "w1", 10, 10, "missing image", queue.MESSAGE_WARNING
    )
    assert queue.complete(jobs_db.factory, job_id, "w1", "exports/abc.zip")
    job = jobs_db.load(job_id)
    assert (job.status, job.progress_done, job.progress_total, job.result_key) == (
        "Completed",
        10,
        10,
        "exports/abc.zip",
    )
    assert job.messages == [
        {"type": 2, "message": "read 4 articles"},
        {"type": 1, "message": "missing image"},
    ]
    assert job.lease_owner is None and job.lease_expires_at is None
    assert job.finished_at is not None and job.error is None
    # Ended jobs are not claimed again and ignore late calls.
    assert queue.claim_next_job(jobs_db.factory, "w2", ["test"], LONG) is None
    assert not queue.fail(jobs_db.factory, job_id, "w1", "too late")


def test_fail_and_release(jobs_db: Queue) -> None:
    failing = _enqueue(jobs_db)
    released = _enqueue(jobs_db)
    assert queue.claim_next_job(jobs_db.factory, "w1", ["test"], LONG) is not None
    assert queue.fail(jobs_db.factory, failing, "w1", "disk full")
    job = jobs_db.load(failing)
    assert (job.status, job.error, job.messages) == (
        "Error",
        "disk full",
        [{"type": 0, "message": "disk full"}],
    )

    assert queue.claim_next_job(jobs_db.factory, "w1", ["test"], LONG) is not None
    assert queue.release(jobs_db.factory, released, "w1")
    job = jobs_db.load(released)
    assert (job.status, job.attempts, job.lease_owner) == ("Queued", 0, None)
    again = queue.claim_next_job(jobs_db.factory, "w2", ["test"], LONG)
    assert again is not None and again.id == released and again.attempts == 1
