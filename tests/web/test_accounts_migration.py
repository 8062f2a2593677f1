"""Migration 0007 (accounts) goes down and up again on a database that holds accounts: the
team accounts stay, their passwords and sessions go with the downgrade, and come back empty."""

from __future__ import annotations

from sqlalchemy import inspect, select

from lorebase.db.engine import make_engine, migrate
from lorebase.db.models import User
from tests.conftest import Project
from tests.db.test_search_migration import _to_revision
from tests.web.conftest import Site


def test_0007_goes_down_and_up_keeping_the_team(project: Project, site: Site) -> None:
    site.signed_in()
    url = project.settings.resolved_database_url()
    project.client.app.state.engine.dispose()

    _to_revision(url, "0006")
    engine = make_engine(url, pooled=False)
    try:
        tables = set(inspect(engine).get_table_names())
        assert "browser_sessions" not in tables and "reader_groups" not in tables
        columns = {column["name"] for column in inspect(engine).get_columns("users")}
        assert "password_hash" not in columns and "email" in columns
    finally:
        engine.dispose()

    migrate(url)
    with project.session() as session:
        emails = set(session.scalars(select(User.email)))
        hashes = set(session.scalars(select(User.password_hash)))
    assert "editor@example.com" in emails
    assert hashes == {None}
    # Signing in again needs a password again; the site still works.
    assert site.browser().get("/account/signin").status_code == 200
