"""Serialised read responses, reused while their workspace's content stamp is unchanged.

The category tree is the largest hot response (megabytes for a big workspace) and single
categories and articles the most frequent; building them costs several queries and a render.
Every write bumps the workspace's `content_stamp` in the database, so a cached body is served
only while it is still exactly what the database would produce, on this node or any other.
Checking the stamp is one indexed single-row query.

The category tree is not kept here as a body but as data (`trees`, lorebase.kb.tree), which a
write updates in place of building it again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from lorebase.api.v2.tree_json import TreeJson
from lorebase.kb.tree import CategoryTrees


class ResponseCache:
    # 64 MB of bodies per process: with the kept tree, the fast path's answers (mostly the same
    # bytes objects) and the app itself a process stays under 300 MB (bench/reads.py's peak RSS
    # reached 332 MB reading 11,000 items with 256 MB allowed).
    def __init__(self, max_entries: int = 4096, max_bytes: int = 64 * 1024 * 1024) -> None:
        self._entries: OrderedDict[Hashable, tuple[int, bytes]] = OrderedDict()
        self._lock = threading.Lock()
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._bytes = 0
        self.trees = CategoryTrees(TreeJson())

    def get(self, key: Hashable, stamp: int) -> bytes | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None or found[0] != stamp:
                return None
            self._entries.move_to_end(key)
            return found[1]

    def put(self, key: Hashable, stamp: int, body: bytes) -> None:
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self._bytes -= len(previous[1])
            self._entries[key] = (stamp, body)
            self._bytes += len(body)
            while self._entries and (
                len(self._entries) > self._max_entries or self._bytes > self._max_bytes
            ):
                _, (_, evicted) = self._entries.popitem(last=False)
                self._bytes -= len(evicted)
