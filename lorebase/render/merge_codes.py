"""Merge codes (`{{variable.X}}`, `{{snippet.X}}`, `{{glossary.X}}`): finding and resolving them."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, NamedTuple

from lorebase.render.markdown import markdown_to_html

__all__ = [
    "MERGE_CODE_PATTERN",
    "RESOLUTION_BUDGET_CHARS",
    "GlossaryTerm",
    "MergeCodeValues",
    "Snippet",
    "find_merge_codes",
    "resolve_merge_codes",
]

# formats.md section 4 [INF]; only the kind is case-insensitive, names match exactly.
MERGE_CODE_PATTERN = re.compile(r"\{\{\s*((?i:variable|snippet|glossary))\.([A-Za-z0-9_-]+)\s*\}\}")

# Snippets can include each other many times over, so without a bound the work and the output of
# one resolution grow geometrically with nesting depth. Every character scanned inside a snippet
# and every character substituted is charged to this budget; once it is spent, the remaining
# codes are left as they are. The caller's own text is not charged: scanning it is linear.
RESOLUTION_BUDGET_CHARS = 5_000_000

_Target = Literal["markdown", "html"]

_ALL_KINDS = frozenset({"variable", "snippet", "glossary"})
_BEFORE_RENDERING = frozenset({"variable", "snippet"})
_GLOSSARY_ONLY = frozenset({"glossary"})


@dataclass(frozen=True)
class Snippet:
    content: str
    is_html: bool  # False: the content is Markdown source


@dataclass(frozen=True)
class GlossaryTerm:
    term: str
    definition: str


@dataclass(frozen=True)
class MergeCodeValues:
    """Values already resolved for one language (language value first, then global)."""

    variables: Mapping[str, str]
    snippets: Mapping[str, Snippet]
    glossary: Mapping[str, GlossaryTerm]


def find_merge_codes(text: str) -> list[tuple[str, str]]:
    """Return the (kind, name) of every merge code in `text`, in order; kind is lower-case."""
    if "{{" not in text:
        return []
    return [(kind.lower(), name) for kind, name in MERGE_CODE_PATTERN.findall(text)]


def resolve_merge_codes(
    text: str, values: MergeCodeValues, *, target: Literal["markdown", "html"], max_depth: int = 10
) -> str:
    """Replace the merge codes in `text` (Markdown source or HTML, as `target` says) by values.

    Unknown codes, codes that would close a snippet cycle, codes deeper than `max_depth` snippets
    and codes past RESOLUTION_BUDGET_CHARS are left in place, visible to the author. For "html"
    the surrounding text is not sanitised here: sanitise the assembled document once afterwards.
    """
    if "{{" not in text:
        return text
    if max_depth < 0:
        raise ValueError("max_depth must not be negative")
    return _Resolution(values, max_depth).expand(text, target, _ALL_KINDS, ()).text


class _Expansion(NamedTuple):
    text: str
    # False when a cycle cut, the depth limit or the spent budget shaped the text, so the same
    # snippet expanded elsewhere could come out differently.
    context_free: bool
    # How many levels of snippets the text nests (0: none), to know where a memoised expansion
    # still fits under max_depth.
    height: int


class _Resolution:
    """State of one resolve_merge_codes call: the work budget and the memoised snippets."""

    def __init__(self, values: MergeCodeValues, max_depth: int) -> None:
        self._values = values
        self._max_depth = max_depth
        self._budget = RESOLUTION_BUDGET_CHARS
        # Memoising context-free snippet expansions is what keeps fan-out linear: a snippet
        # included a thousand times is expanded once. A context-free expansion contains no
        # snippet that is being expanded around it (that would have been a cycle, cut), so
        # reusing it is exact as long as its height fits under max_depth where it is reused.
        self._memo: dict[tuple[str, _Target, frozenset[str]], _Expansion] = {}

    def expand(
        self, text: str, target: _Target, kinds: frozenset[str], stack: tuple[str, ...]
    ) -> _Expansion:
        """Resolve the codes of `kinds` in `text`; `stack` lists the snippets around it."""
        if "{{" not in text:
            return _Expansion(text, True, 0)
        if stack:
            if len(text) > self._budget:
                return _Expansion(text, False, 0)
            self._budget -= len(text)
        context_free = True
        height = 0
        parts: list[str] = []
        position = 0
        for match in MERGE_CODE_PATTERN.finditer(text):
            kind = match.group(1).lower()
            if kind not in kinds:
                continue
            name = match.group(2)
            replacement: str | None
            if kind == "variable":
                replacement = self._variable(name, target)
            elif kind == "glossary":
                replacement = self._glossary(name, target)
            else:
                snippet = self._values.snippets.get(name)
                if snippet is None:
                    continue
                # A cycle or too deep a nesting leaves the code itself rather than an empty
                # string: the author sees which snippet to fix, as with an unknown code, instead
                # of text silently missing. A spent budget is checked before expanding, so that
                # once it is gone each remaining code costs nothing more.
                if name in stack or len(stack) >= self._max_depth or self._budget <= 0:
                    context_free = False
                    continue
                expansion = self._snippet(name, snippet, target, kinds, stack)
                context_free = context_free and expansion.context_free
                height = max(height, expansion.height + 1)
                replacement = expansion.text
            if replacement is None:
                continue
            if len(replacement) > self._budget:
                context_free = False
                continue
            self._budget -= len(replacement)
            parts.append(text[position : match.start()])
            parts.append(replacement)
            position = match.end()
        if not parts:
            return _Expansion(text, context_free, height)
        parts.append(text[position:])
        return _Expansion("".join(parts), context_free, height)

    def _variable(self, name: str, target: _Target) -> str | None:
        value = self._values.variables.get(name)
        if value is None or target == "markdown":
            return value
        return html.escape(value)

    def _glossary(self, name: str, target: _Target) -> str | None:
        entry = self._values.glossary.get(name)
        if entry is None:
            return None
        if target == "markdown":
            return entry.term
        return f'<abbr title="{html.escape(entry.definition)}">{html.escape(entry.term)}</abbr>'

    def _snippet(
        self,
        name: str,
        snippet: Snippet,
        target: _Target,
        kinds: frozenset[str],
        stack: tuple[str, ...],
    ) -> _Expansion:
        key = (name, target, kinds)
        memoised = self._memo.get(key)
        if memoised is not None and len(stack) + 1 + memoised.height <= self._max_depth:
            return memoised
        inner = (*stack, name)
        if target == "markdown" or snippet.is_html:
            expansion = self.expand(snippet.content, target, kinds, inner)
        else:
            expansion = self._markdown_snippet_as_html(snippet.content, kinds, inner)
        if expansion.context_free:
            self._memo[key] = expansion
        return expansion

    def _markdown_snippet_as_html(
        self, source: str, kinds: frozenset[str], stack: tuple[str, ...]
    ) -> _Expansion:
        # Nested snippets and variables are resolved in the Markdown, as in a Markdown article:
        # nested Markdown snippets then render as one document, and a variable inside a link
        # URL works (cmark would percent-encode the braces of a code left for later). Glossary
        # codes wait until after rendering so that they can become <abbr> elements.
        markdown = self.expand(source, "markdown", kinds & _BEFORE_RENDERING, stack)
        rendered = markdown_to_html(markdown.text)
        context_free = markdown.context_free
        if "glossary" in kinds:
            glossary = self.expand(rendered, "html", _GLOSSARY_ONLY, stack)
            rendered, context_free = glossary.text, context_free and glossary.context_free
        return _Expansion(_unwrap_single_paragraph(rendered), context_free, markdown.height)


def _unwrap_single_paragraph(rendered: str) -> str:
    # A one-paragraph snippet is mostly used inline ("see {{snippet.Support}} for help") or alone
    # on a line, which is already inside the article's own <p>; a second <p> would nest.
    stripped = rendered.strip()
    if stripped.startswith("<p>") and stripped.endswith("</p>") and "</p>" not in stripped[3:-4]:
        return stripped[3:-4]
    return rendered
