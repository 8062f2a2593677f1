"""lorebase.kb.drive without HTTP: sniffing, safe names, media URLs and their signatures (with
an injected clock), and the functions the importer and exporter call."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import pytest

from lorebase.kb import drive
from lorebase.kb.errors import NotFound
from lorebase.storage import LocalBlobStore
from tests.api.v2.test_drive import png

BASE = "https://kb.example.com"
SECRET = b"test-secret"
NOW = 1_700_000_000.0


def jpeg(width: int, height: int) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof + b"\xff\xd9"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (png(), "image/png"),
        (b"GIF89a\x02\x00\x03\x00" + b"\x00" * 20, "image/gif"),
        (b"%PDF-1.7\n", "application/pdf"),
        (b"just words\n", "text/plain"),
        ("ünïcode".encode(), "text/plain"),
        (b"\xff\xfe\x00binary\x81", "application/octet-stream"),
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml"),
        (b"<!DOCTYPE html><html><script>x</script></html>", "text/html"),
        (b'<?xml version="1.0"?><note/>', "application/xml"),
    ],
)
def test_content_type_comes_from_the_bytes(data: bytes, expected: str) -> None:
    assert drive.sniff_content_type(data) == expected


def test_image_sizes_are_read_from_headers() -> None:
    assert drive.image_size(png(640, 480)) == (640, 480)
    assert drive.image_size(b"GIF89a" + struct.pack("<HH", 12, 34)) == (12, 34)
    assert drive.image_size(jpeg(800, 600)) == (800, 600)
    assert drive.image_size(b"\xff\xd8\xff") is None
    assert drive.image_size(b"text") is None


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("logo.png", "logo.png"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\shot.png", "shot.png"),
        ("..", "file"),
        ("", "file"),
        (None, "file"),
        ("a\x00b\nc.png", "abc.png"),
        ("x" * 600 + ".png", "x" * 496 + ".png"),
    ],
)
def test_file_names_are_made_safe_for_keys_and_urls(given: str | None, expected: str) -> None:
    assert drive.clean_file_name(given) == expected


def test_media_urls_are_found_in_markdown_html_and_json_text() -> None:
    url = drive.media_url(BASE + "/", "p1", "f1", "my logo (1).png")
    assert url == f"{BASE}/media/p1/f1/my%20logo%20%281%29.png"
    text = (
        f'![a]({url}) <img src="{BASE}/media/p1/f2/b.png?se=1&amp;sig=00"> '
        f'{{"html": "<img src=\\"{BASE}/media/p2/f3/c.gif\\">"}} {url} '
        "https://elsewhere.example/media/p9/f9/x.png"
    )
    assert drive.media_refs(text, BASE) == [
        ("p1", "f1", "my logo (1).png"),
        ("p1", "f2", "b.png"),
        ("p2", "f3", "c.gif"),
    ]


def test_signed_urls_verify_until_they_expire() -> None:
    url = drive.media_url(BASE, "p1", "f1", "a b.png")
    signed = drive.sign_media_urls(f"![x]({url})", BASE, SECRET, 60, NOW)
    query = signed.split("?", 1)[1].rstrip(")")
    params = dict(part.split("=") for part in query.split("&"))
    assert params["se"] == str(int(NOW) + 60)

    def ok(now: float, name: str = "a b.png", file_id: str = "f1") -> bool:
        return drive.verify_media_signature(
            SECRET, "p1", file_id, name, params["se"], params["sig"], now
        )

    assert ok(NOW) and ok(NOW + 59)
    assert not ok(NOW + 60)
    assert not ok(NOW, name="other.png") and not ok(NOW, file_id="f2")
    assert not drive.verify_media_signature(SECRET, "p1", "f1", "a b.png", None, None, NOW)
    assert not drive.verify_media_signature(SECRET, "p1", "f1", "a b.png", "x", "y", NOW)


def test_signing_replaces_an_old_signature_and_keeps_other_parameters() -> None:
    url = drive.media_url(BASE, "p1", "f1", "a.png") + "?w=10&se=5&sig=old"
    signed = drive.sign_media_urls(url, BASE, SECRET, 100, NOW)
    assert signed.startswith(drive.media_url(BASE, "p1", "f1", "a.png") + "?w=10&se=")
    assert "old" not in signed and signed.count("se=") == 1
    assert drive.sign_media_urls("no media here", BASE, SECRET, 100, NOW) == "no media here"


def test_add_file_and_the_export_helpers(project: Any, tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs", BASE, SECRET)
    with project.session() as session:
        assert drive.ensure_folder_path(session, project.project_id, [], None) is None
        deep = drive.ensure_folder_path(session, project.project_id, ["Media", "Images"], None)
        assert deep is not None
        again = drive.ensure_folder_path(session, project.project_id, ["Media", "Images"], None)
        assert again is not None and again.id == deep.id
        top = drive.add_file(
            session,
            blobs,
            project.project_id,
            folder_id=None,
            file_name="z.txt",
            data=b"hi",
            user_id=None,
        )
        nested = drive.add_file(
            session,
            blobs,
            project.project_id,
            folder_id=deep.id,
            file_name="sub/dir/logo.png",
            data=png(),
            user_id=project.owner_id,
        )
        assert nested.file_name == "logo.png" and nested.content_type == "image/png"
        assert nested.blob_key == f"media/{project.project_id}/{nested.id}/logo.png"
        assert nested.size == len(png()) and (nested.width, nested.height) == (3, 2)
        assert blobs.open_reader(nested.blob_key).read() == png()
        assert drive.folder_path(session, nested) == ["Media", "Images"]
        assert drive.folder_path(session, top) == []
        listed = [(f.id, path) for f, path in drive.project_files(session, project.project_id)]
        assert listed == [(top.id, []), (nested.id, ["Media", "Images"])]
        with pytest.raises(NotFound):
            drive.add_file(
                session,
                blobs,
                project.project_id,
                folder_id="missing",
                file_name="x",
                data=b"x",
                user_id=None,
            )
