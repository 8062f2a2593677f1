"""Cached reader pages answered before routing.

A public page the reader site has rendered is kept here under its address, with the
content stamps of its project's workspaces it was rendered at. A request for the same address
is answered from here when those stamps (one indexed read, on every request, so a write on any
server process is seen at once) have not moved and the workspace is still public: no route
matching over the API's hundred-odd templates, no thread hop, no session. Anything else, and
every first request, goes through the reader's routes, which fill this cache.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import bindparam, select
from starlette.types import ASGIApp, Receive, Scope, Send

from lorebase.db.engine import lookup_rows
from lorebase.db.models import Project, ProjectVersion
from lorebase.runtime import Runtime

# Every workspace of the page's project: a page links to the others (the workspace switcher
# keeps the article when it exists there), so a write to any of them may change it.
_STAMPS = (
    select(
        ProjectVersion.id,
        ProjectVersion.content_stamp,
        ProjectVersion.is_public,
        Project.is_private,
    )
    .join(Project, Project.id == ProjectVersion.project_id)
    .where(ProjectVersion.project_id == bindparam("project_id"))
)


class _Answer(Protocol):
    @property
    def body(self) -> bytes: ...


Kept = TypeVar("Kept", bound=_Answer)


Stamps = tuple[tuple[str, int], ...]


def project_stamps(workspaces: Iterable[tuple[str, int]]) -> Stamps:
    """The content stamps of a project's workspaces, by id: what a kept page was drawn at."""
    return tuple(sorted(workspaces))


@dataclass(frozen=True)
class KeptPage:
    project_id: str
    workspace_id: str
    stamps: Stamps
    etag: str
    modified: int | None  # Last-Modified, in seconds since the epoch
    headers: list[tuple[bytes, bytes]]  # the headers of a 304 (the type and length are not)
    content_type: bytes
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


class SharedReads:
    """A read of the project's stamps shared by the requests that wait for it.

    A request may use a read that started after it arrived: that read sees every write
    committed before the request was sent, on any process (read-your-writes holds). So a
    request arriving while a read is under way waits for the next one, which starts as soon as
    the current one ends, together with every request that arrived meanwhile; with nothing
    under way, a read starts at once. Under load one query answers a whole batch of requests,
    and the event loop never waits for the database (the read runs in a worker thread)."""

    def __init__(self, read: Callable[[str], list[Any]]) -> None:
        self.read = read
        # By event loop too: a future belongs to the loop that made it (one per server
        # process, but a test may drive one app from several).
        self._next: dict[tuple[asyncio.AbstractEventLoop, str], asyncio.Future[list[Any]]] = {}
        self._running: set[tuple[asyncio.AbstractEventLoop, str]] = set()

    async def rows(self, project_id: str) -> list[Any]:
        key = (asyncio.get_running_loop(), project_id)
        waiting = self._next.get(key)
        if waiting is None:
            waiting = self._next[key] = key[0].create_future()
            if key not in self._running:
                self._start(key)
        return await asyncio.shield(waiting)

    def _start(self, key: tuple[asyncio.AbstractEventLoop, str]) -> None:
        promised = self._next.pop(key)
        self._running.add(key)
        reading = key[0].run_in_executor(None, self.read, key[1])
        reading.add_done_callback(lambda done: self._finish(key, promised, done))

    def _finish(
        self,
        key: tuple[asyncio.AbstractEventLoop, str],
        promised: asyncio.Future[list[Any]],
        done: asyncio.Future[list[Any]],
    ) -> None:
        self._running.discard(key)
        error = done.exception()
        if error is not None:
            promised.set_exception(error)
        else:
            promised.set_result(done.result())
        if key in self._next:
            self._start(key)


class ReaderFastPath:
    """ASGI middleware: GET and HEAD of a kept page, answered while its stamp holds."""

    def __init__(self, app: ASGIApp, runtime: Runtime, pages: KeptPages[KeptPage]) -> None:
        self.app = app
        self.runtime = runtime
        self.pages = pages
        self.stamps = SharedReads(self._read_stamps)
        # SQLite answers in-process in tens of microseconds: less than a thread hand-off, so
        # each request reads for itself, in the event loop.
        self.inline = runtime.lookup_engine.dialect.name == "sqlite"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        key = (scope["path"], scope["query_string"])
        page = self.pages.get(key)
        if page is None or not self._current(page, await self._stamps(page.project_id)):
            await self.app(scope, receive, send)
            return
        if _unchanged(scope, page):
            await send({"type": "http.response.start", "status": 304, "headers": page.headers})
            await send({"type": "http.response.body", "body": b""})
            return
        headers = [
            *page.headers,
            (b"content-type", page.content_type),
            (b"content-length", str(len(page.body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        body = b"" if scope["method"] == "HEAD" else page.body
        await send({"type": "http.response.body", "body": body})

    async def _stamps(self, project_id: str) -> list[Any]:
        if self.inline:
            return self._read_stamps(project_id)
        return await self.stamps.rows(project_id)

    def _read_stamps(self, project_id: str) -> list[Any]:
        return list(lookup_rows(self.runtime.lookup_engine, _STAMPS, {"project_id": project_id}))

    @staticmethod
    def _current(page: KeptPage, rows: list[Any]) -> bool:
        if project_stamps((r.id, r.content_stamp) for r in rows) != page.stamps:
            return False
        return any(r.id == page.workspace_id and r.is_public and not r.is_private for r in rows)


def _unchanged(scope: Scope, page: KeptPage) -> bool:
    if_none_match = if_modified_since = None
    for name, value in scope["headers"]:
        if name == b"if-none-match":
            if_none_match = value.decode("latin-1")
        elif name == b"if-modified-since":
            if_modified_since = value.decode("latin-1")
    if if_none_match is None and if_modified_since is None:
        return False
    return not_modified(if_none_match, if_modified_since, page.etag, page.modified)


def not_modified(
    if_none_match: str | None, if_modified_since: str | None, etag: str, modified: int | None
) -> bool:
    """Whether the reader has the page already (RFC 9110 §13.2.2): its If-None-Match names
    the ETag; or, only when it sent no If-None-Match, the page has not changed since its
    If-Modified-Since (to the second; a date that does not parse is ignored)."""
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return etag in tags or "*" in tags
    if if_modified_since is None or modified is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError, IndexError, OverflowError):
        return False
    if since.tzinfo is None:  # asctime's form has no zone: it is GMT
        since = since.replace(tzinfo=UTC)
    return modified <= int(since.timestamp())
