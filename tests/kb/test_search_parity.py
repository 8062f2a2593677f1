"""SQLite and PostgreSQL answer the same search with the same hits, in the same order, with the
same highlights: the engines only look index terms up, Lorebase does the rest
(lorebase.kb.search). Checked on one generated workspace written into both, with queries of
every kind a reader types."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bench.generate import generate_workspace, scratch_database
from lorebase.db.engine import make_engine, make_session_factory, transaction
from lorebase.db.models import SearchEntry
from lorebase.kb.search import SearchResult, search_articles
from tests.conftest import PG_URL


def _queries(session: Session, workspace_id: str, count: int) -> list[tuple[str, str, bool]]:
    """(language, query, include drafts): titles as typed, with a typo, cut short, asked as a
    question, and words of bodies, single and in pairs."""
    rng = random.Random(11)
    entries = session.execute(
        select(SearchEntry.language_code, SearchEntry.title, SearchEntry.body)
        .where(SearchEntry.project_version_id == workspace_id)
        .order_by(SearchEntry.id)
    ).all()
    queries: list[tuple[str, str, bool]] = []
    for language, title, body in rng.sample(entries, count):
        words = title.split()
        longest = max(words, key=len)
        if len(longest) > 4:
            i = rng.randrange(1, len(longest) - 2)
            swapped = longest[:i] + longest[i + 1] + longest[i] + longest[i + 2 :]
            queries.append((language, title.replace(longest, swapped), False))
        body_words = body.split()
        pair = rng.sample(body_words, 2) if len(body_words) > 1 else body_words
        queries += [
            (language, title, False),
            (language, title.lower(), True),
            (language, " ".join([*words[:-1], words[-1][:3]]), False),
            (language, f"how do I {title.lower()}", False),
            (language, rng.choice(body_words), False),
            (language, " ".join(pair), True),
        ]
    return queries


def _answer(result: SearchResult) -> tuple[int, list[tuple[str, str, str, str]]]:
    return result.total, [
        (h.article_id, h.title_highlight.value, h.snippet.value, h.snippet.match_level)
        for h in result.hits
    ]


@pytest.mark.skipif(
    not PG_URL, reason="compares with PostgreSQL: set LOREBASE_TEST_DATABASE_URL (CI does)"
)
@pytest.mark.timeout(300)
def test_both_engines_give_the_same_hits_in_the_same_order(tmp_path: Path) -> None:
    with scratch_database(PG_URL) as postgres_url:
        sqlite_url = f"sqlite:///{tmp_path / 'lorebase.sqlite3'}"
        made = {
            url: generate_workspace(url, categories=30, articles=400, seed=5)
            for url in (sqlite_url, postgres_url)
        }
        engines = {url: make_engine(url, pooled=False) for url in made}
        try:
            with transaction(make_session_factory(engines[sqlite_url])) as session:
                queries = _queries(session, made[sqlite_url].workspace_id, 40)
            answers: dict[str, list[object]] = {}
            for url, workspace in made.items():
                with transaction(make_session_factory(engines[url])) as session:
                    answers[url] = [
                        _answer(
                            search_articles(
                                session,
                                workspace.workspace_id,
                                language,
                                query,
                                page=page,
                                hits_per_page=10,
                                include_drafts=drafts,
                            )
                        )
                        for language, query, drafts in queries
                        for page in (0, 1)
                    ]
        finally:
            for engine in engines.values():
                engine.dispose()

    found = sum(1 for total, _ in answers[sqlite_url] if total)  # type: ignore[misc]
    assert found > len(queries)  # most queries find something: the comparison means something
    for i, (sqlite_answer, postgres_answer) in enumerate(
        zip(answers[sqlite_url], answers[postgres_url], strict=True)
    ):
        assert sqlite_answer == postgres_answer, queries[i // 2]
