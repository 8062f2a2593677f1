"""Issue 16's cluster test: Lorebase scaled out as docs/deploy.md describes, each host in a
network namespace of its own on this machine. PostgreSQL and Redis (the machine's, reached at
the bridge's address), S3 (a moto server), nginx with deploy/nginx.conf, two API hosts
(`lorebase serve --workers 0`), two worker hosts (`lorebase worker`) and a client host, all
started at once on an empty database.

The client host first sends a burst with one token (the rate limit is shared by both API hosts
through Redis), then a mixed load of reads, writes, exports and imports through nginx. A third
of the way in, one API host is killed (SIGKILL); half way, one worker is killed while it holds
a job. Then: no acknowledged write is lost, every job completed once, every export downloads
from S3 through its signed URL, and no 5xx came but for the requests cut on the killed host.

Needs root (`ip netns`), nginx (scripts/ensure-nginx) and PostgreSQL; LOREBASE_CLUSTER_SECONDS
shortens the load while developing.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import httpx
import pytest
from botocore.config import Config
from moto.server import ThreadedMotoServer
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, create_engine, func, text
from sqlalchemy import select as sql_select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from lorebase.auth.tokens import issue_token
from lorebase.db.models import ArticleTranslation, Job, Project
from lorebase.jobs import queue
from lorebase.kb import workspaces
from lorebase.storage.s3 import CLIENT_CONFIG
from tests.conftest import BACKENDS, PG_URL
from tests.e2e import cluster
from tests.e2e.cluster import Host, Network, TcpForwarder, stop, suspended, tail, wait_for_line
from tests.e2e.test_live_server import LOREBASE

REPO = Path(__file__).resolve().parents[2]
CLIENT_SCRIPT = Path(__file__).with_name("cluster_client.py")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

LOAD_SECONDS = float(os.environ.get("LOREBASE_CLUSTER_SECONDS", "60"))
WRITERS = 8
# Each client of the load paces itself to this, under the per-token limit below: the load must
# measure the cluster, not the rate limit (the burst measures that).
RATE_PER_CLIENT = 12.0
RATE_LIMIT, RATE_WINDOW = 200, 10
BURST_REQUESTS, BURST_CONNECTIONS = RATE_LIMIT + 60, 8
# Short, so the killed worker's job is taken over well within the run (the default is 60 s).
LEASE_SECONDS = 5
API_PORT, EDGE_PORT = 8000, 80
# A request sent this soon after the API host was killed may still go out on one of nginx's
# cached connections to it before nginx has seen that connection close.
CUT_GRACE_SECONDS = 1.0
STARTUP_SECONDS = 90.0
DRAIN_SECONDS = 60.0
CREATED_PROJECT = "Created a new project"
WORKER_RUNNING = "Lorebase worker running"
NGINX_ERRORS = "nginx-error.log"
# What nginx logs when an API host dies under it: a request cut mid-way, a connection refused.
NGINX_UPSTREAM_FAULTS = ("prematurely closed", "reset by peer", "Connection refused")

pytestmark = pytest.mark.timeout(300 + 2 * LOAD_SECONDS)


@dataclass
class Cluster:
    """The running cluster, as the test drives and inspects it from the root namespace."""

    network: Network
    folder: Path
    engine: Engine  # the scratch database, reached directly (not through the forwarder)
    s3: Any
    bucket: str
    s3_endpoint: str
    edge: Host
    client: Host
    api: list[tuple[Host, subprocess.Popen[str]]] = field(default_factory=list)
    workers: list[tuple[Host, subprocess.Popen[str]]] = field(default_factory=list)
    nginx: subprocess.Popen[str] | None = None
    nginx_dir: Path | None = None
    startup_seconds: float = 0.0

    @property
    def base_url(self) -> str:
        return f"http://{self.edge.address}:{EDGE_PORT}"

    def log(self, host: Host) -> Path:
        return self.folder / f"{host.role}.log"

    def run_client(self, mode: str, config: dict[str, Any]) -> subprocess.Popen[str]:
        config_path = self.folder / f"{mode}-config.json"
        config_path.write_text(json.dumps(config))
        args = [sys.executable, str(CLIENT_SCRIPT), mode, str(config_path)]
        return self.client.start(
            [*args, str(self.folder / f"{mode}-report.json")],
            env=host_env(),
            log=self.folder / f"client-{mode}.log",
            cwd=REPO,
            stdout_pipe=True,
        )

    def client_report(self, mode: str, process: subprocess.Popen[str], timeout: float) -> Any:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop(process, grace=0)
        log = tail(self.folder / f"client-{mode}.log")
        assert process.returncode == 0, f"the client's {mode} failed:\n{log}"
        return json.loads((self.folder / f"{mode}-report.json").read_text())

    def issue_tokens(self, *names: str) -> list[str]:
        with Session(self.engine) as session, session.begin():
            project = workspaces.find_project(session, None)
            return [issue_token(session, project.id, f"cluster {n}").secret for n in names]

    def jobs(self) -> list[Job]:
        with Session(self.engine) as session:
            found = session.scalars(sql_select(Job).order_by(Job.created_at)).all()
            session.expunge_all()
            return list(found)


def host_env(**settings: str) -> dict[str, str]:
    """The environment of every host: the machine's, without the test suite's Lorebase
    settings or any proxy (nothing here may leave the bridge)."""
    kept = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LOREBASE_", "AWS_")) and "proxy" not in key.lower()
    }
    return {**kept, **settings}


@pytest.fixture(params=BACKENDS)
def running(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Cluster]:
    if request.param == "sqlite":
        pytest.skip("a cluster needs one database every host reaches: PostgreSQL only")
    if os.geteuid() != 0:
        pytest.skip("the hosts are network namespaces, made with `ip netns`: needs root")
    if shutil.which("ip") is None:
        pytest.skip("iproute2's `ip` is not installed")
    if not os.access(NGINX, os.X_OK):
        pytest.skip(f"{NGINX} is missing: scripts/ensure-nginx installs it")
    tag = secrets.token_hex(3)
    with ExitStack() as teardown:
        yield start_cluster(tag, tmp_path, teardown)


def start_cluster(tag: str, folder: Path, teardown: ExitStack) -> Cluster:
    """Everything up, each piece's removal registered in `teardown` as soon as it exists."""
    network = Network(tag)
    teardown.callback(_close_network, network)
    gateway = network.gateway

    forwarder = TcpForwarder()
    teardown.callback(forwarder.close)
    pg = make_url(PG_URL)
    forwarder.add((gateway, 5432), (pg.host or "127.0.0.1", pg.port or 5432))
    forwarder.add((gateway, 6379), ("127.0.0.1", 6379))

    # moto's web server logs every S3 request at INFO: thousands of lines in a failure report.
    werkzeug = logging.getLogger("werkzeug")
    teardown.callback(werkzeug.setLevel, werkzeug.level)
    werkzeug.setLevel(logging.WARNING)
    moto = ThreadedMotoServer(ip_address=gateway, port=0, verbose=False)
    moto.start()
    teardown.callback(moto.stop)
    s3_host, s3_port = moto.get_host_and_port()
    s3_endpoint = f"http://{s3_host}:{s3_port}"
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=CLIENT_CONFIG.merge(Config(s3={"addressing_style": "path"})),
    )
    bucket = f"lorebase-cluster-{tag}"
    s3.create_bucket(Bucket=bucket)

    # An empty database of its own: the hosts race to migrate it.
    admin = create_engine(pg, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"lorebase_cluster_{tag}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    teardown.callback(_drop_database, admin, name)
    engine = create_engine(pg.set(database=name), poolclass=NullPool)
    teardown.callback(engine.dispose)

    edge = network.add_host("edge", 10)
    api_hosts = [network.add_host(f"api-{n}", 10 + n) for n in (1, 2)]
    worker_hosts = [network.add_host(f"worker-{n}", 20 + n) for n in (1, 2)]
    client = network.add_host("client", 30)
    host_url = pg.set(host=gateway, port=5432, database=name)
    env = host_env(
        LOREBASE_DATABASE_URL=host_url.render_as_string(hide_password=False),
        LOREBASE_STORAGE_URL=f"s3://{bucket}/kb",
        LOREBASE_S3_ENDPOINT_URL=s3_endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        # Rate-limit keys are the token's hash: this run's tokens are its own.
        LOREBASE_REDIS_URL=f"redis://{gateway}:6379/0",
        LOREBASE_SECRET_KEY=secrets.token_urlsafe(48),
        LOREBASE_PUBLIC_BASE_URL=f"http://{edge.address}:{EDGE_PORT}",
        LOREBASE_LOG_FORMAT="json",
        LOREBASE_JOB_LEASE_SECONDS=str(LEASE_SECONDS),
        LOREBASE_RATE_LIMIT=f"{RATE_LIMIT}/{RATE_WINDOW} seconds",
        # Document360's 2 exports a day would stop the exporter at its third.
        LOREBASE_EXPORT_DAILY_LIMIT="0",
        LOREBASE_PROCESSES="1",
        FORWARDED_ALLOW_IPS=edge.address,
    )
    found = Cluster(network, folder, engine, s3, bucket, s3_endpoint, edge=edge, client=client)

    run_dir = Path(tempfile.mkdtemp(prefix=f"lorebase-nginx-{tag}-"))
    teardown.callback(shutil.rmtree, run_dir, ignore_errors=True)
    teardown.callback(_keep_nginx_log, run_dir, folder)
    # nginx's workers run as an unprivileged user: they must reach their temporary folders.
    run_dir.chmod(0o755)
    config = run_dir / "nginx.conf"
    config.write_text(
        cluster.nginx_config(
            (REPO / "deploy" / "nginx.conf").read_text(),
            api=[f"{h.address}:{API_PORT}" for h in api_hosts],
            listen=f"{edge.address}:{EDGE_PORT}",
            run_dir=run_dir,
        )
    )
    found.nginx_dir = run_dir
    error_log = run_dir / NGINX_ERRORS
    found.nginx = edge.start(
        [NGINX, "-p", str(run_dir), "-e", str(error_log), "-c", str(config), "-g", "daemon off;"],
        env=env,
        log=folder / "edge.log",
        cwd=run_dir,
    )
    teardown.callback(stop, found.nginx, 10)

    # All four at the same moment, on the empty database.
    started = time.monotonic()
    for host in api_hosts:
        args = ["serve", "--host", host.address, "--port", str(API_PORT), "--workers", "0"]
        data = ["--processes", "1", "--data-dir", str(folder / host.role)]
        process = host.start([*LOREBASE, *args, *data], env=env, log=found.log(host), cwd=REPO)
        teardown.callback(stop, process, 10)
        found.api.append((host, process))
    for host in worker_hosts:
        args = ["worker", "--data-dir", str(folder / host.role)]
        process = host.start([*LOREBASE, *args], env=env, log=found.log(host), cwd=REPO)
        teardown.callback(stop, process, 15)
        found.workers.append((host, process))
    for host, process in found.api:
        wait_until_ready(f"http://{host.address}:{API_PORT}/readyz", process, found.log(host))
    for host, process in found.workers:
        wait_for_line(found.log(host), WORKER_RUNNING, process, STARTUP_SECONDS)
    found.startup_seconds = time.monotonic() - started
    assert nginx_answers(found.base_url), tail(error_log)
    return found


def _close_network(network: Network) -> None:
    problems = network.close()
    assert not problems, f"the network was not removed: {problems}"


def _keep_nginx_log(run_dir: Path, folder: Path) -> None:
    """The run folder is outside pytest's (nginx's workers cannot enter that one): its error
    log, which tells which upstream connections were cut or refused, is kept beside the
    hosts' logs."""
    with contextlib.suppress(FileNotFoundError):
        shutil.copy(run_dir / NGINX_ERRORS, folder / NGINX_ERRORS)


def _drop_database(admin: Engine, name: str) -> None:
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def wait_until_ready(url: str, process: subprocess.Popen[str], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{log.name}: the host died:\n{tail(log)}"
        try:
            if httpx.get(url, timeout=2, trust_env=False).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} was not ready within {STARTUP_SECONDS:g} s:\n{tail(log)}")


def nginx_answers(base_url: str) -> bool:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2, trust_env=False).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    return False


def requests_served(address: str) -> Counter[tuple[str, str]]:
    """(route, status class) -> requests one API host has answered, from its /metrics."""
    body = httpx.get(f"http://{address}:{API_PORT}/metrics", timeout=5, trust_env=False).text
    counts: Counter[tuple[str, str]] = Counter()
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            if sample.name == "lorebase_http_requests_total":
                counts[(sample.labels["route"], sample.labels["status"])] += int(sample.value)
    return counts


@dataclass
class Faults:
    api_host: str = ""
    api_killed_at: float = 0.0
    worker_host: str = ""
    worker_killed_at: float = 0.0
    # The jobs the killed worker held when it died.
    held: list[str] = field(default_factory=list)


def kill_api_host(found: Cluster, faults: Faults) -> None:
    host, process = found.api[0]
    process.send_signal(signal.SIGKILL)
    faults.api_host, faults.api_killed_at = host.role, time.time()


def kill_worker_holding_a_job(found: Cluster, faults: Faults, give_up_at: float) -> None:
    """Freeze each worker in turn; kill the first one that holds an export or import (read
    from the database while it cannot change anything), so a job is sure to be cut."""
    while time.time() < give_up_at:
        for host, process in found.workers:
            with suspended(process.pid):
                # A commit the worker had sent before it froze still lands in the database.
                time.sleep(0.2)
                held = [
                    job
                    for job in found.jobs()
                    if job.status == queue.IN_PROGRESS
                    and f":{process.pid}:" in (job.lease_owner or "")
                ]
                if any(job.kind in ("export", "import") for job in held):
                    process.send_signal(signal.SIGKILL)
                    faults.worker_host, faults.worker_killed_at = host.role, time.time()
                    faults.held = [job.id for job in held]
                    return
            time.sleep(0.1)


def drain(found: Cluster) -> float:
    """Wait until no job is queued or running; how long that took."""
    started = time.monotonic()
    while time.monotonic() - started < DRAIN_SECONDS:
        if all(job.status not in (queue.QUEUED, queue.IN_PROGRESS) for job in found.jobs()):
            break
        time.sleep(0.5)
    return time.monotonic() - started


def import_rows(found: Cluster, markers: list[str]) -> dict[str, int]:
    """How many articles each import's marker title names (one per import that took effect)."""
    with Session(found.engine) as session:
        rows = session.execute(
            sql_select(ArticleTranslation.title, func.count())
            .where(ArticleTranslation.title.in_(markers))
            .group_by(ArticleTranslation.title)
        ).all()
    counted = {title: count for title, count in rows}
    return {marker: counted.get(marker, 0) for marker in markers}


def test_a_cluster_under_load_loses_nothing_when_an_api_host_and_a_worker_die(
    running: Cluster,
) -> None:
    found = running
    logs = {host.role: found.log(host) for host, _ in [*found.api, *found.workers]}

    # Started together on an empty database: exactly one host created the project.
    creators = [role for role, log in logs.items() if CREATED_PROJECT in log.read_text()]
    assert len(creators) == 1, f"hosts that created the project: {creators}"
    with Session(found.engine) as session:
        assert session.scalar(sql_select(func.count()).select_from(Project)) == 1

    # Document360's clients send the token in `api_token`: nginx must pass the underscore on.
    # nginx drops such header names unless told `underscores_in_headers on;` (formats.md §7).
    check_token, burst_token = found.issue_tokens("check", "burst")
    check = httpx.get(
        f"{found.base_url}/v2/ProjectVersions",
        headers={"api_token": check_token},
        timeout=10,
        trust_env=False,
    )
    assert check.status_code == 200, (
        f"nginx did not pass the api_token header on ({check.status_code} {check.text}): "
        "without `underscores_in_headers on;` it drops header names holding '_' "
        "(formats.md §7, deploy/nginx.conf)"
    )

    burst, burst_ok = burst_with_one_token(found, burst_token)
    assert burst["seconds"] < RATE_WINDOW, f"the burst outlasted one window: {burst}"
    assert not burst["crashed"] and not burst["transport_errors"], burst
    # Counted per host, two hosts would have let 2 x RATE_LIMIT through: all of the burst.
    assert burst["statuses"] == {
        "200": RATE_LIMIT,
        "429": BURST_REQUESTS - RATE_LIMIT,
    }, burst
    assert all(burst_ok.values()), f"one API host answered none of the burst: {burst_ok}"
    assert sum(burst_ok.values()) == RATE_LIMIT, burst_ok

    report, faults = load_with_faults(found)
    drain_seconds = drain(found)
    jobs = found.jobs()
    print(summary(found, burst, burst_ok, report, faults, jobs, drain_seconds))

    # The surviving hosts are still up.
    survivors = [found.api[1], *[w for w in found.workers if w[0].role != faults.worker_host]]
    for host, process in survivors:
        assert process.poll() is None, f"{host.role} died:\n{tail(found.log(host))}"
    assert found.nginx is not None and found.nginx.poll() is None

    # The client saw nothing go wrong but what the killed host cut.
    assert not report["crashed"], "\n".join(report["crashed"])
    assert not report["transport_errors"], report["transport_errors"]
    assert not report["unexpected"], report["unexpected"]
    cut, other_5xx = server_errors(report, faults)
    assert not other_5xx, f"5xx besides the requests cut on {faults.api_host}: {other_5xx}"
    assert len(cut) <= report["connections"], cut

    # No acknowledged write lost, and each client read its own writes wherever it landed.
    writes = report["writes"]
    assert len(writes) == WRITERS
    assert not [lost for w in writes for lost in w["lost"]], writes
    assert not report["stale_reads"], report["stale_reads"]
    assert sum(w["acknowledged_writes"] for w in writes) > WRITERS * 5, writes

    # Every job ended Completed; the killed worker's job was taken over and completed once.
    assert faults.worker_host, "no worker was found holding an export or import to kill"
    unfinished = [(j.kind, j.id, j.status, j.error) for j in jobs if j.status != queue.COMPLETED]
    assert not unfinished, unfinished
    by_id = {job.id: job for job in jobs}
    for job_id in faults.held:
        assert by_id[job_id].attempts == 2, (job_id, by_id[job_id].attempts)
    retried = [
        (j.kind, j.id, j.attempts) for j in jobs if j.attempts != 1 and j.id not in faults.held
    ]
    assert not retried, f"jobs run more than once without their worker dying: {retried}"

    # Each import took effect exactly once (an import run twice would add its rows twice).
    imports = report["imports"]
    assert any(i["status"] == "Completed" for i in imports), imports
    assert all(i["status"] in ("Completed", "in doubt") for i in imports), imports
    rows = import_rows(found, [i["marker"] for i in imports])
    for record in imports:
        expected = {1} if record["status"] == "Completed" else {0, 1}
        assert rows[record["marker"]] in expected, (record, rows[record["marker"]])

    # Every export is in S3 and downloads, straight from it, through its signed URL.
    exports = report["exports"]
    assert exports and all(e["status"] == "Completed" for e in exports), exports
    s3_address = urlsplit(found.s3_endpoint).netloc
    for record in [*(e["download"] for e in exports), *report["exports_verified"]]:
        assert record["ok"] and record["from"] == s3_address, record
    for job in jobs:
        if job.kind == "export":
            assert job.result_key
            found.s3.head_object(Bucket=found.bucket, Key=f"kb/{job.result_key}")


def burst_with_one_token(found: Cluster, token: str) -> tuple[dict[str, Any], dict[str, int]]:
    """The client host's burst through nginx: its report, and how many 200s each API host
    gave (their /metrics, read directly)."""
    before = {h.role: requests_served(h.address) for h, _ in found.api}
    config = {
        "base_url": found.base_url,
        "token": token,
        "requests": BURST_REQUESTS,
        "connections": BURST_CONNECTIONS,
    }
    burst = found.client_report("burst", found.run_client("burst", config), timeout=60)
    after = {h.role: requests_served(h.address) for h, _ in found.api}
    served = {role: after[role] - before[role] for role in after}
    return burst, {role: c[("/v2/ProjectVersions", "2xx")] for role, c in served.items()}


def load_with_faults(found: Cluster) -> tuple[dict[str, Any], Faults]:
    """The client host's load; a third of the way in an API host is killed, half way a worker
    that holds a job. The client's report, once it has read everything back."""
    writer_tokens = found.issue_tokens(*(f"writer {n}" for n in range(WRITERS)))
    export_token, import_token = found.issue_tokens("exporter", "importer")
    config = {
        "base_url": found.base_url,
        "writer_tokens": writer_tokens,
        "export_token": export_token,
        "import_token": import_token,
        "rate_per_client": RATE_PER_CLIENT,
        "seconds": LOAD_SECONDS,
        "seed": 16,
        "import_prefix": f"cluster-import-{found.network.tag}",
    }
    client = found.run_client("load", config)
    assert client.stdout is not None
    ready, _, _ = select.select([client.stdout], [], [], 60)
    line = client.stdout.readline() if ready else ""
    assert line.startswith("started "), tail(found.folder / "client-load.log")
    started = float(line.split()[1])
    faults = Faults()
    time.sleep(max(0.0, started + LOAD_SECONDS / 3 - time.time()))
    kill_api_host(found, faults)
    time.sleep(max(0.0, started + LOAD_SECONDS / 2 - time.time()))
    kill_worker_holding_a_job(found, faults, give_up_at=started + LOAD_SECONDS - 2)
    return found.client_report("load", client, timeout=LOAD_SECONDS + 120), faults


def server_errors(report: dict[str, Any], faults: Faults) -> tuple[list[Any], list[Any]]:
    """The 5xx answers: those nginx gave for requests in flight on the killed API host (a 502,
    sent before it died, answered after), and any other."""
    cut, other = [], []
    for request in report["requests"]:
        _, status, sent, answered = request
        if status < 500:
            continue
        in_flight = (
            sent <= faults.api_killed_at + CUT_GRACE_SECONDS and answered >= faults.api_killed_at
        )
        (cut if status == 502 and in_flight else other).append(request)
    return cut, other


def summary(
    found: Cluster,
    burst: dict[str, Any],
    burst_ok: dict[str, int],
    report: dict[str, Any],
    faults: Faults,
    jobs: list[Job],
    drain_seconds: float,
) -> str:
    started = report["started"]
    by_kind: dict[str, Counter[int]] = defaultdict(Counter)
    latency: dict[str, list[float]] = defaultdict(list)
    for kind, status, sent, answered in report["requests"]:
        by_kind[kind][status] += 1
        latency[kind].append(answered - sent)
    cut, other = server_errors(report, faults)
    in_flight = [r for r in report["requests"] if r[2] <= faults.api_killed_at <= r[3]]
    assert found.nginx_dir is not None
    nginx_lines = (found.nginx_dir / NGINX_ERRORS).read_text().splitlines()
    upstream_faults = {
        fault: sum(fault in line for line in nginx_lines) for fault in NGINX_UPSTREAM_FAULTS
    }
    lines = [
        "",
        f"cluster {found.network.tag} on {found.network.subnet}: "
        f"4 hosts up in {found.startup_seconds:.1f} s",
        f"burst: {BURST_REQUESTS} requests in {burst['seconds']:.2f} s -> {burst['statuses']}, "
        f"200s per API host {burst_ok} (limit {RATE_LIMIT}/{RATE_WINDOW} s)",
        f"load: {len(report['requests'])} requests in {report['ended'] - started:.1f} s "
        f"from {report['connections']} connections",
    ]
    for kind in sorted(by_kind):
        times = sorted(latency[kind])
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(by_kind[kind].items()))
        lines.append(
            f"  {kind:<20} {sum(by_kind[kind].values()):>6}  "
            f"p50 {1000 * times[len(times) // 2]:7.1f} ms  "
            f"p95 {1000 * times[int(len(times) * 0.95)]:7.1f} ms  [{statuses}]"
        )
    lines += [
        f"{faults.api_host} killed at +{faults.api_killed_at - started:.1f} s: "
        f"{len(in_flight)} requests in flight, {len(cut)} cut (502), other 5xx: {len(other)}; "
        f"nginx's error log: {upstream_faults}",
        f"{faults.worker_host} killed at +{faults.worker_killed_at - started:.1f} s "
        f"holding {faults.held}",
    ]
    writes = report["writes"]
    lines.append(
        f"writes: {sum(w['acknowledged_writes'] for w in writes)} acknowledged on "
        f"{sum(w['articles'] for w in writes)} articles, "
        f"{sum(w['writes_in_doubt'] for w in writes)} in doubt, "
        f"{sum(len(w['lost']) for w in writes)} lost"
    )
    kinds = Counter((j.kind, j.status, j.attempts) for j in jobs)
    lines.append(
        "jobs: "
        + ", ".join(f"{k} {s} x{a}: {n}" for (k, s, a), n in sorted(kinds.items()))
        + f" (queue drained {drain_seconds:.1f} s after the load)"
    )
    for job_id in faults.held:
        job = next(j for j in jobs if j.id == job_id)
        if job.finished_at is not None:
            done = job.finished_at.timestamp() - faults.worker_killed_at
            lines.append(f"  {job.kind} {job.id} completed {done:.1f} s after its worker died")
    exports = report["exports"]
    lines.append(
        f"exports: {len(exports)}, "
        f"{sum(e.get('download', {}).get('ok', False) for e in exports)} downloaded from S3, "
        f"{sum(e['ok'] for e in report['exports_verified'])} again at the end; "
        f"imports: {Counter(i['status'] for i in report['imports'])}"
    )
    return "\n".join(lines)
