"""A live portal for browser tests: `lorebase serve` on a fresh SQLite database (its first start
prints the admin API token), an administrator and an editor who sign in with a password, a
French language beside English, and a v2 API client with the admin token to set things up and
to check what the browser did.

    with running_portal(folder) as portal:
        category = portal.category("Guides")
        article = portal.article("Install", category, "Run the installer.")
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from lorebase.auth.roles import Role
from lorebase.db.engine import make_engine, make_session_factory, transaction
from lorebase.kb import workspaces
from tests.e2e.test_live_server import LOREBASE, free_port
from tests.e2e.test_signin_browser import PASSWORD, _add_account, _stop

ADMIN_EMAIL = "ada.admin@example.com"
EDITOR_EMAIL = "eddie.editor@example.com"
SECOND_LANGUAGE = "fr"
SERVE_WAIT_S = 60

__all__ = ["ADMIN_EMAIL", "EDITOR_EMAIL", "PASSWORD", "LivePortal", "running_portal"]


def ok(response: httpx.Response) -> Any:
    """The payload of a successful v2 answer (its `data`, or the whole body without one)."""
    assert response.status_code == 200, f"{response.request.url}: {response.text}"
    body = response.json()
    assert body.get("success", True), response.text
    return body.get("data", body)


@dataclass
class LivePortal:
    base: str
    token: str
    log_path: Path
    api: httpx.Client
    workspace: str
    owner: str  # the user id the API writes as

    def url(self, path: str) -> str:
        return self.base + path

    # --- set-up through the v2 API -----------------------------------------------------------

    def category(self, name: str, parent: str | None = None, category_type: int = 0) -> str:
        body: dict[str, Any] = {
            "name": name,
            "project_version_id": self.workspace,
            "category_type": category_type,
        }
        if parent:
            body["parent_category_id"] = parent
        return str(ok(self.api.post("/Categories", json=body))["id"])

    def article(self, title: str, category: str, content: str = "") -> str:
        body = {
            "title": title,
            "category_id": category,
            "project_version_id": self.workspace,
            "user_id": self.owner,
            "content": content,
        }
        return str(ok(self.api.post("/Articles", json=body))["id"])

    # --- reading back --------------------------------------------------------------------------

    def article_in(self, article: str, lang: str = "en") -> dict[str, Any]:
        """The article's latest version in `lang`, as the API reports it."""
        found: dict[str, Any] = ok(self.api.get(f"/Articles/{article}/{lang}"))
        return found

    def children(self, category: str) -> tuple[list[str], list[str]]:
        """(ids of the child categories, ids of the articles) of `category`, in order."""
        node = ok(self.api.get(f"/Categories/{category}"))
        return (
            [child["id"] for child in node.get("child_categories") or []],
            [article["id"] for article in node.get("articles") or []],
        )

    def tree(self) -> list[dict[str, Any]]:
        """The workspace's category tree (without articles), roots in order."""
        roots: list[dict[str, Any]] = ok(
            self.api.get(
                f"/ProjectVersions/{self.workspace}/categories", params={"excludeArticles": True}
            )
        )
        return roots


def _add_language(database_url: str, code: str) -> None:
    engine = make_engine(database_url, pooled=False)
    try:
        with transaction(make_session_factory(engine)) as session:
            project = workspaces.find_project(session, None)
            workspace = workspaces.workspaces(session, project.id)[0]
            workspaces.add_language(session, workspace.id, code)
    finally:
        engine.dispose()


def _wait_for_health(process: subprocess.Popen[bytes], base: str, log_path: Path) -> None:
    deadline = time.monotonic() + SERVE_WAIT_S
    while True:
        assert process.poll() is None, f"lorebase serve died:\n{log_path.read_text()}"
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, (
            f"no /health in {SERVE_WAIT_S} s:\n{log_path.read_text()}"
        )
        time.sleep(0.1)


@contextmanager
def running_portal(folder: Path) -> Iterator[LivePortal]:
    """`lorebase serve` on SQLite in `folder`, with the accounts and the second language."""
    data_dir = folder / "data"
    data_dir.mkdir()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    database_url = f"sqlite:///{data_dir / 'lorebase.sqlite3'}"
    env = {
        **os.environ,
        "LOREBASE_DATABASE_URL": database_url,
        "LOREBASE_DATA_DIR": str(data_dir),
        "LOREBASE_PUBLIC_BASE_URL": base,
        "LOREBASE_WORKERS": "0",
        # The tests set up and check through the API faster than an integration would.
        "LOREBASE_RATE_LIMIT": "off",
    }
    for key in ("LOREBASE_OIDC_ISSUER", "LOREBASE_OIDC_CLIENT_ID", "LOREBASE_REDIS_URL"):
        env.pop(key, None)
    log_path = folder / "serve.log"
    out_path = folder / "serve.out"
    # Output goes to files, never to unread pipes that could fill and stall the server.
    with open(log_path, "wb") as log, open(out_path, "wb") as out:
        process = subprocess.Popen(
            [*LOREBASE, "serve", "--host", "127.0.0.1", "--port", str(port)],
            stdout=out,
            stderr=log,
            env=env,
        )
    try:
        _wait_for_health(process, base, log_path)
        # The admin token is printed on the first start, before the server listens.
        tokens = re.findall(r"\blb_[A-Za-z0-9_-]+", out_path.read_text())
        assert len(tokens) == 1, out_path.read_text()
        _add_account(database_url, ADMIN_EMAIL, Role.ADMIN)
        _add_account(database_url, EDITOR_EMAIL, Role.EDITOR)
        _add_language(database_url, SECOND_LANGUAGE)
        with httpx.Client(
            base_url=f"{base}/v2", headers={"api_token": tokens[0]}, timeout=30
        ) as api:
            workspace = ok(api.get("/ProjectVersions"))[0]["id"]
            owner = api.get("/Teams").json()["result"][0]["user_id"]
            yield LivePortal(base, tokens[0], log_path, api, workspace, owner)
    finally:
        _stop(process)
