"""The one date-time form both API versions write: UTC, milliseconds always, `Z`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest

from lorebase.api.wire import datetime_text, dumps


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (datetime(2026, 12, 4, 13, 19, 20, 123456, tzinfo=UTC), "2026-12-04T13:19:20.123Z"),
        # A whole second still carries its fraction: clients parse "%Y-%m-%dT%H:%M:%S.%fZ".
        (datetime(2026, 12, 4, 13, 19, 20, tzinfo=UTC), "2026-12-04T13:19:20.000Z"),
        # Truncated, never rounded up into the next second.
        (datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), "2026-12-31T23:59:59.999Z"),
        (datetime(2026, 12, 4, 13, 19, 20, 5000), "2026-12-04T13:19:20.005Z"),  # zone-less = UTC
        (
            datetime(2026, 12, 4, 15, 19, 20, 120000, tzinfo=timezone(timedelta(hours=2))),
            "2026-12-04T13:19:20.120Z",
        ),
    ],
)
def test_date_times_are_written_in_utc_with_milliseconds_and_z(
    value: datetime, written: str
) -> None:
    assert datetime_text(value) == written
    assert datetime.strptime(written, "%Y-%m-%dT%H:%M:%S.%fZ")
    assert orjson.loads(dumps({"at": [value]})) == {"at": [written]}


def test_bodies_keep_non_string_keys_and_refuse_what_json_cannot_hold() -> None:
    assert orjson.loads(dumps({1: "one"})) == {"1": "one"}
    with pytest.raises(TypeError):
        dumps({"x": object()})
