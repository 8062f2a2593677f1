"""What readers tell the knowledge base: "Was this article helpful?" answers, and the searches
that found nothing (what the articles fail to cover)."""

from __future__ import annotations

import csv
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from sqlalchemy import and_, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from lorebase.db.models import (
    Article,
    ArticleFeedback,
    ArticleTranslation,
    Category,
    ProjectVersion,
    SearchMiss,
    utcnow,
)
from lorebase.kb import articles, workspaces
from lorebase.kb.errors import Invalid, NotFound

# Why an article did not help, as the reader picks it (slug stored, label shown). Short on
# purpose, like Document360's own list: a long list is skipped, not read.
FEEDBACK_REASONS: tuple[tuple[str, str], ...] = (
    ("missing-information", "It lacks the information I need"),
    ("hard-to-understand", "It is hard to understand"),
    ("inaccurate", "It is inaccurate or out of date"),
    ("broken-link", "A link or image is broken"),
    ("other", "Something else"),
)
REASON_LABELS = dict(FEEDBACK_REASONS)
COMMENT_MAX = 1000
QUERY_MAX = 200
ENTRIES_MAX = 1000
CSV_COLUMNS = (
    "created_at",
    "workspace",
    "language",
    "article_id",
    "article_title",
    "helpful",
    "reason",
    "comment",
)


@dataclass(frozen=True)
class FeedbackEntry:
    language_code: str
    helpful: bool
    reason: str | None
    comment: str | None
    created_at: datetime


@dataclass(frozen=True)
class FeedbackSummary:
    helpful: int
    not_helpful: int
    # Newest first, at most ENTRIES_MAX of them; the counts cover every answer.
    entries: list[FeedbackEntry]


@dataclass(frozen=True)
class MissedSearch:
    language_code: str
    query: str
    count: int
    last_searched_at: datetime


def _published_code(session: Session, article_id: str, lang: str) -> str | None:
    """The stored code of the article's language matching `lang` (any case), when that
    language has a published revision; readers never see drafts."""
    return session.scalar(
        select(ArticleTranslation.language_code).where(
            ArticleTranslation.article_id == article_id,
            func.lower(ArticleTranslation.language_code) == lang.lower(),
            ArticleTranslation.public_version > 0,
        )
    )


def is_readable(
    session: Session,
    project_id: str,
    article_id: str,
    lang: str,
    *,
    workspace_ids: Collection[str] | None = None,
) -> bool:
    """Whether readers see this article in `lang`: it is in the project (and, when given, in
    one of `workspace_ids`: a reader group's), published in that language, not hidden, and
    no category above it is hidden."""
    row = session.execute(
        select(Article.hidden, Article.category_id, Article.project_version_id)
        .join(ProjectVersion, ProjectVersion.id == Article.project_version_id)
        .where(Article.id == article_id, ProjectVersion.project_id == project_id)
    ).first()
    if row is None or row.hidden:
        return False
    if workspace_ids is not None and row.project_version_id not in workspace_ids:
        return False
    if _published_code(session, article_id, lang) is None:
        return False
    # One query per level: categories nest a handful deep. `seen` ends a cycle, which the
    # API's moves refuse but an imported tree could still hold.
    category_id: str | None = row.category_id
    seen: set[str] = set()
    while category_id is not None and category_id not in seen:
        seen.add(category_id)
        parent = session.execute(
            select(Category.hidden, Category.parent_id).where(Category.id == category_id)
        ).first()
        if parent is None or parent.hidden:
            return False
        category_id = parent.parent_id
    return True


def _plain(text: str | None) -> str:
    # Browsers send a textarea's line breaks as CRLF but count them as one character against
    # `maxlength`; PostgreSQL text cannot hold NUL.
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").replace("\0", "").strip()


def record_feedback(
    session: Session,
    project_id: str,
    article_id: str,
    language_code: str,
    *,
    helpful: bool,
    reason: str | None,
    comment: str | None,
) -> None:
    """Store one answer. Whether the reader may see the article (hidden, reader groups) is the
    caller's check (`is_readable`); here the article must only be published in the language.

    A reason and a comment come with "not helpful" only: sent with "helpful", they are dropped.
    """
    located = articles.locate(session, project_id, article_id)
    code = _published_code(session, article_id, language_code)
    if code is None:
        raise NotFound(f"The article is not published in the language {language_code!r}.")
    chosen: str | None = None
    text: str | None = None
    if not helpful:
        chosen = (reason or "").strip() or None
        if chosen is not None and chosen not in REASON_LABELS:
            raise Invalid(
                f"Unknown reason {chosen[:100]!r}; choose one of: {', '.join(REASON_LABELS)}."
            )
        text = _plain(comment) or None
        if text is not None and len(text) > COMMENT_MAX:
            raise Invalid(
                f"The comment may be at most {COMMENT_MAX:,} characters long; it has {len(text):,}."
            )
    session.add(
        ArticleFeedback(
            project_version_id=located.article.project_version_id,
            article_id=article_id,
            language_code=code,
            helpful=helpful,
            reason=chosen,
            comment=text,
        )
    )
    session.flush()


def article_feedback(
    session: Session, project_id: str, article_id: str, language_code: str | None = None
) -> FeedbackSummary:
    """The answers an article got (in one language, when given): counts and the newest
    ENTRIES_MAX entries, newest first."""
    articles.locate(session, project_id, article_id)
    where: list[Any] = [ArticleFeedback.article_id == article_id]
    if language_code:
        where.append(func.lower(ArticleFeedback.language_code) == language_code.lower())
    counts: dict[bool, int] = {
        bool(helpful): int(count)
        for helpful, count in session.execute(
            select(ArticleFeedback.helpful, func.count())
            .where(*where)
            .group_by(ArticleFeedback.helpful)
        )
    }
    rows = session.scalars(
        select(ArticleFeedback)
        .where(*where)
        .order_by(ArticleFeedback.created_at.desc(), ArticleFeedback.id.desc())
        .limit(ENTRIES_MAX)
    )
    return FeedbackSummary(
        helpful=counts.get(True, 0),
        not_helpful=counts.get(False, 0),
        entries=[
            FeedbackEntry(row.language_code, row.helpful, row.reason, row.comment, row.created_at)
            for row in rows
        ],
    )


# OWASP "CSV Injection": a spreadsheet runs a cell that starts with one of these as a formula
# (=HYPERLINK(...) leaking data, DDE commands). Comments and titles come from readers and
# authors, so such a cell is prefixed with an apostrophe: shown as text, never evaluated.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str | None) -> str:
    text = value or ""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _utc_text(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_feedback_csv(
    session: Session, project_id: str, out: TextIO, *, workspace_id: str | None = None
) -> int:
    """Every answer of the project (or of one workspace), oldest first, as CSV with a header
    row (CSV_COLUMNS); returns the number of answers written."""
    where: list[Any] = [ProjectVersion.project_id == project_id]
    if workspace_id is not None:
        if workspaces.find_workspace(session, project_id, workspace_id) is None:
            raise NotFound(f"No workspace with id {workspace_id} in this project.")
        where.append(ArticleFeedback.project_version_id == workspace_id)
    rows = session.execute(
        select(
            ArticleFeedback.created_at,
            ProjectVersion.slug,
            ArticleFeedback.language_code,
            ArticleFeedback.article_id,
            ArticleTranslation.title,
            ArticleFeedback.helpful,
            ArticleFeedback.reason,
            ArticleFeedback.comment,
        )
        .join(ProjectVersion, ProjectVersion.id == ArticleFeedback.project_version_id)
        .outerjoin(
            ArticleTranslation,
            and_(
                ArticleTranslation.article_id == ArticleFeedback.article_id,
                ArticleTranslation.language_code == ArticleFeedback.language_code,
            ),
        )
        .where(*where)
        .order_by(ArticleFeedback.created_at, ArticleFeedback.id)
        .execution_options(yield_per=500)
    )
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    written = 0
    for row in rows:
        writer.writerow(
            [
                _utc_text(row.created_at),
                csv_cell(row.slug),
                csv_cell(row.language_code),
                csv_cell(row.article_id),
                csv_cell(row.title),
                "yes" if row.helpful else "no",
                csv_cell(row.reason),
                csv_cell(row.comment),
            ]
        )
        written += 1
    return written


def fold_query(query: str) -> str:
    """A search as counted: trimmed, lower-cased, inner whitespace collapsed, at most
    QUERY_MAX characters; "Install  Guide " and "install guide" are one query."""
    return " ".join(query.replace("\0", "").split()).lower()[:QUERY_MAX].rstrip()


# Distinct missed queries kept per workspace language.
MISSES_KEPT = 10_000


def record_search_miss(session: Session, workspace_id: str, language_code: str, query: str) -> None:
    """Count one search of a workspace language that found nothing (an empty query is none)."""
    folded = fold_query(query)
    if not folded:
        return
    scope = (SearchMiss.project_version_id == workspace_id) & (
        SearchMiss.language_code == language_code
    )
    kept = session.scalar(select(func.count()).select_from(SearchMiss).where(scope))
    if (kept or 0) >= MISSES_KEPT:
        # Full: the queries already counted go on counting, new ones are not stored (anyone
        # can search, so anyone could otherwise grow the table without end).
        session.execute(
            update(SearchMiss)
            .where(scope, SearchMiss.query == folded)
            .values(count=SearchMiss.count + 1, last_searched_at=utcnow())
        )
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(SearchMiss).values(
        project_version_id=workspace_id,
        language_code=language_code,
        query=folded,
        count=1,
        last_searched_at=utcnow(),
    )
    # One atomic statement: two readers missing with the same words at once both count, where
    # a read-then-write would lose one or fail on the primary key.
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["project_version_id", "language_code", "query"],
            set_={
                "count": SearchMiss.count + 1,
                "last_searched_at": statement.excluded.last_searched_at,
            },
        )
    )


def search_misses(
    session: Session, workspace_id: str, language_code: str | None = None, limit: int = 100
) -> list[MissedSearch]:
    """The workspace's searches that found nothing, the most repeated first."""
    statement = select(SearchMiss).where(SearchMiss.project_version_id == workspace_id)
    if language_code:
        statement = statement.where(func.lower(SearchMiss.language_code) == language_code.lower())
    rows = session.scalars(
        statement.order_by(
            SearchMiss.count.desc(), SearchMiss.last_searched_at.desc(), SearchMiss.query
        ).limit(limit)
    )
    return [
        MissedSearch(row.language_code, row.query, row.count, row.last_searched_at) for row in rows
    ]
