"""Password hashing (Argon2id through pwdlib) and the rules a new password must meet."""

from __future__ import annotations

import os
import threading
from functools import cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from lorebase.kb.errors import Invalid

MIN_LENGTH = 12
# Argon2 hashes any length in the same time, but a megabyte of "password" is not one.
MAX_LENGTH = 1024

# RFC 9106's second recommendation (t=3, 64 MiB) with two lanes: one verification takes
# about 80 ms on this project's 2-core reference machine (bench/accounts.py measures it).
# Hashes made with other parameters still verify and are rehashed at the next sign-in.
TIME_COST = 3
MEMORY_KIB = 64 * 1024
PARALLELISM = 2

_hasher = PasswordHash(
    (Argon2Hasher(time_cost=TIME_COST, memory_cost=MEMORY_KIB, parallelism=PARALLELISM),)
)
# Each verification holds 64 MiB: at most one per core at a time, the rest wait their turn.
_turns = threading.BoundedSemaphore(os.cpu_count() or 1)


def hash_password(password: str) -> str:
    with _turns:
        return _hasher.hash(password)


def verify_password(password: str, stored: str | None) -> tuple[bool, str | None]:
    """(matches, a new hash to store when the stored one used other parameters).

    With nothing stored the password is checked against a hash of nothing the caller knows,
    so that an account without a password (or no account) costs the same time as a wrong one.
    """
    with _turns:
        if stored is None:
            _hasher.verify(password, _stand_in_hash())
            return False, None
        try:
            return _hasher.verify_and_update(password, stored)
        except Exception:
            # A hash pwdlib cannot read (damaged, another scheme) never signs anyone in.
            _hasher.verify(password, _stand_in_hash())
            return False, None


@cache
def _stand_in_hash() -> str:
    return _hasher.hash(os.urandom(16).hex())


def check_new_password(password: str, *, email: str = "", name: str = "") -> None:
    """Raise Invalid, with what to do, when a password should not be accepted."""
    if len(password) < MIN_LENGTH:
        raise Invalid(f"Use at least {MIN_LENGTH} characters for the password.")
    if len(password) > MAX_LENGTH:
        raise Invalid(f"Use at most {MAX_LENGTH} characters for the password.")
    if password.casefold() in _common_passwords():
        raise Invalid("This password is among the most common ones; choose another.")
    # zxcvbn also sees keyboard walks, repeats, dates and common words with digits added
    # ("password12345"); 3 is its "safely unguessable" score. It refuses inputs longer than
    # 72 characters, and a passphrase that long is strong whatever it holds.
    from zxcvbn import zxcvbn

    inputs = [part for part in (email, email.split("@")[0], name) if part]
    estimate = zxcvbn(password[:72], user_inputs=inputs)
    if estimate["score"] < 3:
        advice = estimate["feedback"]["warning"] or "It is easy to guess."
        raise Invalid(
            f"This password is too easy to guess: {advice.rstrip('.')}. "
            "A few unrelated words make a strong one."
        )


@cache
def _common_passwords() -> frozenset[str]:
    # zxcvbn's list: the 30,000 most common passwords of leaked password sets.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])
