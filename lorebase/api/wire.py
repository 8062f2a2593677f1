"""JSON on the wire, both API versions: bodies serialised once with orjson, date-times in one
form."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import orjson

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def datetime_text(value: datetime) -> str:
    """UTC, always with milliseconds and `Z`: `2026-12-04T13:19:20.123Z`.

    api-reference.md §1.1 says emit UTC with `Z`. The milliseconds are always written, even
    `.000`: a widely used Document360 connector parses dates with `%Y-%m-%dT%H:%M:%S.%fZ`
    and fails on a date without a fraction (orjson drops a zero fraction, and Lorebase used to
    drop every fraction). Zone-less values are UTC (the database keeps UTC).
    """
    utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return utc.isoformat(timespec="milliseconds").removesuffix("+00:00") + "Z"


def _text_of(value: Any) -> str:
    if isinstance(value, datetime):
        return datetime_text(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(body: Any) -> bytes:
    return orjson.dumps(body, option=_OPTIONS, default=_text_of)
