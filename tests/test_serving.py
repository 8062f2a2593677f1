"""lorebase.serving.listening_socket: one socket per server process on the same port
(SO_REUSEPORT), whose connections send at once (TCP_NODELAY)."""

from __future__ import annotations

import asyncio
import socket
from concurrent.futures import ThreadPoolExecutor

from lorebase.serving import listening_socket


def test_each_process_gets_its_own_socket_on_one_port_and_connections_send_at_once() -> None:
    first = listening_socket("127.0.0.1", 0)
    port = first.getsockname()[1]
    second = listening_socket("127.0.0.1", port)  # a second process's: the same port
    try:
        assert second.getsockname() == first.getsockname()
        for sock in (first, second):
            assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT)

        async def nodelay_of_a_connection() -> int:
            found: asyncio.Future[int] = asyncio.get_running_loop().create_future()

            class Probe(asyncio.Protocol):
                def connection_made(self, transport: asyncio.BaseTransport) -> None:
                    sock = transport.get_extra_info("socket")
                    found.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                    transport.close()

            # As uvicorn serves a socket it is given. Only `first` is served, so connect
            # until the kernel hands a connection to it (it spreads them over both).
            server = await asyncio.get_running_loop().create_server(Probe, sock=first)
            try:
                while not found.done():
                    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    await asyncio.sleep(0.01)
                    writer.close()
                return await asyncio.wait_for(found, 10)
            finally:
                server.close()

        # asyncio sets TCP_NODELAY only when the socket's protocol is IPPROTO_TCP; without it
        # every response waited 40 ms for the client's delayed ACK.
        # In a thread of its own: an earlier test of the session may leave a loop running in
        # this one (Playwright's sync API does), and asyncio.run refuses to nest.
        with ThreadPoolExecutor(1) as thread:
            assert thread.submit(asyncio.run, nodelay_of_a_connection()).result(30) != 0
    finally:
        first.close()
        second.close()
