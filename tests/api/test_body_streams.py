"""Bodies that arrive as a stream (multipart uploads, chunked): the cap on their size and the
answer to a client that stops sending reach the client in its API version's error shape, even
though they are raised while FastAPI parses the form (which turns other exceptions into "There
was an error parsing the body"). A FastAPI app of one upload route under Lorebase's own
BodyLimits and error handlers; the stalled body over a real socket is in
tests/e2e/test_server_faults.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any

import httpx
import pytest
from fastapi import FastAPI, File, UploadFile

from lorebase.api.limits import BodyLimits
from lorebase.api.v2 import errors as v2_errors
from lorebase.api.v3 import errors as v3_errors

UPLOAD_CAP = 64 * 1024
BOUNDARY = "lorebase-test"


def app(client_timeout: float) -> Any:
    api = FastAPI()
    v2_errors.install(api)
    v3_errors.install(api)

    for prefix in ("/v2", "/v3"):

        @api.post(f"{prefix}/upload")
        async def upload(files: Annotated[list[UploadFile], File()]) -> dict[str, int]:
            return {"files": len(files)}

    return BodyLimits(
        api,
        max_bytes=1024,
        max_depth=8,
        max_upload_bytes=UPLOAD_CAP,
        client_timeout=client_timeout,
    )


def multipart(size: int, *, stall_after: int | None = None) -> AsyncIterator[bytes]:
    """A one-file form, sent in pieces with no content-length (chunked); it stops sending
    (for ever) after `stall_after` bytes of the file."""

    async def pieces() -> AsyncIterator[bytes]:
        yield (
            f'--{BOUNDARY}\r\ncontent-disposition: form-data; name="files"; filename="a.bin"\r\n'
            "content-type: application/octet-stream\r\n\r\n"
        ).encode()
        sent = 0
        while sent < size:
            if stall_after is not None and sent >= stall_after:
                await asyncio.Event().wait()
            piece = min(8192, size - sent)
            sent += piece
            yield b"x" * piece
        yield f"\r\n--{BOUNDARY}--\r\n".encode()

    return pieces()


@pytest.fixture
def client() -> Iterator[Any]:
    yield lambda timeout: httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app(timeout)),
        base_url="http://test",
        headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"},
    )


async def _post(client: Any, timeout: float, path: str, body: AsyncIterator[bytes]) -> Any:
    async with client(timeout) as http:
        return await http.post(path, content=body)


def test_a_small_upload_passes(client: Any) -> None:
    response = asyncio.run(_post(client, 30, "/v2/upload", multipart(1000)))

    assert (response.status_code, response.json()) == (200, {"files": 1})


def test_an_upload_streamed_past_the_cap_is_refused_with_its_reason(client: Any) -> None:
    v2 = asyncio.run(_post(client, 30, "/v2/upload", multipart(UPLOAD_CAP * 2)))
    v3 = asyncio.run(_post(client, 30, "/v3/upload", multipart(UPLOAD_CAP * 2)))

    assert v2.status_code == 400
    assert v2.json()["errors"][0]["description"] == f"The upload exceeds {UPLOAD_CAP} bytes."
    assert v3.status_code == 413
    assert v3.json()["detail"] == f"The upload exceeds {UPLOAD_CAP} bytes."


def test_an_upload_that_stops_arriving_is_a_408_that_closes_the_connection(client: Any) -> None:
    v2 = asyncio.run(_post(client, 0.2, "/v2/upload", multipart(10_000, stall_after=4096)))
    v3 = asyncio.run(_post(client, 0.2, "/v3/upload", multipart(10_000, stall_after=4096)))

    detail = "The request body stopped arriving: nothing came for 0.2 seconds."
    assert (v2.status_code, v2.headers["connection"]) == (408, "close")
    assert v2.json()["errors"][0]["description"] == detail
    assert (v3.status_code, v3.headers["connection"]) == (408, "close")
    assert v3.json()["detail"] == detail
