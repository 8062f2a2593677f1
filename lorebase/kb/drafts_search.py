"""The portal's search: every article's latest revision in a workspace language, drafts and
hidden articles included, where readers search only what is published and shown.

The search index already keeps an entry for each article language's latest revision beside
its published one (`kb.search.index`), so this is the readers' search (stems, typos, title
matches first) over the other kind of entry, with what an author needs to know of each hit.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from lorebase.kb import articles, categories, search
from lorebase.kb.search.analysis import analyzer
from lorebase.kb.search.highlight import CLOSE, OPEN
from lorebase.kb.search.query import query_words
from lorebase.kb.views import CategoryNode
from lorebase.kb.workspaces import WorkspaceScope

MAX_HITS = 50
# Longer queries are cut: the search reads only its first words anyway (query.MAX_WORDS_READ).
MAX_QUERY = 500
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MARKS = re.compile(f"({re.escape(OPEN)}|{re.escape(CLOSE)})")


@dataclass(frozen=True)
class Marked:
    """A run of a title or snippet; `matched` when it is one of the query's words."""

    text: str
    matched: bool


@dataclass(frozen=True)
class DraftHit:
    article_id: str
    title: str
    title_marks: list[Marked]
    snippet: list[Marked]
    version_number: int  # the latest revision's
    public_version: int  # 0: never published
    hidden: bool
    category_path: list[str]  # names from the top level down; empty at the workspace's root

    @property
    def is_published(self) -> bool:
        """The latest revision is the one readers see."""
        return self.public_version != 0 and self.public_version == self.version_number


@dataclass(frozen=True)
class DraftSearch:
    query: str  # as searched: control characters dropped, cut to MAX_QUERY
    hits: list[DraftHit]
    total: int
    has_words: bool  # False: the query holds no word to search by (only punctuation, say)


def clean_query(raw: str) -> str:
    return " ".join(_CONTROL.sub(" ", raw[: MAX_QUERY * 2]).split())[:MAX_QUERY]


def marked(value: str) -> list[Marked]:
    """A highlight's HTML (escaped text, matches in <em>) as plain runs of text. The text was
    escaped before the marks went in, so a literal "<em>" in it is "&lt;em&gt;" here."""
    runs: list[Marked] = []
    matched = False
    for part in _MARKS.split(value):
        if part == OPEN:
            matched = True
        elif part == CLOSE:
            matched = False
        elif part:
            runs.append(Marked(html.unescape(part), matched))
    return runs


def category_paths(session: Session, scope: WorkspaceScope, lang: str) -> dict[str, list[str]]:
    """Each category of the workspace → the names on the way to it, itself included."""
    roots = categories.workspace_tree(
        session, scope, lang, include_articles=False, include_description=False
    )
    paths: dict[str, list[str]] = {}
    pending: list[tuple[CategoryNode, list[str]]] = [(node, []) for node in roots]
    while pending:
        node, above = pending.pop()
        path = [*above, node.name]
        paths[node.id] = path
        pending.extend((child, path) for child in node.children)
    return paths


def search_drafts(
    session: Session, scope: WorkspaceScope, lang: str, query: str, *, limit: int = MAX_HITS
) -> DraftSearch:
    """The articles whose latest revision in `lang` holds the query's words, best first."""
    text = clean_query(query)
    if not query_words(text, analyzer(lang)):
        return DraftSearch(text, [], 0, has_words=False)
    result = search.search_articles(
        session, scope.id, lang, text, page=0, hits_per_page=limit, include_drafts=True
    )
    views = articles.search_hits(session, result.hits, lang)
    paths = category_paths(session, scope, lang) if views else {}
    hits = [
        DraftHit(
            article_id=view.article_id,
            title=view.title,
            title_marks=marked(view.title_highlight.value),
            snippet=marked(view.snippet.value),
            version_number=view.version_number,
            public_version=view.public_version,
            hidden=view.hidden,
            category_path=paths.get(view.category_id or "", []),
        )
        for view in views
    ]
    return DraftSearch(text, hits, result.total, has_words=True)
