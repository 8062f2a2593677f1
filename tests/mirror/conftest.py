"""A source Lorebase (`lorebase serve`, its own SQLite database and rate limit), a fault-
injecting proxy in front of it, a small project built through its API, and `lorebase mirror`
run as a user runs it, into the test's target database (SQLite or PostgreSQL)."""

from __future__ import annotations

import json
import os
import select
import shutil
import socket
import struct
import subprocess
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from lorebase.app import create_app
from lorebase.auth.tokens import issue_token
from lorebase.db.engine import make_engine, make_session_factory, transaction
from lorebase.db.models import ArticleTranslation
from lorebase.kb import workspaces
from lorebase.kb.settings import apply_settings
from lorebase.settings import Settings
from tests.e2e.test_live_server import LOREBASE, free_port

SOURCE_RATE = "1000000/minute"


class SourceServer:
    """`lorebase serve` on its own SQLite database, with the rate limit given."""

    def __init__(self, data_dir: Path, template: Path, rate: str = SOURCE_RATE) -> None:
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        # A copy of the suite's migrated template: serve then only creates the project.
        shutil.copy(template, data_dir / "source.sqlite3")
        self.database_url = f"sqlite:///{data_dir / 'source.sqlite3'}"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "LOREBASE_DATABASE_URL": self.database_url,
            "LOREBASE_RATE_LIMIT": rate,
        }
        self._log = open(data_dir / "serve.log", "w")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [*LOREBASE, "serve", "--port", str(self.port), "--data-dir", str(data_dir)],
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            env=env,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            self.stop()
            raise AssertionError("the source server did not start")
        stdout = self.process.stdout
        assert stdout is not None
        ready, _, _ = select.select([stdout], [], [], 0.5)
        self.token = stdout.readline().strip() if ready else ""
        assert self.token.startswith("lb_")
        self.api = httpx.Client(base_url=self.base, headers={"api_token": self.token}, timeout=30)

    def session(self) -> Any:
        return transaction(make_session_factory(make_engine(self.database_url, pooled=False)))

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()


@pytest.fixture
def source(tmp_path: Path, sqlite_template: Path) -> Iterator[SourceServer]:
    server = SourceServer(tmp_path / "source", sqlite_template)
    yield server
    server.stop()


# --------------------------------------------------------------------------- the proxy

Fault = Callable[[int, str], str | None]  # (request number, path) -> "429" | "cut" | None


@dataclass
class FaultProxy:
    """An HTTP proxy on 127.0.0.1 to the source that records every request and, as `fault`
    says, answers 429 (Retry-After: 1) or cuts the connection without an answer."""

    upstream: str
    fault: Fault | None = None
    delay: float = 0.0
    requests: list[tuple[float, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        proxy = self
        lock = threading.Lock()
        client = httpx.Client(base_url=self.upstream, timeout=60)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                with lock:
                    number = len(proxy.requests)
                    proxy.requests.append((time.monotonic(), self.path))
                action = proxy.fault(number, self.path) if proxy.fault else None
                if action == "cut":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if action == "429":
                    body = json.dumps({"success": False, "errors": [{"description": "slow"}]})
                    self._answer(429, body.encode(), {"Retry-After": "1"})
                    return
                if proxy.delay:
                    time.sleep(proxy.delay)
                headers = {"api_token": self.headers.get("api_token", "")}
                upstream = client.get(self.path, headers=headers)
                passed = {
                    k: v
                    for k, v in upstream.headers.items()
                    if k.lower().startswith("x-ratelimit") or k.lower() == "retry-after"
                }
                self._answer(upstream.status_code, upstream.content, passed)

            def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def paths(self, prefix: str = "") -> list[str]:
        return [path for _, path in self.requests if path.startswith(prefix)]

    def article_reads(self) -> list[str]:
        """`id/lang` of each article content request (the latest revision of a language)."""
        found = []
        for path in self.paths("/v2/Articles/"):
            parts = path.split("?")[0].split("/")
            if len(parts) == 5:  # "", v2, Articles, id, lang
                found.append(f"{parts[3]}/{parts[4]}")
        return found

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxy(source: SourceServer) -> Iterator[FaultProxy]:
    running = FaultProxy(source.base)
    yield running
    running.close()


# --------------------------------------------------------------------------- a small project


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@dataclass
class SmallProject:
    workspace_id: str
    owner_id: str
    editor_id: str
    articles: list[str]
    page_id: str
    file_url: str
    guide: str  # a folder whose icon is `icon_url`
    icon_url: str
    cover_url: str  # the featured image of the first article


def build_project(source: SourceServer, articles: int = 12) -> SmallProject:
    """Folders, a page, articles in English (some in French too), published, drafts on top
    of published revisions, settings with tags and related articles, a Drive image linked
    from a body, a merge code, and a second team member."""
    api = source.api
    workspace = api.get("/v2/ProjectVersions").json()["data"][0]["id"]
    owner = api.get("/v2/Teams").json()["result"][0]["user_id"]
    with source.session() as session:
        workspaces.add_language(session, workspace, "fr")
        project_id = workspaces.find_project(session, None).id
        editor = workspaces.create_user(
            session, project_id, email="writer@example.com", first_name="Wren", last_name="Ito"
        ).id

    def post(path: str, body: Any) -> Any:
        response = api.post(path, json=body)
        assert response.status_code == 200, response.text
        return response.json()["data"]

    def put(path: str, body: Any) -> Any:
        response = api.put(path, json=body)
        assert response.status_code == 200, response.text
        return response.json()

    folder = api.post("/v2/Drive/Folders", json={"title": "Images", "user_id": owner})
    folder_id = folder.json()["data"]["media_folder_id"]
    uploaded = api.post(
        "/v2/Drive/Folders/Files",
        params={"DriveFolderId": folder_id, "UserId": owner},
        files={"files": ("logo.png", png(3, 2), "image/png")},
    )
    assert uploaded.status_code == 200, uploaded.text
    file_url = uploaded.json()["data"][0]["file_url"]
    # Two more images, each linked from one place only: a category's icon, an article's
    # featured image.
    icon_url, cover_url = (
        api.post(
            "/v2/Drive/Folders/Files",
            params={"DriveFolderId": folder_id, "UserId": owner},
            files={"files": (name, png(width, 1), "image/png")},
        ).json()["data"][0]["file_url"]
        for name, width in (("icon.png", 1), ("cover.png", 2))
    )

    guide = post("/v2/Categories", {"name": "Guide", "project_version_id": workspace})["id"]
    put(f"/v2/Categories/{guide}", {"icon": icon_url})
    deep = post(
        "/v2/Categories",
        {"name": "Deep", "project_version_id": workspace, "parent_category_id": guide, "order": 2},
    )["id"]
    page = post(
        "/v2/Categories",
        {
            "name": "Install",
            "project_version_id": workspace,
            "parent_category_id": guide,
            "category_type": 1,
            "order": 1,
        },
    )["id"]
    put(f"/v2/Categories/{page}/content/en", {"content": "Install {{variable.Product}}."})
    api.post(f"/v2/Categories/{page}/en/publish", json={"user_id": owner, "version_number": 1})
    put(f"/v2/Categories/{page}/content/en", {"content": "Install it, a draft."})
    put(f"/v2/Categories/{page}/content/fr", {"title": "Installer", "content": "Installez."})
    put(f"/v2/Categories/{page}/en/settings", {"seo_title": "Installing", "tags": ["setup"]})

    ids = []
    for number in range(articles):
        parent = deep if number % 3 == 0 else guide
        body = f"# Article {number}\n\nText {number}."
        if number == 0:
            body += f"\n\n![logo]({file_url})\n\nAsk {{{{variable.Product}}}}."
        created = post(
            "/v2/Articles",
            {
                "title": f"Article {number}",
                "content": body,
                "category_id": parent,
                "project_version_id": workspace,
                "user_id": editor if number % 2 else owner,
                "order": articles - number,
            },
        )
        ids.append(created["id"])
        if number % 4 != 3:  # every fourth stays a draft
            api.post(
                f"/v2/Articles/{created['id']}/en/publish",
                json={"user_id": owner, "version_number": 1},
            )
        if number % 5 == 1:  # a draft on top of the published revision
            put(f"/v2/Articles/{created['id']}/en", {"content": body + "\n\nDraft edit."})
        if number % 3 == 1:
            put(
                f"/v2/Articles/{created['id']}/fr",
                {"title": f"Article {number} (fr)", "content": f"Texte {number}."},
            )
    put(
        f"/v2/Articles/{ids[0]}/en/settings",
        {
            "seo_title": "First things",
            "tags": ["intro", "start"],
            "related_articles": [ids[1], ids[2]],
            "allow_comments": False,
        },
    )
    # The v2 settings route has no featured image (UpdateArticleSettingsRequest): Document360
    # sets it in its portal; here, in the source's database.
    with source.session() as session:
        first = session.get(ArticleTranslation, (ids[0], "en"))
        apply_settings(session, first, {"featured_image_url": cover_url})
    return SmallProject(workspace, owner, editor, ids, page, file_url, guide, icon_url, cover_url)


# --------------------------------------------------------------------------- the mirror


@dataclass
class Target:
    """The test's database as `lorebase mirror` writes it, and its API for comparisons."""

    database_url: str
    data_dir: Path

    def run(
        self, source_url: str, token: str, *options: str, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*LOREBASE, "mirror", "--from", source_url, "--token", token, *self.args(), *options],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def start(self, source_url: str, token: str, *options: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [*LOREBASE, "mirror", "--from", source_url, "--token", token, *self.args(), *options],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def args(self) -> list[str]:
        return ["--database-url", self.database_url, "--data-dir", str(self.data_dir)]

    def session(self) -> Any:
        return transaction(make_session_factory(make_engine(self.database_url, pooled=False)))

    @contextmanager
    def client(self) -> Iterator[TestClient]:
        settings = Settings(data_dir=self.data_dir, database_url=self.database_url, workers=0)
        with self.session() as session:
            project = workspaces.find_project(session, None)
            token = issue_token(session, project.id, "compare").secret
        app = create_app(settings)
        with TestClient(app, headers={"api_token": token}) as client:
            yield client
        app.state.engine.dispose()


@pytest.fixture
def target(database_url: str, tmp_path: Path) -> Target:
    return Target(database_url, tmp_path / "target")
