"""The mirror's HTTP client: one request at a time, inside the source's rate budget.

Document360 limits each token to a budget per window (100 a minute on its plans) and says what
is left in `X-RateLimit-Remaining` on every answer; a request over the budget gets 429 with
`Retry-After`. The client starts from the advertised budget (`--rate`), then believes the
source: it sends while the source says requests remain, waits for the window to end when none
do, and after a 429 waits as long as `Retry-After` says (or `X-RateLimit-Reset`, or a window).
A window is taken to start with the first request sent in it, as Document360's and Lorebase's
fixed windows do; the wait at its end carries a small margin so that the next request is not
refused for arriving a few milliseconds early.

Network faults (refused or cut connections, timeouts) and 5xx answers are retried with a
growing pause; the first request is not, so that a wrong URL is said at once. Errors that
retrying cannot mend raise `SourceError` with a message for the person running the mirror.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import limits

RETRY_PAUSES = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0)
TIMEOUT = httpx.Timeout(60.0, connect=10.0)


class SourceError(Exception):
    """The mirror cannot go on; the message says why, for the person running it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TokenRefused(SourceError):
    pass


class NotCompatible(SourceError):
    pass


class Unreachable(SourceError):
    pass


@dataclass(frozen=True)
class RateBudget:
    """Requests per window, as `limits` writes it ("100/minute")."""

    amount: int
    window: float

    @classmethod
    def parse(cls, text: str) -> RateBudget:
        try:
            item = limits.parse(text)
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a rate such as 100/minute") from exc
        return cls(item.amount, float(item.get_expiry()))

    @property
    def per_second(self) -> float:
        return self.amount / self.window


@dataclass
class RequestCounts:
    """Requests sent, by what they asked for; refused (429) and failed attempts apart."""

    sent: Counter[str] = field(default_factory=Counter)
    refused: int = 0
    retried: int = 0

    @property
    def total(self) -> int:
        return sum(self.sent.values())


class Pacer:
    """When the next request may go, from the budget and what the source said.

    The window's length is the budget's once the source has shown the budget's amount (a
    fresh window answered `X-RateLimit-Remaining: amount - 1`), or what a 429 said; until
    then, a used-up window is not waited out on a guess: the next request goes, and its 429
    says how long the window has left.
    """

    def __init__(
        self,
        budget: RateBudget,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.budget = budget
        self.clock = clock
        self.sleep = sleep
        self.window = budget.window
        self.window_known = False
        self.window_start: float | None = None
        self.remaining: int | None = None  # None: a fresh window, the whole budget
        self.limit = budget.amount  # what the source allows a window, as far as it said

    @property
    def margin(self) -> float:
        return 0.02 + self.window * 0.005

    def _pause(self, seconds: float) -> None:
        if seconds > 0:
            self.sleep(seconds)

    def before_send(self) -> float:
        """Wait until a request may go; returns the time it is sent."""
        now = self.clock()
        if self.window_start is not None and now >= self.window_start + self.window + self.margin:
            self.window_start, self.remaining = None, None
        used_up = self.remaining is not None and self.remaining <= 0
        if used_up and self.window_known and self.window_start is not None:
            self._pause(self.window_start + self.window + self.margin - now)
            self.window_start, self.remaining = None, None
        now = self.clock()
        if self.window_start is None:
            self.window_start = now
        return now

    def after_answer(self, headers: httpx.Headers, sent_at: float) -> None:
        said = _int_header(headers, "x-ratelimit-remaining")
        if said is None:
            # A source that says nothing is held to the budget it advertised.
            self.window_known = True
            left = self.limit if self.remaining is None else self.remaining
            self.remaining = left - 1
            return
        if self.remaining is not None and said > self.remaining:
            # The source's window ended before ours: this request opened its new one.
            self.window_start = sent_at
        if said == self.budget.amount - 1:
            self.window_known = True
        self.remaining = said
        self.limit = max(self.limit, said + 1) if self.window_known else said + 1

    def after_refusal(self, headers: httpx.Headers) -> None:
        wait = _float_header(headers, "x-ratelimit-reset")
        if wait is None:
            wait = _float_header(headers, "retry-after")
        retry_after = _float_header(headers, "retry-after")
        if retry_after is not None:
            wait = max(wait or 0.0, retry_after)
        announced = _int_header(headers, "x-ratelimit-limit")
        if announced:
            self.limit = announced
        now = self.clock()
        if wait is None:
            wait = self.window
        elif self.window_start is not None and not self.window_known:
            # The window began with its first request and ends when the 429 says.
            self.window = max(now + wait - self.window_start, 0.1)
            self.window_known = True
        self._pause(wait)
        self.window_start, self.remaining = None, None

    def eta(self, requests: int, seconds_per_request: float) -> float:
        """Seconds `requests` more requests take: the budget's windows, or the pace of the
        answers when the budget is not what holds them back."""
        if requests <= 0:
            return 0.0
        pace = requests * seconds_per_request
        left = self.limit if self.remaining is None else max(self.remaining, 0)
        if requests <= left:
            return pace
        now = self.clock()
        window_end = (self.window_start or now) + self.window
        windows = math.ceil((requests - left) / self.limit) - 1
        return max(pace, max(window_end - now, 0.0) + windows * self.window)


def lower_bound_seconds(requests: int, budget: RateBudget) -> float:
    """The least time `requests` requests can take under a fixed-window budget: every full
    window but the first must pass before the last request may go."""
    if requests <= 0:
        return 0.0
    return ((requests - 1) // budget.amount) * budget.window


def _int_header(headers: httpx.Headers, name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _float_header(headers: httpx.Headers, name: str) -> float | None:
    value = headers.get(name)
    try:
        return max(float(value), 0.0) if value is not None else None
    except ValueError:
        return None


def _description(body: Any) -> str:
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return str(errors[0].get("description") or "")
    return ""


class SourceClient:
    """GET requests to a Document360-compatible API, paced and retried."""

    def __init__(
        self,
        base_url: str,
        token: str,
        budget: RateBudget,
    ) -> None:
        base = base_url.rstrip("/")
        if base.lower().endswith("/v2"):
            base = base[:-3]
        self.base = base
        self.http = httpx.Client(
            base_url=base,
            headers={"api_token": token, "accept": "application/json"},
            timeout=TIMEOUT,
        )
        self.pacer = Pacer(budget)
        self.counts = RequestCounts()
        self.answered = False
        self.answer_seconds = 0.0  # summed time of answered requests, for the ETA

    def close(self) -> None:
        self.http.close()

    @property
    def seconds_per_request(self) -> float:
        answered = self.counts.total
        return self.answer_seconds / answered if answered else 0.05

    def eta(self, requests: int) -> float:
        return self.pacer.eta(requests, self.seconds_per_request)

    def get_json(
        self,
        path: str,
        kind: str,
        params: dict[str, Any] | None = None,
        *,
        missing_ok: bool = False,
    ) -> dict[str, Any] | None:
        """The JSON envelope of GET `path`; None when `missing_ok` and the item is gone."""
        response = self._send(path, kind, params)
        if response.status_code == 401:
            raise TokenRefused(
                f"the token was refused by {self.base} (401: "
                f"{_description(_json_or_none(response)) or 'unauthorized'})."
            )
        if response.status_code == 403:
            raise TokenRefused(
                f"the token may not read {path} on {self.base} (403); give a token allowed GET."
            )
        body = _json_or_none(response)
        if not isinstance(body, dict) or "success" not in body:
            raise NotCompatible(
                f"{self.base} is not a Document360-compatible API (GET /{path} answered "
                f"{response.status_code} {response.headers.get('content-type', 'without a type')}"
                ", not a v2 JSON envelope)."
            )
        if response.status_code in (400, 404) and missing_ok:
            return None
        if response.status_code != 200:
            raise SourceError(
                f"{self.base} answered GET /{path} with {response.status_code}: "
                f"{_description(body) or 'no reason given'}"
            )
        return body

    def get_bytes(self, url: str, kind: str) -> bytes | None:
        """A media file's bytes (absolute URL, no token: media URLs carry their own access)."""
        response = self._send(url, kind, None, absolute=True)
        return response.content if response.status_code == 200 else None

    def _send(
        self, path: str, kind: str, params: dict[str, Any] | None, *, absolute: bool = False
    ) -> httpx.Response:
        failures = 0
        while True:
            # Media URLs are not API routes: the budget does not count them.
            sent_at = time.monotonic() if absolute else self.pacer.before_send()
            self.counts.sent[kind] += 1
            try:
                if absolute:
                    response = httpx.get(url=path, timeout=TIMEOUT, follow_redirects=True)
                else:
                    response = self.http.get("/" + path.lstrip("/"), params=params)
            except httpx.TransportError as exc:
                if not self.answered:
                    raise Unreachable(f"could not connect to {self.base}: {exc}.") from exc
                failures += 1
                if failures > len(RETRY_PAUSES):
                    raise Unreachable(
                        f"lost the connection to {self.base} ({exc}) and {failures - 1} retries "
                        "failed; run the same command again to continue where it stopped."
                    ) from exc
                self.counts.retried += 1
                time.sleep(RETRY_PAUSES[failures - 1])
                continue
            self.answer_seconds += time.monotonic() - sent_at
            self.answered = True
            if response.status_code == 429:
                self.counts.refused += 1
                self.pacer.after_refusal(response.headers)
                continue
            if response.status_code >= 500 and failures < len(RETRY_PAUSES):
                failures += 1
                self.counts.retried += 1
                time.sleep(RETRY_PAUSES[failures - 1])
                continue
            if not absolute:
                self.pacer.after_answer(response.headers, sent_at)
            return response


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
