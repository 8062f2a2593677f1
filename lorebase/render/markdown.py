"""GitHub-flavoured Markdown to sanitised HTML, with stable heading ids for tables of contents."""

from __future__ import annotations

import ctypes
import functools
import html
import re
import unicodedata

from cmarkgfm import _cmark, cmark

from lorebase.render.sanitize import sanitize_html

__all__ = ["markdown_to_html"]

# UNSAFE lets authors' inline HTML through cmark; sanitize_html decides what survives. The
# `tagfilter` extension is left out on purpose: it escapes <script> into visible text, whereas
# the sanitiser drops it with its content. GITHUB_PRE_LANG is left out too, so fenced code keeps
# `class="language-xxx"` on <code> instead of `lang` on <pre>.
_OPTIONS = cmark.Options.CMARK_OPT_UNSAFE
_EXTENSION_NAMES = ("table", "tasklist", "strikethrough", "autolink")

cmark.core_extensions_ensure_registered()
# cmarkgfm's one-call wrapper looks the extensions up by name on every call; doing it once here
# is a measurable part of the per-article cost.
_EXTENSIONS = tuple(cmark.find_syntax_extension(name) for name in _EXTENSION_NAMES)
_LIB = _cmark.lib
_FFI = _cmark.ffi

# cmarkgfm 2025.10.22 never frees the syntax tree nor the rendered buffer (measured: +1.3 GB RSS
# after 20,000 renders of a 4 KB article), which a long-lived server cannot afford. Its binding
# does not expose the two frees, but the extension module exports cmark's symbols, and cmark
# allocates with the C library's malloc by default.
_NODE_FREE = ctypes.CDLL(_cmark.__file__).cmark_node_free
_NODE_FREE.argtypes = [ctypes.c_void_p]
_NODE_FREE.restype = None
_C_FREE = ctypes.CDLL(None).free
_C_FREE.argtypes = [ctypes.c_void_p]
_C_FREE.restype = None

_SURROGATE = re.compile("[\ud800-\udfff]")
_HEADING = re.compile(r"<h([1-6])( [^>]*)?>(.*?)</h\1>", re.DOTALL)
_HEADING_ID = re.compile(r'<h[1-6] id="([^"]*)"')
_TAG = re.compile(r"<[^>]*>")
_WHITESPACE = re.compile(r"\s")
# bytes.translate is several times faster than a regex or str.translate for the usual all-ASCII
# heading: whitespace becomes "-", everything but [a-z0-9_-] is deleted.
_ASCII_WHITESPACE = b" \t\n\r\f\v"
_ASCII_SLUG_TABLE = bytes.maketrans(_ASCII_WHITESPACE, b"-" * len(_ASCII_WHITESPACE))
_ASCII_SLUG_DELETE = bytes(
    code
    for code in range(256)
    if code not in b"abcdefghijklmnopqrstuvwxyz0123456789_-" + _ASCII_WHITESPACE
)


def markdown_to_html(source: str) -> str:
    """Render GFM `source` to sanitised HTML; headings get unique ids slugified from their text."""
    if len(source) > _CACHEABLE_CHARS:
        return _render_uncached(source)
    return _render_cached(source)


def _render_uncached(source: str) -> str:
    return _add_heading_ids(sanitize_html(_render_gfm(source)))


# The same bodies are rendered again and again (every GET of an article renders its
# html_content); rendering is a pure function of the text, so recent results are reused.
_CACHEABLE_CHARS = 256 * 1024
_render_cached = functools.lru_cache(maxsize=2048)(_render_uncached)


def _render_gfm(source: str) -> str:
    try:
        encoded = source.encode("utf-8")
    except UnicodeEncodeError:
        # Lone surrogates (possible in JSON-decoded text) cannot reach the C parser.
        encoded = _SURROGATE.sub("\ufffd", source).encode("utf-8")
    parser = _LIB.cmark_parser_new(_OPTIONS)
    try:
        for extension in _EXTENSIONS:
            _LIB.cmark_parser_attach_syntax_extension(parser, extension)
        _LIB.cmark_parser_feed(parser, encoded, len(encoded))
        root = _LIB.cmark_parser_finish(parser)
        try:
            buffer = _LIB.cmark_render_html(
                root, _OPTIONS, _LIB.cmark_parser_get_syntax_extensions(parser)
            )
            try:
                rendered: str = _FFI.string(buffer).decode("utf-8")
            finally:
                _C_FREE(int(_FFI.cast("uintptr_t", buffer)))
        finally:
            _NODE_FREE(int(_FFI.cast("uintptr_t", root)))
    finally:
        _LIB.cmark_parser_free(parser)
    return rendered


def _add_heading_ids(rendered: str) -> str:
    if "<h" not in rendered:
        return rendered
    # Ids an author set in inline HTML are kept and reserved first, so a generated id never
    # duplicates one that appears later in the article.
    used: set[str] = set(_HEADING_ID.findall(rendered)) if ' id="' in rendered else set()
    next_suffix: dict[str, int] = {}

    def with_id(match: re.Match[str]) -> str:
        level, attributes, inner = match.group(1, 2, 3)
        if attributes:
            return match.group(0)
        text = _TAG.sub("", inner) if "<" in inner else inner
        base = _slugify(html.unescape(text) if "&" in text else text) or "section"
        slug = base
        # GitHub's scheme (`x`, `x-1`, `x-2`), but skipping suffixes another heading already
        # owns: "Setup", "Setup 1", "Setup" must not yield two "setup-1".
        while slug in used:
            suffix = next_suffix.get(base, 0) + 1
            next_suffix[base] = suffix
            slug = f"{base}-{suffix}"
        used.add(slug)
        return f'<h{level} id="{slug}">{inner}</h{level}>'

    return _HEADING.sub(with_id, rendered)


def _slugify(text: str) -> str:
    text = text.strip().lower()
    if text.isascii():
        return text.encode().translate(_ASCII_SLUG_TABLE, _ASCII_SLUG_DELETE).decode()
    text = _WHITESPACE.sub(" ", text)
    # Like github-slugger, keep letters, marks and numbers of every script and drop punctuation
    # and symbols, so non-Latin headings get readable anchors rather than empty ones.
    return "".join(
        "-" if char == " " else char
        for char in text
        if char in "-_ " or unicodedata.category(char)[0] in "LMN"
    )
