"""Cached reader pages answered before routing.

A public page the reader site has rendered is kept here under its address, with the
workspace and content stamp it was rendered at. A request for the same address is answered
from here when the workspace's stamp (one indexed row, read on every request, so a write on
any server process is seen at once) has not moved and the project is still public: no route
matching over the API's hundred-odd templates, no thread hop, no session. Anything else, and
every first request, goes through the reader's routes, which fill this cache.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from sqlalchemy import bindparam, select
from starlette.types import ASGIApp, Receive, Scope, Send

from lorebase.db.engine import lookup
from lorebase.db.models import Project, ProjectVersion
from lorebase.runtime import Runtime

_STAMP = (
    select(ProjectVersion.content_stamp, ProjectVersion.is_public, Project.is_private)
    .join(Project, Project.id == ProjectVersion.project_id)
    .where(ProjectVersion.id == bindparam("workspace_id"))
)


class _Answer(Protocol):
    @property
    def body(self) -> bytes: ...


Kept = TypeVar("Kept", bound=_Answer)


@dataclass(frozen=True)
class KeptPage:
    workspace_id: str
    stamp: int
    etag: bytes
    headers: list[tuple[bytes, bytes]]  # every header but the length
    body: bytes


class KeptPages(Generic[Kept]):
    """Answers by (path, query string); the oldest go first beyond `size` answers or
    `max_bytes` of bodies."""

    def __init__(self, size: int, max_bytes: int = 64 << 20) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self._pages: dict[tuple[str, bytes], Kept] = {}
        self._bytes = 0
        self._lock = threading.Lock()  # puts come from the thread pool

    def get(self, key: tuple[str, bytes]) -> Kept | None:
        return self._pages.get(key)

    def put(self, key: tuple[str, bytes], page: Kept) -> None:
        # dicts keep insertion order: dropping the first key drops the oldest entry. A page
        # read often is put again after each write, so it stays near the end.
        with self._lock:
            self._drop(key)
            self._pages[key] = page
            self._bytes += len(page.body)
            while len(self._pages) > self.size or self._bytes > self.max_bytes:
                self._drop(next(iter(self._pages)))

    def _drop(self, key: tuple[str, bytes]) -> None:
        gone = self._pages.pop(key, None)
        if gone is not None:
            self._bytes -= len(gone.body)


class ReaderFastPath:
    """ASGI middleware: GET and HEAD of a kept page, answered while its stamp holds."""

    def __init__(self, app: ASGIApp, runtime: Runtime, pages: KeptPages[KeptPage]) -> None:
        self.app = app
        self.runtime = runtime
        self.pages = pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        key = (scope["path"], scope["query_string"])
        page = self.pages.get(key)
        if page is None or not self._current(page):
            await self.app(scope, receive, send)
            return
        if _has_it(scope, page.etag):
            await send({"type": "http.response.start", "status": 304, "headers": page.headers})
            await send({"type": "http.response.body", "body": b""})
            return
        length = (b"content-length", str(len(page.body)).encode())
        await send(
            {"type": "http.response.start", "status": 200, "headers": [*page.headers, length]}
        )
        body = b"" if scope["method"] == "HEAD" else page.body
        await send({"type": "http.response.body", "body": body})

    def _current(self, page: KeptPage) -> bool:
        row = lookup(self.runtime.lookup_engine, _STAMP, {"workspace_id": page.workspace_id})
        return (
            row is not None
            and row.content_stamp == page.stamp
            and bool(row.is_public)
            and not row.is_private
        )


def _has_it(scope: Scope, etag: bytes) -> bool:
    for name, value in scope["headers"]:
        if name == b"if-none-match":
            tags = {t.strip().removeprefix(b"W/") for t in value.split(b",")}
            return etag in tags or b"*" in tags
    return False
