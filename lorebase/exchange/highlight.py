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

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

_CODE_BLOCK = re.compile(
    r'<pre><code class="language-([A-Za-z0-9_+#.-]{1,40})">(.*?)</code></pre>', re.DOTALL
)
_FORMATTER = HtmlFormatter(nowrap=True)
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
        code = highlight(html.unescape(escaped), lexer, _FORMATTER)
        return f'<pre class="highlight"><code class="language-{language}">{code}</code></pre>'

    return _CODE_BLOCK.sub(replace, body)


def stylesheet(style: str = "default", scope: str = ".highlight") -> str:
    """The CSS of a Pygments style for blocks inside `scope`."""
    return str(HtmlFormatter(style=style).get_style_defs(scope))
