"""A reader's query: its words, what each may match (its stem, the vocabulary's words within a
typo or two, a prefix for the last word), and the lookups of those terms in the database's
index: SQLite's FTS5 table or PostgreSQL's tsvector columns, one expression language for both.

Only counts and bounded sets of entries come back from the database: a common word's entries
(thousands) are counted, never listed.
"""

from __future__ import annotations

import bisect
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import OSA
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from lorebase.db.models import VocabularyWord
from lorebase.kb.search.analysis import Analyzer
from lorebase.kb.search.index import scope_term

# Meilisearch's defaults: one typo from 5 letters on, two from 9. A typo is one edit of the
# optimal string alignment distance: a letter added, dropped or changed, or two neighbours
# swapped ("imoprt" → "import").
ONE_TYPO_FROM = 5
TWO_TYPOS_FROM = 9
# More than this many terms within a word's typos are not worth looking up (a short word in a
# large vocabulary); the closest are kept.
MAX_TYPO_TERMS = 24
MAX_COMPLETIONS = 24

MAX_QUERY_WORDS = 10
MAX_WORDS_READ = 40  # stop words included

EXACT, TYPO, PREFIX = "exact", "typo", "prefix"
WAYS = (EXACT, TYPO, PREFIX)


@dataclass
class QueryWord:
    """One word of a query and the terms it matches."""

    position: int
    typed: str  # as the reader wrote it
    surface: str  # folded
    term: str  # its index term
    stop: bool
    last: bool  # the query's last word matches as a prefix too (search as you type)
    typos: list[str] = field(default_factory=list)
    # The last word's completions: the terms of the words it begins ("gett": "getting",
    # whose term "get" the prefix of terms would miss).
    completions: list[str] = field(default_factory=list)

    def matches(self, term: str) -> str | None:
        """How this word matches an index term: EXACT, PREFIX, TYPO, or None."""
        if term == self.term:
            return EXACT
        if self.last and (term.startswith(self.surface) or term in self.completions):
            return PREFIX
        if term in self.typos:
            return TYPO
        return None

    def lookups(self, ways: Sequence[str] = WAYS) -> list[str]:
        """The terms to look up, "x*" for a prefix."""
        found = []
        if EXACT in ways:
            found.append(self.term)
        if TYPO in ways:
            found += self.typos
        if PREFIX in ways and self.last and self.surface:
            found.append(self.surface + "*")
            found += self.completions
        return found


def query_words(query: str, analysis: Analyzer) -> list[QueryWord]:
    """The query's words, as far as its first MAX_QUERY_WORDS words other than stop words (as
    Meilisearch does: a pasted paragraph costs no more than a question)."""
    found = analysis.words(query)
    kept, others = [], 0
    for word in found[:MAX_WORDS_READ]:
        stop = word.surface in analysis.stop_words
        if not stop:
            if others == MAX_QUERY_WORDS:
                break
            others += 1
        kept.append((word, stop))
    return [
        QueryWord(
            position=i,
            typed=query[w.start : w.end],
            surface=w.surface,
            term=w.term,
            stop=stop,
            last=i == len(found) - 1,
        )
        for i, (w, stop) in enumerate(kept)
    ]


# --- the vocabulary, for typos ----------------------------------------------------------------


@dataclass(frozen=True)
class _Vocabulary:
    top_id: int
    by_length: dict[int, list[str]]  # words as written (folded), by their length
    terms: dict[str, str]  # word → its term
    ordered: list[str]  # the words in order, for those a prefix begins

    def begun_by(self, prefix: str) -> list[str]:
        """The words `prefix` begins, shortest first (the likeliest completions)."""
        start = bisect.bisect_left(self.ordered, prefix)
        end = bisect.bisect_left(self.ordered, prefix + "\U0010ffff")
        return sorted(self.ordered[start:end], key=lambda w: (len(w), w))


_vocabularies: OrderedDict[tuple[str, str], _Vocabulary] = OrderedDict()
_vocabularies_lock = threading.Lock()
_VOCABULARIES_KEPT = 64


def _vocabulary(session: Session, workspace_id: str, language_code: str) -> _Vocabulary:
    """The workspace language's vocabulary, read again only when a word was added."""
    scope = (
        VocabularyWord.project_version_id == workspace_id,
        VocabularyWord.language_code == language_code,
    )
    top_id = session.scalar(select(func.max(VocabularyWord.id)).where(*scope)) or 0
    key = (workspace_id, language_code)
    with _vocabularies_lock:
        cached = _vocabularies.get(key)
        if cached is not None and cached.top_id == top_id:
            _vocabularies.move_to_end(key)
            return cached
    by_length: dict[int, list[str]] = {}
    terms: dict[str, str] = {}
    rows = session.execute(
        select(VocabularyWord.word, VocabularyWord.term).where(*scope, VocabularyWord.id <= top_id)
    )
    for word, term in rows:
        by_length.setdefault(len(word), []).append(word)
        terms[word] = term
    loaded = _Vocabulary(top_id, by_length, terms, sorted(terms))
    with _vocabularies_lock:
        _vocabularies[key] = loaded
        _vocabularies.move_to_end(key)
        while len(_vocabularies) > _VOCABULARIES_KEPT:
            _vocabularies.popitem(last=False)
    return loaded


def allowed_typos(word: QueryWord) -> int:
    letters = len(word.surface)
    return 2 if letters >= TWO_TYPOS_FROM else 1 if letters >= ONE_TYPO_FROM else 0


def find_variants(
    session: Session, workspace_id: str, language_code: str, words: list[QueryWord]
) -> None:
    """Fill each word's `typos`: the terms of the vocabulary's words within its allowed edits
    of the word as typed (a typo is in what was typed, "stackign", not in its stem); and the
    last word's `completions`."""
    wanted = [w for w in words if allowed_typos(w)]
    last = [w for w in words if w.last and w.surface]
    if not wanted and not last:
        return
    vocabulary = _vocabulary(session, workspace_id, language_code)
    for word in last:
        completed = dict.fromkeys(vocabulary.terms[w] for w in vocabulary.begun_by(word.surface))
        word.completions = [t for t in completed if t != word.term][:MAX_COMPLETIONS]
    for word in wanted:
        edits = allowed_typos(word)
        near: dict[str, int] = {}
        for length in range(len(word.surface) - edits, len(word.surface) + edits + 1):
            candidates = vocabulary.by_length.get(length)
            if not candidates:
                continue
            for found, distance, _ in process.extract(
                word.surface, candidates, scorer=OSA.distance, score_cutoff=edits, limit=None
            ):
                term = vocabulary.terms[found]
                if term != word.term and distance < near.get(term, edits + 1):
                    near[term] = int(distance)
        closest = sorted(near, key=lambda t: (near[t], t))
        word.typos = closest[:MAX_TYPO_TERMS]


# --- lookups ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Terms:
    """Entries holding any of `terms` ("x*": a prefix), in the title or anywhere."""

    terms: tuple[str, ...]
    in_title: bool = False


@dataclass(frozen=True)
class Lookup:
    """Entries of the scope holding every one of `all_of` and none of `none_of`."""

    all_of: tuple[Terms, ...]
    none_of: tuple[Terms, ...] = ()


_counts: OrderedDict[tuple[str, int, Lookup], int] = OrderedDict()
_counts_lock = threading.Lock()
_COUNTS_KEPT = 20_000


class TermIndex:
    """Lookups in one scope (a workspace language's published or latest entries)."""

    def __init__(
        self, session: Session, workspace_id: str, language_code: str, kind: str, stamp: int
    ):
        self.session = session
        self.sqlite = session.get_bind().dialect.name == "sqlite"
        self.params: dict[str, Any] = {
            "pv": workspace_id,
            "lang": language_code,
            "kind": kind,
            "scope": scope_term(workspace_id, language_code, kind),
        }
        # The workspace's content stamp: counts are kept while it stays the same.
        self.stamp = stamp
        if not self.sqlite:
            # PostgreSQL's cost model does not count reading a vector back from its TOAST
            # table, so a lookup of a prefix ('met':*, an estimate it cannot make) was planned
            # as a scan of every entry: 55 ms instead of 2 at 10,000 articles. For the rest of
            # this read-only transaction, the index is used.
            session.execute(text("SET LOCAL enable_seqscan = off"))

    def counts(self, lookups: list[Lookup]) -> list[int]:
        """How many entries each lookup finds; remembered until the workspace changes (a
        common word's count costs a walk through thousands of entries)."""
        keys = [(self.params["scope"], self.stamp, lookup) for lookup in lookups]
        with _counts_lock:
            known = {key: _counts[key] for key in keys if key in _counts}
        missing = [lookup for key, lookup in zip(keys, lookups, strict=True) if key not in known]
        if missing:
            params = dict(self.params)
            columns = [
                f"({self._select('count(*)', lookup, params)}) AS c{i}"
                for i, lookup in enumerate(missing)
            ]
            row = self.session.execute(text("SELECT " + ", ".join(columns)), params).one()
            with _counts_lock:
                for lookup, count in zip(missing, row, strict=True):
                    key = (self.params["scope"], self.stamp, lookup)
                    known[key] = _counts[key] = int(count)
                while len(_counts) > _COUNTS_KEPT:
                    _counts.popitem(last=False)
        return [known[key] for key in keys]

    def entries(self, lookups: list[Lookup]) -> list[set[int]]:
        """The entries of each lookup, in one round trip."""
        if not lookups:
            return []
        params = dict(self.params)
        parts = [
            self._select(f"{i} AS n, {self._id}", lookup, params)
            for i, lookup in enumerate(lookups)
        ]
        found: list[set[int]] = [set() for _ in lookups]
        for n, entry_id in self.session.execute(text(" UNION ALL ".join(parts)), params):
            found[n].add(entry_id)
        return found

    def shortest(self, lookup: Lookup, limit: int) -> list[int]:
        """The `limit` entries of a lookup with the fewest terms (then the lowest ids)."""
        params = dict(self.params)
        params["limit"] = limit
        query = self._select("e.id", lookup, params, join=True)
        query += " ORDER BY e.term_count, e.id LIMIT :limit"
        return list(self.session.scalars(text(query), params))

    @property
    def _id(self) -> str:
        return "search_fts.rowid" if self.sqlite else "e.id"

    def _select(self, what: str, lookup: Lookup, params: dict[str, Any], join: bool = False) -> str:
        name = f"q{len(params)}"
        if self.sqlite:
            params[name] = _fts5(self.params["scope"], lookup)
            source = "search_fts"
            if join:
                # CROSS JOIN keeps the FTS match as the outer loop.
                source += " CROSS JOIN search_entries e ON e.id = search_fts.rowid"
            return f"SELECT {what} FROM {source} WHERE search_fts MATCH :{name}"
        # The scope's term is in both vectors (migration 0006), so each condition is one
        # search of the GIN index, and one tsquery per column lets the index intersect the
        # terms' lists itself, where separate conditions would be checked row by row.
        scope = f"'{self.params['scope']}'"
        conditions = []
        for in_title in (False, True):
            wanted = [t for t in lookup.all_of if t.in_title == in_title]
            if wanted:
                key = f"{name}{'t' if in_title else 'a'}"
                params[key] = " & ".join([scope, *(f"({_tsquery(t.terms)})" for t in wanted)])
                conditions.append(f"{_vector(wanted[0])} @@ CAST(:{key} AS tsquery)")
        for i, terms in enumerate(lookup.none_of):
            key = f"{name}n{i}"
            params[key] = _tsquery(terms.terms)
            conditions.append(f"NOT {_vector(terms)} @@ CAST(:{key} AS tsquery)")
        return f"SELECT {what} FROM search_entries e WHERE " + " AND ".join(conditions)


def _vector(terms: Terms) -> str:
    return "e.title_vector" if terms.in_title else "e.terms_vector"


def _fts5_terms(terms: Terms) -> str:
    alternatives = " OR ".join(f'"{t[:-1]}"*' if t.endswith("*") else f'"{t}"' for t in terms.terms)
    return f"{'title_terms' if terms.in_title else 'terms'} : ({alternatives})"


def _fts5(scope: str, lookup: Lookup) -> str:
    query = " AND ".join([f'scope : "{scope}"', *(_fts5_terms(t) for t in lookup.all_of)])
    for terms in lookup.none_of:
        query = f"({query}) NOT {_fts5_terms(terms)}"
    return query


def _tsquery(terms: tuple[str, ...]) -> str:
    return " | ".join(f"'{t[:-1]}':*" if t.endswith("*") else f"'{t}'" for t in terms)
