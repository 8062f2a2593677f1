"""accounts: passwords, browser sessions, one-time sign-in links, reader groups

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("password_hash", sa.String(255), nullable=True))
        batch.add_column(sa.Column("password_changed_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("disabled_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("sso_subject", sa.String(400), nullable=True))
        batch.create_unique_constraint("uq_users_sso_subject", ["sso_subject"])
    op.create_table(
        "browser_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column(
            "user_id", sa.String(64), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("client_address", sa.String(64), nullable=False),
        sa.Column("user_agent", sa.String(300), nullable=False),
    )
    op.create_index("ix_browser_sessions_user", "browser_sessions", ["user_id"])
    op.create_index("ix_browser_sessions_expires", "browser_sessions", ["expires_at"])
    op.create_index("ix_browser_sessions_last_seen", "browser_sessions", ["last_seen_at"])
    op.create_table(
        "sign_in_links",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column(
            "user_id", sa.String(64), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
    )
    op.create_table(
        "reader_groups",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column(
            "project_id",
            sa.String(64),
            sa.ForeignKey("projects.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("project_id", "name"),
    )
    op.create_table(
        "reader_group_workspaces",
        sa.Column(
            "group_id",
            sa.String(64),
            sa.ForeignKey("reader_groups.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "project_version_id",
            sa.String(64),
            sa.ForeignKey("project_versions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
    )
    op.create_table(
        "reader_group_members",
        sa.Column(
            "group_id",
            sa.String(64),
            sa.ForeignKey("reader_groups.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "user_id",
            sa.String(64),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
    )
    op.create_index("ix_reader_group_members_user", "reader_group_members", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_reader_group_members_user", "reader_group_members")
    op.drop_table("reader_group_members")
    op.drop_table("reader_group_workspaces")
    op.drop_table("reader_groups")
    op.drop_table("sign_in_links")
    op.drop_index("ix_browser_sessions_last_seen", "browser_sessions")
    op.drop_index("ix_browser_sessions_expires", "browser_sessions")
    op.drop_index("ix_browser_sessions_user", "browser_sessions")
    op.drop_table("browser_sessions")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("uq_users_sso_subject", type_="unique")
        batch.drop_column("sso_subject")
        batch.drop_column("disabled_at")
        batch.drop_column("password_changed_at")
        batch.drop_column("password_hash")
