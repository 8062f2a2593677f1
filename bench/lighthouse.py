"""Lighthouse on the live reader site: an article page of the real Document360 export.

Imports the export beside the repository (`../shared/fixtures/...`, as bench/search.py does:
first start, then `lorebase import FILE --publish`), starts `lorebase serve`
(`bench.reads.running_server`) and runs Lighthouse 12 (mobile, its default form factor) on one
article page with Debian's chromium, then prints the four category scores against the targets
(performance >= 95, accessibility 100, best practices >= 95, SEO 100) and the audits that cost
points. Lighthouse is installed with npm at run time into --lighthouse-dir (default /tmp/lh),
never in CI: this script has no smoke test.

    .venv/bin/python -m bench.lighthouse
    .venv/bin/python -m bench.lighthouse --page /docs/some-article --form-factor desktop

A score off its target is reported (FAIL) and the exit status is 0. No fixture, npm or
Lighthouse failing, or a page that does not answer 200: exit 1 with the reason.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import httpx

if __package__ in (None, ""):  # run as `python bench/lighthouse.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate import scratch_database
from bench.reads import running_server
from bench.report import engine_name, say, verdict
from bench.search import FIXTURE, import_fixture

TARGETS = {"performance": 95, "accessibility": 100, "best-practices": 95, "seo": 100}
CHROME = "/usr/bin/chromium"
_LOC = re.compile(r"<loc>([^<]+)</loc>")


def lighthouse_binary(folder: Path) -> Path:
    """Lighthouse 12 in `folder` (npm install --prefix), installed when missing."""
    binary = folder / "node_modules" / ".bin" / "lighthouse"
    if binary.exists():
        return binary
    say(f"npm install --prefix {folder} lighthouse@12 ...")
    done = subprocess.run(
        ["npm", "install", "--prefix", str(folder), "lighthouse@12", "--no-audit", "--no-fund"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or not binary.exists():
        raise RuntimeError(
            f"npm install lighthouse@12 failed (exit {done.returncode}):\n"
            f"{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        )
    return binary


def article_page(base_url: str) -> str:
    """The first article of the largest sitemap (the workspace the import filled)."""
    with httpx.Client(base_url=base_url, timeout=60) as client:
        index = client.get("/sitemap.xml")
        index.raise_for_status()
        best: list[str] = []
        for location in _LOC.findall(index.text):
            sitemap = client.get(urlsplit(location).path)
            sitemap.raise_for_status()
            urls = [urlsplit(u).path for u in _LOC.findall(sitemap.text)]
            articles = [u for u in urls if "/docs/" in u and "/category/" not in u]
            if len(articles) > len(best):
                best = [u for u in articles if not u.endswith("/docs")]
    if not best:
        raise RuntimeError("no article in any sitemap")
    return best[0]


def run_lighthouse(binary: Path, url: str, form_factor: str, out: Path) -> dict[str, object]:
    command = [
        str(binary),
        url,
        "--output=json",
        f"--output-path={out}",
        "--quiet",
        "--chrome-flags=--headless=new --no-sandbox",
        "--only-categories=performance,accessibility,best-practices,seo",
    ]
    if form_factor == "desktop":
        command.append("--preset=desktop")
    done = subprocess.run(
        command,
        env={**os.environ, "CHROME_PATH": CHROME},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or not out.exists():
        raise RuntimeError(f"lighthouse exited {done.returncode}:\n{done.stderr[-3000:]}")
    report: dict[str, object] = json.loads(out.read_text())
    return report


def report(result: dict[str, object], engine: str, page: str, form_factor: str) -> str:
    categories: dict[str, dict[str, object]] = result["categories"]  # type: ignore[assignment]
    audits: dict[str, dict[str, object]] = result["audits"]  # type: ignore[assignment]
    lines = [
        f"Lorebase Lighthouse benchmark: {engine}, {FIXTURE.name}, {page} "
        f"(Lighthouse {result.get('lighthouseVersion')}, {form_factor})",
        "",
    ]
    for name, target in TARGETS.items():
        score = round(float(categories[name]["score"] or 0) * 100)  # type: ignore[arg-type]
        sign = ">=" if target < 100 else "=="
        lines.append(
            f"{categories[name]['title']:<16} {score:4d}   target {sign} {target}   "
            + verdict(score >= target)
        )
    lines.append("")
    for metric in (
        "first-contentful-paint",
        "largest-contentful-paint",
        "total-blocking-time",
        "cumulative-layout-shift",
        "speed-index",
    ):
        if metric in audits:
            lines.append(f"  {audits[metric]['title']}: {audits[metric].get('displayValue', '')}")
    lines.append("audits that cost points:")
    for name in TARGETS:
        for ref in categories[name]["auditRefs"]:  # type: ignore[attr-defined]
            audit = audits.get(ref["id"], {})
            score = audit.get("score")
            if ref.get("weight") and score is not None and float(score) < 1:  # type: ignore[arg-type]
                shown = audit.get("displayValue") or ""
                lines.append(f"  [{name}] {ref['id']}: score {score} {shown}".rstrip())
                lines += [f"      {item}" for item in _items(audit)]
    return "\n".join(lines)


def _items(audit: dict[str, object], limit: int = 3) -> list[str]:
    """The first elements or messages an audit names (what to fix), one line each."""
    details = audit.get("details")
    items = details.get("items", []) if isinstance(details, dict) else []
    shown = []
    for item in items[:limit]:
        node = item.get("node") if isinstance(item, dict) else None
        if isinstance(node, dict):
            text = f"{node.get('selector', '')}: {node.get('snippet', '')}"
        elif isinstance(item, dict):
            located = item.get("sourceLocation")
            where = located.get("url") if isinstance(located, dict) else None
            said = [str(v) for v in (item.get("description"), item.get("url"), where) if v]
            text = " ".join(said) or str(item)
        else:
            text = str(item)
        shown.append(" ".join(text.split())[:200])
    return shown


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL server URL; default: SQLite")
    parser.add_argument("--fixture", type=Path, default=FIXTURE)
    parser.add_argument("--page", help="path of the page to audit (default: an article)")
    parser.add_argument("--form-factor", choices=("mobile", "desktop"), default="mobile")
    parser.add_argument("--lighthouse-dir", type=Path, default=Path("/tmp/lh"))
    args = parser.parse_args(argv)
    if not args.fixture.exists():
        print(f"no fixture at {args.fixture}", file=sys.stderr)
        return 1
    try:
        binary = lighthouse_binary(args.lighthouse_dir)
        with (
            scratch_database(args.database_url) as url,
            tempfile.TemporaryDirectory(prefix="lorebase-bench-lighthouse-") as data,
        ):
            say(f"importing {args.fixture.name}...")
            import_fixture(url, Path(data), args.fixture)
            with running_server(url, Path(data), "cli") as server:
                page = args.page or article_page(server.base_url)
                answered = httpx.get(server.base_url + page, timeout=60)
                if answered.status_code != 200:
                    raise RuntimeError(f"GET {page}: HTTP {answered.status_code}")
                say(f"lighthouse {server.base_url}{page} ...")
                result = run_lighthouse(
                    binary, server.base_url + page, args.form_factor, Path(data) / "lh.json"
                )
    except (RuntimeError, httpx.HTTPError) as error:
        print(f"the Lighthouse benchmark measured nothing: {error}", file=sys.stderr)
        return 1
    print(report(result, engine_name(url), page, args.form_factor))
    return 0


if __name__ == "__main__":
    sys.exit(main())
