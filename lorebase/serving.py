"""How `lorebase serve` runs uvicorn: its HTTP/1.1 protocol (h11) with a deadline for a
request's head, and several server processes on one port.

uvicorn times out a keep-alive connection that stays idle after a response, and nothing else: a
client that connects and sends nothing, or sends half of a request's head and stalls
(slowloris), keeps its connection, and enough of them exhaust the server's file descriptors.
Here the head of every request — a new connection's first, or the next one on a kept-alive
connection once its first byte arrives — must be complete within `head_timeout` seconds;
otherwise the server answers 408 and closes the connection. (Bodies have their own deadline
between chunks: lorebase.api.limits.BodyLimits.)
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import socket
import threading
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

_REQUEST_TIMEOUT = (
    b"HTTP/1.1 408 Request Timeout\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"connection: close\r\n"
    b"content-length: 41\r\n"
    b"\r\n"
    b"The request head did not arrive in time.\n"
)


class HeadTimeoutProtocol(H11Protocol):
    # Read at import, in every server process: `lorebase serve` sets it from the settings.
    head_timeout: float = float(os.environ.get("LOREBASE_CLIENT_TIMEOUT") or 30.0)
    _head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE:
            self._arm()  # waiting for (the rest of) a head: the clock runs from its first byte
        else:
            self._disarm()  # the head is in; the body and the response take their own time

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # An idle kept-alive connection is uvicorn's keep-alive timeout's to close; this
        # deadline starts again with the next request's first byte (data_received).
        self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._head_deadline is None:
            self._head_deadline = self.loop.call_later(self.head_timeout, self._head_too_slow)

    def _disarm(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_too_slow(self) -> None:
        self._head_deadline = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        # h11 has no response to send before a request: the 408 is written as it is.
        self.transport.write(_REQUEST_TIMEOUT)
        self.transport.close()


# --- several processes on one port ---------------------------------------------------------

log = logging.getLogger("lorebase.serving")


def uvicorn_config(app: str, *, factory: bool = False) -> dict[str, Any]:
    """How `lorebase serve` runs uvicorn (the benchmarks' bare ASGI baseline runs the same)."""
    return {
        "app": app,
        "factory": factory,
        "log_level": "warning",
        "timeout_keep_alive": 5,
        # An import path, not a class: each process imports it (it reads the deadline from
        # LOREBASE_CLIENT_TIMEOUT, which `lorebase serve` sets).
        "http": "lorebase.serving:HeadTimeoutProtocol",
    }


def listening_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket with SO_REUSEPORT: each server process gets one of its own on the
    same port, and the kernel spreads new connections across them by their addresses.

    One socket shared by every process (uvicorn's `--workers`) let the process that woke
    first accept a whole burst of connections: 16 keep-alive clients all landed on one
    process, the other idle (measured with bench/processes.py). The protocol is named
    (IPPROTO_TCP) so that asyncio sets TCP_NODELAY on its connections; uvicorn's own socket,
    protocol 0, kept Nagle's algorithm and made every response wait 40 ms for a delayed ACK.
    """
    family, kind, proto, _name, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
    )[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _serve_one(sock: socket.socket, config: dict[str, Any]) -> None:
    uvicorn.Server(uvicorn.Config(**config)).run(sockets=[sock])


def serve_processes(count: int, host: str, port: int, config: dict[str, Any]) -> None:
    """Run `count` uvicorn servers of `config`, each in a process of its own with its own
    listening socket on `host:port`, until SIGTERM or SIGINT; a process that dies is started
    again on the same socket (connections the kernel gave that socket meanwhile wait in its
    queue)."""
    sockets = [listening_socket(host, port) for _ in range(count)]
    spawn = multiprocessing.get_context("spawn")
    stopping = threading.Event()

    def start(index: int) -> multiprocessing.process.BaseProcess:
        process = spawn.Process(
            target=_serve_one, args=(sockets[index], config), name=f"lorebase-serve-{index}"
        )
        process.start()
        return process

    def stop(_signum: int, _frame: object) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    processes = [start(index) for index in range(count)]
    while not stopping.wait(0.5):
        for index, process in enumerate(processes):
            if not process.is_alive():
                log.warning(
                    "server process %s exited (%s): starting it again",
                    process.pid,
                    process.exitcode,
                )
                processes[index] = start(index)
    # uvicorn finishes the requests in flight on SIGTERM.
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=30)
        if process.is_alive():
            process.kill()
            process.join()
