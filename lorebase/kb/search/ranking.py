"""The order of a query's hits: a series of tiers, each deciding only among the entries the
ones before it left tied.

1. The title: it is the query (exact title) > it holds the query's words in a row > it holds
   every word > the query names the whole title, and the title's words weigh more than the
   rest (by idf: "where can I find import metrics" names "Import Metrics") > only the text
   holds every word > fewer words.
2. More of the query's words found; more of them in the title; more of the title covered.
3. Fewer typos; then more words in the title as the reader wrote them, not only by stem.
4. BM25 over title and body by the presence of each word (k1 1.2, b 0.75): rarer words found
   and shorter entries first. Term frequencies would need every candidate's text read back;
   presence is what the index answers, on both engines alike.
5. The entry's id, so that the same data gives the same order on every engine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lorebase.kb.search.query import QueryWord

K1 = 1.2
B = 0.75

EXACT_TITLE, TITLE_PHRASE, ALL_IN_TITLE, TITLE_IN_QUERY, ALL_WORDS, FEWER_WORDS = range(6)


@dataclass(frozen=True)
class Found:
    """What one entry holds of the query's deciding words (their positions)."""

    anywhere: frozenset[int]
    in_title: frozenset[int]
    by_typo_only: frozenset[int]


def idf(entries: int, documents: int) -> float:
    return math.log(1 + (entries - documents + 0.5) / (documents + 0.5))


class Ranking:
    """The words that decide a query, and what is needed to place an entry among its hits."""

    def __init__(
        self,
        words: list[QueryWord],
        frequencies: dict[int, int],
        entries: int,
        mean_terms: float,
        stop_terms: frozenset[str],
    ) -> None:
        self.words = words
        self.weights = {w.position: idf(entries, frequencies[w.position]) for w in words}
        self.mean_terms = max(mean_terms, 1.0)
        self.stop_terms = stop_terms
        self._by_term: dict[str, list[QueryWord]] = {}
        for word in words:
            for term in (word.term, *word.typos, *word.completions):
                self._by_term.setdefault(term, []).append(word)
        self._prefix = next((w for w in words if w.last and w.surface), None)
        self._term_positions: dict[str, frozenset[int]] = {}

    def best_without_title(self) -> tuple[int, ...]:
        """The best standing an entry with no query word in its title can have."""
        return (ALL_WORDS, -len(self.words), 0, 0, 0)

    def carries_weight(self, in_title: set[int]) -> bool:
        """The title's words weigh more than half the query: only such a title may rise above
        "every word in the text" (all of them in it, or named by the query)."""
        return sum(self.weights[p] for p in in_title) * 2 > sum(self.weights.values())

    def best_with_title(self, in_title: set[int], title_terms: list[str] | None) -> tuple[int, ...]:
        """The best standing an entry whose title holds the words `in_title` can have, were
        every word in its text; from the title's length only (`title_terms`: None when it does
        not carry weight), so that it costs next to nothing for hundreds of titles."""
        held, tier = len(in_title), ALL_WORDS
        if title_terms is not None:
            length = len(self.significant(title_terms))
            if held == len(self.words):
                if length == held:
                    tier = EXACT_TITLE
                else:
                    tier = TITLE_PHRASE if length > held else ALL_IN_TITLE
            elif length <= len(self.words) and self.names_the_title(title_terms):
                tier = TITLE_IN_QUERY
        return (tier, -len(self.words), -held, -1000, 0)

    def significant(self, title_terms: list[str]) -> list[str]:
        """A title's terms without its stop words (all of them, if it has only those)."""
        return [t for t in title_terms if t not in self.stop_terms] or title_terms

    def standing(self, found: Found, title_terms: list[str]) -> tuple[int, ...]:
        """Tiers 1 to 3, typos included: the smaller, the better."""
        words = self.words
        title = self.significant(title_terms)
        matching = [self._positions(t) for t in title]  # per title term: the words it matches
        covered = sum(1 for positions in matching if positions)
        everything = len(found.anywhere) == len(words)
        if len(found.in_title) == len(words):
            if len(title) == len(words) and self._in_a_row(words, matching, 0):
                tier = EXACT_TITLE
            elif any(
                self._in_a_row(words, matching, i) for i in range(len(title) - len(words) + 1)
            ):
                tier = TITLE_PHRASE
            else:
                tier = ALL_IN_TITLE
        elif covered == len(title) and self._names(matching):
            tier = TITLE_IN_QUERY
        elif everything:
            tier = ALL_WORDS
        else:
            tier = FEWER_WORDS
        # Coverage in whole thousandths: the key stays exact and comparable.
        coverage = covered * 1000 // len(title) if title else 0
        return (
            tier,
            -len(found.anywhere),
            -len(found.in_title),
            -coverage,
            len(found.by_typo_only),
        )

    def bm25(self, found: Found, term_count: int) -> float:
        norm = K1 * (1 - B + B * term_count / self.mean_terms)
        presence = (K1 + 1) / (1 + norm)
        return sum(self.weights[p] for p in found.anywhere) * presence

    def exact_in_title(self, title_surfaces: set[str]) -> int:
        """How many deciding words the title holds as written (folded), not only by stem."""
        return sum(1 for w in self.words if w.surface in title_surfaces)

    def names_the_title(self, title_terms: list[str]) -> bool:
        """The query holds the whole title in a row, and those words weigh more than the rest
        of the query ("where can I find import metrics" and "Import Metrics")."""
        return self._names([self._positions(t) for t in self.significant(title_terms)])

    def _positions(self, term: str) -> frozenset[int]:
        """The positions of the deciding words a title term matches (remembered per term)."""
        found = self._term_positions.get(term)
        if found is None:
            positions = {w.position for w in self._by_term.get(term, ())}
            if self._prefix is not None and term.startswith(self._prefix.surface):
                positions.add(self._prefix.position)
            found = self._term_positions[term] = frozenset(positions)
        return found

    @staticmethod
    def _in_a_row(words: list[QueryWord], matching: list[frozenset[int]], at: int) -> bool:
        """The words match the title's terms from `at` on, one after the other."""
        return all(w.position in matching[at + k] for k, w in enumerate(words))

    def _names(self, matching: list[frozenset[int]]) -> bool:
        span = len(matching)
        if not span or not all(matching):
            return False
        total = sum(self.weights.values())
        for i in range(len(self.words) - span + 1):
            named = self.words[i : i + span]
            weight = sum(self.weights[w.position] for w in named)
            if weight * 2 > total and all(w.position in matching[k] for k, w in enumerate(named)):
                return True
        return False
