"""Fetching an import's source URL: schemes, private addresses (also behind a redirect), size."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lorebase.exchange.fetch import FetchError, download, is_public

BODY = b"PK\x05\x06" + b"\x00" * 18


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/redirect.zip":
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:1/internal.zip")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_loopback_is_refused_unless_allowed(server: str) -> None:
    with pytest.raises(FetchError, match="private, loopback or link-local"):
        download(f"{server}/kb.zip", io.BytesIO(), max_bytes=100, timeout=5)
    out = io.BytesIO()
    assert download(f"{server}/kb.zip", out, max_bytes=100, timeout=5, allow_private=True) == 22
    assert out.getvalue() == BODY


def test_size_cap_applies_while_downloading(server: str) -> None:
    with pytest.raises(FetchError, match="over the 10-byte limit"):
        download(f"{server}/kb.zip", io.BytesIO(), max_bytes=10, timeout=5, allow_private=True)


def test_a_redirect_is_followed_and_a_dead_target_fails_with_a_message(server: str) -> None:
    # Every hop connects through the same address check (see fetch._CheckedBackend).
    with pytest.raises(FetchError):
        download(
            f"{server}/redirect.zip", io.BytesIO(), max_bytes=100, timeout=5, allow_private=True
        )


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd.zip", "ftp://example.com/a.zip", "gopher://x/a.zip", "http:///a.zip"],
)
def test_only_http_and_https_urls_are_fetched(url: str) -> None:
    with pytest.raises(FetchError, match="http and https"):
        download(url, io.BytesIO(), max_bytes=100, timeout=5)


def test_the_url_must_name_a_zip() -> None:
    with pytest.raises(FetchError, match=r"only accept \.zip files"):
        download("https://example.com/export.tar.gz", io.BytesIO(), max_bytes=100, timeout=5)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("0.0.0.0", False),
        ("2606:4700:4700::1111", True),
    ],
)
def test_address_ranges(address: str, public: bool) -> None:
    assert is_public(address) is public
