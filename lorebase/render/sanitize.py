"""The HTML allow-list for article content: what survives between an author and a reader."""

from __future__ import annotations

import nh3

__all__ = ["sanitize_html"]

_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})

_TAGS = _HEADINGS | {
    "p",
    "a",
    "img",
    "br",
    "hr",
    "blockquote",
    "pre",
    "code",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "input",
    "table",
    "caption",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "th",
    "td",
    "em",
    "strong",
    "b",
    "i",
    "u",
    "del",
    "s",
    "ins",
    "sup",
    "sub",
    "kbd",
    "mark",
    "abbr",
    "span",
    "div",
    "section",
    "details",
    "summary",
    "figure",
    "figcaption",
}

# class is allowed with any value rather than through nh3's allowed_classes: code blocks carry
# open-ended `language-*` names and Document360's editors emit classes we cannot enumerate
# (callouts infoBox/warningBox/..., `section.internal-notes`). A class cannot run script.
_ATTRIBUTES: dict[str, set[str]] = {
    **{heading: {"id"} for heading in _HEADINGS},
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"align", "colspan", "rowspan"},
    "td": {"align", "colspan", "rowspan"},
    "ol": {"start"},
    "input": {"checked"},
    "pre": {"class"},
    "code": {"class"},
    "span": {"class"},
    "div": {"class"},
    "section": {"class"},
    "details": {"open"},
    "abbr": {"title"},
}

# Whatever an author wrote, an <input> can only come out as a read-only checkbox (GFM task
# lists); forcing the values is cheaper than a per-attribute Python callback.
_FORCED_ATTRIBUTES = {"input": {"type": "checkbox", "disabled": ""}}

# These are dropped with their content: left as text, a script or an inline SVG would show up
# to readers as source code.
_DROPPED_WITH_CONTENT = {
    "script",
    "style",
    "iframe",
    "noscript",
    "template",
    "object",
    "svg",
    "math",
}

_CLEANER = nh3.Cleaner(
    tags=set(_TAGS),
    clean_content_tags=_DROPPED_WITH_CONTENT,
    attributes=_ATTRIBUTES,
    set_tag_attribute_values=_FORCED_ATTRIBUTES,
    url_schemes={"http", "https", "mailto"},
    link_rel="noopener noreferrer",
    strip_comments=True,
)


def sanitize_html(html: str) -> str:
    """Return `html` reduced to the documentation allow-list (no script, handlers or bad URLs)."""
    result: str = _CLEANER.clean(html)
    return result
