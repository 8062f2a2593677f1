"""What an operator watches: /healthz (alive), /readyz (database and storage reachable),
Prometheus metrics at /metrics, a request id on every request and JSON log lines.

Metrics are prometheus-client's. With several server processes (`serve --processes N`) each
process writes its samples to files in PROMETHEUS_MULTIPROC_DIR and /metrics, whichever process
answers, adds them up: prometheus-client's documented multi-process mode. The job queue is read
from the database at scrape time, so every process reports the same queue.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import os
import re
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func, select, text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lorebase import __version__
from lorebase.db.models import Job
from lorebase.jobs.queue import QUEUED
from lorebase.runtime import Runtime

log = logging.getLogger("lorebase.ops")
access_log = logging.getLogger("lorebase.access")

REQUEST_ID_HEADER = "x-request-id"
# An id a proxy in front (nginx's $request_id) sent is kept if it looks like one; anything
# else is replaced, so a log line never carries what a client chose to inject.
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")

REQUESTS = Counter(
    "lorebase_http_requests_total",
    "HTTP requests answered, by route template, method and status class.",
    ("route", "method", "status"),
)
LATENCY = Histogram(
    "lorebase_http_request_duration_seconds",
    "Time from a request's arrival to the end of its response, by route template.",
    ("route", "method"),
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
# A path no route matched (or that a middleware answered itself, as the reader's fast path
# does) is counted under one label: raw paths would make the label set unbounded.
UNROUTED = "(unrouted)"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
HEALTH = orjson.dumps({"status": "ok", "version": __version__})


class Observed:
    """Pure ASGI middleware: a request id for every request (kept from X-Request-ID when a
    proxy set one, echoed in the response), its count and duration by route template, and
    an access log line when access logging is on."""

    def __init__(self, app: ASGIApp, *, access: bool = False) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        sent = _incoming_id(scope) or os.urandom(16).hex()
        token = request_id.set(sent)
        header = (REQUEST_ID_HEADER.encode(), sent.encode())
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            label = getattr(route, "path", None) or UNROUTED
            # Clients may send any token as a method: the label set must stay bounded.
            method = scope["method"] if scope["method"] in KNOWN_METHODS else "OTHER"
            counted, timed = _series(label, method, status // 100)
            counted.inc()
            timed.observe(elapsed)
            if self.access:
                access_log.info(
                    "%s %s %d",
                    scope["method"],
                    scope["path"],
                    status,
                    extra={"route": label, "status": status, "ms": round(elapsed * 1000, 2)},
                )
            request_id.reset(token)


@functools.cache
def _series(route: str, method: str, status_class: int) -> tuple[Any, Any]:
    """The request counter and latency histogram of a route, method and status class, looked
    up once (`labels` costs about as much as the rest of a /health answer). Routes are
    templates and methods are few, so this stays small."""
    return REQUESTS.labels(route, method, f"{status_class}xx"), LATENCY.labels(route, method)


def _incoming_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            return candidate if _SANE_ID.fullmatch(candidate) else ""
    return ""


# --- the job queue and the database pool, read when Prometheus scrapes --------------------


class QueueCollector:
    """The job queue's depth and the age of its oldest queued job, from the database (every
    process and host sees the same table), and this process's database pool."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterable[Metric]:
        depth = GaugeMetricFamily(
            "lorebase_jobs_queued", "Jobs waiting for a worker, by kind.", labels=["kind"]
        )
        age = GaugeMetricFamily(
            "lorebase_jobs_oldest_queued_seconds",
            "Age of the oldest job still waiting for a worker (0 when none waits).",
        )
        oldest: datetime | None = None
        try:
            with self.runtime.read_session_factory() as session:
                rows = session.execute(
                    select(Job.kind, func.count(), func.min(Job.created_at))
                    .where(Job.status == QUEUED)
                    .group_by(Job.kind)
                ).all()
        except Exception as error:  # a scrape must answer even while the database is down
            log.warning("metrics: the job queue could not be read: %s", error)
            rows = []
        for kind, count, first in rows:
            depth.add_metric([kind], count)
            if first is not None and (oldest is None or first < oldest):
                oldest = first
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        age.add_metric([], (datetime.now(UTC) - oldest).total_seconds() if oldest else 0.0)
        yield depth
        yield age
        pool = self.runtime.engine.pool
        in_use = GaugeMetricFamily(
            "lorebase_db_pool_connections",
            "Database connections of the answering process's pool, by state.",
            labels=["state"],
        )
        for state, reading in (("in_use", "checkedout"), ("idle", "checkedin")):
            counter = getattr(pool, reading, None)
            if callable(counter):
                in_use.add_metric([state], float(counter()))
        yield in_use


def metrics_registry(runtime: Runtime) -> CollectorRegistry:
    """The registry /metrics reads: every process's samples in multi-process mode, this
    process's default registry otherwise; with the queue and pool collector either way."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        for collector in (REQUESTS, LATENCY):
            registry.register(collector)
    registry.register(QueueCollector(runtime))
    return registry


# --- the routes --------------------------------------------------------------------------


def install(app: FastAPI, runtime: Runtime) -> None:
    registry = metrics_registry(runtime)

    # Coroutines where nothing blocks: a plain function would cost a thread hand-off each.
    @app.get("/health", include_in_schema=False)
    async def health() -> Response:
        return Response(HEALTH, media_type="application/json")

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> Response:
        """Alive: the process answers. Nothing else is checked (a load balancer restarts on
        this; a database outage must not restart every host). `process` tells which of
        `serve --processes N` answered."""
        return JSONResponse({"status": "ok", "version": __version__, "process": os.getpid()})

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> Response:
        """Ready: the database answers a query and the blob store a lookup; 503 otherwise, so
        a load balancer sends no traffic to a host that cannot serve it."""
        checks = dict(_readiness(runtime))
        ready = all(value == "ok" for value in checks.values())
        return JSONResponse(
            {"status": "ok" if ready else "unavailable", "checks": checks},
            status_code=200 if ready else 503,
            headers={"Cache-Control": "no-store"},
        )

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(
            generate_latest(registry),
            media_type=CONTENT_TYPE_LATEST,
            headers={"Cache-Control": "no-store"},
        )


def _readiness(runtime: Runtime) -> Iterator[tuple[str, str]]:
    try:
        with runtime.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        yield "database", "ok"
    except Exception as error:
        log.warning("readyz: the database did not answer: %s", error)
        yield "database", f"unreachable: {type(error).__name__}"
    try:
        runtime.blobs.exists("readyz-probe")
        yield "storage", "ok"
    except Exception as error:
        log.warning("readyz: the storage did not answer: %s", error)
        yield "storage", f"unreachable: {type(error).__name__}"


# --- JSON logs ---------------------------------------------------------------------------


class JsonLines(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the request id of the request
    being served, and any `extra` fields a call passed."""

    _STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        current = request_id.get()
        if current:
            line["request_id"] = current
        for key, value in record.__dict__.items():
            if key not in self._STANDARD and not key.startswith("_"):
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


def configure_logging(log_format: str) -> None:
    """`json`: every log line of Lorebase and uvicorn as a JSON object on stderr, with access
    lines; `text` (the default): plain lines, no access lines (the laptop's terminal)."""
    if log_format != "json":
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    # Our own access lines carry the request id and route; uvicorn's would repeat them.
    logging.getLogger("uvicorn.access").disabled = True
