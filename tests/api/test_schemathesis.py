"""schemathesis against Lorebase's own OpenAPI document, in process (ASGI): for every operation,
generated requests (bounded: `MAX_EXAMPLES` per operation, no shrinking, the same cases on every
run, time-capped) sent with a valid admin token to a project with content; no answer may be a
5xx or break the document's own response schema. Both databases.

The operations are driven by hand (`as_strategy` under `hypothesis.given`) rather than by
`schemathesis.pytest.from_fixture`, whose lazy parametrisation does not run under pytest 9.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from tests.exchange.test_jsonzip_writer import build_kb

MAX_EXAMPLES = 8
# Bounded by examples; the cap only turns a hang into a failure (about 10 s a run here).
TIME_CAP_SECONDS = 300
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.response_schema_conformance,
]


@pytest.mark.timeout(TIME_CAP_SECONDS)
def test_no_server_errors_and_answers_match_the_document(project: Any) -> None:
    build_kb(project)  # a real tree, pages and two languages besides the random ids
    schema = schemathesis.openapi.from_asgi("/openapi.json", project.client.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 90
    sent = 0

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case: Any) -> None:
            nonlocal sent
            case.call_and_validate(headers=project.headers, checks=CHECKS)
            sent += 1

        check()
    assert sent > 4 * len(operations), sent
