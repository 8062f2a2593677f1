"""The change feed of category trees: which categories and articles each write changed.

Every process keeps the trees it serves as data (`lorebase.kb.tree`) and brings one up to date
by reading again only the items changed since: `workspace_changes` names them, written in the
writer's own transaction. Session events record every write made through a Session, so no
write path has to remember to:

- a flush (ORM objects added, changed or deleted) records its categories and articles, their
  translations (as their owner), and languages (which decide the fallback: the whole tree);
- a Core INSERT, UPDATE or DELETE of those tables run by `Session.execute` records the rows it
  matches, read with the statement's own WHERE before it runs (an INSERT: the rows it gives).
  SQL text, and writes that bypass a Session (psql, a migration), are not seen: a process
  started afterwards builds its trees afresh.

A recording takes the workspace's next content stamp first (once per transaction), so what it
records is newer than every tree kept of committed content, and no change to a tree commits
without moving the stamp that readers check. Rows the database deletes by cascade (the subtree
of a deleted category, the translations of a deleted article) are not recorded: they go with an
item that is, and the reader drops what hung below it.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Connection, Table, delete, event, inspect, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction
from sqlalchemy.orm.util import identity_key

from lorebase.db.models import (
    Article,
    ArticleTranslation,
    Category,
    CategoryTranslation,
    Language,
    ProjectVersion,
    WorkspaceChange,
)

CATEGORY, ARTICLE, WORKSPACE = "category", "article", "workspace"
# More items than this from one workspace in one flush or statement (an import, a bulk load)
# are recorded as "build it all again": one query for the whole tree beats thousands by id.
WHOLE_TREE_ABOVE = 256
# Rows older than this many stamps are dropped (by one write in PRUNE_EVERY, at random: how
# many stamps a write takes varies, so no stamp number is sure to be taken): a tree kept from
# longer ago is built afresh (`lorebase.kb.tree`), so the feed stays small however many items
# are deleted over the years.
KEEP_STAMPS = 4096
PRUNE_EVERY = 256
# session.info: workspace id -> the stamp this transaction took for it.
_TAKEN = "lorebase.change_stamps"

_CHANGES = cast(Table, WorkspaceChange.__table__)
_WORKSPACES = cast(Table, ProjectVersion.__table__)


@dataclass(frozen=True)
class _Tracked:
    """How a row of a tracked table names the item that changed and its workspace."""

    kind: str
    item_column: str  # the column holding the item's id (a language: its workspace's)
    owner: Table | None  # the table holding the item's workspace, when the row does not


def _table(model: Any) -> Table:
    return cast(Table, model.__table__)


_CATEGORIES, _ARTICLES = _table(Category), _table(Article)
_TRACKED: dict[str, _Tracked] = {
    "categories": _Tracked(CATEGORY, "id", None),
    "category_translations": _Tracked(CATEGORY, "category_id", _CATEGORIES),
    "articles": _Tracked(ARTICLE, "id", None),
    "article_translations": _Tracked(ARTICLE, "article_id", _ARTICLES),
    "languages": _Tracked(WORKSPACE, "project_version_id", None),
}
_MODELS: dict[type[Any], _Tracked] = {
    model: _TRACKED[_table(model).name]
    for model in (Category, CategoryTranslation, Article, ArticleTranslation, Language)
}


@dataclass
class _Changes:
    """Items changed by one flush or statement, by workspace."""

    items: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    # (owner table, owner id, kind): items whose workspace is still to be looked up.
    unplaced: set[tuple[str, str, str]] = field(default_factory=set)
    # An item whose workspace cannot be told (an object deleted with its columns unloaded).
    anywhere: bool = False

    def add(self, workspace_id: str, kind: str, item_id: str) -> None:
        if kind == WORKSPACE:
            item_id = workspace_id
        self.items.setdefault(workspace_id, set()).add((kind, item_id))

    def add_row(self, tracked: _Tracked, row: Mapping[str, Any]) -> None:
        item_id = row[tracked.item_column]
        if tracked.owner is None:
            self.add(row["project_version_id"], tracked.kind, item_id)
        else:
            self.unplaced.add((tracked.owner.name, item_id, tracked.kind))

    def everywhere(self, connection: Connection) -> None:
        """A write we cannot tell the rows of: every workspace builds its tree again."""
        for workspace_id in connection.scalars(select(_WORKSPACES.c.id)):
            self.add(workspace_id, WORKSPACE, workspace_id)

    def record(self, session: Session, connection: Connection) -> None:
        if self.anywhere:
            self.everywhere(connection)
        self._place(connection)
        for workspace_id, items in self.items.items():
            stamp = _take_stamp(session, connection, workspace_id)
            if stamp is None:
                continue  # the workspace itself is gone
            if len(items) > WHOLE_TREE_ABOVE:
                items = {(WORKSPACE, workspace_id)}
            rows = [
                {"project_version_id": workspace_id, "kind": k, "item_id": i, "stamp": stamp}
                for k, i in sorted(items)  # one order: PostgreSQL locks the rows in it
            ]
            connection.execute(_upsert(connection), rows)

    def _place(self, connection: Connection) -> None:
        by_owner: dict[str, dict[str, str]] = {}
        for owner, item_id, kind in self.unplaced:
            by_owner.setdefault(owner, {})[item_id] = kind
        for owner, kinds in by_owner.items():
            table = _CATEGORIES if owner == _CATEGORIES.name else _ARTICLES
            ids = list(kinds)
            for start in range(0, len(ids), 500):
                found = connection.execute(
                    select(table.c.id, table.c.project_version_id).where(
                        table.c.id.in_(ids[start : start + 500])
                    )
                )
                # An owner not found is gone already, deleted by a write that recorded it (or
                # by cascade from one that did).
                for item_id, workspace_id in found:
                    self.add(workspace_id, kinds[item_id], item_id)
        self.unplaced.clear()


def _take_stamp(session: Session, connection: Connection, workspace_id: str) -> int | None:
    """The stamp this transaction records its changes of the workspace under: the next one,
    taken at the first change (as `workspaces.touch`, which most writers called already)."""
    taken: dict[str, int] = session.info.setdefault(_TAKEN, {})
    if workspace_id in taken:
        return taken[workspace_id]
    stamp = connection.execute(
        update(_WORKSPACES)
        .where(_WORKSPACES.c.id == workspace_id)
        .values(content_stamp=_WORKSPACES.c.content_stamp + 1)
        .returning(_WORKSPACES.c.content_stamp)
    ).scalar()
    if stamp is None:
        return None
    taken[workspace_id] = stamp = int(stamp)
    if random.randrange(PRUNE_EVERY) == 0:
        connection.execute(
            delete(_CHANGES).where(
                _CHANGES.c.project_version_id == workspace_id,
                _CHANGES.c.stamp <= stamp - KEEP_STAMPS,
            )
        )
    return stamp


def _upsert(connection: Connection) -> Any:
    keys = [_CHANGES.c.project_version_id, _CHANGES.c.kind, _CHANGES.c.item_id]
    if connection.dialect.name == "postgresql":
        on_postgresql = postgresql.insert(_CHANGES)
        return on_postgresql.on_conflict_do_update(
            index_elements=keys, set_={"stamp": on_postgresql.excluded.stamp}
        )
    on_sqlite = sqlite.insert(_CHANGES)
    return on_sqlite.on_conflict_do_update(
        index_elements=keys, set_={"stamp": on_sqlite.excluded.stamp}
    )


# --- flushes ------------------------------------------------------------------------------


def _values(state: Any, key: str) -> list[Any]:
    """The attribute's values before and after this flush, without loading it."""
    history = state.attrs[key].history
    return [v for v in (*history.added, *history.unchanged, *history.deleted) if v is not None]


def _add_object(changes: _Changes, session: Session, instance: Any) -> None:
    tracked = _MODELS.get(type(instance))
    if tracked is None:
        return
    state = inspect(instance)
    if tracked.owner is None:
        workspaces = _values(state, "project_version_id")
        for workspace_id in workspaces:
            for item_id in _values(state, tracked.item_column):
                changes.add(workspace_id, tracked.kind, item_id)
        changes.anywhere = changes.anywhere or not workspaces
        return
    owner_model = Category if tracked.owner is _CATEGORIES else Article
    for owner_id in _values(state, tracked.item_column):
        owner = session.identity_map.get(identity_key(owner_model, owner_id))
        workspaces = [] if owner is None else _values(inspect(owner), "project_version_id")
        for workspace_id in workspaces:
            changes.add(workspace_id, tracked.kind, owner_id)
        if not workspaces:
            changes.unplaced.add((tracked.owner.name, owner_id, tracked.kind))


def _record_flush(session: Session, _flush: UOWTransaction) -> None:
    changes = _Changes()
    for instance in session.new:
        _add_object(changes, session, instance)
    for instance in session.deleted:
        _add_object(changes, session, instance)
    for instance in session.dirty:
        if session.is_modified(instance, include_collections=False):
            _add_object(changes, session, instance)
    if changes.items or changes.unplaced or changes.anywhere:
        changes.record(session, session.connection())


# --- Core statements ------------------------------------------------------------------------


def _record_statement(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    tracked = _TRACKED.get(getattr(table, "name", ""))
    if tracked is None:
        return
    statement: Any = state.statement
    changes = _Changes()
    connection = state.session.connection()
    if state.is_insert:
        rows = _inserted_rows(state.parameters, statement)
        if rows is None:
            changes.everywhere(connection)
        for row in rows or ():
            changes.add_row(tracked, row)
    elif statement.whereclause is None:
        # An UPDATE or DELETE of the whole table, or by primary keys given as parameters.
        changes.everywhere(connection)
    else:
        matched = _matched_rows(cast(Table, table), tracked, statement.whereclause)
        for workspace_id, item_id in state.session.execute(matched):
            changes.add(workspace_id, tracked.kind, item_id)
    changes.record(state.session, connection)


def _inserted_rows(parameters: Any, statement: Any) -> Iterable[Mapping[str, Any]] | None:
    if isinstance(parameters, Mapping) and parameters:
        return [parameters]
    if parameters:
        return cast(list[Mapping[str, Any]], parameters)
    values = statement.compile().params  # `insert(...).values(...)` of one row
    return [values] if values else None


def _matched_rows(table: Table, tracked: _Tracked, where: Any) -> Any:
    """The workspace and item of each row the UPDATE or DELETE `statement` matches."""
    item = table.c[tracked.item_column]
    if tracked.owner is None:
        query = select(table.c.project_version_id.label("workspace_id"), item.label("item_id"))
    else:
        owner = tracked.owner
        query = select(
            owner.c.project_version_id.label("workspace_id"), item.label("item_id")
        ).select_from(table.join(owner, owner.c.id == item))
    return query.where(where)


def _forget_stamps(session: Session, transaction: SessionTransaction) -> None:
    # A transaction or savepoint that ended may have been rolled back with its stamps: the
    # next change takes a stamp again. (A flush runs in a subtransaction of its own: not that.)
    if transaction.parent is None or transaction.nested:
        session.info.pop(_TAKEN, None)


event.listen(Session, "after_flush", _record_flush)
event.listen(Session, "do_orm_execute", _record_statement)
event.listen(Session, "after_transaction_end", _forget_stamps)
