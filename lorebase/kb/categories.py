"""Categories: the folder/page/index tree of a workspace and the page bodies of pages."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session

from lorebase.db.models import (
    Article,
    ArticleTranslation,
    Category,
    CategoryRevision,
    CategoryTranslation,
    ProjectVersion,
    utcnow,
)
from lorebase.kb import merge_codes, page_bodies, workspaces
from lorebase.kb.errors import Invalid, NotFound
from lorebase.kb.revisions import (
    AlreadyPublished,
    LastRevision,
    PublishedRevision,
    RevisionMissing,
    category_revisions,
    revision_status,
)
from lorebase.kb.settings import apply_settings, current_settings
from lorebase.kb.slugs import slugify, unique_slug
from lorebase.kb.views import ArticleSummary, CategoryNode
from lorebase.kb.workspaces import WorkspaceScope

FOLDER, PAGE, INDEX = 0, 1, 2
# Document360 allows categories six levels below the top level (seven in all).
MAX_DEPTH = 7
NOT_FOUND = "Category not found"


@dataclass(frozen=True)
class Located:
    category: Category
    scope: WorkspaceScope


_LOCATE = (
    select(Category, ProjectVersion)
    .join(ProjectVersion, ProjectVersion.id == Category.project_version_id)
    .where(
        Category.id == bindparam("category_id"),
        ProjectVersion.project_id == bindparam("project_id"),
    )
)


def locate(
    session: Session, project_id: str, category_id: str, message: str = NOT_FOUND
) -> Located:
    """The category and its workspace, if both belong to the caller's project."""
    found = session.execute(_LOCATE, {"category_id": category_id, "project_id": project_id}).first()
    if found is None:
        raise NotFound(message)
    category, workspace = found
    return Located(category, workspaces.scope_of(session, workspace))


def locate_for_write(
    session: Session, project_id: str, category_id: str, message: str = NOT_FOUND
) -> Located:
    """`locate` for a writer: the workspace's row is taken first (`workspaces.touch_holding`),
    then the category is read as the previous writer left it."""
    workspaces.touch_holding(session, project_id, Category, category_id)
    return locate(session, project_id, category_id, message)


def _has_body(category: Category) -> bool:
    return category.category_type in (PAGE, INDEX)


# --- the tree -----------------------------------------------------------------------------
#
# Reads are the hot path (the tree is the largest response, a category the most frequent), so
# they fetch plain columns with statements built once, never ORM objects: constructing a
# statement and loading entities cost more than the queries themselves (bench/reads.py).

CATEGORY_COLUMNS = (
    Category.id,
    Category.project_version_id,
    Category.parent_id,
    Category.position,
    Category.category_type,
    Category.content_type,
    Category.hidden,
    Category.icon,
    Category.created_at,
    Category.modified_at,
)
CATEGORY_TRANSLATION_COLUMNS = (
    CategoryTranslation.category_id,
    CategoryTranslation.language_code,
    CategoryTranslation.name,
    CategoryTranslation.slug,
    CategoryTranslation.description,
    CategoryTranslation.public_version,
    CategoryTranslation.latest_version,
    CategoryTranslation.modified_at,
)
SUMMARY_COLUMNS = (
    Article.id,
    Article.project_version_id,
    Article.category_id,
    Article.position,
    Article.content_type,
    Article.hidden,
    Article.is_shared,
    Article.modified_at,
    ArticleTranslation.language_code,
    ArticleTranslation.title,
    ArticleTranslation.slug,
    ArticleTranslation.public_version,
    ArticleTranslation.latest_version,
    ArticleTranslation.translation_option,
    ArticleTranslation.modified_at.label("translation_modified_at"),
)
_LANGS: Any = bindparam("langs", expanding=True)
_WORKSPACE: Any = bindparam("workspace_id")

WORKSPACE_CATEGORIES = select(*CATEGORY_COLUMNS).where(Category.project_version_id == _WORKSPACE)
WORKSPACE_CATEGORY_TRANSLATIONS = (
    select(*CATEGORY_TRANSLATION_COLUMNS)
    .join(Category, Category.id == CategoryTranslation.category_id)
    .where(Category.project_version_id == _WORKSPACE, CategoryTranslation.language_code.in_(_LANGS))
)
WORKSPACE_SUMMARIES = (
    select(*SUMMARY_COLUMNS)
    .join(ArticleTranslation, ArticleTranslation.article_id == Article.id)
    .where(
        Article.project_version_id == _WORKSPACE,
        Article.category_id.is_not(None),
        ArticleTranslation.language_code.in_(_LANGS),
    )
)
# One category and its direct children. The workspace filter lets the
# (project_version_id, parent_id / category_id) indexes serve these lookups.
_FAMILY = or_(
    Category.id == bindparam("category_id"), Category.parent_id == bindparam("category_id")
)
_FAMILY_CATEGORIES = select(*CATEGORY_COLUMNS).where(
    Category.project_version_id == _WORKSPACE, _FAMILY
)
_FAMILY_CATEGORY_TRANSLATIONS = (
    select(*CATEGORY_TRANSLATION_COLUMNS)
    .join(Category, Category.id == CategoryTranslation.category_id)
    .where(Category.project_version_id == _WORKSPACE, _FAMILY)
    .where(CategoryTranslation.language_code.in_(_LANGS))
)
_FAMILY_SUMMARIES = (
    select(*SUMMARY_COLUMNS)
    .join(ArticleTranslation, ArticleTranslation.article_id == Article.id)
    .where(
        Article.project_version_id == _WORKSPACE,
        Article.category_id.in_(select(Category.id).where(_FAMILY)),
        ArticleTranslation.language_code.in_(_LANGS),
    )
)


def preferred(rows: Any, owner_index: int, langs: list[str]) -> dict[str, Any]:
    """owner id -> the row in the first of `langs` that exists (language fallback)."""
    chosen: dict[str, Any] = {}
    first = langs[0]
    for row in rows:
        owner = row[owner_index]
        if owner not in chosen or row.language_code == first:
            chosen[owner] = row
    return chosen


def _summary(article: Any, tr: Any, translation_modified_at: datetime) -> ArticleSummary:
    return ArticleSummary(
        id=article.id,
        title=tr.title,
        public_version=tr.public_version,
        latest_version=tr.latest_version,
        language_code=tr.language_code,
        hidden=article.hidden,
        status=revision_status(tr.latest_version, tr.public_version),
        order=article.position,
        slug=tr.slug,
        content_type=article.content_type,
        translation_option=tr.translation_option,
        is_shared=article.is_shared,
        modified_at=max(article.modified_at, translation_modified_at),
        category_id=article.category_id,
        project_version_id=article.project_version_id,
    )


def summary_from_row(row: Any) -> ArticleSummary:
    # Unpacked by position: named access on a Row costs ~1 µs a field, and the tree of a
    # large workspace builds tens of thousands of summaries (order of SUMMARY_COLUMNS).
    (
        article_id, workspace_id, category_id, position, content_type, hidden, is_shared,
        modified_at, language_code, title, slug, public_version, latest_version,
        translation_option, translation_modified_at,
    ) = row  # fmt: skip
    return ArticleSummary(
        id=article_id,
        title=title,
        public_version=public_version,
        latest_version=latest_version,
        language_code=language_code,
        hidden=hidden,
        status=revision_status(latest_version, public_version),
        order=position,
        slug=slug,
        content_type=content_type,
        translation_option=translation_option,
        is_shared=is_shared,
        modified_at=max(modified_at, translation_modified_at),
        category_id=category_id,
        project_version_id=workspace_id,
    )


def article_summary(article: Article, tr: ArticleTranslation) -> ArticleSummary:
    return _summary(article, tr, tr.modified_at)


def node_from_rows(category: Any, tr: Any, with_description: bool) -> CategoryNode:
    has_body = category.category_type in (PAGE, INDEX)
    return CategoryNode(
        id=category.id,
        name=tr.name if tr else "",
        description=tr.description if (tr and with_description) else None,
        project_version_id=category.project_version_id,
        order=category.position,
        parent_category_id=category.parent_id,
        hidden=category.hidden,
        icon=category.icon,
        slug=tr.slug if tr else "",
        category_type=category.category_type,
        created_at=category.created_at,
        modified_at=max(category.modified_at, tr.modified_at) if tr else category.modified_at,
        status=revision_status(tr.latest_version, tr.public_version) if (has_body and tr) else None,
        content_type=category.content_type if has_body else None,
    )


def _assemble(
    session: Session,
    statements: tuple[Any, Any, Any],
    params: dict[str, Any],
    langs: list[str],
    *,
    include_articles: bool,
    include_description: bool,
) -> tuple[list[Any], dict[str, CategoryNode]]:
    categories_query, translations_query, summaries_query = statements
    params = {**params, "langs": langs}
    categories = list(session.execute(categories_query, params))
    translations = preferred(session.execute(translations_query, params), 0, langs)
    nodes = {
        c.id: node_from_rows(c, translations.get(c.id), include_description) for c in categories
    }
    if include_articles:
        for node in nodes.values():
            node.articles = []
        for row in preferred(session.execute(summaries_query, params), 0, langs).values():
            owner = nodes.get(row.category_id)
            if owner is not None and owner.articles is not None:
                owner.articles.append(summary_from_row(row))
    return categories, nodes


def workspace_tree(
    session: Session,
    scope: WorkspaceScope,
    lang: str,
    *,
    include_articles: bool,
    include_description: bool,
) -> list[CategoryNode]:
    """The whole category tree of a workspace, children and articles in order."""
    langs = list(dict.fromkeys([lang, scope.default_language]))
    categories, nodes = _assemble(
        session,
        (WORKSPACE_CATEGORIES, WORKSPACE_CATEGORY_TRANSLATIONS, WORKSPACE_SUMMARIES),
        {"workspace_id": scope.id},
        langs,
        include_articles=include_articles,
        include_description=include_description,
    )
    roots: list[CategoryNode] = []
    for category in categories:
        node = nodes[category.id]
        parent = nodes.get(category.parent_id) if category.parent_id else None
        (parent.children if parent else roots).append(node)
    _sort(roots)
    return roots


def category_order(session: Session, workspace_id: str) -> dict[str, int]:
    """Each category's place in the workspace's tree read top to bottom: a parent before its
    children, siblings in order, as `workspace_tree` lists them."""
    rows = session.execute(
        select(Category.id, Category.parent_id, Category.position, Category.created_at).where(
            Category.project_version_id == workspace_id
        )
    ).all()
    ids = {row.id for row in rows}
    children: dict[str | None, list[Any]] = {}
    for row in rows:
        # A parent outside the workspace makes a root, as in workspace_tree.
        parent = row.parent_id if row.parent_id in ids else None
        children.setdefault(parent, []).append(row)
    for siblings in children.values():
        siblings.sort(key=lambda r: (r.position, r.created_at, r.id))
    order: dict[str, int] = {}
    pending = list(reversed(children.get(None, [])))
    while pending:
        row = pending.pop()
        order[row.id] = len(order)
        pending.extend(reversed(children.get(row.id, [])))
    return order


def _sort(nodes: list[CategoryNode]) -> None:
    nodes.sort(key=lambda n: (n.order, n.created_at, n.id))
    for node in nodes:
        if node.articles:
            node.articles.sort(key=lambda a: (a.order, a.id))
        _sort(node.children)


def category_with_children(
    session: Session, project_id: str, category_id: str, lang: str | None
) -> CategoryNode:
    """One category, its direct articles and its direct children with their articles.

    Seed 003 says the route does not recurse; its example still lists each child's articles
    (with `child_categories: []`), so we go exactly that deep.
    """
    located = locate(
        session, project_id, category_id, f"Cannot find category with id {category_id}"
    )
    scope = located.scope
    code = scope.language(lang)
    langs = list(dict.fromkeys([code, scope.default_language]))
    categories, nodes = _assemble(
        session,
        (_FAMILY_CATEGORIES, _FAMILY_CATEGORY_TRANSLATIONS, _FAMILY_SUMMARIES),
        {"workspace_id": scope.id, "category_id": category_id},
        langs,
        include_articles=True,
        include_description=True,
    )
    root = nodes[category_id]
    root.children = [nodes[c.id] for c in categories if c.id != category_id]
    _sort([root])
    return root


# --- structure ----------------------------------------------------------------------------


def _depth(session: Session, category_id: str | None) -> int:
    """Level of a category: 1 for a top-level one, 0 for "no category"."""
    depth = 0
    seen: set[str] = set()
    while category_id and category_id not in seen:
        seen.add(category_id)
        depth += 1
        category_id = session.scalar(select(Category.parent_id).where(Category.id == category_id))
    return depth


def _subtree_height(session: Session, category_id: str) -> int:
    height, level = 1, [category_id]
    while True:
        level = list(session.scalars(select(Category.id).where(Category.parent_id.in_(level))))
        if not level:
            return height
        height += 1


def _next_position(session: Session, workspace_id: str, parent_id: str | None) -> int:
    query = select(func.max(Category.position)).where(Category.project_version_id == workspace_id)
    query = query.where(
        Category.parent_id == parent_id if parent_id else Category.parent_id.is_(None)
    )
    current = session.scalar(query)
    return 0 if current is None else current + 1


def _taken_slugs(session: Session, workspace_id: str, lang: str) -> set[str]:
    return set(
        session.scalars(
            select(CategoryTranslation.slug)
            .join(Category, Category.id == CategoryTranslation.category_id)
            .where(
                Category.project_version_id == workspace_id,
                CategoryTranslation.language_code == lang,
            )
        )
    )


def _parent_in(session: Session, workspace_id: str, parent_id: str) -> Category:
    parent = session.get(Category, parent_id)
    if parent is None or parent.project_version_id != workspace_id:
        # No text is documented for categories; this is the one POST /v2/Articles uses.
        raise Invalid(f"Unable to find specified parent category with an id {parent_id}.")
    return parent


def create_category(
    session: Session,
    project_id: str,
    *,
    name: str | None,
    project_version_id: str | None,
    order: int | None = None,
    parent_category_id: str | None = None,
    content: str | None = None,
    category_type: int = FOLDER,
    user_id: str | None = None,
    content_type: int | None = None,
    slug: str | None = None,
    lang: str | None = None,
) -> Category:
    if not project_version_id:
        raise Invalid("The ProjectVersionId field is required.")
    name = _check_name(name)
    scope = workspaces.find_workspace(session, project_id, project_version_id)
    if scope is None:
        raise Invalid(
            f"The supplied project version id {project_version_id} does not exist in your project"
        )
    if user_id:
        workspaces.require_user(session, project_id, user_id)
    if parent_category_id:
        _parent_in(session, scope.id, parent_category_id)
        if _depth(session, parent_category_id) + 1 > MAX_DEPTH:
            raise Invalid(f"Categories can be nested at most {MAX_DEPTH} levels deep.")
    code = scope.language(lang)
    workspaces.touch(session, scope.id)  # first, as every writer (locate_for_write)
    now = utcnow()
    category = Category(
        project_version_id=scope.id,
        parent_id=parent_category_id or None,
        position=_next_position(session, scope.id, parent_category_id),
        category_type=category_type,
        content_type=(content_type if content_type is not None else 0)
        if category_type in (PAGE, INDEX)
        else None,
        created_by=user_id,
        created_at=now,
        modified_at=now,
    )
    session.add(category)
    session.flush()
    if order is not None:
        # Same meaning as `order` on PUT: that position among the siblings, which move down.
        _place(session, category, order)
    wanted_slug = slugify(slug or name)
    translation = {
        "name": name,
        "slug": unique_slug(wanted_slug, _taken_slugs(session, scope.id, code)),
    }
    if _has_body(category):
        category_revisions.start(
            session,
            category.id,
            code,
            translation=translation,
            revision={"title": name, "content": content, "created_by": user_id},
        )
    else:
        session.add(CategoryTranslation(category_id=category.id, language_code=code, **translation))
    session.flush()
    return category


# Column widths (models.py); checked here so SQLite, which would store longer text, and
# PostgreSQL, which would refuse it, give the same named error.
TEXT_MAX = 500


def _check_length(field: str, value: str) -> str:
    if len(value) > TEXT_MAX:
        raise Invalid(f"The field {field} must be a string with a maximum length of {TEXT_MAX}.")
    return value


def _check_name(name: str | None) -> str:
    if not name or not name.strip():
        raise Invalid("The Name field is required.")
    return _check_length("Name", name)


_UNSET: Any = object()


def update_category(
    session: Session,
    project_id: str,
    category_id: str,
    *,
    name: str | None = None,
    order: int | None = None,
    parent_category_id: Any = _UNSET,
    hidden: bool | None = None,
    icon: str | None = None,
    language: str | None = None,
) -> tuple[Category, CategoryTranslation]:
    located = locate_for_write(session, project_id, category_id)
    category, scope = located.category, located.scope
    code = scope.language(language)
    moved = False
    if parent_category_id is not _UNSET:
        if not parent_category_id:
            # The documented response to a null/empty parent_category_id (seed spec example
            # "parent_category_id should be removed if its null or empty").
            raise Invalid("Object reference not set to an instance of an object.")
        moved = _move_under(session, scope, category, parent_category_id)
    if order is not None or moved:
        _place(session, category, order)
    if hidden is not None:
        category.hidden = hidden
    if icon is not None:
        _check_length("Icon", icon)
        category.icon = icon
    tr = _translation_for_write(session, category, scope, code)
    if name is not None:
        tr.name = _check_name(name)
        tr.modified_at = utcnow()
    category.modified_at = utcnow()
    session.flush()
    return category, tr


def _move_under(
    session: Session, scope: WorkspaceScope, category: Category, parent_id: str | None
) -> bool:
    """Make `parent_id` (None: the top level) the category's parent; False if it already is."""
    if parent_id == category.parent_id:
        return False
    if parent_id is not None:
        _parent_in(session, scope.id, parent_id)
        if _is_descendant(session, parent_id, category.id):
            raise Invalid("A category cannot be moved under itself or one of its descendants.")
        if _depth(session, parent_id) + _subtree_height(session, category.id) > MAX_DEPTH:
            raise Invalid(f"Categories can be nested at most {MAX_DEPTH} levels deep.")
    category.parent_id = parent_id
    return True


def move_category(
    session: Session, project_id: str, category_id: str, *, parent_id: str | None, index: int
) -> Category:
    """Put the category at `index` (0-based) among the children of `parent_id`, or of the
    top level when None: the portal's drag and drop and its "Move…" dialog. (The v2 PUT
    cannot move a category to the top level: it refuses an empty parent, as Document360.)"""
    located = locate_for_write(session, project_id, category_id)
    category = located.category
    _move_under(session, located.scope, category, parent_id or None)
    _place(session, category, max(0, index))
    category.modified_at = utcnow()
    session.flush()
    return category


def _is_descendant(session: Session, candidate_id: str, ancestor_id: str) -> bool:
    current: str | None = candidate_id
    seen: set[str] = set()
    while current and current not in seen:
        if current == ancestor_id:
            return True
        seen.add(current)
        current = session.scalar(select(Category.parent_id).where(Category.id == current))
    return False


def _place(session: Session, category: Category, order: int | None) -> None:
    """Put the category at `order` among its siblings (end when None), renumbering them."""
    query = select(Category).where(
        Category.project_version_id == category.project_version_id, Category.id != category.id
    )
    query = query.where(
        Category.parent_id == category.parent_id
        if category.parent_id
        else Category.parent_id.is_(None)
    )
    siblings = sorted(session.scalars(query), key=lambda c: (c.position, c.created_at, c.id))
    index = len(siblings) if order is None else max(0, min(order, len(siblings)))
    siblings.insert(index, category)
    for position, sibling in enumerate(siblings):
        sibling.position = position


def _translation_for_write(
    session: Session, category: Category, scope: WorkspaceScope, code: str
) -> CategoryTranslation:
    category_revisions.lock_item(session, category.id)  # two writers must not both start `code`
    tr = session.get(CategoryTranslation, (category.id, code))
    if tr is not None:
        return tr
    default = session.get(CategoryTranslation, (category.id, scope.default_language))
    name = default.name if default else "Untitled"
    # Slugs are unique per language: another category may already use this one in `code`.
    slug = unique_slug(
        default.slug if default else slugify(name), _taken_slugs(session, scope.id, code)
    )
    if _has_body(category):
        source = category_revisions.read(
            session, category.id, scope.default_language, scope.default_language, published=False
        )
        tr, _ = category_revisions.start(
            session,
            category.id,
            code,
            translation={"name": name, "slug": slug},
            revision={
                "title": source.revision.title if source else name,
                "content": source.revision.content if source else None,
                "html_content": source.revision.html_content if source else None,
            },
        )
        return tr
    tr = CategoryTranslation(
        category_id=category.id,
        language_code=code,
        name=name,
        slug=slug,
    )
    session.add(tr)
    session.flush()
    return tr


def delete_category(session: Session, project_id: str, category_id: str) -> None:
    located = locate_for_write(session, project_id, category_id)
    # Children and their articles go with the category (foreign keys cascade); the order
    # of deletion matters on SQLite, which checks constraints per statement.
    session.delete(located.category)
    session.flush()


def update_category_type(
    session: Session, project_id: str, category_id: str, category_type: int, user_id: str | None
) -> Category:
    located = locate_for_write(session, project_id, category_id)
    workspaces.require_user(session, project_id, user_id)
    category = located.category
    if category_type not in (FOLDER, PAGE, INDEX):
        raise Invalid("The categoryType must be 0 (Folder), 1 (Page) or 2 (Index).")
    category.category_type = category_type
    if _has_body(category):
        category.content_type = category.content_type if category.content_type is not None else 0
        for tr in category_revisions.translations(session, category.id):
            if tr.latest_version == 0:
                _first_body(session, tr, user_id)
    else:
        category.content_type = None
    category.modified_at = utcnow()
    session.flush()
    return category


def _first_body(session: Session, tr: CategoryTranslation, user_id: str | None) -> None:
    """A folder turned into a page gets an empty first revision in each of its languages."""
    now = utcnow()
    session.add(
        CategoryRevision(
            category_id=tr.category_id,
            language_code=tr.language_code,
            version_number=1,
            base_version=0,
            title=tr.name,
            content="",
            created_by=user_id,
            created_at=now,
            modified_at=now,
        )
    )
    tr.latest_version = 1
    tr.public_version = 0


# --- page content -------------------------------------------------------------------------


def page_translation(
    session: Session, located: Located, lang: str, *, create: bool
) -> CategoryTranslation:
    category = located.category
    if not _has_body(category):
        raise Invalid("Only Page and Index categories have content; this one is a Folder.")
    if create:
        return _translation_for_write(session, category, located.scope, lang)
    tr = session.get(CategoryTranslation, (category.id, lang))
    if tr is None or tr.latest_version == 0:
        raise Invalid(f"Category with Id {category.id} has no content in the language {lang}")
    return tr


def save_page_content(
    session: Session,
    project_id: str,
    category_id: str,
    lang: str,
    *,
    changes: dict[str, Any],
    version_number: int | None,
    translation_option: int | None,
    updated_by: str | None,
) -> tuple[Located, CategoryTranslation, CategoryRevision]:
    located = locate_for_write(session, project_id, category_id)
    if updated_by:
        workspaces.require_user(session, project_id, updated_by)
    code = located.scope.language(lang)
    tr = page_translation(session, located, code, create=True)
    try:
        rev = category_revisions.save(
            session, tr, version_number=version_number, changes=changes, author_id=updated_by
        )
    except RevisionMissing as missing:
        raise Invalid(version_missing(category_id, code, missing.version_number)) from None
    if "title" in changes and rev.version_number == tr.latest_version and rev.title:
        tr.name = rev.title
    if translation_option is not None:
        tr.translation_option = translation_option
    located.category.modified_at = utcnow()
    session.flush()
    return located, tr, rev


def version_missing(category_id: str, lang: str, number: int) -> str:
    return (
        f"Category with Id {category_id} with the language code {lang} does not contain "
        f"version {number}"
    )


def publish_page(
    session: Session,
    project_id: str,
    category_id: str,
    lang: str | None,
    version_number: int,
    user_id: str | None,
    message: str | None,
) -> CategoryRevision:
    located = locate_for_write(session, project_id, category_id, "Category not found.")
    workspaces.require_user(session, project_id, user_id)
    code = located.scope.language(lang)
    tr = page_translation(session, located, code, create=False)
    previous = tr.public_version
    try:
        rev = category_revisions.publish(session, tr, version_number, message)
    except RevisionMissing:
        raise Invalid(version_missing(category_id, code, version_number)) from None
    except AlreadyPublished:
        raise Invalid("Category has already been published.") from None
    values = merge_codes.values_for(session, located.scope.id, code)
    page_bodies.on_publish(
        session, CategoryRevision, rev, previous, located.category.content_type, values
    )
    return rev


def fork_page(
    session: Session,
    project_id: str,
    category_id: str,
    lang: str | None,
    version_number: int,
    user_id: str | None,
) -> tuple[CategoryTranslation, CategoryRevision]:
    located = locate_for_write(session, project_id, category_id)
    workspaces.require_user(session, project_id, user_id)
    if not lang:
        raise Invalid("The LangCode field is required.")
    code = located.scope.language(lang)
    tr = page_translation(session, located, code, create=False)
    try:
        rev = category_revisions.fork(session, tr, version_number, user_id)
    except RevisionMissing:
        raise Invalid(
            f"Cannot fork version number {version_number}, it does not exist in your project"
        ) from None
    return tr, rev


def delete_page_version(
    session: Session, project_id: str, category_id: str, lang: str | None, version_number: int
) -> None:
    located = locate_for_write(session, project_id, category_id, "Invalid CategoryId")
    code = located.scope.language(lang)
    tr = page_translation(session, located, code, create=False)
    try:
        category_revisions.delete_revision(session, tr, version_number)
    except RevisionMissing:
        raise Invalid("Invalid Category Version") from None
    except LastRevision:
        raise Invalid("Last Version cannot be deleted") from None
    except PublishedRevision:
        raise Invalid(
            "The published version cannot be deleted; publish another version first."
        ) from None


# --- settings and description ---------------------------------------------------------------


def settings_of(
    session: Session, project_id: str, category_id: str, lang: str | None
) -> tuple[Located, dict[str, Any]]:
    located = locate(session, project_id, category_id)
    scope = located.scope
    code = scope.language(lang)
    tr = session.get(CategoryTranslation, (category_id, code)) or session.get(
        CategoryTranslation, (category_id, scope.default_language)
    )
    if tr is None:
        raise NotFound(NOT_FOUND)
    return located, current_settings(tr)


def update_settings(
    session: Session, project_id: str, category_id: str, lang: str | None, changes: dict[str, Any]
) -> None:
    located = locate_for_write(session, project_id, category_id, ".Category not found")
    code = located.scope.language(lang)
    tr = _translation_for_write(session, located.category, located.scope, code)
    content_type = changes.pop("content_type", None)
    if (
        content_type is not None
        and _has_body(located.category)
        and content_type != located.category.content_type
    ):
        located.category.content_type = content_type
        session.flush()
        page_bodies.make_item_ready(
            session,
            CategoryRevision,
            located.category.id,
            located.scope.id,
            functools.cache(lambda code: merge_codes.values_for(session, located.scope.id, code)),
        )
    if changes.get("slug"):
        wanted = slugify(changes["slug"])
        if wanted != tr.slug:
            wanted = unique_slug(wanted, _taken_slugs(session, located.scope.id, code))
        changes["slug"] = wanted  # always stored as a slug, even when unchanged
    if changes.get("related_articles"):
        check_related_articles(session, located.scope.id, changes["related_articles"])
    apply_settings(session, tr, changes)
    tr.modified_at = utcnow()
    session.flush()


def update_description(
    session: Session, project_id: str, category_id: str, lang: str | None, description: str | None
) -> None:
    located = locate_for_write(session, project_id, category_id)
    code = located.scope.language(lang)
    tr = _translation_for_write(session, located.category, located.scope, code)
    tr.description = description
    tr.modified_at = utcnow()
    session.flush()


def check_related_articles(session: Session, workspace_id: str, ids: list[str]) -> None:
    found = set(
        session.scalars(
            select(Article.id).where(
                Article.id.in_(ids), Article.project_version_id == workspace_id
            )
        )
    )
    missing = [i for i in ids if i not in found]
    if missing:
        raise Invalid(f"Related article {missing[0]} does not exist in this workspace.")


def related_articles(
    session: Session, ids: list[str], languages: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """id, title, hidden, slug of each related article still present, in the stored order:
    the title and slug of the first of `languages` the article has, else of its first
    language by code (one answer whatever order the database returns rows in)."""
    if not ids:
        return []
    rows = session.execute(
        select(
            Article.id,
            Article.hidden,
            ArticleTranslation.title,
            ArticleTranslation.slug,
            ArticleTranslation.language_code,
        )
        .join(ArticleTranslation, ArticleTranslation.article_id == Article.id)
        .where(Article.id.in_(ids))
    ).all()
    preference = {code: rank for rank, code in reversed(list(enumerate(languages)))}

    def rank(row: Any) -> tuple[int, str]:
        return preference.get(row.language_code, len(languages)), row.language_code

    by_id: dict[str, Any] = {}
    for row in sorted(rows, key=rank, reverse=True):
        by_id[row.id] = row  # the most preferred comes last and stays
    return [
        {"id": i, "title": by_id[i].title, "hidden": by_id[i].hidden, "slug": by_id[i].slug}
        for i in ids
        if i in by_id
    ]
