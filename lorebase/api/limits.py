"""Refuse oversize and over-deep JSON bodies before any route parses them."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lorebase.api.v2.envelope import error_body
from lorebase.api.v3.envelope import PROBLEM_MEDIA_TYPE, problem_body
from lorebase.api.wire import dumps


def inspect_json(value: Any) -> tuple[int, bool]:
    """(nesting depth, whether any key or string holds a NUL character), in one walk,
    iteratively so that hostile nesting cannot exhaust the stack."""
    deepest, has_nul, stack = 0, False, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            deepest = max(deepest, depth)
            has_nul = has_nul or any("\x00" in key for key in item)
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1) for v in item)
        elif isinstance(item, str) and "\x00" in item:
            has_nul = True
    return deepest, has_nul


# The official document declares `text/json` (and no Content-Type at all is what hand-written
# curl calls send) beside application/json; FastAPI only parses application/json and
# application/*+json, so these bodies are relabelled once they are known to be JSON.
JSON_ALIASES = (b"text/json", b"")


def _with_json_content_type(scope: Scope) -> list[tuple[bytes, bytes]]:
    kept = [(k, v) for k, v in scope.get("headers") or [] if k.lower() != b"content-type"]
    return [*kept, (b"content-type", b"application/json")]


# Document360's cap for one Drive file (api-reference.md §6).
DRIVE_UPLOAD_BYTES = 40 * 1024 * 1024


# The two refusals below are raised while a route's body is being read. They are HTTP
# exceptions so that FastAPI lets them through: it turns any other exception raised while it
# parses a form into "There was an error parsing the body".


class UploadTooLarge(HTTPException):
    """A streamed multipart upload went past its cap; shaped by the error handlers."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The upload exceeds {limit} bytes.")
        self.limit = limit


class BodyTooSlow(HTTPException):
    """No piece of a request body arrived for `seconds`; shaped by the error handlers."""

    def __init__(self, seconds: float) -> None:
        detail = f"The request body stopped arriving: nothing came for {seconds:g} seconds."
        super().__init__(408, detail)
        self.seconds = seconds


# A 408 ends the connection: the rest of the body may still be on its way.
CLOSE = [(b"connection", b"close")]


class BodyLimits:
    """JSON bodies are read whole (they are small) and checked before any route sees them;
    multipart uploads (Drive files, import ZIPs) stream through to the route, counted
    against `max_upload_bytes` as they arrive, so a large file never sits in memory. Each
    piece of a body must arrive within `client_timeout` seconds of the one before (a client
    that stalls half-way would otherwise hold its request open for ever)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        max_depth: int,
        max_upload_bytes: int,
        client_timeout: float,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_depth = max_depth
        self.max_upload_bytes = max_upload_bytes
        self.client_timeout = client_timeout

    async def _next_piece(self, receive: Receive) -> Message:
        try:
            return await asyncio.wait_for(receive(), self.client_timeout)
        except TimeoutError:
            raise BodyTooSlow(self.client_timeout) from None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        if headers.get(b"content-type", b"").lower().startswith(b"multipart/form-data"):
            await self._stream_upload(scope, receive, send, headers)
            return
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, send, f"The request body exceeds {self.max_bytes} bytes.")
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            try:
                message = await self._next_piece(receive)
            except BodyTooSlow as slow:
                await send_error(scope, send, 408, slow.detail, CLOSE)
                return
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(scope, send, f"The request body exceeds {self.max_bytes} bytes.")
                return
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        if not body.strip():
            body = b""  # whitespace alone is no body, as ASP.NET reads it
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if body and (content_type.endswith(b"json") or not content_type):
            problem = self._json_problem(body)
            if problem:
                await self._refuse(scope, send, problem)
                return
            if content_type in JSON_ALIASES:
                scope = {**scope, "headers": _with_json_content_type(scope)}
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _stream_upload(
        self, scope: Scope, receive: Receive, send: Send, headers: dict[bytes, bytes]
    ) -> None:
        limit = self.max_upload_bytes
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, send, f"The upload exceeds {limit} bytes.")
            return
        size = 0

        async def counted() -> Message:
            nonlocal size
            message = await self._next_piece(receive)
            size += len(message.get("body", b""))
            if size > limit:
                raise UploadTooLarge(limit)
            return message

        await self.app(scope, counted, send)

    def _json_problem(self, body: bytes) -> str | None:
        """Why a body that claims to be JSON cannot be used, in words a client can act on."""
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError as error:
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as bad:
                return (
                    f"The request body is not valid UTF-8: byte 0x{body[bad.start]:02x} at "
                    f"offset {bad.start}. Send JSON encoded as UTF-8."
                )
            return f"The request body is not valid JSON: {error}."
        depth, has_nul = inspect_json(parsed)
        if depth > self.max_depth:
            return f"The request body nests JSON deeper than {self.max_depth} levels."
        if has_nul:
            # PostgreSQL text cannot hold NUL; refusing it everywhere keeps both engines alike.
            return "The request body contains a NUL character (\\u0000), which text cannot hold."
        return None

    async def _refuse(self, scope: Scope, send: Send, description: str) -> None:
        await send_error(scope, send, 400, description)


async def send_error(
    scope: Scope,
    send: Send,
    status: int,
    description: str,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """An error answered by a middleware, before any route: in the API version's own shape
    (the v2 envelope, or a v3 problem), so that clients read it like the routes' errors."""
    path = str(scope.get("path", ""))
    if path.lower().startswith("/v3/"):
        payload, media_type = (
            dumps(problem_body(status, description, instance=path)),
            PROBLEM_MEDIA_TYPE,
        )
    else:
        payload, media_type = dumps(error_body(description, status)), "application/json"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", media_type.encode()),
                (b"content-length", str(len(payload)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
