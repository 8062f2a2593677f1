"""Per-token rate limits on the API (formats.md §6), with the `limits` library.

Every request to `/v2/` or `/v3/` counts against its token's budget, whatever its method:
`LOREBASE_RATE_LIMIT` in the `limits` notation (default `100/minute`, Document360's Enterprise
plan), a fixed window. The budget lives in memory, or in Redis when `LOREBASE_REDIS_URL` is set,
so that several API processes share one budget. Tokens are keyed by their SHA-256, never
stored raw; a request without a token is keyed by its client address (it is refused with 401
anyway, but guessing tokens is rate limited too).

Headers, per API version:

* v2: `X-RateLimit-Remaining` on every response; on 429 also `X-RateLimit-Limit`,
  `X-RateLimit-Reset` in **seconds until the window resets** and `Retry-After`, with the v2
  envelope. (Discrepancy: seed 004 describes v2's `X-RateLimit-Reset` as a Unix timestamp;
  the v2 rate-limiting page and api-reference.md §7 item 9 say seconds, which we follow.)
* v3: the same headers, `X-RateLimit-Reset` as **UTC epoch seconds** ([v3spec]), and the 429
  as problem+json.

If the Redis storage fails, requests are let through (and the failure logged): an outage of the
limiter must not take the knowledge base down with it.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time

import limits
from limits.aio.strategies import FixedWindowRateLimiter
from limits.storage import storage_from_string
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lorebase.api.limits import send_error

log = logging.getLogger(__name__)

V2_MESSAGE = (
    "Rate limit exceeded for this api_token. Wait for the duration in the Retry-After header "
    "before retrying."
)
V3_MESSAGE = "Rate limit exceeded. Retry after the duration specified in the Retry-After header."
# Keys in Redis: `<prefix>/…`, apart from anything else in the same database.
KEY_PREFIX = "lorebase-ratelimit"


class RateLimiter:
    """One limit for every token, in memory or in Redis."""

    def __init__(self, rate: str, redis_url: str | None = None) -> None:
        self.item = limits.parse(rate)
        if redis_url:
            uri = "async+" + redis_url if not redis_url.startswith("async+") else redis_url
            storage = storage_from_string(uri, implementation="redispy", key_prefix=KEY_PREFIX)
        else:
            storage = storage_from_string("async+memory://")
        self.strategy = FixedWindowRateLimiter(storage)

    async def hit(self, key: str) -> tuple[bool, int, float]:
        """Count one request for `key`: (allowed, remaining, window reset as epoch seconds)."""
        allowed = await self.strategy.hit(self.item, key)
        stats = await self.strategy.get_window_stats(self.item, key)
        return allowed, stats.remaining, stats.reset_time


class RateLimits:
    """ASGI middleware: counts `/v2/` and `/v3/` requests per token and refuses with 429."""

    def __init__(self, app: ASGIApp, *, limiter: RateLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Lower-cased: the routes match paths case-insensitively (CanonicalPaths, inside).
        path = str(scope.get("path", "")).lower() if scope["type"] == "http" else ""
        v3 = path.startswith("/v3/")
        if not (v3 or path.startswith("/v2/")):
            await self.app(scope, receive, send)
            return
        try:
            allowed, remaining, reset_at = await self.limiter.hit(_key(scope))
        except Exception:  # the storage (Redis) failed: let the request through
            log.exception("rate limit storage failed; request not counted")
            await self.app(scope, receive, send)
            return
        limit = self.limiter.item.amount
        reset = str(int(reset_at)) if v3 else str(max(0, math.ceil(reset_at - time.time())))
        if not allowed:
            await _refuse(scope, send, v3, limit, reset, reset_at)
            return
        remaining_header = (b"x-ratelimit-remaining", str(remaining).encode())

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                # A route's own quota answer (the daily export limit) already describes itself.
                if not any(name.lower() == b"x-ratelimit-remaining" for name, _ in headers):
                    headers.append(remaining_header)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _key(scope: Scope) -> str:
    """The budget a request counts against: its token's, read as authentication reads it
    (`api_token`, else `api-token`, the first of each), else a bearer token, else the
    client's address."""
    found: dict[bytes, bytes] = {}
    for name, value in scope.get("headers") or []:
        if name in (b"api_token", b"api-token"):
            found.setdefault(name, value.strip())
        elif name == b"authorization" and value[:7].lower() == b"bearer ":
            found.setdefault(name, value[7:].strip())
    token = found.get(b"api_token") or found.get(b"api-token") or found.get(b"authorization")
    if token:
        return "token/" + hashlib.sha256(token).hexdigest()
    client = scope.get("client") or ("unknown", 0)
    return f"address/{client[0]}"


async def _refuse(
    scope: Scope, send: Send, v3: bool, limit: int, reset: str, reset_at: float
) -> None:
    retry_after = str(max(1, math.ceil(reset_at - time.time())))
    headers = [
        (b"retry-after", retry_after.encode()),
        (b"x-ratelimit-limit", str(limit).encode()),
        (b"x-ratelimit-remaining", b"0"),
        (b"x-ratelimit-reset", reset.encode()),
    ]
    await send_error(scope, send, 429, V3_MESSAGE if v3 else V2_MESSAGE, headers)
