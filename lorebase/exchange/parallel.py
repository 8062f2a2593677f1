"""Rendering an export's pages in several processes, in order, when there are enough of them.

Rendering (Markdown, Pygments, templates) is pure CPU in Python and holds the GIL, so threads do
not help; processes do. The export's own process keeps the database reads and the ZIP (one
writer), and hands batches of plain data to the pool. Results come back in submission order,
with a bounded number of batches in flight so memory stays flat whatever the export's size.

Processes are started with `spawn`: the exporting process may be a server with threads, where
`fork` could copy a lock held by another thread into the child.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any, TypeVar

T = TypeVar("T")
# How many batches each process may have queued ahead of the one being consumed.
AHEAD = 2


def default_processes() -> int:
    """One per CPU this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _nothing() -> None:
    pass


class RenderPool:
    """An ordered `map` over batches: in `processes` worker processes, or in this process when
    `processes` is 1 (small exports, where starting processes costs more than it saves)."""

    def __init__(self, processes: int, warm_up: Callable[[], None] | None = None) -> None:
        self.processes = max(1, processes)
        self.warm_up = warm_up
        self._executor: ProcessPoolExecutor | None = None

    def __enter__(self) -> RenderPool:
        if self.processes > 1:
            # Every process starts (and imports) now, while the caller goes on planning:
            # ProcessPoolExecutor would otherwise start them one submission at a time.
            self._executor = ProcessPoolExecutor(
                self.processes, mp_context=get_context("spawn"), initializer=self.warm_up
            )
            for _ in range(self.processes):
                self._executor.submit(_nothing)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def map(self, function: Callable[..., T], calls: Iterable[tuple[Any, ...]]) -> Iterator[T]:
        """`function(*args)` for each `args` of `calls`, in order. `function` and its arguments
        must be picklable when the pool has processes."""
        if self._executor is None:
            for args in calls:
                yield function(*args)
            return
        pending: deque[Future[T]] = deque()
        try:
            for args in calls:
                pending.append(self._executor.submit(function, *args))
                if len(pending) >= self.processes * AHEAD:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
