"""The JSON ZIP importer on both databases: round trip, merge rules, all-or-nothing."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import func, select

from lorebase.db.models import Article, ArticleTranslation, Category, ProjectVersion
from lorebase.exchange.jsonzip.importer import ImportRejected
from lorebase.exchange.jsonzip.reader import read_export
from tests.exchange.roundtrip import content_of, empty_project, export_bytes, import_bytes
from tests.exchange.test_jsonzip_reader import FIXTURE, needs_real_export
from tests.exchange.test_jsonzip_writer import article, build_kb, category, ok


def counts(session, project_id):
    def count(model):
        return session.scalar(
            select(func.count())
            .select_from(model)
            .join(ProjectVersion, ProjectVersion.id == model.project_version_id)
            .where(ProjectVersion.project_id == project_id)
        )

    return count(Category), count(Article)


def test_export_import_export_gives_the_same_content(project):
    build_kb(project)
    with project.session() as session:
        first = export_bytes(session, project.project_id)
        target = empty_project(session, ["en", "fr"])
    with project.session() as session:
        log = import_bytes(session, target, first)
    assert (log.new_versions, log.categories, log.articles) == (0, 3, 2)
    assert log.languages == {"en", "fr"}
    with project.session() as session:
        second = export_bytes(session, target)
    assert content_of(second) == content_of(first)


def test_round_trip_keeps_drafts_and_published_revisions(project):
    ids = build_kb(project)
    with project.session() as session:
        first = export_bytes(session, project.project_id)
        target = empty_project(session, ["en", "fr"])
        import_bytes(session, target, first, publish=True)  # archive state wins
    with project.session() as session:
        rows = {
            (tr.language_code): (tr.public_version, tr.latest_version)
            for tr in session.scalars(
                select(ArticleTranslation)
                .join(Article, Article.id == ArticleTranslation.article_id)
                .join(ProjectVersion, ProjectVersion.id == Article.project_version_id)
                .where(ProjectVersion.project_id == target, ArticleTranslation.slug == "install")
            )
        }
    assert rows["en"] == (1, 2)  # published v1, draft v2 on top
    assert ids["install"]


def test_ids_are_kept_when_free_and_replaced_when_taken(project):
    ids = build_kb(project)
    with project.session() as session:
        data = export_bytes(session, project.project_id)
        target = empty_project(session, ["en", "fr"])
        import_bytes(session, target, data)
        # Same database: the source rows still hold the ids, so new ones were given.
        assert session.get(Article, ids["install"]).project_version_id != target
    # An id nobody uses is kept.
    raw = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as rewritten:
        for name in raw.namelist():
            body = raw.read(name).replace(
                ids["install"].encode(), b"11111111-2222-3333-4444-555555555555"
            )
            rewritten.writestr(name, body)
    with project.session() as session:
        other = empty_project(session, ["en", "fr"])
        import_bytes(session, other, out.getvalue())
        kept = session.get(Article, "11111111-2222-3333-4444-555555555555")
        assert kept is not None


def test_publish_flag_decides_for_document360_archives(project):
    index = {
        "Slug": "docs",
        "Languages": ["en"],
        "Categories": [
            {
                "Id": "c1",
                "Title": "Start",
                "Order": 0,
                "CategoryType": 0,
                "Articles": [{"Id": "a1", "Path": "hello.md", "Order": 0}],
                "SubCategories": [],
            }
        ],
    }
    body = (
        "## Metadata_Start\n## code: en\n## title: Hello\n## slug: hello\n"
        "## contentType: Markdown\n## Metadata_End\nHi there"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("docs/docs_categories_articles.json", json.dumps(index))
        archive.writestr("docs/articles/hello.md", body)
    for publish, expected in ((True, 1), (False, 0)):
        with project.session() as session:
            target = empty_project(session, ["en"])
            log = import_bytes(session, target, out.getvalue(), publish=publish)
            assert log.new_versions == 1  # "docs" is not the existing "v1"
            tr = session.scalars(
                select(ArticleTranslation)
                .join(Article, Article.id == ArticleTranslation.article_id)
                .join(ProjectVersion, ProjectVersion.id == Article.project_version_id)
                .where(ProjectVersion.project_id == target)
            ).one()
            assert (tr.title, tr.public_version, tr.latest_version) == ("Hello", expected, 1)


def test_missing_language_rejects_the_whole_import(project):
    build_kb(project)
    with project.session() as session:
        data = export_bytes(session, project.project_id)
        target = empty_project(session, ["en"])  # no "fr"
    with project.session() as session, pytest.raises(ImportRejected, match="'fr'"):
        import_bytes(session, target, data)
    with project.session() as session:
        assert counts(session, target) == (0, 0)


def test_merging_into_a_workspace_renames_clashing_slugs(project):
    guides = category(project, "Guides")
    article(project, guides, "Install", "one")
    with project.session() as session:
        data = export_bytes(session, project.project_id)
        import_bytes(session, project.project_id, data)
    slugs = sorted(
        a["slug"] for a in ok(project.get(f"/v2/ProjectVersions/{project.workspace_id}/articles"))
    )
    assert slugs == ["install", "install-1"]


def _tree(nodes, with_paths=False):
    out = []
    for node in sorted(nodes, key=lambda n: (n["Order"], n["Id"])):
        out.append(
            {
                "Id": node["Id"],
                "Title": node["Title"],
                "Order": node["Order"],
                "CategoryType": node["CategoryType"],
                "Icon": node["Icon"],
                "Languages": [
                    {k: lang[k] or None for k in ("Code", "Title", "Slug", "SeoTitle")}
                    for lang in node["Languages"]
                ],
                "Articles": sorted((a["Id"], a["Order"]) for a in node["Articles"]),
                "SubCategories": _tree(node["SubCategories"]),
            }
        )
    return out


@needs_real_export
def test_the_real_fixture_imports_and_exports_to_the_same_index_and_bodies(project):
    with project.session() as session:
        target = empty_project(session, ["en"])
    with project.session() as session:
        log = import_bytes(session, target, FIXTURE.read_bytes(), publish=True)
    assert (log.categories, log.articles) == (719, 3687)
    with project.session() as session:
        again = export_bytes(session, target)
    source = read_export(FIXTURE).workspaces[0]
    exported = zipfile.ZipFile(io.BytesIO(again))
    index = json.loads(exported.read("v1/v1_categories_articles.json"))
    original = json.loads(zipfile.ZipFile(FIXTURE).read("v1/v1_categories_articles.json"))
    assert _tree(index["Categories"]) == _tree(original["Categories"])
    # Every article body, by id, exactly as the fixture's Markdown file holds it.
    bodies = {}
    for node in _walk_nodes(index["Categories"]):
        for entry in node["Articles"]:
            langs = json.loads(exported.read(f"v1/articles/{entry['Path']}"))
            bodies[entry["Id"]] = langs[0]["Content"]
    expected = {
        a.id: a.translations[0].content for c in _walk_data(source.categories) for a in c.articles
    }
    assert len(bodies) == 3687
    assert bodies == expected


def _walk_nodes(nodes):
    for node in nodes:
        yield node
        yield from _walk_nodes(node["SubCategories"])


def _walk_data(nodes):
    for node in nodes:
        yield node
        yield from _walk_data(node.children)


def test_document360_cdn_media_urls_are_rewritten_to_the_imported_files(project):
    from lorebase.db.models import ArticleRevision, DriveFile

    index = {
        "Slug": "docs",
        "Languages": ["en"],
        "Categories": [
            {
                "Id": "c1",
                "Title": "Start",
                "Order": 0,
                "CategoryType": 0,
                "Articles": [{"Id": "a1", "Path": "hello.json", "Order": 0}],
                "SubCategories": [],
            }
        ],
    }
    cdn = "https://cdn.document360.io/1b2c/Images/Documentation/logo.png"
    article_file = [
        {"Code": "en", "Title": "Hello", "Slug": "hello", "Content": f'<p><img src="{cdn}"></p>'}
    ]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("docs/docs_categories_articles.json", json.dumps(index))
        archive.writestr("docs/articles/hello.json", json.dumps(article_file))
        archive.writestr("Media/Images/logo.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    blobs = project.client.app.state.runtime.blobs
    with project.session() as session:
        target = empty_project(session, ["en"])
        log = import_bytes(session, target, out.getvalue(), blobs=blobs, base_url="http://kb.test")
        assert log.media == 1
        file = session.scalars(select(DriveFile).where(DriveFile.project_id == target)).one()
        body = session.scalars(select(ArticleRevision.content)).one()
    assert body == f'<p><img src="http://kb.test/media/{target}/{file.id}/logo.png"></p>'
    assert blobs.exists(file.blob_key)
