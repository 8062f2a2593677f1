"""Download an import's `source_documentation_url`, safely.

Server-side request forgery: only http(s), and unless allowed, no address in a private,
loopback, link-local, multicast or reserved range. The check runs where the connection is
made (an httpcore network backend that resolves the name itself and connects to the address it
checked), so a DNS answer that changes between a check and the connection (rebinding) and a
redirect to an internal host are refused the same way. Size and total time are capped while
the body streams.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Iterable
from typing import BinaryIO
from urllib.parse import urlsplit

import httpcore
import httpx

MAX_REDIRECTS = 5
CHUNK = 256 * 1024


class FetchError(Exception):
    """The URL cannot be fetched; the message says why, for the person who gave it."""


def check_url(url: str) -> None:
    """Refuse what is not an http(s) URL to a `.zip` (Document360's rule), with its words."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise FetchError(
            "Invalid Source DocumentationURI: only http and https URLs of a .zip file are accepted."
        )
    if not parts.path.lower().endswith(".zip"):
        raise FetchError("Invalid Source DocumentationURI, Document360 only accept .zip files.")


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def _addresses(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchError(f"The host {host!r} of the source URL cannot be resolved: {exc}.") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check_host(host: str, port: int, allow_private: bool) -> list[str]:
    """The host's addresses, or FetchError if any of them is off limits."""
    addresses = _addresses(host, port)
    if not allow_private:
        for address in addresses:
            if not is_public(address):
                raise FetchError(
                    f"The source URL's host {host!r} resolves to {address}, a private, loopback "
                    "or link-local address; Lorebase does not fetch those (an administrator can "
                    "allow it with LOREBASE_IMPORT_ALLOW_PRIVATE_URLS)."
                )
    return addresses


class _CheckedBackend(httpcore.SyncBackend):
    """Connects only to addresses that passed `check_host`, whatever the URL named."""

    def __init__(self, allow_private: bool) -> None:
        self.allow_private = allow_private

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = check_host(host, port, self.allow_private)
        last: Exception | None = None
        for address in addresses:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                last = exc
        raise FetchError(f"Could not connect to {host}:{port}: {last}.")


def download(
    url: str,
    out: BinaryIO,
    *,
    max_bytes: int,
    timeout: float,
    allow_private: bool = False,
) -> int:
    """Stream `url` into `out`; returns the byte count. Raises FetchError with the reason."""
    check_url(url)
    deadline = time.monotonic() + timeout
    transport = httpx.HTTPTransport(retries=0)
    # The backend is httpcore's seam for connecting; httpx exposes no other way to check the
    # address actually connected to.
    transport._pool._network_backend = _CheckedBackend(allow_private)
    per_read = httpx.Timeout(min(timeout, 30.0))
    with httpx.Client(transport=transport, timeout=per_read, follow_redirects=False) as client:
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            try:
                with client.stream("GET", current) as response:
                    if response.is_redirect:
                        location = response.headers.get("location", "")
                        current = str(response.url.join(location))
                        if urlsplit(current).scheme.lower() not in ("http", "https"):
                            raise FetchError(f"The source URL redirects to {current!r}.")
                        continue
                    if response.status_code != 200:
                        raise FetchError(
                            f"Fetching the source URL answered HTTP {response.status_code}."
                        )
                    declared = response.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > max_bytes:
                        raise FetchError(
                            f"The source ZIP is {declared} bytes, over the {max_bytes}-byte limit."
                        )
                    size = 0
                    for chunk in response.iter_bytes(CHUNK):
                        size += len(chunk)
                        if size > max_bytes:
                            raise FetchError(f"The source ZIP is over the {max_bytes}-byte limit.")
                        if time.monotonic() > deadline:
                            raise FetchError(
                                f"Downloading the source ZIP took longer than {timeout:g} s."
                            )
                        out.write(chunk)
                    return size
            except FetchError:
                raise
            except httpx.TimeoutException as exc:
                raise FetchError(f"Downloading the source ZIP timed out: {exc}.") from exc
            except httpx.HTTPError as exc:
                cause = exc.__context__
                if isinstance(cause, FetchError):
                    raise cause from None
                raise FetchError(f"Downloading the source ZIP failed: {exc}.") from exc
        raise FetchError(f"The source URL redirects more than {MAX_REDIRECTS} times.")
