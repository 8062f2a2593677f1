"""lorebase.serving: the connections of a listening socket bound as uvicorn binds it for
several processes get TCP_NODELAY (asyncio leaves it off there, and every response waited for
the client's delayed ACK)."""

from __future__ import annotations

import asyncio
import socket

from lorebase.serving import _no_delay


def test_connections_of_a_socket_bound_for_several_processes_send_at_once() -> None:
    async def scenario() -> tuple[int, int]:
        # As uvicorn's Config.bind_socket makes it: proto 0, which asyncio's own
        # TCP_NODELAY check does not recognise.
        listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        found: asyncio.Future[tuple[int, int]] = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                before = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
                _no_delay(transport)  # type: ignore[arg-type]
                after = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
                found.set_result((before, after))
                transport.close()

        server = await asyncio.get_running_loop().create_server(Probe, sock=listening)
        try:
            _reader, writer = await asyncio.open_connection(*listening.getsockname())
            result = await asyncio.wait_for(found, 10)
            writer.close()
            return result
        finally:
            server.close()

    before, after = asyncio.run(scenario())
    assert before == 0, "asyncio now sets TCP_NODELAY itself: _no_delay may go"
    assert after != 0
