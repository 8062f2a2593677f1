"""Per-language SEO and display settings, shared by articles and categories."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lorebase.db.models import ArticleTranslation, CategoryTranslation, SlugHistory

DEFAULT_SETTINGS: dict[str, Any] = {
    "seo_title": None,
    "allow_comments": True,
    "show_table_of_contents": True,
    "featured_image_url": None,
    "tags": [],
    "status_indicator": 0,
    "status_indicator_expiry_date": None,
    "exclude_from_search": False,
    "exclude_from_ai_search": False,
    "related_articles": [],
    "is_acknowledgement_enabled": False,
}
EDITABLE = set(DEFAULT_SETTINGS) | {"slug", "description"}


def current_settings(tr: ArticleTranslation | CategoryTranslation) -> dict[str, Any]:
    merged = {**DEFAULT_SETTINGS, **(tr.settings or {})}
    merged["slug"] = tr.slug
    merged["description"] = tr.description
    merged[EXPIRY] = _stored_datetime(merged[EXPIRY])
    return merged


def apply_settings(
    session: Session, tr: ArticleTranslation | CategoryTranslation, changes: dict[str, Any]
) -> None:
    stored = dict(tr.settings or {})
    for key, value in changes.items():
        if key == "slug":
            if value and value != tr.slug:
                _remember_slug(session, tr)
                tr.slug = value
        elif key == "description":
            tr.description = value
        elif key in DEFAULT_SETTINGS:
            stored[key] = _utc_text(value) if isinstance(value, datetime) else value
    tr.settings = stored


def _remember_slug(session: Session, tr: ArticleTranslation | CategoryTranslation) -> None:
    """Keep the slug being replaced: links to the old URL keep working (a redirect)."""
    if isinstance(tr, ArticleTranslation):
        kind, item_id = "article", tr.article_id
    else:
        kind, item_id = "category", tr.category_id
    session.add(
        SlugHistory(
            kind=kind, item_id=item_id, language_code=tr.language_code, slug=tr.slug.lower()
        )
    )


def former_owners(session: Session, kind: str, language_code: str, slug: str) -> list[str]:
    """The ids of the items (`kind` "article" or "category") that had `slug` in that language
    before a rename, the latest rename first."""
    return list(
        session.scalars(
            select(SlugHistory.item_id)
            .where(
                SlugHistory.kind == kind,
                SlugHistory.language_code == language_code,
                SlugHistory.slug == slug.lower(),
            )
            .order_by(SlugHistory.id.desc())
            .limit(20)
        )
    )


# Settings live in a JSON column: the one date among them is kept as ISO 8601 text in UTC and
# handed out as a datetime, which the API writes in its own form.
EXPIRY = "status_indicator_expiry_date"


def _utc_text(value: datetime) -> str:
    """ISO 8601 in UTC; zone-less input is UTC."""
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat()


def _stored_datetime(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value  # not a date Lorebase wrote: shown as it was stored
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
