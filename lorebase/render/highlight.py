"""Code highlighting for the exports made to be read (HTML site, PDF), with Pygments.

cmark renders a fenced block as `<pre><code class="language-xxx">…</code></pre>`; the
sanitised HTML keeps that class. Blocks whose language Pygments knows are re-rendered with
Pygments' token classes (`<span class="k">` …), styled by `stylesheet()`: no script and no web
font, so it works offline and in WeasyPrint alike. Blocks without a known language are left as
they are. Runs after sanitising: Pygments escapes the code it formats.
"""

from __future__ import annotations

import functools
import html
import re

from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.token import STANDARD_TYPES
from pygments.util import ClassNotFound

_CODE_BLOCK = re.compile(
    r'<pre><code class="language-([A-Za-z0-9_+#.-]{1,40})">(.*?)</code></pre>', re.DOTALL
)
# Beyond this a block is shown plain: a pathological body must not stall an export.
MAX_HIGHLIGHT_CHARS = 100_000


@functools.lru_cache(maxsize=256)
def _lexer(name: str) -> Lexer | None:
    try:
        return get_lexer_by_name(name.lower(), stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


def highlight_code(body: str) -> str:
    """`body` with every fenced code block of a known language highlighted."""
    if "<pre><code class=" not in body:
        return body

    def replace(match: re.Match[str]) -> str:
        language, escaped = match.group(1, 2)
        lexer = _lexer(language)
        if lexer is None or len(escaped) > MAX_HIGHLIGHT_CHARS:
            return match.group(0)
        code = _spans(lexer, html.unescape(escaped))
        return f'<pre class="highlight"><code class="language-{language}">{code}</code></pre>'

    return _CODE_BLOCK.sub(replace, body)


def _spans(lexer: Lexer, code: str) -> str:
    """Pygments' tokens as `<span class="…">`, the classes of its HtmlFormatter (so that its
    style sheets apply). Written here because HtmlFormatter's line handling was two thirds of
    a highlighted export's time; runs of one class are merged into one span."""
    parts: list[str] = []
    run_class = ""
    run: list[str] = []
    class_of = _CLASS_OF
    # get_tokens_unprocessed: get_tokens' preprocessing (tab expansion, newline
    # normalisation) is not needed for cmark's output, and its generator layers cost a tenth.
    for _, token_type, value in lexer.get_tokens_unprocessed(code):
        css = class_of.get(token_type)
        if css is None:
            css = class_of[token_type] = _css_class(token_type)
        if css == run_class:
            run.append(value)
            continue
        if run:
            parts.append(_span(run_class, run))
        run_class = css
        run = [value]
    if run:
        parts.append(_span(run_class, run))
    return "".join(parts)


def _span(css: str, run: list[str]) -> str:
    escaped = html.escape("".join(run), quote=False)
    return f'<span class="{css}">{escaped}</span>' if css else escaped


# Token type -> its CSS class: a handful of types, looked up for every token.
_CLASS_OF: dict[object, str] = {}


def _css_class(token_type: object) -> str:
    # A token type without a class of its own takes its nearest parent's (Name.Function.Magic
    # is styled as Name.Function), as HtmlFormatter does.
    current: object = token_type
    while current is not None:
        css = STANDARD_TYPES.get(current)
        if css is not None:
            return str(css)
        current = getattr(current, "parent", None)
    return ""


def stylesheet(style: str = "default", scope: str = ".highlight") -> str:
    """The CSS of a Pygments style for blocks inside `scope`."""
    return str(HtmlFormatter(style=style).get_style_defs(scope))
