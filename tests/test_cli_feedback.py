"""`lorebase feedback export` and `lorebase feedback misses` on the project's database, run in
this process through typer's runner. Both databases."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from lorebase.cli import app
from lorebase.db.models import ProjectVersion
from lorebase.kb import feedback, workspaces
from tests.conftest import Project
from tests.kb.test_feedback import Content


def lorebase(project: Project, *args: str) -> Any:
    settings = project.settings
    ran = CliRunner().invoke(
        app,
        [
            *args,
            "--data-dir",
            str(settings.data_dir),
            "--database-url",
            settings.resolved_database_url(),
        ],
    )
    # Ended by an exit code, never by an uncaught exception (a traceback).
    assert ran.exception is None or isinstance(ran.exception, SystemExit), ran.exception
    return ran


@pytest.fixture
def answered(project: Project) -> str:
    """An article with two answers, one a comment that a spreadsheet would run."""
    content = Content(project)
    install = content.article("Install")
    content.answer(install, True)
    content.answer(install, False, "other", "=cmd|' /C calc'!A0")
    return install


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_export_writes_the_csv_to_stdout(project: Project, answered: str) -> None:
    ran = lorebase(project, "feedback", "export")

    assert ran.exit_code == 0, ran.stderr
    rows = rows_of(ran.stdout)
    assert [(r["article_id"], r["helpful"]) for r in rows] == [(answered, "yes"), (answered, "no")]
    assert rows[1]["comment"] == "'=cmd|' /C calc'!A0"
    assert rows[0]["article_title"] == "Install"
    assert "Wrote 2 answers." in ran.stderr


def test_export_to_a_file_and_of_one_workspace(
    project: Project, answered: str, tmp_path: Path
) -> None:
    output = tmp_path / "feedback.csv"
    with project.session() as session:
        slug = workspaces.find_workspace(session, project.project_id, project.workspace_id)
        assert slug is not None
        session.add(
            ProjectVersion(project_id=project.project_id, version_code_name="Two", slug="two")
        )

    by_slug = lorebase(
        project, "feedback", "export", "--output", str(output), "--workspace", slug.workspace.slug
    )

    assert by_slug.exit_code == 0, by_slug.stderr
    assert by_slug.stdout == ""
    assert f"Wrote 2 answers to {output}." in " ".join(by_slug.stderr.split())
    text = output.read_bytes().decode("utf-8")  # as written: RFC 4180 line ends
    assert text.startswith(",".join(feedback.CSV_COLUMNS) + "\r\n")
    assert len(rows_of(text)) == 2
    empty = lorebase(project, "feedback", "export", "--workspace", "two")
    assert empty.exit_code == 0 and rows_of(empty.stdout) == []
    by_id = lorebase(project, "feedback", "export", "--workspace", project.workspace_id)
    assert len(rows_of(by_id.stdout)) == 2


def test_export_refuses_an_unknown_workspace_or_folder(project: Project, tmp_path: Path) -> None:
    unknown = lorebase(project, "feedback", "export", "--workspace", "nowhere")
    assert unknown.exit_code == 2
    assert "No workspace with the id or slug 'nowhere'" in unknown.stderr
    missing = lorebase(project, "feedback", "export", "--output", str(tmp_path / "no" / "x.csv"))
    assert missing.exit_code == 2 and "does not exist" in missing.stderr


def test_misses_lists_the_searches_that_found_nothing(project: Project) -> None:
    project.add_language("fr")
    with project.session() as session:
        for query in ("Proxy", "proxy", "[bold]markup[/bold] stays text"):
            feedback.record_search_miss(session, project.workspace_id, "en", query)
        feedback.record_search_miss(session, project.workspace_id, "fr", "mot de passe")

    ran = lorebase(project, "feedback", "misses")

    assert ran.exit_code == 0, ran.stderr
    lines = [line for line in ran.stdout.splitlines() if "│" in line or "┃" in line]
    assert "query" in lines[0] and "count" in lines[0]
    assert "proxy" in lines[1] and "2" in lines[1]
    assert "[bold]markup[/bold] stays text" in ran.stdout
    assert "mot de passe" in ran.stdout
    french = lorebase(project, "feedback", "misses", "--lang", "fr")
    assert "mot de passe" in french.stdout and "proxy" not in french.stdout


def test_misses_says_so_when_there_are_none(project: Project) -> None:
    ran = lorebase(project, "feedback", "misses", "--workspace", project.workspace_id)
    assert ran.exit_code == 0
    assert ran.stdout == ""
    assert "No search has come back empty yet." in ran.stderr
