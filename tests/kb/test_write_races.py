"""Two writers of one workspace at once, on a real database: the second writer must decide on
what the first one committed, never on what it read before. Each test holds the first writer's
transaction open, lets the second one start and wait for it, then commits the first: on
PostgreSQL the second waits for a row lock (seen in `pg_locks`: the workspace's, which every
writer takes first, see `workspaces.touch`), on SQLite for the write lock of `BEGIN IMMEDIATE`."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from lorebase.db.engine import make_engine, make_session_factory, transaction
from lorebase.db.models import SearchEntry
from lorebase.kb import articles, categories, merge_codes, workspaces
from lorebase.kb.errors import Invalid, NotFound
from lorebase.kb.revisions import article_revisions

WAIT_LIMIT = 30.0


@pytest.fixture
def published_with_draft(project: Any) -> str:
    """An article whose revision 1 is published and revision 2 is a draft."""
    with project.session() as session:
        article, tr = articles.create_article(
            session,
            project.project_id,
            title="Raced",
            project_version_id=project.workspace_id,
            user_id=project.owner_id,
            content="one",
        )
        article_revisions.publish(session, tr, 1, None)
        article_revisions.save(
            session, tr, version_number=None, changes={"content": "two"}, author_id=None
        )
        return str(article.id)


class SecondWriter(threading.Thread):
    """Runs `work` in its own transaction; `waiting` is set once it has reached the point
    where it must wait for the first writer."""

    def __init__(self, project: Any, work: Callable[[Session], Any]) -> None:
        super().__init__(name="second-writer", daemon=True)
        url = project.settings.resolved_database_url()
        self.engine = make_engine(url, pooled=False)
        self.postgres = not url.startswith("sqlite")
        self.work = work
        self.began = threading.Event()
        self.result: Any = None
        self.error: BaseException | None = None
        if not self.postgres:
            # SQLite: the write lock is taken by BEGIN IMMEDIATE, before any read.
            event.listen(self.engine, "before_cursor_execute", self._saw_statement)

    def _saw_statement(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement == "BEGIN IMMEDIATE":
            self.began.set()

    def run(self) -> None:
        try:
            with transaction(make_session_factory(self.engine)) as session:
                self.result = self.work(session)
        except BaseException as exc:  # reported by the test
            self.error = exc

    def wait_until_blocked(self, first: Session) -> None:
        deadline = time.monotonic() + WAIT_LIMIT
        while time.monotonic() < deadline:
            if self.postgres:
                blocked = first.execute(
                    text("SELECT count(*) FROM pg_locks WHERE NOT granted")
                ).scalar_one()
                if blocked:
                    return
            elif self.began.is_set():
                return
            assert self.is_alive(), f"the second writer did not wait: {self.error!r}"
            time.sleep(0.01)
        pytest.fail(f"the second writer never waited for the first within {WAIT_LIMIT:.0f} s")

    def finish(self) -> Any:
        self.join(WAIT_LIMIT)
        assert not self.is_alive(), "the second writer is still waiting after the first committed"
        self.engine.dispose()
        if self.error is not None:
            raise self.error
        return self.result


def waited_for(project: Any, first_writer: Session, work: Callable[[Session], Any]) -> Any:
    """Runs `work` as a second writer while `first_writer`'s transaction is open, commits the
    first once the second is seen waiting, and returns what `work` returned (or raises what
    it raised)."""
    second = SecondWriter(project, work)
    second.start()
    second.wait_until_blocked(first_writer)
    first_writer.commit()
    return second.finish()


def save(project: Any, article_id: str, lang: str, content: str) -> Callable[[Session], int]:
    """A writer's work: PUT the article's `lang` with `content`; the revision it wrote."""

    def work(session: Session) -> int:
        _, _, rev = articles.update_article(
            session, project.project_id, article_id, lang, fields={"content": content}
        )
        return rev.version_number

    return work


@pytest.fixture
def first_writer(project: Any) -> Iterator[Session]:
    engine = make_engine(project.settings.resolved_database_url(), pooled=False)
    session = make_session_factory(engine)()
    yield session
    session.close()
    engine.dispose()


def _revisions(project: Any, article_id: str) -> dict[int, str | None]:
    with project.session() as session:
        return {
            r.version_number: r.content
            for r in article_revisions.revisions(session, article_id, "en")
        }


def test_an_update_that_waited_for_a_publish_does_not_edit_the_published_revision(
    project: Any, published_with_draft: str, first_writer: Session
) -> None:
    article_id = published_with_draft
    articles.publish_article(
        first_writer,
        project.project_id,
        article_id,
        "en",
        version_number=2,
        user_id=project.owner_id,
        message=None,
    )
    second = waited_for(project, first_writer, save(project, article_id, "en", "three"))

    # Revision 2 was published before the update committed: the update is a new draft.
    assert second == 3
    assert _revisions(project, article_id) == {1: "one", 2: "two", 3: "three"}
    with project.session() as session:
        tr = article_revisions.translation(session, article_id, "en")
        assert tr is not None
        assert (tr.public_version, tr.latest_version) == (2, 3)


def test_a_publish_that_waited_for_another_publish_of_the_same_revision_is_refused(
    project: Any, published_with_draft: str, first_writer: Session
) -> None:
    article_id = published_with_draft

    def publish(session: Session) -> Any:
        return articles.publish_article(
            session,
            project.project_id,
            article_id,
            "en",
            version_number=2,
            user_id=project.owner_id,
            message=None,
        )

    publish(first_writer)
    with pytest.raises(Invalid, match="already been published"):
        waited_for(project, first_writer, publish)


def test_concurrent_saves_over_the_published_revision_each_get_a_new_number(
    project: Any, published_with_draft: str, first_writer: Session
) -> None:
    article_id = published_with_draft
    with project.session() as session:
        tr = article_revisions.translation(session, article_id, "en")
        assert tr is not None
        article_revisions.publish(session, tr, 2, None)  # no draft left: saves must copy

    assert save(project, article_id, "en", "first")(first_writer) == 3
    second = waited_for(project, first_writer, save(project, article_id, "en", "second"))

    # The second writer read revision 3 as an unpublished draft once the first committed: it
    # edits that draft, as two saves one after the other would.
    assert second == 3
    assert _revisions(project, article_id) == {1: "one", 2: "two", 3: "second"}


def test_search_rows_written_by_two_writers_at_once_are_not_doubled(
    project: Any, published_with_draft: str, first_writer: Session
) -> None:
    article_id = published_with_draft

    def hide(session: Session) -> Any:
        # Only the article's settings change: no revision is saved, the search rows are
        # still rewritten.
        return articles.update_article(
            session, project.project_id, article_id, "en", fields={"hidden": True}
        )

    hide(first_writer)
    waited_for(project, first_writer, hide)

    with project.session() as session:
        rows = session.scalars(
            select(SearchEntry.kind).where(SearchEntry.article_id == article_id)
        ).all()
    assert sorted(rows) == ["latest", "published"]


def test_two_writers_starting_one_new_language_make_one_translation(
    project: Any, published_with_draft: str, first_writer: Session
) -> None:
    article_id = published_with_draft
    with project.session() as session:
        workspaces.add_language(session, project.workspace_id, "fr")

    assert save(project, article_id, "fr", "premier")(first_writer) == 1
    second = waited_for(project, first_writer, save(project, article_id, "fr", "second"))

    # The second writer found French started and edited its draft, as it would one later.
    assert second == 1
    with project.session() as session:
        revisions = article_revisions.revisions(session, article_id, "fr")
        assert [(r.version_number, r.content) for r in revisions] == [(1, "second")]


def test_two_articles_created_at_once_with_one_title_get_two_slugs(
    project: Any, first_writer: Session
) -> None:
    def create(session: Session) -> str:
        _, tr = articles.create_article(
            session,
            project.project_id,
            title="Same title",
            project_version_id=project.workspace_id,
            user_id=project.owner_id,
        )
        return str(tr.slug)

    assert create(first_writer) == "same-title"
    second = waited_for(project, first_writer, create)

    assert second == "same-title-1"


def test_a_variable_created_twice_at_once_is_refused_the_second_time(
    project: Any, first_writer: Session
) -> None:
    def create(session: Session) -> str:
        fields = {"project_version_id": project.workspace_id, "name": "product", "value": "x"}
        return str(merge_codes.create_entry(session, project.project_id, "variable", fields).id)

    create(first_writer)
    with pytest.raises(Invalid, match="A variable named product already exists"):
        waited_for(project, first_writer, create)


def test_an_update_that_waited_for_a_delete_of_its_article_answers_not_found(
    project: Any, published_with_draft: str, first_writer: Session
) -> None:
    # The second writer reads the article only once the workspace is its own: it finds it
    # gone, where reading it first and waiting after updated a deleted row (StaleDataError).
    article_id = published_with_draft
    articles.delete_article(first_writer, project.project_id, article_id)
    with pytest.raises(NotFound):
        waited_for(project, first_writer, save(project, article_id, "en", "too late"))


def test_a_category_renamed_after_a_delete_of_it_answers_not_found(
    project: Any, first_writer: Session
) -> None:
    with project.session() as session:
        category_id = categories.create_category(
            session, project.project_id, name="Doomed", project_version_id=project.workspace_id
        ).id

    def rename(session: Session) -> Any:
        return categories.update_category(session, project.project_id, category_id, name="Kept")

    categories.delete_category(first_writer, project.project_id, category_id)
    with pytest.raises(NotFound):
        waited_for(project, first_writer, rename)
