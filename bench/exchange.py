"""Export and import benchmark: a 10,000-article workspace through a JSON ZIP and back.

Generates 1,000 categories and 10,000 articles of about 4 KB of Markdown (bench/generate.py)
and measures, against baselines taken in the same run on the same machine:

- export: `write_json_zip` of the project to a file (best of --runs) vs writing the very same
  entries (names and bytes read back from our ZIP) with `zipfile.ZipFile(..., ZIP_DEFLATED)`
  at the same (default) compression level: target <= 1.5x;
- import: `open_export` + `import_export` of that ZIP into a new project, committed, vs a bare
  `executemany` (one Core `insert` per table with the whole list of dicts, one transaction) of
  the rows that import wrote, copied with fresh ids into another new project: target <= 3x;
- import of the real Document360 fixture (its media into a local blob store): seconds;
- peak RSS (VmHWM) of the export and of the import, each in a fresh child process: < 300 MB.

    .venv/bin/python -m bench.exchange
    .venv/bin/python -m bench.exchange --database-url postgresql+psycopg://postgres@127.0.0.1/postgres

With a PostgreSQL URL a scratch database is created on that server and dropped at the end.
Without the fixture (`--fixture`, by default ../shared/fixtures/..., absent from a plain clone)
its import is skipped, and the report says so. A ratio off target is reported (FAIL) and the
exit status is 0: a benchmark reports, it does not gate.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session, sessionmaker

if __package__ in (None, ""):  # run as `python bench/exchange.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate import GeneratedWorkspace, scratch_workspace
from bench.report import RESULT_HEADS, say, table_lines, verdict, workspace_arguments
from lorebase.db.engine import make_engine, make_session_factory, transaction
from lorebase.db.models import (
    Article,
    ArticleRevision,
    ArticleTranslation,
    Category,
    CategoryRevision,
    CategoryTranslation,
    SearchEntry,
    VocabularyWord,
    new_id,
)
from lorebase.exchange.jsonzip.importer import ImportLog, import_export
from lorebase.exchange.jsonzip.reader import open_export
from lorebase.exchange.jsonzip.writer import write_json_zip
from lorebase.kb import workspaces
from lorebase.storage.local import LocalBlobStore

EXPORT_RATIO_TARGET = 1.5
IMPORT_RATIO_TARGET = 3.0
RSS_TARGET_MB = 300.0
FIXTURE = (
    Path(__file__).resolve().parent.parent.parent
    / "shared"
    / "fixtures"
    / "document360-export-vexy-lines-2025-03-12.zip"
)
SECOND_LANGUAGE = "fr"  # bench/generate.py adds it to the generated workspace
T = TypeVar("T")


# --- helpers ----------------------------------------------------------------------------------


def _status_mb(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def _timed(action: Callable[..., T], *args: Any) -> tuple[float, T]:
    started = time.perf_counter()
    result = action(*args)
    return time.perf_counter() - started, result


def _timed_cpu(action: Callable[..., T], *args: Any) -> tuple[float, float, T]:
    """Wall-clock and CPU seconds of this process (SQLite works in-process; a PostgreSQL
    server's own CPU is not counted)."""
    cpu = time.process_time()
    elapsed, result = _timed(action, *args)
    return elapsed, time.process_time() - cpu, result


def _new_project(factory: sessionmaker[Session], name: str) -> str:
    """A committed project whose main workspace `v1` has English and French, like the
    generated one: the archive's `v1` is merged into it."""
    with transaction(factory) as session:
        project = workspaces.create_project(session, name)
        workspace = workspaces.workspaces(session, project.id)[0]
        workspaces.add_language(session, workspace.id, SECOND_LANGUAGE)
        return project.id


def _main_workspace(factory: sessionmaker[Session], project_id: str) -> str:
    with factory() as session:
        return workspaces.workspaces(session, project_id)[0].id


def child_figures(arguments: list[str], child: str) -> dict[str, Any]:
    """`python -m <arguments>` in a fresh interpreter, from the repository root: a peak RSS of
    its own, a heap this process has not filled. Its last line of output is its figures, in
    JSON."""
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-m", *arguments], cwd=root, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"the {child} child failed:\n{done.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


@contextmanager
def _engine_factory(url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(url, pooled=False)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


def _export(factory: sessionmaker[Session], project_id: str, path: Path) -> None:
    with factory() as session, path.open("wb") as out:
        write_json_zip(session, project_id, out)


def _import(
    factory: sessionmaker[Session],
    project_id: str,
    path: Path,
    blobs: LocalBlobStore | None = None,
) -> ImportLog:
    """Read the ZIP and import it in one committed transaction, as the import job does."""
    with open_export(path) as opened, transaction(factory) as session:
        return import_export(
            session,
            project_id,
            opened,
            publish=False,
            user_id=None,
            blobs=blobs,
            base_url="http://127.0.0.1:8000",
        )


# --- export -----------------------------------------------------------------------------------


@dataclass
class ExportResult:
    seconds: list[float]
    baseline_seconds: list[float]
    cpu: list[float]
    baseline_cpu: list[float]
    entries: int
    raw_bytes: int
    zip_bytes: int
    baseline_zip_bytes: int


def _entries(path: Path) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(path) as archive:
        return [(info, archive.read(info)) for info in archive.infolist()]


def _write_baseline(entries: list[tuple[zipfile.ZipInfo, bytes]], path: Path) -> None:
    """The same entries written by `zipfile` alone: ZIP_DEFLATED at its default level, as
    the writer's `ZipFile(out, "w", compression=ZIP_DEFLATED)` does."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for info, data in entries:
            entry = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, data)


def measure_export(
    factory: sessionmaker[Session], project_id: str, folder: Path, runs: int
) -> tuple[ExportResult, Path]:
    ours, baseline = folder / "export.zip", folder / "baseline.zip"
    seconds: list[float] = []
    baseline_seconds: list[float] = []
    cpu: list[float] = []
    baseline_cpu: list[float] = []
    entries: list[tuple[zipfile.ZipInfo, bytes]] = []
    # Alternated, so that a drift of the machine touches both sides alike.
    for run in range(runs):
        elapsed, used, _ = _timed_cpu(_export, factory, project_id, ours)
        seconds.append(elapsed)
        cpu.append(used)
        if run == 0:
            entries = _entries(ours)
        elapsed, used, _ = _timed_cpu(_write_baseline, entries, baseline)
        baseline_seconds.append(elapsed)
        baseline_cpu.append(used)
    result = ExportResult(
        seconds=seconds,
        baseline_seconds=baseline_seconds,
        cpu=cpu,
        baseline_cpu=baseline_cpu,
        entries=len(entries),
        raw_bytes=sum(len(data) for _, data in entries),
        zip_bytes=ours.stat().st_size,
        baseline_zip_bytes=baseline.stat().st_size,
    )
    return result, ours


# --- import -----------------------------------------------------------------------------------


@dataclass
class ImportResult:
    seconds: float
    baseline_seconds: float
    rows: dict[str, int]


_OWNED: list[tuple[type[Any], str]] = [
    (CategoryTranslation, "category_id"),
    (CategoryRevision, "category_id"),
    (ArticleTranslation, "article_id"),
    (ArticleRevision, "article_id"),
    (SearchEntry, "article_id"),
]


def _table(model: type[Any]) -> Table:
    table: Table = model.__table__
    return table


def _parents_first(categories: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Categories ordered so that a parent's row precedes its children's: foreign keys are
    checked row by row."""
    by_id = {row["id"]: row for row in categories}
    depth: dict[str, int] = {}

    def level(row: dict[str, Any]) -> int:
        if row["id"] not in depth:
            parent = by_id.get(row["parent_id"]) if row["parent_id"] else None
            depth[row["id"]] = 0 if parent is None else level(parent) + 1
        return depth[row["id"]]

    return sorted(categories, key=level)


def written_rows(session: Session, workspace_id: str) -> list[tuple[Table, list[dict[str, Any]]]]:
    """Every row the import wrote into `workspace_id`, per table, in insert order."""
    out: list[tuple[Table, list[dict[str, Any]]]] = []
    for model in (Category, Article):
        table = _table(model)
        query = select(table).where(table.c.project_version_id == workspace_id)
        out.append((table, [dict(row._mapping) for row in session.execute(query)]))
    for model, owner in _OWNED:
        table = _table(model)
        parent = _table(Category if owner == "category_id" else Article)
        query = (
            select(table)
            .join(parent, parent.c.id == table.c[owner])
            .where(parent.c.project_version_id == workspace_id)
        )
        out.append((table, [dict(row._mapping) for row in session.execute(query)]))
    categories, articles, *owned = out
    category_rows = (categories[0], _parents_first(categories[1]))
    # The search vocabulary the import adds (lorebase.kb.search.index.add_vocabulary).
    vocabulary = _table(VocabularyWord)
    words = session.execute(
        select(vocabulary).where(vocabulary.c.project_version_id == workspace_id)
    )
    return [
        category_rows,
        owned[0],
        owned[1],
        articles,
        *owned[2:],
        (vocabulary, [dict(row._mapping) for row in words]),
    ]


def fresh_copies(
    tables: list[tuple[Table, list[dict[str, Any]]]], workspace_id: str
) -> list[tuple[Table, list[dict[str, Any]]]]:
    """The same rows with new ids, moved to `workspace_id` (autoincrement ids left out)."""
    ids: dict[str, str] = {}

    def fresh(old: str | None) -> str | None:
        if old is None:
            return None
        if old not in ids:
            ids[old] = new_id()
        return ids[old]

    copies = []
    for table, rows in tables:
        moved = []
        for row in rows:
            copy = dict(row)
            if table.autoincrement_column is not None:
                del copy[table.autoincrement_column.name]
            for key in ("id", "parent_id", "category_id", "article_id"):
                if key in copy:
                    copy[key] = fresh(copy[key])
            if "project_version_id" in copy:
                copy["project_version_id"] = workspace_id
            moved.append(copy)
        copies.append((table, moved))
    return copies


def _bare_insert(
    factory: sessionmaker[Session], tables: list[tuple[Table, list[dict[str, Any]]]]
) -> None:
    with transaction(factory) as session:
        for table, rows in tables:
            if rows:
                session.execute(insert(table), rows)


def measure_import(
    factory: sessionmaker[Session], zip_path: Path
) -> tuple[ImportResult, ImportLog]:
    target = _new_project(factory, "Import benchmark")
    seconds, log = _timed(_import, factory, target, zip_path)
    with factory() as session:
        written = written_rows(session, _main_workspace(factory, target))
    baseline_project = _new_project(factory, "Import baseline")
    copies = fresh_copies(written, _main_workspace(factory, baseline_project))
    baseline_seconds, _ = _timed(_bare_insert, factory, copies)
    rows = {table.name: len(items) for table, items in written}
    return ImportResult(seconds, baseline_seconds, rows), log


# --- the real fixture ---------------------------------------------------------------------------


@dataclass
class FixtureResult:
    seconds: list[float]
    categories: int
    articles: int
    media: int


def measure_fixture(
    factory: sessionmaker[Session], path: Path, folder: Path, runs: int
) -> FixtureResult:
    """Import the real export into a new project each run, its media into a local store."""
    blobs = LocalBlobStore(folder / "blobs", "http://127.0.0.1:8000/blobs", b"bench-secret")
    seconds: list[float] = []
    log = ImportLog()
    for run in range(runs):
        target = _new_project(factory, f"Fixture {run + 1}")
        elapsed, log = _timed(_import, factory, target, path, blobs)
        seconds.append(elapsed)
    return FixtureResult(seconds, log.categories, log.articles, log.media)


# --- peak RSS, in child processes ---------------------------------------------------------------


@dataclass
class Footprint:
    seconds: float
    start_mb: float
    peak_mb: float


def run_child(database_url: str, mode: str, project_id: str, zip_path: Path) -> Footprint:
    """Run one export or import in a fresh interpreter; its own VmHWM is the peak."""
    figures = child_figures(
        [
            "bench.exchange",
            "--child",
            mode,
            "--database-url",
            database_url,
            "--project-id",
            project_id,
            "--zip",
            str(zip_path),
        ],
        mode,
    )
    return Footprint(figures["seconds"], figures["start_mb"], figures["peak_mb"])


def child_main(mode: str, database_url: str, project_id: str, zip_path: Path) -> int:
    """In the child: one export of the project to `zip_path`, or one import of it into the
    project; prints the figures as one JSON line."""
    with _engine_factory(database_url) as factory:
        start_mb = _status_mb("VmRSS")
        if mode == "export":
            seconds, _ = _timed(_export, factory, project_id, zip_path)
        else:
            seconds, _ = _timed(_import, factory, project_id, zip_path)
    figures = {"seconds": seconds, "start_mb": start_mb, "peak_mb": _status_mb("VmHWM")}
    print(json.dumps(figures))
    return 0


# --- report -------------------------------------------------------------------------------------


def report(
    ws: GeneratedWorkspace,
    export: ExportResult,
    imported: ImportResult,
    fixture: FixtureResult | None,
    footprints: dict[str, Footprint],
) -> str:
    ours, base = min(export.seconds), min(export.baseline_seconds)
    export_ratio = ours / base
    import_ratio = imported.seconds / imported.baseline_seconds
    rows: list[tuple[str, str, str, str, str, str]] = [
        (
            f"export to JSON ZIP (best of {len(export.seconds)})",
            f"{ours:7.2f} s",
            f"zipfile ZIP_DEFLATED {base:.2f} s",
            f"{export_ratio:5.2f}x",
            f"<= {EXPORT_RATIO_TARGET:g}x",
            verdict(export_ratio <= EXPORT_RATIO_TARGET),
        ),
        (
            "import of that ZIP (read + write + commit)",
            f"{imported.seconds:7.2f} s",
            f"bare executemany {imported.baseline_seconds:.2f} s",
            f"{import_ratio:5.2f}x",
            f"<= {IMPORT_RATIO_TARGET:g}x",
            verdict(import_ratio <= IMPORT_RATIO_TARGET),
        ),
    ]
    if fixture is not None:
        rows.append(
            (
                f"import of the real fixture (best of {len(fixture.seconds)})",
                f"{min(fixture.seconds):7.2f} s",
                "",
                "",
                "report",
                "",
            )
        )
    for mode, footprint in footprints.items():
        rows.append(
            (
                f"peak RSS of the {mode} (child, VmHWM)",
                f"{footprint.peak_mb:7.1f} MB",
                f"after imports {footprint.start_mb:.1f} MB",
                "",
                f"< {RSS_TARGET_MB:g} MB",
                verdict(footprint.peak_mb < RSS_TARGET_MB),
            )
        )
    counts = ws.counts
    lines = [
        f"Lorebase export/import benchmark: {ws.engine}, {counts.get('categories', 0):,} "
        f"categories, {counts.get('articles', 0):,} articles, "
        f"{counts.get('article_revisions', 0):,} article revisions "
        f"(generated in {ws.seconds:.1f} s)",
        "",
        *table_lines(RESULT_HEADS, rows),
        "",
        f"export: {export.entries:,} entries, {export.raw_bytes / 1e6:.1f} MB of JSON, "
        f"ZIP {export.zip_bytes / 1e6:.1f} MB (baseline ZIP {export.baseline_zip_bytes / 1e6:.1f}"
        " MB); runs (s): ours "
        + ", ".join(f"{s:.2f}" for s in export.seconds)
        + "; baseline "
        + ", ".join(f"{s:.2f}" for s in export.baseline_seconds)
        + f"; CPU of this process, best: ours {min(export.cpu):.2f} s, baseline "
        f"{min(export.baseline_cpu):.2f} s ({min(export.cpu) / min(export.baseline_cpu):.2f}x)",
        "import: rows written "
        + ", ".join(f"{name} {count:,}" for name, count in imported.rows.items()),
    ]
    if fixture is not None:
        lines.append(
            f"fixture: {fixture.categories} categories, {fixture.articles} articles, "
            f"{fixture.media} media files; runs (s): "
            + ", ".join(f"{s:.2f}" for s in fixture.seconds)
        )
    for mode, footprint in footprints.items():
        lines.append(f"{mode} child: {footprint.seconds:.2f} s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    workspace_arguments(parser)
    parser.add_argument("--runs", type=int, default=3, help="export runs (best is kept)")
    parser.add_argument("--fixture", type=Path, default=FIXTURE, help="a real export ZIP")
    # Internal: one measured export or import in a child process.
    parser.add_argument("--child", choices=("export", "import"), help=argparse.SUPPRESS)
    parser.add_argument("--project-id", help=argparse.SUPPRESS)
    parser.add_argument("--zip", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child_main(args.child, args.database_url, args.project_id, args.zip)

    started = time.perf_counter()
    with scratch_workspace(args, "lorebase-bench-exchange-") as (ws, folder):
        url = ws.database_url
        say(f"  done in {ws.seconds:.1f} s")
        with _engine_factory(url) as factory:
            say("export and its baseline...")
            export, zip_path = measure_export(factory, ws.project_id, folder, args.runs)
            say("import and its baseline...")
            imported, _ = measure_import(factory, zip_path)
            fixture = None
            if args.fixture.exists():
                say("import of the real fixture...")
                fixture = measure_fixture(factory, args.fixture, folder, args.runs)
            else:
                say(f"no fixture at {args.fixture}: its import is skipped")
            rss_project = _new_project(factory, "Import RSS")
        footprints = {}
        say("peak RSS: export child...")
        child_zip = folder / "child-export.zip"
        footprints["export"] = run_child(url, "export", ws.project_id, child_zip)
        say("peak RSS: import child...")
        footprints["import"] = run_child(url, "import", rss_project, zip_path)
    print(report(ws, export, imported, fixture, footprints))
    if fixture is None:
        print(f"fixture: skipped, no file at {args.fixture}")
    print(f"\nwall time of the whole run: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
