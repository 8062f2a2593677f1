"""workspace changes: the change feed that keeps each process's category tree up to date

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "workspace_changes",
        sa.Column(
            "project_version_id",
            sa.String(64),
            sa.ForeignKey("project_versions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("kind", sa.String(10), primary_key=True),
        sa.Column("item_id", sa.String(64), primary_key=True),
        sa.Column("stamp", sa.Integer(), nullable=False),
    )
    op.create_index(
        "ix_workspace_changes_stamp", "workspace_changes", ["project_version_id", "stamp"]
    )


def downgrade() -> None:
    op.drop_index("ix_workspace_changes_stamp", "workspace_changes")
    op.drop_table("workspace_changes")
