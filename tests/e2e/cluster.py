"""Machines for the cluster test (tests/e2e/test_cluster.py), made on this one: a network
namespace per host, all joined to one bridge in the root namespace on a random private /24,
and a TCP forwarder that lets the hosts reach the machine's PostgreSQL and Redis (which listen
on loopback only) at the bridge's address. Needs root and iproute2's `ip`."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import random
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The bridge's own address on the subnet: where the hosts find PostgreSQL, Redis and S3.
GATEWAY = 1


def ip(*args: str) -> str:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def free_subnet() -> ipaddress.IPv4Network:
    """A random 10.x.y.0/24 that no address or route of this machine overlaps: two runs at
    once (a session's and a clean-clone CI's) each get their own."""
    taken = []
    for line in ip("-4", "-o", "addr", "show").splitlines():
        taken.append(ipaddress.ip_interface(line.split()[3]).network)
    for line in ip("-4", "route", "show", "table", "all").splitlines():
        destination = line.split()[0]
        with contextlib.suppress(ValueError):
            taken.append(ipaddress.ip_network(destination, strict=False))
    for _ in range(100):
        subnet = ipaddress.ip_network(f"10.{random.randint(64, 254)}.{random.randint(0, 255)}.0/24")
        if not any(subnet.overlaps(other) for other in taken if other.prefixlen > 0):
            return subnet
    raise RuntimeError("no free 10.x.y.0/24 subnet found")


@dataclass
class Host:
    """A network namespace with one interface (eth0) on the bridge."""

    role: str
    namespace: str
    address: str
    processes: list[subprocess.Popen[str]] = field(default_factory=list)

    def start(
        self,
        args: list[str],
        *,
        env: dict[str, str],
        log: Path,
        cwd: Path,
        stdout_pipe: bool = False,
    ) -> subprocess.Popen[str]:
        """Start `args` in this host's namespace, its output into `log` (stdout into a pipe
        instead with `stdout_pipe`). `ip netns exec` execs the command itself, so the
        process's pid is the command's: signals reach it directly."""
        with open(log, "ab") as out:
            process = subprocess.Popen(
                ["ip", "netns", "exec", self.namespace, *args],
                stdout=subprocess.PIPE if stdout_pipe else out,
                stderr=out,
                env=env,
                cwd=cwd,
                text=True,
            )
        self.processes.append(process)
        return process


class Network:
    """A bridge in the root namespace and the hosts' namespaces on it; `close` removes all of
    it, ending first whatever still runs in the namespaces."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.subnet = free_subnet()
        self.bridge = f"lbr{tag}"
        self.gateway = str(self.subnet[GATEWAY])
        self.hosts: list[Host] = []
        ip("link", "add", "name", self.bridge, "type", "bridge")
        try:
            ip("addr", "add", f"{self.gateway}/{self.subnet.prefixlen}", "dev", self.bridge)
            ip("link", "set", self.bridge, "up")
        except RuntimeError:
            ip("link", "del", self.bridge)
            raise

    def add_host(self, role: str, number: int) -> Host:
        """A namespace named after the role, at the subnet's address `number`."""
        host = Host(role, f"lorebase-{self.tag}-{role}", str(self.subnet[number]))
        # Interface names are at most 15 characters: lv + 6-character tag + host number.
        outside = f"lv{self.tag}{len(self.hosts)}"
        ip("netns", "add", host.namespace)
        self.hosts.append(host)
        ip("link", "add", outside, "type", "veth", "peer", "name", "eth0", "netns", host.namespace)
        ip("link", "set", outside, "master", self.bridge, "up")
        inside = ["netns", "exec", host.namespace, "ip"]
        ip(*inside, "addr", "add", f"{host.address}/{self.subnet.prefixlen}", "dev", "eth0")
        ip(*inside, "link", "set", "eth0", "up")
        ip(*inside, "link", "set", "lo", "up")
        return host

    def close(self) -> list[str]:
        """Tear everything down; returns what could not be removed (nothing, normally)."""
        problems: list[str] = []
        for host in self.hosts:
            for process in host.processes:
                stop(process, grace=0)
            # Grandchildren (nginx's workers) are ours too: only processes in our namespaces.
            with contextlib.suppress(RuntimeError):
                for pid in ip("netns", "pids", host.namespace).split():
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(int(pid), signal.SIGKILL)
            try:
                ip("netns", "del", host.namespace)  # the veth pair goes with it
            except RuntimeError as error:
                problems.append(str(error))
        try:
            ip("link", "del", self.bridge)
        except RuntimeError as error:
            problems.append(str(error))
        return problems


def stop(process: subprocess.Popen[Any], grace: float) -> None:
    """Ask the process to end (SIGTERM), then kill it after `grace` seconds (at once for 0)."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM if grace > 0 else signal.SIGKILL)
    try:
        process.wait(timeout=grace or 5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


class TcpForwarder:
    """Listens on the bridge's address and pipes each connection to a service on loopback.

    A connection closed on one side is closed on the other at once: PostgreSQL must see a
    killed host's connections end, so that their transactions roll back and their locks go.
    """

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="tcp-forwarder")
        self.thread.start()
        self.servers: list[asyncio.Server] = []
        self.writers: set[asyncio.StreamWriter] = set()

    def add(self, listen: tuple[str, int], target: tuple[str, int]) -> None:
        started = asyncio.run_coroutine_threadsafe(self._serve(listen, target), self.loop)
        self.servers.append(started.result(timeout=10))

    async def _serve(self, listen: tuple[str, int], target: tuple[str, int]) -> asyncio.Server:
        async def connected(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.writers.add(writer)
            try:
                up_reader, up_writer = await asyncio.open_connection(*target)
            except OSError:
                writer.close()
                self.writers.discard(writer)
                return
            self.writers.add(up_writer)
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
            self.writers.difference_update((writer, up_writer))

        return await asyncio.start_server(connected, *listen)

    def close(self) -> None:
        async def shut() -> None:
            for server in self.servers:
                server.close()
            for writer in list(self.writers):
                writer.close()

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(shut(), self.loop).result(timeout=10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


def nginx_config(template: str, *, api: list[str], listen: str, run_dir: Path) -> str:
    """deploy/nginx.conf with its placeholders filled, as an operator fills them."""
    filled = (
        template.replace("@API_1@", api[0])
        .replace("@API_2@", api[1])
        .replace("@LISTEN@", listen)
        .replace("@RUN_DIR@", str(run_dir))
    )
    left = re.findall(r"@[A-Z0-9_]+@", filled)
    assert not left, f"placeholders of deploy/nginx.conf not filled: {left}"
    return filled


def wait_for_line(path: Path, text: str, process: subprocess.Popen[Any], timeout: float) -> None:
    """Wait until `text` appears in the log at `path`; fail if the process ends first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in path.read_text(errors="replace"):
            return
        if process.poll() is not None:
            raise AssertionError(f"{path.name}: the process ended:\n{tail(path)}")
        time.sleep(0.1)
    raise AssertionError(f"{path.name}: no {text!r} within {timeout:g} s:\n{tail(path)}")


def tail(path: Path, size: int = 4000) -> str:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return "(no log)"
    return text[-size:]


@contextlib.contextmanager
def suspended(pid: int) -> Iterator[None]:
    """The process is frozen (SIGSTOP) for the block, then resumed unless it was killed in it."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGCONT)
