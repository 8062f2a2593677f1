"""`lorebase export` and `lorebase import`: locally on the database (the job runs in the
command's process) and remotely against a live `lorebase serve` through its API."""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from lorebase.cli import app
from lorebase.db.models import Job
from lorebase.jobs import queue
from lorebase.kb import workspaces
from tests.api.v2.test_project_exchange import index_of, titles
from tests.e2e.test_live_server import Server, free_port, run_cli
from tests.exchange.test_jsonzip_writer import build_kb


def lorebase(project: Any, *args: str) -> Any:
    """Run the command in this process on the project's database and data folder."""
    settings = project.settings
    return CliRunner().invoke(
        app,
        [
            *args,
            "--data-dir",
            str(settings.data_dir),
            "--database-url",
            settings.resolved_database_url(),
        ],
    )


def assert_clean(result: Any) -> None:
    """Ended by an exit code, never by an uncaught exception (a traceback for the user)."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


def export_to(project: Any, output: Path, *options: str) -> Any:
    result = lorebase(project, "export", "--output", str(output), *options)
    assert result.exit_code == 0, result.output
    return result


def second_project(project: Any) -> tuple[str, str]:
    """Another project on the same database, with French enabled and an owner: (id, owner)."""
    with project.session() as session:
        target = workspaces.create_project(session, "Copy")
        workspace = workspaces.workspaces(session, target.id)[0]
        workspaces.add_language(session, workspace.id, "fr")
        owner = workspaces.create_user(
            session,
            target.id,
            email="copy@example.com",
            first_name="Copy",
            role=workspaces.OWNER_ROLE,
        )
        return target.id, owner.id


def jobs(project: Any, kind: str) -> list[Job]:
    with project.session() as session:
        return list(session.scalars(select(Job).where(Job.kind == kind)))


def not_an_export() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "not a knowledge base")
    return buffer.getvalue()


# --------------------------------------------------------------------------- local mode


def test_local_export_writes_the_project_zip_and_a_summary(project, tmp_path):
    build_kb(project)
    output = tmp_path / "kb.zip"

    result = export_to(project, output)

    with zipfile.ZipFile(output) as archive:
        assert archive.testzip() is None
        assert titles(index_of(archive)) == ["Guides", "Advanced", "Welcome"]
        assert "lorebase-manifest.json" in archive.namelist()
    summary = dict(line.split(":", 1) for line in result.stdout.splitlines())
    assert summary["categories"].strip() == "3" and summary["articles"].strip() == "2"
    assert summary["written to"].strip() == str(output)
    assert [job.status for job in jobs(project, "export")] == ["Completed"]
    # Staged next to the output and renamed: nothing else is left in the folder.
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".kb.zip")] == []


def test_local_export_selects_categories_and_languages(project, tmp_path):
    ids = build_kb(project)
    advanced, french = tmp_path / "advanced.zip", tmp_path / "french.zip"

    export_to(project, advanced, "--category", ids["advanced"])
    export_to(project, french, "--language", "FR", "--modified-after", "2000-01-01")

    with zipfile.ZipFile(advanced) as archive:
        assert titles(index_of(archive)) == ["Advanced"]
    with zipfile.ZipFile(french) as archive:
        assert index_of(archive)["Languages"] == ["fr"]


def test_local_export_is_not_held_to_the_daily_api_quota(project, tmp_path):
    build_kb(project)
    for attempt in range(3):  # the API allows 2 a day by default
        export_to(project, tmp_path / f"kb-{attempt}.zip", "--exclude-media")
    assert len(jobs(project, "export")) == 3


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--workspace", "nope"], "version id nope does not exist in your project"),
        (["--category", "nope"], "Unable to find the category with id nope"),
        (["--language", "xx"], "'xx' is not enabled"),
        (["--modified-after", "last week"], "is not an ISO 8601 date"),
        (["--project", "nope"], "No project with id nope"),
    ],
)
def test_local_export_refuses_bad_options_before_queueing(project, tmp_path, options, message):
    output = tmp_path / "kb.zip"

    result = lorebase(project, "export", "--output", str(output), *options)

    assert result.exit_code == 2
    assert message in result.stderr
    assert_clean(result)
    assert not output.exists() and jobs(project, "export") == []


def test_local_export_in_the_other_formats(project, tmp_path):
    build_kb(project)

    export_to(project, tmp_path / "site.zip", "--format", "html")
    export_to(project, tmp_path / "md.zip", "--format", "Markdown")
    refused = lorebase(project, "export", "--output", str(tmp_path / "x.zip"), "--format", "docx")

    with zipfile.ZipFile(tmp_path / "site.zip") as archive:
        assert {"index.html", "assets/site.js", "v1/en/search.js"} <= set(archive.namelist())
    with zipfile.ZipFile(tmp_path / "md.zip") as archive:
        assert "lorebase-markdown.json" in archive.namelist()
    assert refused.exit_code == 2
    assert "--format 'docx' is not supported; use one of: html, json, markdown" in refused.stderr
    assert not (tmp_path / "x.zip").exists()


def test_local_export_refuses_an_output_in_a_missing_folder(project, tmp_path):
    result = lorebase(project, "export", "--output", str(tmp_path / "missing" / "kb.zip"))
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


def test_local_import_into_another_project_gives_the_same_knowledge_base(project, tmp_path):
    build_kb(project)
    original = tmp_path / "original.zip"
    export_to(project, original)
    copy_id, copy_owner = second_project(project)

    # No --import-by: the import is recorded as the target project's owner.
    imported = lorebase(project, "import", str(original), "--project", copy_id)

    assert imported.exit_code == 0, imported.output
    assert "Imported 3 categories, 2 articles" in imported.stdout
    with project.session() as session:
        job = session.scalars(select(Job).where(Job.kind == "import")).one()
        assert job.project_id == copy_id and job.params["user_id"] == copy_owner
    again = tmp_path / "copy.zip"
    export_to(project, again, "--project", copy_id)
    with zipfile.ZipFile(original) as first, zipfile.ZipFile(again) as second:
        assert titles(index_of(second)) == titles(index_of(first))
        assert index_of(second)["Languages"] == index_of(first)["Languages"]


def test_local_import_of_an_archive_that_is_no_export_fails_with_the_reason(project, tmp_path):
    bad = tmp_path / "notes.zip"
    bad.write_bytes(not_an_export())

    result = lorebase(project, "import", str(bad), "--import-by", project.owner_id)

    assert result.exit_code == 1
    assert "the import failed: Nothing was imported" in result.stderr
    assert_clean(result)
    assert [job.status for job in jobs(project, "import")] == ["Error"]
    # The job dropped its copy of the upload.
    assert list(project.client.app.state.runtime.blobs.list("imports/")) == []


def test_local_import_refuses_what_is_not_a_zip_or_not_there(project, tmp_path):
    text = tmp_path / "kb.zip"
    text.write_text("hello")
    result = lorebase(project, "import", str(text))
    assert result.exit_code == 2 and "is not a ZIP archive" in result.stderr

    missing = lorebase(project, "import", str(tmp_path / "missing.zip"))
    assert missing.exit_code == 2 and "does not exist" in missing.output
    assert jobs(project, "import") == []


def test_local_import_refuses_an_unknown_importer(project, tmp_path):
    archive = tmp_path / "kb.zip"
    archive.write_bytes(not_an_export())
    result = lorebase(project, "import", str(archive), "--import-by", "nobody")
    assert result.exit_code == 2
    assert "You are not authorized to perform this activity." in result.stderr
    assert jobs(project, "import") == []


def test_a_queued_job_is_claimed_by_id_once(project):
    """What lets the command run its own job while a server's workers share the queue."""
    factory = project.client.app.state.runtime.session_factory
    lease = timedelta(seconds=60)
    with project.session() as session:
        job_id = queue.enqueue(session, project.project_id, "export", {}).id

    claimed = queue.claim_job(factory, job_id, "cli", lease)

    assert claimed is not None and claimed.status == queue.IN_PROGRESS
    assert claimed.lease_owner == "cli" and claimed.attempts == 1
    assert claimed.started_at is not None
    assert queue.claim_job(factory, job_id, "server", lease) is None
    assert queue.complete(factory, job_id, "cli", None)
    assert queue.claim_job(factory, job_id, "cli", lease) is None


# --------------------------------------------------------------------------- remote mode


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[Server]:
    running = Server(tmp_path / "data", database_url)
    yield running
    running.stop()


def remote_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOREBASE_")}
    return {**env, **extra}


def load_demo(tmp_path: Path, database_url: str) -> None:
    """The demo knowledge base in the live server's database."""
    loaded = run_cli(
        "demo",
        "--data-dir",
        str(tmp_path / "data"),
        env={**os.environ, "LOREBASE_DATABASE_URL": database_url},
    )
    assert loaded.returncode == 0, loaded.stderr


def test_remote_export_and_import_through_a_live_server(server, tmp_path, database_url):
    load_demo(tmp_path, database_url)
    output = tmp_path / "remote.zip"

    exported = run_cli(
        "export",
        "--url",
        server.base,
        "--token",
        server.token,
        "--output",
        str(output),
        env=remote_env(),
    )

    assert exported.returncode == 0, exported.stderr
    assert str(output) in exported.stdout
    with zipfile.ZipFile(output) as archive:
        assert archive.testzip() is None
        assert len(titles(index_of(archive))) == 3

    # The URL and token may come from the environment.
    imported = run_cli(
        "import",
        str(output),
        env=remote_env(LOREBASE_URL=server.base, LOREBASE_TOKEN=server.token),
    )

    assert imported.returncode == 0, imported.stderr
    assert "Imported 3 categories, 3 articles" in imported.stdout


def test_remote_export_of_a_v3_only_format_takes_one_workspace(server, tmp_path, database_url):
    load_demo(tmp_path, database_url)
    versions = httpx.get(
        f"{server.base}/v2/ProjectVersions", headers={"api_token": server.token}
    ).json()["data"]
    output = tmp_path / "kb.zip"
    common = ["--url", server.base, "--token", server.token, "--output", str(output)]

    unscoped = run_cli("export", *common, "--format", "markdown", env=remote_env())
    exported = run_cli(
        "export",
        *common,
        "--format",
        "markdown",
        "--workspace",
        versions[0]["id"],
        env=remote_env(),
    )

    unknown = run_cli(
        "export",
        *common,
        "--format",
        "pdf",
        "--workspace",
        versions[0]["id"],
        "--language",
        "xx",
        env=remote_env(),
    )

    assert unscoped.returncode == 2
    assert "exports one workspace: give exactly one --workspace" in unscoped.stderr
    # The v3 problem's detail, not its JSON.
    assert unknown.returncode == 1
    assert "422 Unprocessable Entity: The language 'xx' is not enabled" in unknown.stderr
    assert exported.returncode == 0, exported.stderr
    with zipfile.ZipFile(output) as archive:
        assert "lorebase-markdown.json" in archive.namelist()


def test_remote_errors_are_the_servers_messages(server, tmp_path):
    output = tmp_path / "kb.zip"
    common = ["--url", server.base, "--output", str(output)]

    unknown = run_cli(
        "export", *common, "--token", server.token, "--workspace", "nope", env=remote_env()
    )
    assert unknown.returncode == 2
    assert "version id nope does not exist in your project" in unknown.stderr

    refused = run_cli("export", *common, "--token", "lb_wrong", env=remote_env())
    assert refused.returncode == 1 and "401" in refused.stderr

    bad = tmp_path / "notes.zip"
    bad.write_bytes(not_an_export())
    failed = run_cli(
        "import", str(bad), "--url", server.base, "--token", server.token, env=remote_env()
    )
    assert failed.returncode == 1
    assert "the import failed: Nothing was imported" in failed.stderr
    for result in (unknown, refused, failed):
        assert "Traceback" not in result.stderr
    assert not output.exists()


def test_remote_mode_explains_an_unreachable_server_and_missing_token(tmp_path):
    output = str(tmp_path / "kb.zip")
    url = f"http://127.0.0.1:{free_port()}"

    unreachable = run_cli("export", "--url", url, "--token", "t", "-o", output, env=remote_env())
    assert unreachable.returncode == 1
    assert f"cannot reach {url}/" in unreachable.stderr

    tokenless = run_cli("export", "--url", url, "-o", output, env=remote_env())
    assert tokenless.returncode == 2 and "--url needs --token" in tokenless.stderr
    for result in (unreachable, tokenless):
        assert "Traceback" not in result.stderr
