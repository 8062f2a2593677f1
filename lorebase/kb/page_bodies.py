"""Published bodies made ready to read, kept with their revisions.

Rendering a page body (merge codes, Markdown, sanitising, code highlighting) costs more than
everything else a reader's page does; a published revision never changes, so its body is
made ready once — when it is published, or by a `page_bodies` job after an import or an
upgrade — and the reader site takes it as stored (`usable`). What can still change under a
stored body is checked on read, and a body that no longer holds is rendered on read instead:

- the renderer (`RENDERER`, raised whenever the output of the pipeline changes),
- the item's content type (Markdown or HTML, a setting),
- the merge-code values, for a body that holds merge codes: a digest of the language's
  values is kept with it. Changing a variable, snippet or glossary term makes the bodies
  using codes ready again in the same transaction (`make_merge_code_users_ready`); the digest
  covers a publish that raced with that change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import Select, and_, or_, select, update
from sqlalchemy.orm import Session

from lorebase.db.models import (
    Article,
    ArticleRevision,
    ArticleTranslation,
    Category,
    CategoryRevision,
    CategoryTranslation,
    Job,
    ProjectVersion,
)
from lorebase.jobs import queue
from lorebase.kb.content import render_with_values
from lorebase.render import MergeCodeValues
from lorebase.render.page import Heading, ReadyBody, ready_body

# Raise when what `ready_body` or `render_with_values` produce changes: bodies made by another
# number are rendered on read until a `page_bodies` job (started by `lorebase serve`) has made
# them ready again.
RENDERER = 1
JOB_KIND = "page_bodies"
BATCH = 200

Revision = type[ArticleRevision] | type[CategoryRevision]
ValuesOf = Callable[[str], MergeCodeValues]  # a language code -> its merge-code values


def values_digest(values: MergeCodeValues) -> str:
    """A digest of every merge-code value one language sees."""
    digest = hashlib.blake2b(digest_size=16)
    for kind, entries in (
        ("v", {name: (value,) for name, value in values.variables.items()}),
        ("s", {name: (s.content, str(s.is_html)) for name, s in values.snippets.items()}),
        ("g", {name: (g.term, g.definition) for name, g in values.glossary.items()}),
    ):
        for name in sorted(entries):
            for part in (kind, name, *entries[name]):
                digest.update(part.encode())
                digest.update(b"\0")
    return digest.hexdigest()


def ready(
    content_type: int | None,
    content: str | None,
    html_content: str | None,
    values: MergeCodeValues,
) -> dict[str, Any]:
    """The `ready_*` columns of a published revision: its body rendered with `values`."""
    _, rendered = render_with_values(content_type, content, html_content, values)
    body = ready_body(rendered or "")
    uses_codes = "{{" in (content or "") or "{{" in (html_content or "")
    return {
        "ready_html": body.html,
        "ready_facts": {
            "headings": [[h.level, h.anchor, h.html] for h in body.headings],
            "words": body.words,
            "opening": body.opening,
            "content_type": content_type,
            "values": values_digest(values) if uses_codes else None,
        },
        "ready_renderer": RENDERER,
    }


def usable(
    html: str | None,
    facts: dict[str, Any] | None,
    renderer: int | None,
    content_type: int | None,
    digest: Callable[[], str],
) -> ReadyBody | None:
    """The stored body, if it still holds; `digest()` gives the language's values digest
    (asked only for a body with merge codes)."""
    if html is None or facts is None or renderer != RENDERER:
        return None
    if facts.get("content_type") != content_type:
        return None
    if facts.get("values") is not None and facts["values"] != digest():
        return None
    return ReadyBody(
        html,
        tuple(Heading(*heading) for heading in facts["headings"]),
        facts["words"],
        facts["opening"],
    )


def on_publish(
    session: Session,
    model: Revision,
    rev: ArticleRevision | CategoryRevision,
    previous: int,
    content_type: int | None,
    values: MergeCodeValues,
) -> None:
    """Make the just-published `rev` ready with its language's `values` and let the one it
    replaced (`previous`) go."""
    owner = _owner(model)
    if previous and previous != rev.version_number:
        session.execute(
            update(model)
            .where(
                owner == getattr(rev, owner.key),
                model.language_code == rev.language_code,
                model.version_number == previous,
            )
            .values(ready_html=None, ready_facts=None, ready_renderer=None)
        )
    for column, value in ready(content_type, rev.content, rev.html_content, values).items():
        setattr(rev, column, value)
    session.flush()


def make_merge_code_users_ready(session: Session, workspace_id: str, values_of: ValuesOf) -> None:
    """After a variable, snippet or glossary term of the workspace changed: the published
    bodies holding a merge code, ready again with the new values."""
    for model in (ArticleRevision, CategoryRevision):
        holds_a_code = or_(model.content.contains("{{"), model.html_content.contains("{{"))
        _make_ready(session, model, _published(model, workspace_id, holds_a_code), values_of)


def make_item_ready(
    session: Session, model: Revision, item_id: str, workspace_id: str, values_of: ValuesOf
) -> None:
    """One article's or category's published bodies, ready again (its content type changed)."""
    _make_ready(
        session, model, _published(model, workspace_id, _owner(model) == item_id), values_of
    )


def make_unready_ready(
    session: Session, workspace_id: str, values_of: ValuesOf, limit: int = BATCH
) -> int:
    """Make up to `limit` published bodies of the workspace ready that are not (or were made
    by another renderer); returns how many. The `page_bodies` job calls it until 0."""
    done = 0
    for model in (ArticleRevision, CategoryRevision):
        query = _published(model, workspace_id, _unready(model)).limit(limit - done)
        done += _make_ready(session, model, query, values_of)
        if done >= limit:
            break
    return done


def unready_workspaces(session: Session) -> list[tuple[str, str]]:
    """(project id, workspace id) of every workspace with a published body that is not ready
    and no `page_bodies` job queued or running for it."""
    found: set[str] = set()
    for model in (ArticleRevision, CategoryRevision):
        _, _, item = _joins(model)
        query = _published(model, None, _unready(model)).with_only_columns(item.project_version_id)
        found.update(session.scalars(query.order_by(None).distinct()))
    pending = session.scalars(
        select(Job.params).where(
            Job.kind == JOB_KIND, Job.status.in_([queue.QUEUED, queue.IN_PROGRESS])
        )
    )
    found -= {params.get("workspace_id") for params in pending if isinstance(params, dict)}
    if not found:
        return []
    rows = session.execute(
        select(ProjectVersion.project_id, ProjectVersion.id)
        .where(ProjectVersion.id.in_(found))
        .order_by(ProjectVersion.id)
    )
    return [(project_id, workspace_id) for project_id, workspace_id in rows]


def enqueue_for_unready(session: Session) -> int:
    """A `page_bodies` job for each workspace that needs one (`lorebase serve` at start)."""
    wanted = unready_workspaces(session)
    for project_id, workspace_id in wanted:
        enqueue(session, project_id, workspace_id)
    return len(wanted)


def enqueue(session: Session, project_id: str, workspace_id: str) -> None:
    queue.enqueue(session, project_id, JOB_KIND, {"workspace_id": workspace_id})


def _owner(model: Revision) -> Any:
    return ArticleRevision.article_id if model is ArticleRevision else CategoryRevision.category_id


def _joins(model: Revision) -> tuple[Any, Any, Any]:
    """(the translation's owner column, the translation, the item) of a revision model."""
    if model is ArticleRevision:
        return ArticleTranslation.article_id, ArticleTranslation, Article
    return CategoryTranslation.category_id, CategoryTranslation, Category


def _unready(model: Revision) -> Any:
    return or_(model.ready_renderer.is_(None), model.ready_renderer != RENDERER)


def _published(model: Revision, workspace_id: str | None, condition: Any) -> Select[Any]:
    """The published revisions of `model` meeting `condition`, in one workspace (None: all)."""
    owner, translation, item = _joins(model)
    query = (
        select(
            model.id,
            model.language_code,
            item.content_type,
            model.content,
            model.html_content,
        )
        .join(
            translation,
            and_(
                owner == _owner(model),
                translation.language_code == model.language_code,
                translation.public_version == model.version_number,
            ),
        )
        .join(item, item.id == _owner(model))
        .where(condition)
        .order_by(model.id)
    )
    return query if workspace_id is None else query.where(item.project_version_id == workspace_id)


def _make_ready(session: Session, model: Revision, query: Select[Any], values_of: ValuesOf) -> int:
    values: dict[str, MergeCodeValues] = {}
    done = 0
    for rows in _batches(session.execute(query).all()):
        changes = []
        for rev_id, code, content_type, content, html_content in rows:
            if code not in values:
                values[code] = values_of(code)
            changes.append(
                {"id": rev_id, **ready(content_type, content, html_content, values[code])}
            )
        session.execute(update(model), changes)
        done += len(changes)
    return done


def _batches(rows: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]
