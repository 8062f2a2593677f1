"""Offline HTML site benchmark: Lorebase's HTML export vs `mkdocs build` on the same Markdown.

Generates a workspace of --articles articles of about 4 KB of Markdown (bench/generate.py:
headings, lists, fenced code, tables) in a category tree, publishes every article and category
page and unhides everything, so that both sides build one page per article language and per
category page language. Then, in the same run:

- Lorebase: the "html" export writer (`EXPORT_WRITERS["html"]`) of the project to a ZIP file;
- MkDocs: the same published Markdown written as files in the category tree's folders
  (`docs/<lang>/<category slugs>/<slug>.md`, a category page as its folder's `index.md`) with a
  `mkdocs.yml` (Material theme, `navigation.prune`, `use_directory_urls: false`, no `nav`, so
  MkDocs builds it from the folders; the default `search` plugin, MkDocs' counterpart of our
  search index; `font: false`, no Google Fonts), timed as `mkdocs build`. Writing the Markdown
  files is not timed: it is MkDocs' input.

Target: MkDocs' time / Lorebase's time >= 10. Sizes are reported: the ZIP, the unzipped site,
the MkDocs site folder.

    .venv/bin/python -m bench.html_site --articles 1000
    .venv/bin/python -m bench.html_site                   # 10,000 articles

A ratio off target is reported (FAIL) and the exit status is 0: a benchmark reports, it does
not gate. A workspace with no published page to build measured nothing: exit status 1.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from sqlalchemy import case, insert, literal, select, tuple_, update
from sqlalchemy.orm import Session, sessionmaker

if __package__ in (None, ""):  # run as `python bench/html_site.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.exchange import _engine_factory, _timed, child_figures
from bench.generate import GeneratedWorkspace, generate_workspace, scratch_database
from bench.report import (
    say,
    table_lines,
    verdict,
    workspace_arguments,
    workspace_heading,
)
from lorebase.db.engine import transaction
from lorebase.db.models import (
    Article,
    ArticleRevision,
    ArticleTranslation,
    Category,
    CategoryRevision,
    CategoryTranslation,
    SearchEntry,
)
from lorebase.exchange.formats import EXPORT_WRITERS
from lorebase.exchange.plan import PAGE_TYPES
from lorebase.kb import workspaces
from lorebase.kb.search.index import scope_term

RATIO_TARGET = 10.0
# The search entry's index columns (lorebase.kb.search.index), copied with its texts.
ANALYSED = ("title_terms", "terms", "term_count")
MKDOCS_YML = """\
site_name: Lorebase benchmark
use_directory_urls: false
theme:
  name: material
  font: false
  features:
    - navigation.prune
"""


# --- the workspace ------------------------------------------------------------------------------


def publish_everything(factory: sessionmaker[Session], workspace_id: str) -> None:
    """Publish every draft-only article and category page language (as revision 1, its only
    one) and unhide every item: the generator leaves 20 % as drafts and a few hidden, which
    neither site would show."""
    with transaction(factory) as session:
        for translation, revision, owner, owner_column in (
            (ArticleTranslation, ArticleRevision, Article, "article_id"),
            (CategoryTranslation, CategoryRevision, Category, "category_id"),
        ):
            translation_owner = getattr(translation, owner_column)
            drafts = (
                select(translation_owner, translation.language_code)
                .join(owner, owner.id == translation_owner)
                .where(
                    owner.project_version_id == workspace_id,
                    translation.public_version == 0,
                    translation.latest_version > 0,
                )
            )
            if translation is ArticleTranslation:
                # A published revision has its own search row, as `kb.search` keeps them: a
                # copy of the draft's "latest" row (the same revision).
                columns = ("article_id", "project_version_id", "language_code", "kind")
                languages = session.scalars(
                    select(SearchEntry.language_code)
                    .where(SearchEntry.project_version_id == workspace_id)
                    .distinct()
                )
                published_scope = case(
                    {c: scope_term(workspace_id, c, "published") for c in languages},
                    value=SearchEntry.language_code,
                )
                session.execute(
                    insert(SearchEntry).from_select(
                        [*columns, "version_number", "title", "body", "scope", *ANALYSED],
                        select(
                            SearchEntry.article_id,
                            SearchEntry.project_version_id,
                            SearchEntry.language_code,
                            literal("published"),
                            SearchEntry.version_number,
                            SearchEntry.title,
                            SearchEntry.body,
                            published_scope,
                            *(getattr(SearchEntry, c) for c in ANALYSED),
                        ).where(
                            SearchEntry.kind == "latest",
                            tuple_(SearchEntry.article_id, SearchEntry.language_code).in_(drafts),
                        ),
                    )
                )
            revision_owner = getattr(revision, owner_column)
            session.execute(
                update(revision)
                .where(
                    tuple_(revision_owner, revision.language_code).in_(drafts),
                    revision.version_number == 1,
                )
                .values(published_at=revision.created_at)
            )
            session.execute(
                update(translation)
                .where(tuple_(translation_owner, translation.language_code).in_(drafts))
                .values(public_version=1)
            )
            session.execute(
                update(owner).where(owner.project_version_id == workspace_id).values(hidden=False)
            )
        workspaces.touch(session, workspace_id)


# --- MkDocs' input: the same Markdown as files ---------------------------------------------------


def _category_folders(session: Session, workspace_id: str) -> dict[tuple[str, str], str]:
    """(category id, language) -> the path of slugs down to it; where a category has no
    translation in that language its slug in another stands in (its articles in that
    language still need a folder)."""
    parents: dict[str, str | None] = dict(
        session.execute(
            select(Category.id, Category.parent_id).where(
                Category.project_version_id == workspace_id
            )
        ).all()
    )
    slugs: dict[str, dict[str, str]] = {}
    for category_id, code, slug in session.execute(
        select(
            CategoryTranslation.category_id,
            CategoryTranslation.language_code,
            CategoryTranslation.slug,
        )
        .join(Category, Category.id == CategoryTranslation.category_id)
        .where(Category.project_version_id == workspace_id)
    ):
        slugs.setdefault(category_id, {})[code] = slug
    codes = {code for own in slugs.values() for code in own}
    folders: dict[tuple[str, str], str] = {}

    def folder(category_id: str, code: str) -> str:
        key = (category_id, code)
        if key not in folders:
            own = slugs.get(category_id, {})
            name = own.get(code) or next(iter(own.values()), category_id)
            parent = parents[category_id]
            folders[key] = f"{folder(parent, code)}/{name}" if parent else name
        return folders[key]

    for category_id in parents:
        for code in codes:
            folder(category_id, code)
    return folders


def published_markdown(session: Session, workspace_id: str) -> Iterator[tuple[str, str]]:
    """(path below docs/, Markdown) of every published category page and article language."""
    folders = _category_folders(session, workspace_id)
    pages = session.execute(
        select(
            CategoryRevision.category_id, CategoryRevision.language_code, CategoryRevision.content
        )
        .join(
            CategoryTranslation,
            (CategoryTranslation.category_id == CategoryRevision.category_id)
            & (CategoryTranslation.language_code == CategoryRevision.language_code)
            & (CategoryTranslation.public_version == CategoryRevision.version_number),
        )
        .join(Category, Category.id == CategoryRevision.category_id)
        .where(
            Category.project_version_id == workspace_id,
            Category.category_type.in_(PAGE_TYPES),
        )
    )
    for category_id, code, content in pages:
        yield f"{code}/{folders[(category_id, code)]}/index.md", content or ""
    articles = session.execute(
        select(
            Article.category_id,
            ArticleTranslation.language_code,
            ArticleTranslation.slug,
            ArticleRevision.content,
        )
        .join(ArticleTranslation, ArticleTranslation.article_id == Article.id)
        .join(
            ArticleRevision,
            (ArticleRevision.article_id == Article.id)
            & (ArticleRevision.language_code == ArticleTranslation.language_code)
            & (ArticleRevision.version_number == ArticleTranslation.public_version),
        )
        .where(Article.project_version_id == workspace_id)
    )
    for home, code, slug, content in articles:
        folder = f"{code}/{folders[(home, code)]}" if home else code
        yield f"{folder}/{slug}.md", content or ""


@dataclass
class MkDocsProject:
    folder: Path
    pages: int
    markdown_bytes: int


def write_mkdocs_project(
    factory: sessionmaker[Session], workspace_id: str, folder: Path
) -> MkDocsProject:
    docs = folder / "docs"
    pages = size = 0
    with factory() as session:
        for path, markdown in published_markdown(session, workspace_id):
            target = docs / path
            target.parent.mkdir(parents=True, exist_ok=True)
            data = markdown.encode()
            target.write_bytes(data)
            pages += 1
            size += len(data)
    (folder / "mkdocs.yml").write_text(MKDOCS_YML)
    return MkDocsProject(folder, pages, size)


# --- the two builds ------------------------------------------------------------------------------


@dataclass
class Build:
    seconds: float
    cpu: float
    files: int
    bytes: int  # the site as a reader has it on disk
    zip_bytes: int = 0


def _folder_size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build_mkdocs(project: MkDocsProject) -> Build:
    mkdocs = Path(sys.executable).parent / "mkdocs"
    site = project.folder / "site"
    command = [str(mkdocs), "build", "--quiet", "-f", str(project.folder / "mkdocs.yml")]
    command += ["-d", str(site)]
    cpu = _children_cpu()
    seconds, done = _timed(partial(subprocess.run, command, capture_output=True, text=True))
    cpu = _children_cpu() - cpu
    if done.returncode != 0:
        raise RuntimeError(f"mkdocs build failed:\n{done.stderr[-3000:]}")
    files, size = _folder_size(site)
    return Build(seconds, cpu, files, size)


def build_lorebase(database_url: str, project_id: str, zip_path: Path) -> tuple[Build, str]:
    """The export in a fresh interpreter, as a `lorebase worker` would run it (and as
    `mkdocs build` runs): not in this process, whose heap the generation has filled. CPU
    counts the export's worker processes too."""
    arguments = ["bench.html_site", "--child-export", str(zip_path)]
    arguments += ["--database-url", database_url, "--project-id", project_id]
    figures = child_figures(arguments, "export")
    with zipfile.ZipFile(zip_path) as archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
    unzipped = sum(i.file_size for i in infos)
    build = Build(figures["seconds"], figures["cpu"], len(infos), unzipped, zip_path.stat().st_size)
    return build, figures["summary"]


def child_export(database_url: str, project_id: str, zip_path: Path) -> int:
    """In the child: one HTML export to `zip_path`; prints its figures as one JSON line."""
    write = EXPORT_WRITERS["html"]
    with _engine_factory(database_url) as factory:
        cpu = time.process_time() + _children_cpu()
        with factory() as session, zip_path.open("wb") as out:
            seconds, summary = _timed(write, session, project_id, out)
        cpu = time.process_time() + _children_cpu() - cpu
    print(json.dumps({"seconds": seconds, "cpu": cpu, "summary": repr(summary)}))
    return 0


# --- report --------------------------------------------------------------------------------------


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def report(
    ws: GeneratedWorkspace,
    project: MkDocsProject,
    ours: Build,
    summary: str,
    mkdocs: Build,
) -> str:
    ratio = mkdocs.seconds / ours.seconds
    heads = ("site", "seconds", "CPU s", "files", "size on disk", "ZIP")
    rows = [
        (
            "Lorebase HTML export",
            f"{ours.seconds:.2f}",
            f"{ours.cpu:.2f}",
            f"{ours.files:,}",
            _mb(ours.bytes),
            _mb(ours.zip_bytes),
        ),
        (
            "mkdocs build (material)",
            f"{mkdocs.seconds:.2f}",
            f"{mkdocs.cpu:.2f}",
            f"{mkdocs.files:,}",
            _mb(mkdocs.bytes),
            "",
        ),
    ]
    lines = [
        workspace_heading("Offline HTML site benchmark", ws.engine, ws)
        + f"; {project.pages:,} published pages, {_mb(project.markdown_bytes)} of Markdown",
        "",
        *table_lines(heads, rows),
        "",
        f"MkDocs / Lorebase time: {ratio:.1f}x (target >= {RATIO_TARGET:g}x) "
        + verdict(ratio >= RATIO_TARGET),
        f"size on disk, Lorebase / MkDocs: {ours.bytes / mkdocs.bytes:.2f}x",
        f"Lorebase export summary: {summary}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    workspace_arguments(
        parser,
        categories=None,
        categories_help="default: one per ten articles (bench.generate's ratio)",
    )
    parser.add_argument("--child-export", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--project-id", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_export:
        return child_export(args.database_url, args.project_id, args.child_export)
    categories = args.categories or max(1, args.articles // 10)
    started = time.perf_counter()
    with (
        scratch_database(args.database_url) as url,
        tempfile.TemporaryDirectory(prefix="lorebase-bench-html-") as temp,
    ):
        folder = Path(temp)
        say("generating the workspace...")
        ws = generate_workspace(url, categories=categories, articles=args.articles, seed=args.seed)
        with _engine_factory(url) as factory:
            publish_everything(factory, ws.workspace_id)
            say("Lorebase HTML export...")
            ours, summary = build_lorebase(url, ws.project_id, folder / "site.zip")
            say("writing the Markdown for MkDocs...")
            project = write_mkdocs_project(factory, ws.workspace_id, folder / "mkdocs")
        if not project.pages:
            raise RuntimeError("no published page in the workspace: neither site has content")
        say("mkdocs build...")
        mkdocs = build_mkdocs(project)
    print(report(ws, project, ours, summary, mkdocs))
    print(f"\nwall time of the whole run: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
