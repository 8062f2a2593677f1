"""The baseline of the /health benchmark: the least an ASGI app can do for the same answer.

`python -m bench.bare PORT` serves it with uvicorn configured as `lorebase serve` configures
it (one process, the same HTTP protocol class), so /health measured against it shows what
Lorebase adds to each request: its middlewares and its routing."""

from __future__ import annotations

import sys
from typing import Any

import orjson
import uvicorn

from lorebase import __version__
from lorebase.serving import uvicorn_config

BODY = orjson.dumps({"status": "ok", "version": __version__})
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await receive()  # lifespan.startup
        await send({"type": "lifespan.startup.complete"})
        await receive()  # lifespan.shutdown
        await send({"type": "lifespan.shutdown.complete"})
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})


if __name__ == "__main__":
    uvicorn.run(host="127.0.0.1", port=int(sys.argv[1]), **uvicorn_config("bench.bare:app"))
