"""Text → index terms, one way for indexing, querying and highlighting, in Python so that
SQLite and PostgreSQL index and look up exactly the same terms.

A term is a word case-folded, stemmed by the Snowball stemmer of its language (PyStemmer), then
with its accents folded: "Libraries" → "librari", "Créations" → "creation". Words are runs of
letters and digits; Chinese, Japanese and Korean text, written without spaces, is cut into
overlapping pairs of characters (a bigram index, as Lucene's CJK analyzer does), so a query of
two or more characters finds the text it occurs in.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

from lorebase.kb.search.stopwords import STOP_WORDS

_WORD = re.compile(r"[^\W_]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]+")

# Language codes (BCP 47 primary subtags) → Snowball algorithms PyStemmer ships.
_ALGORITHMS = {
    "ar": "arabic", "ca": "catalan", "cs": "czech", "da": "danish", "de": "german",
    "el": "greek", "en": "english", "eo": "esperanto", "es": "spanish", "et": "estonian",
    "eu": "basque", "fa": "persian", "fi": "finnish", "fr": "french", "ga": "irish",
    "hi": "hindi", "hu": "hungarian", "hy": "armenian", "id": "indonesian", "it": "italian",
    "lt": "lithuanian", "nb": "norwegian", "ne": "nepali", "nl": "dutch", "nn": "norwegian",
    "no": "norwegian", "pl": "polish", "pt": "portuguese", "ro": "romanian", "ru": "russian",
    "sr": "serbian", "sv": "swedish", "ta": "tamil", "tr": "turkish", "yi": "yiddish",
}  # fmt: skip


def algorithm_of(language_code: str) -> str | None:
    """The stemmer for a language code such as "en", "en-US" or "pt_BR"; None: no stemming."""
    primary = re.split(r"[-_]", language_code.lower(), maxsplit=1)[0]
    return _ALGORITHMS.get(primary)


@lru_cache(maxsize=1 << 16)
def fold(word: str) -> str:
    """Accents off: "création" → "creation" (compatibility decomposition, marks dropped)."""
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True)
class Word:
    """One word of a text: where it stands, as written folded, and its index term."""

    start: int
    end: int
    surface: str  # case- and accent-folded, not stemmed: what "exact" matches compare
    term: str


class Analyzer:
    """The analysis of one language. Not shared between threads (PyStemmer's stemmers are
    not thread-safe): `analyzer(code)` hands each thread its own."""

    def __init__(self, algorithm: str | None) -> None:
        self._stemmer = Stemmer.Stemmer(algorithm) if algorithm else None
        words = STOP_WORDS.get(algorithm or "", frozenset())
        self.stop_words = frozenset(fold(w) for w in words)  # as typed, folded
        self.stop_terms = frozenset(self.terms(" ".join(sorted(words))))  # as indexed

    def _stems(self, words: list[str]) -> list[str]:
        if self._stemmer is None:
            return words
        return list(self._stemmer.stemWords(words))

    def terms(self, text: str) -> list[str]:
        """The index terms of `text`, in order (repeats kept: they are term frequencies)."""
        return self.indexed(text)[1]

    def indexed(self, text: str) -> tuple[list[str], list[str]]:
        """The words of `text` as written (folded) and their index terms, side by side."""
        if _CJK.search(text):
            words = self.words(text)
            return [w.surface for w in words], [w.term for w in words]
        # Words are found before case folding, as in words(): folding can split a word
        # ("İ" becomes "i" and a combining dot).
        lowered = [w.casefold() for w in _WORD.findall(text)]
        return [fold(w) for w in lowered], [fold(t) for t in self._stems(lowered)]

    def surfaces(self, text: str) -> set[str]:
        """The words of `text` as written, folded (what "exact" matches compare)."""
        if _CJK.search(text):
            return {w.surface for w in self.words(text)}
        return {fold(w.casefold()) for w in _WORD.findall(text)}

    def word(self, text: str) -> Word:
        """One word, as `words` would give it (no CJK characters)."""
        lowered = text.casefold()
        return Word(0, len(text), fold(lowered), fold(self._stems([lowered])[0]))

    def words(self, text: str) -> list[Word]:
        """Every word of `text` with its place, for queries and highlighting."""
        # casefold() may change a string's length ("ß" → "ss"): words are found in the
        # original text and folded one by one, so their places stay those of `text`.
        found: list[tuple[int, int, str]] = []
        for match in _WORD.finditer(text):
            token = match.group()
            if not _CJK.search(token):
                found.append((match.start(), match.end(), token.casefold()))
                continue
            for start, end, piece in _split_cjk(token, match.start()):
                found.append((start, end, piece.casefold()))
        stems = self._stems([w for _, _, w in found])
        return [
            Word(start, end, fold(lowered), lowered if _CJK.match(lowered) else fold(stem))
            for (start, end, lowered), stem in zip(found, stems, strict=True)
        ]


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


def _split_cjk(token: str, offset: int) -> list[tuple[int, int, str]]:
    """A token holding CJK characters: its other runs whole, each CJK run as bigrams."""
    pieces: list[tuple[int, int, str]] = []
    position = 0
    for run in _CJK.finditer(token):
        if run.start() > position:
            pieces.append((offset + position, offset + run.start(), token[position : run.start()]))
        text = run.group()
        if len(text) == 1:
            pieces.append((offset + run.start(), offset + run.end(), text))
        for i in range(len(text) - 1):
            at = offset + run.start() + i
            pieces.append((at, at + 2, text[i : i + 2]))
        position = run.end()
    if position < len(token):
        pieces.append((offset + position, offset + len(token), token[position:]))
    return pieces


_local = threading.local()


def analyzer(language_code: str) -> Analyzer:
    """This thread's analyzer for a language code."""
    algorithm = algorithm_of(language_code)
    cache: dict[str | None, Analyzer] | None = getattr(_local, "analyzers", None)
    if cache is None:
        cache = _local.analyzers = {}
    found = cache.get(algorithm)
    if found is None:
        found = cache[algorithm] = Analyzer(algorithm)
    return found
