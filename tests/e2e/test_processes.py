"""`lorebase serve --processes 2`: one port, two processes answering, one set of metrics."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx

from tests.e2e.test_live_server import LOREBASE, free_port


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        found.update(int(child) for child in children)
    return found


def _is_server(pid: int) -> bool:
    """A child of the supervisor that serves (not multiprocessing's resource tracker)."""
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes() and not Path(
            f"/proc/{pid}/stat"
        ).read_text().rsplit(")", 1)[1].split()[0].startswith("Z")
    except OSError:
        return False


def _sum(metrics: str, pattern: str) -> float:
    return sum(float(m.group(1)) for m in re.finditer(pattern + r" ([0-9.e+]+)", metrics))


def test_two_processes_share_the_port_and_the_metrics(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "LOREBASE_PROCESSES": "1"}  # the option below must win over this
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log_path = tmp_path / "serve.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [*LOREBASE, "serve", "--port", str(port), "--processes", "2", "--workers", "0"],
            cwd=tmp_path,
            env={**env, "LOREBASE_DATA_DIR": str(tmp_path / "data")},
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            answered: set[int] = set()
            deadline = time.monotonic() + 60
            # A new connection per request: the kernel hands each to whichever process
            # accepts first, so both show up within a few hundred tries once both listen.
            while len(answered) < 2 and time.monotonic() < deadline:
                try:
                    answer = httpx.get(f"{base}/healthz", timeout=2)
                except httpx.TransportError:
                    time.sleep(0.1)
                    continue
                answered.add(answer.json()["process"])
            assert len(answered) == 2, f"only {answered} answered; log: {log_path.read_text()}"
            assert answered <= _children(server.pid)
            # Keep-alive clients (nginx's upstream connections, a load test's) are spread too:
            # each process has its own socket and the kernel hashes connections over them, so
            # 16 connections all on one process would be a 1 in 32,768 chance.
            clients = [httpx.Client(timeout=5) for _ in range(16)]
            try:
                kept = {client.get(f"{base}/healthz").json()["process"] for client in clients}
                for client in clients:
                    for _ in range(2):
                        assert client.get(f"{base}/healthz").status_code == 200
            finally:
                for client in clients:
                    client.close()
            assert len(kept) == 2, kept
            # Whichever process answers /metrics reports both processes' requests.
            metrics = httpx.get(f"{base}/metrics", timeout=5).text
            counted = _sum(metrics, r'lorebase_http_requests_total\{[^}]*route="/healthz"[^}]*\}')
            assert counted >= 16 * 3 + len(answered)
            assert "lorebase_jobs_oldest_queued_seconds" in metrics
            ready = httpx.get(f"{base}/readyz", timeout=5)
            assert ready.status_code == 200 and ready.json()["checks"]["database"] == "ok"
            assert "(2 processes)" in log_path.read_text()
            # A server process that dies is started again; the other one serves meanwhile.
            killed = min(answered)
            os.kill(killed, signal.SIGKILL)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                alive = {p for p in _children(server.pid) if _is_server(p)}
                if len(alive) == 2 and killed not in alive:
                    break
                time.sleep(0.2)
            else:
                raise AssertionError(f"not restarted: {log_path.read_text()}")
            seen: set[int] = set()
            while seen != alive and time.monotonic() < deadline:
                try:
                    seen.add(httpx.get(f"{base}/healthz", timeout=2).json()["process"])
                except httpx.TransportError:
                    time.sleep(0.1)  # the new process is still starting on its socket
            assert seen == alive
            answered = alive
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    for child in answered:
        assert not Path(f"/proc/{child}").exists(), "a server process outlived SIGTERM"
