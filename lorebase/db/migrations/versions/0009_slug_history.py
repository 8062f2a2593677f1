"""slug history: the slugs articles and categories had before they were renamed

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "slug_history",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("item_id", sa.String(64), nullable=False),
        sa.Column("language_code", sa.String(20), nullable=False),
        sa.Column("slug", sa.String(500), nullable=False),
        sa.Column("replaced_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_slug_history_slug", "slug_history", ["language_code", "slug"])


def downgrade() -> None:
    op.drop_index("ix_slug_history_slug", "slug_history")
    op.drop_table("slug_history")
