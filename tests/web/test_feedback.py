"""POST /_lorebase/feedback as a reader's browser sends it: stored and sent back to the article
(or thanked in place for htmx), refused with a page saying why — another site's form, an
article readers cannot see, a bad answer, too many answers, a private project's stranger —
with nothing stored. Both databases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lorebase.app import create_app
from lorebase.auth import readers
from lorebase.auth.roles import Role
from lorebase.db.models import ProjectVersion
from lorebase.kb import workspaces
from lorebase.kb.feedback import FEEDBACK_REASONS
from lorebase.web.feedback import FEEDBACK_PATH, thanks_url
from lorebase.web.pages import TEMPLATES
from tests.conftest import Project
from tests.kb.test_feedback import Content
from tests.web.conftest import Site

SAME_SITE = {"Origin": "http://testserver"}


@pytest.fixture
def content(project: Project) -> Content:
    return Content(project)


def send(client: TestClient, headers: dict[str, str] | None = None, **fields: str) -> Any:
    return client.post(
        FEEDBACK_PATH,
        data=fields,
        headers=SAME_SITE if headers is None else headers,
        follow_redirects=False,
    )


def test_a_yes_is_stored_and_the_reader_goes_back_to_the_article(
    site: Site, content: Content
) -> None:
    install = content.article("Install")
    answer = send(
        site.browser().client,
        article_id=install,
        lang="en",
        helpful="yes",
        next="/docs/install?tab=linux#step-2",
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/docs/install?tab=linux&feedback=thanks#feedback"
    assert answer.headers["cache-control"] == "no-store"
    assert (content.summary(install).helpful, content.stored()) == (1, 1)


def test_a_no_with_a_reason_and_a_comment_is_stored_as_plain_text(
    site: Site, content: Content
) -> None:
    install = content.article("Install")
    typed = "<script>alert(1)</script> & the <b>menu</b> moved"
    answer = send(
        site.browser().client,
        article_id=install,
        lang="en",
        helpful="no",
        reason="inaccurate",
        comment=typed,
        next="/docs/install",
    )
    assert answer.status_code == 303
    entry = content.summary(install).entries[0]
    assert (entry.helpful, entry.reason, entry.comment) == (False, "inaccurate", typed)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("", "/?feedback=thanks#feedback"),
        ("https://evil.example/phish", "/?feedback=thanks#feedback"),
        ("//evil.example/phish", "/?feedback=thanks#feedback"),
        ("/docs/a?feedback=thanks", "/docs/a?feedback=thanks#feedback"),
        ("/help/docs/fr/été", "/help/docs/fr/%C3%A9t%C3%A9?feedback=thanks#feedback"),
    ],
)
def test_the_way_back_is_a_path_of_this_site(target: str, expected: str) -> None:
    assert thanks_url(target) == expected


@pytest.mark.parametrize(
    "headers",
    [{"HX-Request": "true"}, {"Accept": "application/json"}],
    ids=["htmx", "json"],
)
def test_htmx_gets_the_thanks_to_swap_in(
    site: Site, content: Content, headers: dict[str, str]
) -> None:
    install = content.article("Install")
    answer = send(
        site.browser().client,
        {**SAME_SITE, **headers},
        article_id=install,
        lang="en",
        helpful="no",
        next="/docs/install",
    )
    assert answer.status_code == 200
    assert answer.text == '<p role="status">Thank you for your feedback.</p>'
    assert answer.headers["content-type"].startswith("text/html")
    assert content.summary(install).not_helpful == 1


def test_an_over_long_comment_gets_a_page_saying_so_and_nothing_is_stored(
    site: Site, content: Content
) -> None:
    install = content.article("Install")
    answer = send(
        site.browser().client,
        article_id=install,
        lang="en",
        helpful="no",
        comment="z" * 1500,
        next="/docs/install",
    )
    assert answer.status_code == 400
    assert "Your feedback could not be sent" in answer.text
    assert "at most 1,000 characters long; it has 1,500." in answer.text
    assert 'href="/docs/install"' in answer.text
    assert content.stored() == 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"helpful": ""}, "Choose Yes or No"),
        ({"helpful": "maybe"}, "Choose Yes or No"),
        ({"helpful": "no", "reason": "boring"}, "Unknown reason &#39;boring&#39;"),
    ],
)
def test_a_bad_answer_gets_a_page_saying_what_is_wrong(
    site: Site, content: Content, fields: dict[str, str], message: str
) -> None:
    install = content.article("Install")
    answer = send(site.browser().client, article_id=install, lang="en", **fields)
    assert answer.status_code == 400
    assert message in answer.text
    assert content.stored() == 0


def test_articles_readers_cannot_see_are_not_found(
    site: Site, content: Content, project: Project
) -> None:
    project.add_language("fr")
    install = content.article("Install")
    content.translate(install, "fr", "Installer", published=False)
    cases = {
        "no such article": (content.article("x", published=False) + "-gone", "en"),
        "hidden article": (content.article("Secret", hidden=True), "en"),
        "in a hidden category": (
            content.article("Buried", category=content.category("Attic", hidden=True)),
            "en",
        ),
        "unpublished language": (install, "fr"),
        "unknown language": (install, "de"),
        "draft only": (content.article("Draft", published=False), "en"),
    }
    browser = site.browser()
    for why, (article_id, lang) in cases.items():
        answer = send(browser.client, article_id=article_id, lang=lang, helpful="yes")
        assert answer.status_code == 404, why
        assert "This article is not available" in answer.text, why
    assert content.stored() == 0


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Referer": "https://evil.example/docs/install"},
        {},
    ],
    ids=["other origin", "null origin", "other referer", "neither"],
)
def test_forms_of_other_sites_are_refused(
    site: Site, content: Content, headers: dict[str, str]
) -> None:
    install = content.article("Install")
    answer = send(site.browser().client, headers, article_id=install, lang="en", helpful="no")
    assert answer.status_code == 403
    assert "This request came from another site" in answer.text
    assert content.stored() == 0


def test_a_same_site_referer_is_enough_without_an_origin(site: Site, content: Content) -> None:
    install = content.article("Install")
    answer = send(
        site.browser().client,
        {"Referer": "http://testserver/docs/install"},
        article_id=install,
        lang="en",
        helpful="yes",
    )
    assert answer.status_code == 303
    assert content.stored() == 1


@pytest.fixture
def low_limit_app(project: Project) -> Iterator[TestClient]:
    """Another server on the project's database that takes two answers per client an hour."""
    app = create_app(project.settings.model_copy(update={"feedback_per_client": "2/hour"}))
    with TestClient(app, client=("203.0.113.7", 50000)) as client:
        yield client
    app.state.engine.dispose()


def test_answers_beyond_the_allowance_of_a_client_are_refused(
    low_limit_app: TestClient, content: Content
) -> None:
    install = content.article("Install")
    fields = {"article_id": install, "lang": "en", "next": "/docs/install"}
    # A refused answer costs nothing of the allowance.
    assert send(low_limit_app, helpful="maybe", **fields).status_code == 400
    assert send(low_limit_app, helpful="yes", **fields).status_code == 303
    assert send(low_limit_app, helpful="no", **fields).status_code == 303

    refused = send(low_limit_app, helpful="yes", **fields)

    assert refused.status_code == 429
    assert "Too much feedback from this address" in refused.text
    assert 0 < int(refused.headers["retry-after"]) <= 3600
    assert content.stored() == 2
    # Another client is not held back by it.
    other = TestClient(low_limit_app.app, client=("198.51.100.2", 50000))
    assert send(other, helpful="yes", **fields).status_code == 303


def make_private(project: Project) -> None:
    with project.session() as session:
        workspaces.set_privacy(session, project.project_id, True)


def test_a_private_project_takes_answers_from_its_signed_in_readers_only(
    site: Site, content: Content, project: Project
) -> None:
    install = content.article("Install")
    make_private(project)
    fields = {"article_id": install, "lang": "en", "helpful": "yes", "next": "/docs/install"}

    anonymous = send(site.browser().client, **fields)

    assert anonymous.status_code == 403
    assert "Sign in to send feedback" in anonymous.text
    assert "/account/signin?next=%2Fdocs%2Finstall" in anonymous.text
    reader = site.signed_in(Role.READER, "rita@example.com")
    assert send(reader.client, **fields).status_code == 303
    assert content.stored() == 1


def test_a_reader_of_a_private_project_answers_only_in_the_workspaces_it_reads(
    site: Site, content: Content, project: Project
) -> None:
    install = content.article("Install")
    make_private(project)
    rita = site.add_account("rita@example.com", Role.READER)
    reader = site.browser()
    assert reader.sign_in("rita@example.com").status_code == 303
    with project.session() as session:
        elsewhere = ProjectVersion(project_id=project.project_id, version_code_name="v2", slug="v2")
        session.add(elsewhere)
        session.flush()
        group = readers.create_group(session, project.project_id, "Partners", [elsewhere.id])
        readers.add_member(
            session, group, workspaces.require_user(session, project.project_id, rita)
        )
    answer = send(reader.client, article_id=install, lang="en", helpful="yes")
    assert answer.status_code == 404
    assert content.stored() == 0


def test_the_form_partial_renders_the_answers_and_the_thanks() -> None:
    context = {
        "action": FEEDBACK_PATH,
        "article_id": "a-1",
        "lang": "en",
        "next": '/docs/"quoted"',
        "reasons": list(FEEDBACK_REASONS),
        "thanks": False,
    }
    form = TEMPLATES.get_template("feedback.html").render(feedback=context)
    assert '<section id="feedback" class="feedback" aria-labelledby="feedback-title">' in form
    assert '<form method="post" action="/_lorebase/feedback"' in form
    assert 'name="helpful" value="yes"' in form and 'name="helpful" value="no"' in form
    assert '<option value="">Choose a reason (optional)</option>' in form
    for slug, label in FEEDBACK_REASONS:
        assert f'<option value="{slug}">{label}</option>' in form
    assert '<textarea id="feedback-comment" name="comment" maxlength="1000"' in form
    assert 'name="next" value="/docs/&#34;quoted&#34;"' in form  # escaped
    assert "csrf_token" not in form
    thanks = TEMPLATES.get_template("feedback.html").render(feedback={**context, "thanks": True})
    assert '<p role="status">Thank you for your feedback.</p>' in thanks
    assert "<form" not in thanks
