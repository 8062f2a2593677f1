"""Published bodies made ready to read (`kb.page_bodies`), through the v2 API and the reader site
on a real database (both engines): a publish stores the body exactly as the reader would render
it on read, a newer publish lets the older body go, a merge-code change makes the bodies using
it ready again in the same transaction, a stored body that no longer holds (renderer, content
type, merge-code values) is rendered on read instead, and after an import or an upgrade a
`page_bodies` job run by the real worker code makes every published body ready."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any, cast

from fastapi import FastAPI
from sqlalchemy import select, update

from lorebase.db.models import (
    ArticleRevision,
    ArticleTranslation,
    CategoryRevision,
    CategoryTranslation,
    Job,
)
from lorebase.exchange.service import IMPORT
from lorebase.jobs import queue
from lorebase.jobs.queue import claim_next_job
from lorebase.jobs.worker import run_job
from lorebase.kb import merge_codes, page_bodies, workspaces
from lorebase.kb.content import render_with_values
from lorebase.kb.page_bodies import JOB_KIND, RENDERER
from lorebase.render import GlossaryTerm, MergeCodeValues, Snippet
from lorebase.render.page import OPENING_CHARS, Heading, ReadyBody, opening, ready_body
from tests.conftest import Project
from tests.exchange.roundtrip import export_bytes
from tests.web.reader_content import (
    article,
    category,
    edit_and_publish,
    ok,
    publish,
    set_settings,
    slug_of,
    started,
)

BODY = """Install {{variable.Product}} with one command, then read on.

## Requirements

| Item | Size |
| --- | --- |
| Disk | 2 GB |

### Python

```python
def hello():
    return "world"
```

## Steps

Run the installer.
"""
PLAIN = "Nothing to resolve here: a body without merge codes."
LEASE = timedelta(seconds=60)

Revision = type[ArticleRevision] | type[CategoryRevision]


# --- helpers ----------------------------------------------------------------------------------


def add_variable(project: Project, name: str, value: str) -> str:
    body = {"project_version_id": project.workspace_id, "name": name, "value": value}
    return str(ok(project.post("/v2/Variables", json=body))["id"])


def guides(project: Project) -> str:
    return category(project, "Guides")


def page_category(project: Project, name: str, content: str) -> str:
    """A Page category (category_type 1) with `content`, published."""
    made = category(project, name, category_type=1, content=content, user_id=project.owner_id)
    body = {"user_id": project.owner_id, "version_number": 1}
    ok(project.post(f"/v2/Categories/{made}/en/publish", json=body))
    return made


def owner_column(model: Revision) -> Any:
    return ArticleRevision.article_id if model is ArticleRevision else CategoryRevision.category_id


def stored(
    project: Project, owner_id: str, model: Revision = ArticleRevision, lang: str = "en"
) -> dict[int, tuple[str | None, dict[str, Any] | None, int | None]]:
    """The ready columns of every revision of one item's language, by version number."""
    with project.session() as session:
        rows = session.execute(
            select(model.version_number, model.ready_html, model.ready_facts, model.ready_renderer)
            .where(owner_column(model) == owner_id, model.language_code == lang)
            .order_by(model.version_number)
        )
        return {number: (html, facts, renderer) for number, html, facts, renderer in rows}


def published_ready(project: Project, owner_id: str, model: Revision = ArticleRevision) -> Any:
    """(html, facts, renderer) of the item's highest revision (the published one here)."""
    revisions = stored(project, owner_id, model)
    return revisions[max(revisions)]


def forget_ready_bodies(project: Project) -> None:
    """What a database upgraded to 0010 holds: published revisions without ready bodies. The
    workspace is touched so that the reader's page cache does not answer from before."""
    with project.session() as session:
        for model in (ArticleRevision, CategoryRevision):
            session.execute(
                update(model).values(ready_html=None, ready_facts=None, ready_renderer=None)
            )
        workspaces.touch(session, project.workspace_id)


def set_ready_columns(project: Project, owner_id: str, **values: Any) -> None:
    """Overwrite the ready columns of every revision of an article (and touch its workspace)."""
    with project.session() as session:
        session.execute(
            update(ArticleRevision).where(ArticleRevision.article_id == owner_id).values(**values)
        )
        workspaces.touch(session, project.workspace_id)


def reader_page(project: Project, path: str) -> str:
    response = project.client.get(path, follow_redirects=False)
    assert response.status_code == 200, (path, response.status_code, response.text[:500])
    text: str = response.text
    return text


def article_page(project: Project, article_id: str) -> str:
    return reader_page(project, f"/docs/{slug_of(project, article_id)}")


def values_of(project: Project, lang: str = "en") -> MergeCodeValues:
    with project.session() as session:
        return merge_codes.values_for(session, project.workspace_id, lang)


def rendered_for_reading(
    project: Project, content_type: int | None, content: str, html_content: str | None = None
) -> ReadyBody:
    """What the reader renders on read for a body: merge codes resolved, made ready."""
    _, rendered = render_with_values(content_type, content, html_content, values_of(project))
    return ready_body(rendered or "")


def page_bodies_jobs(project: Project) -> list[Job]:
    with project.session() as session:
        jobs = list(
            session.scalars(select(Job).where(Job.kind == JOB_KIND).order_by(Job.created_at))
        )
        session.expunge_all()
        return jobs


def run_queued(project: Project, kinds: list[str]) -> int:
    """Claim and run every queued job of `kinds` with the real worker code; how many ran."""
    runtime = cast(FastAPI, project.client.app).state.runtime
    ran = 0
    while (job := claim_next_job(runtime.session_factory, "test-worker", kinds, LEASE)) is not None:
        run_job(runtime.session_factory, "test-worker", job, lease=LEASE, runtime=runtime)
        ran += 1
    return ran


def published_renderers(project: Project) -> list[int | None]:
    """`ready_renderer` of every published revision in the database (articles, then category
    pages), found by their translations' public version."""
    found: list[int | None] = []
    with project.session() as session:
        for model, translation, owner in (
            (ArticleRevision, ArticleTranslation, ArticleTranslation.article_id),
            (CategoryRevision, CategoryTranslation, CategoryTranslation.category_id),
        ):
            found += session.scalars(
                select(model.ready_renderer)
                .join(
                    translation,
                    (owner == owner_column(model))
                    & (translation.language_code == model.language_code)
                    & (translation.public_version == model.version_number),
                )
                .order_by(model.id)
            )
    return found


def unready_published(project: Project) -> int:
    return sum(1 for renderer in published_renderers(project) if renderer != RENDERER)


# --- publishing -------------------------------------------------------------------------------


def test_publishing_stores_the_body_the_reader_would_render_on_read(project: Project) -> None:
    add_variable(project, "Product", "Acme")
    install = article(project, guides(project), "Install", BODY)

    html, facts, renderer = published_ready(project, install)
    expected = rendered_for_reading(project, 0, BODY)
    assert renderer == RENDERER
    assert html == expected.html
    assert "Install Acme with one command" in html and "{{" not in html
    assert '<pre class="highlight"><code class="language-python">' in html
    assert '<span class="k">def</span>' in html
    assert '<div class="table-wrap"><table>' in html and "</table></div>" in html
    assert facts is not None
    assert [tuple(h) for h in facts["headings"]] == [
        (h.level, h.anchor, h.html) for h in expected.headings
    ]
    assert [(level, text) for level, _, text in facts["headings"]] == [
        (2, "Requirements"),
        (3, "Python"),
        (2, "Steps"),
    ]
    assert facts["words"] == expected.words > 0
    assert facts["opening"] == expected.opening
    assert facts["opening"].startswith("Install Acme with one command, then read on.")
    assert facts["content_type"] == 0
    assert facts["values"] == page_bodies.values_digest(values_of(project))

    served = article_page(project, install)
    assert html in served  # the stored body, as it is
    forget_ready_bodies(project)
    assert stored(project, install)[1] == (None, None, None)
    assert article_page(project, install) == served  # rendered on read: the same bytes


def test_the_reader_takes_a_stored_body_that_holds_as_it_is(project: Project) -> None:
    install = article(project, guides(project), "Install", PLAIN)
    html, facts, _ = published_ready(project, install)
    assert facts is not None and facts["values"] is None
    assert html is not None and html in article_page(project, install)

    kept = {**facts, "headings": [[2, "kept", "Kept heading"]], "opening": "Kept opening"}
    set_ready_columns(project, install, ready_html="<p>Kept marker</p>", ready_facts=kept)
    served = article_page(project, install)
    assert "<p>Kept marker</p>" in served and PLAIN not in served
    assert 'href="#kept"' in served  # the "In this article" list: the stored headings
    assert 'content="Kept opening"' in served  # the description: the stored opening words


def test_a_stored_body_of_another_renderer_is_not_served(project: Project) -> None:
    install = article(project, guides(project), "Install", PLAIN)
    set_ready_columns(project, install, ready_html="<p>Old renderer</p>", ready_renderer=0)
    served = article_page(project, install)
    assert "Old renderer" not in served and PLAIN in served


def test_publishing_a_newer_version_lets_the_previous_body_go(project: Project) -> None:
    install = article(project, guides(project), "Install", "Version one of the install.")
    assert stored(project, install)[1][2] == RENDERER

    edit_and_publish(project, install, "Version two of the install.")

    revisions = stored(project, install)
    assert sorted(revisions) == [1, 2]
    assert revisions[1] == (None, None, None)
    html, facts, renderer = revisions[2]
    assert renderer == RENDERER and facts is not None
    assert html == rendered_for_reading(project, 0, "Version two of the install.").html
    served = article_page(project, install)
    assert "Version two of the install." in served and "Version one" not in served


def test_publishing_an_older_version_again_makes_it_ready_and_lets_the_newer_go(
    project: Project,
) -> None:
    install = article(project, guides(project), "Install", "Version one of the install.")
    edit_and_publish(project, install, "Version two of the install.")

    publish(project, install, version=1)

    revisions = stored(project, install)
    assert revisions[2] == (None, None, None)
    assert revisions[1][2] == RENDERER
    assert "Version one of the install." in article_page(project, install)


def test_saving_a_draft_over_a_published_version_keeps_its_ready_body(project: Project) -> None:
    install = article(project, guides(project), "Install", "Published words.")
    ok(project.put(f"/v2/Articles/{install}/en", json={"content": "Draft words."}))

    revisions = stored(project, install)
    assert revisions[1][2] == RENDERER and "Published words." in (revisions[1][0] or "")
    assert revisions[2] == (None, None, None)  # a draft is never made ready
    served = article_page(project, install)
    assert "Published words." in served and "Draft words." not in served


def test_a_category_page_is_made_ready_when_published(project: Project) -> None:
    add_variable(project, "Product", "Acme")
    content = (
        "Welcome to {{variable.Product}}.\n\n## First steps\n\n| A | B |\n|---|---|\n| 1 | 2 |"
    )
    welcome = page_category(project, "Welcome", content)

    html, facts, renderer = published_ready(project, welcome, CategoryRevision)
    expected = rendered_for_reading(project, 0, content)
    assert renderer == RENDERER
    assert html == expected.html
    assert "Welcome to Acme." in html and '<div class="table-wrap">' in html
    assert facts is not None and [h[2] for h in facts["headings"]] == ["First steps"]
    assert facts["values"] == page_bodies.values_digest(values_of(project))

    served = reader_page(project, "/docs/en/category/welcome")
    assert html in served
    forget_ready_bodies(project)
    assert reader_page(project, "/docs/en/category/welcome") == served


def test_an_html_article_is_made_ready_as_the_reader_renders_it(project: Project) -> None:
    add_variable(project, "Product", "Acme")
    body = (
        "<h2>Setup</h2><p>Use {{variable.Product}}.</p><script>alert(1)</script>"
        '<pre><code class="language-python">x = 1</code></pre>'
        "<table><tr><td>cell</td></tr></table>"
    )
    install = article(project, guides(project), "Install", body, content_type=1)

    html, facts, renderer = published_ready(project, install)
    assert renderer == RENDERER and facts is not None and facts["content_type"] == 1
    assert html == rendered_for_reading(project, 1, body, body).html
    assert "Use Acme." in html and "<script" not in html
    assert '<pre class="highlight">' in html and '<div class="table-wrap">' in html
    served = article_page(project, install)
    assert html in served
    forget_ready_bodies(project)
    assert article_page(project, install) == served


def test_publishing_a_translation_leaves_the_other_language_ready(project: Project) -> None:
    project.add_language("fr")
    install = article(project, guides(project), "Install", "English words.")
    english = stored(project, install)[1]
    ok(project.put(f"/v2/Articles/{install}/fr", json={"title": "Installer", "content": "Un."}))
    publish(project, install, "fr")
    ok(project.put(f"/v2/Articles/{install}/fr", json={"content": "Deux."}))
    publish(project, install, "fr", version=2)

    assert stored(project, install) == {1: english}
    french = stored(project, install, lang="fr")
    assert french[1] == (None, None, None)
    assert french[2][2] == RENDERER and "Deux." in (french[2][0] or "")
    assert "Deux." in reader_page(project, f"/docs/fr/{slug_of(project, install, 'fr')}")


# --- merge codes and settings -----------------------------------------------------------------


def test_changing_a_variable_makes_the_bodies_using_it_ready_again_at_once(
    project: Project,
) -> None:
    product = add_variable(project, "Product", "Acme")
    shelf = guides(project)
    install = article(project, shelf, "Install", BODY)
    plain = article(project, shelf, "Plain", PLAIN)
    plain_before = published_ready(project, plain)
    assert "Acme" in article_page(project, install)

    ok(project.put(f"/v2/Variables/{product}", json={"value": "Globex"}))

    # Made ready in the variable's own transaction: no job, nothing rendered on read.
    assert page_bodies_jobs(project) == []
    html, facts, renderer = published_ready(project, install)
    assert renderer == RENDERER and facts is not None
    assert "Install Globex with one command" in (html or "") and "Acme" not in (html or "")
    assert html == rendered_for_reading(project, 0, BODY).html
    assert facts["values"] == page_bodies.values_digest(values_of(project))
    served = article_page(project, install)
    assert html in served and "Acme" not in served
    # A body without merge codes is left as it was, with no digest to check.
    assert published_ready(project, plain) == plain_before
    assert plain_before[1] is not None and plain_before[1]["values"] is None


def test_deleting_a_variable_shows_the_code_unresolved_as_on_read(project: Project) -> None:
    product = add_variable(project, "Product", "Acme")
    install = article(project, guides(project), "Install", BODY)

    ok(project.delete(f"/v2/Variables/{product}"))

    html, _, _ = published_ready(project, install)
    assert html == rendered_for_reading(project, 0, BODY).html
    assert "Acme" not in (html or "")
    served = article_page(project, install)
    forget_ready_bodies(project)
    assert article_page(project, install) == served


def test_a_body_stored_with_other_merge_code_values_is_rendered_on_read(
    project: Project,
) -> None:
    add_variable(project, "Product", "Acme")
    install = article(project, guides(project), "Install", BODY)
    _, facts, _ = published_ready(project, install)
    assert facts is not None
    # As a publish that raced with a variable change would have left it.
    stale = {**facts, "values": "0" * 32}
    set_ready_columns(project, install, ready_html="<p>Stale Initech</p>", ready_facts=stale)

    served = article_page(project, install)
    assert "Stale Initech" not in served and "Install Acme with one command" in served


def test_a_changed_content_type_is_not_served_from_the_stale_body(project: Project) -> None:
    install = article(project, guides(project), "Install", BODY)
    markdown_html, _, _ = published_ready(project, install)
    assert markdown_html is not None and "<h2" in markdown_html

    set_settings(project, install, content_type=1)

    served = article_page(project, install)
    as_html = rendered_for_reading(project, 1, BODY)
    assert as_html.html != markdown_html
    assert as_html.html in served and markdown_html not in served
    # Made ready again for the new type in the settings' own transaction.
    assert published_ready(project, install)[0] == as_html.html
    assert "## Requirements" in served  # the Markdown source, now read as HTML text


def test_a_category_page_with_a_changed_content_type_is_rendered_for_the_new_one(
    project: Project,
) -> None:
    content = "## Start\n\nWelcome *aboard*."
    welcome = page_category(project, "Welcome", content)
    markdown_html, _, _ = published_ready(project, welcome, CategoryRevision)
    assert markdown_html is not None and "<em>aboard</em>" in markdown_html

    ok(project.put(f"/v2/Categories/{welcome}/en/settings", json={"content_type": 1}))

    served = reader_page(project, "/docs/en/category/welcome")
    as_html = rendered_for_reading(project, 1, content)
    assert as_html.html in served and markdown_html not in served
    assert published_ready(project, welcome, CategoryRevision)[0] == as_html.html


# --- the rules, on plain values ---------------------------------------------------------------


VALUES = MergeCodeValues(
    variables={"Product": "Acme"},
    snippets={"Note": Snippet("<b>Mind</b>", True)},
    glossary={"API": GlossaryTerm("API", "A way in")},
)


def _never() -> str:
    raise AssertionError("the digest is asked only for a body holding merge codes")


def test_usable_gives_back_the_stored_body_while_it_holds() -> None:
    columns = page_bodies.ready(0, "## Hi {{variable.Product}}\n\nSome words.", None, VALUES)
    digest = page_bodies.values_digest(VALUES)

    kept = page_bodies.usable(
        columns["ready_html"], columns["ready_facts"], RENDERER, 0, lambda: digest
    )

    assert kept is not None
    assert kept.html == columns["ready_html"] and "Hi Acme" in kept.html
    assert kept.headings == (Heading(2, kept.headings[0].anchor, "Hi Acme"),)
    assert kept.words == columns["ready_facts"]["words"] == 4
    assert kept.opening == "Hi Acme Some words."


def test_usable_refuses_another_renderer_content_type_or_values() -> None:
    columns = page_bodies.ready(0, "Hi {{variable.Product}}", None, VALUES)
    html, facts = columns["ready_html"], columns["ready_facts"]
    digest = page_bodies.values_digest(VALUES)
    changed = page_bodies.values_digest(
        MergeCodeValues(variables={"Product": "Globex"}, snippets={}, glossary={})
    )

    assert page_bodies.usable(html, facts, RENDERER, 0, lambda: digest) is not None
    assert page_bodies.usable(html, facts, RENDERER + 1, 0, lambda: digest) is None
    assert page_bodies.usable(html, facts, None, 0, lambda: digest) is None
    assert page_bodies.usable(html, facts, RENDERER, 1, lambda: digest) is None
    assert page_bodies.usable(html, facts, RENDERER, 0, lambda: changed) is None
    assert page_bodies.usable(None, facts, RENDERER, 0, lambda: digest) is None
    assert page_bodies.usable(html, None, RENDERER, 0, lambda: digest) is None


def test_a_body_without_merge_codes_does_not_depend_on_the_values() -> None:
    columns = page_bodies.ready(1, None, "<p>Plain <i>HTML</i></p>", VALUES)
    assert columns["ready_facts"]["values"] is None
    assert columns["ready_facts"]["content_type"] == 1
    assert page_bodies.usable(
        columns["ready_html"], columns["ready_facts"], RENDERER, 1, _never
    ) == ReadyBody("<p>Plain <i>HTML</i></p>", (), 2, "Plain HTML")


def test_the_values_digest_covers_every_kind_of_merge_code() -> None:
    digest = page_bodies.values_digest(VALUES)
    variants = [
        MergeCodeValues({"Product": "Globex"}, VALUES.snippets, VALUES.glossary),
        MergeCodeValues({**VALUES.variables, "Other": ""}, VALUES.snippets, VALUES.glossary),
        MergeCodeValues(VALUES.variables, {"Note": Snippet("<b>Mind</b>", False)}, VALUES.glossary),
        MergeCodeValues(VALUES.variables, VALUES.snippets, {"API": GlossaryTerm("API", "Other")}),
        MergeCodeValues({}, {}, {}),
    ]
    assert (
        page_bodies.values_digest(
            MergeCodeValues(dict(VALUES.variables), dict(VALUES.snippets), dict(VALUES.glossary))
        )
        == digest
    )
    assert len({digest, *(page_bodies.values_digest(v) for v in variants)}) == len(variants) + 1


def test_opening_cuts_at_a_word_with_an_ellipsis_past_155_characters() -> None:
    assert OPENING_CHARS == 155
    assert opening("") is None
    assert opening("   \n\t ") is None
    assert opening("  Short   text,\n spaced  out. ") == "Short text, spaced out."
    exactly = "x" * 155
    assert opening(exactly) == exactly
    # 199 characters; the first 155 end just after the 31st word.
    assert opening(" ".join(["word"] * 40)) == " ".join(["word"] * 31) + "…"
    # The 155th character falls inside "breaking": the cut goes back to the word before.
    assert opening("a" * 150 + " breaking point") == "a" * 150 + "…"
    assert opening("x" * 200) == "x" * 155 + "…"  # one long word: cut where it must be


# --- imports, upgrades and the job ------------------------------------------------------------


def test_an_import_queues_a_job_that_makes_every_imported_body_ready(project: Project) -> None:
    add_variable(project, "Product", "Acme")
    shelf = guides(project)
    article(project, shelf, "Install", BODY)
    article(project, shelf, "Plain", PLAIN)
    article(project, shelf, "Draft", "Not published.", published=False)
    page_category(project, "Welcome", "Welcome to {{variable.Product}}.")
    with project.session() as session:
        archive = export_bytes(session, project.project_id)

    form = {"import_by": project.owner_id, "publish_article": "true"}
    files = {"file": ("export.zip", io.BytesIO(archive), "application/zip")}
    assert project.post("/v2/Project/Import", files=files, data=form).status_code == 200
    assert run_queued(project, [IMPORT]) == 1

    (job,) = page_bodies_jobs(project)
    assert (job.status, job.params) == (queue.QUEUED, {"workspace_id": project.workspace_id})
    assert job.project_id == project.project_id
    assert unready_published(project) == 3  # the imported Install, Plain and Welcome
    with project.session() as session:
        # The job is pending: a server starting now queues no second one.
        assert page_bodies.unready_workspaces(session) == []
        assert page_bodies.enqueue_for_unready(session) == 0
    assert len(page_bodies_jobs(project)) == 1

    assert run_queued(project, [JOB_KIND]) == 1

    (job,) = page_bodies_jobs(project)
    assert job.status == queue.COMPLETED and job.result == {"bodies": 3}
    renderers = published_renderers(project)
    assert len(renderers) == 6 and set(renderers) == {RENDERER}
    assert unready_published(project) == 0
    with project.session() as session:
        assert page_bodies.unready_workspaces(session) == []
        assert page_bodies.enqueue_for_unready(session) == 0
    served = reader_page(project, "/docs/install-1")
    assert "Install Acme with one command" in served


def test_an_upgraded_database_gets_one_job_per_workspace_with_unready_bodies(
    project: Project,
) -> None:
    shelf = guides(project)
    install = article(project, shelf, "Install", BODY)
    article(project, shelf, "Plain", PLAIN)
    page_category(project, "Welcome", "Welcome aboard.")
    with project.session() as session:
        assert page_bodies.unready_workspaces(session) == []
        assert page_bodies.enqueue_for_unready(session) == 0
    assert page_bodies_jobs(project) == []
    served = article_page(project, install)

    forget_ready_bodies(project)
    assert unready_published(project) == 3
    assert article_page(project, install) == served  # rendered on read meanwhile

    with project.session() as session:
        assert page_bodies.unready_workspaces(session) == [
            (project.project_id, project.workspace_id)
        ]
        assert page_bodies.enqueue_for_unready(session) == 1
    with project.session() as session:
        assert page_bodies.enqueue_for_unready(session) == 0  # one is pending
    (job,) = page_bodies_jobs(project)
    assert (job.kind, job.params) == (JOB_KIND, {"workspace_id": project.workspace_id})

    assert run_queued(project, [JOB_KIND]) == 1
    assert set(published_renderers(project)) == {RENDERER}
    assert published_ready(project, install)[0] in article_page(project, install)
    with project.session() as session:
        assert page_bodies.enqueue_for_unready(session) == 0


def test_a_server_starting_over_unready_bodies_queues_their_job(project: Project) -> None:
    install = article(project, guides(project), "Install", PLAIN)
    set_ready_columns(project, install, ready_renderer=RENDERER - 1)  # an older renderer's
    assert page_bodies_jobs(project) == []

    with started(project.settings):
        pass

    (job,) = page_bodies_jobs(project)
    assert (job.project_id, job.params) == (
        project.project_id,
        {"workspace_id": project.workspace_id},
    )
    assert job.status == queue.QUEUED


def test_bodies_are_made_ready_a_limited_batch_at_a_time(project: Project) -> None:
    shelf = guides(project)
    article(project, shelf, "One", "First body.")
    article(project, shelf, "Two", "Second body.")
    page_category(project, "Welcome", "Welcome aboard.")
    forget_ready_bodies(project)

    made = []
    with project.session() as session:

        def values(code: str) -> MergeCodeValues:
            return merge_codes.values_for(session, project.workspace_id, code)

        while done := page_bodies.make_unready_ready(session, project.workspace_id, values, 2):
            made.append(done)
    assert made == [2, 1]
    assert set(published_renderers(project)) == {RENDERER}


def test_making_one_workspace_ready_leaves_the_others_alone(project: Project) -> None:
    install = article(project, guides(project), "Install", PLAIN)
    forget_ready_bodies(project)
    _, other_workspace = project.other_project()
    with project.session() as session:
        made = page_bodies.make_unready_ready(
            session, other_workspace, lambda code: MergeCodeValues({}, {}, {})
        )
    assert made == 0
    assert stored(project, install)[1] == (None, None, None)
