"""Cached API reads answered before routing.

Integrations read the same articles and categories over and over. A read the API answered
from its response cache (`cached_read`) is kept here under its path and query string, with
the project, workspace and content stamp it was built at. The same GET is answered from here
after one indexed lookup that reads the caller's token and the workspace's stamp together:
no route matching over the API's templates, no thread hop, no session. The token is judged
exactly as the routes judge it (`tokens.caller_of`, every request, so a revocation applies at
once on every process); a token that may not GET, one of another project, one whose use is
due to be recorded, a moved stamp, or a body with media links (signed per request for private
projects) go through the routes as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lorebase.auth.tokens import TOKEN_COLUMNS, caller_of, hash_token
from lorebase.db.engine import lookup
from lorebase.db.models import ApiToken, ProjectVersion
from lorebase.runtime import Runtime
from lorebase.web.fastpath import KeptPages

ANSWERS_KEPT = 4096
ANSWER_BYTES_KEPT = 32 << 20
# In the scope of a request the fast path may keep: a list `cached_read` puts its offer in.
# A list, not a value: an inner middleware may hand the routes a copy of the scope.
OFFER = "lorebase.keep"
HEADERS = [(b"content-type", b"application/json")]

_TOKEN_AND_STAMP = (
    select(*TOKEN_COLUMNS, ProjectVersion.content_stamp)
    .join(ProjectVersion, ProjectVersion.project_id == ApiToken.project_id)
    .where(
        ApiToken.token_hash == bindparam("token_hash"),
        ProjectVersion.id == bindparam("workspace_id"),
    )
)


@dataclass(frozen=True)
class Offer:
    project_id: str
    workspace_id: str
    stamp: int
    route: Any  # the route that answered: /metrics counts the kept answers under it


@dataclass(frozen=True)
class KeptAnswer:
    offer: Offer
    body: bytes


def offer_to_keep(scope: Scope, project_id: str, workspace_id: str, stamp: int) -> None:
    """Called by a read whose answer depends only on its path, query string, the caller's
    project and the workspace's content at `stamp`."""
    offers = scope.get(OFFER)
    if offers is not None:
        offers.append(Offer(project_id, workspace_id, stamp, scope.get("route")))


class ApiFastPath:
    """ASGI middleware: a GET of /v2 answered from a kept answer while token and stamp hold."""

    def __init__(self, app: ASGIApp, runtime: Runtime, size: int = ANSWERS_KEPT) -> None:
        self.app = app
        self.runtime = runtime
        self.answers = KeptPages[KeptAnswer](size, ANSWER_BYTES_KEPT)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not scope["path"].startswith("/v2/")
        ):
            await self.app(scope, receive, send)
            return
        token = _raw_token(scope)
        if token is None:
            await self.app(scope, receive, send)
            return
        key = (scope["path"], scope["query_string"])
        kept = self.answers.get(key)
        if kept is not None and self._current(kept.offer, token):
            scope["route"] = kept.offer.route
            length = (b"content-length", str(len(kept.body)).encode())
            await send(
                {"type": "http.response.start", "status": 200, "headers": [*HEADERS, length]}
            )
            await send({"type": "http.response.body", "body": kept.body})
            return
        await self._answer_and_keep(scope, receive, send, key)

    async def _answer_and_keep(
        self, scope: Scope, receive: Receive, send: Send, key: tuple[str, bytes]
    ) -> None:
        offers: list[Offer] = []
        scope[OFFER] = offers
        status = 0
        chunks: list[bytes] = []
        whole = True

        async def watch(message: Message) -> None:
            nonlocal status, whole
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                whole = whole and not message.get("more_body", False)
            await send(message)

        await self.app(scope, receive, watch)
        if status != 200 or len(offers) != 1 or len(chunks) != 1 or not whole:
            return
        body = chunks[0]
        # Media links are signed per request when the project is private.
        if b"/media/" not in body:
            self.answers.put(key, KeptAnswer(offers[0], body))

    def _current(self, offer: Offer, token: str) -> bool:
        row = lookup(
            self.runtime.lookup_engine,
            _TOKEN_AND_STAMP,
            {"token_hash": hash_token(token), "workspace_id": offer.workspace_id},
        )
        caller = caller_of(row)
        return (
            caller is not None
            and not caller.use_unrecorded
            and "GET" in caller.methods
            and caller.project_id == offer.project_id
            and row.content_stamp == offer.stamp
        )


def _raw_token(scope: Scope) -> str | None:
    """The api_token header as the routes read it (`deps._identify`): `api_token`, else
    `api-token`, the first of each, decoded as Starlette decodes headers."""
    found: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        if name in (b"api_token", b"api-token"):
            found.setdefault(name, value)
    raw = found.get(b"api_token") or found.get(b"api-token")
    return raw.decode("latin-1") if raw else None
