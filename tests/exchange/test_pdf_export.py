"""The PDF export (one PDF per workspace and language, in a ZIP), on both databases, read back
with pypdf: cover, contents with page numbers, outline, page furniture, published content only,
and a URL fetcher that serves the export's own media and nothing else."""

from __future__ import annotations

import io
import re
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from PIL import Image
from pypdf import PdfReader

from lorebase.exchange.archive import ExportSummary
from lorebase.exchange.pdf import writer
from lorebase.exchange.pdf.writer import ExportMedia, write_pdf_zip
from tests.api.v2.test_project_exchange import drain
from tests.api.v3.test_exchange import download, poll, start_export
from tests.exchange.test_jsonzip_writer import article, category, drive_file, ok

LONG_CODE = "\n".join(f'print("line {n:03}")' for n in range(1, 201))


def pdf_export(project: Any, **options: Any) -> tuple[dict[str, PdfReader], ExportSummary]:
    out = io.BytesIO()
    with project.session() as session:
        summary = write_pdf_zip(session, project.project_id, out, **options)
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        assert archive.testzip() is None
        pdfs = {name: PdfReader(io.BytesIO(archive.read(name))) for name in archive.namelist()}
    return pdfs, summary


def texts(pdf: PdfReader) -> list[str]:
    return [page.extract_text() for page in pdf.pages]


def succeeded(response: Any) -> None:
    assert response.status_code == 200, response.text
    assert response.json()["success"] is True


def publish(project: Any, kind: str, item_id: str, lang: str = "en") -> None:
    body = {"user_id": project.owner_id, "version_number": 1}
    succeeded(project.post(f"/v2/{kind}/{item_id}/{lang}/publish", json=body))


def published(project: Any, category_id: str, title: str, content: str) -> str:
    article_id = article(project, category_id, title, content)
    publish(project, "Articles", article_id)
    return article_id


def build_kb(project: Any) -> None:
    """Guides (folder) > Install, Draft only, Secret (hidden) and Advanced > Tuning; Welcome
    (a page category); Attic (hidden) > Old; English and French."""
    variable = {"project_version_id": project.workspace_id, "name": "Product", "value": "Acme KB"}
    succeeded(project.post("/v2/Variables", json=variable))
    welcome = category(
        project,
        "Welcome",
        category_type=1,
        content="Welcome to {{variable.Product}}",
        user_id=project.owner_id,
    )
    publish(project, "Categories", welcome)
    guides = category(project, "Guides")
    advanced = category(project, "Advanced", parent=guides)
    attic = category(project, "Attic")
    install = published(project, guides, "Install", "Install {{variable.Product}} now")
    ok(project.put(f"/v2/Articles/{install}/en", json={"content": "Unpublished second draft"}))
    article(project, guides, "Draft only", "Never published")
    secret = published(project, guides, "Secret", "Hidden text")
    ok(project.put(f"/v2/Articles/{secret}/en", json={"hidden": True}))
    published(project, advanced, "Tuning", f"Tune it.\n\n```python\n{LONG_CODE}\n```")
    published(project, attic, "Old", "Old text")
    ok(project.put(f"/v2/Categories/{attic}", json={"hidden": True}))
    project.add_language("fr")
    ok(project.put(f"/v2/Articles/{install}/fr", json={"title": "Installer", "content": "Oui"}))
    publish(project, "Articles", install, "fr")


def contents_of(pdf: PdfReader) -> list[tuple[str, int]]:
    """(title, page number) of each line of the table of contents (page 2)."""
    found = []
    for line in texts(pdf)[1].splitlines():
        match = re.fullmatch(r"(.+?)\s*\.{3,}\s*(\d+)", line.strip())
        if match:
            found.append((match.group(1), int(match.group(2))))
    return found


def outline_of(pdf: PdfReader, items: list[Any] | None = None) -> list[Any]:
    """The outline as nested [title, page number, [children]] lists."""
    tree: list[Any] = []
    for item in pdf.outline if items is None else items:
        if isinstance(item, list):
            tree[-1][2] = outline_of(pdf, item)
        else:
            tree.append([item.title, pdf.get_destination_page_number(item) + 1, []])
    return tree


def test_one_pdf_per_workspace_and_language(project):
    build_kb(project)
    pdfs, summary = pdf_export(project)
    assert sorted(pdfs) == ["v1.en.pdf", "v1.fr.pdf"]
    assert (summary.workspaces, summary.files) == (1, 2)
    french = "\n".join(texts(pdfs["v1.fr.pdf"]))
    assert "Installer" in french and "Oui" in french
    assert "Install Acme KB now" not in french
    assert [title for title, _ in contents_of(pdfs["v1.fr.pdf"])] == ["Guides", "Installer"]


@pytest.mark.parametrize("chunk_chars", [writer.CHUNK_CHARS, 1], ids=["one-part", "part-each"])
def test_cover_contents_outline_and_page_furniture_follow_the_tree(
    project, monkeypatch, chunk_chars
):
    # At the smallest chunk size the body comes in three parts (a folder's heading stays with
    # what follows it): page numbers, outline and furniture must run on across them.
    monkeypatch.setattr(writer, "CHUNK_CHARS", chunk_chars)
    build_kb(project)
    pdfs, _ = pdf_export(project, languages=["en"])
    assert list(pdfs) == ["v1.en.pdf"]
    pdf = pdfs["v1.en.pdf"]
    pages = texts(pdf)
    total = len(pages)

    cover = pages[0]
    assert "My knowledge base" in cover and "v1" in cover and "en" in cover.split()
    assert "Exported" in cover and " / " not in cover

    contents = contents_of(pdf)
    assert [title for title, _ in contents] == [
        "Welcome",
        "Guides",
        "Install",
        "Advanced",
        "Tuning",
    ]
    for title, number in contents:
        assert title in pages[number - 1].splitlines(), (title, number)
        assert all(title not in page.splitlines() for page in pages[2 : number - 1])
    # The lines of the contents link to their pages (a line may hold several link boxes).
    links = [a.get_object() for a in pdf.pages[1].get("/Annots", [])]
    targets = [pdf.get_page_number(link["/A"]["/D"][0].get_object()) + 1 for link in links]
    assert set(targets) == {number for _, number in contents} and targets == sorted(targets)

    by_title = dict(contents)
    assert outline_of(pdf) == [
        ["Welcome", by_title["Welcome"], []],
        [
            "Guides",
            by_title["Guides"],
            [
                ["Install", by_title["Install"], []],
                ["Advanced", by_title["Advanced"], [["Tuning", by_title["Tuning"], []]]],
            ],
        ],
    ]

    for number, text in enumerate(pages[1:], start=2):
        lines = text.splitlines()
        assert f"{number} / {total}" in lines, number
        assert any(line.startswith("v1") for line in lines), number
    # The header names the category being read.
    assert "v1 Advanced" in pages[by_title["Tuning"] - 1].splitlines()


def test_only_published_visible_content_with_merge_codes_resolved(project):
    build_kb(project)
    pdf = pdf_export(project, languages=["en"])[0]["v1.en.pdf"]
    pages = texts(pdf)
    everything = "\n".join(pages)
    assert "Welcome to Acme KB" in everything
    assert "Install Acme KB now" in everything
    for absent in ("Unpublished second draft", "Draft only", "Never published", "Secret"):
        assert absent not in everything
    for absent in ("Hidden text", "Attic", "Old text", "{{variable"):
        assert absent not in everything
    # The 200-line code block runs on over the next pages, every line once, in order.
    holding = [i for i, text in enumerate(pages) if 'print("line' in text]
    assert len(holding) >= 2
    code = "\n".join(pages[i] for i in holding)
    assert re.findall(r'print\("line (\d{3})"\)', code) == [f"{n:03}" for n in range(1, 201)]


def png(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, format="PNG")
    return out.getvalue()


class Recorder(BaseHTTPRequestHandler):
    requests: ClassVar[list[str]]

    def do_GET(self) -> None:
        self.requests.append(self.path)
        data = png((0, 0, 255))
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def image_server() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that serves a PNG to anyone and records every request."""
    requests: list[str] = []
    handler = type("Handler", (Recorder,), {"requests": requests})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()


def images_of(pdf: PdfReader) -> int:
    return sum(len(page.images) for page in pdf.pages)


def test_drive_images_are_embedded_and_nothing_else_is_fetched(project, image_server, caplog):
    base, requests = image_server
    blobs = project.client.app.state.runtime.blobs
    url = drive_file(project, "logo one.png", png((255, 0, 0)))
    body = (
        f"![logo]({url})\n\n![remote]({base}/remote.png)\n\n"
        '<img src="file:///etc/hostname"> <img src="/etc/hostname">'
    )
    published(project, category(project, "Media"), "Pictures", body)

    pdfs, summary = pdf_export(project, blobs=blobs)
    without, excluded = pdf_export(project, blobs=blobs, exclude_media=True)

    assert images_of(pdfs["v1.en.pdf"]) == 1
    assert summary.media == 1
    assert images_of(without["v1.en.pdf"]) == 0
    assert excluded.media == 0
    assert requests == []
    refused = [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")]
    assert any(f"{base}/remote.png" in message for message in refused)


def test_a_workspace_with_nothing_published_still_gets_its_pdf(project):
    calls: list[tuple[int, int]] = []
    pdfs, _ = pdf_export(project, progress=lambda done, total: calls.append((done, total)))
    assert list(pdfs) == ["v1.en.pdf"]
    pages = texts(pdfs["v1.en.pdf"])
    assert len(pages) == 2
    assert "Nothing is published here yet." in pages[1]
    assert calls == [(1, 1)]


def test_progress_counts_readable_items_then_each_pdf(project):
    build_kb(project)
    calls: list[tuple[int, int]] = []
    pdf_export(project, progress=lambda done, total: calls.append((done, total)))
    # Welcome (a page), Install, Draft only, Tuning (Secret and Attic are hidden), two PDFs.
    assert calls == [(n, 6) for n in range(1, 7)]


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/hostname",
        "http://127.0.0.1:9/logo.png",
        "data:image/png;base64,iVBORw0KGgo=",
        "lorebase-media:/Media/not-in-the-drive.png",
        "lorebase-media:/../../etc/hostname",
    ],
)
def test_the_fetcher_refuses_anything_but_the_exports_media(project, url):
    fetcher = ExportMedia(project.client.app.state.runtime.blobs, {"/media/logo.png": "key"})
    with pytest.raises(ValueError, match="not a media file of this export"):
        fetcher.fetch(url)


def test_v3_pdf_export_runs_as_a_job(project):
    guides = category(project, "Guides")
    install = article(project, guides, "Install", "# Install\n\nRun the installer.")
    ok(
        project.post(
            f"/v2/Articles/{install}/en/publish",
            json={"user_id": project.owner_id, "version_number": 1},
        )
    )

    _, location = start_export(project, format="pdf")
    assert drain(project) == 1
    done = poll(project, location)

    assert done["status"] == "Completed", done
    archive = download(project, done["download_url"])
    assert archive.namelist() == ["v1.en.pdf"]
    text = "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(archive.read("v1.en.pdf"))).pages
    )
    assert "Run the installer." in text
