"""A live reader site for browser tests: `lorebase demo` on a fresh data folder, then `lorebase
serve` on it, then a deeper tree written through the v2 API with the admin token the demo's
first start printed.

What the API adds (all published, English only):

    Operations                      folder, a root of the tree
      Deploying                     article: tag "deploy", h2/h3, a code block, a table
      Runbooks                      folder: RUNBOOKS articles, a branch drawn closed
      Monitoring                    folder: one article
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.test_live_server import LOREBASE, free_port

# Occurs in the body of "Deploying" and nowhere else: the typeahead and the search find it.
ONLY_IN_DEPLOYING = "quokkafication"
DEPLOY_TAG = "deploy"
DEPLOYING = f"""Ship a release to production without downtime.

## Before you deploy

Check the {ONLY_IN_DEPLOYING} window with the on-call engineer.

### Database migrations

Run the migrations first:

```python
def migrate(target: str) -> None:
    print("migrating", target)
```

### Feature flags

Turn new features on one region at a time.

## Rolling out

| Region | Order | Wait (min) |
|--------|------:|-----------:|
| Europe | 1 | 15 |
| America | 2 | 30 |
| Asia | 3 | 30 |

## Rolling back

Redeploy the previous tag.
"""
RUNBOOKS = [f"Runbook {number:02d}" for number in range(1, 13)]
SERVE_WAIT_S = 60


@dataclass
class ReaderSite:
    base: str
    token: str
    log_path: Path
    # Title -> id of the articles `add_operations` wrote.
    articles: dict[str, str] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.base + path


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _environment(data_dir: Path, base: str) -> dict[str, str]:
    env = {
        **os.environ,
        "LOREBASE_DATABASE_URL": f"sqlite:///{data_dir / 'lorebase.sqlite3'}",
        "LOREBASE_DATA_DIR": str(data_dir),
        "LOREBASE_PUBLIC_BASE_URL": base,
        "LOREBASE_WORKERS": "0",
    }
    for key in ("LOREBASE_OIDC_ISSUER", "LOREBASE_OIDC_CLIENT_ID", "LOREBASE_REDIS_URL"):
        env.pop(key, None)
    return env


def _load_demo(env: dict[str, str], data_dir: Path) -> str:
    """Run `lorebase demo` on the empty data folder; return the admin token its first start
    printed (on stderr: `demo` is not `serve`, whose stdout carries it)."""
    done = subprocess.run(
        [*LOREBASE, "demo", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert done.returncode == 0, f"lorebase demo failed:\n{done.stdout}{done.stderr}"
    tokens = re.findall(r"\blb_[A-Za-z0-9_-]+", done.stderr)
    assert len(tokens) == 1, done.stderr
    return tokens[0]


def _ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, f"{response.request.url}: {response.text}"
    body = response.json()
    assert body.get("success", True), response.text
    return body.get("data")


def add_operations(site: ReaderSite) -> None:
    """The Operations branch of the module docstring, through the v2 API."""
    with httpx.Client(
        base_url=site.url("/v2"), headers={"api_token": site.token}, timeout=30
    ) as api:
        workspace = _ok(api.get("/ProjectVersions"))[0]["id"]
        owner = api.get("/Teams").json()["result"][0]["user_id"]

        def category(name: str, parent: str | None = None) -> str:
            body = {"name": name, "project_version_id": workspace}
            if parent:
                body["parent_category_id"] = parent
            return str(_ok(api.post("/Categories", json=body))["id"])

        operations = category("Operations")
        runbooks = category("Runbooks", operations)
        monitoring = category("Monitoring", operations)
        items = [
            {"title": "Deploying", "category_id": operations, "content": DEPLOYING},
            *(
                {"title": title, "category_id": runbooks, "content": f"Steps of {title}."}
                for title in RUNBOOKS
            ),
            {"title": "Dashboards", "category_id": monitoring, "content": "Open the dashboard."},
        ]
        created = _ok(
            api.post(
                "/Articles/bulkcreate",
                json=[
                    {**item, "project_version_id": workspace, "user_id": owner} for item in items
                ],
            )
        )
        ids = [entry["article_id"] for entry in created]
        site.articles = {
            item["title"]: article_id for item, article_id in zip(items, ids, strict=True)
        }
        _ok(api.put(f"/Articles/{ids[0]}/en/settings", json={"tags": [DEPLOY_TAG]}))
        _ok(
            api.post(
                "/Articles/bulkpublish/en",
                json=[
                    {"article_id": article_id, "version_number": 1, "user_id": owner}
                    for article_id in ids
                ],
            )
        )


@contextmanager
def running_reader_site(folder: Path) -> Iterator[ReaderSite]:
    """`lorebase serve` on SQLite in `folder`, with the demo and the Operations branch."""
    data_dir = folder / "data"
    data_dir.mkdir()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = _environment(data_dir, base)
    token = _load_demo(env, data_dir)
    log_path = folder / "serve.log"
    # Output goes to files, never to unread pipes that could fill and stall the server.
    with open(log_path, "wb") as log, open(folder / "serve.out", "wb") as out:
        process = subprocess.Popen(
            [*LOREBASE, "serve", "--host", "127.0.0.1", "--port", str(port)],
            stdout=out,
            stderr=log,
            env=env,
        )
    site = ReaderSite(base, token, log_path)
    try:
        _wait_for_health(process, site)
        add_operations(site)
        yield site
    finally:
        _stop(process)


def _wait_for_health(process: subprocess.Popen[bytes], site: ReaderSite) -> None:
    deadline = time.monotonic() + SERVE_WAIT_S
    while True:
        assert process.poll() is None, f"lorebase serve died:\n{site.log_path.read_text()}"
        try:
            if httpx.get(site.url("/health"), timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, (
            f"no /health in {SERVE_WAIT_S} s:\n{site.log_path.read_text()}"
        )
        time.sleep(0.1)
