"""Migration 0006 analyses the search entries a database already holds: after a downgrade to
0005 (the engines' own full-text indexes) and the upgrade again, existing articles are found
by stem, by typo and by prefix, on both engines."""

from __future__ import annotations

from alembic import command

from lorebase.db.engine import alembic_config, make_engine, migrate
from tests.api.v2.test_search import KB


def _to_revision(url: str, revision: str) -> None:
    engine = make_engine(url, pooled=False)
    try:
        with engine.connect() as connection, connection.begin():
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.downgrade(config, revision)
    finally:
        engine.dispose()


def test_entries_written_before_0006_are_analysed_by_it(project):
    kb = KB(project)
    metrics = kb.article("Import Metrics", "Bring numbers in from spreadsheets.")
    url = project.settings.resolved_database_url()

    _to_revision(url, "0005")
    migrate(url)

    assert kb.found("imoprt metric") == [metrics]
    assert kb.found("spreadsheet") == [metrics]
    assert kb.found("import met") == [metrics]
