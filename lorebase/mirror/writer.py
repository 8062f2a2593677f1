"""Upsert what the source holds into a project, one item at a time, keeping the source's ids.

Why not the JSON-ZIP importer's write side (`exchange.jsonzip.importer`): it inserts a whole
archive in one transaction, gives fresh ids when an id is taken and new slugs when a slug is,
and never updates a row. A mirror must do the opposite: write each item in a transaction of its
own (so that an interrupted run keeps what it copied), update the rows a previous run wrote,
and keep the source's ids and slugs exactly, since integrations and links name them. What the
two share is reused: search indexing (`kb.search.index_article_language`), ready bodies
(`kb.page_bodies.ready`), settings and slug history (`kb.settings.apply_settings`), Drive files
(`kb.drive.add_file`) and the workspace lock (`kb.workspaces.touch`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from lorebase.db.models import (
    Article,
    ArticleRevision,
    ArticleTranslation,
    Category,
    CategoryRevision,
    CategoryTranslation,
    DriveFolder,
    Language,
    MergeCodeEntry,
    ProjectVersion,
    SearchEntry,
    User,
    new_id,
)
from lorebase.kb import page_bodies, workspaces
from lorebase.kb.search.index import index_article_language
from lorebase.kb.settings import apply_settings
from lorebase.kb.slugs import slugify
from lorebase.kb.workspaces import ROLE_NAMES
from lorebase.mirror.source import (
    DriveFolderInfo,
    Revision,
    SourceWorkspace,
    TeamMember,
    TreeArticle,
    TreeCategory,
)
from lorebase.render import MergeCodeValues

PAGE_TYPES = (1, 2)
ROLE_IDS = {name.lower(): number for number, name in ROLE_NAMES.items()}
Rewrite = Callable[[str | None], str | None]


class WriteRefused(Exception):
    """The target cannot take the source's item as it is; the message says why."""


# --------------------------------------------------------------------------- people


def upsert_team(session: Session, project_id: str, people: Iterable[TeamMember]) -> dict[str, str]:
    """Team members as accounts without passwords; returns source id -> target account id.
    A member whose email already has an account here (the owner a fresh Lorebase starts
    with) is that account."""
    known = {
        u.email.lower(): u
        for u in session.scalars(select(User).where(User.project_id == project_id))
    }
    ids: dict[str, str] = {}
    for person in people:
        user = session.get(User, person.id)
        if user is not None and user.project_id != project_id:
            user = None  # the id belongs to another project of this database
        same_email = known.get(person.email.lower())
        if user is None and same_email is not None:
            ids[person.id] = same_email.id
            continue
        role = ROLE_IDS.get(person.role_name.replace("_", " ").lower(), 2)
        if user is None:
            taken = session.get(User, person.id) is not None
            user = User(
                id=new_id() if taken else person.id,
                project_id=project_id,
                email=person.email,
                first_name=person.first_name or person.email,
                last_name=person.last_name,
                role=role,
                unique_user_name=slugify(
                    f"{person.first_name} {person.last_name}".strip() or person.email
                ),
                password_hash=None,
            )
            session.add(user)
            known[person.email.lower()] = user
        else:
            user.first_name = person.first_name or user.first_name
            user.last_name = person.last_name
            user.email = person.email
            user.role = role
        user.last_login_at = person.last_login_at
        ids[person.id] = user.id
    session.flush()
    return ids


# --------------------------------------------------------------------------- structure


def _holds_content(session: Session, workspace_id: str) -> bool:
    for model in (Category, Article, MergeCodeEntry):
        if session.scalar(
            select(model.id).where(model.project_version_id == workspace_id).limit(1)
        ):
            return True
    return False


def upsert_workspace(session: Session, project_id: str, ws: SourceWorkspace) -> ProjectVersion:
    """The source's workspace under its own id, with its languages.

    A workspace of the same slug that holds nothing (the `v1` a fresh Lorebase starts with) is
    replaced by the source's; one holding content is never touched: the mirror refuses."""
    row = session.get(ProjectVersion, ws.id)
    if row is not None and row.project_id != project_id:
        raise WriteRefused(
            f"workspace {ws.id} ({ws.slug}) already exists in another project of this database."
        )
    if row is None:
        same_slug = session.scalars(
            select(ProjectVersion).where(
                ProjectVersion.project_id == project_id,
                func.lower(ProjectVersion.slug) == ws.slug.lower(),
            )
        ).first()
        if same_slug is not None:
            if _holds_content(session, same_slug.id):
                raise WriteRefused(
                    f"the target project already has a workspace '{same_slug.slug}' with "
                    "content of its own; mirror into an empty project (or rename that workspace)."
                )
            session.delete(same_slug)
            session.flush()
        row = ProjectVersion(id=ws.id, project_id=project_id)
        session.add(row)
    row.version_code_name = ws.version_code_name or ws.slug
    row.slug = ws.slug
    row.version_number = ws.version_number
    row.base_version_number = ws.base_version_number
    row.is_main_version = ws.is_main_version
    row.is_beta = ws.is_beta
    row.is_public = ws.is_public
    row.is_deprecated = ws.is_deprecated
    row.position = ws.order
    row.version_type = ws.version_type
    row.created_at = ws.created_at
    row.modified_at = ws.modified_at
    session.flush()
    existing = {
        lang.code.lower(): lang
        for lang in session.scalars(select(Language).where(Language.project_version_id == ws.id))
    }
    for source in ws.languages:
        lang = existing.get(source.code.lower())
        if lang is None:
            taken = session.get(Language, source.id) is not None
            lang = Language(id=new_id() if taken else source.id, project_version_id=ws.id)
            session.add(lang)
        lang.code = source.code
        lang.name = source.name or source.code
        lang.display_name = source.display_name
        lang.country_flag_code = source.country_flag_code
        lang.is_default = source.is_default
        lang.enable_rtl = source.enable_rtl
        lang.hidden = source.hidden
    workspaces.touch(session, ws.id)
    session.flush()
    return row


def _own(row: Any, workspace_id: str, what: str) -> None:
    if row is not None and row.project_version_id != workspace_id:
        raise WriteRefused(f"{what} {row.id} already exists in another workspace of this database.")


def upsert_categories(
    session: Session, workspace_id: str, nodes: list[TreeCategory], times: dict[str, datetime]
) -> None:
    """Every category's place, type, icon and visibility (parents before children); `times`
    are the categories' own modified_at (see `item_time`)."""
    rows = {
        c.id: c
        for c in session.scalars(select(Category).where(Category.id.in_([n.id for n in nodes])))
    }
    for node in nodes:
        row = rows.get(node.id)
        _own(row, workspace_id, "category")
        if row is None:
            row = Category(id=node.id, project_version_id=workspace_id)
            session.add(row)
        row.parent_id = node.parent_id
        row.position = node.order
        row.category_type = node.category_type
        row.content_type = node.content_type if node.category_type in PAGE_TYPES else None
        row.hidden = node.hidden
        row.icon = node.icon
        row.created_at = node.created_at
        row.modified_at = times.get(node.id, node.created_at)
    session.flush()


def upsert_category_name(session: Session, node: TreeCategory, code: str) -> CategoryTranslation:
    tr = session.get(CategoryTranslation, (node.id, code))
    if tr is None:
        tr = CategoryTranslation(
            category_id=node.id,
            language_code=code,
            slug=node.slug,
            settings={},
            modified_at=node.modified_at,
        )
        session.add(tr)
    elif tr.slug != node.slug:
        apply_settings(session, tr, {"slug": node.slug})
    tr.name = node.name
    tr.description = node.description
    return tr


def item_time(tree_times: Iterable[datetime]) -> datetime:
    """The modified_at to give an article or category row.

    The source shows two maxima of three times it does not give apart: a tree entry the later
    of the item's and the translation's, a content answer the later of the revision's and the
    translation's. The earliest tree time of the item's languages for the item, and for each
    translation the earliest of its tree and content times (`translation_time`), give back
    both maxima as the source showed them."""
    return min(tree_times)


def translation_time(tree_time: datetime, bodies: Bodies | None) -> datetime:
    return min(
        [tree_time, *(rev.modified_at for rev in bodies.revisions)] if bodies else [tree_time]
    )


def place_articles(
    session: Session, workspace_id: str, summaries: list[TreeArticle], times: dict[str, datetime]
) -> None:
    """Moves, reorders and hides articles the target already has (new ones are created with
    their first language)."""
    by_id = {s.id: s for s in summaries}
    for row in session.scalars(select(Article).where(Article.id.in_(list(by_id)))):
        _own(row, workspace_id, "article")
        summary = by_id[row.id]
        row.category_id = summary.category_id
        row.position = summary.order
        row.hidden = summary.hidden
        row.is_shared = summary.is_shared
        row.content_type = summary.content_type
        row.modified_at = times.get(row.id, row.modified_at)


def ensure_drive_folder(
    session: Session, project_id: str, folder_id: str | None, folders: dict[str, DriveFolderInfo]
) -> str | None:
    """The source's folder (and its parents) under their own ids; None for the top level."""
    if folder_id is None or folder_id not in folders:
        return None
    existing = session.get(DriveFolder, folder_id)
    if existing is not None:
        return existing.id if existing.project_id == project_id else None
    info = folders[folder_id]
    parent = ensure_drive_folder(session, project_id, info.parent_id, folders)
    session.add(
        DriveFolder(
            id=info.id,
            project_id=project_id,
            parent_id=parent,
            title=info.title,
            position=info.order,
        )
    )
    session.flush()
    return info.id


# --------------------------------------------------------------------------- bodies


@dataclass(frozen=True)
class Bodies:
    """The revisions of one item language to keep: the latest and, when another, the public."""

    latest: Revision
    public: Revision | None

    @property
    def revisions(self) -> list[Revision]:
        return [self.latest] + ([self.public] if self.public is not None else [])

    @property
    def public_version(self) -> int:
        return self.latest.public_version


def _write_revisions(
    session: Session,
    model: type[ArticleRevision] | type[CategoryRevision],
    owner_id: str,
    code: str,
    bodies: Bodies,
    content_type: int | None,
    users: dict[str, str],
    rewrite: Rewrite,
    values: MergeCodeValues,
) -> None:
    owner = ArticleRevision.article_id if model is ArticleRevision else CategoryRevision.category_id
    keep = {rev.version_number for rev in bodies.revisions}
    session.execute(
        delete(model).where(
            owner == owner_id, model.language_code == code, model.version_number.not_in(keep)
        )
    )
    for rev in bodies.revisions:
        row = session.scalars(
            select(model).where(
                owner == owner_id,
                model.language_code == code,
                model.version_number == rev.version_number,
            )
        ).first()
        if row is None:
            row = model(language_code=code, version_number=rev.version_number)
            setattr(row, owner.key, owner_id)
            session.add(row)
        assert isinstance(row, (ArticleRevision, CategoryRevision))
        content = rewrite(rev.content)
        html = rewrite(rev.html_content) if content_type in (1, 2) else None
        row.title = rev.title
        row.content = content
        # Markdown bodies are rendered when read; HTML bodies are their own HTML.
        row.html_content = html if content_type in (1, 2) else None
        if isinstance(row, CategoryRevision):
            row.block_content = rewrite(rev.block_content)
        row.base_version = 0
        row.created_by = users.get(rev.created_by or "")
        row.created_at = rev.created_at
        row.modified_at = rev.modified_at
        published = rev.version_number == bodies.public_version
        row.published_at = rev.modified_at if published else None
        ready = (
            page_bodies.ready(content_type, content, row.html_content, values)
            if published
            else {"ready_html": None, "ready_facts": None, "ready_renderer": None}
        )
        for column, value in ready.items():
            setattr(row, column, value)
    session.flush()


def write_category_page(
    session: Session,
    node: TreeCategory,
    code: str,
    bodies: Bodies | None,
    settings: dict[str, Any] | None,
    users: dict[str, str],
    rewrite: Rewrite,
    values: MergeCodeValues,
) -> None:
    """A category language's page body (pages and indexes) and settings; `values` are the
    language's merge-code values (for the ready body of the published revision)."""
    tr = upsert_category_name(session, node, code)
    if bodies is not None:
        tr.public_version = bodies.latest.public_version
        tr.latest_version = bodies.latest.latest_version
        _write_revisions(
            session, CategoryRevision, node.id, code, bodies, node.content_type, users, rewrite,
            values,
        )  # fmt: skip
    if settings is not None:
        apply_settings(session, tr, settings)
    tr.modified_at = translation_time(node.modified_at, bodies)
    session.flush()


def write_article_language(
    session: Session,
    workspace_id: str,
    summary: TreeArticle,
    code: str,
    bodies: Bodies,
    settings: dict[str, Any] | None,
    users: dict[str, str],
    rewrite: Rewrite,
    values: MergeCodeValues,
    article_time: datetime,
) -> None:
    """An article language: its row (created with its first language), the translation,
    the latest and public revisions, settings, and its search entries."""
    article = session.get(Article, summary.id)
    _own(article, workspace_id, "article")
    latest = bodies.latest
    if article is None:
        article = Article(
            id=summary.id,
            project_version_id=workspace_id,
            created_at=latest.created_at,
            created_by=users.get(latest.created_by or ""),
        )
        session.add(article)
    article.category_id = summary.category_id
    article.position = summary.order
    article.hidden = summary.hidden
    article.is_shared = summary.is_shared
    article.content_type = summary.content_type
    article.modified_at = article_time
    tr = session.get(ArticleTranslation, (summary.id, code))
    if tr is None:
        tr = ArticleTranslation(
            article_id=summary.id, language_code=code, slug=summary.slug, settings={}
        )
        session.add(tr)
    elif tr.slug != summary.slug:
        apply_settings(session, tr, {"slug": summary.slug})
    tr.title = summary.title
    tr.description = latest.description
    tr.public_version = latest.public_version
    tr.latest_version = latest.latest_version
    tr.translation_option = summary.translation_option
    tr.created_at = latest.created_at
    _write_revisions(
        session, ArticleRevision, summary.id, code, bodies, summary.content_type, users, rewrite,
        values,
    )  # fmt: skip
    if settings is not None:
        apply_settings(session, tr, settings)
    tr.modified_at = translation_time(summary.modified_at, bodies)
    index_article_language(session, article, tr, lambda: values)


# --------------------------------------------------------------------------- deletions


def delete_article_language(session: Session, article_id: str, code: str) -> None:
    """One language of an article; the article itself when it was its last."""
    session.execute(
        delete(ArticleTranslation).where(
            ArticleTranslation.article_id == article_id, ArticleTranslation.language_code == code
        )
    )
    session.execute(
        delete(ArticleRevision).where(
            ArticleRevision.article_id == article_id, ArticleRevision.language_code == code
        )
    )
    left = session.scalar(
        select(func.count())
        .select_from(ArticleTranslation)
        .where(ArticleTranslation.article_id == article_id)
    )
    if not left:
        session.execute(delete(Article).where(Article.id == article_id))
    else:
        session.execute(
            delete(SearchEntry).where(
                SearchEntry.article_id == article_id, SearchEntry.language_code == code
            )
        )


def delete_category_language(session: Session, category_id: str, code: str, last: bool) -> None:
    if last:
        session.execute(delete(Category).where(Category.id == category_id))
        return
    session.execute(
        delete(CategoryTranslation).where(
            CategoryTranslation.category_id == category_id,
            CategoryTranslation.language_code == code,
        )
    )
    session.execute(
        delete(CategoryRevision).where(
            CategoryRevision.category_id == category_id, CategoryRevision.language_code == code
        )
    )
