"""lorebase.kb.revisions on a real database: the draft/publish/fork rules Document360 applies
to article (and category-page) revisions, one item and language at a time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from lorebase.db.models import ArticleTranslation
from lorebase.kb import articles, categories, workspaces
from lorebase.kb.revisions import (
    DRAFT,
    PUBLISHED,
    AlreadyPublished,
    LastRevision,
    PublishedRevision,
    RevisionMissing,
    article_revisions,
    category_revisions,
    revision_status,
    translation_status,
)


@pytest.fixture
def session(project: Any) -> Iterator[Session]:
    with project.session() as session:
        yield session


@pytest.fixture
def tr(project: Any, session: Session) -> ArticleTranslation:
    """A new article in the default language: revision 1, nothing published."""
    _, translation = articles.create_article(
        session,
        project.project_id,
        title="Getting started",
        project_version_id=project.workspace_id,
        user_id=project.owner_id,
        content="first body",
    )
    return translation


def numbers(session: Session, tr: ArticleTranslation) -> list[int]:
    revisions = article_revisions.revisions(session, tr.article_id, tr.language_code)
    return [r.version_number for r in revisions]


def test_a_new_item_starts_at_an_unpublished_revision_one(session, tr):
    (rev,) = article_revisions.revisions(session, tr.article_id, "en")

    assert (tr.public_version, tr.latest_version) == (0, 1)
    assert (rev.version_number, rev.base_version) == (1, 0)
    assert (rev.title, rev.content) == ("Getting started", "first body")
    assert translation_status(tr) == DRAFT


def test_saving_a_draft_edits_it_in_place(session, tr):
    rev = article_revisions.save(
        session, tr, version_number=None, changes={"content": "edited"}, author_id=None
    )

    assert rev.version_number == 1
    assert numbers(session, tr) == [1]
    assert article_revisions.revision(session, tr.article_id, "en", 1).content == "edited"


def test_saving_over_the_published_revision_creates_a_new_draft(session, tr, project):
    article_revisions.publish(session, tr, 1, None)

    rev = article_revisions.save(
        session, tr, version_number=None, changes={"content": "draft"}, author_id=project.owner_id
    )

    assert (rev.version_number, rev.base_version, rev.content) == (2, 1, "draft")
    assert rev.title == "Getting started"
    assert (tr.public_version, tr.latest_version) == (1, 2)
    assert article_revisions.revision(session, tr.article_id, "en", 1).content == "first body"
    assert translation_status(tr) == DRAFT


def test_saving_a_missing_revision_raises(session, tr):
    with pytest.raises(RevisionMissing) as missing:
        article_revisions.save(session, tr, version_number=5, changes={}, author_id=None)

    assert missing.value.version_number == 5


def test_publish_moves_the_public_version_and_records_the_message(session, tr):
    rev = article_revisions.publish(session, tr, 1, "First release")

    assert tr.public_version == 1
    assert rev.published_at is not None
    assert rev.publish_message == "First release"
    assert translation_status(tr) == PUBLISHED


def test_publishing_the_published_revision_again_raises(session, tr):
    article_revisions.publish(session, tr, 1, None)

    with pytest.raises(AlreadyPublished):
        article_revisions.publish(session, tr, 1, None)


def test_publishing_a_missing_revision_raises(session, tr):
    with pytest.raises(RevisionMissing):
        article_revisions.publish(session, tr, 2, None)
    assert tr.public_version == 0


def test_revision_status_is_published_only_for_the_public_revision():
    assert revision_status(1, 0) == DRAFT
    assert revision_status(1, 1) == PUBLISHED
    assert revision_status(2, 1) == DRAFT


def test_fork_copies_any_revision_into_a_new_draft(session, tr, project):
    article_revisions.save(session, tr, version_number=None, changes={}, author_id=None)
    article_revisions.publish(session, tr, 1, None)
    article_revisions.save(
        session, tr, version_number=None, changes={"content": "second"}, author_id=None
    )
    editor = workspaces.create_user(
        session, project.project_id, email="editor@example.com", first_name="Eddie"
    ).id

    forked = article_revisions.fork(session, tr, 1, editor)

    assert (forked.version_number, forked.base_version) == (3, 1)
    assert (forked.title, forked.content) == ("Getting started", "first body")
    assert forked.created_by == editor
    assert tr.latest_version == 3
    assert tr.public_version == 1


def test_fork_without_an_author_keeps_the_source_author(session, tr, project):
    forked = article_revisions.fork(session, tr, 1, None)

    assert forked.created_by == project.owner_id


def test_fork_of_a_missing_revision_raises(session, tr):
    with pytest.raises(RevisionMissing):
        article_revisions.fork(session, tr, 9, None)
    assert numbers(session, tr) == [1]


def test_the_only_revision_cannot_be_deleted(session, tr):
    with pytest.raises(LastRevision):
        article_revisions.delete_revision(session, tr, 1)


def test_the_published_revision_cannot_be_deleted(session, tr):
    article_revisions.publish(session, tr, 1, None)
    article_revisions.fork(session, tr, 1, None)

    with pytest.raises(PublishedRevision):
        article_revisions.delete_revision(session, tr, 1)
    assert numbers(session, tr) == [1, 2]


def test_deleting_a_missing_revision_raises(session, tr):
    article_revisions.fork(session, tr, 1, None)

    with pytest.raises(RevisionMissing):
        article_revisions.delete_revision(session, tr, 7)


def test_deleting_the_latest_revision_lowers_latest_version(session, tr):
    article_revisions.fork(session, tr, 1, None)
    article_revisions.fork(session, tr, 1, None)

    article_revisions.delete_revision(session, tr, 3)

    assert numbers(session, tr) == [1, 2]
    assert tr.latest_version == 2
    assert article_revisions.fork(session, tr, 1, None).version_number == 3


def test_deleting_an_older_revision_keeps_latest_version(session, tr):
    article_revisions.fork(session, tr, 1, None)
    article_revisions.fork(session, tr, 1, None)

    article_revisions.delete_revision(session, tr, 1)

    assert numbers(session, tr) == [2, 3]
    assert tr.latest_version == 3


def test_read_serves_the_public_revision_when_published_is_asked(session, tr):
    article_revisions.publish(session, tr, 1, None)
    article_revisions.save(
        session, tr, version_number=None, changes={"content": "v2"}, author_id=None
    )

    public = article_revisions.read(session, tr.article_id, "en", "en", published=True)
    newest = article_revisions.read(session, tr.article_id, "en", "en", published=False)

    assert public is not None and newest is not None
    assert (public.revision.version_number, public.revision.content) == (1, "first body")
    assert (newest.revision.version_number, newest.revision.content) == (2, "v2")
    assert public.is_fall_back_content is False


def test_read_of_published_falls_back_to_the_latest_when_nothing_is_published(session, tr):
    found = article_revisions.read(session, tr.article_id, "en", "en", published=True)

    assert found is not None
    assert found.revision.version_number == 1


def test_read_falls_back_to_the_default_language(session, tr):
    found = article_revisions.read(session, tr.article_id, "fr", "en", published=False)

    assert found is not None
    assert found.is_fall_back_content is True
    assert found.translation.language_code == "en"


def test_read_of_a_missing_version_raises_and_of_a_missing_item_is_none(session, tr):
    with pytest.raises(RevisionMissing):
        article_revisions.read(
            session, tr.article_id, "en", "en", published=False, version_number=4
        )
    assert article_revisions.read(session, "no-such-article", "en", "en", published=False) is None


def test_languages_number_their_revisions_independently(session, tr):
    article_revisions.publish(session, tr, 1, None)
    article_revisions.save(
        session, tr, version_number=None, changes={"content": "v2"}, author_id=None
    )

    french, first = article_revisions.start(
        session,
        tr.article_id,
        "fr",
        translation={"title": "Premiers pas", "slug": "premiers-pas"},
        revision={"title": "Premiers pas", "content": "bonjour"},
    )

    assert (french.public_version, french.latest_version, first.version_number) == (0, 1, 1)
    assert (tr.public_version, tr.latest_version) == (1, 2)
    article_revisions.delete_language(session, tr.article_id, "fr")
    assert article_revisions.translation(session, tr.article_id, "fr") is None
    assert numbers(session, tr) == [1, 2]


def test_category_page_revisions_follow_the_same_rules_and_fork_keeps_block_content(
    session, project
):
    page = categories.create_category(
        session,
        project.project_id,
        name="Overview",
        project_version_id=project.workspace_id,
        category_type=1,
        content="page body",
        user_id=project.owner_id,
    )
    tr = category_revisions.translation(session, page.id, "en")
    assert tr is not None
    category_revisions.save(
        session, tr, version_number=None, changes={"block_content": "[blocks]"}, author_id=None
    )
    category_revisions.publish(session, tr, 1, None)

    forked = category_revisions.fork(session, tr, 1, None)

    assert (forked.version_number, forked.base_version) == (2, 1)
    assert (forked.content, forked.block_content) == ("page body", "[blocks]")
    with pytest.raises(AlreadyPublished):
        category_revisions.publish(session, tr, 1, None)
