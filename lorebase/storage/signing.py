"""HMAC signatures for the local store's expiring download URLs."""

from __future__ import annotations

import hashlib
import hmac


def _message(key: str, expires: int, filename: str | None) -> bytes:
    # The filename is signed too: it ends up in Content-Disposition, so it must not be editable.
    return f"{key}\n{expires}\n{filename or ''}".encode()


def sign(secret: bytes, key: str, expires: int, filename: str | None = None) -> str:
    return hmac.new(secret, _message(key, expires, filename), hashlib.sha256).hexdigest()


def verify(
    secret: bytes,
    key: str,
    expires: int,
    signature: str,
    now: float,
    filename: str | None = None,
) -> bool:
    """True if `signature` is ours for these values and `expires` is still in the future."""
    if now >= expires:
        return False
    return hmac.compare_digest(sign(secret, key, expires, filename), signature)
