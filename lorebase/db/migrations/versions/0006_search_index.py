"""search: index terms analysed in Python (stemmed per language, accents folded), one lookup
index per engine over them, and each workspace language's vocabulary for typo tolerance

Before, each engine tokenised the text itself (FTS5's unicode61, PostgreSQL's 'simple'
parser), without stems, and each ranked in its own way. Now `title_terms` and `terms` hold
lorebase.kb.search.analysis's terms; SQLite looks them up in an FTS5 table over those columns
(`detail=column`: which column a term is in, no positions, as the ranking is done in Python),
PostgreSQL in two tsvector columns built from them without its parser (array_to_tsvector), so
both find the same entries. Existing entries are analysed here.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from lorebase.kb.search.index import add_vocabulary, indexed, scope_term

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 2000

FTS_TRIGGERS = (
    "CREATE TRIGGER search_entries_ai AFTER INSERT ON search_entries BEGIN "
    "INSERT INTO search_fts(rowid, scope, title_terms, terms) "
    "VALUES (new.id, new.scope, new.title_terms, new.terms); END",
    "CREATE TRIGGER search_entries_ad AFTER DELETE ON search_entries BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, scope, title_terms, terms) "
    "VALUES ('delete', old.id, old.scope, old.title_terms, old.terms); END",
    "CREATE TRIGGER search_entries_au AFTER UPDATE ON search_entries BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, scope, title_terms, terms) "
    "VALUES ('delete', old.id, old.scope, old.title_terms, old.terms); "
    "INSERT INTO search_fts(rowid, scope, title_terms, terms) "
    "VALUES (new.id, new.scope, new.title_terms, new.terms); END",
)
OLD_FTS_TRIGGERS = (
    "CREATE TRIGGER search_entries_ai AFTER INSERT ON search_entries BEGIN "
    "INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    "CREATE TRIGGER search_entries_ad AFTER DELETE ON search_entries BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); END",
    "CREATE TRIGGER search_entries_au AFTER UPDATE ON search_entries BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); "
    "INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
)


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    if sqlite:
        for trigger in ("search_entries_ai", "search_entries_ad", "search_entries_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_search_entries_document")
        op.execute("ALTER TABLE search_entries DROP COLUMN IF EXISTS document")
    op.add_column(
        "search_entries", sa.Column("title_terms", sa.Text(), server_default="", nullable=False)
    )
    op.add_column(
        "search_entries", sa.Column("terms", sa.Text(), server_default="", nullable=False)
    )
    op.add_column(
        "search_entries", sa.Column("scope", sa.String(32), server_default="", nullable=False)
    )
    op.add_column(
        "search_entries", sa.Column("term_count", sa.Integer(), server_default="0", nullable=False)
    )
    op.create_table(
        "search_vocabulary",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("project_version_id", sa.String(length=64), nullable=False),
        sa.Column("language_code", sa.String(length=20), nullable=False),
        sa.Column("word", sa.String(length=200), nullable=False),
        sa.Column("term", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_version_id"], ["project_versions.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_version_id", "language_code", "word"),
    )
    op.create_index(
        "ix_search_vocabulary_scope",
        "search_vocabulary",
        ["project_version_id", "language_code", "id"],
    )
    _analyse_existing_entries(bind)
    if sqlite:
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5(scope, title_terms, terms, "
            "content='search_entries', content_rowid='id', detail=column, prefix='2 3', "
            "tokenize='ascii')"
        )
        for trigger in FTS_TRIGGERS:
            op.execute(trigger)
        op.execute("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")
    else:
        # The scope's term is in both vectors: a lookup is one search of the GIN index.
        for column, source in (("title_vector", "title_terms"), ("terms_vector", "terms")):
            words = f"string_to_array(scope || ' ' || {source}, ' ')"
            op.execute(
                f"ALTER TABLE search_entries ADD COLUMN {column} tsvector GENERATED ALWAYS AS "
                f"(array_to_tsvector(array_remove({words}, ''))) STORED"
            )
            op.execute(
                f"CREATE INDEX ix_search_entries_{column} ON search_entries USING gin ({column})"
            )
        # Bodies, terms and vectors out of line: the table proper keeps a few hundred bytes
        # an entry, so counting a common word's entries reads tens of pages, not thousands.
        op.execute("ALTER TABLE search_entries SET (toast_tuple_target = 128)")


def _analyse_existing_entries(bind: sa.Connection) -> None:
    entries = sa.table(
        "search_entries",
        sa.column("id", sa.Integer),
        sa.column("project_version_id", sa.String),
        sa.column("language_code", sa.String),
        sa.column("title", sa.String),
        sa.column("body", sa.Text),
        sa.column("title_terms", sa.Text),
        sa.column("terms", sa.Text),
        sa.column("term_count", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("scope", sa.String),
    )
    vocabulary: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    last = 0
    while True:
        rows = bind.execute(
            sa.select(
                entries.c.id,
                entries.c.project_version_id,
                entries.c.language_code,
                entries.c.kind,
                entries.c.title,
                entries.c.body,
            )
            .where(entries.c.id > last)
            .order_by(entries.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            break
        updates = []
        for row in rows:
            text = indexed(row.title, row.body, row.language_code)
            vocabulary[(row.project_version_id, row.language_code)] |= text.words
            scope = scope_term(row.project_version_id, row.language_code, row.kind)
            updates.append({"entry_id": row.id, "scope": scope, **text.columns()})
        bind.execute(
            entries.update()
            .where(entries.c.id == sa.bindparam("entry_id"))
            .values(
                scope=sa.bindparam("scope"),
                title_terms=sa.bindparam("title_terms"),
                terms=sa.bindparam("terms"),
                term_count=sa.bindparam("term_count"),
            ),
            updates,
        )
        last = rows[-1].id
    for (workspace_id, language_code), words in vocabulary.items():
        add_vocabulary(bind, workspace_id, language_code, words)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for trigger in ("search_entries_ai", "search_entries_ad", "search_entries_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    else:
        for column in ("title_vector", "terms_vector"):
            op.execute(f"DROP INDEX IF EXISTS ix_search_entries_{column}")
            op.execute(f"ALTER TABLE search_entries DROP COLUMN IF EXISTS {column}")
    if bind.dialect.name != "sqlite":
        op.execute("ALTER TABLE search_entries RESET (toast_tuple_target)")
    op.drop_index("ix_search_vocabulary_scope", table_name="search_vocabulary")
    op.drop_table("search_vocabulary")
    for column in ("scope", "term_count", "terms", "title_terms"):
        op.drop_column("search_entries", column)
    # The engines' own full-text indexes of 0001 and 0005, over the texts.
    if bind.dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5(title, body, content='search_entries', "
            "content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
        )
        for trigger in OLD_FTS_TRIGGERS:
            op.execute(trigger)
        op.execute("INSERT INTO search_fts(search_fts) VALUES ('rebuild')")
    else:
        op.execute(
            "ALTER TABLE search_entries ADD COLUMN document tsvector GENERATED ALWAYS AS ("
            "setweight(to_tsvector('lorebase_search', coalesce(title, '')), 'A') || "
            "setweight(to_tsvector('lorebase_search', coalesce(body, '')), 'B')) STORED"
        )
        op.execute("CREATE INDEX ix_search_entries_document ON search_entries USING gin (document)")
