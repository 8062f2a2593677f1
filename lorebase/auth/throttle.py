"""Throttles for the browser's anonymous forms: failed sign-ins counted per account and per
client address, and reader feedback counted per client address.

A moving window from the `limits` library, in memory, or in Redis when LOREBASE_REDIS_URL is
set so that every API process counts the same attempts. Accounts are keyed by a hash of the
lower-cased email, known or not, so the throttle answers alike for both and Redis holds no
addresses of people. A successful sign-in clears its account's count, not its address's: one
valid account must not buy an address fresh guesses at others.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time

import limits
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)

KEY_PREFIX = "lorebase-signin"
FEEDBACK_KEY_PREFIX = "lorebase-feedback"


def _moving_window(redis_url: str, key_prefix: str) -> MovingWindowRateLimiter:
    storage = (
        storage_from_string(redis_url, key_prefix=key_prefix)
        if redis_url
        else storage_from_string("memory://")
    )
    return MovingWindowRateLimiter(storage)


def _seconds_until(window: MovingWindowRateLimiter, item: limits.RateLimitItem, key: str) -> int:
    reset = window.get_window_stats(item, key).reset_time
    return max(1, math.ceil(reset - time.time()))


class SignInThrottle:
    def __init__(self, per_account: str, per_address: str, redis_url: str = "") -> None:
        self.per_account = limits.parse(per_account)
        self.per_address = limits.parse(per_address)
        self.window = _moving_window(redis_url, KEY_PREFIX)

    @staticmethod
    def _account(project_id: str, email: str) -> str:
        folded = f"{project_id}\0{email.strip().lower()}".encode("utf-8", "surrogatepass")
        return "account:" + hashlib.sha256(folded).hexdigest()

    def retry_after(self, project_id: str, email: str, address: str) -> int | None:
        """Seconds to wait when this attempt must be refused; None lets it through."""
        checks = [(self.per_account, self._account(project_id, email))]
        if address:
            checks.append((self.per_address, "address:" + address))
        try:
            for item, key in checks:
                if not self.window.test(item, key):
                    return _seconds_until(self.window, item, key)
        except Exception:
            # A limiter outage must not lock everyone out; it is logged for the operator.
            log.exception("sign-in throttle storage failed; letting the attempt through")
        return None

    def failed(self, project_id: str, email: str, address: str) -> None:
        try:
            self.window.hit(self.per_account, self._account(project_id, email))
            if address:
                self.window.hit(self.per_address, "address:" + address)
        except Exception:
            log.exception("sign-in throttle storage failed; the attempt was not counted")

    def succeeded(self, project_id: str, email: str) -> None:
        try:
            self.window.clear(self.per_account, self._account(project_id, email))
        except Exception:
            log.exception("sign-in throttle storage failed; the count was not cleared")


class FeedbackThrottle:
    """ "Was this article helpful?" answers accepted per client address.

    Only accepted answers count (`accepted`), so a reader who sent a too-long comment may
    send it again shortened. Checking and counting are two steps: a burst of concurrent
    answers may pass the limit by a few, which costs nothing here (they change nobody's data).
    An address the server does not know (no client in the request) is not throttled, as for
    sign-ins: one shared count would let a single sender silence every reader.
    """

    def __init__(self, per_client: str, redis_url: str = "") -> None:
        self.per_client = limits.parse(per_client)
        self.window = _moving_window(redis_url, FEEDBACK_KEY_PREFIX)

    def retry_after(self, address: str) -> int | None:
        """Seconds to wait when this address may not send feedback now; None lets it send."""
        if not address:
            return None
        key = "address:" + address
        try:
            if not self.window.test(self.per_client, key):
                return _seconds_until(self.window, self.per_client, key)
        except Exception:
            log.exception("feedback throttle storage failed; letting the answer through")
        return None

    def accepted(self, address: str) -> None:
        if not address:
            return
        try:
            self.window.hit(self.per_client, "address:" + address)
        except Exception:
            log.exception("feedback throttle storage failed; the answer was not counted")
