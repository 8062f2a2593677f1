"""ready bodies: the published revision's body as the reader site shows it, kept with it

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("article_revisions", "category_revisions")


def upgrade() -> None:
    # Empty for what is already published: the site renders those on read until the first
    # `lorebase serve` after the upgrade has made them ready (kb.page_bodies).
    for table in TABLES:
        op.add_column(table, sa.Column("ready_html", sa.Text(), nullable=True))
        op.add_column(table, sa.Column("ready_facts", sa.JSON(), nullable=True))
        op.add_column(table, sa.Column("ready_renderer", sa.Integer(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("ready_renderer")
            batch.drop_column("ready_facts")
            batch.drop_column("ready_html")
