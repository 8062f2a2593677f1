"""Crash safety of exports, with real processes: a `lorebase worker` killed with SIGKILL in the
middle of an export loses its lease, another worker finishes the job, and no partial ZIP is
ever visible under `exports/`. Also the embedded shape: `lorebase serve` runs the job itself."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker

from bench.generate import GeneratedWorkspace, generate_workspace
from lorebase.db.engine import make_engine, make_session_factory, transaction
from lorebase.db.models import Job
from lorebase.exchange import service
from lorebase.jobs import queue
from lorebase.storage import BlobStore, blob_store_from_url
from tests.e2e.test_live_server import LOREBASE, Server

# Enough articles that writing the ZIP lasts a second or more on either database (the kill
# lands within a few tens of milliseconds of the first progress report), and few enough that
# generating them stays quick on PostgreSQL.
ARTICLES = 2000
CATEGORIES = 150
LEASE_SECONDS = 2
SECRET = "crash-test-secret"
FINISH_WITHIN = 120.0


@pytest.fixture
def generated(database_url: str) -> GeneratedWorkspace:
    return generate_workspace(
        database_url, categories=CATEGORIES, articles=ARTICLES, article_bytes=1024, seed=7
    )


class Worker:
    """A `lorebase worker` process on the given database and blob folder."""

    def __init__(self, name: str, tmp_path: Path, database_url: str, storage_url: str) -> None:
        self.log_path = tmp_path / f"worker-{name}.log"
        self._log: IO[str] = open(self.log_path, "w")  # noqa: SIM115 (closed in stop)
        env = {
            **os.environ,
            "LOREBASE_DATABASE_URL": database_url,
            "LOREBASE_DATA_DIR": str(tmp_path / "data"),
            "LOREBASE_STORAGE_URL": storage_url,
            "LOREBASE_JOB_LEASE_SECONDS": str(LEASE_SECONDS),
            "LOREBASE_SECRET_KEY": SECRET,
        }
        self.process = subprocess.Popen(
            [*LOREBASE, "worker"],
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            env=env,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def owns(self, job: Job) -> bool:
        # Worker ids are `<host>:<pid>:<random>:<thread>` (lorebase.jobs.worker.new_worker_id).
        return job.lease_owner is not None and f":{self.pid}:" in job.lease_owner

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


class ExportWatcher(threading.Thread):
    """Lists the published keys under `exports/` every few milliseconds and opens each one as
    a reader would: every key it ever sees must be a complete ZIP."""

    def __init__(self, blobs: BlobStore) -> None:
        super().__init__(name="export-watcher", daemon=True)
        self.blobs = blobs
        self.halt = threading.Event()
        self.seen: set[str] = set()
        self.problems: list[str] = []
        self.rounds = 0

    def check_once(self) -> None:
        for key in self.blobs.list("exports/"):
            self.seen.add(key)
            try:
                with self.blobs.open_reader(key) as source:
                    data = source.read()
                with zipfile.ZipFile(io.BytesIO(data)) as archive:
                    bad = archive.testzip()
                if bad is not None:
                    self.problems.append(f"{key}: entry {bad} is corrupt ({len(data)} bytes)")
            except Exception as exc:  # a truncated ZIP raises BadZipFile, EOFError, ...
                self.problems.append(f"{key}: {type(exc).__name__}: {exc}")
        self.rounds += 1

    def run(self) -> None:
        while not self.halt.wait(0.005):
            self.check_once()


def queue_project_export(factory: sessionmaker[Session], project_id: str) -> str:
    """Queues a whole-project JSON export, as POST /v2/Project/Export does; its job id."""
    with transaction(factory) as session:
        options = service.export_options(
            session,
            project_id,
            entity="Project",
            version_ids=None,
            languages=None,
            categories=None,
            exclude_media=False,
            modified_after=None,
            modified_before=None,
            export_type=None,
        )
        return service.start_export(session, project_id, options, daily_limit=0).id


def job_loader(factory: sessionmaker[Session], job_id: str) -> Callable[[], Job]:
    def load() -> Job:
        with transaction(factory) as session:
            job = session.get(Job, job_id)
            assert job is not None
            return job

    return load


def wait_for(
    what: str,
    load: Callable[[], Job],
    done: Callable[[Job], bool],
    timeout: float,
    workers: list[Worker] | list[Server],
) -> Job:
    deadline = time.monotonic() + timeout
    while True:
        job = load()
        if done(job):
            return job
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {w.log_path.name}\n{w.log()}" for w in workers)
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}: {_row(job)}\n{logs}")
        time.sleep(0.02)


def _row(job: Job) -> dict[str, Any]:
    return {
        column: getattr(job, column)
        for column in (
            "status",
            "attempts",
            "lease_owner",
            "lease_expires_at",
            "progress_done",
            "progress_total",
            "error",
            "result_key",
            "messages",
        )
    }


@pytest.fixture
def watcher_blobs(tmp_path: Path) -> tuple[str, BlobStore]:
    root = tmp_path / "blobs"
    url = f"file://{root}"
    return url, blob_store_from_url(
        url, data_dir=tmp_path / "data", base_url="http://test", secret=SECRET.encode()
    )


@pytest.fixture
def watcher(watcher_blobs: tuple[str, BlobStore]) -> Iterator[ExportWatcher]:
    running = ExportWatcher(watcher_blobs[1])
    running.start()
    yield running
    running.halt.set()
    running.join(10)


def test_export_survives_a_worker_killed_mid_write_without_a_partial_file(
    tmp_path: Path,
    database_url: str,
    generated: GeneratedWorkspace,
    watcher_blobs: tuple[str, BlobStore],
    watcher: ExportWatcher,
) -> None:
    storage_url, blobs = watcher_blobs
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    job_id = queue_project_export(factory, generated.project_id)
    load = job_loader(factory, job_id)

    first = Worker("a", tmp_path, database_url, storage_url)
    second: Worker | None = None
    try:
        running = wait_for(
            "worker A to be half-way through the export",
            load,
            lambda job: (
                job.status not in (queue.QUEUED, queue.IN_PROGRESS)
                or (first.owns(job) and job.progress_done > 0)
            ),
            60,
            [first],
        )
        assert running.status == queue.IN_PROGRESS, (
            f"the export ended before the kill could land (raise ARTICLES): {_row(running)}"
        )
        first.process.send_signal(signal.SIGKILL)
        assert first.process.wait(10) == -signal.SIGKILL
        assert running.progress_done < running.progress_total, _row(running)

        # A died holding the lease: nothing is published, the job is still A's until expiry.
        killed = load()
        assert killed.status == queue.IN_PROGRESS and first.owns(killed), _row(killed)
        assert killed.attempts == 1
        watcher.check_once()
        assert list(blobs.list("exports/")) == []

        second = Worker("b", tmp_path, database_url, storage_url)
        finished = wait_for(
            "worker B to finish the export",
            load,
            lambda job: job.status not in (queue.QUEUED, queue.IN_PROGRESS),
            FINISH_WITHIN,
            [first, second],
        )
        assert finished.status == queue.COMPLETED, (_row(finished), second.log())
    finally:
        first.stop()
        if second is not None:
            second.stop()
        engine.dispose()

    assert_one_complete_export(
        watcher, blobs, finished, f"exports/{generated.project_id}/{job_id}.zip"
    )


def assert_one_complete_export(
    watcher: ExportWatcher, blobs: BlobStore, finished: Job, key: str
) -> None:
    """The job finished on its second attempt; the only export ever listed is its complete
    ZIP, holding every article."""
    watcher.halt.set()
    watcher.join(10)
    watcher.check_once()
    assert watcher.problems == []
    assert watcher.rounds > 10, "the watcher barely ran"
    assert finished.result_key == key
    assert list(blobs.list("exports/")) == [key]
    assert watcher.seen == {key}
    assert finished.attempts == 2
    assert finished.lease_owner is None and finished.error is None
    with blobs.open_reader(key) as source, zipfile.ZipFile(io.BytesIO(source.read())) as archive:
        assert archive.testzip() is None
        (index_name,) = [n for n in archive.namelist() if n.endswith("_categories_articles.json")]
        index = json.loads(archive.read(index_name))
        articles = [n for n in archive.namelist() if "/articles/" in n]
    assert _indexed_articles(index) == ARTICLES
    assert len(articles) == ARTICLES
    assert finished.result is not None and finished.result["articles"] == ARTICLES


def _indexed_articles(index: dict[str, Any]) -> int:
    def count(nodes: list[dict[str, Any]]) -> int:
        return sum(len(n["Articles"]) + count(n["SubCategories"]) for n in nodes)

    return len(index.get("Articles", [])) + count(index["Categories"])


def test_serve_with_embedded_workers_finishes_a_queued_export(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOREBASE_WORKERS", "1")
    monkeypatch.setenv("LOREBASE_SECRET_KEY", SECRET)
    server = Server(tmp_path / "data", database_url)
    api = httpx.Client(base_url=f"{server.base}/v2", headers={"api_token": server.token})
    try:
        workspace = api.get("/ProjectVersions").json()["data"][0]["id"]
        created = api.post("/Categories", json={"name": "Guide", "project_version_id": workspace})
        assert created.status_code == 200, created.text
        started = api.post("/Project/Export", json={"entity": "Project"})
        assert started.status_code == 200, started.text
        export_id = started.json()["id"]
        deadline = time.monotonic() + 60
        while True:
            status = api.get(f"/Project/Export/{export_id}").json()
            if status["status"] not in ("Initiated", "InProgress"):
                break
            assert time.monotonic() < deadline, f"export still {status} after 60 s"
            time.sleep(0.1)
        assert status["status"] == "Completed", status
        # The URL names the port the server was started on (`serve --port`).
        assert urlsplit(status["download_url"]).netloc == urlsplit(server.base).netloc
        download = httpx.get(status["download_url"], timeout=10)
        assert download.status_code == 200
        with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
            assert archive.testzip() is None
            (index_name,) = [
                n for n in archive.namelist() if n.endswith("_categories_articles.json")
            ]
            index = json.loads(archive.read(index_name))
        assert [c["Title"] for c in index["Categories"]] == ["Guide"]
    finally:
        api.close()
        server.stop()


def test_serve_killed_mid_export_leaves_no_job_in_progress_after_restart(
    tmp_path: Path,
    database_url: str,
    generated: GeneratedWorkspace,
    watcher_blobs: tuple[str, BlobStore],
    watcher: ExportWatcher,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The embedded shape of the test above: `lorebase serve` runs the export on its own
    worker thread and is killed with SIGKILL; the job is still InProgress under the dead
    process's lease. Started again, the server's worker takes the job once the lease has run
    out and finishes it."""
    storage_url, blobs = watcher_blobs
    for name, value in {
        "LOREBASE_WORKERS": "1",
        "LOREBASE_SECRET_KEY": SECRET,
        "LOREBASE_STORAGE_URL": storage_url,
        "LOREBASE_JOB_LEASE_SECONDS": str(LEASE_SECONDS),
    }.items():
        monkeypatch.setenv(name, value)
    first = Server(tmp_path / "data", database_url)
    second: Server | None = None
    # Queued once the server is up (an export queued before would be over before it answers).
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    job_id = queue_project_export(factory, generated.project_id)
    load = job_loader(factory, job_id)

    def owned_by(server: Server, job: Job) -> bool:
        return job.lease_owner is not None and f":{server.process.pid}:" in job.lease_owner

    try:
        running = wait_for(
            "serve to be half-way through the export",
            load,
            lambda job: (
                job.status not in (queue.QUEUED, queue.IN_PROGRESS)
                or (owned_by(first, job) and job.progress_done > 0)
            ),
            60,
            [first],
        )
        assert running.status == queue.IN_PROGRESS, (
            f"the export ended before the kill could land (raise ARTICLES): {_row(running)}"
        )
        first.process.send_signal(signal.SIGKILL)
        assert first.process.wait(10) == -signal.SIGKILL
        killed = load()
        assert killed.status == queue.IN_PROGRESS and owned_by(first, killed), _row(killed)
        assert list(blobs.list("exports/")) == []

        second = Server(tmp_path / "data", database_url)
        finished = wait_for(
            "the restarted serve to finish the export",
            load,
            lambda job: job.status not in (queue.QUEUED, queue.IN_PROGRESS),
            FINISH_WITHIN,
            [first, second],
        )
        assert finished.status == queue.COMPLETED, (_row(finished), second.log())
    finally:
        first.stop()
        if second is not None:
            second.stop()
        engine.dispose()

    assert_one_complete_export(
        watcher, blobs, finished, f"exports/{generated.project_id}/{job_id}.zip"
    )
