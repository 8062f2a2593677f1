"""`SharedReads`: a request uses only a read of the stamps that started after it arrived, so a
write acknowledged before the request was sent (on any process) is always seen."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any

from lorebase.web.fastpath import SharedReads


def run_alone(scenario: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    """`asyncio.run(scenario())` in a thread of its own: the suite's browser tests leave an
    event loop running in the main thread, where asyncio.run refuses to start."""
    outcome: dict[str, Any] = {}

    def main() -> None:
        try:
            outcome["value"] = asyncio.run(scenario())
        except BaseException as error:  # handed to the test's thread
            outcome["error"] = error

    thread = threading.Thread(target=main)
    thread.start()
    thread.join(30)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def test_a_request_arriving_during_a_read_waits_for_the_next_one_shared_by_all_that_came() -> None:
    started: list[int] = []
    release = [threading.Event() for _ in range(3)]

    def read(project_id: str) -> list[Any]:
        number = len(started)
        started.append(number)
        release[number].wait(5)
        return [(project_id, number)]

    async def scenario() -> list[list[Any]]:
        reads = SharedReads(read)
        first = asyncio.ensure_future(reads.rows("p"))
        while not started:  # read 0 is under way
            await asyncio.sleep(0.001)
        later = [asyncio.ensure_future(reads.rows("p")) for _ in range(5)]
        await asyncio.sleep(0.02)
        assert started == [0]  # the later requests do not start reads of their own yet
        release[0].set()
        assert await first == [("p", 0)]
        while len(started) < 2:
            await asyncio.sleep(0.001)
        release[1].set()
        answers = await asyncio.gather(*later)
        release[2].set()
        return answers

    answers = run_alone(scenario)
    # All five came while read 0 ran: one read, started after they arrived, answers them all.
    assert answers == [[("p", 1)]] * 5
    assert started == [0, 1]


def test_a_failed_read_fails_its_requests_and_the_next_request_reads_again() -> None:
    calls: list[str] = []

    def read(project_id: str) -> list[Any]:
        calls.append(project_id)
        if len(calls) == 1:
            raise ConnectionError("database gone")
        return [project_id]

    async def scenario() -> list[Any]:
        reads = SharedReads(read)
        try:
            await reads.rows("p")
        except ConnectionError:
            pass
        else:
            raise AssertionError("the failure was not passed on")
        return await reads.rows("p")

    assert run_alone(scenario) == ["p"]
    assert calls == ["p", "p"]
