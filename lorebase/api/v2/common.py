"""Small pieces the v2 routers share: reading content views, version lists, author names."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from sqlalchemy import select
from sqlalchemy.orm import Session

from lorebase.db.models import ArticleRevision, CategoryRevision, User
from lorebase.kb.revisions import revision_status
from lorebase.kb.views import VersionSummary

LangQuery = Annotated[str | None, Query(alias="langCode")]
ForDisplay = Annotated[bool, Query(alias="isForDisplay")]
Published = Annotated[bool, Query(alias="isPublished")]
AppendSas = Annotated[bool, Query(alias="appendSASToken")]


def version_list(
    session: Session, revisions: list[ArticleRevision] | list[CategoryRevision], public_version: int
) -> tuple[list[VersionSummary], dict[str, str]]:
    summaries = [
        VersionSummary(
            version_number=r.version_number,
            created_by=r.created_by,
            created_at=r.created_at,
            modified_at=r.modified_at,
            base_version=r.base_version,
            status=revision_status(r.version_number, public_version),
        )
        for r in revisions
    ]
    ids = {s.created_by for s in summaries if s.created_by}
    names = {
        u.id: f"{u.first_name} {u.last_name}".strip()
        for u in session.scalars(select(User).where(User.id.in_(ids)))
    }
    return summaries, names
