"""uvicorn's HTTP/1.1 protocol (h11) with a deadline for a request's head.

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
import contextlib
import os
import socket

import h11
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
        _no_delay(transport)
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


def _no_delay(transport: asyncio.Transport) -> None:
    """Send each write at once (TCP_NODELAY). asyncio sets it only on sockets whose `proto` is
    IPPROTO_TCP; the listening socket uvicorn binds itself for `--workers N` (our
    `--processes`) has proto 0, so its connections kept Nagle's algorithm: a response written
    as head then body waited for the client's delayed ACK, 40 ms per request (measured with
    bench/processes.py: 87 against 814 requests a second)."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
