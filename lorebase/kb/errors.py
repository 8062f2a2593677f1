"""The one exception family of the domain; each API version maps it to HTTP in one place."""

from __future__ import annotations


class KbError(Exception):
    """A request the knowledge base refuses; `message` is shown to the API user verbatim."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(KbError):
    """The addressed item does not exist in the caller's project."""


class Invalid(KbError):
    """The request is well-formed but breaks a rule (missing field, unknown reference…)."""


class Conflict(KbError):
    """The request clashes with the current state (e.g. a concurrent edit)."""


class Forbidden(KbError):
    """The caller may not do this."""


class QuotaExceeded(Invalid):
    """A daily allowance is used up (v2 answers it as a 400, as Document360 does; v3 as a 429)."""
