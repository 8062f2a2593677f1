"""Workers against the real database: the loop, task errors, lease renewal, embedded pool."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from fastapi.testclient import TestClient

from lorebase.app import create_app
from lorebase.db.engine import make_engine, transaction
from lorebase.jobs import queue
from lorebase.jobs.worker import (
    JobContext,
    register,
    run_worker,
    start_embedded_workers,
)
from lorebase.settings import Settings
from tests.jobs.conftest import Queue

ran: list[str] = []


@register("test.count")
def count_task(context: JobContext) -> str:
    total = int(context.params["items"])
    for done in range(1, total + 1):
        context.progress(done, total, f"item {done}" if done == total else None)
    ran.append(context.job_id)
    return f"results/{context.job_id}.txt"


@register("test.boom")
def boom_task(context: JobContext) -> str:
    context.progress(1, 3, "about to fail", queue.MESSAGE_WARNING)
    raise ValueError(f"cannot export project {context.project_id}")


@register("test.slow")
def slow_task(context: JobContext) -> None:
    time.sleep(0.4)
    context.progress(1, 1)


def _enqueue(db: Queue, kind: str, **params: object) -> str:
    with transaction(db.factory) as session:
        return queue.enqueue(session, db.project_id, kind, dict(params)).id


def _run_until(db: Queue, job_ids: list[str], lease: timedelta = timedelta(seconds=30)) -> None:
    stop = threading.Event()
    thread = threading.Thread(
        target=run_worker,
        args=(db.factory, "loop-worker"),
        kwargs={"stop": stop, "poll_interval": 0.02, "lease": lease},
    )
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if all(db.load(i).status in ("Completed", "Error") for i in job_ids):
                break
            time.sleep(0.02)
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive(), "the worker loop did not stop on the event"


def test_worker_loop_runs_jobs_and_stops_on_the_event(jobs_db: Queue) -> None:
    ids = [_enqueue(jobs_db, "test.count", items=n) for n in (1, 2, 3, 4)]
    _run_until(jobs_db, ids)
    for n, job_id in zip((1, 2, 3, 4), ids, strict=True):
        job = jobs_db.load(job_id)
        assert (job.status, job.result_key) == ("Completed", f"results/{job_id}.txt")
        assert (job.progress_done, job.progress_total, job.attempts) == (n, n, 1)
        assert job.messages == [{"type": 2, "message": f"item {n}"}]
        assert job.lease_owner is None
    assert set(ids) <= set(ran)


def test_a_task_exception_ends_the_job_in_error_and_the_loop_goes_on(jobs_db: Queue) -> None:
    failing = _enqueue(jobs_db, "test.boom")
    unknown = _enqueue(jobs_db, "test.count", items="not a number")
    after = _enqueue(jobs_db, "test.count", items=1)
    _run_until(jobs_db, [failing, unknown, after])
    job = jobs_db.load(failing)
    reason = f"cannot export project {jobs_db.project_id}"
    assert (job.status, job.error, job.attempts) == ("Error", reason, 1)
    assert job.messages == [
        {"type": 1, "message": "about to fail"},
        {"type": 0, "message": reason},
    ]
    assert jobs_db.load(unknown).status == "Error"
    assert "not a number" in (jobs_db.load(unknown).error or "")
    assert jobs_db.load(after).status == "Completed"


def test_the_lease_is_renewed_while_a_task_runs(jobs_db: Queue) -> None:
    """A task that outlives its lease keeps the job: nobody else can take it over."""
    lease = timedelta(milliseconds=150)
    job_id = _enqueue(jobs_db, "test.slow")
    taken: list[object] = []
    stop = threading.Event()
    thread = threading.Thread(
        target=run_worker,
        args=(jobs_db.factory, "owner"),
        kwargs={"stop": stop, "poll_interval": 0.02, "lease": lease},
    )
    thread.start()
    try:
        while jobs_db.load(job_id).status == "Queued":
            time.sleep(0.01)
        for _ in range(6):  # ~0.3 s: twice the lease
            time.sleep(0.05)
            taken.append(queue.claim_next_job(jobs_db.factory, "thief", ["test.slow"], lease))
    finally:
        while jobs_db.load(job_id).status == "InProgress":
            time.sleep(0.02)
        stop.set()
        thread.join(10)
    assert taken == [None] * 6
    job = jobs_db.load(job_id)
    assert (job.status, job.attempts) == ("Completed", 1)


def test_embedded_workers_start_and_stop(jobs_db: Queue, database_url: str) -> None:
    engine = make_engine(database_url)
    pool = start_embedded_workers(engine, 2, poll_interval=0.02)
    try:
        assert len(pool) == 2 and all(t.daemon and t.is_alive() for t in pool.threads)
        job_id = _enqueue(jobs_db, "test.count", items=2)
        deadline = time.monotonic() + 10
        while jobs_db.load(job_id).status != "Completed" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert jobs_db.load(job_id).status == "Completed"
    finally:
        pool.stop(10)
        engine.dispose()
    assert not any(t.is_alive() for t in pool.threads)


def test_serve_runs_embedded_workers_for_the_apps_lifetime(
    jobs_db: Queue, settings: Settings
) -> None:
    app = create_app(settings.model_copy(update={"workers": 1}))
    with TestClient(app):
        workers = [t for t in threading.enumerate() if t.name == "lorebase-worker-0"]
        assert len(workers) == 1 and workers[0].is_alive()
        job_id = _enqueue(jobs_db, "test.count", items=1)
        deadline = time.monotonic() + 10
        while jobs_db.load(job_id).status != "Completed" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert jobs_db.load(job_id).status == "Completed"
    assert not workers[0].is_alive()
    app.state.engine.dispose()
