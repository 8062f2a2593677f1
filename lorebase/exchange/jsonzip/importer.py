"""Write a parsed Document360 export into a project: all or nothing.

The reader (`reader.open_export`) has already refused unsafe or malformed archives; this module
checks what only the target can tell (languages enabled, titles that fit, ids free) before it
writes anything, then bulk-inserts every row in the caller's transaction. Media files go to the
blob store first; their keys are returned so that the caller can delete them if its
transaction does not commit, and they are deleted here if anything fails before that.

Rules (api-reference.md §2.3, Document360's portal documentation):

* a workspace whose slug matches an existing workspace of the project is merged into it, and
  every language of its content must already be enabled there; any other workspace is created
  with the archive's languages (the first is the default);
* ids are kept when no row of any project uses them yet (integrations that stored Document360
  ids keep working after a migration), otherwise fresh ids are given;
* slugs already taken in the target workspace and language get a `-1`, `-2`… suffix;
* `publish_article` decides the state of content whose archive does not record one
  (Document360's exports never do); a Lorebase export records every revision and which one is
  public, and that is restored as it was, so a round trip keeps drafts drafts;
* media under `Media/` become Drive files (folders from the path below `Media/`), and every
  URL in a body whose path ends with a media file's path (or its file name, when that is
  unique) is rewritten to the new file's Lorebase URL.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast
from urllib.parse import unquote, urlsplit

from sqlalchemy import Table, func, insert, select, text
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
    SearchEntry,
    new_id,
    utcnow,
)
from lorebase.exchange.jsonzip.reader import (
    ArticleData,
    CategoryData,
    OpenedExport,
    RevisionData,
    TranslationData,
    WorkspaceData,
)
from lorebase.kb import merge_codes, page_bodies, workspaces
from lorebase.kb.search.index import (
    IndexedText,
    add_vocabulary,
    entry_row,
    indexed,
    searchable,
)
from lorebase.kb.slugs import slugify, unique_slug
from lorebase.render import MergeCodeValues
from lorebase.storage import BlobStore

MESSAGE_ERROR = 0
MESSAGE_WARNING = 1
MESSAGE_INFO = 2
PAGE_TYPES = (1, 2)
# Column sizes (lorebase/db/models.py): refused with a message rather than by the database.
TITLE_MAX = 500
SLUG_MAX = 200
CODE_MAX = 20
CHUNK = 1000
FLUSH_ITEMS = 500
PROGRESS_EVERY = 250

Progress = Callable[[int, int], None]
T = TypeVar("T")


class ImportRejected(Exception):
    """The archive cannot go into this project; the message says why, for the importer."""


@dataclass
class ImportLog:
    """What an import did, in the shape of the API's `ImportAPILog`."""

    new_versions: int = 0
    categories: int = 0
    articles: int = 0
    languages: set[str] = field(default_factory=set)
    media: int = 0
    messages: list[tuple[int, str]] = field(default_factory=list)
    # Blobs written for media: the caller deletes them if its transaction does not commit.
    blob_keys: list[str] = field(default_factory=list)


@dataclass
class _Target:
    workspace: ProjectVersion
    codes: dict[str, str]  # archive language code, lower-cased -> the workspace's own spelling
    created: bool


@dataclass
class _Rows:
    """Rows waiting to be inserted, flushed every FLUSH_ITEMS items so that an import's
    memory does not grow with the number of rows it writes."""

    categories: list[dict[str, Any]] = field(default_factory=list)
    category_translations: list[dict[str, Any]] = field(default_factory=list)
    category_revisions: list[dict[str, Any]] = field(default_factory=list)
    articles: list[dict[str, Any]] = field(default_factory=list)
    article_translations: list[dict[str, Any]] = field(default_factory=list)
    article_revisions: list[dict[str, Any]] = field(default_factory=list)
    search_entries: list[dict[str, Any]] = field(default_factory=list)
    # (workspace id, language code) → the words its search entries hold, added at the end.
    vocabulary: dict[tuple[str, str], set[tuple[str, str]]] = field(default_factory=dict)
    merge_codes: dict[tuple[str, str], MergeCodeValues] = field(default_factory=dict)
    category_count: int = 0
    article_count: int = 0
    pending: int = 0

    def flush(self, session: Session) -> None:
        # Table by table, parents first: categories are visited depth-first, so a parent's
        # row is always in an earlier flush or earlier in the same list as its children's.
        for model, items in (
            (Category, self.categories),
            (CategoryTranslation, self.category_translations),
            (CategoryRevision, self.category_revisions),
            (Article, self.articles),
            (ArticleTranslation, self.article_translations),
            (ArticleRevision, self.article_revisions),
            (SearchEntry, self.search_entries),
        ):
            if items:
                # Core executemany: the ORM's bulk path costs more per row for nothing here.
                session.execute(insert(cast(Table, model.__table__)), items)
                items.clear()
        self.pending = 0

    def merge_code_values(self, session: Session, workspace_id: str, code: str) -> MergeCodeValues:
        """A language's merge-code values (an import into a workspace that has some)."""
        key = (workspace_id, code)
        if key not in self.merge_codes:
            self.merge_codes[key] = merge_codes.values_for(session, workspace_id, code)
        return self.merge_codes[key]

    def add_vocabulary(self, session: Session) -> None:
        for (workspace_id, language_code), words in self.vocabulary.items():
            add_vocabulary(session, workspace_id, language_code, words)
        self.vocabulary.clear()


# The tables an import fills in bulk.
_BULK_TABLES = (
    "categories", "category_translations", "category_revisions", "articles",
    "article_translations", "article_revisions", "search_entries", "search_vocabulary",
)  # fmt: skip


def analyze_bulk_load(session: Session) -> None:
    """PostgreSQL plans with statistics gathered by autovacuum, long after a large import:
    until then a search plans as if the tables were empty (measured: 100 ms a query instead
    of 30 at 10,000 articles). Gathered now, in the import's transaction, which counts its
    own rows (PostgreSQL's advice after a bulk load)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE " + ", ".join(_BULK_TABLES)))


def import_export(
    session: Session,
    project_id: str,
    opened: OpenedExport,
    *,
    publish: bool,
    user_id: str | None,
    blobs: BlobStore | None = None,
    base_url: str = "",
    progress: Progress | None = None,
    media_seed: str | None = None,
) -> ImportLog:
    """Add the archive's content to the project in `session`'s transaction (not committed).

    Raises `ImportRejected` (or the reader's `ArchiveError` for a media file it cannot read)
    with nothing written to the blob store; the caller rolls the transaction back.
    `media_seed` (the job id) makes the media files' ids, hence their blob keys, the same on
    every attempt of one import: a retry after a crashed attempt overwrites what it wrote.
    """
    archive = opened.archive
    log = ImportLog()
    log.messages.extend((MESSAGE_WARNING, text) for text in archive.warnings)
    targets = [_target(session, project_id, ws) for ws in archive.workspaces]
    for ws in archive.workspaces:
        _check_texts(ws)
    for target in targets:
        if not target.created:  # an existing workspace is taken first, as by every writer
            workspaces.touch(session, target.workspace.id)
    try:
        media_urls = _import_media(
            session, project_id, opened, blobs, base_url, user_id, log, media_seed
        )
        rewrite = _MediaRewriter(media_urls, archive.media_sources)
        taken_categories = _taken_ids(session, Category, _all_category_ids(archive.workspaces))
        taken_articles = _taken_ids(session, Article, _all_article_ids(archive.workspaces))
        total = sum(_count(ws) for ws in archive.workspaces)
        builder = _Builder(
            publish=publish,
            user_id=user_id,
            rewrite=rewrite,
            taken_categories=taken_categories,
            taken_articles=taken_articles,
            progress=progress,
            total=total,
        )
        rows = _Rows()
        for ws, target in zip(archive.workspaces, targets, strict=True):
            _create_workspace(session, target, ws, log)
            builder.workspace(session, ws, target, rows)
            log.languages.update(target.codes.values())
        rows.flush(session)
        rows.add_vocabulary(session)
        session.flush()
        analyze_bulk_load(session)
        for target in targets:
            # Bodies made ready to read in a job of their own: the import answers first.
            page_bodies.enqueue(session, project_id, target.workspace.id)
        if progress is not None:
            progress(total, total)  # may stop the import (worker shutting down)
    except BaseException:
        discard_blobs(blobs, log.blob_keys)
        log.blob_keys.clear()
        raise
    log.categories = rows.category_count
    log.articles = rows.article_count
    log.messages.append(
        (
            MESSAGE_INFO,
            f"Imported {log.categories} categories, {log.articles} articles and "
            f"{log.media} media files in {len(log.languages)} language(s).",
        )
    )
    return log


def discard_blobs(blobs: BlobStore | None, keys: Iterable[str]) -> None:
    """Delete blobs an import wrote, after its transaction failed (best effort per key)."""
    if blobs is None:
        return
    for key in keys:
        try:
            blobs.delete(key)
        except Exception:  # one stuck blob must not hide the import's real error
            continue


# --------------------------------------------------------------------------- checks


def _codes_in(ws: WorkspaceData) -> list[str]:
    """Every language the workspace's content uses, in the archive's own order."""
    seen: dict[str, str] = {}
    for code in ws.languages:
        seen.setdefault(code.lower(), code)

    def visit(translations: list[TranslationData]) -> None:
        for tr in translations:
            seen.setdefault(tr.code.lower(), tr.code)

    for category in _walk(ws.categories):
        visit(category.translations)
        for article in category.articles:
            visit(article.translations)
    for article in ws.articles:
        visit(article.translations)
    return list(seen.values())


def _target(session: Session, project_id: str, ws: WorkspaceData) -> _Target:
    codes = _codes_in(ws)
    existing = session.scalars(
        select(ProjectVersion).where(
            ProjectVersion.project_id == project_id,
            func.lower(ProjectVersion.slug) == ws.slug.lower(),
        )
    ).first()
    if existing is None:
        workspace = ProjectVersion(
            project_id=project_id, version_code_name=ws.slug, slug=ws.slug, is_main_version=False
        )
        return _Target(workspace, {code.lower(): code for code in codes}, created=True)
    enabled = {
        code.lower(): code
        for code in session.scalars(
            select(Language.code).where(Language.project_version_id == existing.id)
        )
    }
    missing = [code for code in codes if code.lower() not in enabled]
    if missing:
        raise ImportRejected(
            f"The ZIP holds content in {', '.join(repr(c) for c in missing)} for workspace "
            f"'{existing.slug}', but that workspace has no such language. Add the language "
            "to the workspace, then import again."
        )
    return _Target(existing, {code.lower(): enabled[code.lower()] for code in codes}, False)


def _check_texts(ws: WorkspaceData) -> None:
    """Refuse what the database cannot store, naming the item, before anything is written."""

    def check(kind: str, item_id: str, tr: TranslationData) -> None:
        where = f"{kind} {item_id} ({tr.code})"
        if len(tr.title) > TITLE_MAX or len(tr.slug) > TITLE_MAX:
            raise ImportRejected(f"{where}: the title or slug is longer than {TITLE_MAX} chars.")
        texts = [tr.title, tr.slug, tr.content, tr.description, tr.seo_title]
        texts += [r.content for r in tr.revisions or []] + [r.title for r in tr.revisions or []]
        if any(text is not None and "\x00" in text for text in texts):
            raise ImportRejected(
                f"{where}: the text holds a NUL character, which cannot be stored."
            )
        for rev in tr.revisions or []:
            if len(rev.title) > TITLE_MAX:
                raise ImportRejected(
                    f"{where}: revision {rev.version_number} has a title longer than "
                    f"{TITLE_MAX} characters."
                )

    if len(ws.slug) > SLUG_MAX:
        raise ImportRejected(f"The workspace slug '{ws.slug[:40]}…' is longer than {SLUG_MAX}.")
    for code in _codes_in(ws):
        if len(code) > CODE_MAX:
            raise ImportRejected(f"The language code '{code[:40]}' is not a language code.")
    for category in _walk(ws.categories):
        if category.icon is not None and len(category.icon) > TITLE_MAX:
            raise ImportRejected(f"category {category.id}: the icon is longer than {TITLE_MAX}.")
        for tr in category.translations:
            check("category", category.id, tr)
        for article in category.articles:
            for tr in article.translations:
                check("article", article.id, tr)
    for article in ws.articles:
        for tr in article.translations:
            check("article", article.id, tr)


# --------------------------------------------------------------------------- helpers


def _walk(categories: list[CategoryData]) -> Iterator[CategoryData]:
    stack = list(reversed(categories))
    while stack:
        category = stack.pop()
        yield category
        stack.extend(reversed(category.children))


def _all_category_ids(spaces: list[WorkspaceData]) -> list[str]:
    return [c.id for ws in spaces for c in _walk(ws.categories)]


def _all_article_ids(spaces: list[WorkspaceData]) -> list[str]:
    ids = [a.id for ws in spaces for c in _walk(ws.categories) for a in c.articles]
    return ids + [a.id for ws in spaces for a in ws.articles]


def _count(ws: WorkspaceData) -> int:
    return sum(1 + len(c.articles) for c in _walk(ws.categories)) + len(ws.articles)


def _chunks(items: list[T], size: int = CHUNK) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _taken_ids(session: Session, model: type[Category] | type[Article], ids: list[str]) -> set[str]:
    taken: set[str] = set()
    for chunk in _chunks(ids, 500):
        taken.update(session.scalars(select(model.id).where(model.id.in_(chunk))))
    return taken


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _create_workspace(session: Session, target: _Target, ws: WorkspaceData, log: ImportLog) -> None:
    if not target.created:
        return
    workspace = target.workspace
    project_id = workspace.project_id
    count = session.scalar(
        select(func.count())
        .select_from(ProjectVersion)
        .where(ProjectVersion.project_id == project_id)
    )
    workspace.version_number = float((count or 0) + 1)
    workspace.position = count or 0
    workspace.is_main_version = not count
    session.add(workspace)
    session.flush()
    codes = list(target.codes.values()) or ["en"]
    for index, code in enumerate(codes):
        workspaces.add_language(session, workspace.id, code, is_default=index == 0)
    target.codes.update({code.lower(): code for code in codes})
    log.new_versions += 1
    log.messages.append((MESSAGE_INFO, f"Created workspace '{ws.slug}' ({', '.join(codes)})."))


# --------------------------------------------------------------------------- media

_MEDIA_IDS = uuid.UUID("7f3c1e52-8a4b-4d0e-9b1f-2c6d5e4a3b21")  # namespace of seeded ids
_URL = re.compile(r"""https?://[^\s"'<>()\[\]]+""")


class _MediaRewriter:
    """Rewrites URLs of imported media: the exact URL path a Lorebase manifest names for the
    file, else a URL ending with the file's path below `Media/`, else a unique file name
    (Document360's exports link media by CDN URLs that end with the file name)."""

    def __init__(self, urls: dict[str, str], sources: dict[str, str]) -> None:
        self.by_source = {
            unquote(sources[path]).lower(): url for path, url in urls.items() if path in sources
        }
        self.by_path = {path.lower(): url for path, url in urls.items()}
        names: dict[str, list[str]] = {}
        for path, url in urls.items():
            names.setdefault(path.rsplit("/", 1)[-1].lower(), []).append(url)
        self.by_name = {name: found[0] for name, found in names.items() if len(found) == 1}

    def __call__(self, text: str | None) -> str | None:
        if not text or not self.by_path:
            return text
        return _URL.sub(self._replace, text)

    def _replace(self, match: re.Match[str]) -> str:
        url = match.group(0)
        path = unquote(urlsplit(url).path).lower()
        if path in self.by_source:
            return self.by_source[path]
        for known, new in self.by_path.items():
            if path.endswith("/" + known):
                return new
        return self.by_name.get(path.rsplit("/", 1)[-1], url)


def _import_media(
    session: Session,
    project_id: str,
    opened: OpenedExport,
    blobs: BlobStore | None,
    base_url: str,
    user_id: str | None,
    log: ImportLog,
    seed: str | None,
) -> dict[str, str]:
    media = opened.archive.media
    if not media:
        return {}
    if blobs is None:
        log.messages.append(
            (MESSAGE_WARNING, f"{len(media)} media files were skipped: no blob store is set up.")
        )
        return {}
    from lorebase.kb import drive  # the Drive owns media files

    urls: dict[str, str] = {}
    for path in sorted(media):
        *folders, name = path.split("/")
        if not name:
            continue
        folder = drive.ensure_folder_path(session, project_id, folders, user_id)
        stored = drive.add_file(
            session,
            blobs,
            project_id,
            folder_id=folder.id if folder is not None else None,
            file_name=name,
            data=opened.media_bytes(path),
            user_id=user_id,
            file_id=str(uuid.uuid5(_MEDIA_IDS, f"{seed}/{path}")) if seed else None,
        )
        log.blob_keys.append(stored.blob_key)
        urls[path] = drive.media_url(base_url, project_id, stored.id, stored.file_name)
        log.media += 1
    return urls


# --------------------------------------------------------------------------- rows


class _Builder:
    def __init__(
        self,
        *,
        publish: bool,
        user_id: str | None,
        rewrite: _MediaRewriter,
        taken_categories: set[str],
        taken_articles: set[str],
        progress: Progress | None,
        total: int,
    ) -> None:
        self.publish = publish
        self.user_id = user_id
        self.rewrite = rewrite
        self.taken_categories = taken_categories
        self.taken_articles = taken_articles
        self.progress = progress
        self.total = total
        self.done = 0
        self.now = utcnow()
        self.sequence = 0

    def _next_created_at(self) -> datetime:
        """A microsecond apart per item, in the archive's order: siblings with the same Order
        (possible in Lorebase and in Document360 data) then keep their order, since the tree
        sorts by position, then creation time."""
        self.sequence += 1
        return self.now + timedelta(microseconds=self.sequence)

    def _tick(self, session: Session, rows: _Rows) -> None:
        rows.pending += 1
        if rows.pending >= FLUSH_ITEMS:
            rows.flush(session)
        self.done += 1
        if self.progress is not None and self.done % PROGRESS_EVERY == 0:
            self.progress(self.done, self.total)

    def workspace(self, session: Session, ws: WorkspaceData, target: _Target, rows: _Rows) -> None:
        workspace_id = target.workspace.id
        category_slugs = _Slugs(session, CategoryTranslation, Category, workspace_id)
        article_slugs = _Slugs(session, ArticleTranslation, Article, workspace_id)

        def add_category(category: CategoryData, parent_id: str | None) -> None:
            cid = category.id if category.id not in self.taken_categories else new_id()
            self.taken_categories.add(cid)
            page = category.category_type in PAGE_TYPES
            content_type = next((t.content_type for t in category.translations), 0)
            hidden = category.hidden
            if hidden is None:
                hidden = next((t.hidden for t in category.translations if t.hidden), False)
            rows.category_count += 1
            rows.categories.append(
                {
                    "id": cid,
                    "project_version_id": workspace_id,
                    "parent_id": parent_id,
                    "position": category.order,
                    "category_type": category.category_type,
                    "content_type": content_type if page else None,
                    "hidden": bool(hidden),
                    "icon": category.icon,
                    "created_by": self.user_id,
                    "created_at": self._next_created_at(),
                    "modified_at": self.now,
                }
            )
            for tr in category.translations:
                code = target.codes[tr.code.lower()]
                title = tr.title or category.title or "Untitled"
                public, latest, revisions = (
                    self._revisions(tr, tr.page_title or title) if page else (0, 0, [])
                )
                rows.category_translations.append(
                    {
                        "category_id": cid,
                        "language_code": code,
                        "name": title,
                        "slug": category_slugs.claim(code, tr.slug or slugify(title)),
                        "description": tr.description,
                        # The index names a category's SEO title only when one is set.
                        "settings": _settings(tr, title, keep_title=True),
                        "public_version": public,
                        "latest_version": latest,
                        "modified_at": self.now,
                    }
                )
                for rev in revisions:
                    rows.category_revisions.append(
                        self._revision_row("category_id", cid, code, rev, public, content_type)
                    )
            self._tick(session, rows)
            for article in category.articles:
                self._article(session, article, workspace_id, cid, target, article_slugs, rows)
            for child in category.children:
                add_category(child, cid)

        for category in ws.categories:
            add_category(category, None)
        for article in ws.articles:
            self._article(session, article, workspace_id, None, target, article_slugs, rows)

    def _article(
        self,
        session: Session,
        article: ArticleData,
        workspace_id: str,
        category_id: str | None,
        target: _Target,
        slugs: _Slugs,
        rows: _Rows,
    ) -> None:
        aid = article.id if article.id not in self.taken_articles else new_id()
        self.taken_articles.add(aid)
        content_type = next((t.content_type for t in article.translations), 0)
        hidden = next((t.hidden for t in article.translations if t.hidden is not None), False)
        rows.article_count += 1
        rows.articles.append(
            {
                "id": aid,
                "project_version_id": workspace_id,
                "category_id": category_id,
                "position": article.order,
                "content_type": content_type,
                "article_type": 0,
                "hidden": bool(hidden),
                "created_by": self.user_id,
                "created_at": self._next_created_at(),
                "modified_at": self.now,
            }
        )
        for tr in article.translations:
            code = target.codes[tr.code.lower()]
            title = tr.title or "Untitled"
            public, latest, revisions = self._revisions(tr, title)
            latest_title = next((r.title for r in revisions if r.version_number == latest), title)
            rows.article_translations.append(
                {
                    "article_id": aid,
                    "language_code": code,
                    "title": latest_title,
                    "slug": slugs.claim(code, tr.slug or slugify(title)),
                    "description": tr.description,
                    "settings": _settings(tr, title),
                    "public_version": public,
                    "latest_version": latest,
                    "created_at": self.now,
                    "modified_at": self.now,
                }
            )
            by_number = {}
            for rev in revisions:
                row = self._revision_row("article_id", aid, code, rev, public, content_type)
                rows.article_revisions.append(row)
                by_number[rev.version_number] = row
            wanted = {"latest": latest, "published": public} if public else {"latest": latest}
            # Latest and published are often the same revision: analysed once.
            texts: dict[int, tuple[str, str, IndexedText]] = {}
            vocabulary = rows.vocabulary.setdefault((workspace_id, code), set())
            for kind, number in wanted.items():
                source = by_number.get(number)
                if source is None:
                    continue
                if number not in texts:
                    title, body = searchable(
                        source["title"],
                        source["content"] or source["html_content"],
                        functools.partial(rows.merge_code_values, session, workspace_id, code),
                    )
                    texts[number] = title, body, indexed(title, body, code)
                    vocabulary |= texts[number][2].words
                title, body, text = texts[number]
                rows.search_entries.append(
                    entry_row(
                        article_id=aid,
                        workspace_id=workspace_id,
                        language_code=code,
                        kind=kind,
                        version_number=number,
                        title=title,
                        body=body,
                        text=text,
                    )
                )
        self._tick(session, rows)

    def _revisions(self, tr: TranslationData, title: str) -> tuple[int, int, list[RevisionData]]:
        """(public version, latest version, revisions) of one language of an item."""
        if tr.revisions:
            revisions = sorted(tr.revisions, key=lambda r: r.version_number)
            numbers = {r.version_number for r in revisions}
            latest = tr.latest_version if tr.latest_version in numbers else max(numbers)
            public = tr.public_version if tr.public_version in numbers else 0
            if tr.public_version is None:
                public = next((r.version_number for r in revisions if r.published), 0)
            return public or 0, latest, revisions
        only = RevisionData(
            version_number=1,
            base_version=0,
            title=title,
            content=tr.content,
            published=self.publish,
            created_by=None,
            created_at=None,
        )
        return (1 if self.publish else 0), 1, [only]

    def _revision_row(
        self,
        owner: str,
        owner_id: str,
        code: str,
        rev: RevisionData,
        public: int,
        content_type: int | None,
    ) -> dict[str, Any]:
        content = self.rewrite(rev.content)
        created = _parse_time(rev.created_at) or self.now
        return {
            owner: owner_id,
            "language_code": code,
            "version_number": rev.version_number,
            "base_version": rev.base_version or 0,
            "title": rev.title,
            "content": content,
            # Markdown bodies are rendered when read; HTML bodies are their own HTML.
            "html_content": content if content_type in (1, 2) else None,
            "created_by": self.user_id,
            "created_at": created,
            "modified_at": created,
            "published_at": self.now if rev.version_number == public else None,
        }


def _settings(tr: TranslationData, title: str, *, keep_title: bool = False) -> dict[str, Any]:
    # Article files carry the title as SeoTitle when none is set: only a different one is kept.
    if tr.seo_title and (keep_title or tr.seo_title != title):
        return {"seo_title": tr.seo_title}
    return {}


class _Slugs:
    """Slugs already used in one workspace, per language, loaded once and kept up to date."""

    def __init__(
        self,
        session: Session,
        translation: type[ArticleTranslation] | type[CategoryTranslation],
        owner: type[Article] | type[Category],
        workspace_id: str,
    ) -> None:
        owner_column = (
            ArticleTranslation.article_id
            if translation is ArticleTranslation
            else CategoryTranslation.category_id
        )
        self.taken: dict[str, set[str]] = {}
        for code, slug in session.execute(
            select(translation.language_code, translation.slug)
            .join(owner, owner.id == owner_column)
            .where(owner.project_version_id == workspace_id)
        ):
            self.taken.setdefault(code, set()).add(slug)

    def claim(self, code: str, wanted: str) -> str:
        taken = self.taken.setdefault(code, set())
        slug = unique_slug(wanted, taken)
        taken.add(slug)
        return slug
