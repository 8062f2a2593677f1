"""Rendering article content for display: Markdown to HTML, sanitising, merge codes."""

from lorebase.render.markdown import markdown_to_html
from lorebase.render.merge_codes import (
    MERGE_CODE_PATTERN,
    RESOLUTION_BUDGET_CHARS,
    GlossaryTerm,
    MergeCodeValues,
    Snippet,
    find_merge_codes,
    resolve_merge_codes,
)
from lorebase.render.sanitize import sanitize_html

__all__ = [
    "MERGE_CODE_PATTERN",
    "RESOLUTION_BUDGET_CHARS",
    "GlossaryTerm",
    "MergeCodeValues",
    "Snippet",
    "find_merge_codes",
    "markdown_to_html",
    "resolve_merge_codes",
    "sanitize_html",
]
