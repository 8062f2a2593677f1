"""Migration 0010 (ready bodies) goes down to 0009 and up again on a database holding a published
article and a published category page: the ready columns go with the downgrade and come back
empty, the reader site meanwhile renders the pages on read exactly as before, and the workspace
is then found unready, so that the first server start queues the `page_bodies` job that makes
its bodies ready again. Both databases."""

from __future__ import annotations

from typing import Any, cast

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select

from lorebase.db.engine import make_engine, migrate
from lorebase.db.models import ArticleRevision, CategoryRevision
from lorebase.kb import page_bodies, workspaces
from lorebase.kb.page_bodies import JOB_KIND, RENDERER
from tests.conftest import Project
from tests.db.test_search_migration import _to_revision
from tests.kb.test_page_bodies import (
    BODY,
    add_variable,
    guides,
    page_bodies_jobs,
    page_category,
    published_renderers,
    run_queued,
    stored,
)
from tests.web.reader_content import article, slug_of, started

READY_COLUMNS = {"ready_html", "ready_facts", "ready_renderer"}
TABLES = ("article_revisions", "category_revisions")
WELCOME = "/docs/en/category/welcome"


def columns_of(url: str) -> dict[str, set[str]]:
    engine = make_engine(url, pooled=False)
    try:
        inspector = inspect(engine)
        return {table: {c["name"] for c in inspector.get_columns(table)} for table in TABLES}
    finally:
        engine.dispose()


def constraints_of(url: str) -> dict[str, Any]:
    """The unique constraints and foreign keys of the revision tables (SQLite's downgrade
    copies each table: nothing of them may be lost on the way)."""
    engine = make_engine(url, pooled=False)
    try:
        inspector = inspect(engine)
        return {
            table: (
                sorted(tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)),
                sorted(
                    (
                        tuple(f["constrained_columns"]),
                        f["referred_table"],
                        f["options"].get("ondelete"),
                    )
                    for f in inspector.get_foreign_keys(table)
                ),
            )
            for table in TABLES
        }
    finally:
        engine.dispose()


def read(client: TestClient, path: str) -> str:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 200, (path, response.status_code)
    text: str = response.text
    return text


def test_0010_goes_down_and_up_and_the_bodies_are_made_ready_again(project: Project) -> None:
    add_variable(project, "Product", "Acme")
    install = article(project, guides(project), "Install", BODY)
    welcome = page_category(project, "Welcome", "Welcome to {{variable.Product}}.\n\n## Start")
    path = f"/docs/{slug_of(project, install)}"
    article_before = read(project.client, path)
    welcome_before = read(project.client, WELCOME)
    assert set(published_renderers(project)) == {RENDERER}
    url = project.settings.resolved_database_url()
    constraints = constraints_of(url)
    cast(FastAPI, project.client.app).state.engine.dispose()

    _to_revision(url, "0009")

    for table, names in columns_of(url).items():
        assert not names & READY_COLUMNS, table
        assert {"content", "html_content", "version_number"} <= names
    assert constraints_of(url) == constraints
    engine = make_engine(url, pooled=False)
    try:
        with engine.connect() as connection:
            revisions = connection.execute(
                select(func.count()).select_from(ArticleRevision.__table__)
            ).scalar()
            pages = connection.execute(
                select(func.count()).select_from(CategoryRevision.__table__)
            ).scalar()
    finally:
        engine.dispose()
    assert (revisions, pages) == (1, 1)

    migrate(url)

    for table, names in columns_of(url).items():
        assert names >= READY_COLUMNS, table
    assert constraints_of(url) == constraints
    assert stored(project, install) == {1: (None, None, None)}
    assert stored(project, welcome, CategoryRevision) == {1: (None, None, None)}
    with project.session() as session:
        assert page_bodies.unready_workspaces(session) == [
            (project.project_id, project.workspace_id)
        ]
        workspaces.touch(session, project.workspace_id)  # no page kept from before
    # Rendered on read meanwhile: the same pages, byte for byte.
    assert read(project.client, path) == article_before
    assert read(project.client, WELCOME) == welcome_before

    # The first server start after the upgrade queues the job (its workers would run it).
    assert page_bodies_jobs(project) == []
    with started(project.settings):
        pass
    (job,) = page_bodies_jobs(project)
    assert job.params == {"workspace_id": project.workspace_id}
    with project.session() as session:
        assert page_bodies.enqueue_for_unready(session) == 0  # it is pending

    assert run_queued(project, [JOB_KIND]) == 1

    assert set(published_renderers(project)) == {RENDERER}
    ready_html = stored(project, install)[1][0]
    assert ready_html is not None and ready_html in read(project.client, path)
    with project.session() as session:
        assert page_bodies.unready_workspaces(session) == []
        workspaces.touch(session, project.workspace_id)
    assert read(project.client, path) == article_before
    assert read(project.client, WELCOME) == welcome_before
