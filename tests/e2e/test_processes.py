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
            for _ in range(40):
                assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
            # Whichever process answers /metrics reports both processes' requests.
            metrics = httpx.get(f"{base}/metrics", timeout=5).text
            counted = _sum(metrics, r'lorebase_http_requests_total\{[^}]*route="/healthz"[^}]*\}')
            assert counted >= 40 + len(answered)
            assert "lorebase_jobs_oldest_queued_seconds" in metrics
            ready = httpx.get(f"{base}/readyz", timeout=5)
            assert ready.status_code == 200 and ready.json()["checks"]["database"] == "ok"
            assert "(2 processes)" in log_path.read_text()
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    for child in answered:
        assert not Path(f"/proc/{child}").exists(), "a server process outlived SIGTERM"
