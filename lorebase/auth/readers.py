"""Readers of private projects, and reader groups that narrow them to some workspaces."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lorebase.auth.roles import Role
from lorebase.db.models import (
    ProjectVersion,
    ReaderGroup,
    ReaderGroupMember,
    ReaderGroupWorkspace,
    User,
)
from lorebase.kb.errors import Invalid, NotFound


def create_group(
    session: Session, project_id: str, name: str, workspace_ids: list[str]
) -> ReaderGroup:
    name = name.strip()
    if not name:
        raise Invalid("A reader group needs a name.")
    if session.scalar(
        select(ReaderGroup.id).where(ReaderGroup.project_id == project_id, ReaderGroup.name == name)
    ):
        raise Invalid(f"A reader group named {name!r} already exists.")
    if not workspace_ids:
        raise Invalid("A reader group reads at least one workspace.")
    known = set(
        session.scalars(
            select(ProjectVersion.id).where(
                ProjectVersion.project_id == project_id, ProjectVersion.id.in_(workspace_ids)
            )
        )
    )
    unknown = [wid for wid in workspace_ids if wid not in known]
    if unknown:
        raise NotFound(f"No workspace with id {unknown[0]} in this project.")
    group = ReaderGroup(project_id=project_id, name=name)
    session.add(group)
    session.flush()
    session.add_all(ReaderGroupWorkspace(group_id=group.id, project_version_id=w) for w in known)
    session.flush()
    return group


def find_group(session: Session, project_id: str, name: str) -> ReaderGroup:
    group = session.scalars(
        select(ReaderGroup).where(ReaderGroup.project_id == project_id, ReaderGroup.name == name)
    ).first()
    if group is None:
        raise NotFound(f"No reader group named {name!r}.")
    return group


def add_member(session: Session, group: ReaderGroup, user: User) -> None:
    if user.project_id != group.project_id:
        raise Invalid("The account belongs to another project.")
    if session.get(ReaderGroupMember, (group.id, user.id)) is None:
        session.add(ReaderGroupMember(group_id=group.id, user_id=user.id))
        session.flush()


def readable_workspaces(session: Session, user_id: str, role: Role) -> frozenset[str] | None:
    """The workspaces the account may read on a private site; None means all of them.

    Team members read everything; a reader in no group reads the whole project (Document360's
    project-level readers); a reader in groups reads their groups' workspaces.
    """
    if role != Role.READER:
        return None
    rows = session.scalars(
        select(ReaderGroupWorkspace.project_version_id)
        .join(ReaderGroupMember, ReaderGroupMember.group_id == ReaderGroupWorkspace.group_id)
        .where(ReaderGroupMember.user_id == user_id)
    ).all()
    in_group = session.scalar(
        select(ReaderGroupMember.group_id).where(ReaderGroupMember.user_id == user_id).limit(1)
    )
    return frozenset(rows) if in_group is not None else None
