"""The Markdown export (a ZIP of `.md` files with front matter) and its import back, on both
databases: layout, front matter, media links, round trip through `open_archive`."""

from __future__ import annotations

import io
import json
import re
import zipfile
from typing import Any

import pytest
from sqlalchemy import select

from lorebase.db.models import Article, ArticleRevision, ArticleTranslation, ProjectVersion
from lorebase.exchange.formats import EXPORT_WRITERS, open_archive
from lorebase.exchange.jsonzip.importer import ImportLog, import_export
from lorebase.exchange.jsonzip.reader import ArchiveError
from lorebase.exchange.markdown.reader import parse_front_matter
from lorebase.exchange.markdown.writer import MARKER_NAME, ExportSummary, write_markdown_zip
from tests.api.v2.test_project_exchange import drain, zip_server  # noqa: F401
from tests.api.v3.conftest import v3_post
from tests.api.v3.test_exchange import download, imports_path, poll, start_export
from tests.exchange.roundtrip import content_of, empty_project, export_bytes
from tests.exchange.test_jsonzip_writer import article, build_kb, category, drive_file, ok

CAPS = {"max_total_bytes": 1 << 28, "max_ratio": 200}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def md_export(session: Any, project_id: str, **options: Any) -> bytes:
    out = io.BytesIO()
    write_markdown_zip(session, project_id, out, **options)
    return out.getvalue()


def md_import(session: Any, project_id: str, data: bytes, **kw: Any) -> ImportLog:
    with open_archive(io.BytesIO(data), **CAPS) as opened:
        return import_export(session, project_id, opened, publish=False, user_id=None, **kw)


def files_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def fields_of(files: dict[str, bytes], name: str) -> tuple[dict[str, Any], str]:
    return parse_front_matter(files[name].decode(), name)


def comparable(data: bytes) -> dict[str, bytes]:
    """Every entry but the marker's creation time, with item ids removed."""
    out = {}
    for name, raw in files_of(data).items():
        if name == MARKER_NAME:
            marker = json.loads(raw)
            del marker["created_at"]
            out[name] = json.dumps(marker).encode()
        else:
            out[name] = re.sub(rb'(?m)^id: ".*"\n', b"", raw)
    return out


def test_markdown_is_a_registered_export_format():
    assert EXPORT_WRITERS["markdown"] is write_markdown_zip


def test_files_follow_the_category_tree_with_front_matter_per_language(project):
    ids = build_kb(project)
    with project.session() as session:
        out = io.BytesIO()
        summary = write_markdown_zip(session, project.project_id, out)
    files = files_of(out.getvalue())
    assert sorted(files) == [
        MARKER_NAME,
        "v1/guides/advanced/html-page.fr.md",
        "v1/guides/advanced/html-page.md",
        "v1/guides/advanced/index.md",
        "v1/guides/index.md",
        "v1/guides/install.fr.md",
        "v1/guides/install.md",
        "v1/welcome/index.md",
    ]
    assert summary == ExportSummary(workspaces=1, categories=3, articles=2, files=8)
    marker = json.loads(files[MARKER_NAME])
    assert marker["format"] == "lorebase-markdown"
    assert marker["workspaces"] == [{"folder": "v1", "slug": "v1", "languages": ["en", "fr"]}]

    text = files["v1/guides/install.md"].decode()
    assert text.startswith('---\ntitle: "Install"\nslug: "install"\n')
    fields, body = fields_of(files, "v1/guides/install.md")
    assert list(fields)[:7] == [
        "title",
        "slug",
        "id",
        "language",
        "order",
        "status",
        "content_type",
    ]
    assert fields["id"] == ids["install"] and fields["language"] == "en"
    # v1 is published, v2 is the latest: the Markdown file holds v2, as a draft.
    assert (fields["status"], fields["content_type"], body) == ("draft", "markdown", "Install v2")
    fr, body = fields_of(files, "v1/guides/install.fr.md")
    assert (fr["title"], fr["language"], body) == ("Installer", "fr", "Oui")
    html, body = fields_of(files, "v1/guides/advanced/html-page.md")
    assert html["content_type"] == "html" and body == "<p>Hi {{variable.Product}}</p>"
    page, body = fields_of(files, "v1/welcome/index.md")
    assert (page["kind"], page["category_type"], page["order"]) == ("category", "page", 1)
    assert body == "Welcome to {{variable.Product}}"  # merge codes kept
    folder, body = fields_of(files, "v1/guides/index.md")
    assert (folder["category_type"], folder["title"], body) == ("folder", "Guides", "")
    assert "status" not in folder


def test_front_matter_strings_are_json_and_parse_back(project):
    cat = category(project, "Guides")
    tricky = 'Quote " colon: a\nnew line — ünï \u2028 done'
    article(project, cat, tricky, "body\n---\nnot front matter")
    with project.session() as session:
        files = files_of(md_export(session, project.project_id))
    (name,) = [n for n in files if n.startswith("v1/guides/") and not n.endswith("index.md")]
    raw = files[name].decode()
    assert "\u2028" not in raw.split("\n---\n", 1)[0]
    fields, body = fields_of(files, name)
    assert fields["title"] == tricky and body == "body\n---\nnot front matter"


def test_names_are_unique_and_never_shadow_index_or_languages(project):
    cat = category(project, "Guides")
    sub = category(project, "Same", parent=cat)
    for title in ("Same", "index", "a.fr"):
        article(project, cat, title, title)
    with project.session() as session:
        names = [n for n in files_of(md_export(session, project.project_id)) if n != MARKER_NAME]
    assert len(names) == len({n.lower() for n in names})
    assert "v1/guides/same/index.md" in names and "v1/guides/same-2.md" in names
    assert "v1/guides/index-2.md" in names and "v1/guides/a-fr.md" in names
    assert sub


def with_media(project: Any) -> str:
    url = drive_file(project, "logo one.png", PNG)
    cat = category(project, "Media")
    return article(project, cat, "Pictures", f'![logo]({url}) and <img src="{url}?w=2">')


def test_media_go_under_media_with_relative_links(project):
    with_media(project)
    blobs = project.client.app.state.runtime.blobs
    with project.session() as session:
        files = files_of(md_export(session, project.project_id, blobs=blobs))
        excluded = files_of(md_export(session, project.project_id, blobs=blobs, exclude_media=True))
    assert files["_media/Images/logo one.png"] == PNG
    _, body = fields_of(files, "v1/media/pictures.md")
    link = "../../_media/Images/logo%20one.png"
    # A query (a signature, a size) means nothing to a file in the ZIP: it is dropped.
    assert body == f'![logo]({link}) and <img src="{link}">'
    assert not any(n.startswith("_media/") for n in excluded)
    _, kept = fields_of(excluded, "v1/media/pictures.md")
    assert "http://kb.example/media/" in kept


def test_round_trip_gives_the_same_files_but_ids(project):
    build_kb(project)
    with_media(project)
    done = article(project, category(project, "Done"), "Shipped", "Final **text**")
    ok(
        project.post(
            f"/v2/Articles/{done}/en/publish",
            json={"user_id": project.owner_id, "version_number": 1},
        )
    )
    blobs = project.client.app.state.runtime.blobs
    with project.session() as session:
        first = md_export(session, project.project_id, blobs=blobs)
        target = empty_project(session, ["en", "fr"])
    with project.session() as session:
        log = md_import(session, target, first, blobs=blobs, base_url="http://kb.test")
    assert (log.categories, log.articles, log.media) == (5, 4, 1)
    with project.session() as session:
        second = md_export(session, target, blobs=blobs)
        states = {
            tr.slug: (tr.public_version, tr.latest_version)
            for tr in session.scalars(
                select(ArticleTranslation)
                .join(Article, Article.id == ArticleTranslation.article_id)
                .join(ProjectVersion, ProjectVersion.id == Article.project_version_id)
                .where(
                    ProjectVersion.project_id == target, ArticleTranslation.language_code == "en"
                )
            )
        }
        pictures = session.scalar(
            select(ArticleRevision.content)
            .join(Article, Article.id == ArticleRevision.article_id)
            .join(ProjectVersion, ProjectVersion.id == Article.project_version_id)
            .where(ProjectVersion.project_id == target, ArticleRevision.title == "Pictures")
        )
    assert f"](http://kb.test/media/{target}/" in pictures
    assert comparable(second) == comparable(first)
    assert states["shipped"] == (1, 1) and states["install"] == (0, 1)


def test_a_markdown_import_matches_a_json_export_of_the_same_content(project):
    build_kb(project)
    with project.session() as session:
        first = md_export(session, project.project_id)
        target = empty_project(session, ["en", "fr"])
    with project.session() as session:
        md_import(session, target, first)
    with project.session() as session:
        again = export_bytes(session, target)
    bodies = {
        name: [lang["Content"] for lang in value]
        for name, value in content_of(again).items()
        if "/articles/" in name
    }
    assert bodies == {
        "v1/articles/install.json": ["Install v2", "Oui"],
        "v1/articles/html-page.json": ["<p>Hi {{variable.Product}}</p>", "<p>Fr</p>"],
    }


def test_json_exports_still_open_as_json(project):
    build_kb(project)
    with project.session() as session:
        data = export_bytes(session, project.project_id)
    with open_archive(io.BytesIO(data), **CAPS) as opened:
        assert [ws.slug for ws in opened.archive.workspaces] == ["v1"]
        assert not type(opened).__name__.startswith("Markdown")


def zip_of(entries: dict[str, str]) -> bytes:
    marker = {
        "format": "lorebase-markdown",
        "workspaces": [{"folder": "d", "slug": "d", "languages": ["en"]}],
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(MARKER_NAME, json.dumps(marker))
        for name, text in entries.items():
            archive.writestr(name, text)
    return out.getvalue()


ARTICLE = '---\nkind: "article"\nid: "a1"\nlanguage: "en"\ntitle: "A"\n---\nbody'


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ({"d/a.md": "no front matter"}, "does not start with a '---'"),
        ({"d/a.md": '---\ntitle: "A"\n'}, "no closing '---'"),
        ({"d/a.md": "---\n: x\n---\n"}, "expected 'key: value'"),
        ({"d/a.md": '---\nkind: "article"\nid: ["x"]\n---\n'}, "single value"),
        ({"d/a.md": '---\nkind: "page"\nid: "x"\n---\n'}, "needs 'kind'"),
        ({"d/a.md": ARTICLE, "d/b/index.md": ARTICLE.replace("article", "category")}, "another"),
        ({"d/a.md": ARTICLE, "d/a.en.md": ARTICLE}, "second file for language"),
        ({"d/x/a.md": ARTICLE}, "no index.md"),
        ({"d/a.md": ARTICLE.replace('"en"', "true")}, "'language' should be text"),
        ({"../a.md": ARTICLE}, "outside the archive"),
        ({"d/index.md": ARTICLE.replace("article", "category")}, "own folder"),
    ],
)
def test_unusable_markdown_archives_are_refused_with_a_reason(entries, message):
    with pytest.raises(ArchiveError, match=re.escape(message)):
        open_archive(io.BytesIO(zip_of(entries)), **CAPS)


def test_a_hand_written_file_imports(project):
    text = '---\nkind: article\nid: "h1"\nlanguage: en\ntitle: "Hand"\nstatus: published\n---\n# Hi'
    data = zip_of({"d/hand.md": text, "d/notes.txt": "ignored"})
    with open_archive(io.BytesIO(data), **CAPS) as opened:
        (ws,) = opened.archive.workspaces
        (art,) = ws.articles
        (tr,) = art.translations
        assert (tr.title, tr.content, tr.public_version) == ("Hand", "# Hi", 1)
        assert any("notes.txt" in w for w in opened.archive.warnings)


def test_front_matter_may_use_crlf_and_keeps_the_body_as_it_is():
    fields, body = parse_front_matter('---\r\ntitle: "A"\r\nhidden: true\r\n---\r\nx\r\ny', "a.md")
    assert fields == {"title": "A", "hidden": True} and body == "x\r\ny"
    assert parse_front_matter("---\n---\nbody", "b.md") == ({}, "body")
    assert parse_front_matter('---\nkind: "article"\n---', "c.md") == ({"kind": "article"}, "")
    with pytest.raises(ArchiveError, match="nested too deeply"):
        parse_front_matter("---\nx: " + "[" * 100_000 + "\n---\n", "d.md")


def test_progress_counts_items_not_language_files(project):
    build_kb(project)
    calls: list[tuple[int, int]] = []
    with project.session() as session:
        md_export(session, project.project_id, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(n, 5) for n in range(1, 6)]


def test_language_filter_makes_the_chosen_language_the_plain_file(project):
    build_kb(project)
    with project.session() as session:
        files = files_of(md_export(session, project.project_id, languages=["FR"]))
    assert json.loads(files[MARKER_NAME])["workspaces"][0]["languages"] == ["fr"]
    fields, body = fields_of(files, "v1/guides/install.md")
    assert (fields["language"], body) == ("fr", "Oui")
    # Categories have no French name: their folders keep their place and a slug, no language.
    guides, _ = fields_of(files, "v1/guides/index.md")
    assert "language" not in guides and guides["category_type"] == "folder"
    assert not any(name.endswith(".en.md") for name in files)
    with project.session() as session:
        data = md_export(session, project.project_id, languages=["fr"])
        target = empty_project(session, ["en", "fr"])
    with project.session() as session:
        log = md_import(session, target, data)
    assert (log.categories, log.articles) == (3, 2)
    with project.session() as session:
        again = files_of(md_export(session, target))
    # The categories came without a name in any language: their folders are "untitled" now.
    assert fields_of(again, "v1/untitled/install.fr.md")[1] == "Oui"


def test_category_filter_and_a_forward_only_stream(project):
    ids = build_kb(project)

    class ForwardOnly(io.RawIOBase):
        def __init__(self) -> None:
            self.data = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, b: Any) -> int:
            self.data += bytes(b)
            return len(b)

    out = ForwardOnly()
    with project.session() as session:
        summary = write_markdown_zip(
            session,
            project.project_id,
            out,  # type: ignore[arg-type]
            category_ids=[ids["advanced"]],
        )
    files = files_of(bytes(out.data))
    assert sorted(files) == [
        MARKER_NAME,
        "v1/advanced/html-page.fr.md",
        "v1/advanced/html-page.md",
        "v1/advanced/index.md",
    ]
    assert (summary.categories, summary.articles, summary.files) == (1, 1, 4)


def test_v3_markdown_export_and_its_import_end_to_end(project, zip_server):  # noqa: F811
    folder, base = zip_server
    build_kb(project)
    _, location = start_export(project, format="markdown")
    assert drain(project) == 1
    done = poll(project, location)
    assert done["status"] == "Completed", done
    archive = download(project, done["download_url"])
    assert MARKER_NAME in archive.namelist()
    assert "v1/guides/install.md" in archive.namelist()
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w") as copy:
        for name in archive.namelist():
            copy.writestr(name, archive.read(name))
    (folder / "kb.zip").write_bytes(raw.getvalue())
    project.client.app.state.runtime.settings.import_allow_private_urls = True
    body = {"source_documentation_url": f"{base}/kb.zip", "import_by": project.owner_id}
    response = v3_post(project, imports_path(project), json=body)
    assert response.status_code == 202, response.text
    assert drain(project) == 2  # the import, then the page_bodies job it queues
    assert poll(project, response.headers["Operation-Location"])["status"] == "Completed"
    with project.session() as session:
        titles = session.scalars(
            select(ArticleTranslation.title).where(ArticleTranslation.language_code == "en")
        ).all()
    assert sorted(titles) == ["Html page", "Html page", "Install", "Install"]
