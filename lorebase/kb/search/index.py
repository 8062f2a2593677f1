"""Keeping the search index: an article language's entries and its workspace's vocabulary."""

from __future__ import annotations

import functools
import hashlib
import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, delete, exists, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from lorebase.db.models import (
    Article,
    ArticleRevision,
    ArticleTranslation,
    SearchEntry,
    VocabularyWord,
)
from lorebase.kb.revisions import article_revisions
from lorebase.kb.search.analysis import analyzer
from lorebase.render import MergeCodeValues, resolve_merge_codes

_TAG = re.compile(r"<[^>]+>")
_MARKUP = re.compile(r"[#*_`>|~\[\]()!-]{1,}")
# Longer words (a hash, an encoded blob) are indexed but left out of the vocabulary: nobody
# types them with a typo worth correcting.
VOCABULARY_WORD_LENGTH = 40
TITLE_LENGTH = 500  # search_entries.title


def scope_term(workspace_id: str, language_code: str, kind: str) -> str:
    """The term naming an entry's scope (workspace, language, latest or published) in SQLite's
    index, so that a lookup is restricted to one scope inside the index instead of row by row.
    "§" is no word character: no text has this term."""
    digest = hashlib.blake2b(f"{workspace_id}|{language_code}|{kind}".encode(), digest_size=10)
    return "§" + digest.hexdigest()


def plain_text(body: str | None) -> str:
    """Searchable text of a Markdown or HTML body: tags and markup characters dropped."""
    if not body:
        return ""
    without_tags = html.unescape(_TAG.sub(" ", body))
    # split/join collapses whitespace like `\s+` does, and faster (bulk imports call this).
    return " ".join(_MARKUP.sub(" ", without_tags).split())


@dataclass(frozen=True)
class IndexedText:
    """What the index keeps of a title and a body besides the texts themselves."""

    title_terms: list[str]
    body_terms: list[str]
    words: set[tuple[str, str]]  # (word as written, folded; its term): the vocabulary's rows

    def columns(self) -> dict[str, Any]:
        """`terms` holds each term once (the index and the ranking ask only whether an entry
        holds a term); `term_count` is the length of the text in terms."""
        terms = self.title_terms + self.body_terms
        return {
            "title_terms": " ".join(self.title_terms),
            "terms": " ".join(dict.fromkeys(terms)),
            "term_count": len(terms),
        }


def indexed(title: str, body: str, language_code: str) -> IndexedText:
    analysis = analyzer(language_code)
    title_words, title_terms = analysis.indexed(title)
    body_words, body_terms = analysis.indexed(body)
    words = {
        (word, term)
        for word, term in zip(title_words + body_words, title_terms + body_terms, strict=True)
        if len(word) <= VOCABULARY_WORD_LENGTH and len(term) <= VOCABULARY_WORD_LENGTH
    }
    return IndexedText(title_terms, body_terms, words)


def entry_row(
    *,
    article_id: str,
    workspace_id: str,
    language_code: str,
    kind: str,
    version_number: int,
    title: str,
    body: str,
    text: IndexedText | None = None,
) -> dict[str, Any]:
    """One search_entries row, for bulk inserts (imports) as for `index_article_language`.
    `body` is the plain text (`plain_text`); `text` its analysis when the caller has it."""
    text = text or indexed(title, body, language_code)
    return {
        "article_id": article_id,
        "project_version_id": workspace_id,
        "language_code": language_code,
        "kind": kind,
        "scope": scope_term(workspace_id, language_code, kind),
        "version_number": version_number,
        "title": title,
        "body": body,
        **text.columns(),
    }


def add_vocabulary(
    executor: Session | Connection,
    workspace_id: str,
    language_code: str,
    words: Iterable[tuple[str, str]],
) -> None:
    """Add the (word, term) pairs the workspace language does not know yet (concurrent
    writers may add the same ones: each word is kept once)."""
    rows = [
        {"project_version_id": workspace_id, "language_code": language_code, "word": w, "term": t}
        for w, t in sorted(set(words))
    ]
    if not rows:
        return
    bind = executor.get_bind() if isinstance(executor, Session) else executor
    table = cast(Table, VocabularyWord.__table__)
    statement: Any
    if bind.dialect.name == "postgresql":
        statement = postgresql.insert(table).on_conflict_do_nothing()
    else:
        statement = sqlite.insert(table).on_conflict_do_nothing()
    executor.execute(statement, rows)


def searchable(
    title: str, body: str | None, values_of: Callable[[], MergeCodeValues] | None
) -> tuple[str, str]:
    """A revision's title and the plain text of its body as readers see them: merge codes
    resolved (a reader searches for the product's name, not for `{{variable.Product}}`).
    `values_of` gives the language's merge-code values; it is called only for a text that
    holds a merge code (most do not, and reading the values is a query)."""
    if values_of is not None:
        if "{{" in title:
            title = resolve_merge_codes(title, values_of(), target="markdown")[:TITLE_LENGTH]
        if body and "{{" in body:
            body = resolve_merge_codes(body, values_of(), target="markdown")
    return title, plain_text(body)


def index_article_language(
    session: Session,
    article: Article,
    tr: ArticleTranslation,
    values_of: Callable[[], MergeCodeValues],
) -> None:
    """Refresh the latest and published search rows of one article language; `values_of`
    gives the language's merge-code values (see `searchable`)."""
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
    vocabulary: set[tuple[str, str]] = set()
    # Latest and published are often the same revision: read and analysed once.
    texts: dict[int, tuple[str, str, IndexedText]] = {}
    for kind, number in wanted.items():
        if number not in texts:
            rev = article_revisions.revision(session, article.id, tr.language_code, number)
            if rev is None:
                continue
            title, body = searchable(rev.title, rev.content or rev.html_content, values_of)
            texts[number] = title, body, indexed(title, body, tr.language_code)
            vocabulary |= texts[number][2].words
        title, body, text = texts[number]
        session.add(
            SearchEntry(
                **entry_row(
                    article_id=article.id,
                    workspace_id=article.project_version_id,
                    language_code=tr.language_code,
                    kind=kind,
                    version_number=number,
                    title=title,
                    body=body,
                    text=text,
                )
            )
        )
    add_vocabulary(session, article.project_version_id, tr.language_code, vocabulary)
    session.flush()


def reindex_merge_code_users(
    session: Session, workspace_id: str, values_of: Callable[[str], MergeCodeValues]
) -> None:
    """Index again the article languages of a workspace whose latest or published revision
    holds a merge code, after a variable, snippet or glossary term changed.
    `values_of(language_code)` gives a language's values."""
    current = or_(
        ArticleRevision.version_number == ArticleTranslation.latest_version,
        ArticleRevision.version_number == ArticleTranslation.public_version,
    )
    holds_a_code = or_(
        ArticleRevision.title.contains("{{"),
        ArticleRevision.content.contains("{{"),
        ArticleRevision.html_content.contains("{{"),
    )
    users = session.execute(
        select(Article, ArticleTranslation)
        .join(ArticleTranslation, ArticleTranslation.article_id == Article.id)
        .where(
            Article.project_version_id == workspace_id,
            exists().where(
                ArticleRevision.article_id == Article.id,
                ArticleRevision.language_code == ArticleTranslation.language_code,
                current,
                holds_a_code,
            ),
        )
        .order_by(Article.id, ArticleTranslation.language_code)
    ).all()
    for article, tr in users:
        index_article_language(session, article, tr, functools.partial(values_of, tr.language_code))
