"""Workers: claim a job, run its task while renewing the lease, record the outcome.

A task is registered for a job kind with `@register("export")` and called as
`fn(context) -> result_key | None`. The same loop runs as embedded threads of `lorebase serve`
(`start_embedded_workers`) and as the `lorebase worker` process.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from lorebase.db.engine import make_session_factory
from lorebase.db.models import Job
from lorebase.jobs import queue
from lorebase.jobs.queue import SessionFactory

if TYPE_CHECKING:
    from lorebase.runtime import Runtime

log = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(seconds=60)
DEFAULT_POLL_INTERVAL = 1.0


class JobReleased(Exception):
    """Raised by a task that stops early on shutdown: the job goes back to the queue."""


@dataclass
class JobContext:
    """What a task sees: its job's parameters, a progress reporter and the database."""

    job_id: str
    project_id: str
    kind: str
    params: dict[str, Any]
    attempt: int
    worker_id: str
    session_factory: SessionFactory
    # Set when the worker is asked to stop: long tasks may raise JobReleased at a safe point.
    stop: threading.Event = field(default_factory=threading.Event)
    # Set when another worker took the job over: the task's result will not be recorded.
    lease_lost: threading.Event = field(default_factory=threading.Event)
    # Settings and blob store, for tasks that need them (exports, imports).
    runtime: Runtime | None = None
    # What the task reports besides its result key (kept on the job when it completes).
    result: dict[str, Any] | None = None

    def require_runtime(self) -> Runtime:
        if self.runtime is None:
            raise RuntimeError(f"job kind '{self.kind}' needs a runtime (settings, blob store)")
        return self.runtime

    def progress(
        self,
        done: int,
        total: int,
        message: str | None = None,
        message_type: int = queue.MESSAGE_INFO,
    ) -> None:
        if not queue.report_progress(
            self.session_factory, self.job_id, self.worker_id, done, total, message, message_type
        ):
            self.lease_lost.set()


Task = Callable[[JobContext], "str | None"]
_TASKS: dict[str, Task] = {}


def register(kind: str) -> Callable[[Task], Task]:
    """Decorator: `fn` runs the jobs of `kind`."""

    def decorate(fn: Task) -> Task:
        _TASKS[kind] = fn
        return fn

    return decorate


def registered_kinds() -> list[str]:
    return sorted(_TASKS)


def new_worker_id(suffix: str = "") -> str:
    base = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    return f"{base}:{suffix}" if suffix else base


def _renew_lease(
    session_factory: SessionFactory,
    job_id: str,
    worker_id: str,
    lease: timedelta,
    done: threading.Event,
    lost: threading.Event,
) -> None:
    interval = max(lease.total_seconds() / 3, 0.01)
    while not done.wait(interval):
        try:
            if not queue.heartbeat(session_factory, job_id, worker_id, lease):
                lost.set()
                return
        except Exception:  # a transient database error: try again on the next beat
            log.exception("heartbeat for job %s failed", job_id)


def run_job(
    session_factory: SessionFactory,
    worker_id: str,
    job: Job,
    *,
    lease: timedelta,
    stop: threading.Event | None = None,
    runtime: Runtime | None = None,
) -> None:
    """Run one claimed job to its end: Completed, Error, or released back to the queue."""
    context = JobContext(
        job_id=job.id,
        project_id=job.project_id,
        kind=job.kind,
        params=dict(job.params or {}),
        attempt=job.attempts,
        worker_id=worker_id,
        session_factory=session_factory,
        stop=stop or threading.Event(),
        runtime=runtime,
    )
    done = threading.Event()
    beat = threading.Thread(
        target=_renew_lease,
        args=(session_factory, job.id, worker_id, lease, done, context.lease_lost),
        name=f"lease-{job.id[:8]}",
        daemon=True,
    )
    beat.start()
    try:
        task = _TASKS.get(job.kind)
        if task is None:
            queue.fail(session_factory, job.id, worker_id, f"no task registered for '{job.kind}'")
            return
        try:
            result_key = task(context)
        except JobReleased:
            queue.release(session_factory, job.id, worker_id)
            return
        except Exception as exc:
            log.warning("job %s (%s) failed: %s", job.id, job.kind, exc)
            queue.fail(session_factory, job.id, worker_id, str(exc) or type(exc).__name__)
            return
        if not queue.complete(session_factory, job.id, worker_id, result_key, context.result):
            log.warning("job %s finished after its lease was taken over; result dropped", job.id)
    finally:
        done.set()
        beat.join()


def run_worker(
    session_factory: SessionFactory,
    worker_id: str,
    *,
    stop: threading.Event,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    lease: timedelta = DEFAULT_LEASE,
    kinds: list[str] | None = None,
    runtime: Runtime | None = None,
) -> int:
    """Claim and run jobs until `stop` is set; returns how many jobs this worker ran.

    Never raises for a job's or the database's sake: errors are logged and the loop goes on.
    """
    ran = 0
    while not stop.is_set():
        try:
            job = queue.claim_next_job(
                session_factory, worker_id, kinds if kinds is not None else _TASKS, lease
            )
        except Exception:
            log.exception("worker %s could not claim a job", worker_id)
            job = None
        if job is None:
            stop.wait(poll_interval)
            continue
        try:
            run_job(session_factory, worker_id, job, lease=lease, stop=stop, runtime=runtime)
        except Exception:  # recording the outcome failed; the lease will expire and retry
            log.exception("worker %s could not finish job %s", worker_id, job.id)
        ran += 1
    return ran


class WorkerPool:
    """Worker threads sharing one stop event."""

    def __init__(self, threads: list[threading.Thread], stop: threading.Event) -> None:
        self.threads = threads
        self.stop_event = stop

    def stop(self, timeout: float | None = None) -> None:
        """Ask every worker to stop and wait for their current jobs to end."""
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout)

    def __len__(self) -> int:
        return len(self.threads)


def start_workers(
    session_factory: SessionFactory,
    n: int,
    *,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    lease: timedelta = DEFAULT_LEASE,
    daemon: bool = True,
    runtime: Runtime | None = None,
) -> WorkerPool:
    """Start `n` worker threads on `session_factory` (0 starts none)."""
    stop = threading.Event()
    threads = []
    for index in range(n):
        thread = threading.Thread(
            target=run_worker,
            args=(session_factory, new_worker_id(str(index))),
            kwargs={
                "stop": stop,
                "poll_interval": poll_interval,
                "lease": lease,
                "runtime": runtime,
            },
            name=f"lorebase-worker-{index}",
            daemon=daemon,
        )
        thread.start()
        threads.append(thread)
    return WorkerPool(threads, stop)


def start_embedded_workers(
    engine: Engine,
    n: int,
    *,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    lease: timedelta = DEFAULT_LEASE,
    runtime: Runtime | None = None,
) -> WorkerPool:
    """The worker threads `lorebase serve` runs next to the API (daemon threads)."""
    return start_workers(
        make_session_factory(engine),
        n,
        poll_interval=poll_interval,
        lease=lease,
        daemon=True,
        runtime=runtime,
    )
