"""The portal's search: the latest revisions of the desk's workspace language, drafts and
hidden articles included; hits link to the editor with their status, visibility and category
path; everything typed or written is escaped; no query can break the page."""

from __future__ import annotations

import re
from typing import Any

import pytest

from lorebase.auth.roles import Role
from tests.conftest import Project
from tests.exchange.test_jsonzip_writer import article, category, ok
from tests.web.conftest import Browser, Site

SEARCH = "/portal/search"


def _main(html: str) -> str:
    """The screen's own part of a page (the frame's scripts are ours)."""
    return html[html.index("<main") : html.index("</main>")]


def _search(browser: Browser, q: str, **params: str) -> Any:
    return browser.get(SEARCH, params={"q": q, **params})


def _hits(html: str) -> list[str]:
    """The article ids of the hits, in order (only hits link to articles)."""
    return re.findall(r'<a href="/portal/articles/([^/"]+)/', html)


def _publish(project: Project, article_id: str) -> None:
    body = {"user_id": project.owner_id, "version_number": 1}
    ok(project.post(f"/v2/Articles/{article_id}/en/publish", json=body))


@pytest.fixture
def animals(project: Project) -> dict[str, str]:
    top = category(project, "Animals")
    marsupials = category(project, "Marsupials & <friends>", parent=top)
    draft = article(project, marsupials, "Quokka field guide", "Where the quokkas live.")
    hidden = article(project, top, "Narwhal tusks", "Every narwhal has a tusk.")
    _publish(project, hidden)
    answer = project.put(f"/v2/Articles/{hidden}/en", json={"hidden": True})
    assert answer.status_code == 200, answer.text
    shown = article(project, top, "Koala diet", "Koalas eat eucalyptus.")
    _publish(project, shown)
    return {"top": top, "draft": draft, "hidden": hidden, "shown": shown}


def test_a_draft_never_published_is_found_with_its_status_and_category_path(
    site: Site, project: Project, animals: dict[str, str]
) -> None:
    writer = site.signed_in(Role.DRAFT_WRITER)
    page = _search(writer, "quokka")
    assert page.status_code == 200
    assert _hits(page.text) == [animals["draft"]]
    main = _main(page.text)
    link = f'href="/portal/articles/{animals["draft"]}/en?ws={project.workspace_id}&amp;lang=en"'
    assert link in main
    assert "<mark>Quokka</mark> field guide" in main
    assert '<span class="badge draft">Draft</span>' in main
    assert "Animals › Marsupials &amp; &lt;friends&gt;" in main
    assert "1 article matches." in main
    # Readers search what is published: the draft is not theirs to find.
    reader_site = project.client.get("/search", params={"q": "quokka"})
    assert animals["draft"] not in reader_site.text and "Quokka field" not in reader_site.text


def test_hidden_and_published_articles_are_found_too(
    site: Site, project: Project, animals: dict[str, str]
) -> None:
    editor = site.signed_in(Role.EDITOR)
    hidden = _main(_search(editor, "narwhal").text)
    assert _hits(hidden) == [animals["hidden"]]
    assert '<span class="badge hidden-item">Hidden</span>' in hidden
    shown = _main(_search(editor, "koala").text)
    assert _hits(shown) == [animals["shown"]]
    assert '<span class="badge">Published</span>' in shown
    assert "Hidden" not in shown


def test_a_newer_draft_of_a_published_article_is_what_is_searched(
    site: Site, project: Project, animals: dict[str, str]
) -> None:
    answer = project.put(
        f"/v2/Articles/{animals['shown']}/en", json={"content": "Koalas sleep a lot, wombats dig."}
    )
    assert answer.status_code == 200, answer.text
    editor = site.signed_in(Role.EDITOR)
    main = _main(_search(editor, "wombats").text)
    assert _hits(main) == [animals["shown"]]
    assert '<span class="badge draft">Draft</span>' in main
    assert "version 1 is published" in main


def test_title_matches_come_first(site: Site, project: Project) -> None:
    top = category(project, "Zoo")
    in_text = article(project, top, "Strange mammals", "The platypus lays eggs.")
    in_title = article(project, top, "Platypus", "An odd one.")
    editor = site.signed_in(Role.EDITOR)
    assert _hits(_search(editor, "platypus").text) == [in_title, in_text]


def test_titles_and_texts_are_escaped(site: Site, project: Project) -> None:
    top = category(project, "Attacks")
    article(
        project,
        top,
        'Beware <script>alert("title")</script> tapirs',
        'A tapir &lt;script&gt;alert("text")&lt;/script&gt; <img src=x onerror=alert(1)> here',
    )
    editor = site.signed_in(Role.EDITOR)
    main = _main(_search(editor, "tapir").text)
    assert "<script" not in main and "<img" not in main
    assert "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt; <mark>tapirs</mark>" in main
    assert "&lt;script alert &#34;text&#34; &lt;/script here" in main
    typed = _main(_search(editor, '<script>alert("q")</script>').text)
    assert "<script" not in typed
    assert 'value="&lt;script&gt;alert(&#34;q&#34;)&lt;/script&gt;"' in typed


@pytest.mark.parametrize(
    "q",
    [
        "%",
        "_",
        "\\",
        "'",
        '"',
        "50% off_sale\\",
        "' OR 1=1 --",
        "%quokka%",
        "quok_a",
        "a" * 2000,
        "quokka " * 300,
        "q\x00uokka",
        "\x01\x7f",
        "😀 quokka",
        "ﬁeld",
        "{{variable.Product}}",
    ],
)
def test_no_query_breaks_the_page(
    site: Site, project: Project, animals: dict[str, str], q: str
) -> None:
    editor = site.signed_in(Role.EDITOR)
    page = _search(editor, q)
    assert page.status_code == 200, page.text
    main = _main(page.text)
    assert 'role="search"' in main
    if "quokka" in q.replace("\x00", ""):
        assert animals["draft"] in _hits(page.text)


def test_a_query_without_words_says_so(
    site: Site, project: Project, animals: dict[str, str]
) -> None:
    editor = site.signed_in(Role.EDITOR)
    main = _main(_search(editor, "%_\\").text)
    assert "There is no word to search for" in main
    assert _hits(main) == []


def test_an_empty_query_shows_the_form_only(site: Site, project: Project) -> None:
    editor = site.signed_in(Role.EDITOR)
    for q in ("", "   "):
        main = _main(_search(editor, q).text)
        assert 'role="search"' in main and '<label for="portal-search-q">' in main
        assert 'role="status"' not in main and "search-hits" not in main
    assert 'aria-current="page">Search</a>' in editor.get(SEARCH).text


def test_the_desk_chooses_the_language_and_an_unknown_one_is_not_found(
    site: Site, project: Project, animals: dict[str, str]
) -> None:
    project.add_language("fr")
    answer = project.put(
        f"/v2/Articles/{animals['draft']}/fr", json={"title": "Guide du quokka", "content": "Oui"}
    )
    assert answer.status_code == 200, answer.text
    editor = site.signed_in(Role.EDITOR)
    french = _search(editor, "quokka", ws=project.workspace_id, lang="fr")
    assert f'href="/portal/articles/{animals["draft"]}/fr?' in _main(french.text)
    assert "Guide du <mark>quokka</mark>" in _main(french.text)
    assert _search(editor, "quokka", lang="tlh").status_code == 404
    assert _search(editor, "quokka", ws="nowhere").status_code == 404


def test_readers_may_not_search_the_portal(site: Site) -> None:
    reader = site.signed_in(Role.READER)
    answer = _search(reader, "quokka")
    assert answer.status_code == 403
    assert "Your role does not allow this" in answer.text
