"""Markdown rendering benchmark: Lorebase's renderer vs markdown-it-py on the same 4 KB articles,
and a check that the API's `html_content` and the HTML export show the same rendering.

Generates --articles articles (bench/generate.py: headings, paragraphs, lists, fenced code,
tables, notes, links; about 4 KB each), publishes them all, and measures articles/s of:

- Lorebase: `lorebase.render.markdown_to_html` (cmark-gfm, then the nh3 sanitiser and heading
  ids). Every text is given to it once, so its cache of recent results never hits;
- the baseline named by the issue: markdown-it-py, CommonMark with its table and strikethrough
  rules (its "gfm-like" preset adds linkify, which needs linkify-it-py, not installed);
- for comparison, markdown-it-py followed by the same sanitiser (`sanitize_html`), the work
  Lorebase's renderer does in all.

The texts are split into --rounds disjoint slices; each round times every renderer on its
slice, in a rotating order, so that a drift of a shared machine touches them alike.

Then, for --sample published articles, the API's `html_content`
(`GET /v2/Articles/{id}/{lang}?isForDisplay=true&isPublished=true`, through the real app) with
code highlighted as the site does (`render.highlight.highlight_code`) must appear verbatim in
the article's page of the HTML export, once the page's scrolling wrappers around tables are
taken out: OK or FAIL.

    .venv/bin/python -m bench.render
    .venv/bin/python -m bench.render --articles 3000
    .venv/bin/python -m bench.render --database-url postgresql+psycopg://postgres@127.0.0.1/postgres

A ratio off target, or a page that differs, is reported and the exit status is 0: a benchmark
reports, it does not gate. A run with nothing to render exits 1.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fastapi.testclient import TestClient
from markdown_it import MarkdownIt
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

if __package__ in (None, ""):  # run as `python bench/render.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.exchange import _engine_factory
from bench.generate import generate_workspace, scratch_database
from bench.html_site import publish_everything
from bench.reads import UNLIMITED
from bench.report import SCRATCH_DATABASE_HELP, engine_name, say, table_lines
from lorebase.app import create_app
from lorebase.db.models import Article, ArticleRevision, ArticleTranslation
from lorebase.exchange.formats import EXPORT_WRITERS
from lorebase.render import markdown_to_html, sanitize_html
from lorebase.render.highlight import highlight_code
from lorebase.settings import Settings


@dataclass
class PublishedBody:
    id: str
    language: str
    markdown: str


@dataclass
class Timing:
    seconds: float = 0.0
    articles: int = 0
    bytes: int = 0
    rounds: list[float] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.articles / self.seconds


def published_articles(factory: sessionmaker[Session], workspace_id: str) -> list[PublishedBody]:
    """Every published article language, each distinct body once."""
    with factory() as session:
        rows = session.execute(
            select(
                ArticleRevision.article_id, ArticleRevision.language_code, ArticleRevision.content
            )
            .join(
                ArticleTranslation,
                (ArticleTranslation.article_id == ArticleRevision.article_id)
                & (ArticleTranslation.language_code == ArticleRevision.language_code)
                & (ArticleTranslation.public_version == ArticleRevision.version_number),
            )
            .join(Article, Article.id == ArticleRevision.article_id)
            .where(Article.project_version_id == workspace_id)
            .order_by(ArticleRevision.id)
        ).all()
    seen: set[str] = set()
    found = []
    for article_id, code, content in rows:
        if content and content not in seen:
            seen.add(content)
            found.append(PublishedBody(article_id, code, content))
    return found


def markdown_it_renderer() -> Callable[[str], str]:
    parser = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    render: Callable[[str], str] = parser.render
    return render


def measure(
    renderers: dict[str, Callable[[str], str]], texts: list[str], rounds: int
) -> dict[str, Timing]:
    timings = {name: Timing() for name in renderers}
    names = list(renderers)
    for number in range(rounds):
        part = texts[number::rounds]
        size = sum(len(t.encode()) for t in part)
        order = names[number % len(names) :] + names[: number % len(names)]
        for name in order:
            render = renderers[name]
            started = time.perf_counter()
            for text in part:
                render(text)
            elapsed = time.perf_counter() - started
            timing = timings[name]
            timing.seconds += elapsed
            timing.articles += len(part)
            timing.bytes += size
            timing.rounds.append(len(part) / elapsed)
    return timings


# --- the API and the HTML export render alike ----------------------------------------------------


@dataclass
class Agreement:
    checked: int
    differing: list[str]


def api_matches_export(
    url: str,
    admin_token: str,
    project_id: str,
    factory: sessionmaker[Session],
    sample: list[PublishedBody],
    folder: Path,
) -> Agreement:
    out = io.BytesIO()
    with factory() as session:
        EXPORT_WRITERS["html"](session, project_id, out)
    with zipfile.ZipFile(out) as archive:
        pages = {
            name: _without_table_wraps(archive.read(name).decode())
            for name in archive.namelist()
            if name.endswith(".html")
        }
    # The sample may exceed the default rate limit: UNLIMITED, whatever the environment says.
    settings = Settings.model_validate(
        {**UNLIMITED, "data_dir": folder / "data", "database_url": url, "workers": 0}
    )
    differing = []
    app = create_app(settings)
    with TestClient(app) as client:
        for item in sample:
            response = client.get(
                f"/v2/Articles/{item.id}/{item.language}",
                params={"isForDisplay": "true", "isPublished": "true"},
                headers={"api_token": admin_token},
            )
            response.raise_for_status()
            expected = highlight_code(response.json()["data"]["html_content"])
            own = [name for name in pages if f"/{item.language}/" in name]
            if not any(expected in pages[name] for name in own):
                differing.append(f"{item.id}/{item.language}")
    app.state.engine.dispose()
    return Agreement(len(sample), differing)


def _without_table_wraps(page: str) -> str:
    # The site wraps each table in a scrolling <div> (phones): layout, not rendering.
    return page.replace('<div class="table-wrap"><table', "<table").replace(
        "</table></div>", "</table>"
    )


# --- report --------------------------------------------------------------------------------------


def report(
    engine: str, articles: list[PublishedBody], timings: dict[str, Timing], agreement: Agreement
) -> str:
    ours = timings["Lorebase markdown_to_html"]
    base = timings["markdown-it-py"]
    ratio = ours.per_second / base.per_second
    size = sum(len(a.markdown.encode()) for a in articles) / len(articles)
    heads = ("renderer", "articles/s", "per round", "MB/s", "vs markdown-it-py")
    rows = [
        (
            name,
            f"{t.per_second:,.0f}",
            ", ".join(f"{r:,.0f}" for r in t.rounds),
            f"{t.bytes / t.seconds / 1e6:.2f}",
            f"{t.per_second / base.per_second:.2f}x",
        )
        for name, t in timings.items()
    ]
    agreed = agreement.checked - len(agreement.differing)
    lines = [
        f"Markdown rendering benchmark: {engine}, {len(articles):,} distinct published article "
        f"bodies, {size / 1024:.1f} KB on average",
        "",
        *table_lines(heads, rows),
        "",
        f"Lorebase / markdown-it-py: {ratio:.1f}x (the issue's figures: ~200 vs 2,500-4,500/s)",
        f"API html_content == HTML export page body: {agreed}/{agreement.checked} articles "
        + ("OK" if not agreement.differing else "FAIL: " + ", ".join(agreement.differing[:5])),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help=SCRATCH_DATABASE_HELP)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sample", type=int, default=50, help="articles checked API vs export")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    with (
        scratch_database(args.database_url) as url,
        tempfile.TemporaryDirectory(prefix="lorebase-bench-render-") as temp,
    ):
        say("generating the articles...")
        ws = generate_workspace(
            url, categories=max(1, args.articles // 10), articles=args.articles, seed=args.seed
        )
        with _engine_factory(url) as factory:
            publish_everything(factory, ws.workspace_id)
            articles = published_articles(factory, ws.workspace_id)
            if not articles:
                raise RuntimeError("the workspace has no published article body: nothing to render")
            texts = [a.markdown for a in articles]
            renderers = {
                "Lorebase markdown_to_html": markdown_to_html,
                "markdown-it-py": markdown_it_renderer(),
                "markdown-it-py + sanitize_html": _sanitised(markdown_it_renderer()),
            }
            # Imports, lazy tables and the lexers' first use stay out of the timings; these
            # texts are not among the measured ones, so the renderer's cache stays cold.
            warm_up = [f"{t}\n\nwarm-up {i}\n" for i, t in enumerate(texts[:20])]
            for render in renderers.values():
                for text in warm_up:
                    render(text)
            say("rendering...")
            timings = measure(renderers, texts, args.rounds)
            say("API vs HTML export...")
            sample = random.Random(args.seed).sample(articles, min(args.sample, len(articles)))
            agreement = api_matches_export(
                url, ws.admin_token, ws.project_id, factory, sample, Path(temp)
            )
    print(report(engine_name(url), articles, timings, agreement))
    return 0


def _sanitised(render: Callable[[str], str]) -> Callable[[str], str]:
    def render_and_sanitise(source: str) -> str:
        return sanitize_html(render(source))

    return render_and_sanitise


if __name__ == "__main__":
    sys.exit(main())
