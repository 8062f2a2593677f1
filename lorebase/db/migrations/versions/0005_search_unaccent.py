"""search: fold accents on PostgreSQL too (FTS5's unicode61 tokenizer already does on SQLite)

A text search configuration `lorebase_search`: 'simple' (no stemming: a workspace holds many
languages) with the `unaccent` dictionary in front for words with non-ASCII letters, the
recipe of PostgreSQL's unaccent documentation. Where the extension is not installed on the
server, the configuration is plain 'simple' and search works as before, without folding.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONFIG = "lorebase_search"


def _document(config: str) -> str:
    return (
        "ALTER TABLE search_entries ADD COLUMN document tsvector GENERATED ALWAYS AS ("
        f"setweight(to_tsvector('{config}', coalesce(title, '')), 'A') || "
        f"setweight(to_tsvector('{config}', coalesce(body, '')), 'B')) STORED"
    )


def _rebuild_document(config: str) -> None:
    op.execute("DROP INDEX IF EXISTS ix_search_entries_document")
    op.execute("ALTER TABLE search_entries DROP COLUMN IF EXISTS document")
    op.execute(_document(config))
    op.execute("CREATE INDEX ix_search_entries_document ON search_entries USING gin (document)")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    available = bind.execute(
        text("SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent'")
    ).first()
    op.execute(f"CREATE TEXT SEARCH CONFIGURATION {CONFIG} (COPY = simple)")
    if available:
        # unaccent is a trusted extension (PostgreSQL 13+): a database owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        op.execute(
            f"ALTER TEXT SEARCH CONFIGURATION {CONFIG} "
            "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple"
        )
    _rebuild_document(CONFIG)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _rebuild_document("simple")
    op.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {CONFIG}")
