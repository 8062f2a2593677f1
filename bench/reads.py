"""Read benchmark: the category tree, one category and one article, on a large workspace.

Generates 1,000 categories and 10,000 articles (bench/generate.py), starts the server as a
user would (`lorebase serve`: uvicorn, one process) and, in the same run, measures against
baselines taken in the same run:

- GET /v2/ProjectVersions/{id}/categories latency (cold = built from the database, warm =
  served from the tree cache) vs `orjson.dumps` of the identical body: target <= 3x;
- GET /health requests/s at concurrency 16 vs the same answer from a bare ASGI app under the
  same uvicorn configuration (bench/bare.py): target >= 0.6x (issue 16);
- GET /v2/Categories/{id} and GET /v2/Articles/{id}/en requests/s at concurrency 16, every
  item in turn and a working set of 100 again and again, vs GET /health of the same server:
  target >= 0.6x (issue 16);
- the server's peak RSS (VmHWM): target < 300 MB.

    .venv/bin/python -m bench.reads
    .venv/bin/python -m bench.reads --database-url postgresql+psycopg://postgres@127.0.0.1/postgres

With a PostgreSQL URL a scratch database is created on that server and dropped at the end.
All traffic goes to 127.0.0.1. A ratio off target is reported (FAIL) and the exit status is 0: a
benchmark reports, it does not gate. A load phase in which no request succeeded measured
nothing: the run stops with exit status 1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

if __package__ in (None, ""):  # run as `python bench/reads.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate import GeneratedWorkspace, scratch_workspace
from bench.report import (
    RESULT_HEADS,
    percentile,
    say,
    table_lines,
    verdict,
    workspace_arguments,
    workspace_heading,
)

HOST = "127.0.0.1"
TREE_RATIO_TARGET = 3.0
THROUGHPUT_RATIO_TARGET = 0.6
HEALTH_RATIO_TARGET = 0.6
# The working set of the "again and again" phases.
HOT = 100
RSS_TARGET_MB = 300.0
SERVER_START_TIMEOUT_S = 60.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# Every benchmark's server runs with these, whatever the caller's shell exports: a benchmark
# sends thousands of requests a minute with one token, so the default per-token limit
# (100/minute) would answer 429 and the figures would measure the limiter; likewise the daily
# export quota (2). bench/ratelimit.py sets the limits it compares on top of these.
UNLIMITED: dict[str, str] = {"rate_limit": "off", "export_daily_limit": "0"}


# --- the server -----------------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _server_command(launcher: str, port: int) -> list[str]:
    if launcher == "bare":
        return [sys.executable, "-m", "bench.bare", str(port)]
    if launcher == "uvicorn":
        return [
            sys.executable,
            "-m",
            "uvicorn",
            "lorebase.app:create_app",
            "--factory",
            "--host",
            HOST,
            "--port",
            str(port),
            "--log-level",
            "warning",
        ]
    return [sys.executable, "-m", "lorebase.cli", "serve", "--host", HOST, "--port", str(port)]


def server_environment(**settings: str) -> dict[str, str]:
    """The environment of a benchmark's server: this process's without its LOREBASE_* variables
    (the figures must not depend on the caller's shell), then UNLIMITED and `settings`, named as
    the fields of `lorebase.settings.Settings` (`rate_limit="off"`)."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("LOREBASE_")}
    # One server process unless a benchmark asks for more (`processes="2"`).
    chosen = {"processes": "1", **UNLIMITED, **settings}
    return inherited | {f"LOREBASE_{name.upper()}": value for name, value in chosen.items()}


@contextmanager
def running_server(
    database_url: str, data_dir: Path, launcher: str, **settings: str
) -> Iterator[Server]:
    """The server in a child process, answering /health; stopped (SIGINT, then kill) after.
    It runs with `server_environment(**settings)`."""
    port = _free_port()
    env = server_environment(
        database_url=database_url, data_dir=str(data_dir), host=HOST, port=str(port), **settings
    )
    log = data_dir / "server.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            _server_command(launcher, port), env=env, stdout=sink, stderr=subprocess.STDOUT
        )
    server = Server(process, f"http://{HOST}:{port}", log)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited early:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{server.base_url}/health", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"no /health answer after {SERVER_START_TIMEOUT_S:.0f} s")
            time.sleep(0.1)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _descendants(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            children = (task / "children").read_text().split()
            queue += [int(c) for c in children]
    return found


def _proc_status_kib(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def memory_mb(pid: int, key: str) -> float:
    """VmHWM (peak) or VmRSS of the process and its descendants (a launcher's children)."""
    return sum(_proc_status_kib(p, key) for p in _descendants(pid)) / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process (and its descendants)."""
    total = 0
    for p in _descendants(pid):
        # Fields after the parenthesised command name; utime and stime are 14 and 15.
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


# --- measurements -----------------------------------------------------------------------------


@dataclass
class TreeResult:
    body_bytes: int
    cold_first_ms: float
    cold_ms: list[float]
    warm_ms: list[float]
    dumps_ms: list[float]


@dataclass
class Phase:
    name: str
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float] = field(repr=False)
    server_cpu: float  # cores used by the server during the phase
    client_cpu: float  # cores used by this process (the load generator)
    first_error: str = ""

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        return percentile(self.latencies_ms, q)

    def summary(self, name_width: int) -> list[str]:
        """The phase's line of a report (and its first error's, if any)."""
        lines = [
            f"  {self.name:<{name_width}} {self.requests:6d} ok {self.errors:4d} errors "
            f"in {self.seconds:4.1f} s  p50 {self.percentile(0.5):6.1f} ms  "
            f"p99 {self.percentile(0.99):6.1f} ms  server CPU {self.server_cpu:4.2f} cores  "
            f"client CPU {self.client_cpu:4.2f} cores"
        ]
        if self.first_error:
            lines.append(f"    first error: {self.first_error}")
        return lines


def _timed_get(client: httpx.Client, path: str, **kwargs: Any) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = client.get(path, **kwargs)
    response.read()
    return (time.perf_counter() - started) * 1000, response


def _check(response: httpx.Response, what: str) -> None:
    if response.status_code != 200:
        raise RuntimeError(f"{what}: HTTP {response.status_code}: {response.text[:500]}")


def _response_head(head: bytes) -> tuple[int, int]:
    """Status and Content-Length of an HTTP/1.1 response head (our routes always send one)."""
    length = None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length is None:
        raise RuntimeError("response without Content-Length: " + head[:200].decode())
    return int(head[9:12]), length


def request_bytes(
    server: Server, path: str, headers: dict[str, str], *, method: str = "GET", body: bytes = b""
) -> bytes:
    """An HTTP/1.1 request, encoded once, for `RawConnection.get` or the raw load generator."""
    host = server.base_url.removeprefix("http://")
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    if method == "POST":
        head += f"Content-Length: {len(body)}\r\n"
    return (head + "\r\n").encode() + body


def path_of(url: str) -> str:
    """The path and query of `url`, as a request names them."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class RawConnection:
    """One blocking keep-alive connection sending pre-encoded GETs: the cheapest client, so
    a latency is the server's answer plus the loopback transfer, not the client's parsing
    (httpx adds ~7 ms to a 3.6 MB body here)."""

    def __init__(self, server: Server) -> None:
        host, port = server.base_url.removeprefix("http://").split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=120)
        self.buffer = b""

    def get(self, request: bytes) -> tuple[float, int, bytes]:
        started = time.perf_counter()
        self.sock.sendall(request)
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._recv()
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        status, length = _response_head(head)
        chunks, received = [rest], len(rest)
        while received < length:
            chunk = self._recv()
            chunks.append(chunk)
            received += len(chunk)
        data = b"".join(chunks)
        body, self.buffer = data[:length], data[length:]
        return (time.perf_counter() - started) * 1000, status, body

    def _recv(self) -> bytes:
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise RuntimeError("the server closed the connection")
        return chunk

    def close(self) -> None:
        self.sock.close()


def measure_tree(
    server: Server, ws: GeneratedWorkspace, *, client: str, cold_runs: int, warm_runs: int
) -> TreeResult:
    headers = {"api_token": ws.admin_token}
    path = f"/v2/ProjectVersions/{ws.workspace_id}/categories"
    setup = httpx.Client(base_url=server.base_url, headers=headers, timeout=120)
    raw = RawConnection(server)
    request = request_bytes(server, path, headers)

    def get_tree(what: str) -> tuple[float, bytes]:
        if client == "httpx":
            elapsed, response = _timed_get(setup, path)
            status, body = response.status_code, response.content
        else:
            elapsed, status, body = raw.get(request)
        if status != 200:
            raise RuntimeError(f"{what}: HTTP {status}: {body[:500]!r}")
        return elapsed, body

    try:
        # A first authenticated request that does not touch the tree, so that "cold" means
        # "built from the database", not "first request the process ever served".
        _check(setup.get("/v2/ProjectVersions"), "GET /v2/ProjectVersions")
        raw.get(request_bytes(server, "/v2/ProjectVersions", headers))
        cold_first, body = get_tree("GET tree")
        root = orjson.loads(body)["data"][0]
        cold = []
        for _ in range(cold_runs):
            # A write bumps the workspace's content stamp: the next tree is built again.
            touched = setup.put(f"/v2/Categories/{root['id']}", json={"hidden": root["hidden"]})
            _check(touched, "PUT /v2/Categories/{id}")
            cold.append(get_tree("GET tree after a write")[0])
        warm = []
        for _ in range(warm_runs):
            elapsed, body = get_tree("GET tree (cached)")
            warm.append(elapsed)
    finally:
        setup.close()
        raw.close()
    # The baseline is the CPU time of this thread: on a shared machine wall-clock timings of
    # a few milliseconds swing 3-4x with other work, and the baseline must not. Latencies stay
    # wall-clock, so a busy machine makes the ratio err against Lorebase, never for it.
    parsed = orjson.loads(body)
    dumps = []
    for _ in range(max(10, warm_runs)):
        started = time.thread_time()
        orjson.dumps(parsed)
        dumps.append((time.thread_time() - started) * 1000)
    return TreeResult(len(body), cold_first, cold, warm, dumps)


@dataclass
class _Window:
    """What the load generator saw between the start and the end of the measured window."""

    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""
    started: float = 0.0
    ended: float = 0.0
    server_cpu: float = 0.0
    client_cpu: float = 0.0

    def open(self, server: Server) -> None:
        self.server_cpu, self.client_cpu = cpu_seconds(server.pid), time.process_time()
        self.started = time.perf_counter()

    def close(self, server: Server) -> None:
        self.ended = time.perf_counter()
        self.server_cpu = cpu_seconds(server.pid) - self.server_cpu
        self.client_cpu = time.process_time() - self.client_cpu

    def fail(self, description: str) -> None:
        self.errors += 1
        self.first_error = self.first_error or description


def _httpx_load(
    server: Server,
    paths: Sequence[str],
    headers: dict[str, str],
    *,
    concurrency: int,
    seconds: float,
    max_requests: int,
    warmup: int,
) -> _Window:
    """One keep-alive httpx.Client per thread."""
    window = _Window()
    clients = [
        httpx.Client(base_url=server.base_url, headers=headers, timeout=60)
        for _ in range(concurrency)
    ]
    ready = threading.Barrier(concurrency + 1)
    go = threading.Event()
    lock = threading.Lock()
    sent = 0

    def run(index: int) -> None:
        nonlocal sent
        client = clients[index]
        for i in range(warmup):
            client.get(paths[(index + i) % len(paths)])
        ready.wait()
        go.wait()
        while True:
            with lock:
                n = sent
                sent += 1
            if n >= max_requests or time.perf_counter() >= window.started + seconds:
                return
            began = time.perf_counter()
            try:
                elapsed, response = _timed_get(client, paths[n % len(paths)])
            except httpx.TransportError as error:
                # Counted as a failed request, not left to end this thread unseen.
                with lock:
                    window.latencies_ms.append((time.perf_counter() - began) * 1000)
                    window.fail(f"{type(error).__name__}: {error}")
                continue
            with lock:
                window.latencies_ms.append(elapsed)
                if response.status_code != 200:
                    window.fail(f"HTTP {response.status_code} {response.text[:200]}")

    threads = [threading.Thread(target=run, args=(i,)) for i in range(concurrency)]
    try:
        for thread in threads:
            thread.start()
        ready.wait(timeout=120)
        window.open(server)
        go.set()
        for thread in threads:
            thread.join()
        window.close(server)
    finally:
        for client in clients:
            client.close()
    return window


async def _raw_load_async(
    server: Server,
    paths: Sequence[str],
    headers: dict[str, str],
    *,
    concurrency: int,
    seconds: float,
    max_requests: int,
    warmup: int,
) -> _Window:
    """Keep-alive HTTP/1.1 connections driven from one event loop, requests pre-encoded.

    The load generator shares the machine with the server; this one costs the least CPU per
    request, so the trivial route measures the server rather than the client.
    """
    window = _Window()
    host, port = server.base_url.removeprefix("http://").split(":")
    requests = [request_bytes(server, p, headers) for p in paths]
    ready = asyncio.Barrier(concurrency + 1)
    go = asyncio.Event()
    sent = 0

    async def exchange(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
    ) -> int:
        writer.write(request)
        status, length = _response_head(await reader.readuntil(b"\r\n\r\n"))
        await reader.readexactly(length)
        return status

    async def run(index: int) -> None:
        nonlocal sent
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            for i in range(warmup):
                await exchange(reader, writer, requests[(index + i) % len(requests)])
            await ready.wait()
            await go.wait()
            while sent < max_requests and time.perf_counter() < window.started + seconds:
                n, sent = sent, sent + 1
                began = time.perf_counter()
                status = await exchange(reader, writer, requests[n % len(requests)])
                window.latencies_ms.append((time.perf_counter() - began) * 1000)
                if status != 200:
                    window.fail(f"HTTP {status} for {paths[n % len(paths)]}")
        finally:
            writer.close()

    tasks = [asyncio.create_task(run(i)) for i in range(concurrency)]
    await asyncio.wait_for(ready.wait(), timeout=120)
    window.open(server)
    go.set()
    await asyncio.gather(*tasks)
    window.close(server)
    return window


def load_phase(
    server: Server,
    name: str,
    paths: Sequence[str],
    headers: dict[str, str],
    *,
    client: str,
    concurrency: int,
    seconds: float,
    max_requests: int,
    warmup: int = 10,
) -> Phase:
    """`concurrency` keep-alive connections GET `paths` in turn, each waiting for its answer
    before the next request, until `seconds` have passed or `max_requests` were sent.

    Raises RuntimeError when no request was answered 200: such a phase measured nothing (every
    answer a 429 from a rate limit left on, say), and a rate of 0 is no figure to report."""
    options: dict[str, Any] = {
        "concurrency": concurrency,
        "seconds": seconds,
        "max_requests": max_requests,
        "warmup": warmup,
    }
    if client == "httpx":
        window = _httpx_load(server, paths, headers, **options)
    else:
        window = asyncio.run(_raw_load_async(server, paths, headers, **options))
    elapsed = window.ended - window.started
    succeeded = len(window.latencies_ms) - window.errors
    if succeeded == 0:
        raise RuntimeError(
            f"load phase {name!r} measured nothing: no request succeeded "
            f"({window.errors} failed in {elapsed:.1f} s; first failure: "
            f"{window.first_error or 'none, no request was sent'})"
        )
    return Phase(
        name=name,
        requests=succeeded,
        errors=window.errors,
        seconds=elapsed,
        latencies_ms=window.latencies_ms,
        server_cpu=window.server_cpu / elapsed,
        client_cpu=window.client_cpu / elapsed,
        first_error=window.first_error,
    )


# --- report -----------------------------------------------------------------------------------


def report(
    ws: GeneratedWorkspace,
    tree: TreeResult,
    phases: dict[str, Phase],
    health: list[Phase],
    bare: Phase,
    rss_start: float,
    rss_peak: float,
    client: str,
    concurrency: int,
) -> str:
    dumps = statistics.median(tree.dumps_ms)
    cold = statistics.median(tree.cold_ms) if tree.cold_ms else tree.cold_first_ms
    warm = statistics.median(tree.warm_ms)
    health_rate = statistics.mean(p.rate for p in health)
    rows: list[tuple[str, str, str, str, str, str]] = []

    def tree_row(label: str, ms: float) -> None:
        ratio = ms / dumps
        rows.append(
            (
                label,
                f"{ms:9.1f} ms",
                f"orjson.dumps {dumps:.1f} ms CPU",
                f"{ratio:7.1f}x",
                f"<= {TREE_RATIO_TARGET:g}x",
                verdict(ratio <= TREE_RATIO_TARGET),
            )
        )

    tree_row("GET tree, cold: first request", tree.cold_first_ms)
    tree_row(f"GET tree, cold: median of {len(tree.cold_ms)} after a write", cold)
    tree_row(f"GET tree, warm (cached): median of {len(tree.warm_ms)}", warm)
    health_ratio = health_rate / bare.rate
    rows.append(
        (
            f"GET /health, concurrency {concurrency}",
            f"{health_rate:7.0f} req/s",
            f"bare ASGI app {bare.rate:.0f} req/s",
            f"{health_ratio:7.2f}x",
            f">= {HEALTH_RATIO_TARGET:g}x",
            verdict(health_ratio >= HEALTH_RATIO_TARGET),
        )
    )
    for label, phase in phases.items():
        ratio = phase.rate / health_rate if health_rate else 0.0
        rows.append(
            (
                f"{label}, concurrency {concurrency}",
                f"{phase.rate:7.0f} req/s",
                f"/health {health_rate:.0f} req/s",
                f"{ratio:7.2f}x",
                f">= {THROUGHPUT_RATIO_TARGET:g}x",
                verdict(ratio >= THROUGHPUT_RATIO_TARGET and phase.errors == 0),
            )
        )
    rows.append(
        (
            "server peak RSS (VmHWM)",
            f"{rss_peak:9.1f} MB",
            f"at start {rss_start:.1f} MB",
            "",
            f"< {RSS_TARGET_MB:g} MB",
            verdict(rss_peak < RSS_TARGET_MB),
        )
    )
    lines = [
        workspace_heading("Lorebase read benchmark", ws.engine, ws)
        + f"; tree body {tree.body_bytes / 1e6:.2f} MB",
        "",
        *table_lines(RESULT_HEADS, rows),
        "",
        f"load phases ({client} client; it shares this machine's cores with the server):",
    ]
    for phase in [*health[:1], *phases.values(), *health[1:], bare]:
        lines += phase.summary(48)
    lines.append(
        f"  tree cold samples (ms): first {tree.cold_first_ms:.0f}; "
        + ", ".join(f"{ms:.0f}" for ms in tree.cold_ms)
        + f"; warm min/max {min(tree.warm_ms):.1f}/{max(tree.warm_ms):.1f} ms"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    workspace_arguments(parser)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each load phase")
    parser.add_argument("--max-requests", type=int, default=50_000, help="cap per load phase")
    parser.add_argument("--cold-runs", type=int, default=4)
    parser.add_argument("--warm-runs", type=int, default=20)
    parser.add_argument(
        "--client",
        choices=("raw", "httpx"),
        default="raw",
        help="client for the timed requests: pre-encoded HTTP/1.1 on raw sockets (default) or "
        "httpx (one httpx.Client per thread under load)",
    )
    parser.add_argument(
        "--launcher",
        choices=("cli", "uvicorn"),
        default="cli",
        help="`lorebase serve` (default) or `python -m uvicorn lorebase.app:create_app`",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    # Every id, shuffled: the "in turn" phases read as many different items as there are.
    with scratch_workspace(args, "lorebase-bench-data-", sample=args.articles) as (ws, data):
        say(f"  done in {ws.seconds:.1f} s; starting the server...")
        with running_server(ws.database_url, data, args.launcher) as server:
            rss_start = memory_mb(server.pid, "VmRSS")
            say("measuring the tree...")
            tree = measure_tree(
                server,
                ws,
                client=args.client,
                cold_runs=args.cold_runs,
                warm_runs=args.warm_runs,
            )
            headers = {"api_token": ws.admin_token}
            load = {
                "client": args.client,
                "concurrency": args.concurrency,
                "seconds": args.seconds,
                "max_requests": args.max_requests,
            }
            categories = [f"/v2/Categories/{i}" for i in ws.category_ids]
            articles = [f"/v2/Articles/{i}/en" for i in ws.article_ids]
            # Every item in turn (10,000 articles: in a phase of a few seconds hardly one is
            # asked twice), and a working set asked again and again, as widgets and
            # integrations read.
            routes = {
                f"GET /v2/Categories/{{id}}, all {len(categories):,} in turn": categories,
                f"GET /v2/Categories/{{id}}, {HOT} again and again": categories[:HOT],
                f"GET /v2/Articles/{{id}}/en, all {len(articles):,} in turn": articles,
                f"GET /v2/Articles/{{id}}/en, {HOT} again and again": articles[:HOT],
            }
            # /health before and after the two routes: the baseline is their mean, so a
            # drift of the machine during the run shows up instead of skewing one ratio.
            health, phases = [], {}
            say("load: /health...")
            health.append(load_phase(server, "GET /health (before)", ["/health"], headers, **load))
            for label, paths in routes.items():
                say(f"load: {label}...")
                phases[label] = load_phase(server, label, paths, headers, **load)
            say("load: /health...")
            health.append(load_phase(server, "GET /health (after)", ["/health"], headers, **load))
            rss_peak = memory_mb(server.pid, "VmHWM")
        say("load: /health of a bare ASGI app under the same server...")
        with running_server(ws.database_url, data, "bare") as bare_server:
            bare = load_phase(bare_server, "GET /health (bare ASGI)", ["/health"], {}, **load)
    print(
        report(ws, tree, phases, health, bare, rss_start, rss_peak, args.client, args.concurrency)
    )
    print(f"\nwall time of the whole run: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
