"""Concurrent writers on one article through a live server: every acknowledged write is a
revision of its own, revision numbers stay unique and strictly increasing, nothing answers 5xx.
Both databases."""

from __future__ import annotations

import threading
from typing import Any

import httpx

from tests.e2e.test_live_server import server  # noqa: F401

CLIENTS = 4
FORKS_EACH = 8


def test_concurrent_forks_of_one_article_each_get_their_own_revision(server: Any):  # noqa: F811
    headers = {"api_token": server.token}
    api = httpx.Client(base_url=server.base, headers=headers, timeout=30)
    workspace = api.get("/v2/ProjectVersions").json()["data"][0]["id"]
    owner = api.get("/v2/Teams").json()["result"][0]["user_id"]
    category = api.post(
        "/v2/Categories", json={"name": "Race", "project_version_id": workspace}
    ).json()["data"]["id"]
    article = api.post(
        "/v2/Articles",
        json={
            "title": "Raced",
            "category_id": category,
            "project_version_id": workspace,
            "user_id": owner,
            "content": "v1",
        },
    ).json()["data"]["id"]
    statuses: list[int] = []
    forked: list[int] = []
    lock = threading.Lock()

    def fork_repeatedly() -> None:
        with httpx.Client(base_url=server.base, headers=headers, timeout=30) as client:
            for _ in range(FORKS_EACH):
                response = client.put(
                    f"/v2/Articles/{article}/fork",
                    json={"version_number": 1, "user_id": owner, "lang_code": "en"},
                )
                with lock:
                    statuses.append(response.status_code)
                    if response.status_code == 200:
                        forked.append(response.json()["data"]["version_number"])

    threads = [threading.Thread(target=fork_repeatedly) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    versions = api.get(f"/v2/Articles/{article}/en/versions").json()["data"]
    api.close()

    assert all(status < 500 for status in statuses), statuses
    # A refusal must be a clear conflict, not a silent loss.
    assert all(status in (200, 409) for status in statuses), statuses
    numbers = sorted(v["version_number"] for v in versions)
    assert len(set(forked)) == len(forked), "two writes were given one revision"
    assert set(forked) <= set(numbers), "an acknowledged revision is missing"
    assert numbers == list(range(1, len(numbers) + 1))
