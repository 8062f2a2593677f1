"""What every benchmark prints alike: the options that size its generated workspace, progress on
stderr, and the report's figures (percentiles, gzip sizes), PASS/FAIL and result table."""

from __future__ import annotations

import argparse
import gzip
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.generate import GeneratedWorkspace

SCRATCH_DATABASE_HELP = (
    "PostgreSQL server URL (a scratch database is created there and dropped); "
    "default: SQLite in a temp directory"
)
GZIP_LEVEL = 6  # nginx's and most CDNs' default
# The columns of a benchmark's result table: each figure beside a baseline taken in the same run.
RESULT_HEADS = ("measure", "value", "baseline (same run)", "ratio", "target", "result")


def workspace_arguments(
    parser: argparse.ArgumentParser,
    *,
    categories: int | None = 1000,
    articles: int = 10000,
    categories_help: str | None = None,
    articles_help: str | None = None,
    database_url_help: str = SCRATCH_DATABASE_HELP,
) -> None:
    """--database-url, and the size and seed of the workspace bench/generate.py makes there:
    --categories, --articles, --seed."""
    parser.add_argument("--database-url", help=database_url_help)
    parser.add_argument("--categories", type=int, default=categories, help=categories_help)
    parser.add_argument("--articles", type=int, default=articles, help=articles_help)
    parser.add_argument("--seed", type=int, default=0)


def exit_status(benchmark: str, run: Callable[[], int]) -> int:
    """`run()`'s exit status, or 1 when it raised RuntimeError: the benchmark measured nothing
    (a phase in which no request was answered, a page missing), and says why on stderr."""
    try:
        return run()
    except RuntimeError as error:
        print(f"the {benchmark} benchmark measured nothing: {error}", file=sys.stderr)
        return 1


def engine_name(database_url: str) -> str:
    return "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"


def say(message: str) -> None:
    """Progress goes to stderr: standard output is the report."""
    print(message, file=sys.stderr, flush=True)


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def gzip_size(data: bytes) -> int:
    return len(gzip.compress(data, GZIP_LEVEL))


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def workspace_heading(title: str, engine: str, ws: GeneratedWorkspace) -> str:
    """A report's first line: the database engine and the generated workspace's size."""
    return (
        f"{title}: {engine}, {ws.counts.get('categories', 0):,} categories, "
        f"{ws.counts.get('articles', 0):,} articles (generated in {ws.seconds:.1f} s)"
    )


def table_lines(
    heads: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    right_from: int | None = None,
    rule: bool = True,
    strip: bool = False,
) -> list[str]:
    """The heads and rows in columns two spaces apart, each as wide as its widest cell, a rule
    of dashes under the heads. Columns from `right_from` on (numbers) are right-aligned; with
    `strip`, no line ends in spaces."""
    widths = [max(len(r[i]) for r in [heads, *rows]) for i in range(len(heads))]

    def line(cells: Sequence[str]) -> str:
        text = "  ".join(
            c.rjust(w) if right_from is not None and i >= right_from else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )
        return text.rstrip() if strip else text

    lines = [line(heads)]
    if rule:
        lines.append("  ".join("-" * w for w in widths))
    return lines + [line(r) for r in rows]


@dataclass
class GzipSizes:
    """What the browser downloads for a page: each file's (name, bytes, gzip bytes)."""

    files: list[tuple[str, int, int]]

    @property
    def gzip_kb(self) -> float:
        return sum(g for _, _, g in self.files) / 1024

    @property
    def raw_kb(self) -> float:
        return sum(r for _, r, _ in self.files) / 1024

    def row(self, measure: str, target_kb: float) -> tuple[str, str, str, str, str, str]:
        """The result-table row (RESULT_HEADS): the gzip size against `target_kb`."""
        return (
            measure,
            f"{self.gzip_kb:.1f} KB",
            f"uncompressed {self.raw_kb:.1f} KB",
            f"{self.gzip_kb / self.raw_kb:.2f}x" if self.raw_kb else "",
            f"<= {target_kb:g} KB",
            verdict(self.gzip_kb <= target_kb),
        )

    def listing(self) -> str:
        return ", ".join(
            f"{name.rsplit('/', 1)[-1]} {raw / 1024:.1f} -> {gz / 1024:.1f} KB"
            for name, raw, gz in self.files
        )
