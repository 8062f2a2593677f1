"""Write a project (or part of it) as a Markdown ZIP (v3 `format: "markdown"`).

Layout::

    lorebase-markdown.json                       marker: format, workspaces, their languages
    _media/<drive folder titles>/<file name>     Drive files, unless media are excluded
    <workspace-slug>/<article-slug>.md           articles outside any category
    <workspace-slug>/<category-slug>/index.md    every category, one file per language
    <workspace-slug>/<category-slug>/<sub-category-slug>/<article-slug>.md

One file per item and language: the first exported language (the workspace's default unless
filtered) is `<name>.md`, every other one `<name>.<language code>.md` beside it. Folder
categories get an `index.md` too (with an empty body), so that their names, slugs, order and
flags survive; page and index categories carry their page body there. Names are reduced to
safe ASCII without dots (so that `.fr.md` always means the language) and made unique within
their folder (`-2`, `-3` …); `index` is reserved for the category's own file.

Each file starts with a front matter block between `---` lines, one `key: value` a line,
every value a JSON scalar (strings quoted as JSON strings, which YAML reads the same):
`title`, `slug`, `id`, `language`, `order`, `status` (`published` when the latest revision is
the public one, else `draft`; absent for folder categories), `content_type` (`markdown`,
`html` or `block`), then `kind` (`article`/`category`), `hidden`, `seo_title`, `description`
and, for categories, `category_type` (`folder`/`page`/`index`), `icon` and `page_title`.

Bodies are the latest revision's source in the item's own editor: Markdown stays Markdown,
HTML (WYSIWYG) articles stay HTML inside the `.md` file (their `content_type` says so), merge
codes (`{{variable.X}}`, snippets, glossary) are kept unresolved. Lorebase media URLs of the
exported Drive files are rewritten to relative links into `_media/` (their query, such as
a signature, dropped: it means nothing to a file in the ZIP); with media excluded they stay
absolute.

Lost in Markdown (use the JSON export for a lossless copy): older revisions and their
authors and dates; a public version older than the latest draft (the item comes back as a
draft holding the latest text); Block-editor content of category pages.

Memory: as in the JSON writer (whose planning and batched reads this reuses), the trees and
one small row per article are held; bodies are read in batches and every entry is streamed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, BinaryIO
from urllib.parse import unquote

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from lorebase.db.models import CategoryTranslation
from lorebase.exchange.archive import (
    ExportSummary,
    ExportZip,
    Progress,
    UniqueNames,
    batched,
    iso,
)
from lorebase.exchange.display import MediaLinks
from lorebase.exchange.plan import (
    ARTICLE_FILES,
    BATCH,
    PAGE_FILES,
    PAGE_TYPES,
    ArticleRef,
    Node,
    WorkspacePlan,
    item_files,
    media_plan,
    plan_workspaces,
)
from lorebase.storage import BlobStore

FORMAT = "lorebase-markdown"
FORMAT_VERSION = 1
MARKER_NAME = "lorebase-markdown.json"
MEDIA_DIR = "_media"
CONTENT_TYPE_NAMES = {0: "markdown", 1: "html", 2: "block"}
CATEGORY_TYPE_NAMES = {0: "folder", 1: "page", 2: "index"}
INDEX = "index"
# Characters that end a line for some readers although JSON leaves them raw.
_LINE_BREAKS = {"\u0085": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def _scalar(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    for char, escaped in _LINE_BREAKS.items():
        text = text.replace(char, escaped)
    return text


def front_matter(fields: dict[str, Any]) -> str:
    """The `---` block: one `key: <JSON scalar>` per line."""
    lines = [f"{key}: {_scalar(value)}" for key, value in fields.items()]
    return "---\n" + "\n".join(lines) + "\n---\n"


def _stem(wanted: str) -> str:
    # No dots: `<name>.<code>.md` must name a language unambiguously.
    return wanted.replace(".", "-")


def write_markdown_zip(
    session: Session,
    project_id: str,
    out: BinaryIO,
    *,
    workspace_ids: list[str] | None = None,
    languages: list[str] | None = None,
    category_ids: list[str] | None = None,
    exclude_media: bool = False,
    blobs: BlobStore | None = None,
    modified_after: datetime | None = None,
    modified_before: datetime | None = None,
    progress: Progress | None = None,
) -> ExportSummary:
    """Write the project's knowledge base to `out` as a Lorebase Markdown ZIP.

    The options mean what they mean for `write_json_zip` (same selection of workspaces,
    languages, category subtrees and modified window). `progress(done, total)` is called
    after each category, article and media file.
    """
    created_at = datetime.now(UTC)
    summary = ExportSummary()
    workspaces, plans = plan_workspaces(
        session,
        project_id,
        workspace_ids=workspace_ids,
        languages=languages,
        category_ids=category_ids,
        modified_after=modified_after,
        modified_before=modified_before,
    )
    media = [] if exclude_media or blobs is None else media_plan(session, project_id)
    media_paths = [entry.name.removeprefix("Media/") for entry in media]
    links = MediaLinks(
        {
            unquote(entry.source).lower(): path
            for entry, path in zip(media, media_paths, strict=True)
        },
        MEDIA_DIR,
    )
    total = sum(p.category_count + len(p.articles) for p in plans) + len(media)
    archive = ExportZip(out, created_at)
    folders = UniqueNames()
    folders.claim(MEDIA_DIR)
    folders.claim(MARKER_NAME)
    listed: list[dict[str, Any]] = []
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    try:
        for ws, plan in zip(workspaces, plans, strict=True):
            folder = folders.claim(ws.slug)
            listed.append({"folder": folder, "slug": ws.slug, "languages": plan.langs})
            summary.workspaces += 1
            summary.categories += plan.category_count
            summary.articles += len(plan.articles)
            for files in _entries(session, plan, folder, links):
                for name, text in files:
                    archive.write_bytes(name, text.encode("utf-8"), record=False)
                tick()
        for entry, path in zip(media, media_paths, strict=True):
            assert blobs is not None
            with blobs.open_reader(entry.blob_key) as source:
                archive.write_stream(f"{MEDIA_DIR}/{path}", source)
            summary.media += 1
            tick()
        marker = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": iso(created_at),
            "workspaces": listed,
        }
        archive.write_bytes(MARKER_NAME, orjson.dumps(marker, option=orjson.OPT_INDENT_2))
        summary.files = len(archive.zip.infolist())
    finally:
        archive.close()
    return summary


def _other_slugs(session: Session, ids: list[str]) -> dict[str, str]:
    """A slug in any language of categories that have none in the exported languages: their
    folders still get a recognisable name."""
    found: dict[str, str] = {}
    for batch in batched(ids, 500):
        rows = session.execute(
            select(CategoryTranslation.category_id, CategoryTranslation.slug)
            .where(CategoryTranslation.category_id.in_(batch))
            .order_by(CategoryTranslation.language_code)
        )
        for category_id, slug in rows:
            found.setdefault(category_id, slug)
    return found


def _layout(
    session: Session, plan: WorkspacePlan, root: str, in_tree: list[Node]
) -> tuple[dict[str, str], dict[str, str]]:
    """(category id -> its folder, article id -> its path without language and `.md`)."""
    node_dirs: dict[str, str] = {}
    article_paths: dict[str, str] = {}
    others = _other_slugs(session, [n.id for n in in_tree if n.id not in plan.node_languages])

    def place(folder: str, nodes: list[Node], articles: list[ArticleRef]) -> None:
        names = UniqueNames()
        names.claim(INDEX)
        for node in nodes:
            langs = plan.node_languages.get(node.id)
            wanted = langs[0]["Slug"] if langs else others.get(node.id, "untitled")
            node_dirs[node.id] = f"{folder}/{names.claim(_stem(wanted))}"
        for ref in articles:
            wanted = ref.path.removesuffix(".json")
            article_paths[ref.id] = f"{folder}/{names.claim(_stem(wanted))}"
        for node in nodes:
            place(node_dirs[node.id], node.children, node.articles)

    place(root, plan.roots, plan.root_articles)
    return node_dirs, article_paths


def _file_name(base: str, code: str | None, langs: list[str]) -> str:
    if code is None or not langs or code == langs[0]:
        return f"{base}.md"
    return f"{base}.{code}.md"


def _status(obj: dict[str, Any]) -> str:
    public = obj.get("PublicVersion") or 0
    return "published" if public and public == obj.get("LatestVersion") else "draft"


def _entries(
    session: Session, plan: WorkspacePlan, root: str, links: MediaLinks
) -> Iterator[list[tuple[str, str]]]:
    """The files (entry name, text) of each category and article of one workspace, one list
    per item, in tree order."""
    in_tree: list[Node] = []

    def walk(level: list[Node]) -> None:
        for node in level:
            in_tree.append(node)
            walk(node.children)

    walk(plan.roots)
    node_dirs, article_paths = _layout(session, plan, root, in_tree)
    page_ids = {node.id for node in plan.pages}
    for batch in batched(in_tree, BATCH):
        pages = [node for node in batch if node.id in page_ids]
        bodies = {
            node.id: {obj["Code"]: obj for obj in objects}
            for node, (_, objects) in zip(
                pages, _item_files_of(session, pages, plan, page=True), strict=True
            )
        }
        for node in batch:
            yield _category_files(node, node_dirs[node.id], plan, bodies.get(node.id, {}), links)
    for articles in batched(plan.articles, BATCH):
        for ref, (_, objects) in zip(
            articles, _item_files_of(session, articles, plan, page=False), strict=True
        ):
            yield _article_files(ref, article_paths[ref.id], plan, objects, links)


def _item_files_of(
    session: Session, items: list[Any], plan: WorkspacePlan, *, page: bool
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    if not items:
        return iter(())
    return item_files(session, items, plan.langs, PAGE_FILES if page else ARTICLE_FILES)


def _article_files(
    ref: ArticleRef,
    base: str,
    plan: WorkspacePlan,
    objects: list[dict[str, Any]],
    links: MediaLinks,
) -> list[tuple[str, str]]:
    files = []
    for obj in objects:
        title = obj["Title"]
        fields = {
            "title": title,
            "slug": obj["Slug"],
            "id": ref.id,
            "language": obj["Code"],
            "order": ref.position,
            "status": _status(obj),
            "content_type": CONTENT_TYPE_NAMES.get(obj["ContentType"], "markdown"),
            "kind": "article",
            "hidden": ref.hidden,
            # The JSON writer falls back to the title; only a set SEO title is kept.
            "seo_title": obj["SeoTitle"] if obj["SeoTitle"] != title else None,
            "description": obj["Description"],
        }
        body = links.rewrite(obj["Content"], "../" * base.count("/"))
        files.append((_file_name(base, obj["Code"], plan.langs), front_matter(fields) + body))
    return files


def _category_files(
    node: Node,
    folder: str,
    plan: WorkspacePlan,
    bodies: dict[str, dict[str, Any]],
    links: MediaLinks,
) -> list[tuple[str, str]]:
    page = node.category_type in PAGE_TYPES
    base = f"{folder}/{INDEX}"
    flags = {
        "kind": "category",
        "hidden": node.hidden,
        "category_type": CATEGORY_TYPE_NAMES.get(node.category_type, "folder"),
        "icon": node.icon,
    }
    langs = plan.node_languages.get(node.id, [])
    if not langs:
        # No translation in the exported languages: the folder still needs its place.
        fields = {"id": node.id, "order": node.position, **flags}
        return [(_file_name(base, None, plan.langs), front_matter(fields))]
    files = []
    for lang in langs:
        code = lang["Code"]
        fields = {
            "title": lang["Title"],
            "slug": lang["Slug"],
            "id": node.id,
            "language": code,
            "order": node.position,
        }
        obj = bodies.get(code, {})
        if page:
            fields["status"] = _status(obj)
            fields["content_type"] = CONTENT_TYPE_NAMES.get(lang["ContentType"], "markdown")
        fields.update(flags)
        fields["seo_title"] = lang["SeoTitle"]
        fields["description"] = lang["Description"]
        body = ""
        if page:
            fields["page_title"] = obj.get("Title", lang["Title"])
            body = links.rewrite(obj.get("Content"), "../" * base.count("/"))
        files.append((_file_name(base, code, plan.langs), front_matter(fields) + body))
    return files


__all__ = ["FORMAT", "MARKER_NAME", "front_matter", "write_markdown_zip"]
