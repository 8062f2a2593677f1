"""What an export holds, planned before any body is read: the selected workspaces, their
category trees, the articles in tree order with their file names, and the per-language objects
of each item read in batches. Every export format (JSON, Markdown, HTML site, PDF) shares it,
so that one selection means the same thing in each.

Memory: the category trees and one small row per article (id, place, file name) are held;
bodies and revisions are read in batches of `BATCH` items.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import DateTime, select, type_coerce
from sqlalchemy.orm import Session

from lorebase.db.models import (
    Article,
    ArticleRevision,
    ArticleTranslation,
    Category,
    CategoryRevision,
    CategoryTranslation,
    Language,
    ProjectVersion,
)
from lorebase.exchange.archive import PATH_CHARS, UniqueNames, aware

PAGE_TYPES = (1, 2)
BATCH = 200


@dataclass
class Node:
    id: str
    parent_id: str | None
    position: int
    category_type: int
    content_type: int | None
    hidden: bool
    icon: str | None
    created_at: datetime
    children: list[Node] = field(default_factory=list)
    articles: list[ArticleRef] = field(default_factory=list)
    path: str | None = None


@dataclass
class ArticleRef:
    id: str
    category_id: str | None
    position: int
    content_type: int | None
    hidden: bool
    path: str = ""


def body_source(content_type: int | None, content: str | None, html: str | None) -> str | None:
    """The body in the item's own editor: Markdown source, else HTML."""
    if content_type in (None, 0):
        return content if content is not None else html
    return html if html is not None else content


def seo_title(settings: dict[str, Any] | None, title: str) -> str:
    seo = (settings or {}).get("seo_title")
    return seo if seo else title


def plan_workspaces(
    session: Session,
    project_id: str,
    *,
    workspace_ids: list[str] | None,
    languages: list[str] | None,
    category_ids: list[str] | None,
    modified_after: datetime | None,
    modified_before: datetime | None,
) -> tuple[list[ProjectVersion], list[WorkspacePlan]]:
    """The exported workspaces, in order, and the plan of each (the selection every export
    format shares; see `write_json_zip` for what the options mean)."""
    query = select(ProjectVersion).where(ProjectVersion.project_id == project_id)
    if workspace_ids is not None:
        query = query.where(ProjectVersion.id.in_(workspace_ids))
    workspaces = list(
        session.scalars(query.order_by(ProjectVersion.position, ProjectVersion.created_at))
    )
    wanted_langs = {code.lower() for code in languages} if languages is not None else None
    selected = set(category_ids) if category_ids is not None else None
    plans = [
        _plan(session, ws, wanted_langs, selected, modified_after, modified_before)
        for ws in workspaces
    ]
    return workspaces, plans


@dataclass
class MediaEntry:
    blob_key: str
    name: str  # the ZIP entry
    source: str  # the path of the file's Lorebase media URL, as bodies link to it


def media_plan(session: Session, project_id: str) -> list[MediaEntry]:
    """Every Drive file of the project, named as in the Drive, unique within each folder."""
    from lorebase.kb import drive  # the Drive owns media files

    names: dict[tuple[str, ...], UniqueNames] = defaultdict(lambda: UniqueNames(keep_names=True))
    plan: list[MediaEntry] = []
    for file, folders in drive.project_files(session, project_id):
        parts = [PATH_CHARS.sub("-", t).strip("-. ") or "folder" for t in folders]
        stem, dot, suffix = file.file_name.rpartition(".")
        if not dot:
            stem, suffix = file.file_name, ""
        name = names[tuple(parts)].claim(stem, f".{suffix}" if suffix else "")
        source = urlsplit(drive.media_url("", project_id, file.id, file.file_name)).path
        plan.append(MediaEntry(file.blob_key, "/".join(["Media", *parts, name]), source))
    return plan


@dataclass
class WorkspacePlan:
    langs: list[str]
    roots: list[Node]
    root_articles: list[ArticleRef]
    articles: list[ArticleRef]
    pages: list[Node]
    category_count: int
    node_languages: dict[str, list[dict[str, Any]]]
    node_titles: dict[str, str]


def _plan(
    session: Session,
    ws: ProjectVersion,
    wanted_langs: set[str] | None,
    selected: set[str] | None,
    modified_after: datetime | None,
    modified_before: datetime | None,
) -> WorkspacePlan:
    """Everything but bodies: the tree, the article places and every file name."""
    all_langs = list(
        session.scalars(
            select(Language.code)
            .where(Language.project_version_id == ws.id)
            .order_by(Language.is_default.desc(), Language.code)
        )
    )
    langs = [c for c in all_langs if wanted_langs is None or c.lower() in wanted_langs]
    rank = {code: i for i, code in enumerate(langs)}

    nodes: dict[str, Node] = {}
    for row in session.execute(
        select(
            Category.id,
            Category.parent_id,
            Category.position,
            Category.category_type,
            Category.content_type,
            Category.hidden,
            Category.icon,
            Category.created_at,
        ).where(Category.project_version_id == ws.id)
    ):
        nodes[row.id] = Node(*row)
    roots: list[Node] = []
    for node in nodes.values():
        parent = nodes.get(node.parent_id) if node.parent_id else None
        (parent.children if parent else roots).append(node)

    def order_key(node: Node) -> tuple[int, datetime, str]:
        return node.position, node.created_at, node.id

    for node in nodes.values():
        node.children.sort(key=order_key)
    roots.sort(key=order_key)

    if selected is not None:
        picked: list[Node] = []

        def pick(level: list[Node]) -> None:
            for node in level:
                if node.id in selected:
                    picked.append(node)
                else:
                    pick(node.children)

        pick(roots)
        roots = picked
    in_tree: list[Node] = []

    def walk(level: list[Node]) -> None:
        for node in level:
            in_tree.append(node)
            walk(node.children)

    walk(roots)
    kept = {n.id for n in in_tree}

    node_languages: dict[str, list[dict[str, Any]]] = defaultdict(list)
    node_slugs: dict[str, str] = {}
    node_titles: dict[str, str] = {}
    if langs and kept:
        cat_rows = session.execute(
            select(
                CategoryTranslation.category_id,
                CategoryTranslation.language_code,
                CategoryTranslation.name,
                CategoryTranslation.slug,
                CategoryTranslation.description,
                CategoryTranslation.settings,
            )
            .join(Category, Category.id == CategoryTranslation.category_id)
            .where(
                Category.project_version_id == ws.id, CategoryTranslation.language_code.in_(langs)
            )
        ).all()
        for row in sorted(cat_rows, key=lambda r: (r.category_id, rank[r.language_code])):
            if row.category_id not in kept:
                continue
            node = nodes[row.category_id]
            node_languages[row.category_id].append(
                {
                    "Code": row.language_code,
                    "Title": row.name,
                    "Slug": row.slug,
                    "ContentType": node.content_type if node.content_type is not None else 0,
                    # The index carries only a set SEO title (null otherwise), as observed in
                    # the real export; article and page files fall back to the title.
                    "SeoTitle": (row.settings or {}).get("seo_title") or None,
                    "Description": row.description,
                }
            )
            node_slugs.setdefault(row.category_id, row.slug)
            node_titles.setdefault(row.category_id, row.name)

    # A page's node Title is its page title (the latest revision's, first language), which
    # may differ from the category's name in `Languages` (observed in the real export).
    page_ids = [n.id for n in in_tree if n.category_type in PAGE_TYPES]
    if langs and page_ids:
        for page in sorted(
            session.execute(
                select(
                    CategoryRevision.category_id,
                    CategoryRevision.language_code,
                    CategoryRevision.title,
                )
                .join(
                    CategoryTranslation,
                    (CategoryTranslation.category_id == CategoryRevision.category_id)
                    & (CategoryTranslation.language_code == CategoryRevision.language_code)
                    & (CategoryTranslation.latest_version == CategoryRevision.version_number),
                )
                .join(Category, Category.id == CategoryRevision.category_id)
                .where(
                    Category.project_version_id == ws.id,
                    Category.category_type.in_(PAGE_TYPES),
                    CategoryRevision.language_code.in_(langs),
                )
            ).all(),
            key=lambda r: rank[r.language_code],
            reverse=True,
        ):
            if page.category_id in kept:
                node_titles[page.category_id] = page.title

    page_names = UniqueNames()
    pages: list[Node] = []
    for node in in_tree:
        if node.category_type in PAGE_TYPES and node.id in node_slugs:
            node.path = page_names.claim(node_slugs[node.id], ".json")
            pages.append(node)

    # Articles: place, file name and the modified filter, without bodies.
    # Core reads (`connection().execute`): these loops see every article of the workspace.
    windowed = modified_after is not None or modified_before is not None
    article_slugs: dict[str, str] = {}
    article_changed: dict[str, datetime] = {}
    if langs:
        art_rows = (
            session.connection()
            .execute(
                select(
                    ArticleTranslation.article_id,
                    ArticleTranslation.language_code,
                    ArticleTranslation.slug,
                    ArticleTranslation.modified_at,
                )
                .join(Article, Article.id == ArticleTranslation.article_id)
                .where(
                    Article.project_version_id == ws.id,
                    ArticleTranslation.language_code.in_(langs),
                )
            )
            .all()
        )
        # The first exported language names the file: the highest rank is stored last.
        for article_id, _code, slug, _ in sorted(art_rows, key=lambda r: -rank[r[1]]):
            article_slugs[article_id] = slug
        if windowed:
            for article_id, _, _, modified in art_rows:
                previous = article_changed.get(article_id)
                if previous is None or modified > previous:
                    article_changed[article_id] = modified
    refs: list[ArticleRef] = []
    for art in session.connection().execute(
        select(
            Article.id,
            Article.category_id,
            Article.position,
            Article.content_type,
            Article.hidden,
            Article.modified_at,
        )
        .where(Article.project_version_id == ws.id)
        .order_by(Article.position, Article.created_at, Article.id)
    ):
        if art.id not in article_slugs:
            continue  # no translation in the exported languages
        if art.category_id is None and selected is not None:
            continue
        if art.category_id is not None and art.category_id not in kept:
            continue
        if windowed:
            changed = max(art.modified_at, article_changed[art.id])
            if modified_after is not None and changed < aware(modified_after):
                continue
            if modified_before is not None and changed > aware(modified_before):
                continue
        refs.append(ArticleRef(art.id, art.category_id, art.position, art.content_type, art.hidden))
    root_articles: list[ArticleRef] = []
    for ref in refs:
        (nodes[ref.category_id].articles if ref.category_id else root_articles).append(ref)
    # File names are handed out in the index's order (the tree, then the root articles), so
    # that they depend on the tree only, not on when each article was created.
    article_names = UniqueNames()
    in_order = [ref for node in in_tree for ref in node.articles] + root_articles
    for ref in in_order:
        ref.path = article_names.claim(article_slugs[ref.id], ".json")

    return WorkspacePlan(
        langs=langs,
        roots=roots,
        root_articles=root_articles,
        articles=in_order,
        pages=pages,
        category_count=len(in_tree),
        node_languages=node_languages,
        node_titles=node_titles,
    )


def _revisions_by_language(
    session: Session,
    model: type[ArticleRevision] | type[CategoryRevision],
    owner: Any,
    ids: list[str],
    langs: list[str],
    content_type_of: dict[str, int | None],
    public_of: dict[tuple[str, str], int],
) -> dict[tuple[str, str], list[dict[str, Any]]]:
    found: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    query = (
        select(
            owner.label("owner_id"),
            model.language_code,
            model.version_number,
            model.base_version,
            model.title,
            model.content,
            model.html_content,
            model.created_by,
            # Stored as naive UTC: read it as such, without the aware-datetime conversion
            # (tens of thousands of revisions per export).
            type_coerce(model.created_at, DateTime()),
        )
        .where(owner.in_(ids), model.language_code.in_(langs))
        .order_by(owner, model.language_code, model.version_number)
    )
    # Core rows, fetched at once per batch: this loop is the bulk of an export's reads.
    rows = session.connection().execute(query).all()
    for owner_id, code, number, base, title, content, html, author, created in rows:
        key = (owner_id, code)
        public = public_of.get(key)
        found[key].append(
            {
                "VersionNumber": number,
                "BaseVersion": base,
                "Title": title,
                "Content": body_source(content_type_of[owner_id], content, html),
                "Published": bool(public) and public == number,
                "CreatedBy": author,
                "CreatedAt": created.isoformat() + "Z" if created is not None else None,
            }
        )
    return found


def _language_object(
    code: str,
    title: str,
    slug: str,
    description: str | None,
    settings: dict[str, Any] | None,
    content_type: int | None,
    hidden: bool,
    public_version: int,
    latest_version: int,
    revisions: list[dict[str, Any]],
) -> dict[str, Any]:
    latest = next((r for r in revisions if r["VersionNumber"] == latest_version), None)
    if latest is None and revisions:
        latest = revisions[-1]
    return {
        "Code": code,
        "Title": title,
        "Slug": slug,
        "Content": latest["Content"] if latest else None,
        "ContentType": content_type if content_type is not None else 0,
        "SeoTitle": seo_title(settings, title),
        "Description": description,
        "Hidden": hidden,
        "PublicVersion": public_version,
        "LatestVersion": latest_version,
        "Revisions": revisions,
    }


@dataclass(frozen=True)
class FileKind:
    """Where the per-language files of articles or of category pages come from."""

    translation: Any
    owner: Any  # the translation's owner id column
    title: Any  # the translation's title column (articles: title; categories: name)
    revision: Any
    revision_owner: Any
    # A page file's Title is the page's own (latest revision's) title, as Document360 writes it.
    title_from_revision: bool


ARTICLE_FILES = FileKind(
    ArticleTranslation,
    ArticleTranslation.article_id,
    ArticleTranslation.title,
    ArticleRevision,
    ArticleRevision.article_id,
    title_from_revision=False,
)
PAGE_FILES = FileKind(
    CategoryTranslation,
    CategoryTranslation.category_id,
    CategoryTranslation.name,
    CategoryRevision,
    CategoryRevision.category_id,
    title_from_revision=True,
)


def item_files(
    session: Session,
    batch: Sequence[ArticleRef | Node],
    langs: list[str],
    kind: FileKind,
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """(file name, per-language objects) of each article or category page of `batch`."""
    ids = [item.id for item in batch]
    rank = {code: i for i, code in enumerate(langs)}
    model = kind.translation
    translations: dict[str, list[Any]] = defaultdict(list)
    for row in session.connection().execute(
        select(
            kind.owner.label("owner_id"),
            model.language_code,
            kind.title.label("title"),
            model.slug,
            model.description,
            model.settings,
            model.public_version,
            model.latest_version,
        ).where(kind.owner.in_(ids), model.language_code.in_(langs))
    ):
        translations[row.owner_id].append(row)
    public_of = {
        (row.owner_id, row.language_code): row.public_version
        for rows in translations.values()
        for row in rows
    }
    revisions = _revisions_by_language(
        session,
        kind.revision,
        kind.revision_owner,
        ids,
        langs,
        {item.id: item.content_type for item in batch},
        public_of,
    )
    for item in batch:
        assert item.path is not None
        objects = []
        for row in sorted(translations[item.id], key=lambda r: rank[r.language_code]):
            found = revisions.get((item.id, row.language_code), [])
            title = row.title
            if kind.title_from_revision:
                title = next(
                    (r["Title"] for r in found if r["VersionNumber"] == row.latest_version), title
                )
            objects.append(
                _language_object(
                    row.language_code,
                    title,
                    row.slug,
                    row.description,
                    row.settings,
                    item.content_type,
                    item.hidden,
                    row.public_version,
                    row.latest_version,
                    found,
                )
            )
        yield item.path, objects
