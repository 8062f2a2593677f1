"""Full-text search over articles, on the database's own index (FTS5 or tsvector)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from lorebase.db.models import Article, ArticleTranslation, SearchEntry
from lorebase.kb.categories import category_order
from lorebase.kb.revisions import article_revisions

# The text search configuration of migration 0005: 'simple' with accents folded.
PG_CONFIG = "lorebase_search"
_TAG = re.compile(r"<[^>]+>")
_MARKUP = re.compile(r"[#*_`>|~\[\]()!-]{1,}")
_WORD = re.compile(r"\w+", re.UNICODE)


def plain_text(body: str | None) -> str:
    """Searchable text of a Markdown or HTML body: tags and markup characters dropped."""
    if not body:
        return ""
    without_tags = html.unescape(_TAG.sub(" ", body))
    # split/join collapses whitespace like `\s+` does, and faster (bulk imports call this).
    return " ".join(_MARKUP.sub(" ", without_tags).split())


def index_article_language(session: Session, article: Article, tr: ArticleTranslation) -> None:
    """Refresh the latest and published search rows of one article language."""
    # Under the article's lock: two transactions that each delete and insert the rows would
    # otherwise both insert (neither sees the other's new rows).
    article_revisions.lock(session, tr)
    session.execute(
        delete(SearchEntry).where(
            SearchEntry.article_id == article.id, SearchEntry.language_code == tr.language_code
        )
    )
    wanted = {"latest": tr.latest_version}
    if tr.public_version:
        wanted["published"] = tr.public_version
    for kind, number in wanted.items():
        rev = article_revisions.revision(session, article.id, tr.language_code, number)
        if rev is None:
            continue
        session.add(
            SearchEntry(
                article_id=article.id,
                project_version_id=article.project_version_id,
                language_code=tr.language_code,
                kind=kind,
                version_number=number,
                title=rev.title,
                body=plain_text(rev.content or rev.html_content),
            )
        )
    session.flush()


@dataclass(frozen=True)
class SearchHit:
    article_id: str
    title: str
    body: str
    snippet: str
    version_number: int


@dataclass(frozen=True)
class SearchResult:
    hits: list[SearchHit]
    total: int


def query_words(query: str) -> list[str]:
    return _WORD.findall(query)


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
    entries = {
        e.id: e for e in session.scalars(select(SearchEntry).where(SearchEntry.id.in_(page)))
    }
    hits = [
        SearchHit(e.article_id, e.title, e.body, _opening(e.body), e.version_number)
        for e in (entries[i] for i in page)
    ]
    return SearchResult(hits, len(places))


def _opening(body: str, words: int = 32) -> str:
    """The start of a body, as long as a match snippet."""
    parts = body.split(maxsplit=words)
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")


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
    words = query_words(query)
    kind = "latest" if include_drafts else "published"
    if not words:
        return _every_article(
            session, workspace_id, lang, kind, offset=page * hits_per_page, limit=hits_per_page
        )
    params = {
        "pv": workspace_id,
        "lang": lang,
        "kind": kind,
        "limit": hits_per_page,
        "offset": page * hits_per_page,
    }
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        # Every word must occur; the last one may be a prefix (search-as-you-type).
        params["q"] = " ".join(f'"{w}"' for w in words[:-1]) + f' "{words[-1]}"*'
        # CROSS JOIN keeps the FTS match as the outer loop (SQLite never reorders it): with a
        # plain JOIN the count(*) query walked the scope index and ran MATCH once per row,
        # 6-15 s on 10,000 articles instead of ~25 ms (bench/reads.py workspace).
        scope = (
            "FROM search_fts CROSS JOIN search_entries e ON e.id = search_fts.rowid "
            "WHERE search_fts MATCH :q AND e.project_version_id = :pv "
            "AND e.language_code = :lang AND e.kind = :kind"
        )
        rows = session.execute(
            text(
                "SELECT e.article_id, e.title, e.body, e.version_number, "
                "snippet(search_fts, 1, '', '', '…', 32) "
                f"{scope} ORDER BY bm25(search_fts, 10.0, 1.0) LIMIT :limit OFFSET :offset"
            ),
            params,
        ).all()
        total = session.execute(text(f"SELECT count(*) {scope}"), params).scalar_one()
    else:
        params["q"] = " & ".join(
            f"{w}:*" if i == len(words) - 1 else w for i, w in enumerate(words)
        )
        scope = (
            f"FROM search_entries e, to_tsquery('{PG_CONFIG}', :q) query "
            "WHERE e.document @@ query AND e.project_version_id = :pv "
            "AND e.language_code = :lang AND e.kind = :kind"
        )
        rows = session.execute(
            text(
                "SELECT e.article_id, e.title, e.body, e.version_number, "
                f"ts_headline('{PG_CONFIG}', e.body, query, "
                '\'StartSel="", StopSel="", MaxWords=32\') '
                f"{scope} ORDER BY ts_rank(e.document, query) DESC, e.title "
                "LIMIT :limit OFFSET :offset"
            ),
            params,
        ).all()
        total = session.execute(text(f"SELECT count(*) {scope}"), params).scalar_one()
    hits = [SearchHit(r[0], r[1], r[2], r[4], r[3]) for r in rows]
    return SearchResult(hits, int(total))
