"""PDF export benchmark: 1,000 published articles of about 4 KB into one PDF.

Generates a workspace (bench/generate.py: 100 categories, 1,000 articles of ~4 KB Markdown
with headings, lists, code blocks and tables), then publishes every article and page and
un-hides everything, so that all 1,000 articles are in the PDF. `write_pdf_zip` runs in a
fresh child process for the English language (one PDF), and the report gives:

- seconds of the export (wall clock, the child's whole `write_pdf_zip` call);
- pages of the PDF and pages per second;
- peak RSS of the child (`VmHWM`): target under 1 GB.

    .venv/bin/python -m bench.pdf
    .venv/bin/python -m bench.pdf --database-url postgresql+psycopg://postgres@127.0.0.1/postgres

A figure off target is reported (FAIL) and the exit status is 0: a benchmark reports, it does
not gate. An export without an article or a page measured nothing: exit status 1.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
import zipfile
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import update

if __package__ in (None, ""):  # run as `python bench/pdf.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.exchange import _engine_factory, _status_mb, child_figures
from bench.generate import scratch_workspace
from bench.report import say, verdict, workspace_arguments
from lorebase.db.engine import transaction
from lorebase.db.models import Article, ArticleTranslation, Category, CategoryTranslation
from lorebase.exchange.pdf.writer import write_pdf_zip

RSS_TARGET_MB = 1024.0
LANGUAGE = "en"


def publish_everything(database_url: str, workspace_id: str) -> None:
    """Every article and page published at its latest revision, nothing hidden."""
    with _engine_factory(database_url) as factory, transaction(factory) as session:
        articles = Article.__table__
        categories = Category.__table__
        for table, translations, owner in (
            (articles, ArticleTranslation.__table__, "article_id"),
            (categories, CategoryTranslation.__table__, "category_id"),
        ):
            owned = table.select().where(table.c.project_version_id == workspace_id)
            session.execute(
                update(table).where(table.c.project_version_id == workspace_id).values(hidden=False)
            )
            session.execute(
                update(translations)
                .where(translations.c[owner].in_(owned.with_only_columns(table.c.id)))
                .values(public_version=translations.c.latest_version)
            )


def child_main(database_url: str, project_id: str, zip_path: Path) -> int:
    """In the child: one PDF export of the project; prints the figures as one JSON line."""
    with _engine_factory(database_url) as factory:
        start_mb = _status_mb("VmRSS")
        started = time.perf_counter()
        with factory() as session, zip_path.open("wb") as out:
            summary = write_pdf_zip(session, project_id, out, languages=[LANGUAGE])
        seconds = time.perf_counter() - started
    figures = {
        "seconds": seconds,
        "start_mb": start_mb,
        "peak_mb": _status_mb("VmHWM"),
        "articles": summary.articles,
    }
    print(json.dumps(figures))
    return 0


def run_child(database_url: str, project_id: str, zip_path: Path) -> dict[str, float]:
    arguments = ["bench.pdf", "--child", "--database-url", database_url]
    arguments += ["--project-id", project_id, "--zip", str(zip_path)]
    return child_figures(arguments, "export")


def pdf_pages(zip_path: Path) -> tuple[int, int, int]:
    """(PDF files, pages in all, bytes of PDF in all) of the export ZIP."""
    files = pages = size = 0
    with zipfile.ZipFile(zip_path) as archive:
        for name in archive.namelist():
            data = archive.read(name)
            files += 1
            size += len(data)
            pages += len(PdfReader(io.BytesIO(data)).pages)
    return files, pages, size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    workspace_arguments(parser, categories=100, articles=1000)
    # Internal: the measured export in a child process.
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--project-id", help=argparse.SUPPRESS)
    parser.add_argument("--zip", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child_main(args.database_url, args.project_id, args.zip)

    started = time.perf_counter()
    with scratch_workspace(args, "lorebase-bench-pdf-") as (ws, folder):
        publish_everything(ws.database_url, ws.workspace_id)
        say("PDF export in a child process...")
        zip_path = folder / "export.zip"
        figures = run_child(ws.database_url, ws.project_id, zip_path)
        files, pages, size = pdf_pages(zip_path)
    if not figures["articles"] or not pages:
        raise RuntimeError(
            f"the PDF export measured nothing: {int(figures['articles'])} articles, "
            f"{pages} pages in {files} PDF files"
        )
    seconds, peak = figures["seconds"], figures["peak_mb"]
    print(
        f"Lorebase PDF export benchmark: {ws.engine}, {int(figures['articles']):,} published "
        f"articles (~4 KB Markdown) in {args.categories} categories, language {LANGUAGE}\n\n"
        f"export (write_pdf_zip, child)  {seconds:8.1f} s\n"
        f"PDF                            {files} file, {pages:,} pages, {size / 1e6:.1f} MB\n"
        f"pages per second               {pages / seconds:8.1f}\n"
        f"articles per second            {figures['articles'] / seconds:8.1f}\n"
        f"peak RSS of the child (VmHWM)  {peak:8.1f} MB (at start {figures['start_mb']:.1f} MB)"
        f"  target < {RSS_TARGET_MB:g} MB  {verdict(peak < RSS_TARGET_MB)}\n\n"
        f"wall time of the whole run: {time.perf_counter() - started:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
