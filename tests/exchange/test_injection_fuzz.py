"""Hostile input, end to end (issue 5): text sent through the v2 API (article titles and bodies
in the Markdown, WYSIWYG and Block editors, category names and page bodies, variables, snippets
and glossary terms reached through merge codes, Drive file names, the project, workspace and
language names) never comes out as live script: not in `html_content` (`isForDisplay` true or
false), and not in any page, `tree.js` or `search.js` of the offline HTML site export.

`live_script` is the one judge: it parses what a reader's browser would get, with the standard
library's tokenizer and with tinyhtml5 (WeasyPrint's WHATWG HTML5 parser, so the tree a browser
builds, foreign SVG/MathML content included), and lists every way the document could run script.
The unit-level property over the renderer alone is tests/render/test_markdown.py.
"""

from __future__ import annotations

import json
import random
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from xml.etree import ElementTree

import cmarkgfm
import pytest
import tinyhtml5
from cmarkgfm.cmark import Options
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from lorebase.db.models import Language, Project, ProjectVersion
from tests.api.v2.test_project_exchange import EXPORT, download, drain
from tests.exchange.test_jsonzip_writer import drive_file

# ---------------------------------------------------------------------------------------------
# The judge
# ---------------------------------------------------------------------------------------------

# The schemes the sanitiser lets through (lorebase/render/sanitize.py, `url_schemes`); data:
# is not among them, not even for images. Relative URLs have no scheme.
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
# The site's own scripts and style sheet (templates/language.html and layout.html): a page of a
# language folder loads these three, the root index.html none.
SITE_SCRIPTS = frozenset({"tree.js", "search.js", "../../assets/site.js", "../../assets/theme.js"})
ROOT_SCRIPTS = frozenset({"assets/theme.js"})
SITE_STYLESHEETS = frozenset({"assets/site.css", "../../assets/site.css"})
SITE_ICONS = frozenset({"assets/favicon.svg", "../../assets/favicon.svg"})
URL_ATTRIBUTES = frozenset(
    {
        "href",
        "src",
        "action",
        "formaction",
        "xlink:href",
        "srcset",
        "poster",
        "background",
        "data",
        "cite",
        "ping",
        "codebase",
        "longdesc",
        "lowsrc",
        "dynsrc",
        "manifest",
        "icon",
    }
)
# Elements that run script or styles, load another document or plugin, change where relative
# links go, submit somewhere, or switch the parser into another mode (the mutation-XSS family).
FORBIDDEN_ELEMENTS = frozenset(
    {
        "style",
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "applet",
        "base",
        "svg",
        "math",
        "form",
        "noscript",
        "template",
        "xmp",
        "plaintext",
        "noembed",
        "noframes",
        "portal",
    }
)
FORBIDDEN_ATTRIBUTES = frozenset({"style", "srcdoc", "http-equiv"})
# Browsers drop leading and trailing C0 controls and spaces from a URL, and tabs and newlines
# anywhere in it, before they read the scheme.
_URL_EDGES = re.compile(r"^[\x00-\x20]+|[\x00-\x20]+$")
_URL_TABS_NEWLINES = re.compile(r"[\t\n\r]")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")


def url_scheme(url: str) -> str | None:
    """The scheme a browser reads in `url` (entities already decoded), lower-cased."""
    cleaned = _URL_TABS_NEWLINES.sub("", _URL_EDGES.sub("", url)).lower()
    match = _SCHEME.match(cleaned)
    return match.group(1) if match else None


class _Tokens(HTMLParser):
    """The standard library's tokenizer: start tags with every attribute (duplicates kept, as a
    browser keeps the first), inline script text, and markup a sanitised page never holds."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str]]]] = []
        self.script_text: list[str] = []
        self.strays: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, [(name, value or "") for name, value in attrs]))
        self._in_script = tag == "script"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, [(name, value or "") for name, value in attrs]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.script_text.append(data)

    # The sanitiser strips comments and the templates have none; one in the output means raw
    # author markup got through (and conditional comments ran script in old browsers).
    def handle_comment(self, data: str) -> None:
        self.strays.append(f"comment <!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        if decl.lower() != "doctype html":
            self.strays.append(f"declaration <!{decl}>")

    def unknown_decl(self, data: str) -> None:
        self.strays.append(f"declaration <![{data}]>")

    def handle_pi(self, data: str) -> None:
        self.strays.append(f"processing instruction <?{data}>")


def _local(name: str) -> tuple[str, str]:
    """(namespace, local name) of an ElementTree tag or attribute name."""
    if name.startswith("{"):
        namespace, _, local = name[1:].partition("}")
        return namespace, local
    return "", name


def _tree(document: str, problems: list[str]) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """The elements of the tree an HTML5 browser builds from `document`."""
    root = tinyhtml5.parse(document, namespace_html_elements=False)
    for element in root.iter():
        if not isinstance(element.tag, str):
            problems.append(f"comment in the tree: {ElementTree.tostring(element)!r}")
            continue
        namespace, tag = _local(element.tag)
        if namespace:
            problems.append(f"foreign element <{tag}> ({namespace})")
        if tag == "script" and (element.text or "").strip():
            problems.append(f"inline script {element.text!r}")
        yield tag, [(_local(name)[1], value) for name, value in element.attrib.items()]


def _element_problems(
    tag: str,
    attrs: list[tuple[str, str]],
    scripts: frozenset[str],
    stylesheets: frozenset[str],
    icons: frozenset[str],
) -> Iterator[str]:
    described = f"<{tag} {' '.join(f'{n}={v!r}' for n, v in attrs)}>"
    if tag == "script":
        if not (len(attrs) == 1 and attrs[0][0] == "src" and attrs[0][1] in scripts):
            yield f"script that is not the site's own: {described}"
    elif tag == "link":
        names = sorted(name for name, _ in attrs)
        values = dict(attrs)
        stylesheet = (
            names == ["href", "rel"]
            and values["rel"] == "stylesheet"
            and values["href"] in stylesheets
        )
        icon = (
            names == ["href", "rel", "type"] and values["rel"] == "icon" and values["href"] in icons
        )
        if not (stylesheet or icon):
            yield f"link that is not the site's style sheet or icon: {described}"
    elif tag in FORBIDDEN_ELEMENTS:
        yield f"forbidden element {described}"
    for name, value in attrs:
        name = name.lower()
        if name.startswith("on") or name in FORBIDDEN_ATTRIBUTES:
            yield f"forbidden attribute {name} in {described}"
        if name in URL_ATTRIBUTES or name.endswith(":href"):
            urls = (
                [c.strip().split(" ")[0] for c in value.split(",")] if name == "srcset" else [value]
            )
            for url in urls:
                scheme = url_scheme(url)
                if scheme is not None and scheme not in SAFE_SCHEMES:
                    yield f"{scheme}: URL in {name} of {described}"


def live_script(
    document: str,
    *,
    scripts: frozenset[str] = frozenset(),
    stylesheets: frozenset[str] = frozenset(),
    icons: frozenset[str] = frozenset(),
) -> list[str]:
    """Every way `document` (a page or a fragment) could run script in a browser, described;
    empty when it cannot. `scripts` and `stylesheets` are the site's own files, allowed."""
    tokens = _Tokens()
    tokens.feed(document)
    tokens.close()
    problems = [*tokens.strays, *(f"inline script {text!r}" for text in tokens.script_text)]
    for tag, attrs in [*tokens.tags, *_tree(document, problems)]:
        problems.extend(_element_problems(tag, attrs, scripts, stylesheets, icons or SITE_ICONS))
    return list(dict.fromkeys(problems))


# ---------------------------------------------------------------------------------------------
# Hostile text
# ---------------------------------------------------------------------------------------------

# Each of these runs script when it reaches a page unsanitised (raw HTML, or Markdown rendered by
# cmark without a sanitiser): test_the_judge_flags_every_payload_left_raw holds the list to that.
SCRIPT_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<script>/*</script><script>*/alert(1)</script>",
    "</script><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "</textarea></style></noscript><script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<img src="x" alt="a" onerror="alert(1)"/>',
    "<IMG SRC=x oNeRrOr=alert(1)>",
    "<img src=x\nonerror=alert(1)>",
    '<img/src="x"/onerror=alert(1)>',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="1" y="1">x</text></a></svg>',
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<math><mtext><table><mglyph><style><!--</style><img title="--&gt;&lt;/mglyph&gt;'
    '&lt;img&Tab;src=1&Tab;onerror=alert(1)&gt;">',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    "<style>@import 'javascript:alert(1)';</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href=" \x01javascript:alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    '<a href="java&#9;script:alert(1)">x</a>',
    '<a href="java&#x0A;script:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="&#x6A;&#x61;vascript&colon;alert(1)">x</a>',
    '<a href="&#0000106&#0000097vascript:alert(1)">x</a>',
    '<a href="javascript&#58;alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="https://example.com/" onclick="alert(1)">x</a>',
    '<a href="https://example.com/" onmouseover=alert(1)>x</a>',
    '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
    '<img srcset="javascript:alert(1) 1x, https://example.com/a.png 2x">',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<button formaction="javascript:alert(1)">go</button>',
    '<input type="image" src="x" onerror="alert(1)">',
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)><summary>x</summary></details>",
    "<body onload=alert(1)>",
    '<abbr title="x" onmouseover="alert(1)">x</abbr>',
    '<h2 id="x" onclick="alert(1)">Heading</h2>',
    "<h2>Heading <img src=x onerror=alert(1)></h2>",
    '<table><tr><td background="javascript:alert(1)">x</td></tr></table>',
    '<pre><code class="language-python" onmouseover="alert(1)">print(1)</code></pre>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x]( javascript:alert(1) )",
    "[x](javascript&#58;alert(1))",
    "[x](&#106;avascript:alert(1))",
    "![x](javascript:alert(1))",
    "[x][ref]\n\n[ref]: javascript:alert(1)\n",
    "<javascript:alert(1)>",
    "<vbscript:msgbox(1)>",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "# <script>alert(1)</script>",
    "## Heading <img src=x onerror=alert(1)>",
    "| a |\n|---|\n| <img src=x onerror=alert(1)> |\n",
    "- [ ] <input onfocus=alert(1) autofocus>",
    "```html\n</code></pre><script>alert(1)</script>\n```",
    "<!--><script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
    '<?xml-stylesheet href="javascript:alert(1)"?><script>alert(1)</script>',
]

# Text that is harmless on its own but has broken sanitisers, templates, string literals and
# merge-code scanners before: comment and CDATA openers, entity halves, line and paragraph
# separators, merge-code look-alikes, code fences, bidi overrides. NUL and lone surrogates are
# refused by the API (400), which is fine; the site's knowledge base leaves them out.
ODD_TEXT = [
    "<",
    ">",
    "&",
    '"',
    "'",
    "`",
    "\\",
    "</",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;",
    "&#x3C;img src=x onerror=alert(1)&#x3E;",
    "%3Cscript%3Ealert(1)%3C/script%3E",
    '[x](https://example.com/ "t" onclick="alert(1)")',
    "\\u003cscript\\u003e",
    "\u2028",
    "\u2029",
    "\u202e",
    "\ufeff",
    "\u200b",
    "\x0b\x0c",
    "\r\n",
    "\n\n",
    "\t",
    "{{",
    "}}",
    "{{ ",
    "{{variable.",
    "{{snippet.S}",
    "{{ glossary.}}",
    "{{{{variable.V}}}}",
    "```",
    "~~~",
    "    ",
    "# ",
    "[",
    "](",
    ")",
    "javascript:",
    " onerror=",
    "é",
    "中文",
    "😀",
    "\x00",
    "\ud800",
    "\udfff",
]

# Merge codes as authors write them, and as attackers might: the values they stand for are set
# to hostile text too, and some sit where a URL or an attribute value is expected.
MERGE_CODES = [
    "{{variable.V}}",
    "{{ Variable.V }}",
    "{{snippet.S}}",
    "{{SNIPPET.S}}",
    "{{glossary.G}}",
    "{{variable.Missing}}",
    "{{snippet.Missing}}",
    "[link]({{variable.V}})",
    "![image]({{variable.V}})",
    '<a href="{{variable.V}}">v</a>',
    '<img src="{{variable.V}}">',
    '<a title="{{variable.V}}" href="https://example.com/">t</a>',
    '<abbr title="{{glossary.G}}">g</abbr>',
    "<{{variable.V}}>",
    "`{{variable.V}}`",
]

# Variable values made to land inside a URL or an attribute value.
URL_VALUES = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " \tjavascript:alert(1)",
    "java\nscript:alert(1)",
    "&#106;avascript:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    '" onmouseover="alert(1)',
    "' onerror='alert(1)",
    'x" autofocus onfocus="alert(1)',
    "x><script>alert(1)</script>",
]

_ANY_TEXT = st.text(
    st.characters(exclude_characters="\x00", exclude_categories=["Cs"]), max_size=12
)
hostile_pieces = st.one_of(st.sampled_from(SCRIPT_PAYLOADS), st.sampled_from(ODD_TEXT), _ANY_TEXT)
hostile_texts = st.lists(hostile_pieces, min_size=1, max_size=5).map("".join)
hostile_bodies = st.lists(
    st.one_of(hostile_pieces, st.sampled_from(MERGE_CODES)), min_size=1, max_size=8
).map("".join)
variable_values = st.one_of(st.sampled_from(URL_VALUES), hostile_texts).map(lambda v: v[:300])
content_types = st.sampled_from([0, 1, 2])


# ---------------------------------------------------------------------------------------------
# The API
# ---------------------------------------------------------------------------------------------


def send(project: Any, method: str, path: str, body: Any) -> Any:
    """A JSON request whose lone surrogates travel as JSON escapes (httpx's own encoder would
    refuse to send them), so that the server, not the client, decides about them."""
    headers = {**project.headers, "content-type": "application/json"}
    return project.client.request(method, path, content=json.dumps(body), headers=headers)


def accepted(response: Any) -> bool:
    """Whether the API took the request; refusing hostile text with a 4xx is fine, a 5xx not."""
    assert response.status_code < 500, response.text
    return bool(response.status_code == 200)


@dataclass
class Workbench:
    """Where the API cases go: a folder for their articles, and the variable V, snippet S and
    glossary term G that their bodies use (each case sets their values)."""

    category: str
    variable: str
    snippet: str
    glossary: str


@pytest.fixture
def workbench(project: Any) -> Workbench:
    ws = project.workspace_id
    ids = []
    for route, body in (
        ("Categories", {"name": "Cases"}),
        ("Variables", {"name": "V", "value": "v"}),
        ("Snippets", {"name": "S", "content": "s"}),
        ("Glossary", {"name": "G", "term": "g", "definition": "d"}),
    ):
        response = send(project, "POST", f"/v2/{route}", {"project_version_id": ws, **body})
        assert accepted(response)
        ids.append(str(response.json()["data"]["id"]))
    return Workbench(*ids)


def set_merge_codes(
    project: Any,
    ids: Workbench,
    variable: str,
    snippet: str,
    snippet_is_html: bool,
    term: str,
    definition: str,
) -> None:
    accepted(send(project, "PUT", f"/v2/Variables/{ids.variable}", {"value": variable}))
    snippet_body = {"content": snippet, "is_html": snippet_is_html}
    accepted(send(project, "PUT", f"/v2/Snippets/{ids.snippet}", snippet_body))
    glossary_body = {"term": term, "definition": definition}
    accepted(send(project, "PUT", f"/v2/Glossary/{ids.glossary}", glossary_body))


def html_contents(project: Any, path: str, payload_key: str) -> Iterator[tuple[str, str]]:
    """(isForDisplay, html_content) of an article or category page, both ways."""
    for display in ("true", "false"):
        response = project.get(path, params={"isForDisplay": display})
        assert response.status_code == 200, response.text
        yield display, response.json()[payload_key]["html_content"] or ""


def article_html(
    project: Any,
    category_id: str,
    title: str,
    content: str,
    content_type: int,
    html_content: str | None = None,
) -> list[tuple[str, str]]:
    """Create an article (and give an HTML one an `html_content` too, when asked); its
    html_content both ways, or [] when the API refused the text."""
    created = send(
        project,
        "POST",
        "/v2/Articles",
        {
            "title": title,
            "content": content,
            "content_type": content_type,
            "category_id": category_id,
            "project_version_id": project.workspace_id,
            "user_id": project.owner_id,
        },
    )
    if not accepted(created):
        return []
    article_id = created.json()["data"]["id"]
    if html_content is not None:
        accepted(
            send(project, "PUT", f"/v2/Articles/{article_id}/en", {"html_content": html_content})
        )
    return list(html_contents(project, f"/v2/Articles/{article_id}/en", "data"))


def category_page_html(
    project: Any, name: str, content: str, content_type: int
) -> list[tuple[str, str]]:
    created = send(
        project,
        "POST",
        "/v2/Categories",
        {
            "name": name,
            "project_version_id": project.workspace_id,
            "category_type": 1,
            "content": content,
            "content_type": content_type,
            "user_id": project.owner_id,
        },
    )
    if not accepted(created):
        return []
    category_id = created.json()["data"]["id"]
    return list(html_contents(project, f"/v2/Categories/{category_id}/content/en", "category"))


@dataclass
class HostileCase:
    title: str
    body: str
    content_type: int
    html_content: str | None  # a second body, PUT as html_content of a non-Markdown article
    category_name: str
    category_body: str
    category_content_type: int
    variable: str
    snippet: str
    snippet_is_html: bool
    term: str
    definition: str


hostile_cases = st.builds(
    HostileCase,
    title=hostile_texts,
    body=hostile_bodies,
    content_type=content_types,
    html_content=st.none() | hostile_bodies,
    category_name=hostile_texts,
    category_body=hostile_bodies,
    category_content_type=content_types,
    variable=variable_values,
    snippet=hostile_bodies,
    snippet_is_html=st.booleans(),
    term=hostile_texts,
    definition=hostile_texts,
)


# Every example writes and reads a handful of rows through the app: no shrinking (minutes), the
# case is printed by note() when an assertion fails.
@settings(
    max_examples=60,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=hostile_cases)
def test_hostile_text_never_reaches_html_content_as_script(
    project: Any, workbench: Workbench, case: HostileCase
) -> None:
    note(repr(case))
    set_merge_codes(
        project,
        workbench,
        case.variable,
        case.snippet,
        case.snippet_is_html,
        case.term,
        case.definition,
    )
    html_content = case.html_content if case.content_type != 0 else None
    results = [
        *article_html(
            project, workbench.category, case.title, case.body, case.content_type, html_content
        ),
        *category_page_html(
            project, case.category_name, case.category_body, case.category_content_type
        ),
    ]

    for display, html in results:
        assert live_script(html) == [], (display, html)


def test_each_classic_payload_is_inert_in_html_content_of_every_editor(
    project: Any, workbench: Workbench
) -> None:
    failures = []
    checked = 0
    for n, payload in enumerate(SCRIPT_PAYLOADS):
        # The payload as the variable's value (or a hostile URL, for the codes in links), as
        # the snippet's body (HTML and Markdown in turn), and around every merge code.
        value = URL_VALUES[n % len(URL_VALUES)] if n % 2 else payload
        set_merge_codes(project, workbench, value, payload, n % 2 == 0, "g", payload)
        body = f"{payload}\n\n{' '.join(MERGE_CODES)}\n\n{payload}"
        items = [
            {
                "title": payload,
                "content": body,
                "content_type": content_type,
                "category_id": workbench.category,
                "project_version_id": project.workspace_id,
                "user_id": project.owner_id,
            }
            for content_type in (0, 1, 2)
        ]
        created = send(project, "POST", "/v2/Articles/bulkcreate", items)
        assert created.status_code == 200, created.text
        for content_type, result in enumerate(created.json()["data"]):
            response = project.get(
                f"/v2/Articles/{result['article_id']}/en", params={"isForDisplay": "true"}
            )
            assert response.status_code == 200, response.text
            html = response.json()["data"]["html_content"] or ""
            checked += 1
            if problems := live_script(html):
                failures.append((payload, content_type, html, problems))
    assert failures == []
    assert checked == 3 * len(SCRIPT_PAYLOADS)


# ---------------------------------------------------------------------------------------------
# The offline HTML site
# ---------------------------------------------------------------------------------------------

SEED = 20_260_105
SITE_ARTICLES = 48
# Printable text from several scripts and the separators, without NUL and lone surrogates
# (refused by the API: tested above), so that every write of the site's knowledge base lands.
_SITE_ALPHABET = "abcXYZ019 _-.,;:!?()[]{}<>&\"'`/\\=#%*|~\t\néß中文😀\u2028\u2029\u202e\u200b"
_SITE_ODD_TEXT = [text for text in ODD_TEXT if text not in ("\x00", "\ud800", "\udfff")]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
HOSTILE_FILE_NAME = "x\"'><img src=x onerror=alert(1)>.png"
TARGET_SLUG = "target-page"
# Links to another exported page (rewritten by the site writer to its file), with hostile
# fragments and queries.
SITE_LINKS = [
    f'<a href="/docs/{TARGET_SLUG}#&quot;&gt;&lt;img src=x onerror=alert(1)&gt;">t</a>',
    f'<a href="https://kb.example/docs/{TARGET_SLUG}?q=&quot; onmouseover=&quot;alert(1)">t</a>',
    f'[t](https://kb.example/docs/{TARGET_SLUG}#"><script>alert(1)</script>)',
    f"[t](/category/{TARGET_SLUG}#x' onclick='alert(1))",
    f'href="/docs/{TARGET_SLUG}#<img src=x onerror=alert(1)>"',
    f'href="/docs/{TARGET_SLUG}#<a title="',
    '<h2 id="x&quot; onmouseover=&quot;alert(1)">Heading with a hostile id</h2>',
    '<h2 id="javascript:alert(1)">Heading</h2>',
    "## Tuning <script>alert(1)</script>\n\n### &lt;img src=x onerror=alert(1)&gt;\n",
]


def hostile(rng: random.Random, parts: int = 3, limit: int = 200) -> str:
    """Hostile text drawn from the same lists as the property above, non-blank."""
    pieces = []
    for _ in range(rng.randint(1, parts)):
        kind = rng.random()
        if kind < 0.45:
            pieces.append(rng.choice(SCRIPT_PAYLOADS))
        elif kind < 0.75:
            pieces.append(rng.choice(_SITE_ODD_TEXT))
        else:
            pieces.append("".join(rng.choice(_SITE_ALPHABET) for _ in range(rng.randint(1, 10))))
    text = "".join(pieces)[:limit]
    return text if text.strip() else text + "x"


def hostile_body(rng: random.Random, must: list[str]) -> str:
    pieces = [
        *must,
        *(hostile(rng, 2, 400) for _ in range(rng.randint(1, 4))),
        *rng.sample(MERGE_CODES, 3),
        rng.choice(SITE_LINKS),
    ]
    rng.shuffle(pieces)
    return rng.choice(["\n\n", " ", "\n"]).join(pieces)


@dataclass
class SiteKb:
    article_titles: list[str]
    category_names: list[str]
    workspace_name: str
    languages: dict[str, str]  # code -> display name


def ok_data(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json()["data"]


def publish(project: Any, kind: str, item_id: str, lang: str = "en", version: int = 1) -> None:
    body = {"user_id": project.owner_id, "version_number": version}
    response = project.post(f"/v2/{kind}/{item_id}/{lang}/publish", json=body)
    assert response.status_code == 200, response.text


def build_hostile_site_kb(project: Any, rng: random.Random) -> SiteKb:
    """A published knowledge base whose every name and body is hostile: nested folders, page and
    index categories, articles in all three editors (each classic payload once as a title), a
    second language, merge codes, a Drive file, hostile slugs, and project/workspace/language
    names set where the API offers no route."""
    ws = project.workspace_id
    workspace_name, site_name, french = hostile(rng), hostile(rng), hostile(rng, limit=100)
    with project.session() as session:
        project_row = session.get(Project, project.project_id)
        project_row.name = site_name
        session.get(ProjectVersion, ws).version_code_name = workspace_name
    project.add_language("fr")
    with project.session() as session:
        for language in session.query(Language).filter(Language.project_version_id == ws):
            language.display_name = french if language.code == "fr" else hostile(rng, limit=100)
        languages = {
            language.code: language.display_name
            for language in session.query(Language).filter(Language.project_version_id == ws)
        }

    for route, body in (
        ("Variables", {"name": "V", "value": rng.choice(URL_VALUES)}),
        ("Snippets", {"name": "S", "content": hostile_body(rng, ["{{variable.V}}"])}),
        (
            "Snippets",
            {"name": "S", "language_code": "en", "content": hostile(rng), "is_html": True},
        ),
        ("Glossary", {"name": "G", "term": hostile(rng), "definition": hostile(rng)}),
    ):
        ok_data(send(project, "POST", f"/v2/{route}", {"project_version_id": ws, **body}))
    media_url = drive_file(project, HOSTILE_FILE_NAME, PNG)

    names: list[str] = []

    def add_category(parent: str | None, category_type: int = 0, **extra: Any) -> str:
        name = hostile(rng)
        body = {"name": name, "project_version_id": ws, "category_type": category_type, **extra}
        if parent:
            body["parent_category_id"] = parent
        names.append(name)
        return str(ok_data(send(project, "POST", "/v2/Categories", body))["id"])

    folders = [add_category(None)]
    for _ in range(4):
        folders.append(add_category(rng.choice(folders)))
    folders.append(add_category(rng.choice(folders), 2))  # an Index category: a listing page
    for content_type in (0, 1, 2):
        page = add_category(
            rng.choice(folders),
            1,
            content=hostile_body(rng, [rng.choice(SCRIPT_PAYLOADS)]),
            content_type=content_type,
            user_id=project.owner_id,
        )
        publish(project, "Categories", page)

    titles: list[str] = []

    def add_article(title: str, body: str, content_type: int, slug: str | None = None) -> str:
        created = send(
            project,
            "POST",
            "/v2/Articles",
            {
                "title": title,
                "content": body,
                "content_type": content_type,
                "category_id": rng.choice(folders),
                "project_version_id": ws,
                "user_id": project.owner_id,
            },
        )
        article_id = str(ok_data(created)["id"])
        if slug is not None:
            path = f"/v2/Articles/{article_id}/en/settings"
            assert send(project, "PUT", path, {"slug": slug}).status_code == 200
        publish(project, "Articles", article_id)
        titles.append(title)
        return article_id

    add_article("Target page", "The target of the site links.", 0, TARGET_SLUG)
    add_article(hostile(rng), f'![logo]({media_url}?sig=1)\n\n<img src="{media_url}" alt="x">', 0)
    for n in range(SITE_ARTICLES):
        payload = SCRIPT_PAYLOADS[n % len(SCRIPT_PAYLOADS)]
        title = payload if n < len(SCRIPT_PAYLOADS) else hostile(rng)
        slug = hostile(rng, 1) if n % 7 == 3 else None
        article_id = add_article(title, hostile_body(rng, [payload]), n % 3, slug)
        if n % 8 == 0:
            french_title = hostile(rng)
            body = {"title": french_title, "content": hostile_body(rng, [payload])}
            ok_data(send(project, "PUT", f"/v2/Articles/{article_id}/fr", body))
            publish(project, "Articles", article_id, "fr")
    return SiteKb(titles, names, workspace_name, languages)


def export_site(project: Any) -> dict[str, bytes]:
    """The v2 export of the whole project as an offline HTML site, run to its end by a worker."""
    started = project.post(EXPORT, json={"entity": "Project", "export_type": 1})
    assert started.status_code == 200, started.text
    assert drain(project) == 1
    status = project.get(f"{EXPORT}/{started.json()['id']}").json()
    assert status["status"] == "Completed", status
    archive: zipfile.ZipFile = download(project, status["download_url"])
    return {name: archive.read(name) for name in archive.namelist()}


def script_json(raw: bytes, variable: str) -> Any:
    """The value a site script assigns: the file must be exactly `window.X = <JSON>;`, so no
    title can have closed the literal and started a statement of its own."""
    text = raw.decode()
    prefix, suffix = f"window.{variable} = ", ";\n"
    assert text.startswith(prefix) and text.endswith(suffix), text[:200]
    return json.loads(text[len(prefix) : -len(suffix)])


def tree_entries(nodes: list[Any]) -> Iterator[tuple[str, str]]:
    for node in nodes:
        yield node[0], node[1]
        if len(node) > 2:
            yield from tree_entries(node[2])


def _text_of(root: Any, path: str) -> str | None:
    found = root.find(path)
    return None if found is None else "".join(found.itertext())


def _as_parsed(text: str) -> str:
    # What a parser makes of text: CR and CRLF become LF.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def test_hostile_knowledge_base_exports_an_html_site_without_live_script(project: Any) -> None:
    kb = build_hostile_site_kb(project, random.Random(SEED))

    files = export_site(project)

    pages = [name for name in files if name.endswith(".html")]
    for name in pages:
        in_language = name.count("/") == 2
        problems = live_script(
            files[name].decode(),
            scripts=SITE_SCRIPTS if in_language else ROOT_SCRIPTS,
            stylesheets=SITE_STYLESHEETS,
        )
        assert problems == [], name
    assert "media/Images/" + HOSTILE_FILE_NAME in files

    folders = sorted({name.rsplit("/", 1)[0] for name in pages if name.count("/") == 2})
    assert len(folders) == 2  # <workspace>/en and <workspace>/fr
    shown_titles = set()
    for folder in folders:
        tree = script_json(files[f"{folder}/tree.js"], "LOREBASE_TREE")
        search = script_json(files[f"{folder}/search.js"], "LOREBASE_SEARCH")
        entries = list(tree_entries(tree["nodes"]))
        assert {href for _, href in entries if href} == {doc[1] for doc in search["docs"]}
        for title, href in entries:
            shown_titles.add(title)
            if not href:
                continue
            # The title travelled as text: the page's <title> and heading show it exactly.
            root = tinyhtml5.parse(
                files[f"{folder}/{href}"].decode(), namespace_html_elements=False
            )
            assert _text_of(root, ".//title") == _as_parsed(f"{title} · {kb.workspace_name}")
            assert _text_of(root, ".//article/h1") == _as_parsed(title)
    # Every hostile title and name reached the tree as it was written, escaped, not dropped.
    assert set(kb.article_titles) <= shown_titles
    assert set(kb.category_names) <= shown_titles
    root = tinyhtml5.parse(files["index.html"].decode(), namespace_html_elements=False)
    assert _text_of(root, ".//main/ul/li/span") == _as_parsed(kb.workspace_name)
    listed = {a.get("hreflang"): "".join(a.itertext()) for a in root.iterfind(".//main//li/a")}
    assert listed == {code: _as_parsed(name) for code, name in kb.languages.items()}


def test_only_links_are_rewritten_to_pages_not_text_or_code_that_looks_like_one(
    project: Any,
) -> None:
    # The site writer used to rewrite every `href="…/docs/<slug>"` in a page body, text and code
    # samples included (the sanitiser leaves '"' unescaped there).
    guides = ok_data(
        send(
            project,
            "POST",
            "/v2/Categories",
            {"name": "Guides", "project_version_id": project.workspace_id},
        )
    )["id"]
    for title, body in (
        ("Target page", "The target."),
        (
            "Linking",
            'Write `<a href="/docs/target-page">` in HTML; href="/docs/target-page#x" is text. '
            "[The page](/docs/target-page#y).",
        ),
    ):
        created = ok_data(
            send(
                project,
                "POST",
                "/v2/Articles",
                {
                    "title": title,
                    "content": body,
                    "category_id": guides,
                    "project_version_id": project.workspace_id,
                    "user_id": project.owner_id,
                },
            )
        )
        publish(project, "Articles", created["id"])

    files = export_site(project)
    root = tinyhtml5.parse(files["v1/en/linking.html"].decode(), namespace_html_elements=False)
    # The body's paragraph: the first of the article's own, after the "Updated" line.
    paragraph = next(
        (p for p in root.iterfind(".//article/p") if "page-meta" not in p.get("class", "")),
        None,
    )
    assert paragraph is not None

    assert _text_of(paragraph, "code") == '<a href="/docs/target-page">'
    assert 'href="/docs/target-page#x" is text' in "".join(paragraph.itertext())
    assert [a.get("href") for a in paragraph.iterfind("a")] == ["target-page.html#y"]


# ---------------------------------------------------------------------------------------------
# The judge is strict enough
# ---------------------------------------------------------------------------------------------


def _raw_markdown(source: str) -> str:
    return str(cmarkgfm.github_flavored_markdown_to_html(source, options=Options.CMARK_OPT_UNSAFE))


@pytest.mark.parametrize("payload", SCRIPT_PAYLOADS)
def test_the_judge_flags_every_payload_left_raw(payload: str) -> None:
    assert live_script(payload) or live_script(_raw_markdown(payload))


def test_the_judge_passes_plain_documentation() -> None:
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>x</title>'
        '<link rel="stylesheet" href="../../assets/site.css"></head><body>'
        '<p><a href="install.html#setup">Install</a> <a href="https://example.com/">x</a> '
        '<a href="mailto:a@example.com">mail</a> <img src="../../media/a%3Ab.png" alt="">'
        '<input type="checkbox" disabled=""></p>'
        '<script src="tree.js"></script><script src="../../assets/site.js"></script></body></html>'
    )
    assert live_script(page, scripts=SITE_SCRIPTS, stylesheets=SITE_STYLESHEETS) == []
    assert live_script(page) != []  # the scripts and style sheet are allowed only by name
