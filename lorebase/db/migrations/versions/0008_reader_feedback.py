"""reader feedback: "Was this article helpful?" answers and searches that found nothing

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "article_feedback",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "project_version_id",
            sa.String(64),
            sa.ForeignKey("project_versions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "article_id",
            sa.String(64),
            sa.ForeignKey("articles.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("language_code", sa.String(20), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(100), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_article_feedback_article", "article_feedback", ["article_id", "created_at"])
    op.create_index(
        "ix_article_feedback_workspace", "article_feedback", ["project_version_id", "created_at"]
    )
    op.create_table(
        "search_misses",
        sa.Column(
            "project_version_id",
            sa.String(64),
            sa.ForeignKey("project_versions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("language_code", sa.String(20), primary_key=True),
        sa.Column("query", sa.String(200), primary_key=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("last_searched_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("search_misses")
    op.drop_index("ix_article_feedback_workspace", "article_feedback")
    op.drop_index("ix_article_feedback_article", "article_feedback")
    op.drop_table("article_feedback")
