"""Full-text search over articles, as readers type it: stems, typos, questions, prefixes.

The text is analysed in Python (`analysis`), the database only looks index terms up (FTS5 on
SQLite, tsvector on PostgreSQL: `query.TermIndex`), and the matching and the ranking are
Python's (`ranking`), so both engines answer the same query with the same hits in the same
order.
"""

from __future__ import annotations

import html
import threading
from dataclasses import dataclass

from sqlalchemy import BindParameter, bindparam, func, select
from sqlalchemy.orm import Session

from lorebase.db.models import Article, ProjectVersion, SearchEntry
from lorebase.kb.categories import category_order
from lorebase.kb.search.analysis import Analyzer, analyzer
from lorebase.kb.search.highlight import Highlight, highlight_title, snippet
from lorebase.kb.search.index import index_article_language
from lorebase.kb.search.query import (
    Lookup,
    QueryWord,
    TermIndex,
    Terms,
    find_variants,
    query_words,
)
from lorebase.kb.search.ranking import TITLE_IN_QUERY, Found, Ranking

__all__ = [
    "Highlight",
    "SearchHit",
    "SearchResult",
    "index_article_language",
    "search_articles",
]


@dataclass(frozen=True)
class SearchHit:
    article_id: str
    title: str
    body: str
    version_number: int
    title_highlight: Highlight
    snippet: Highlight


@dataclass(frozen=True)
class SearchResult:
    hits: list[SearchHit]
    total: int


def search_articles(
    session: Session,
    workspace_id: str,
    lang: str,
    query: str,
    *,
    page: int,
    hits_per_page: int,
    include_drafts: bool,
) -> SearchResult:
    kind = "latest" if include_drafts else "published"
    analysis = analyzer(lang)
    words = query_words(query, analysis)
    if not words:
        return _every_article(
            session, workspace_id, lang, kind, offset=page * hits_per_page, limit=hits_per_page
        )
    ranked = rank(session, workspace_id, lang, words, analysis, kind, hits_per_page, page + 1)
    chosen = ranked.entries[page * hits_per_page :]
    return SearchResult(ranked_hits(session, ranked, chosen), ranked.total)


@dataclass(frozen=True)
class Ranked:
    """A query's hits before their texts are read: search entry ids, best first."""

    entries: list[int]
    total: int
    words: list[QueryWord]
    analysis: Analyzer


def rank(
    session: Session,
    workspace_id: str,
    lang: str,
    words: list[QueryWord],
    analysis: Analyzer,
    kind: str,
    hits_per_page: int,
    pages: int,
) -> Ranked:
    """The first `pages` pages of hits of `words` (`query_words`, not empty), in order."""
    stamp = session.scalar(
        select(ProjectVersion.content_stamp).where(ProjectVersion.id == workspace_id)
    )
    index = TermIndex(session, workspace_id, lang, kind, int(stamp or 0))
    # Relaxed until a page is full, whichever page is asked for: the total stays the same
    # from page to page.
    matching = _matching(session, index, words, hits_per_page)
    if matching is None:
        return Ranked([], 0, words, analysis)
    ranked = _ranked(session, index, matching, analysis, pages * hits_per_page)
    return Ranked(ranked[: pages * hits_per_page], matching.total, words, analysis)


def articles_of(session: Session, entries: list[int]) -> dict[int, str]:
    """The article of each search entry (without reading the entries' texts)."""
    if not entries:
        return {}
    rows = session.execute(_ARTICLES_OF, {"ids": entries})
    return {entry_id: article_id for entry_id, article_id in rows}


def ranked_hits(session: Session, ranked: Ranked, entries: list[int]) -> list[SearchHit]:
    """`entries` (some of `ranked`'s) as hits, texts highlighted."""
    return _hits(session, entries, ranked.words, ranked.analysis) if entries else []


@dataclass
class _Matching:
    """The deciding words, how often each occurs, the words every hit must hold (none: any
    word will do), and how many hits there are."""

    words: list[QueryWord]
    frequencies: dict[int, int]
    required: list[QueryWord]
    total: int

    def any_word(self, in_title: bool = False) -> Terms:
        return Terms(tuple(t for w in self.words for t in w.lookups()), in_title)

    def stages(self) -> list[Lookup]:
        """The matching's stages up to the one reached: every word, then fewer."""
        dropping = sorted(self.words, key=lambda w: (-self.frequencies[w.position], -w.position))
        found = []
        for k in range(len(dropping)):
            stage = dropping[k:]
            found.append(Lookup(tuple(Terms(tuple(w.lookups())) for w in stage)))
            if stage == self.required:
                return found
        return [*found, Lookup((self.any_word(),))]


def _matching(
    session: Session, index: TermIndex, words: list[QueryWord], page_size: int
) -> _Matching | None:
    """Stop words never decide while other words find something. Every deciding word is
    required first; while that finds fewer than a page, the most frequent one stops being
    required (Meilisearch's "frequency" strategy, Algolia's optional words), down to the
    rarest alone, then any of them."""
    others = [w for w in words if not w.stop]
    for group in (others, [w for w in words if w.stop]) if others else (words,):
        find_variants(session, index.params["pv"], index.params["lang"], group)
        counts = index.counts([Lookup((Terms(tuple(w.lookups())),)) for w in group])
        present = [w for w, n in zip(group, counts, strict=True) if n]
        if present:
            break
    else:
        return None
    frequencies = {w.position: n for w, n in zip(group, counts, strict=True) if n}
    matching = _Matching(present, frequencies, [], 0)
    stages = matching.stages()
    dropping = sorted(present, key=lambda w: (-frequencies[w.position], -w.position))
    # One stage at a time: the strictest usually fills the page on its own.
    for k, stage in enumerate(stages):
        (total,) = index.counts([stage])
        if total >= page_size or k == len(stages) - 1:
            matching.required, matching.total = dropping[k:], total
            return matching
    return matching


_ENTRY_IDS: BindParameter[int] = bindparam("ids", expanding=True)
_TITLES = select(SearchEntry.id, SearchEntry.title_terms).where(SearchEntry.id.in_(_ENTRY_IDS))
_TEXTS = select(
    SearchEntry.id, SearchEntry.term_count, SearchEntry.terms, SearchEntry.title_terms
).where(SearchEntry.id.in_(_ENTRY_IDS))
_TITLE_TEXTS = select(SearchEntry.id, SearchEntry.title).where(SearchEntry.id.in_(_ENTRY_IDS))
# Entries holding the query's words only outside their titles are taken shortest first, this
# many beyond the page: beyond those, their order is not worth reading their texts for.
UNTITLED_EXTRA = 20
# Of a tie at the page's end larger than this (a common word), the first by id get the finer
# tiers; the rest follow in id order.
MAX_TIED = 200
READ_BATCH = 20
# Titled entries whose texts are read past those the query names: a longer tie at the page's
# end (a title word shared by hundreds of titles) keeps the order of its ids.
MAX_READ = 160


def _ranked(
    session: Session, index: TermIndex, matching: _Matching, analysis: Analyzer, wanted: int
) -> list[int]:
    """The hits' entries, best first, as far as `wanted` needs them ordered."""
    statistics = _statistics(session, index)
    ranking = Ranking(
        matching.words,
        matching.frequencies,
        statistics.entries,
        statistics.mean_terms,
        analysis.stop_terms,
    )
    required = {w.position for w in matching.required}
    words = matching.words
    places: dict[int, tuple[tuple[int, ...], Found, int]] = {}

    def place(entry_id: int, terms: str, term_count: int, title: list[str]) -> None:
        """Place an entry from its terms, if it is a hit: it holds the words the matching
        requires, or the query names its whole title ("where can I find web fonts" and "Web
        Fonts", which never says "find")."""
        found = _found_in_terms(words, terms, in_title.get(entry_id, set()))
        standing = ranking.standing(found, title)
        if required <= found.anywhere or standing[0] <= TITLE_IN_QUERY:
            places[entry_id] = (standing, found, term_count)

    # The entries with a query word in their title, each at the best it could stand were
    # every word in its text, are read in that order until the next one could not displace
    # any of the `wanted` best (Fagin's threshold algorithm). Their titles are read first
    # only where they carry weight.
    titled = matching.any_word(in_title=True)
    in_title = _holders(
        words, index.entries([Lookup((Terms(tuple(w.lookups()), in_title=True),)) for w in words])
    )
    weighty = [e for e, held in in_title.items() if ranking.carries_weight(held)]
    titles = {e: terms.split() for e, terms in session.execute(_TITLES, {"ids": weighty})}
    bounds = {e: ranking.best_with_title(held, titles.get(e)) for e, held in in_title.items()}
    # An entry whose title the query names is a hit whatever its text holds: each is read,
    # to be counted beyond the matching's total.
    named = [e for e, bound in bounds.items() if bound[0] == TITLE_IN_QUERY]
    others = sorted(set(bounds) - set(named), key=lambda e: (bounds[e], e))
    queue = named + others
    read = 0
    while read < len(queue) and read < len(named) + MAX_READ:
        if read >= len(named) and len(places) >= wanted:
            worst_kept = sorted(p[0] for p in places.values())[wanted - 1]
            # Past a few more than the page, an entry that could at best tie is left: ties
            # are decided by the finer tiers, which would reorder them only a little.
            tie = read >= len(named) + wanted + READ_BATCH // 2
            if bounds[queue[read]] > worst_kept or (tie and bounds[queue[read]] == worst_kept):
                break
        batch = queue[read : read + READ_BATCH]
        read += len(batch)
        for entry_id, term_count, terms, title_terms in session.execute(_TEXTS, {"ids": batch}):
            place(entry_id, terms, term_count, title_terms.split())

    # The entries holding the words only outside their titles, if the titled ones do not
    # fill the page with better: strictest stage first, shortest entries first.
    better = sum(1 for p in places.values() if p[0] < ranking.best_without_title())
    if better < wanted:
        sample: list[int] = []
        for stage in matching.stages():
            untitled = Lookup(stage.all_of, none_of=(titled,))
            more = wanted + UNTITLED_EXTRA - len(sample)
            sample += [e for e in index.shortest(untitled, more) if e not in sample][:more]
            if len(sample) >= wanted + UNTITLED_EXTRA:
                break
        for entry_id, term_count, terms, _ in session.execute(_TEXTS, {"ids": sample}):
            place(entry_id, terms, term_count, [])

    matching.total += sum(1 for e in named if e in places and not required <= places[e][1].anywhere)

    ordered = sorted(places, key=lambda e: (places[e][0], e))
    if not ordered:
        return []
    # Only the entries tied with those the page shows need the finer tiers; of a larger tie
    # (a common word), the first MAX_TIED by id.
    cut = places[ordered[min(wanted, len(ordered)) - 1]][0]
    tied = [e for e in ordered if places[e][0] <= cut][: max(MAX_TIED, wanted)]
    title_texts = {e: title for e, title in session.execute(_TITLE_TEXTS, {"ids": tied})}
    finer = {}
    for entry_id in tied:
        _, found, term_count = places[entry_id]
        exact = ranking.exact_in_title(analysis.surfaces(title_texts.get(entry_id, "")))
        finer[entry_id] = (-exact, -ranking.bm25(found, term_count))
    scored = sorted(tied, key=lambda e: (places[e][0], *finer[e], e))
    return scored + [e for e in ordered if e not in finer]


def _holders(words: list[QueryWord], sets: list[set[int]]) -> dict[int, set[int]]:
    """Entry → the positions of the words (of `words`) whose set holds it."""
    found: dict[int, set[int]] = {}
    for word, holders in zip(words, sets, strict=True):
        for entry_id in holders:
            found.setdefault(entry_id, set()).add(word.position)
    return found


def _found_in_terms(words: list[QueryWord], terms: str, in_title: set[int]) -> Found:
    """What an entry holds, read from its space-separated terms (`in_title`: the words its
    title holds)."""
    padded = f" {terms} "
    anywhere, typo_only = set(), set()
    for word in words:
        completed = word.last and (
            f" {word.surface}" in padded or any(f" {t} " in padded for t in word.completions)
        )
        if f" {word.term} " in padded or completed:
            anywhere.add(word.position)
        elif any(f" {t} " in padded for t in word.typos):
            anywhere.add(word.position)
            typo_only.add(word.position)
    return Found(frozenset(anywhere), frozenset(in_title), frozenset(typo_only))


_statistics_cache: dict[tuple[str, str, str], tuple[int, Statistics]] = {}
_statistics_lock = threading.Lock()


@dataclass(frozen=True)
class Statistics:
    """Of the scope searched: how many entries, and their mean length in terms."""

    entries: int
    mean_terms: float


def _statistics(session: Session, index: TermIndex) -> Statistics:
    """Entries and mean length of the scope, computed again when the workspace changed."""
    workspace_id, lang, kind = index.params["pv"], index.params["lang"], index.params["kind"]
    key = (workspace_id, lang, kind)
    with _statistics_lock:
        cached = _statistics_cache.get(key)
    if cached is not None and cached[0] == index.stamp:
        return cached[1]
    count, mean = session.execute(
        select(func.count(), func.avg(SearchEntry.term_count)).where(
            SearchEntry.project_version_id == workspace_id,
            SearchEntry.language_code == lang,
            SearchEntry.kind == kind,
        )
    ).one()
    statistics = Statistics(int(count), float(mean or 0.0))
    with _statistics_lock:
        _statistics_cache[key] = (index.stamp, statistics)
    return statistics


_ARTICLES_OF = select(SearchEntry.id, SearchEntry.article_id).where(SearchEntry.id.in_(_ENTRY_IDS))
_PAGE = select(
    SearchEntry.id,
    SearchEntry.article_id,
    SearchEntry.title,
    SearchEntry.body,
    SearchEntry.version_number,
).where(SearchEntry.id.in_(_ENTRY_IDS))


def _hits(
    session: Session, chosen: list[int], words: list[QueryWord], analysis: Analyzer
) -> list[SearchHit]:
    # On PostgreSQL each statement reads the latest committed data: an entry ranked a moment
    # ago may have been replaced by a concurrent edit since (its article is indexed again
    # under a new id). Such a hit is left out of the page rather than failing the search.
    rows = {row.id: row for row in session.execute(_PAGE, {"ids": chosen})}
    return [
        SearchHit(
            article_id=row.article_id,
            title=row.title,
            body=row.body,
            version_number=row.version_number,
            title_highlight=highlight_title(row.title, words, analysis),
            snippet=snippet(row.body, words, analysis),
        )
        for row in (rows[e] for e in chosen if e in rows)
    ]


# --- the empty query ------------------------------------------------------------------------


def _every_article(
    session: Session, workspace_id: str, lang: str, kind: str, *, offset: int, limit: int
) -> SearchResult:
    """Every article of the scope, in tree order: Document360's search is Algolia's, where an
    empty query matches every record, and clients list a whole workspace that way."""
    in_scope = (
        SearchEntry.project_version_id == workspace_id,
        SearchEntry.language_code == lang,
        SearchEntry.kind == kind,
    )
    order = category_order(session, workspace_id)
    # Articles at the workspace's root come before the first category.
    places = sorted(
        session.execute(
            select(SearchEntry.id, Article.id, Article.category_id, Article.position)
            .join(Article, Article.id == SearchEntry.article_id)
            .where(*in_scope)
        ),
        key=lambda p: (order.get(p[2], -1) if p[2] else -1, p[3], p[1]),
    )
    page = [p[0] for p in places[offset : offset + limit]]
    entries = {e.id: e for e in session.execute(_PAGE, {"ids": page})}
    hits = [
        SearchHit(
            article_id=e.article_id,
            title=e.title,
            body=e.body,
            version_number=e.version_number,
            title_highlight=Highlight(html.escape(e.title), "none", [], False),
            snippet=Highlight(html.escape(_opening(e.body)), "none", [], False),
        )
        for e in (entries[i] for i in page if i in entries)
    ]
    return SearchResult(hits, len(places))


def _opening(body: str, words: int = 32) -> str:
    """The start of a body, as long as a match snippet."""
    parts = body.split(maxsplit=words)
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")
