"""A rendered body made ready to read on a site: code highlighted, wide tables scrollable, and
what a page shows beside the body (its headings, read time, opening words) taken from it once.

The live site keeps a `ReadyBody` with each published revision (`kb.page_bodies`), so a page
is not rendered again on every read; the offline export makes the same from the same code.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from lorebase.render.highlight import highlight_code

_HEADING = re.compile(r'<h([23]) id="([^"]+)">(.*?)</h\1>', re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_WORD = re.compile(r"\w+")
# Search engines show about this many characters of a description.
OPENING_CHARS = 155


@dataclass(frozen=True)
class Heading:
    """An `<h2>`/`<h3>` of a body: the "In this article" list links to its anchor."""

    level: int
    anchor: str
    html: str  # the heading's text with its inline tags removed, still HTML-escaped


@dataclass(frozen=True)
class ReadyBody:
    html: str
    headings: tuple[Heading, ...]
    words: int
    opening: str | None  # the first words of the text, for a page without a description


def finish_html(body: str) -> str:
    """A rendered body as every site shows it: code highlighted, tables scrollable."""
    body = highlight_code(body)
    if "<table" in body:
        # Wide tables scroll inside the page instead of widening it (phones).
        body = body.replace("<table", '<div class="table-wrap"><table').replace(
            "</table>", "</table></div>"
        )
    return body


def headings(body: str) -> tuple[Heading, ...]:
    return tuple(
        Heading(int(level), anchor, _TAG.sub("", inner).strip())
        for level, anchor, inner in _HEADING.findall(body)
    )


def opening(text: str, length: int = OPENING_CHARS) -> str | None:
    """The first `length` characters of `text`, cut at a word, with an ellipsis when cut."""
    words = " ".join(text.split())
    if not words:
        return None
    if len(words) <= length:
        return words
    return words[:length].rsplit(" ", 1)[0] + "…"


def ready_body(rendered: str) -> ReadyBody:
    """`rendered` (sanitised HTML, merge codes resolved) made ready to read."""
    # Words counted on the body before highlighting: the same words, a fraction of the tags.
    text = html.unescape(_TAG.sub(" ", rendered))
    finished = finish_html(rendered)
    return ReadyBody(finished, headings(rendered), len(_WORD.findall(text)), opening(text))
