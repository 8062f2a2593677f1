"""The Document360 JSON export ZIP writer, on a knowledge base built through the HTTP API and
read back with `zipfile` (both databases)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update

from lorebase.db.models import ArticleTranslation
from lorebase.exchange.jsonzip.writer import MANIFEST_NAME, ExportSummary, write_json_zip
from lorebase.kb import drive


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def category(project: Any, name: str, parent: str | None = None, **extra: Any) -> str:
    body = {"name": name, "project_version_id": project.workspace_id, **extra}
    if parent:
        body["parent_category_id"] = parent
    return str(ok(project.post("/v2/Categories", json=body))["id"])


def article(project: Any, category_id: str, title: str, content: str, **extra: Any) -> str:
    body = {
        "title": title,
        "category_id": category_id,
        "project_version_id": project.workspace_id,
        "user_id": project.owner_id,
        "content": content,
        **extra,
    }
    return str(ok(project.post("/v2/Articles", json=body))["id"])


def drive_file(project: Any, file_name: str, data: bytes) -> str:
    """A file in the Drive's "Images" folder, stored in the project's blob store: its media URL
    (on the host kb.example)."""
    blobs = project.client.app.state.runtime.blobs
    with project.session() as session:
        folder = drive.ensure_folder_path(session, project.project_id, ["Images"], None)
        assert folder is not None
        file = drive.add_file(
            session,
            blobs,
            project.project_id,
            folder_id=folder.id,
            file_name=file_name,
            data=data,
            user_id=None,
        )
        return drive.media_url("http://kb.example", project.project_id, file.id, file.file_name)


def build_kb(project: Any) -> dict[str, str]:
    guides = category(project, "Guides")
    advanced = category(project, "Advanced", parent=guides)
    welcome = category(
        project,
        "Welcome",
        category_type=1,
        content="Welcome to {{variable.Product}}",
        user_id=project.owner_id,
    )
    install = article(project, guides, "Install", "Install {{variable.Product}} now")
    html = article(project, advanced, "Html page", "<p>Hi {{variable.Product}}</p>", content_type=1)
    publish = {"user_id": project.owner_id, "version_number": 1}
    ok(project.post(f"/v2/Articles/{install}/en/publish", json=publish))
    ok(project.put(f"/v2/Articles/{install}/en", json={"content": "Install v2"}))
    project.add_language("fr")
    ok(project.put(f"/v2/Articles/{install}/fr", json={"title": "Installer", "content": "Oui"}))
    ok(project.put(f"/v2/Articles/{html}/fr", json={"title": "Page", "content": "<p>Fr</p>"}))
    return {
        "guides": guides,
        "advanced": advanced,
        "welcome": welcome,
        "install": install,
        "html": html,
    }


def export(project: Any, **options: Any) -> tuple[zipfile.ZipFile, ExportSummary]:
    out = io.BytesIO()
    with project.session() as session:
        summary = write_json_zip(session, project.project_id, out, **options)
    out.seek(0)
    archive = zipfile.ZipFile(out)
    assert archive.testzip() is None
    names = archive.namelist()
    assert len(names) == len(set(names)), "an entry was written twice"
    return archive, summary


def load(archive: zipfile.ZipFile, name: str) -> Any:
    return json.loads(archive.read(name))


def workspace_slug(project: Any) -> str:
    slug: str = project.get("/v2/ProjectVersions").json()["data"][0]["slug"]
    return slug


def index_of(archive: zipfile.ZipFile, slug: str) -> dict[str, Any]:
    data: dict[str, Any] = load(
        archive, f"{slug}/{slug.replace('.', '-')}_categories_articles.json"
    )
    return data


def test_index_follows_the_document360_layout_in_tree_order(project):
    ids = build_kb(project)
    slug = workspace_slug(project)

    archive, summary = export(project)

    index = index_of(archive, slug)
    assert list(index) == ["Slug", "Workspace", "ResourcePath", "Languages", "Categories"]
    assert index["Slug"] == slug and index["Languages"] == ["en", "fr"]
    roots = index["Categories"]
    assert [c["Title"] for c in roots] == ["Guides", "Welcome"]
    guides, welcome = roots
    assert list(guides) == [
        "Id",
        "Title",
        "Order",
        "CategoryType",
        "Icon",
        "Path",
        "Languages",
        "Articles",
        "SubCategories",
    ]
    assert guides["Id"] == ids["guides"] and guides["Path"] is None
    assert guides["CategoryType"] == 0
    assert [a["Id"] for a in guides["Articles"]] == [ids["install"]]
    assert list(guides["Articles"][0]) == ["Id", "Path", "Order"]
    (advanced,) = guides["SubCategories"]
    assert advanced["Id"] == ids["advanced"]
    assert [a["Id"] for a in advanced["Articles"]] == [ids["html"]]
    assert welcome["CategoryType"] == 1 and welcome["Path"] == "welcome.json"
    lang = welcome["Languages"][0]
    assert list(lang) == ["Code", "Title", "Slug", "ContentType", "SeoTitle", "Description"]
    assert (lang["Code"], lang["Title"], lang["ContentType"]) == ("en", "Welcome", 0)
    assert summary == ExportSummary(workspaces=1, categories=3, articles=2, files=5)


def test_every_article_file_holds_every_language_with_sources_unresolved(project):
    ids = build_kb(project)
    slug = workspace_slug(project)

    archive, _ = export(project)

    index = index_of(archive, slug)
    guides = index["Categories"][0]
    install = load(archive, f"{slug}/articles/{guides['Articles'][0]['Path']}")
    html_path = guides["SubCategories"][0]["Articles"][0]["Path"]
    html = load(archive, f"{slug}/articles/{html_path}")
    assert isinstance(install, list) and [o["Code"] for o in install] == ["en", "fr"]
    en, fr = install
    assert en["Title"] == "Install" and en["ContentType"] == 0
    assert en["Content"] == "Install v2"  # the latest (draft) revision
    assert (en["PublicVersion"], en["LatestVersion"]) == (1, 2)
    revisions = en["Revisions"]
    assert [(r["VersionNumber"], r["Published"]) for r in revisions] == [(1, True), (2, False)]
    assert revisions[0]["Content"] == "Install {{variable.Product}} now"
    assert fr["Title"] == "Installer" and fr["Content"] == "Oui"
    assert [o["Code"] for o in html] == ["en", "fr"]
    assert html[0]["ContentType"] == 1
    assert html[0]["Content"] == "<p>Hi {{variable.Product}}</p>"
    page = load(archive, f"{slug}/categories/welcome.json")
    assert page[0]["Content"] == "Welcome to {{variable.Product}}"
    assert set(page[0]) >= {"Code", "Title", "Slug", "Content", "ContentType", "SeoTitle"}
    assert ids["install"] in {a["Id"] for a in guides["Articles"]}


def test_manifest_lists_every_other_entry_with_its_size_and_hash(project):
    build_kb(project)

    archive, summary = export(project)

    manifest = load(archive, MANIFEST_NAME)
    assert manifest["format_version"] == 1 and manifest["created_at"]
    listed = {f["path"]: f for f in manifest["files"]}
    assert set(listed) == set(archive.namelist()) - {MANIFEST_NAME}
    for name, entry in listed.items():
        data = archive.read(name)
        assert entry["size"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()
    assert summary.files == len(archive.namelist())


def test_language_filter_keeps_only_the_chosen_languages(project):
    build_kb(project)
    slug = workspace_slug(project)

    archive, summary = export(project, languages=["FR"])

    index = index_of(archive, slug)
    assert index["Languages"] == ["fr"]
    articles = [n for n in archive.namelist() if "/articles/" in n]
    assert len(articles) == summary.articles == 2
    for name in articles:
        assert [o["Code"] for o in load(archive, name)] == ["fr"]
    # The page category has no French translation: it stays in the tree without a file.
    assert not [n for n in archive.namelist() if "/categories/" in n]


def test_category_filter_exports_the_subtree_and_its_articles(project):
    ids = build_kb(project)
    slug = workspace_slug(project)

    archive, summary = export(project, category_ids=[ids["advanced"]])

    index = index_of(archive, slug)
    assert [c["Id"] for c in index["Categories"]] == [ids["advanced"]]
    assert [a["Id"] for a in index["Categories"][0]["Articles"]] == [ids["html"]]
    assert (summary.categories, summary.articles) == (1, 1)
    assert [n for n in archive.namelist() if "/articles/" in n] == [
        f"{slug}/articles/{index['Categories'][0]['Articles'][0]['Path']}"
    ]

    archive, summary = export(project, category_ids=[ids["guides"]])
    assert (summary.categories, summary.articles) == (2, 2)


def test_modified_window_filters_articles(project):
    build_kb(project)
    now = datetime.now(UTC)

    _, summary = export(project, modified_after=now + timedelta(hours=1))
    assert summary.articles == 0
    _, summary = export(project, modified_before=now - timedelta(days=1))
    assert summary.articles == 0
    _, summary = export(project, modified_after=now - timedelta(hours=1), modified_before=now)
    assert summary.articles == 2


def test_slug_collisions_never_overwrite_a_file(project):
    guides = category(project, "Guides")
    first = article(project, guides, "Alpha", "one")
    second = article(project, guides, "Beta", "two")
    third = article(project, guides, "Alpha 2", "three")
    with project.session() as session:
        # Slugs are unique per language only: an import can bring clashing ones in.
        session.execute(
            update(ArticleTranslation)
            .where(ArticleTranslation.article_id == second)
            .values(slug="ALPHA")
        )
    slug = workspace_slug(project)

    archive, _ = export(project)

    entries = index_of(archive, slug)["Categories"][0]["Articles"]
    paths = [e["Path"] for e in entries]
    assert [e["Id"] for e in entries] == [first, second, third]
    assert len({p.lower() for p in paths}) == 3
    assert paths[0] == "alpha.json"
    bodies = {e["Id"]: load(archive, f"{slug}/articles/{e['Path']}")[0]["Content"] for e in entries}
    assert bodies == {first: "one", second: "two", third: "three"}


def test_empty_workspace_still_gives_a_valid_zip(project):
    slug = workspace_slug(project)

    archive, summary = export(project)

    index = index_of(archive, slug)
    assert index["Categories"] == []
    assert summary == ExportSummary(workspaces=1, categories=0, articles=0, files=2)

    archive, summary = export(project, workspace_ids=[])
    assert archive.namelist() == [MANIFEST_NAME]
    assert load(archive, MANIFEST_NAME)["files"] == []


def test_progress_reports_every_file(project):
    build_kb(project)
    calls: list[tuple[int, int]] = []

    export(project, progress=lambda done, total: calls.append((done, total)))

    assert calls == [(1, 3), (2, 3), (3, 3)]


class ForwardOnly(io.RawIOBase):
    """A pipe-like output: no seek, no tell (as when streaming to a socket)."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        self.data += bytes(b)
        return len(b)


def test_writes_to_a_stream_that_cannot_seek(project):
    build_kb(project)
    out = ForwardOnly()

    with project.session() as session:
        summary = write_json_zip(session, project.project_id, out)  # type: ignore[arg-type]

    archive = zipfile.ZipFile(io.BytesIO(bytes(out.data)))
    assert archive.testzip() is None
    assert len(archive.namelist()) == summary.files == 5


def test_articles_outside_any_category_are_kept_in_an_extension_list(project):
    body = {
        "title": "Loose",
        "project_version_id": project.workspace_id,
        "user_id": project.owner_id,
        "content": "free",
    }
    loose = str(ok(project.post("/v2/Articles", json=body))["id"])
    slug = workspace_slug(project)

    archive, summary = export(project)

    index = index_of(archive, slug)
    assert index["Articles"] == [{"Id": loose, "Path": "loose.json", "Order": 0}]
    assert load(archive, f"{slug}/articles/loose.json")[0]["Content"] == "free"
    assert summary.articles == 1
