"""The mirror's memory in the target database: the source, its watermark, and what was copied.

A `MirrorItem` row is written in the transaction that writes its item, so it never claims more
than the target holds: after Ctrl-C, kill -9 or a lost connection, the next run skips exactly
the items whose source fingerprint (modified_at and revision numbers) it still matches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lorebase.db.models import MirrorItem, MirrorSource, utcnow

Key = tuple[str, str, str]  # (kind, item id, language code or "")


@dataclass(frozen=True)
class Copied:
    fingerprint: str
    workspace_id: str | None


def open_source(session: Session, project_id: str, source_url: str) -> MirrorSource:
    """The project's row for this source, created on the first run."""
    found = session.scalars(
        select(MirrorSource).where(
            MirrorSource.project_id == project_id, MirrorSource.source_url == source_url
        )
    ).first()
    if found is None:
        found = MirrorSource(project_id=project_id, source_url=source_url)
        session.add(found)
        session.flush()
    return found


def find_source(session: Session, project_id: str, source_url: str) -> MirrorSource | None:
    return session.scalars(
        select(MirrorSource).where(
            MirrorSource.project_id == project_id, MirrorSource.source_url == source_url
        )
    ).first()


def copied_items(session: Session, source_id: str | None) -> dict[Key, Copied]:
    if source_id is None:
        return {}
    rows = session.execute(
        select(
            MirrorItem.kind,
            MirrorItem.item_id,
            MirrorItem.language_code,
            MirrorItem.fingerprint,
            MirrorItem.project_version_id,
        ).where(MirrorItem.source_id == source_id)
    )
    return {
        (r.kind, r.item_id, r.language_code): Copied(r.fingerprint, r.project_version_id)
        for r in rows
    }


def remember(
    session: Session,
    source_id: str,
    key: Key,
    *,
    workspace_id: str | None,
    fingerprint: str,
    modified_at: datetime | None,
) -> None:
    kind, item_id, language_code = key
    session.merge(
        MirrorItem(
            source_id=source_id,
            kind=kind,
            item_id=item_id,
            language_code=language_code,
            project_version_id=workspace_id,
            fingerprint=fingerprint,
            modified_at=modified_at,
            copied_at=utcnow(),
        )
    )


def remember_made(session: Session, source_id: str, kind: str, item_id: str) -> None:
    """A team member's account or a Drive file the mirror made: kept so that its removal at
    the source can be reported (and pruned)."""
    remember(
        session, source_id, (kind, item_id, ""), workspace_id=None, fingerprint="",
        modified_at=None,
    )  # fmt: skip


def forget(session: Session, source_id: str, key: Key) -> None:
    kind, item_id, language_code = key
    session.execute(
        delete(MirrorItem).where(
            MirrorItem.source_id == source_id,
            MirrorItem.kind == kind,
            MirrorItem.item_id == item_id,
            MirrorItem.language_code == language_code,
        )
    )
