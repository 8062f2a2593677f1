"""mirror: the live sources `lorebase mirror` copies from and what it copied of each

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mirror_sources",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column(
            "project_id",
            sa.String(64),
            sa.ForeignKey("projects.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("source_url", sa.String(1000), nullable=False),
        sa.Column("watermark", sa.DateTime(), nullable=True),
        sa.Column("last_outcome", sa.String(20), nullable=False),
        sa.Column("last_started_at", sa.DateTime(), nullable=False),
        sa.Column("last_finished_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("project_id", "source_url"),
    )
    op.create_table(
        "mirror_items",
        sa.Column(
            "source_id",
            sa.String(64),
            sa.ForeignKey("mirror_sources.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("item_id", sa.String(64), primary_key=True),
        sa.Column("language_code", sa.String(20), primary_key=True),
        sa.Column("project_version_id", sa.String(64), nullable=True),
        sa.Column("fingerprint", sa.String(200), nullable=False),
        sa.Column("modified_at", sa.DateTime(), nullable=True),
        sa.Column("copied_at", sa.DateTime(), nullable=False),
    )
    op.create_index(
        "ix_mirror_items_workspace", "mirror_items", ["source_id", "project_version_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_mirror_items_workspace", "mirror_items")
    op.drop_table("mirror_items")
    op.drop_table("mirror_sources")
