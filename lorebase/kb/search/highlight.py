"""The words of a hit that matched, marked as Algolia marks them: `<em>` around each, the rest
HTML-escaped, a snippet of the body around the densest matches."""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass

from lorebase.kb.search.analysis import Analyzer, Word, fold, has_cjk
from lorebase.kb.search.query import QueryWord

OPEN, CLOSE = "<em>", "</em>"
SNIPPET_CHARS = 200  # about 32 words
CONTEXT_CHARS = 20  # shown before the first match
SNIPPET_SOURCE = 20_000


class _FoldedLetters(dict[int, str]):
    """A str.translate table folding each letter's accents when that keeps it one letter
    ("é" → "e"), filled as letters are met."""

    def __missing__(self, code: int) -> str:
        letter = chr(code)
        folded = fold(letter)
        self[code] = folded if len(folded) == 1 else letter
        return self[code]


_LETTERS_FOLDED = _FoldedLetters()


@dataclass(frozen=True)
class _Mark:
    """A word of a text that matches a query word."""

    start: int
    end: int
    word: QueryWord


ELLIPSIS = "…"


@dataclass(frozen=True)
class Highlight:
    value: str  # HTML: escaped text, matches in <em>
    match_level: str  # "none", "partial" or "full"
    matched_words: list[str]  # the query's words found, as the reader typed them
    fully_highlighted: bool


def _matched(words: list[Word], query: list[QueryWord]) -> dict[int, QueryWord]:
    """Index in `words` → the query word it matches."""
    by_term = {t: q for q in reversed(query) for t in (*q.completions, *q.typos, q.term)}
    prefix = next((q for q in query if q.last and q.surface), None)
    found: dict[int, QueryWord] = {}
    for i, word in enumerate(words):
        q = by_term.get(word.term)
        if q is None and prefix is not None and word.surface.startswith(prefix.surface):
            q = prefix
        if q is not None:
            found[i] = q
    return found


def _marked_spans(text: str, marks: list[tuple[int, int]], start: int, end: int) -> str:
    """text[start:end] escaped, with the spans `marks` (in order, inside it) in <em>."""
    parts: list[str] = []
    at = start
    for mark_start, mark_end in marks:
        parts.append(html.escape(text[at:mark_start]))
        parts.append(OPEN + html.escape(text[mark_start:mark_end]) + CLOSE)
        at = mark_end
    parts.append(html.escape(text[at:end]))
    return "".join(parts)


def _level(found: set[int], query: list[QueryWord]) -> str:
    if not found:
        return "none"
    return "full" if len(found) == len(query) else "partial"


def highlight_title(title: str, query: list[QueryWord], analysis: Analyzer) -> Highlight:
    words = analysis.words(title)
    matched = _matched(words, query)
    found = {q.position for q in matched.values()}
    return Highlight(
        value=_marked_spans(
            title, [(words[i].start, words[i].end) for i in sorted(matched)], 0, len(title)
        ),
        match_level=_level(found, query),
        matched_words=[q.typed for q in query if q.position in found],
        fully_highlighted=bool(words) and len(matched) == len(words),
    )


def _body_matches(body: str, query: list[QueryWord], analysis: Analyzer) -> list[_Mark]:
    """The body's words that match a query word, in order.

    Only words that may match are analysed: a word's stem, a typo's term and a prefix share
    their first two letters with the word as written."""
    if has_cjk(body) or any(has_cjk(q.surface) for q in query):
        words = analysis.words(body)
        found = _matched(words, query)
        return [_Mark(words[i].start, words[i].end, q) for i, q in sorted(found.items())]
    openings = sorted(
        {t[:2] for q in query for t in (q.term, q.surface, *q.typos, *q.completions) if t}
    )
    # The regex engine finds the candidates, Python looks at a few words, not all: in the
    # body with its accents folded letter for letter, so that places stay those of `body`.
    pattern = re.compile(
        r"(?<![^\W_])(?:" + "|".join(map(re.escape, openings)) + r")[^\W_]*", re.IGNORECASE
    )
    searched = body if body.isascii() else body.translate(_LETTERS_FOLDED)
    tokens = [m.span() for m in pattern.finditer(searched)]
    analysed = [analysis.word(body[start:end]) for start, end in tokens]
    found = _matched(analysed, query)
    return [_Mark(tokens[i][0], tokens[i][1], q) for i, q in sorted(found.items())]


def _densest_window(marks: list[_Mark]) -> int:
    """Where a window of SNIPPET_CHARS holds the most distinct query words (then the most
    matches), opening a little before a match for context; one pass over the matches (a
    long text may hold thousands)."""
    best_start, best_score = 0, (-1, -1)
    inside: Counter[int] = Counter()
    left = right = 0
    for mark in marks:
        start = max(0, mark.start - CONTEXT_CHARS)
        while right < len(marks) and marks[right].end <= start + SNIPPET_CHARS:
            inside[marks[right].word.position] += 1
            right += 1
        while left < right and marks[left].start < start:
            position = marks[left].word.position
            inside[position] -= 1
            if not inside[position]:
                del inside[position]
            left += 1
        score = (len(inside), right - left)
        if score > best_score:
            best_start, best_score = start, score
    return best_start


def snippet(body: str, query: list[QueryWord], analysis: Analyzer) -> Highlight:
    """About SNIPPET_CHARS of `body` (whole words) where most of the query's words are,
    looked for in its first SNIPPET_SOURCE characters (a 100 KB release note would cost a
    page of hits tens of milliseconds more, for a snippet a reader rarely scrolls for)."""
    if len(body) > SNIPPET_SOURCE:
        cut = body.rfind(" ", 0, SNIPPET_SOURCE)
        body = body[: cut if cut > 0 else SNIPPET_SOURCE]
    marks = _body_matches(body, query, analysis)
    begin = _densest_window(marks)
    if begin > 0:  # from the start of a word
        space = body.find(" ", begin)
        begin = space + 1 if 0 <= space < begin + CONTEXT_CHARS else begin
    finish = begin + SNIPPET_CHARS
    if finish >= len(body):
        finish = len(body)
    else:  # to the end of a word
        space = body.rfind(" ", begin, finish)
        finish = space if space > begin else finish
    shown = [m for m in marks if begin <= m.start and m.end <= finish]
    value = _marked_spans(body, [(m.start, m.end) for m in shown], begin, finish)
    if begin > 0:
        value = ELLIPSIS + value
    if finish < len(body):
        value += ELLIPSIS
    found = {m.word.position for m in shown}
    return Highlight(
        value=value,
        match_level=_level({m.word.position for m in marks}, query),
        matched_words=[q.typed for q in query if q.position in found],
        fully_highlighted=False,
    )
