"""The category tree of a workspace, kept as data in each process and brought up to date with
only what changed since.

The tree is the largest read (3.7 MB at 10,000 articles) and every write changes it: building
it again from every category and article row after each write cost ~80x the serialisation of
the body (bench/reads.py). So a process keeps each tree it served, one per variant asked for
(language, with or without articles and descriptions), as data: every category and article
already written out (by a `TreeShape`: the API's JSON), the ordered child and article lists,
and the written subtree of the larger categories. A request reads the workspace's content
stamp (one indexed row, as every cached read); when it moved, the tree reads from the change
feed (`lorebase.kb.changes`) the items changed since the stamp it holds, with those items'
rows, writes out those items, the subtrees they sit in and the body again, and leaves the rest.

Why a change feed rather than a stamp column on each row: a deleted row leaves no column to
find, and the feed also says "build it all again" for bulk writes and language changes. Why
changed items are read again rather than replayed: the current row is the truth, on any
process, whatever order the writes committed in.

Consistency. A tree held at stamp S holds every item as committed at S. Each read of changes
also reads the workspace's stamp in the same statement: on SQLite a request reads one
snapshot; on PostgreSQL (READ COMMITTED) a statement may see a newer commit than the stamp
the request read, which shows as another stamp, and then the reads are made again before
anything is applied (a few times, then the tree is built afresh). Rows the database deleted by
cascade are not in the feed: a category found gone takes with it what hung below it, unless
that is itself in the feed (and so read again), exactly as the foreign keys did. (Categories
and articles hang only under categories of their own workspace, which kb checks on every
write, so a cascade never reaches into another workspace's tree.)
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from lorebase.db.models import (
    Article,
    ArticleTranslation,
    Category,
    CategoryTranslation,
    ProjectVersion,
    WorkspaceChange,
)
from lorebase.kb import categories
from lorebase.kb.changes import ARTICLE, CATEGORY, KEEP_STAMPS, WORKSPACE
from lorebase.kb.views import ArticleSummary, CategoryNode
from lorebase.kb.workspaces import WorkspaceScope

# A category's written subtree is kept from this size up; smaller ones are written again with
# their parent: keeping every level would hold the body about once per level of depth.
KEEP_WRITTEN_FROM = 32 * 1024
# Reads of changes that met a newer commit (PostgreSQL) are made again this many times before
# the tree is built afresh.
READ_ATTEMPTS = 3


class TreeShape(Protocol):
    """How a tree is written out: in parts, so that a change rewrites only what it touched."""

    @property
    def no_articles(self) -> bytes:
        """What stands for a category's articles in a tree without them."""

    def category(self, node: CategoryNode) -> tuple[bytes, bytes, bytes]:
        """The node's text before its articles, between them and its children, and after."""

    def article(self, summary: ArticleSummary) -> bytes: ...

    def sequence(self, items: list[bytes]) -> bytes: ...

    def document(self, roots: list[bytes]) -> bytes:
        """The whole body around the written top-level categories."""


@dataclass(frozen=True)
class TreeVariant:
    workspace_id: str
    lang: str  # as asked, lower-cased; "" for the workspace's default language
    include_articles: bool
    include_description: bool


@dataclass(slots=True)
class _Category:
    parent_id: str | None
    key: tuple[int, datetime, str]  # its place among its siblings (categories._sort)
    opening: bytes
    middle: bytes
    closing: bytes
    written: bytes | None = None  # the whole subtree, while nothing in it changed


@dataclass(slots=True)
class _Article:
    category_id: str
    key: tuple[int, str]
    written: bytes


_WORKSPACE: Any = bindparam("workspace_id")
# The tree's language and its fallback (the same twice when it is the default): two plain
# parameters, not an expanding list, which SQLAlchemy would write into the SQL each time.
_LANGS: Any = (bindparam("lang"), bindparam("fallback"))
_STAMP_NOW = (
    select(ProjectVersion.content_stamp)
    .where(ProjectVersion.id == _WORKSPACE)
    .scalar_subquery()
    .label("stamp_now")
)
_IN_FEED = (
    WorkspaceChange.project_version_id == _WORKSPACE,
    WorkspaceChange.stamp > bindparam("since"),
)
# Every change since, with the category's row when it is one (none: gone).
_CHANGES = (
    select(WorkspaceChange.kind, WorkspaceChange.item_id, _STAMP_NOW, *categories.CATEGORY_COLUMNS)
    .select_from(WorkspaceChange)
    .outerjoin(
        Category, and_(WorkspaceChange.kind == CATEGORY, Category.id == WorkspaceChange.item_id)
    )
    .where(*_IN_FEED)
)
_CHANGED_CATEGORY_TRANSLATIONS = (
    select(_STAMP_NOW, *categories.CATEGORY_TRANSLATION_COLUMNS)
    .select_from(WorkspaceChange)
    .join(CategoryTranslation, CategoryTranslation.category_id == WorkspaceChange.item_id)
    .where(
        *_IN_FEED,
        WorkspaceChange.kind == CATEGORY,
        CategoryTranslation.language_code.in_(_LANGS),
    )
)
# Changed articles with their translations in the tree's languages (none: not in the tree).
_CHANGED_ARTICLES = (
    select(WorkspaceChange.item_id, _STAMP_NOW, *categories.SUMMARY_COLUMNS)
    .select_from(WorkspaceChange)
    .outerjoin(Article, Article.id == WorkspaceChange.item_id)
    .outerjoin(
        ArticleTranslation,
        and_(
            ArticleTranslation.article_id == Article.id,
            ArticleTranslation.language_code.in_(_LANGS),
        ),
    )
    .where(*_IN_FEED, WorkspaceChange.kind == ARTICLE)
)
_SUMMARY_FROM = 2  # where categories.SUMMARY_COLUMNS start in a row of _CHANGED_ARTICLES
# The whole tree, as categories.workspace_tree reads it, with the stamp seen by each statement.
_ALL_CATEGORIES = categories.WORKSPACE_CATEGORIES.add_columns(_STAMP_NOW)
_ALL_CATEGORY_TRANSLATIONS = categories.WORKSPACE_CATEGORY_TRANSLATIONS.add_columns(_STAMP_NOW)
_ALL_SUMMARIES = categories.WORKSPACE_SUMMARIES.add_columns(_STAMP_NOW)
_STAMP_AFTER_SUMMARY = len(categories.SUMMARY_COLUMNS)


@dataclass
class _Changed:
    """What one refresh rewrites: categories whose subtree changed (None: the top level), and
    the child and article lists to sort again."""

    subtrees: set[str | None]
    children: set[str | None]
    articles: set[str]


class KeptTree:
    """One variant of one workspace's tree, as committed at `state[0]`."""

    def __init__(
        self, variant: TreeVariant, shape: TreeShape, keep_written_from: int = KEEP_WRITTEN_FROM
    ) -> None:
        self.variant = variant
        self.shape = shape
        self.keep_written_from = keep_written_from
        self.lock = threading.Lock()  # one refresh at a time; readers of `state` need none
        # (stamp, body), replaced together; -1 until built.
        self.state: tuple[int, bytes] = (-1, b"")
        self._langs: list[str] = []
        self._categories: dict[str, _Category] = {}
        self._children: dict[str | None, list[str]] = {}
        self._articles: dict[str, _Article] = {}
        self._articles_of: dict[str, list[str]] = {}
        # Parents, not in the tree, that categories name (their children are shown on top).
        self._strays: set[str] = set()

    def bring_up_to(
        self, session: Session, stamp: int, scope: Callable[[], WorkspaceScope]
    ) -> bytes:
        """The body as committed at `stamp` or later; the caller holds `lock`. `scope` names
        the workspace and its languages (or raises the route's error) when building afresh."""
        held, body = self.state
        if held >= stamp:
            return body
        if held < 0 or stamp - held > KEEP_STAMPS or not self._refresh(session, held, stamp):
            self._build(session, scope(), stamp)
        return self.state[1]

    # --- reading ------------------------------------------------------------------------

    def _build(self, session: Session, scope: WorkspaceScope, stamp: int) -> None:
        variant = self.variant
        code = scope.language(variant.lang or None)
        langs = list(dict.fromkeys([code, scope.default_language]))
        params = {"workspace_id": variant.workspace_id, "langs": langs}
        connection = session.connection()
        seen_now = stamp
        for _attempt in range(READ_ATTEMPTS):
            rows = connection.execute(_ALL_CATEGORIES, params).all()
            translation_rows = connection.execute(_ALL_CATEGORY_TRANSLATIONS, params).all()
            summary_rows = (
                connection.execute(_ALL_SUMMARIES, params).all() if variant.include_articles else []
            )
            seen = {row.stamp_now for row in (*rows, *translation_rows, *summary_rows)}
            if seen <= {seen_now}:
                break
            # A newer commit showed (PostgreSQL): read it all again, at that one. The tree
            # is still labelled `stamp`, the one its languages were read at (`scope`), so the
            # next request reads again what changed after it.
            seen_now = max((s for s in seen if s is not None), default=seen_now)
        translations = categories.preferred(translation_rows, 0, langs)
        self._langs = langs
        self._categories, self._children = {}, {}
        self._articles, self._articles_of = {}, {}
        self._strays = set()
        changed = _Changed(set(), set(), set())
        for row in rows:
            self._put_category(row, translations.get(row.id), changed)
        for row in categories.preferred(summary_rows, 0, langs).values():
            self._put_article(categories.summary_from_row(row[:_STAMP_AFTER_SUMMARY]), changed)
        self._write(stamp, changed)

    def _refresh(self, session: Session, held: int, stamp: int) -> bool:
        """Apply the changes since `held`; False when the tree must be built afresh."""
        params = {
            "workspace_id": self.variant.workspace_id,
            "since": held,
            "lang": self._langs[0],
            "fallback": self._langs[-1],
        }
        # Core on the session's connection (its transaction): no ORM entities to load.
        connection = session.connection()
        for _attempt in range(READ_ATTEMPTS):
            changes = connection.execute(_CHANGES, params).all()
            kinds = {row.kind for row in changes}
            if WORKSPACE in kinds:
                return False
            translations = (
                connection.execute(_CHANGED_CATEGORY_TRANSLATIONS, params).all()
                if CATEGORY in kinds
                else []
            )
            articles = (
                connection.execute(_CHANGED_ARTICLES, params).all()
                if ARTICLE in kinds and self.variant.include_articles
                else []
            )
            seen = {row.stamp_now for row in (*changes, *translations, *articles)}
            if seen <= {stamp}:
                break
            if None in seen:
                return False  # the workspace went: building afresh says so
            stamp = max(seen)  # a newer commit showed: read it all at that one
        else:
            return False
        changed = _Changed(set(), set(), set())
        self._apply(list(changes), list(translations), list(articles), changed)
        if changed.subtrees or changed.children or changed.articles:
            self._write(stamp, changed)
        else:
            # Only writes this variant does not show (a merge code; articles, in a tree
            # without them) moved the stamp.
            self.state = (stamp, self.state[1])
        return True

    def _apply(
        self,
        changes: list[Any],
        translation_rows: list[Any],
        article_rows: list[Any],
        changed: _Changed,
    ) -> None:
        workspace_id = self.variant.workspace_id
        changed_categories = {row.item_id for row in changes if row.kind == CATEGORY}
        changed_articles = {row.item_id for row in changes if row.kind == ARTICLE}
        translations = categories.preferred(translation_rows, 1, self._langs)
        for row in changes:
            if row.kind != CATEGORY:
                continue
            if row.id is None:
                self._drop_category(
                    row.item_id, changed, keep=(changed_categories, changed_articles)
                )
            elif row.project_version_id != workspace_id:
                # Moved to another workspace: what hung below it stays here, on top.
                self._drop_category(row.item_id, changed, keep=None)
            else:
                self._put_category(row, translations.get(row.id), changed)
        for article_id, row in categories.preferred(article_rows, 0, self._langs).items():
            if (
                row.id is None
                or row.language_code is None
                or row.category_id is None
                or row.project_version_id != workspace_id
            ):
                self._drop_article(article_id, changed)
            else:
                self._put_article(categories.summary_from_row(row[_SUMMARY_FROM:]), changed)

    # --- keeping ------------------------------------------------------------------------

    def _put_category(self, row: Any, translation: Any, changed: _Changed) -> None:
        node = categories.node_from_rows(row, translation, self.variant.include_description)
        opening, middle, closing = self.shape.category(node)
        parent_id = node.parent_category_id
        kept = _Category(
            parent_id, (node.order, node.created_at, node.id), opening, middle, closing
        )
        old = self._categories.get(node.id)
        if old is None or old.parent_id != parent_id:
            if old is not None:
                self._unlink(self._children, old.parent_id, node.id)
                changed.subtrees.add(old.parent_id)
            self._children.setdefault(parent_id, []).append(node.id)
            changed.children.add(parent_id)
            if parent_id is not None:
                self._strays.add(parent_id)  # until found in the tree (`_roots`)
        elif old.key != kept.key:
            changed.children.add(parent_id)
        self._categories[node.id] = kept
        changed.subtrees.add(node.id)

    def _drop_category(
        self,
        category_id: str,
        changed: _Changed,
        *,
        keep: tuple[set[str], set[str]] | None,
    ) -> None:
        """Forget the category and, unless `keep` is None, what hung below it and is not
        in `keep` (categories, articles read again: they say for themselves where they are)."""
        old = self._categories.pop(category_id, None)
        if old is not None:
            self._unlink(self._children, old.parent_id, category_id)
            changed.subtrees.add(old.parent_id)
        if keep is None:
            self._strays.add(category_id)
            return
        keep_categories, keep_articles = keep
        for child_id in list(self._children.get(category_id, ())):
            if child_id not in keep_categories:
                self._drop_category(child_id, changed, keep=keep)
        for article_id in list(self._articles_of.get(category_id, ())):
            if article_id not in keep_articles:
                self._drop_article(article_id, changed)

    def _put_article(self, summary: ArticleSummary, changed: _Changed) -> None:
        category_id = summary.category_id
        assert category_id is not None  # the queries keep articles without a category out
        kept = _Article(category_id, (summary.order, summary.id), self.shape.article(summary))
        old = self._articles.get(summary.id)
        if old is None or old.category_id != category_id:
            if old is not None:
                self._unlink(self._articles_of, old.category_id, summary.id)
                changed.subtrees.add(old.category_id)
            self._articles_of.setdefault(category_id, []).append(summary.id)
            changed.articles.add(category_id)
        elif old.key != kept.key:
            changed.articles.add(category_id)
        self._articles[summary.id] = kept
        changed.subtrees.add(category_id)

    def _drop_article(self, article_id: str, changed: _Changed) -> None:
        old = self._articles.pop(article_id, None)
        if old is not None:
            self._unlink(self._articles_of, old.category_id, article_id)
            changed.subtrees.add(old.category_id)

    @staticmethod
    def _unlink(lists: dict[Any, list[str]], owner: Any, item_id: str) -> None:
        found = lists.get(owner)
        if found is not None and item_id in found:
            found.remove(item_id)
            if not found:
                del lists[owner]

    # --- writing ------------------------------------------------------------------------

    def _write(self, stamp: int, changed: _Changed) -> None:
        categories_, articles = self._categories, self._articles
        for parent_id in changed.children:
            if parent_id in self._children:
                self._children[parent_id].sort(key=lambda c: categories_[c].key)
        for category_id in changed.articles:
            if category_id in self._articles_of:
                self._articles_of[category_id].sort(key=lambda a: articles[a].key)
        cleared: set[str | None] = set()
        for changed_id in changed.subtrees:
            current = changed_id
            while current is not None and current not in cleared:
                cleared.add(current)
                kept = categories_.get(current)
                if kept is None:
                    break
                kept.written = None
                current = kept.parent_id
        self.state = (stamp, self.shape.document([self._written(c) for c in self._roots()]))

    def _roots(self) -> list[str]:
        roots = list(self._children.get(None, ()))
        # A parent outside the workspace makes a root, as in categories.workspace_tree.
        self._strays = {
            p for p in self._strays if p in self._children and p not in self._categories
        }
        if self._strays:
            roots.extend(c for p in self._strays for c in self._children[p])
            roots.sort(key=lambda c: self._categories[c].key)
        return roots

    def _written(self, category_id: str) -> bytes:
        kept = self._categories[category_id]
        if kept.written is not None:
            return kept.written
        shape = self.shape
        if self.variant.include_articles:
            found = self._articles_of.get(category_id, ())
            articles = shape.sequence([self._articles[a].written for a in found])
        else:
            articles = shape.no_articles
        children = shape.sequence([self._written(c) for c in self._children.get(category_id, ())])
        written = b"".join((kept.opening, articles, kept.middle, children, kept.closing))
        if len(written) >= self.keep_written_from:
            kept.written = written
        return written

    def weight(self) -> int:
        """Roughly the bytes this tree holds: its body, its items' text and kept subtrees."""
        return 6 * len(self.state[1])  # measured at 10,000 articles


class CategoryTrees:
    """The trees a process keeps; the least recently used go beyond `max_weight` bytes."""

    def __init__(
        self,
        shape: TreeShape,
        max_weight: int = 128 * 1024 * 1024,
        keep_written_from: int = KEEP_WRITTEN_FROM,
    ) -> None:
        self.shape = shape
        self.max_weight = max_weight
        self.keep_written_from = keep_written_from
        self._trees: OrderedDict[TreeVariant, KeptTree] = OrderedDict()
        self._lock = threading.Lock()

    def body(
        self,
        session: Session,
        variant: TreeVariant,
        stamp: int,
        scope: Callable[[], WorkspaceScope],
    ) -> bytes:
        """The variant's body as committed at `stamp` (the workspace's content stamp, read
        in `session` before this call) or later."""
        tree = self._tree(variant)
        held, body = tree.state
        if held >= stamp:
            return body
        with tree.lock:
            try:
                body = tree.bring_up_to(session, stamp, scope)
            except BaseException:
                # Half applied or never built: the next request builds it afresh.
                self._forget(variant, tree)
                raise
        self._fit()
        return body

    def _tree(self, variant: TreeVariant) -> KeptTree:
        with self._lock:
            tree = self._trees.get(variant)
            if tree is None:
                tree = KeptTree(variant, self.shape, self.keep_written_from)
                self._trees[variant] = tree
            else:
                self._trees.move_to_end(variant)
            return tree

    def _forget(self, variant: TreeVariant, tree: KeptTree) -> None:
        with self._lock:
            if self._trees.get(variant) is tree:
                del self._trees[variant]

    def _fit(self) -> None:
        with self._lock:
            weight = sum(tree.weight() for tree in self._trees.values())
            while len(self._trees) > 1 and weight > self.max_weight:
                _, dropped = self._trees.popitem(last=False)
                weight -= dropped.weight()
