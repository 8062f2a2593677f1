"""`lorebase serve` under faults: killed with SIGKILL in the middle of writes, and held by
slow clients. Real processes, real sockets, both databases."""

from __future__ import annotations

import signal
import socket
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from tests.e2e.test_live_server import Server, server  # noqa: F401

WRITERS = 4


def _writer(base: str, token: str, workspace: str, acknowledged: list[str]) -> None:
    """Creates categories until the server is gone; keeps the ids the server acknowledged."""
    with httpx.Client(base_url=base, headers={"api_token": token}, timeout=5) as client:
        n = 0
        while True:
            n += 1
            body = {"name": f"Crash {threading.get_ident()} {n}", "project_version_id": workspace}
            try:
                response = client.post("/v2/Categories", json=body)
            except httpx.TransportError:
                return
            if response.status_code == 200:
                acknowledged.append(response.json()["data"]["id"])


def test_sigkill_during_writes_loses_no_acknowledged_write(tmp_path: Path, database_url: str):
    data = tmp_path / "data"
    first = Server(data, database_url)
    headers = {"api_token": first.token}
    workspace = httpx.get(f"{first.base}/v2/ProjectVersions", headers=headers).json()["data"][0]
    acknowledged: list[str] = []
    threads = [
        threading.Thread(
            target=_writer, args=(first.base, first.token, workspace["id"], acknowledged)
        )
        for _ in range(WRITERS)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 40 and time.monotonic() < deadline:  # writes are flowing
        time.sleep(0.05)
    assert len(acknowledged) >= 40, "the writers got no answers"
    first.process.send_signal(signal.SIGKILL)
    first.process.wait()
    for thread in threads:
        thread.join(timeout=30)

    restarted = Server(data, database_url)
    try:
        tree = httpx.get(
            f"{restarted.base}/v2/ProjectVersions/{workspace['id']}/categories",
            headers=headers,
        )
        found = {node["id"] for node in tree.json()["data"]}
        missing = [ident for ident in acknowledged if ident not in found]
        after = httpx.post(
            f"{restarted.base}/v2/Categories",
            headers=headers,
            json={"name": "After the crash", "project_version_id": workspace["id"]},
        )
    finally:
        restarted.stop()

    assert tree.status_code == 200
    assert missing == [], f"{len(missing)} acknowledged writes lost of {len(acknowledged)}"
    assert after.status_code == 200, after.text
    if database_url.startswith("sqlite"):
        engine = create_engine(database_url)
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
        engine.dispose()


def test_slow_clients_do_not_block_other_requests(server: Any):  # noqa: F811
    # Slowloris: connections that send half a request and then nothing.
    host, port = "127.0.0.1", int(server.base.rsplit(":", 1)[1])
    stalled = []
    for _ in range(64):
        connection = socket.create_connection((host, port))
        connection.sendall(b"GET /v2/ProjectVersions HTTP/1.1\r\nHost: x\r\napi_tok")
        stalled.append(connection)
    try:
        answers = [
            httpx.get(
                f"{server.base}/v2/ProjectVersions",
                headers={"api_token": server.token},
                timeout=10,
            )
            for _ in range(5)
        ]
    finally:
        for connection in stalled:
            connection.close()

    assert [a.status_code for a in answers] == [200] * 5
