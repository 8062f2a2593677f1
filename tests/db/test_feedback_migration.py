"""Migration 0008 (reader feedback) goes down and up again on a database that holds feedback:
the articles stay, the answers and search counts go with the downgrade, and the tables come
back empty and working. Both databases."""

from __future__ import annotations

from sqlalchemy import inspect

from lorebase.db.engine import make_engine, migrate
from lorebase.db.models import ProjectVersion
from lorebase.kb import feedback
from tests.conftest import Project
from tests.db.test_search_migration import _to_revision
from tests.kb.test_feedback import Content


def test_0008_goes_down_and_up_keeping_the_articles(project: Project) -> None:
    content = Content(project)
    install = content.article("Install")
    content.answer(install, False, "other", "Typo in step 2")
    with project.session() as session:
        feedback.record_search_miss(session, project.workspace_id, "en", "proxy")
    url = project.settings.resolved_database_url()
    project.client.app.state.engine.dispose()

    _to_revision(url, "0007")
    engine = make_engine(url, pooled=False)
    try:
        tables = set(inspect(engine).get_table_names())
        assert "article_feedback" not in tables and "search_misses" not in tables
        assert "articles" in tables
    finally:
        engine.dispose()

    migrate(url)
    engine = make_engine(url, pooled=False)
    try:
        indexes = {i["name"] for i in inspect(engine).get_indexes("article_feedback")}
        assert {"ix_article_feedback_article", "ix_article_feedback_workspace"} <= indexes
    finally:
        engine.dispose()
    assert content.summary(install) == feedback.FeedbackSummary(0, 0, [])
    content.answer(install, True)
    content.answer(install, True)
    with project.session() as session:
        feedback.record_search_miss(session, project.workspace_id, "en", "proxy")
        feedback.record_search_miss(session, project.workspace_id, "en", "Proxy")
    with project.session() as session:
        counted = feedback.search_misses(session, project.workspace_id)
    assert content.summary(install).helpful == 2
    assert [(m.query, m.count) for m in counted] == [("proxy", 2)]


def test_deleting_an_article_or_workspace_deletes_its_feedback(project: Project) -> None:
    content = Content(project)
    install = content.article("Install")
    content.answer(install, True)
    with project.session() as session:
        feedback.record_search_miss(session, project.workspace_id, "en", "proxy")
    assert project.delete(f"/v2/Articles/{install}").status_code == 200
    assert content.stored() == 0
    with project.session() as session:
        session.delete(session.get(ProjectVersion, project.workspace_id))
    with project.session() as session:
        assert feedback.search_misses(session, project.workspace_id) == []
