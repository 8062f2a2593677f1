"""First start: an empty database gets a project, a workspace, a language, an owner (with a
one-time sign-in link) and an admin token."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from lorebase.auth.accounts import issue_sign_in_link
from lorebase.auth.tokens import issue_token
from lorebase.db.engine import prepared_schema
from lorebase.kb import workspaces

OWNER_EMAIL = "owner@lorebase.local"


@dataclass(frozen=True)
class FirstStart:
    project_id: str
    owner_id: str
    admin_token: str
    # A one-time link that signs the owner in to choose a password (its path's secret).
    owner_link: str


def ensure_project(session: Session) -> FirstStart | None:
    """Create the starter project when none exists; returns what was created (once)."""
    if workspaces.default_project(session) is not None:
        return None
    project = workspaces.create_project(session, "My knowledge base")
    owner = workspaces.create_user(
        session,
        project.id,
        email=OWNER_EMAIL,
        first_name="Owner",
        role=workspaces.OWNER_ROLE,
    )
    issued = issue_token(session, project.id, "admin")
    return FirstStart(project.id, owner.id, issued.secret, issue_sign_in_link(session, owner))


def prepare_database(url: str) -> FirstStart | None:
    """Migrate the database and create the starter project if it has none.

    Serialised with every other process starting on the same database (see
    `prepared_schema`): of N processes started together on an empty database exactly one
    creates the project, in the same transaction as the schema; the others wait, then find it.
    """
    # The session joins the turn's transaction: committed with the migrations, not before.
    with prepared_schema(url) as connection, Session(bind=connection) as session:
        first = ensure_project(session)
        session.flush()
    return first
