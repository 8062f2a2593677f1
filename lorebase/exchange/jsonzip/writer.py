"""Write a project (or part of it) as a Document360 JSON export ZIP (`export_type: 0`).

Layout (formats.md §1.2-1.4)::

    <workspace-slug>/
        <slug-with-dots-as-dashes>_categories_articles.json   the hierarchy index
        articles/<article-slug>.json                          one per article
        categories/<category-slug>.json                       page (1) and index (2) categories
    Media/<drive folder titles>/<file name>                   Drive files, unless excluded
    lorebase-manifest.json                                    Lorebase extension

Keys Document360 itself writes (PascalCase, as observed):

* index: `Slug`, `Workspace`, `ResourcePath`, `Languages`, `Categories`;
* category node: `Id`, `Title`, `Order`, `CategoryType`, `Icon`, `Path`, `Languages`
  (`Code`, `Title`, `Slug`, `ContentType`, `SeoTitle`, `Description`), `Articles`
  (`Id`, `Path`, `Order`), `SubCategories`;
* article and category-page files: a JSON array with one object per language holding `Code`,
  `Title`, `Slug`, `Content`, `ContentType`, `SeoTitle`, `Description`.

Lorebase extensions (Document360 ignores unknown keys and files; a Lorebase import needs them
for a lossless round trip):

* in each per-language object of article and category-page files: `Hidden`, `PublicVersion`,
  `LatestVersion` and `Revisions` (every revision of that language, oldest first:
  `VersionNumber`, `BaseVersion`, `Title`, `Content`, `Published`, `CreatedBy`, `CreatedAt`);
* `Hidden: true` on index category nodes that are hidden (only then);
* in the index, a top-level `Articles` list (same entry shape as a node's) only when the
  workspace has articles outside any category, which Document360 has no place for;
* `lorebase-manifest.json` at the root: `format`, `format_version`, `created_at`, for
  every other entry its `path`, `size` and `sha256`,
  and `media`: for each `Media/` entry the `source` path of the URL bodies link it by.

Content rules: `Content` is the body source of the latest revision in the item's own editor
(Markdown for Markdown items, HTML otherwise), merge codes (`{{variable.X}}`, snippets,
glossary terms) kept unresolved. `SeoTitle` is the language's SEO title, or its title when
none is set (as Document360 exports it).

Not carried yet: Block-editor `block_content` of category pages.

Memory: the category trees and one small row per article (id, place, file name) of the exported
workspaces are held (planned up front so progress knows its total), and so is each encoded
entry while it is written (the largest is the index, which holds no bodies); bodies and
revisions are read in batches (`yield_per`), media copied in chunks, and every entry goes
through a `ZipFile.open(name, "w")` stream, so the output may be a forward-only stream.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, BinaryIO

import orjson
from sqlalchemy.orm import Session

from lorebase.db.models import ProjectVersion
from lorebase.exchange.archive import (
    ExportSummary,
    ExportZip,
    Progress,
    UniqueNames,
    batched,
    iso,
)
from lorebase.exchange.plan import (
    ARTICLE_FILES,
    BATCH,
    PAGE_FILES,
    ArticleRef,
    Node,
    WorkspacePlan,
    item_files,
    media_plan,
    plan_workspaces,
)
from lorebase.storage import BlobStore

FORMAT = "lorebase-jsonzip"
FORMAT_VERSION = 1
MANIFEST_NAME = "lorebase-manifest.json"


def write_json_zip(
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
    """Write the project's knowledge base to `out` as a Document360 JSON export ZIP.

    `workspace_ids` defaults to every workspace of the project (ids of other projects are
    ignored); `languages` to every language of each workspace (codes matched
    case-insensitively); `category_ids` selects those categories with all their descendants
    and articles (the selected subtrees become the index's top level); the modified window
    (inclusive bounds) keeps articles whose article row or any translation changed inside it.
    Unless `exclude_media` (or without a blob store), every Drive file of the project goes
    to `Media/<folder titles>/<file name>`; bodies keep their Lorebase media URLs, which an
    import matches to these files by name. `progress(done, total)` is called after each
    article, category or media file.
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
    archive = ExportZip(out, created_at)
    media = [] if exclude_media or blobs is None else media_plan(session, project_id)
    total = sum(len(p.articles) + len(p.pages) for p in plans) + len(media)
    for plan in plans:
        summary.workspaces += 1
        summary.categories += plan.category_count
        summary.articles += len(plan.articles)
    done = 0
    try:
        for name, data, is_item in _encoded_entries(session, workspaces, plans):
            archive.write_bytes(name, data)
            if is_item:
                done += 1
                if progress is not None:
                    progress(done, total)
        for entry in media:
            assert blobs is not None
            with blobs.open_reader(entry.blob_key) as source:
                archive.write_stream(entry.name, source)
            summary.media += 1
            done += 1
            if progress is not None:
                progress(done, total)
        summary.files = len(archive.entries) + 1
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "created_at": iso(created_at),
            "files": [
                {"path": e.path, "size": e.size, "sha256": e.sha256} for e in archive.entries
            ],
            # Which file each media URL in the bodies names: an import rewrites them exactly,
            # even where two files share a name.
            "media": [{"path": e.name, "source": e.source} for e in media],
        }
        archive.write_json(MANIFEST_NAME, manifest, record=False)
    finally:
        archive.close()
    return summary


def _encoded_entries(
    session: Session, workspaces: list[ProjectVersion], plans: list[WorkspacePlan]
) -> Iterator[tuple[str, bytes, bool]]:
    """(entry name, JSON bytes, whether it is an article or category file), in ZIP order."""
    folders = UniqueNames()
    for ws, plan in zip(workspaces, plans, strict=True):
        folder = folders.claim(ws.slug)
        index_name = f"{folder}/{folder.replace('.', '-')}_categories_articles.json"
        yield index_name, orjson.dumps(_index(ws, plan)), False
        for kind, items, sub in (
            (PAGE_FILES, plan.pages, "categories"),
            (ARTICLE_FILES, plan.articles, "articles"),
        ):
            for batch in batched(items, BATCH):
                for path, value in item_files(session, batch, plan.langs, kind):
                    yield f"{folder}/{sub}/{path}", orjson.dumps(value), True


def _index(ws: ProjectVersion, plan: WorkspacePlan) -> dict[str, Any]:
    def node_json(node: Node) -> dict[str, Any]:
        entry = {
            "Id": node.id,
            "Title": plan.node_titles.get(node.id, ""),
            "Order": node.position,
            "CategoryType": node.category_type,
            "Icon": node.icon,
            "Path": node.path,
            "Languages": plan.node_languages.get(node.id, []),
            "Articles": [_article_entry(a) for a in node.articles],
            "SubCategories": [node_json(child) for child in node.children],
        }
        if node.hidden:
            entry["Hidden"] = True  # Lorebase extension: folders have no file to carry it
        return entry

    index: dict[str, Any] = {
        "Slug": ws.slug,
        "Workspace": ws.slug,
        "ResourcePath": None,
        "Languages": plan.langs,
        "Categories": [node_json(root) for root in plan.roots],
    }
    if plan.root_articles:
        index["Articles"] = [_article_entry(a) for a in plan.root_articles]
    return index


def _article_entry(ref: ArticleRef) -> dict[str, Any]:
    return {"Id": ref.id, "Path": ref.path, "Order": ref.position}


__all__ = ["MANIFEST_NAME", "ExportSummary", "write_json_zip"]
