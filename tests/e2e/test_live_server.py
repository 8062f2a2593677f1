"""`lorebase serve` as a user starts it: a real process, a real port, real HTTP."""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

LOREBASE = [sys.executable, "-m", "lorebase.cli"]
START_TIMEOUT_S = 90.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LOREBASE, *args], capture_output=True, text=True, timeout=60, env=env, check=False
    )


class Server:
    def __init__(self, data_dir: Path, database_url: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "LOREBASE_DATABASE_URL": database_url}
        # stderr goes to a file, never an unread pipe: a long run's warnings would fill the
        # pipe and stall the server.
        data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = data_dir.parent / f"serve-{self.port}.log"
        self._log = open(self.log_path, "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [*LOREBASE, "serve", "--port", str(self.port), "--data-dir", str(data_dir)],
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            env=env,
        )
        # A generous wait: on a machine busy with other test shards a start (migrations
        # included) has taken over 30 s. A server that dies early stops the wait at once.
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if httpx.get(f"{self.base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            self.stop()
            raise AssertionError(
                f"lorebase serve did not answer /health within {START_TIMEOUT_S:.0f} s "
                f"(exit code {self.process.returncode}); the end of its log: "
                + self.log_path.read_text()[-2000:]
            )
        # The admin token is the only thing printed on stdout, and only on first start,
        # before the server listens: by now it is in the pipe or it never comes.
        stdout = self.process.stdout
        assert stdout is not None
        ready, _, _ = select.select([stdout], [], [], 0.5)
        self.token = stdout.readline().strip() if ready else ""

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[Server]:
    # The database_url fixture hands out a migrated, empty database; serve must bootstrap it.
    running = Server(tmp_path / "data", database_url)
    yield running
    running.stop()


def test_first_start_prints_a_working_admin_token(server: Server) -> None:
    assert server.token.startswith("lb_")
    response = httpx.get(f"{server.base}/v2/ProjectVersions", headers={"api_token": server.token})
    assert response.status_code == 200
    assert response.json()["data"][0]["version_code_name"] == "v1"


def test_curl_session_page_with_variable_published_and_read_for_display(server: Server) -> None:
    api = httpx.Client(base_url=f"{server.base}/v2", headers={"api_token": server.token})
    workspace = api.get("/ProjectVersions").json()["data"][0]["id"]
    owner = api.get("/Teams").json()["result"][0]["user_id"]
    assert api.post(
        "/Variables", json={"project_version_id": workspace, "name": "Product", "value": "Acme"}
    ).json()["success"]
    guide = api.post("/Categories", json={"name": "Guide", "project_version_id": workspace}).json()[
        "data"
    ]["id"]
    page = api.post(
        "/Categories",
        json={
            "name": "Install",
            "project_version_id": workspace,
            "parent_category_id": guide,
            "category_type": 1,
        },
    ).json()["data"]["id"]
    saved = api.put(f"/Categories/{page}/content/en", json={"content": "Get {{variable.Product}}"})
    assert saved.json()["data"]["version_number"] == 1
    published = api.post(
        f"/Categories/{page}/en/publish", json={"user_id": owner, "version_number": 1}
    )
    assert published.json()["success"] is True

    shown = api.get(
        f"/Categories/{page}/content/en", params={"isForDisplay": "true", "isPublished": "true"}
    ).json()["category"]
    assert shown["content"] == "Get Acme"
    assert shown["html_content"] == "<p>Get Acme</p>\n"
    assert shown["status"] == 3
    raw = api.get(f"/Categories/{page}/content/en").json()["category"]
    assert raw["content"] == "Get {{variable.Product}}"

    tree = api.get(f"/ProjectVersions/{workspace}/categories").json()["data"]
    assert [(c["name"], [k["name"] for k in c["child_categories"]]) for c in tree] == [
        ("Guide", ["Install"])
    ]


def test_token_created_by_the_cli_while_the_servers_run_is_accepted_and_revoked_on_every_one(
    server: Server, tmp_path: Path, database_url: str
) -> None:
    """Tokens are looked up in the database on every request, with no per-process cache: a
    revocation applies to the next request on every server of the database."""
    other = Server(tmp_path / "data", database_url)  # a second API process, same database
    env = {**os.environ, "LOREBASE_DATABASE_URL": database_url}
    created = run_cli(
        "token",
        "create",
        "--data-dir",
        str(tmp_path / "data"),
        "--name",
        "ci",
        "--methods",
        "GET",
        env=env,
    )
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert "\n" not in token and token.startswith("lb_")
    headers = {"api_token": token}
    try:
        for node in (server, other):
            assert httpx.get(f"{node.base}/v2/ProjectVersions", headers=headers).status_code == 200
        denied = httpx.post(f"{server.base}/v2/Categories", headers=headers, json={})
        assert denied.status_code == 403

        revoked = run_cli("token", "revoke", "ci", "--data-dir", str(tmp_path / "data"), env=env)
        assert revoked.returncode == 0, revoked.stderr
        for node in (server, other):
            assert httpx.get(f"{node.base}/v2/ProjectVersions", headers=headers).status_code == 401
    finally:
        other.stop()


def test_second_start_prints_no_new_token(
    server: Server, tmp_path: Path, database_url: str
) -> None:
    server.stop()
    again = Server(tmp_path / "data", database_url)
    try:
        assert again.token == ""
        response = httpx.get(
            f"{again.base}/v2/ProjectVersions", headers={"api_token": server.token}
        )
        assert response.status_code == 200
    finally:
        again.stop()
