"""Articles: creation in a category, per-language revisions, publishing, settings."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from lorebase.db.models import (
    Article,
    ArticleRevision,
    ArticleTranslation,
    Category,
    ProjectVersion,
    utcnow,
)
from lorebase.kb import merge_codes, page_bodies, search, workspaces
from lorebase.kb.categories import article_summary, check_related_articles
from lorebase.kb.errors import Invalid, NotFound
from lorebase.kb.revisions import (
    AlreadyPublished,
    LastRevision,
    PublishedRevision,
    RevisionMissing,
    article_revisions,
)
from lorebase.kb.settings import apply_settings
from lorebase.kb.slugs import slugify, unique_slug
from lorebase.kb.views import ArticleSummary
from lorebase.kb.workspaces import WorkspaceScope
from lorebase.render import MergeCodeValues

NOT_FOUND = "Article not found"
TITLE_MAX = 500  # the width of the title columns
INT32 = (-(2**31), 2**31 - 1)  # Document360's order is a .NET int


@dataclass(frozen=True)
class Located:
    article: Article
    scope: WorkspaceScope


_LOCATE = (
    select(Article, ProjectVersion)
    .join(ProjectVersion, ProjectVersion.id == Article.project_version_id)
    .where(
        Article.id == bindparam("article_id"), ProjectVersion.project_id == bindparam("project_id")
    )
)


def locate(session: Session, project_id: str, article_id: str, message: str = NOT_FOUND) -> Located:
    """The article and its workspace, if both belong to the caller's project."""
    found = session.execute(_LOCATE, {"article_id": article_id, "project_id": project_id}).first()
    if found is None:
        raise NotFound(message)
    article, workspace = found
    return Located(article, workspaces.scope_of(session, workspace))


def locate_for_write(
    session: Session, project_id: str, article_id: str, message: str = NOT_FOUND
) -> Located:
    """`locate` for a writer: the workspace's row is taken first (`workspaces.touch_holding`),
    then the article is read as the previous writer left it."""
    workspaces.touch_holding(session, project_id, Article, article_id)
    return locate(session, project_id, article_id, message)


def _taken_slugs(session: Session, workspace_id: str, lang: str) -> set[str]:
    return set(
        session.scalars(
            select(ArticleTranslation.slug)
            .join(Article, Article.id == ArticleTranslation.article_id)
            .where(
                Article.project_version_id == workspace_id, ArticleTranslation.language_code == lang
            )
        )
    )


def check_title(title: Any) -> str:
    if title is None or not str(title).strip():
        raise Invalid("The Title field is required.")
    if len(str(title)) > TITLE_MAX:
        raise Invalid(f"The field Title must be a string with a maximum length of {TITLE_MAX}.")
    return str(title)


def _check_order(order: int | None) -> None:
    if order is not None and not INT32[0] <= order <= INT32[1]:
        raise Invalid(f"The field Order must be between {INT32[0]} and {INT32[1]}.")


def _next_position(session: Session, workspace_id: str, category_id: str | None) -> int:
    query = select(func.max(Article.position)).where(Article.project_version_id == workspace_id)
    query = query.where(
        Article.category_id == category_id if category_id else Article.category_id.is_(None)
    )
    current = session.scalar(query)
    return 0 if current is None else current + 1


def create_article(
    session: Session,
    project_id: str,
    *,
    title: str | None,
    project_version_id: str | None,
    user_id: str | None,
    content: str | None = None,
    category_id: str | None = None,
    order: int | None = None,
    content_type: int | None = None,
    article_type: int | None = None,
    slug: str | None = None,
    lang: str | None = None,
    workspace_word: str = "project version",
) -> tuple[Article, ArticleTranslation]:
    title = check_title(title)
    _check_order(order)
    if not project_version_id:
        raise Invalid("The ProjectVersionId field is required.")
    if not user_id:
        raise Invalid("The UserId field is required.")
    scope = workspaces.find_workspace(session, project_id, project_version_id)
    if scope is None:
        raise Invalid(
            f"The supplied {workspace_word} id {project_version_id} does not exist in your project."
        )
    workspaces.require_user(session, project_id, user_id)
    if category_id:
        category = session.get(Category, category_id)
        if category is None or category.project_version_id != scope.id:
            raise Invalid(f"Unable to find specified parent category with an id {category_id}.")
    code = scope.language(lang)
    workspaces.touch(session, scope.id)  # first, as every writer (locate_for_write)
    now = utcnow()
    article = Article(
        project_version_id=scope.id,
        category_id=category_id or None,
        position=order if order is not None else _next_position(session, scope.id, category_id),
        content_type=content_type if content_type is not None else 0,
        article_type=article_type if article_type is not None else 0,
        created_by=user_id,
        created_at=now,
        modified_at=now,
    )
    session.add(article)
    session.flush()
    wanted = slugify(slug or title)
    tr, _ = article_revisions.start(
        session,
        article.id,
        code,
        translation={
            "title": title,
            "slug": unique_slug(wanted, _taken_slugs(session, scope.id, code)),
            "created_at": now,
        },
        revision=_body(article, title, content, user_id),
    )
    _index(session, article, tr)
    return article, tr


def _body(article: Article, title: str, content: str | None, author: str | None) -> dict[str, Any]:
    """`content` is the body in the article's own editor: Markdown or HTML."""
    fields: dict[str, Any] = {"title": title, "content": content, "created_by": author}
    if article.content_type in (1, 2):
        fields["html_content"] = content
    return fields


def update_article(
    session: Session,
    project_id: str,
    article_id: str,
    lang: str | None,
    *,
    fields: dict[str, Any],
) -> tuple[Located, ArticleTranslation, ArticleRevision]:
    """PUT /Articles/{id}/{lang}: body fields, move, visibility and order in one call."""
    located = locate_for_write(session, project_id, article_id)
    article, scope = located.article, located.scope
    code = scope.language(lang)
    if not fields:
        raise Invalid("A non-empty request body is required.")
    _check_order(fields.get("order"))
    if fields.get("title") is not None:
        check_title(fields["title"])
    if (
        "category_id" in fields
        and fields["category_id"]
        and fields["category_id"] != article.category_id
    ):
        category = session.get(Category, fields["category_id"])
        if category is None or category.project_version_id != scope.id:
            raise Invalid(
                f"Unable to find specified parent category with an id {fields['category_id']}."
            )
        article.category_id = category.id
        if fields.get("order") is None:
            article.position = _next_position(session, scope.id, category.id)
    if fields.get("hidden") is not None:
        article.hidden = bool(fields["hidden"])
    if fields.get("order") is not None:
        _place(session, article, int(fields["order"]))
    tr = translation_for_write(session, located, code)
    changes: dict[str, Any] = {}
    if fields.get("title") is not None:
        changes["title"] = fields["title"]
    if fields.get("content") is not None:
        changes.update({"content": fields["content"]})
        if article.content_type in (1, 2):
            changes["html_content"] = fields["content"]
    elif fields.get("html_content") is not None:
        changes["html_content"] = fields["html_content"]
        if article.content_type in (1, 2):
            changes["content"] = fields["html_content"]
    number = fields.get("version_number")
    try:
        if changes:
            rev = article_revisions.save(
                session, tr, version_number=number, changes=changes, author_id=None
            )
        elif number:
            # Nothing to write: naming the published revision must not fork an empty draft.
            found = article_revisions.revision(session, article.id, code, number)
            if found is None:
                raise RevisionMissing(number)
            rev = found
        else:
            rev = _latest(session, tr)
    except RevisionMissing:
        raise Invalid(
            f"Article with Id {article_id} with the language code {code} does not contain "
            f"version {fields.get('version_number')}"
        ) from None
    if rev.version_number == tr.latest_version:
        tr.title = rev.title
    if fields.get("translation_option") is not None:
        tr.translation_option = int(fields["translation_option"])
    article.modified_at = utcnow()
    _index(session, article, tr)
    session.flush()
    return located, tr, rev


def move_article(
    session: Session, project_id: str, article_id: str, *, category_id: str, index: int
) -> Article:
    """Put the article at `index` (0-based) among the articles of `category_id`: the portal's
    drag and drop and its "Move…" dialog."""
    located = locate_for_write(session, project_id, article_id)
    article = located.article
    if category_id != article.category_id:
        category = session.get(Category, category_id)
        if category is None or category.project_version_id != located.scope.id:
            raise Invalid(f"Unable to find specified parent category with an id {category_id}.")
        article.category_id = category.id
    _place(session, article, max(0, index) + 1)
    article.modified_at = utcnow()
    session.flush()
    return article


def _latest(session: Session, tr: ArticleTranslation) -> ArticleRevision:
    rev = article_revisions.revision(session, tr.article_id, tr.language_code, tr.latest_version)
    assert rev is not None, "translation rows always point at an existing revision"
    return rev


def _place(session: Session, article: Article, order: int) -> None:
    """Document360 article order is 1-based when set; 0 means "leave it"."""
    if order <= 0:
        return
    query = select(Article).where(
        Article.project_version_id == article.project_version_id, Article.id != article.id
    )
    query = query.where(
        Article.category_id == article.category_id
        if article.category_id
        else Article.category_id.is_(None)
    )
    siblings = sorted(session.scalars(query), key=lambda a: (a.position, a.created_at, a.id))
    siblings.insert(min(order - 1, len(siblings)), article)
    for position, sibling in enumerate(siblings):
        sibling.position = position


def translation_for_write(session: Session, located: Located, code: str) -> ArticleTranslation:
    """The article's row for `code`, starting the language from the default one if new."""
    article, scope = located.article, located.scope
    article_revisions.lock_item(session, article.id)  # two writers must not both start `code`
    tr = article_revisions.translation(session, article.id, code)
    if tr is not None:
        return tr
    source = article_revisions.read(
        session, article.id, scope.default_language, scope.default_language, published=False
    )
    if source is None:
        raise NotFound(NOT_FOUND)
    tr, _ = article_revisions.start(
        session,
        article.id,
        code,
        translation={
            "title": source.revision.title,
            "slug": unique_slug(source.translation.slug, _taken_slugs(session, scope.id, code)),
        },
        revision={
            "title": source.revision.title,
            "content": source.revision.content,
            "html_content": source.revision.html_content,
        },
    )
    return tr


def existing_translation(
    session: Session, located: Located, lang: str | None
) -> ArticleTranslation:
    code = located.scope.language(lang)
    tr = article_revisions.translation(session, located.article.id, code)
    if tr is None:
        raise NotFound(NOT_FOUND)
    return tr


def delete_article(session: Session, project_id: str, article_id: str) -> None:
    located = locate_for_write(session, project_id, article_id)
    session.delete(located.article)
    session.flush()


def publish_article(
    session: Session,
    project_id: str,
    article_id: str,
    lang: str | None,
    *,
    version_number: int,
    user_id: str | None,
    message: str | None,
) -> Located:
    located = locate_for_write(session, project_id, article_id, "Article not found.")
    workspaces.require_user(session, project_id, user_id)
    tr = existing_translation(session, located, lang)
    previous = tr.public_version
    try:
        rev = article_revisions.publish(session, tr, version_number, message)
    except RevisionMissing:
        raise Invalid(
            f"Cannot publish version number {version_number}, it does not exist in your project."
        ) from None
    except AlreadyPublished:
        raise Invalid("Article has already been published.") from None
    located.article.modified_at = utcnow()
    values_of = _index(session, located.article, tr)
    page_bodies.on_publish(
        session, ArticleRevision, rev, previous, located.article.content_type, values_of()
    )
    return located


def fork_article(
    session: Session,
    project_id: str,
    article_id: str,
    *,
    lang: str | None,
    version_number: int,
    user_id: str | None,
) -> ArticleRevision:
    if not user_id:
        raise Invalid("The UserId field is required.")
    if not lang:
        raise Invalid("The LangCode field is required.")
    located = locate_for_write(
        session, project_id, article_id, "One or more errors occurred. (Article not found)."
    )
    workspaces.require_user(session, project_id, user_id)
    tr = existing_translation(session, located, lang)
    try:
        rev = article_revisions.fork(session, tr, version_number, user_id)
    except RevisionMissing:
        raise Invalid(
            f"Cannot fork version number {version_number}, it does not exist in your project."
        ) from None
    tr.title = rev.title  # the translation carries its latest revision's title
    _index(session, located.article, tr)
    return rev


def delete_version(
    session: Session,
    project_id: str,
    article_id: str,
    lang: str | None,
    version_number: int,
    *,
    missing_version: str = NOT_FOUND,
) -> None:
    """Delete one revision; `missing_version` is the 400 text for a number that does not exist
    (the single-version routes say "Article not found", the bulk route "Invalid Article
    Version", as in the official examples)."""
    located = locate_for_write(session, project_id, article_id)
    tr = existing_translation(session, located, lang)
    try:
        article_revisions.delete_revision(session, tr, version_number)
    except RevisionMissing:
        raise Invalid(missing_version) from None
    except LastRevision:
        raise Invalid("Last Version cannot be deleted") from None
    except PublishedRevision:
        raise Invalid(
            "The published version cannot be deleted; publish another version first."
        ) from None
    tr.title = _latest(session, tr).title
    _index(session, located.article, tr)


def update_settings(
    session: Session, project_id: str, article_id: str, lang: str | None, changes: dict[str, Any]
) -> tuple[Located, ArticleTranslation]:
    located = locate_for_write(session, project_id, article_id)
    if not changes:
        raise Invalid("A non-empty request body is required.")
    code = located.scope.language(lang)
    tr = translation_for_write(session, located, code)
    if changes.get("related_articles"):
        check_related_articles(session, located.scope.id, changes["related_articles"])
    if changes.get("slug"):
        wanted = slugify(changes["slug"])
        changes["slug"] = (
            wanted
            if wanted == tr.slug
            else unique_slug(wanted, _taken_slugs(session, located.scope.id, code))
        )
    content_type = changes.pop("content_type", None)
    if content_type is not None and content_type != located.article.content_type:
        located.article.content_type = content_type
        session.flush()
        page_bodies.make_item_ready(
            session,
            ArticleRevision,
            located.article.id,
            located.scope.id,
            functools.cache(lambda code: merge_codes.values_for(session, located.scope.id, code)),
        )
    apply_settings(session, tr, changes)
    tr.modified_at = utcnow()
    return located, tr


def update_description(
    session: Session, project_id: str, article_id: str, lang: str | None, description: str | None
) -> None:
    located = locate_for_write(session, project_id, article_id)
    code = located.scope.language(lang)
    tr = translation_for_write(session, located, code)
    tr.description = description
    tr.modified_at = utcnow()


def _index(
    session: Session, article: Article, tr: ArticleTranslation
) -> Callable[[], MergeCodeValues]:
    """Index the article language again; returns what gives the language's merge-code values
    (read once, and only if asked: most texts hold no merge code)."""
    values_of = functools.cache(
        functools.partial(
            merge_codes.values_for, session, article.project_version_id, tr.language_code
        )
    )
    search.index_article_language(session, article, tr, values_of)
    return values_of


def reindex(session: Session, located: Located, tr: ArticleTranslation) -> None:
    """The search rows of one article language, after a change outside this module."""
    _index(session, located.article, tr)


def workspace_articles(session: Session, scope: WorkspaceScope, lang: str) -> list[ArticleSummary]:
    langs = list(dict.fromkeys([lang, scope.default_language]))
    rows = session.execute(
        select(Article, ArticleTranslation)
        .join(ArticleTranslation, ArticleTranslation.article_id == Article.id)
        .where(Article.project_version_id == scope.id, ArticleTranslation.language_code.in_(langs))
    )
    chosen: dict[str, tuple[Article, ArticleTranslation]] = {}
    for article, tr in rows:
        current = chosen.get(article.id)
        if current is None or (tr.language_code == lang and current[1].language_code != lang):
            chosen[article.id] = (article, tr)
    summaries = [article_summary(a, t) for a, t in chosen.values()]
    summaries.sort(key=lambda s: (s.category_id or "", s.order, s.id))
    return summaries


@dataclass(frozen=True)
class SearchHitView:
    article_id: str
    title: str
    body: str
    title_highlight: search.Highlight
    snippet: search.Highlight
    version_number: int
    public_version: int
    slug: str
    category_id: str | None
    order: int
    hidden: bool
    tags: list[str]


def search_hits(session: Session, hits: list[search.SearchHit], lang: str) -> list[SearchHitView]:
    """Search hits with the article facts the v2 hit shape carries."""
    if not hits:
        return []
    ids = [h.article_id for h in hits]
    articles = {a.id: a for a in session.scalars(select(Article).where(Article.id.in_(ids)))}
    views = []
    for hit in hits:
        article = articles.get(hit.article_id)
        if article is None:
            continue
        tr = session.get(ArticleTranslation, (article.id, lang))
        views.append(
            SearchHitView(
                article_id=hit.article_id,
                title=hit.title,
                body=hit.body,
                title_highlight=hit.title_highlight,
                snippet=hit.snippet,
                version_number=hit.version_number,
                public_version=tr.public_version if tr else 0,
                slug=tr.slug if tr else "",
                category_id=article.category_id,
                order=article.position,
                hidden=article.hidden,
                tags=list((tr.settings or {}).get("tags") or []) if tr else [],
            )
        )
    return views
