"""Reading article and category-page revisions, for editing or for display."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from lorebase.db.models import (
    Article,
    ArticleRevision,
    ArticleTranslation,
    Category,
    CategoryRevision,
    CategoryTranslation,
    User,
)
from lorebase.kb import merge_codes
from lorebase.kb.revisions import revision_status
from lorebase.kb.views import ContentView
from lorebase.kb.workspaces import WorkspaceScope
from lorebase.render import (
    MergeCodeValues,
    markdown_to_html,
    resolve_merge_codes,
    sanitize_html,
)

MARKDOWN = 0
# The .NET enum member names, which the string-typed `content_type` of category pages carries;
# the spec's descriptions spell them "Markdown = 0, Wysiwyg = 1, Block = 2".
CONTENT_TYPE_NAMES = {0: "Markdown", 1: "Wysiwyg", 2: "Block"}


def render_bodies(
    session: Session,
    scope: WorkspaceScope,
    lang: str,
    content_type: int | None,
    content: str | None,
    html_content: str | None,
    *,
    for_display: bool,
) -> tuple[str | None, str | None]:
    """(content, html_content) as the API returns them.

    Markdown bodies get their HTML rendered (and sanitised) from the Markdown source; HTML
    bodies are sanitised. For display, merge codes are resolved in both, the language's own
    values first, then the global ones.
    """
    values = merge_codes.values_for(session, scope.id, lang) if for_display else None
    return render_with_values(content_type, content, html_content, values)


def render_with_values(
    content_type: int | None,
    content: str | None,
    html_content: str | None,
    values: MergeCodeValues | None,
) -> tuple[str | None, str | None]:
    """`render_bodies` once the merge-code values are known (None: keep the codes). The
    exports render through here too, so that a page of the offline site or the PDF shows what
    the API's `html_content` shows. Markdown is resolved before it is rendered: cmark
    percent-encodes `{{` inside link targets, which would hide the codes afterwards."""
    if content_type in (None, MARKDOWN):
        if content is None:
            return None, sanitize_html(html_content) if html_content is not None else None
        if values is not None:
            content = resolve_merge_codes(content, values, target="markdown")
        return content, markdown_to_html(content)
    source = html_content if html_content is not None else content
    if source is None:
        return content, None
    if values is not None:
        # Resolution does not sanitise what it inserts; the whole result is sanitised once.
        resolved = resolve_merge_codes(source, values, target="html")
        return resolved, sanitize_html(resolved)
    return content, sanitize_html(source)


def _authors_query(model: type[ArticleRevision] | type[CategoryRevision], owner: Any) -> Any:
    return (
        select(User)
        .where(
            User.id.in_(
                select(model.created_by).where(
                    owner == bindparam("owner_id"), model.language_code == bindparam("lang")
                )
            )
        )
        .order_by(User.first_name, User.id)
    )


_ARTICLE_AUTHORS = _authors_query(ArticleRevision, ArticleRevision.article_id)
_CATEGORY_AUTHORS = _authors_query(CategoryRevision, CategoryRevision.category_id)
_CATEGORY_TYPE = select(Category.category_type).where(Category.id == bindparam("category_id"))


def authors(session: Session, revision: ArticleRevision | CategoryRevision) -> list[User]:
    """Team accounts that wrote revisions of this item in this language."""
    if isinstance(revision, ArticleRevision):
        query, owner_id = _ARTICLE_AUTHORS, revision.article_id
    else:
        query, owner_id = _CATEGORY_AUTHORS, revision.category_id
    params = {"owner_id": owner_id, "lang": revision.language_code}
    return list(session.scalars(query, params))


def article_view(
    session: Session,
    scope: WorkspaceScope,
    article: Article,
    tr: ArticleTranslation,
    rev: ArticleRevision,
    *,
    fallback: bool,
    for_display: bool,
) -> ContentView:
    category_type = None
    if article.category_id:
        category_type = session.scalar(_CATEGORY_TYPE, {"category_id": article.category_id})
    content, html = render_bodies(
        session,
        scope,
        tr.language_code,
        article.content_type,
        rev.content,
        rev.html_content,
        for_display=for_display,
    )
    return ContentView(
        id=article.id,
        title=rev.title,
        content=content,
        html_content=html,
        block_content=None,
        parent_id=article.category_id,
        project_version_id=article.project_version_id,
        version_number=rev.version_number,
        public_version=tr.public_version,
        latest_version=tr.latest_version,
        enable_rtl=_rtl(scope, tr.language_code),
        hidden=article.hidden,
        status=revision_status(rev.version_number, tr.public_version),
        order=article.position,
        created_by=rev.created_by,
        authors=authors(session, rev),
        created_at=article.created_at,
        modified_at=max(rev.modified_at, tr.modified_at),
        version_created_at=rev.created_at,
        slug=tr.slug,
        is_fall_back_content=fallback,
        description=tr.description,
        category_type=category_type,
        content_type=article.content_type,
        is_shared=article.is_shared,
        translation_option=tr.translation_option,
        language_code=tr.language_code,
    )


def category_view(
    session: Session,
    scope: WorkspaceScope,
    category: Category,
    tr: CategoryTranslation,
    rev: CategoryRevision,
    *,
    fallback: bool,
    for_display: bool,
) -> ContentView:
    content, html = render_bodies(
        session,
        scope,
        tr.language_code,
        category.content_type,
        rev.content,
        rev.html_content,
        for_display=for_display,
    )
    return ContentView(
        id=category.id,
        title=rev.title,
        content=content,
        html_content=html,
        block_content=rev.block_content,
        parent_id=category.parent_id,
        project_version_id=category.project_version_id,
        version_number=rev.version_number,
        public_version=tr.public_version,
        latest_version=tr.latest_version,
        enable_rtl=_rtl(scope, tr.language_code),
        hidden=category.hidden,
        status=revision_status(rev.version_number, tr.public_version),
        order=category.position,
        created_by=rev.created_by,
        authors=authors(session, rev),
        created_at=category.created_at,
        modified_at=max(rev.modified_at, tr.modified_at),
        version_created_at=rev.created_at,
        slug=tr.slug,
        is_fall_back_content=fallback,
        description=tr.description,
        category_type=category.category_type,
        content_type=category.content_type,
        is_shared=False,
        translation_option=tr.translation_option,
        language_code=tr.language_code,
    )


def _rtl(scope: WorkspaceScope, code: str) -> bool:
    return any(lang.code == code and lang.enable_rtl for lang in scope.languages)
