"""The offline HTML site export (v2 `export_type: 1`, v3 `format: "html"`), on both databases:
layout, what a reader sees, links that all resolve inside the ZIP, the shared tree and search
index, media, languages. The site in a real browser: tests/e2e/test_html_site_browser.py."""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from typing import Any
from urllib.parse import unquote, urlsplit

import orjson

from lorebase.exchange.formats import EXPORT_WRITERS
from lorebase.exchange.htmlsite.pages import fold
from lorebase.exchange.htmlsite.writer import write_html_site
from lorebase.render import markdown_to_html
from tests.api.v2.test_project_exchange import drain
from tests.api.v3.test_exchange import download, poll, start_export
from tests.exchange.test_jsonzip_writer import article, category, drive_file, ok

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
_LINK = re.compile(r'(?:href|src)="([^"]*)"')


def publish(project: Any, article_id: str, lang: str = "en", version: int = 1) -> None:
    body = {"user_id": project.owner_id, "version_number": version}
    ok(project.post(f"/v2/Articles/{article_id}/{lang}/publish", json=body))


def published(project: Any, category_id: str, title: str, content: str, **extra: Any) -> str:
    article_id = article(project, category_id, title, content, **extra)
    publish(project, article_id)
    return article_id


def site(project: Any, **options: Any) -> dict[str, bytes]:
    out = io.BytesIO()
    with project.session() as session:
        write_html_site(session, project.project_id, out, **options)
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def text(files: dict[str, bytes], name: str) -> str:
    return files[name].decode()


def script_value(files: dict[str, bytes], name: str, variable: str) -> Any:
    raw = text(files, name)
    prefix = f"window.{variable} = "
    assert raw.startswith(prefix) and raw.endswith(";\n")
    return orjson.loads(raw[len(prefix) : -2])


def small_kb(project: Any) -> dict[str, str]:
    ok(
        project.post(
            "/v2/Variables",
            json={"project_version_id": project.workspace_id, "name": "Product", "value": "Acme"},
        )
    )
    guides = category(project, "Guides")
    advanced = category(project, "Advanced", parent=guides)
    install = published(
        project,
        guides,
        "Install",
        "# Install\n\nInstall {{variable.Product}}, then read "
        "[setup](/docs/setup-guide#tuning).\n\n"
        "## Requirements\n\nA computer.\n\n```python\nprint('hi')\n```\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n",
    )
    setup = published(
        project, advanced, "Setup guide", "## Tuning\n\nThe café is open: zanzibarite."
    )
    draft = article(project, guides, "Roadmap", "A secret draft: quetzalcoatl.")
    hidden = published(project, guides, "Internal", "Hidden text: xylophonist.")
    ok(project.put(f"/v2/Articles/{hidden}/en", json={"hidden": True}))
    scripted = published(
        project, guides, "Scripted", '<p>Hi</p><script>alert("x")</script>', content_type=1
    )
    return {
        "guides": guides,
        "advanced": advanced,
        "install": install,
        "setup": setup,
        "draft": draft,
        "hidden": hidden,
        "scripted": scripted,
    }


def test_html_is_a_registered_export_format():
    assert EXPORT_WRITERS["html"] is write_html_site


def test_layout_one_page_per_published_article_in_a_language_folder(project):
    small_kb(project)

    files = site(project)

    assert sorted(files) == [
        "assets/favicon.svg",
        "assets/site.css",
        "assets/site.js",
        "assets/theme.js",
        "index.html",
        "v1/en/index.html",
        "v1/en/install.html",
        "v1/en/scripted.html",
        "v1/en/search.js",
        "v1/en/setup-guide.html",
        "v1/en/tree.js",
    ]
    root = text(files, "index.html")
    assert 'href="v1/en/index.html"' in root
    home = text(files, "v1/en/index.html")
    assert 'id="tree"' in home and 'href="install.html"' in home


def test_pages_show_what_readers_see(project):
    small_kb(project)

    files = site(project)
    everything = b"".join(files.values()).decode()
    install = text(files, "v1/en/install.html")

    # Published revisions only, merge codes resolved, hidden articles and drafts left out.
    assert "Install Acme" in install and "{{variable" not in everything
    assert "quetzalcoatl" not in everything and "xylophonist" not in everything
    # Sanitised: the script never reaches the page.
    assert "alert(" not in text(files, "v1/en/scripted.html")
    # Code highlighted by Pygments, styles for light and dark schemes.
    assert '<pre class="highlight">' in install and '<span class="nb">print</span>' in install
    css = text(files, "assets/site.css")
    assert "prefers-color-scheme: dark" in css and ".highlight .k" in css
    # Wide tables scroll inside the page.
    assert '<div class="table-wrap"><table>' in install


def test_the_page_body_is_the_apis_html_content(project):
    ids = small_kb(project)

    files = site(project)
    api = project.get(
        f"/v2/Articles/{ids['setup']}/en", params={"isForDisplay": "true", "isPublished": "true"}
    ).json()["data"]["html_content"]

    assert api == markdown_to_html("## Tuning\n\nThe café is open: zanzibarite.")
    assert api in text(files, "v1/en/setup-guide.html")


def test_navigation_breadcrumbs_previous_next_and_table_of_contents(project):
    small_kb(project)

    files = site(project)
    install = text(files, "v1/en/install.html")
    setup = text(files, "v1/en/setup-guide.html")

    assert '<nav class="breadcrumbs"' in install and "<span>Guides</span>" in setup
    assert "<span>Advanced</span>" in setup
    # Reading order follows the tree: Guides' articles, then its sub-category.
    assert 'rel="next" href="scripted.html"' in install
    assert 'rel="prev" href="scripted.html"' in setup
    assert 'rel="prev"' not in install and 'rel="next"' not in setup
    assert '<nav class="toc"' in install and 'href="#requirements"' in install
    # A link to another article by its site URL points at its page, fragment kept.
    assert 'href="setup-guide.html#tuning"' in install


def test_the_tree_lives_once_in_tree_js_not_in_every_page(project):
    guides = category(project, "Guides")
    titles = [f"Topic number {n}" for n in range(12)]
    for title in titles:
        published(project, guides, title, f"Body of {title}.")

    files = site(project)
    tree = script_value(files, "v1/en/tree.js", "LOREBASE_TREE")

    assert tree["nodes"][0][0] == "Guides"
    assert [leaf[0] for leaf in tree["nodes"][0][2]] == titles
    middle = text(files, "v1/en/topic-number-5.html")
    # A page names itself, its neighbours and its ancestors, not the rest of the tree.
    others = [t for t in titles if t not in ("Topic number 4", "Topic number 5", "Topic number 6")]
    assert not any(f">{t}<" in middle for t in others)
    assert '<script src="tree.js"></script>' in middle


def test_search_index_is_a_script_with_folded_words(project):
    small_kb(project)

    files = site(project)
    index = script_value(files, "v1/en/search.js", "LOREBASE_SEARCH")
    hrefs = [doc[1] for doc in index["docs"]]

    def pages_for(word: str) -> list[str]:
        at, found = 0, []
        for delta in index["terms"].get(word, []):
            at += delta
            found.append(hrefs[at])
        return found

    assert pages_for("zanzibarite") == ["setup-guide.html"]
    assert pages_for("cafe") == ["setup-guide.html"]  # accents folded, as site.js folds
    assert pages_for(fold("Café")) == ["setup-guide.html"]
    assert pages_for("quetzalcoatl") == [] and pages_for("xylophonist") == []
    assert sorted(pages_for("install")) == ["install.html"]


def test_every_link_and_source_resolves_inside_the_zip(project):
    small_kb(project)
    with_media(project)
    project.add_language("fr")
    install_fr = published(project, category(project, "Guides FR"), "Installer", "Oui")
    ok(project.put(f"/v2/Articles/{install_fr}/fr", json={"title": "Installer", "content": "Non"}))
    publish(project, install_fr, "fr", 1)
    blobs = project.client.app.state.runtime.blobs

    files = site(project, blobs=blobs)

    checked = 0
    for name, raw in files.items():
        if not name.endswith(".html"):
            continue
        for link in _LINK.findall(raw.decode()):
            parts = urlsplit(link)
            if parts.scheme in ("http", "https", "mailto") or link.startswith("#"):
                continue
            assert not parts.scheme and not link.startswith("/"), (name, link)
            target = posixpath.normpath(posixpath.join(posixpath.dirname(name), parts.path))
            assert unquote(target) in files, (name, link)
            checked += 1
    assert checked > 30


def with_media(project: Any) -> str:
    url = drive_file(project, "logo one.png", PNG)
    return published(project, category(project, "Media"), "Pictures", f"![logo]({url}?w=2)")


def test_media_are_copied_and_linked_relatively_unless_excluded(project):
    with_media(project)
    blobs = project.client.app.state.runtime.blobs

    files = site(project, blobs=blobs)
    excluded = site(project, blobs=blobs, exclude_media=True)

    assert files["media/Images/logo one.png"] == PNG
    assert 'src="../../media/Images/logo%20one.png"' in text(files, "v1/en/pictures.html")
    assert not any(name.startswith("media/") for name in excluded)
    assert "http://kb.example/media/" in text(excluded, "v1/en/pictures.html")


def test_a_media_url_shown_in_text_or_code_stays_as_written(project):
    url = drive_file(project, "logo.png", PNG)
    body = f'![logo]({url})\n\nEmbed it with `<img src="{url}">` or the address {url}.'
    published(project, category(project, "Media"), "Pictures", body)

    page = text(site(project, blobs=project.client.app.state.runtime.blobs), "v1/en/pictures.html")

    assert '<img src="../../media/Images/logo.png" alt="logo">' in page
    assert f'<code>&lt;img src="{url}"&gt;</code>' in page
    # The autolink's target is the copy in the ZIP; its text is the address as written.
    assert f'<a href="../../media/Images/logo.png" rel="noopener noreferrer">{url}</a>' in page


def test_each_language_has_its_folder_and_a_switcher(project):
    guides = category(project, "Guides")
    both = published(project, guides, "Install", "English body")
    only_en = published(project, guides, "Billing", "English only")
    project.add_language("fr")
    ok(project.put(f"/v2/Articles/{both}/fr", json={"title": "Installer", "content": "Corps"}))
    publish(project, both, "fr")
    ok(project.put(f"/v2/Articles/{only_en}/fr", json={"title": "Facturation", "content": "x"}))

    files = site(project)
    page_en = text(files, "v1/en/install.html")

    # The French slug is the one the article got at creation (titles do not rename slugs).
    assert "Corps" in text(files, "v1/fr/install.html")
    # Not published in French: no French page.
    assert not any("facturation" in name for name in files)
    assert 'hreflang="fr"' in page_en and 'href="../fr/install.html"' in page_en
    assert 'href="../fr/index.html" hreflang="fr"' in text(files, "v1/en/billing.html")
    assert '<html lang="fr">' in text(files, "v1/fr/install.html")
    assert 'href="v1/fr/index.html"' in text(files, "index.html")


def test_an_index_category_lists_what_it_holds_and_a_page_category_shows_its_body(project):
    index = category(project, "Reference", category_type=2)
    published(project, index, "Limits", "Some limits.")
    page = category(
        project, "Welcome", category_type=1, content="Welcome aboard", user_id=project.owner_id
    )
    body = {"user_id": project.owner_id, "version_number": 1}
    assert project.post(f"/v2/Categories/{page}/en/publish", json=body).status_code == 200

    files = site(project)
    reference = text(files, "v1/en/reference.html")

    assert "<h1>Reference</h1>" in reference and 'href="limits.html"' in reference
    assert "Welcome aboard" in text(files, "v1/en/welcome.html")


def test_filters_and_progress(project):
    ids = small_kb(project)
    calls: list[tuple[int, int]] = []

    files = site(
        project, category_ids=[ids["advanced"]], progress=lambda d, t: calls.append((d, t))
    )

    assert sorted(n for n in files if n.endswith(".html")) == [
        "index.html",
        "v1/en/index.html",
        "v1/en/setup-guide.html",
    ]
    assert calls == [(1, 1)]


def test_an_empty_project_gives_a_site_saying_so(project):
    files = site(project)

    assert "nothing published" in text(files, "v1/en/index.html")
    assert script_value(files, "v1/en/search.js", "LOREBASE_SEARCH")["docs"] == []


def test_v2_export_type_1_and_v3_html_run_as_jobs(project):
    small_kb(project)

    started = project.post("/v2/Project/Export", json={"entity": "Project", "export_type": 1})
    assert started.status_code == 200, started.text
    assert drain(project) == 1
    status = project.get(f"/v2/Project/Export/{started.json()['id']}").json()
    assert status["status"] == "Completed", status
    archive = download(project, status["download_url"])
    assert "v1/en/install.html" in archive.namelist()

    _, location = start_export(project, format="html")
    assert drain(project) == 1
    done = poll(project, location)
    assert done["status"] == "Completed", done
    assert "assets/site.js" in download(project, done["download_url"]).namelist()


def test_pages_rendered_in_worker_processes_are_the_same(project):
    small_kb(project)
    with_media(project)
    blobs = project.client.app.state.runtime.blobs
    footer = re.compile(rb"exported \d{4}-\d\d-\d\d \d\d:\d\d UTC")

    alone = site(project, blobs=blobs, processes=1)
    pooled = site(project, blobs=blobs, processes=2)

    assert sorted(alone) == sorted(pooled)
    for name, data in alone.items():
        assert footer.sub(b"", data) == footer.sub(b"", pooled[name]), name
