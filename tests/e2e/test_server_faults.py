"""`lorebase serve` under faults: killed with SIGKILL in the middle of writes, and held by
slow clients. Real processes, real sockets, both databases."""

from __future__ import annotations

import json
import signal
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
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


# --- timeouts on slow clients (LOREBASE_CLIENT_TIMEOUT) ---------------------------------------

CLIENT_TIMEOUT = 1
# How long a test waits for the server's answer: a hang guard, far above CLIENT_TIMEOUT.
PATIENCE = 30


@pytest.fixture
def impatient(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Server]:
    monkeypatch.setenv("LOREBASE_CLIENT_TIMEOUT", str(CLIENT_TIMEOUT))
    running = Server(tmp_path / "data", database_url)
    yield running
    running.stop()


def _connect(running: Server) -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", running.port))
    connection.settimeout(PATIENCE)
    return connection


def _read_until_closed(connection: socket.socket) -> bytes:
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received


def _answer(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines)
    return int(status_line.split()[1]), {k.lower(): v for k, v in headers.items()}, body


def test_a_client_that_stalls_in_the_middle_of_a_head_gets_408_and_loses_the_connection(
    impatient: Server,
) -> None:
    with _connect(impatient) as connection:
        connection.sendall(b"GET /v2/ProjectVersions HTTP/1.1\r\nHost: x\r\napi_tok")
        status, headers, body = _answer(_read_until_closed(connection))

    assert (status, headers["connection"]) == (408, "close")
    assert body == b"The request head did not arrive in time.\n"


def test_a_connection_that_sends_nothing_is_closed(impatient: Server) -> None:
    with _connect(impatient) as connection:
        status, _, _ = _answer(_read_until_closed(connection))

    assert status == 408


def test_a_slow_but_steady_client_is_served_and_kept_alive(impatient: Server) -> None:
    head = (
        f"GET /v2/ProjectVersions HTTP/1.1\r\nHost: x\r\napi_token: {impatient.token}\r\n\r\n"
    ).encode()
    with _connect(impatient) as connection:
        for _ in range(2):  # two requests on one connection
            for piece in (head[:10], head[10:30], head[30:]):
                connection.sendall(piece)
                time.sleep(CLIENT_TIMEOUT / 4)  # each head takes ~3/4 of the deadline
            answer = connection.recv(65536)
            assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]


@pytest.mark.parametrize("version", ["v2", "v3"])
def test_a_json_body_that_stops_arriving_gets_408_in_the_versions_shape(
    impatient: Server, version: str
) -> None:
    path = "/v2/Categories" if version == "v2" else f"/v3/projects/{uuid.uuid4()}/exports"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: x\r\napi_token: {impatient.token}\r\n"
        f"Authorization: Bearer {impatient.token}\r\n"
        "content-type: application/json\r\ncontent-length: 100\r\n\r\n"
    )
    with _connect(impatient) as connection:
        connection.sendall(head.encode() + b'{"name": "Half')
        status, headers, body = _answer(_read_until_closed(connection))

    assert (status, headers["connection"]) == (408, "close")
    detail = f"The request body stopped arriving: nothing came for {CLIENT_TIMEOUT} seconds."
    if version == "v2":
        assert [e["description"] for e in json.loads(body)["errors"]] == [detail]
    else:
        assert headers["content-type"] == "application/problem+json"
        assert json.loads(body)["detail"] == detail


def test_an_upload_that_stops_arriving_gets_408(impatient: Server) -> None:
    boundary = "lorebase-test"
    part = (
        (
            f'--{boundary}\r\ncontent-disposition: form-data; name="files"; '
            f'filename="big.png"\r\ncontent-type: image/png\r\n\r\n'
        ).encode()
        + b"\x89PNG"
        + b"x" * 1000
    )
    head = (
        f"POST /v2/Drive/Folders/Files HTTP/1.1\r\nHost: x\r\napi_token: {impatient.token}\r\n"
        f"content-type: multipart/form-data; boundary={boundary}\r\n"
        f"content-length: {len(part) + 100_000}\r\n\r\n"
    ).encode()
    with _connect(impatient) as connection:
        connection.sendall(head + part)
        status, headers, body = _answer(_read_until_closed(connection))

    assert (status, headers.get("connection")) == (408, "close"), (status, headers, body)
    assert json.loads(body)["success"] is False
