"""Tests for the Document360 export ZIP reader (no database)."""

from __future__ import annotations

import io
import json
import stat
import struct
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lorebase.exchange.jsonzip.reader import (
    ArchiveError,
    CategoryData,
    ExportArchive,
    read_export,
)

FIXTURE = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "fixtures"
    / "document360-export-vexy-lines-2025-03-12.zip"
)
# The real export (4 MB, 3,687 articles) is the project's shared fixture, not the repository's:
# a plain clone skips the tests that read it, and CI, which has it, runs them.
needs_real_export = pytest.mark.skipif(
    not FIXTURE.exists(),
    reason=f"the real Document360 export is not at {FIXTURE} (no ../shared beside this clone)",
)


def walk(categories: list[CategoryData]) -> Iterator[CategoryData]:
    for cat in categories:
        yield cat
        yield from walk(cat.children)


def make_zip(files: dict[str, str | bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def read(data: bytes, **kwargs: Any) -> ExportArchive:
    return read_export(io.BytesIO(data), **kwargs)


def index(
    articles: list[dict[str, Any]] | None = None,
    categories: list[dict[str, Any]] | None = None,
    slug: str = "v1",
) -> str:
    if categories is None:
        categories = [
            {
                "Id": "cat-1",
                "Title": "Folder",
                "Order": 1,
                "CategoryType": 0,
                "Icon": None,
                "Path": None,
                "Languages": [
                    {
                        "Code": "en",
                        "Title": "Folder",
                        "Slug": "folder",
                        "ContentType": 0,
                        "SeoTitle": None,
                        "Description": None,
                    }
                ],
                "Articles": articles or [],
                "SubCategories": [],
            }
        ]
    return json.dumps(
        {
            "Slug": slug,
            "Workspace": slug,
            "ResourcePath": "https://cdn.example/x",
            "Languages": ["en"],
            "Categories": categories,
        }
    )


MD_ARTICLE = (
    "## Metadata_Start \n## code: en\n## title: Hello World \n## slug: hello-world \n"
    "## seoTitle: Hello SEO \n## description:  \n## contentType: Markdown \n"
    "## Metadata_End\n\nBody *text*\n"
)


def simple_zip(name: str = "v1/articles/hello.md", body: str = MD_ARTICLE) -> bytes:
    art = [{"Id": "a-1", "Path": name.rsplit("/", 1)[-1], "Order": 1}]
    return make_zip({"v1/v1_categories_articles.json": index(art), name: body})


# --------------------------------------------------------------------------- fixture


@needs_real_export
def test_real_fixture() -> None:
    started = time.monotonic()
    archive = read_export(FIXTURE)
    assert time.monotonic() - started < 10
    assert archive.warnings == []
    assert [w.slug for w in archive.workspaces] == ["v1"]
    ws = archive.workspaces[0]
    assert ws.languages == ["en"]
    assert ws.resource_path is not None and ws.resource_path.startswith("https://cdn.document360")
    cats = list(walk(ws.categories))
    assert len(cats) == 719
    assert sum(len(c.articles) for c in cats) == 3687
    pages = [c for c in cats if c.category_type == 1]
    assert len(pages) == 267
    assert all(p.translations[0].content is not None for p in pages)
    assert all(c.translations[0].content is None for c in cats if c.category_type == 0)
    for cat in cats:  # ordered among siblings
        assert [a.order for a in cat.articles] == sorted(a.order for a in cat.articles)
        assert [c.order for c in cat.children] == sorted(c.order for c in cat.children)

    raw = json.loads(zipfile.ZipFile(FIXTURE).read("v1/v1_categories_articles.json"))
    paths: dict[str, str] = {}

    def collect(nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            for art in node["Articles"]:
                paths[art["Id"]] = art["Path"]
            collect(node["SubCategories"])

    collect(raw["Categories"])
    articles = {a.id: a for c in cats for a in c.articles}
    with zipfile.ZipFile(FIXTURE) as zf:
        text = zf.read("v1/articles/placeholder-font.md").decode()
    body = text.split("## Metadata_End\n", 1)[1][1:]
    ph = next(a for aid, a in articles.items() if paths[aid] == "placeholder-font.md")
    [tr] = ph.translations
    assert (tr.code, tr.title, tr.slug, tr.seo_title) == (
        "en",
        "Placeholder Font",
        "placeholder-font",
        "Placeholder Font",
    )
    assert tr.content == body
    assert tr.content_type == 0
    assert tr.description is None
    assert tr.hidden is None and tr.revisions is None


# --------------------------------------------------------------------------- variants


def test_markdown_article_header() -> None:
    archive = read(simple_zip())
    ws = archive.workspaces[0]
    assert ws.slug == "v1"
    [cat] = ws.categories
    assert (cat.id, cat.title, cat.category_type) == ("cat-1", "Folder", 0)
    [tr] = cat.articles[0].translations
    assert (tr.code, tr.title, tr.slug, tr.seo_title, tr.description) == (
        "en",
        "Hello World",
        "hello-world",
        "Hello SEO",
        None,
    )
    assert tr.content == "Body *text*\n"
    assert tr.content_type == 0


def test_html_comment_header_capitalised_folders_and_category_index() -> None:
    html = (
        "<!-- ## Metadata_Start\n## code: fr\n## title: Bonjour\n## slug: bonjour\n"
        "## seoTitle: \n## description: Desc \n## contentType: WYSIWYG\n"
        "## Metadata_End -->\n<p>Salut</p>"
    )
    page = "<!--\n## Metadata_Start\ncode: fr\ntitle: Page\nslug: page\n## Metadata_End\n-->\nX"
    node = {
        "Id": "c1",
        "Title": "Page",
        "Order": 0,
        "CategoryType": 1,
        "Icon": "",
        "Path": "page.md",
        "Languages": [{"Code": "fr", "Title": "Page", "Slug": "page", "ContentType": 0}],
        "Articles": [{"Id": "a1", "Path": "bonjour.html", "Order": 0}],
        "SubCategories": [],
    }
    data = make_zip(
        {
            "docs/docs_category_articles.json": index(categories=[node], slug="docs"),
            "docs/Articles/bonjour.html": html,
            "docs/Categories/page.md": page,
            "Media/Images/logo.png": b"\x89PNG",
        }
    )
    archive = read(data)
    [cat] = archive.workspaces[0].categories
    [ctr] = cat.translations
    assert ctr.content == "X" and ctr.title == "Page"
    [tr] = cat.articles[0].translations
    assert (tr.code, tr.title, tr.slug, tr.description, tr.seo_title) == (
        "fr",
        "Bonjour",
        "bonjour",
        "Desc",
        None,
    )
    assert tr.content_type == 1
    assert tr.content == "<p>Salut</p>"
    assert archive.media == {"Images/logo.png": "Media/Images/logo.png"}


def test_json_articles_with_extensions_and_root_index_dot_slug() -> None:
    langs = [
        {
            "Code": "en",
            "Title": "One",
            "Slug": "one",
            "Content": "<p>one</p>",
            "SeoTitle": "One",
            "Description": "d",
            "ContentType": 1,
            "Hidden": True,
            "PublicVersion": 2,
            "LatestVersion": 3,
            "Revisions": [
                {
                    "VersionNumber": 1,
                    "BaseVersion": None,
                    "Title": "One",
                    "Content": "<p>o</p>",
                    "Published": True,
                    "CreatedBy": "u1",
                    "CreatedAt": "2025-01-01T00:00:00Z",
                }
            ],
        },
        {"Code": "de", "Title": "Eins", "Slug": "eins", "Content": "x", "SeoTitle": None},
    ]
    idx = json.loads(index([{"Id": "a1", "Path": "one.json", "Order": 2}], slug="v3.33"))
    idx["Articles"] = [{"Id": "root-1", "Path": "root.json", "Order": 0}]
    root = [{"Code": "en", "Title": "Root", "Slug": "root", "Content": "r"}]
    data = make_zip(
        {
            "v3.33/v3-33_categories_articles.json": json.dumps(idx),
            "v3.33/articles/one.json": json.dumps(langs),
            "v3.33/articles/root.json": json.dumps(root),
        }
    )
    ws = read(data).workspaces[0]
    assert ws.slug == "v3.33"
    en, de = ws.categories[0].articles[0].translations
    assert (en.code, en.content, en.content_type, en.hidden) == ("en", "<p>one</p>", 1, True)
    assert (en.public_version, en.latest_version) == (2, 3)
    assert en.revisions is not None and en.revisions[0].published
    assert en.revisions[0].created_by == "u1"
    assert (de.code, de.hidden, de.revisions, de.content_type) == ("de", None, None, 0)
    assert [a.id for a in ws.articles] == ["root-1"]


def test_index_at_root_beside_workspace_folder() -> None:
    art = [{"Id": "a-1", "Path": "hello.md", "Order": 1}]
    data = make_zip(
        {"ws_category_articles.json": index(art, slug="ws"), "ws/Articles/hello.md": MD_ARTICLE}
    )
    ws = read(data).workspaces[0]
    assert ws.categories[0].articles[0].translations[0].slug == "hello-world"


def test_article_order_sorted() -> None:
    arts = [{"Id": f"a{i}", "Path": f"{i}.md", "Order": o} for i, o in enumerate([3, 1, 2])]
    files: dict[str, str | bytes] = {"v1/v1_categories_articles.json": index(arts)}
    files.update({f"v1/articles/{i}.md": MD_ARTICLE for i in range(3)})
    ws = read(make_zip(files)).workspaces[0]
    assert [a.id for a in ws.categories[0].articles] == ["a1", "a2", "a0"]


# --------------------------------------------------------------------------- safety


def test_not_a_zip() -> None:
    with pytest.raises(ArchiveError, match="not a readable ZIP"):
        read(b"hello, this is not a zip file at all" * 10)


def test_truncated_zip() -> None:
    data = simple_zip()
    with pytest.raises(ArchiveError, match="ZIP"):
        read(data[:-30])
    with pytest.raises(ArchiveError):
        read(data[: len(data) // 2])


@pytest.mark.parametrize(
    "name", ["../evil.md", "v1/../../evil.md", "/etc/passwd", "C:/x.md", "..\\evil.md", "a\\..\\b"]
)
def test_traversal_names(name: str) -> None:
    data = make_zip({"v1/v1_categories_articles.json": index(), name: "x"})
    with pytest.raises(ArchiveError):
        read(data)


def test_symlink_entry() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("v1/v1_categories_articles.json", index())
        info = zipfile.ZipInfo("v1/articles/link.md")
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(ArchiveError, match="symbolic link"):
        read(buf.getvalue())


def test_bomb_ratio_and_total() -> None:
    data = make_zip({"v1/v1_categories_articles.json": index(), "v1/big.bin": b"\0" * (8 << 20)})
    with pytest.raises(ArchiveError, match="bomb"):
        read(data)
    with pytest.raises(ArchiveError, match="bomb"):
        read(data, max_ratio=10_000, max_total_bytes=1 << 20)
    assert read(data, max_ratio=10_000).workspaces


def test_lying_header() -> None:
    """The central directory and local header claim a tiny size; the data is 4 MB of zeros."""
    body = "## Metadata_Start\n## code: en\n## Metadata_End\n" + " " * (4 << 20)
    data = bytearray(simple_zip(body=body))
    real = len(body)
    fake = struct.pack("<I", 100)
    for sig, offset in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
        pos = 0
        while (pos := data.find(sig, pos)) != -1:
            if data[pos + offset : pos + offset + 4] == struct.pack("<I", real):
                data[pos + offset : pos + offset + 4] = fake
            pos += 4
    with pytest.raises(ArchiveError):
        read(bytes(data))


def test_too_many_entries() -> None:
    files: dict[str, str | bytes] = {"v1/v1_categories_articles.json": index()}
    files.update({f"Media/{i}.txt": "x" for i in range(10)})
    with pytest.raises(ArchiveError, match="more than the limit"):
        read(make_zip(files), max_entries=5)


def test_duplicate_entry_names() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf, pytest.warns(UserWarning):
        zf.writestr("v1/v1_categories_articles.json", index())
        zf.writestr("v1/v1_categories_articles.json", index())
    with pytest.raises(ArchiveError, match="more than once"):
        read(buf.getvalue())


def test_duplicate_article_ids() -> None:
    arts = [{"Id": "a1", "Path": "hello.md", "Order": 1}, {"Id": "a1", "Path": "hello.md"}]
    data = make_zip({"v1/v1_categories_articles.json": index(arts), "v1/articles/hello.md": "x"})
    with pytest.raises(ArchiveError, match="article id a1 appears more than once"):
        read(data)


def test_duplicate_category_ids() -> None:
    node = json.loads(index())["Categories"][0]
    data = make_zip({"v1/v1_categories_articles.json": index(categories=[node, node])})
    with pytest.raises(ArchiveError, match="category id cat-1 appears more than once"):
        read(data)


def test_missing_index() -> None:
    with pytest.raises(ArchiveError, match="No index file"):
        read(make_zip({"v1/articles/hello.md": MD_ARTICLE}))


def test_malformed_index_json() -> None:
    data = make_zip({"v1/v1_categories_articles.json": "{not json"})
    with pytest.raises(ArchiveError, match=r"v1/v1_categories_articles\.json.*not valid JSON"):
        read(data)


def test_malformed_article_json() -> None:
    art = [{"Id": "a1", "Path": "bad.json", "Order": 1}]
    data = make_zip({"v1/v1_categories_articles.json": index(art), "v1/articles/bad.json": "[{"})
    with pytest.raises(ArchiveError, match=r"v1/articles/bad\.json.*not valid JSON"):
        read(data)


def test_missing_article_file() -> None:
    art = [{"Id": "a1", "Path": "gone.md", "Order": 1}]
    data = make_zip({"v1/v1_categories_articles.json": index(art)})
    with pytest.raises(ArchiveError, match=r"v1/articles/gone\.md.*missing"):
        read(data)


def test_invalid_utf8_name_does_not_crash() -> None:
    data = bytearray(simple_zip())
    # Flag every name as UTF-8, then corrupt the article name with an invalid byte.
    target = b"v1/articles/hello.md"
    for sig, flag_off in ((b"PK\x01\x02", 8), (b"PK\x03\x04", 6)):
        pos = 0
        while (pos := data.find(sig, pos)) != -1:
            flags = struct.unpack_from("<H", data, pos + flag_off)[0]
            struct.pack_into("<H", data, pos + flag_off, flags | 0x800)
            pos += 4
    data = bytearray(bytes(data).replace(target, b"v1/articles/hell\xff.md"))
    with pytest.raises(ArchiveError, match="not valid UTF-8"):
        read(bytes(data))
    # Without the UTF-8 flag the name decodes as cp437: no crash, the index Path is missing.
    plain = simple_zip().replace(target, b"v1/articles/hell\xff.md")
    with pytest.raises(ArchiveError, match="missing"):
        read(plain)
