"""`lorebase mirror` against a live source Lorebase: what it copies, what it sends, and how it
resumes, catches up and fails."""

from __future__ import annotations

import re
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select, update

from lorebase.db.models import (
    Article,
    ArticleTranslation,
    Category,
    DriveFile,
    MirrorItem,
    ProjectVersion,
    User,
)
from lorebase.kb import articles, categories, drive, workspaces
from lorebase.mirror.run import PREFETCH
from tests.e2e.test_live_server import LOREBASE, free_port
from tests.exchange.test_jsonzip_reader import FIXTURE, needs_real_export
from tests.mirror.compare import differences, snapshot
from tests.mirror.conftest import FaultProxy, SourceServer, Target, build_project

pytestmark = pytest.mark.timeout(180)


def assert_same(source: SourceServer, target: Target) -> None:
    with target.client() as client:
        copied = snapshot(client)
    assert differences(snapshot(source.api), copied) == []


def summary(stdout: str, name: str) -> str:
    found = re.search(rf"^{name}:\s+(.*)$", stdout, re.MULTILINE)
    assert found, stdout
    return found.group(1)


def test_mirror_copies_the_project_with_its_ids_bodies_revisions_settings_and_media(
    source: SourceServer, proxy: FaultProxy, target: Target
) -> None:
    small = build_project(source)
    done = target.run(proxy.base, source.token)
    assert done.returncode == 0, done.stderr
    assert_same(source, target)
    # One content request per article language, one more where a draft sits on top of the
    # published revision, one for settings; nothing else grows with the project.
    languages = 12 + 4  # every article in English, four in French
    drafts_on_published = 2  # articles 1 and 6 (11 was never published)
    assert len(proxy.article_reads()) == languages
    versions = [p for p in proxy.paths("/v2/Articles/") if "/versions/" in p]
    assert len(versions) == drafts_on_published
    assert f"{languages} article languages" in summary(done.stdout, "Copied")
    with target.session() as session:
        image = session.get(DriveFile, small.file_url.split("/")[-2])
        assert image is not None and image.file_name == "logo.png"
        writer = session.get(User, small.editor_id)
        assert writer is not None and writer.password_hash is None
    with target.client() as client:
        body = client.get(f"/v2/Articles/{small.articles[0]}/en").json()["data"]["content"]
        path = f"/media/{image.project_id}/{image.id}/logo.png"
        assert small.file_url not in body and path in body
        assert client.get(path).content == source.api.get(small.file_url).content
    assert "unresolved merge code: {{variable.Product}}" in done.stdout
    # The icon and the featured image are copied too, and linked to the copies.
    with target.client() as client:
        icon = client.get(f"/v2/Categories/{small.guide}").json()["data"]["icon"]
        settings = client.get(f"/v2/Articles/{small.articles[0]}/en/settings").json()["data"]
        for copied, original in (
            (icon, small.icon_url),
            (settings["featured_image_url"], small.cover_url),
        ):
            file_id = original.split("/")[-2]
            assert copied != original and f"/media/{image.project_id}/{file_id}/" in copied
            assert client.get(urlsplit(copied).path).content == source.api.get(original).content


def test_a_second_run_reads_the_trees_and_copies_nothing(
    source: SourceServer, proxy: FaultProxy, target: Target
) -> None:
    build_project(source, articles=4)
    assert target.run(proxy.base, source.token).returncode == 0
    before = len(proxy.requests)
    again = target.run(proxy.base, source.token)
    assert again.returncode == 0, again.stderr
    assert summary(again.stdout, "To copy").startswith("0 item languages, 0 requests ")
    sent = [p.split("?")[0] for p in proxy.paths()[before:]]
    assert not any(p.startswith(("/v2/Articles", "/v2/Categories/")) for p in sent), sent


def test_kill_9_mid_run_then_a_rerun_finishes_identical_without_reading_again(
    source: SourceServer, proxy: FaultProxy, target: Target
) -> None:
    small = build_project(source, articles=30)
    proxy.delay = 0.02  # time to kill it half way
    running = target.start(proxy.base, source.token, "--no-settings")
    deadline = time.monotonic() + 60
    while len(proxy.article_reads()) < 12 and time.monotonic() < deadline:
        time.sleep(0.01)
    running.send_signal(signal.SIGKILL)
    running.wait(timeout=10)
    read_before = proxy.article_reads()
    assert 12 <= len(read_before) < len(small.articles)
    with target.session() as session:
        kept = session.scalar(
            select(func.count()).select_from(MirrorItem).where(MirrorItem.kind == "article")
        )
    assert kept is not None and kept >= len(read_before) - PREFETCH - 1

    proxy.delay = 0.0
    rerun = target.run(proxy.base, source.token, "--no-settings")
    assert rerun.returncode == 0, rerun.stderr
    read_after = proxy.article_reads()[len(read_before) :]
    # What was written is not read again: at most the item being written when the process
    # died and those read ahead of it.
    assert len(set(read_after) & set(read_before)) <= PREFETCH + 1
    assert max(Counter(read_before + read_after).values()) <= 2
    with target.client() as client:
        copied = snapshot(client, settings=False)
    assert differences(snapshot(source.api, settings=False), copied) == []


def test_an_incremental_run_reads_only_the_changed_articles_and_reports_deleted_ones(
    source: SourceServer, proxy: FaultProxy, target: Target
) -> None:
    small = build_project(source, articles=20)
    assert target.run(proxy.base, source.token).returncode == 0
    changed = small.articles[2:7]
    for number, article_id in enumerate(changed):
        source.api.put(f"/v2/Articles/{article_id}/en", json={"content": f"Changed {number}."})
    gone = small.articles[9]
    assert source.api.delete(f"/v2/Articles/{gone}").status_code == 200
    before = len(proxy.article_reads())

    again = target.run(proxy.base, source.token)
    assert again.returncode == 0, again.stderr
    # The French of a changed article moved too (the article's time is in every language's).
    assert {read.split("/")[0] for read in proxy.article_reads()[before:]} == set(changed)
    assert f"deleted at the source: article {gone} (en)" in again.stdout
    with target.session() as session:
        assert session.get(Article, gone) is not None  # kept without --prune

    pruned = target.run(proxy.base, source.token, "--prune")
    assert pruned.returncode == 0, pruned.stderr
    assert "(1 removed)" in summary(pruned.stdout, "Deleted")
    assert_same(source, target)


def test_429s_and_cut_connections_are_waited_out_and_retried(
    source: SourceServer, proxy: FaultProxy, target: Target
) -> None:
    build_project(source, articles=8)

    def fault(number: int, path: str) -> str | None:
        if number and number % 9 == 0:
            return "429"
        if number % 13 == 5:
            return "cut"
        return None

    proxy.fault = fault
    done = target.run(proxy.base, source.token)
    assert done.returncode == 0, done.stderr
    requests = summary(done.stdout, "Requests")
    refused = int(re.search(r"(\d+) refused", requests).group(1))  # type: ignore[union-attr]
    assert refused >= 3
    assert int(re.search(r"(\d+) retried", requests).group(1)) >= 2  # type: ignore[union-attr]
    # After each 429, nothing was sent before Retry-After (1 s) had passed.
    times = [t for t, _ in proxy.requests]
    for number in range(9, len(times) - 1, 9):
        assert times[number + 1] - times[number] >= 0.95
    proxy.fault = None
    assert_same(source, target)


def test_the_sources_rate_limit_is_kept_and_the_estimate_comes_from_it(
    tmp_path: Path, sqlite_template: Path, target: Target
) -> None:
    slow = SourceServer(tmp_path / "slow", sqlite_template, rate="10/2 seconds")
    try:
        slow_small_project(slow)
        rate = ("--rate", "10/2 seconds", "--no-settings")
        time.sleep(2.1)  # the server's own first requests leave the window
        planned = target.run(slow.base, slow.token, "--dry-run", *rate)
        assert planned.returncode == 0, planned.stderr
        estimate = int(summary(planned.stdout, "Estimated time").split()[0])
        time.sleep(2.1)
        started = time.monotonic()
        done = target.run(slow.base, slow.token, *rate)
        elapsed = time.monotonic() - started
        assert done.returncode == 0, done.stderr
        requests = summary(done.stdout, "Requests")
        assert "0 refused (429)" in requests
        sent = int(requests.split()[0])
        assert elapsed >= ((sent - 1) // 10) * 2.0
        # The plan's six requests used the dry run's window; the copy's 7 ran in the next.
        assert estimate <= elapsed + 2

        # Told nothing of the window (Document360's 100/minute is assumed), the mirror sends
        # until the source says none remain, learns the window from the one 429 and keeps it.
        time.sleep(2.1)
        again = target.run(slow.base, slow.token, "--since", "2000-01-01", "--no-settings")
        assert again.returncode == 0, again.stderr
        refused = re.search(r"(\d+) refused", summary(again.stdout, "Requests"))
        assert refused is not None and int(refused.group(1)) <= 1
    finally:
        slow.stop()


def slow_small_project(slow: SourceServer) -> None:
    """A folder and six articles, written to the source's database: through its API the
    setup itself would wait for the rate limit."""
    with slow.session() as session:
        project = workspaces.find_project(session, None)
        workspace = workspaces.workspaces(session, project.id)[0]
        owner = workspaces.users(session, project.id)[0]
        folder = categories.create_category(
            session, project.id, name="Guide", project_version_id=workspace.id
        )
        for number in range(6):
            articles.create_article(
                session,
                project.id,
                title=f"Slow {number}",
                content=f"Body {number}",
                category_id=folder.id,
                project_version_id=workspace.id,
                user_id=owner.id,
            )


def test_dry_run_prints_counts_and_the_estimated_time_and_writes_nothing(
    source: SourceServer, target: Target
) -> None:
    build_project(source, articles=6)
    done = target.run(source.base, source.token, "--dry-run")
    assert done.returncode == 0, done.stderr
    assert summary(done.stdout, "Articles") == "6 (8 article languages)"
    assert re.match(r"\d+ s", summary(done.stdout, "Estimated time"))
    assert "Copied:" not in done.stdout
    with target.session() as session:
        assert session.scalar(select(func.count()).select_from(MirrorItem)) == 0


def test_a_refused_token_a_dead_url_and_a_foreign_server_are_said_plainly(
    source: SourceServer, target: Target
) -> None:
    refused = target.run(source.base, "lb_not-a-token")
    assert refused.returncode == 1
    assert f"the token was refused by {source.base}" in refused.stderr

    dead = f"http://127.0.0.1:{free_port()}"
    unreachable = target.run(dead, "whatever")
    assert unreachable.returncode == 1
    assert f"could not connect to {dead}" in unreachable.stderr

    # Lorebase's reader site answers HTML at its root: not an API.
    foreign = target.run(source.base + "/account", source.token)
    assert foreign.returncode == 1
    assert "is not a Document360-compatible API" in foreign.stderr
    for run in (refused, unreachable, foreign):
        assert "Traceback" not in run.stderr + run.stdout


@needs_real_export
@pytest.mark.timeout(900)
def test_the_real_export_is_mirrored_killed_resumed_and_caught_up_with_one_request_each(
    source: SourceServer, proxy: FaultProxy, target: Target
) -> None:
    if target.database_url.startswith("postgresql"):
        # Minutes on the CI machine: over the mirror tests' budget for a second backend.
        # PostgreSQL runs every other mirror test; this one was run by hand there and passes.
        pytest.skip("the real export is mirrored on SQLite only (CI time budget)")
    imported = subprocess.run(
        [*LOREBASE, "import", str(FIXTURE), "--publish", "--database-url", source.database_url,
         "--data-dir", str(source.data_dir)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    # Killed (SIGKILL) a third of the way through, then run again to the end.
    running = target.start(proxy.base, source.token, "--no-settings")
    deadline = time.monotonic() + 300
    while len(proxy.article_reads()) < 1200 and time.monotonic() < deadline:
        time.sleep(0.05)
    running.send_signal(signal.SIGKILL)
    running.wait(timeout=10)
    read_before = proxy.article_reads()
    assert 1200 <= len(read_before) < 3687
    done = target.run(proxy.base, source.token, "--no-settings", timeout=900)
    assert done.returncode == 0, done.stderr
    found = re.search(r"\((\d+) article languages\)", done.stdout)
    assert found is not None and int(found.group(1)) == 3687
    # Everything is published: one content request per article language, one per page
    # category, and each run's plan; the run killed re-reads at most what it had read ahead.
    reads = proxy.article_reads()
    assert len(set(reads)) == 3687 and len(reads) <= 3687 + PREFETCH + 1
    pages = 267
    assert len(proxy.paths("/v2/")) <= 3687 + pages + 2 * 10 + PREFETCH + 1
    tree = source.api.get(f"/v2/ProjectVersions/{source_workspace(source)}/categories").json()
    every = sorted({a["id"] for node in walk(tree["data"]) for a in node["articles"]})
    sample = set(every[::40])
    with target.client() as client:
        copied = snapshot(client, settings=False, articles=sample)
    assert differences(snapshot(source.api, settings=False, articles=sample), copied) == []

    # Five articles changed at the source: the next run reads those and nothing else.
    changed = every[7:12]
    for number, article_id in enumerate(changed):
        edit = {"content": f"Changed at the source, {number}."}
        assert source.api.put(f"/v2/Articles/{article_id}/en", json=edit).status_code == 200
    before = len(proxy.article_reads())
    again = target.run(proxy.base, source.token, "--no-settings", timeout=900)
    assert again.returncode == 0, again.stderr
    assert {read.split("/")[0] for read in proxy.article_reads()[before:]} == set(changed)
    with target.client() as client:
        copied = snapshot(client, settings=False, articles=set(changed))
    assert differences(snapshot(source.api, settings=False, articles=set(changed)), copied) == []


def source_workspace(source: SourceServer) -> str:
    spaces = source.api.get("/v2/ProjectVersions").json()["data"]
    return str(next(w["id"] for w in spaces if w["slug"] == "v1"))


def walk(nodes: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for node in nodes:
        yield node
        yield from walk(node["child_categories"])


def test_the_items_of_a_workspace_deleted_at_the_source_are_reported_and_pruned(
    source: SourceServer, proxy: FaultProxy, target: Target
) -> None:
    small = build_project(source, articles=3)
    with source.session() as session:
        project_id = workspaces.find_project(session, None).id
        second = ProjectVersion(
            project_id=project_id, version_code_name="v2", slug="v2", is_main_version=False
        )
        session.add(second)
        session.flush()
        workspaces.add_language(session, second.id, "en", is_default=True)
        second_id = second.id
    made = source.api.post("/v2/Categories", json={"name": "Old", "project_version_id": second_id})
    folder = made.json()["data"]["id"]
    body = {"title": "Old news", "content": "Gone soon.", "category_id": folder}
    body |= {"project_version_id": second_id, "user_id": small.owner_id}
    old = source.api.post("/v2/Articles", json=body).json()["data"]["id"]
    assert target.run(proxy.base, source.token).returncode == 0
    with target.session() as session:
        assert session.get(Article, old) is not None

    with source.session() as session:  # the v2 API has no route that deletes a workspace
        session.delete(session.get(ProjectVersion, second_id))
    again = target.run(proxy.base, source.token)
    assert again.returncode == 0, again.stderr
    assert f"deleted at the source: article {old} (en)" in again.stdout
    assert f"deleted at the source: category {folder} (en)" in again.stdout

    pruned = target.run(proxy.base, source.token, "--prune")
    assert pruned.returncode == 0, pruned.stderr
    assert "(2 removed)" in summary(pruned.stdout, "Deleted")
    with target.session() as session:
        assert session.get(Article, old) is None
        assert session.get(Category, folder) is None


def test_team_members_and_drive_files_gone_at_the_source_are_reported_and_pruned(
    source: SourceServer, proxy: FaultProxy, target: Target
) -> None:
    small = build_project(source, articles=3)
    with source.session() as session:
        project_id = workspaces.find_project(session, None).id
        leaver = workspaces.create_user(
            session, project_id, email="leaver@example.com", first_name="Lee", last_name="Ver"
        ).id
    assert target.run(proxy.base, source.token).returncode == 0
    cover = small.cover_url.split("/")[-2]
    with target.session() as session:
        assert session.get(DriveFile, cover) is not None
        assert session.get(User, leaver) is not None

    with source.session() as session:
        session.execute(
            update(ArticleTranslation)
            .where(ArticleTranslation.article_id == small.articles[0])
            .values(settings={})
        )  # nothing links to the cover any more
        drive.delete_file(session, project_id, cover)
        session.delete(session.get(User, leaver))
    again = target.run(proxy.base, source.token)
    assert again.returncode == 0, again.stderr
    assert f"deleted at the source: file {cover} ()" in again.stdout
    assert f"deleted at the source: member {leaver} ()" in again.stdout

    pruned = target.run(proxy.base, source.token, "--prune")
    assert pruned.returncode == 0, pruned.stderr
    assert "(2 removed)" in summary(pruned.stdout, "Deleted")
    with target.session() as session:
        assert session.get(DriveFile, cover) is None
        account = session.get(User, leaver)
        # Disabled, not deleted: an account stays the author of what it wrote.
        assert account is not None and account.disabled_at is not None
        kept = session.get(DriveFile, small.file_url.split("/")[-2])
        assert kept is not None  # still at the source
