"""/healthz, /readyz, /metrics, request ids and JSON log lines (lorebase/ops.py)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient

from lorebase.app import create_app
from lorebase.jobs import queue
from lorebase.ops import JsonLines, request_id
from lorebase.settings import Settings
from tests.conftest import Project


def _sample(metrics: str, name: str, **labels: str) -> float:
    for line in metrics.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_alive_ready_and_counted(project: Project) -> None:
    client = project.client
    alive = client.get("/healthz")
    assert alive.status_code == 200 and alive.json()["status"] == "ok"
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "storage": "ok"}
    assert project.get("/v2/Drive/folders/nope").status_code in (400, 404)
    project.get("/v2/ProjectVersions")
    metrics = client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    # By route template, never by raw path: the label set stays bounded.
    assert "/v2/Drive/folders/nope" not in text
    assert (
        _sample(text, "lorebase_http_requests_total", route="/v2/ProjectVersions", status="2xx")
        >= 1
    )
    assert "lorebase_http_request_duration_seconds_bucket" in text
    assert "lorebase_jobs_oldest_queued_seconds" in text
    assert 'lorebase_db_pool_connections{state="idle"}' in text
    # An unmatched path is counted under one label.
    client.get("/no/such/" + "x" * 50)
    assert (
        _sample(client.get("/metrics").text, "lorebase_http_requests_total", route="(unrouted)")
        >= 1
    )


def test_queued_jobs_are_reported(project: Project) -> None:
    with project.session() as session:
        queue.enqueue(session, project.project_id, "page_bodies", {})
    text = project.client.get("/metrics").text
    assert _sample(text, "lorebase_jobs_queued", kind="page_bodies") >= 1
    match = re.search(r"^lorebase_jobs_oldest_queued_seconds ([0-9.e+-]+)$", text, re.M)
    assert match and float(match.group(1)) >= 0


def test_request_ids_are_kept_when_sane_and_made_otherwise(project: Project) -> None:
    client = project.client
    kept = client.get("/healthz", headers={"X-Request-ID": "nginx-0123456789abcdef"})
    assert kept.headers["x-request-id"] == "nginx-0123456789abcdef"
    for hostile in ("a b<script>", "x" * 500, "short"):
        made = client.get("/healthz", headers={"X-Request-ID": hostile})
        assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"]), hostile
    one, two = client.get("/healthz"), client.get("/healthz")
    assert one.headers["x-request-id"] != two.headers["x-request-id"]
    # Refusals carry one too (the middleware is outermost).
    assert "x-request-id" in client.get("/v2/ProjectVersions").headers


def test_not_ready_when_the_database_or_the_storage_is_unreachable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOREBASE_S3_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    settings = Settings(
        data_dir=tmp_path,
        # Nothing listens on port 9 of the loopback: refused at once.
        database_url="postgresql+psycopg://postgres@127.0.0.1:9/none",
        storage_url="s3://nobucket/lorebase",
        workers=0,
    )
    client = TestClient(create_app(settings))  # no lifespan: it would need the database
    assert client.get("/healthz").status_code == 200
    answer = client.get("/readyz")
    assert answer.status_code == 503
    checks = answer.json()["checks"]
    assert checks["database"].startswith("unreachable") and checks["storage"].startswith(
        "unreachable"
    )
    # /metrics still answers while the database is down.
    assert client.get("/metrics").status_code == 200


def test_json_log_lines_carry_the_request_id() -> None:
    record = logging.LogRecord(
        "lorebase.api", logging.WARNING, __file__, 1, "busy %s", ("db",), None
    )
    record.route = "/v2/Articles/{articleId}"
    token = request_id.set("0123456789abcdef")
    try:
        line = orjson.loads(JsonLines().format(record))
    finally:
        request_id.reset(token)
    assert line["message"] == "busy db" and line["level"] == "warning"
    assert line["request_id"] == "0123456789abcdef"
    assert line["route"] == "/v2/Articles/{articleId}" and line["logger"] == "lorebase.api"
