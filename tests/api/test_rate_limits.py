"""Per-token rate limits (formats.md §6): the budget, the headers of each API version, and one
budget shared by two server processes through the machine's Redis."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from lorebase.settings import Settings
from tests.e2e.test_live_server import Server

LIMIT = 5


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # Overrides the suite's generous limit for the `project` fixture of this module.
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        workers=0,
        rate_limit=f"{LIMIT}/minute",
    )


def test_v2_counts_every_method_and_answers_429_with_the_envelope(project):
    answers = [
        project.get("/v2/ProjectVersions"),
        project.post("/v2/Categories", json={}),  # a 400 counts too
        project.put("/v2/Categories/nope", json={"name": "x"}),
        project.delete("/v2/Categories/nope"),
        project.get("/v2/ProjectVersions"),
    ]
    refused = project.get("/v2/ProjectVersions")

    assert [int(a.headers["X-RateLimit-Remaining"]) for a in answers] == [4, 3, 2, 1, 0]
    assert all("X-RateLimit-Limit" not in a.headers for a in answers)  # only once limited
    assert refused.status_code == 429
    body = refused.json()
    assert body["success"] is False
    assert body["errors"][0]["description"].startswith("Rate limit exceeded for this api_token.")
    assert refused.headers["X-RateLimit-Limit"] == str(LIMIT)
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    # v2: seconds until the window resets.
    assert 0 <= int(refused.headers["X-RateLimit-Reset"]) <= 60
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


def test_each_token_has_its_own_budget(project):
    for _ in range(LIMIT + 1):
        project.get("/v2/ProjectVersions")
    other = project.token_for("GET")

    assert project.get("/v2/ProjectVersions").status_code == 429
    fresh = project.client.get("/v2/ProjectVersions", headers={"api_token": other})
    assert fresh.status_code == 200
    assert fresh.headers["X-RateLimit-Remaining"] == str(LIMIT - 1)


def test_a_token_counts_against_its_budget_whichever_header_spelling_carries_it(project):
    # Proxies turn '_' into '-' (formats.md §7): both spellings are one token, one budget,
    # and the budget is the token's, not the client address's (another token is unaffected).
    other = project.token_for("GET")
    for spelling in ("api_token", "api-token", "api_token", "api-token", "api_token"):
        answer = project.client.get("/v2/ProjectVersions", headers={spelling: project.token})
        assert answer.status_code == 200
    refused = project.client.get("/v2/ProjectVersions", headers={"api-token": project.token})
    assert refused.status_code == 429
    fresh = project.client.get("/v2/ProjectVersions", headers={"api-token": other})
    assert fresh.status_code == 200
    assert fresh.headers["X-RateLimit-Remaining"] == str(LIMIT - 1)


def test_v3_answers_429_as_a_problem_with_an_epoch_reset(project):
    bearer = {"Authorization": f"Bearer {project.token}"}
    for _ in range(LIMIT):
        assert project.client.get("/v3/projects", headers=bearer).status_code == 200

    refused = project.client.get("/v3/projects", headers=bearer)

    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    problem = refused.json()
    assert (problem["status"], problem["errors"][0]["code"]) == (429, "TOO_MANY_REQUESTS")
    # v3: the reset as UTC epoch seconds.
    reset = int(refused.headers["X-RateLimit-Reset"])
    assert time.time() - 1 <= reset <= time.time() + 61
    assert int(refused.headers["Retry-After"]) >= 1


def test_routes_outside_the_api_are_not_counted(project):
    for _ in range(LIMIT + 2):
        assert project.client.get("/health").status_code == 200
    assert project.get("/v2/ProjectVersions").status_code == 200


def test_an_unreachable_redis_lets_requests_through(database_url: str, tmp_path: Path):
    from fastapi.testclient import TestClient

    from lorebase.app import create_app

    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        workers=0,
        rate_limit="1/minute",
        redis_url="redis://127.0.0.1:1/0",  # nothing listens on port 1
    )
    with TestClient(create_app(settings)) as client:
        answers = [client.get("/v2/ProjectVersions") for _ in range(3)]

    # Not counted, and not a 500: the token check answers (401 without a token).
    assert [a.status_code for a in answers] == [401, 401, 401]


def test_two_servers_share_one_budget_through_redis(
    tmp_path: Path, database_url: str, monkeypatch: Any
):
    # A database of Redis no other test uses; keys are per token, and tokens are new here.
    monkeypatch.setenv("LOREBASE_REDIS_URL", "redis://127.0.0.1:6379/7")
    monkeypatch.setenv("LOREBASE_RATE_LIMIT", f"{LIMIT}/minute")
    monkeypatch.setenv("LOREBASE_WORKERS", "0")
    first = Server(tmp_path / "data", database_url)
    second = Server(tmp_path / "data", database_url)
    try:
        headers = {"api_token": first.token}
        answers = [
            httpx.get(f"{server.base}/v2/ProjectVersions", headers=headers)
            for server in (first, second, first, second, first, second)
        ]
    finally:
        first.stop()
        second.stop()

    assert [a.status_code for a in answers] == [200] * LIMIT + [429]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers[:LIMIT]] == [
        "4",
        "3",
        "2",
        "1",
        "0",
    ]
