"""GFM rendering: the extensions authors rely on, heading ids, and what sanitising removes."""

from __future__ import annotations

import re
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lorebase.render import markdown_to_html
from tests.render.html_elements import elements, tag_names


def test_table_renders_with_column_alignment() -> None:
    html = markdown_to_html("| Name | Size |\n|:-----|-----:|\n| a.txt | 3 |\n")

    assert "<table>" in html
    assert [cell.get("align") for cell in elements(html, "th")] == ["left", "right"]
    assert [cell.get("align") for cell in elements(html, "td")] == ["left", "right"]
    assert '<td align="left">a.txt</td>' in html


def test_task_list_items_become_disabled_checkboxes() -> None:
    html = markdown_to_html("- [x] done\n- [ ] to do\n")

    boxes = elements(html, "input")
    assert len(boxes) == 2
    assert all(box["type"] == "checkbox" and "disabled" in box for box in boxes)
    assert ["checked" in box for box in boxes] == [True, False]


def test_strikethrough_renders_as_del() -> None:
    assert "<del>old</del>" in markdown_to_html("~~old~~ new")


def test_bare_urls_and_emails_become_links() -> None:
    html = markdown_to_html("Visit www.example.com, https://example.org/x or help@example.com.")

    hrefs = [link["href"] for link in elements(html, "a")]
    assert hrefs == ["http://www.example.com", "https://example.org/x", "mailto:help@example.com"]


def test_links_get_rel_noopener() -> None:
    (link,) = elements(markdown_to_html("[docs](https://example.com/docs)"), "a")

    assert link["rel"] == "noopener noreferrer"


def test_fenced_code_keeps_language_class_on_code_and_escapes_content() -> None:
    html = markdown_to_html("```python\nif a < b:\n    print('<script>')\n```\n")

    assert '<pre><code class="language-python">' in html
    assert "&lt;script&gt;" in html
    assert "<script" not in html


def test_ordered_list_keeps_start_number() -> None:
    assert '<ol start="3">' in markdown_to_html("3. three\n4. four\n")


def test_headings_get_slugified_ids() -> None:
    html = markdown_to_html("# Getting Started!\n\n## The *quick* `fox` & Q&A\n")

    assert '<h1 id="getting-started">Getting Started!</h1>' in html
    assert [heading["id"] for heading in elements(html, "h2")] == ["the-quick-fox--qa"]


def test_duplicate_headings_get_unique_numbered_ids() -> None:
    html = markdown_to_html("## Setup\n\n## Setup 1\n\n## Setup\n\n## Setup\n")

    ids = [heading["id"] for heading in elements(html, "h2")]
    assert ids == ["setup", "setup-1", "setup-2", "setup-3"]


def test_heading_ids_keep_non_latin_letters() -> None:
    html = markdown_to_html("## Écrire l'API\n\n## 日本語の説明\n\n## ???\n")

    ids = [heading["id"] for heading in elements(html, "h2")]
    assert ids == ["écrire-lapi", "日本語の説明", "section"]


def test_author_heading_ids_are_kept_and_never_duplicated() -> None:
    html = markdown_to_html('## Install\n\n<h2 id="install">Install again</h2>\n')

    assert [heading["id"] for heading in elements(html, "h2")] == ["install-1", "install"]


def test_callout_classes_and_internal_notes_survive() -> None:
    html = markdown_to_html(
        '<div class="infoBox">Tip</div>\n\n<section class="internal-notes">Staff only</section>\n'
    )

    assert '<div class="infoBox">Tip</div>' in html
    assert '<section class="internal-notes">Staff only</section>' in html


def test_inline_html_from_authors_survives_when_allowed() -> None:
    html = markdown_to_html("Press <kbd>Ctrl</kbd>+<kbd>C</kbd>, see <abbr title='x'>KB</abbr>.")

    assert "<kbd>Ctrl</kbd>" in html
    assert '<abbr title="x">KB</abbr>' in html


def test_script_tag_is_removed_with_its_content() -> None:
    html = markdown_to_html("Hello\n\n<script>alert(1)</script>\n\nworld <script>steal()</script>")

    assert "<script" not in html.lower()
    assert "alert" not in html
    assert "steal" not in html
    assert "Hello" in html and "world" in html


def test_style_tag_content_is_removed() -> None:
    html = markdown_to_html("<style>body { display: none }</style>\n\ntext")

    assert "display" not in html
    assert "<style" not in html


def test_event_handler_attributes_are_removed() -> None:
    html = markdown_to_html(
        '<img src="x" onerror="alert(1)">\n\n<svg onload=alert(1)><circle/></svg>\n\n'
        "<details open ontoggle=alert(1)><summary>s</summary></details>\n\n"
        "<p onclick='alert(1)'>p</p>"
    )

    assert "alert" not in html
    assert "<svg" not in html
    assert elements(html, "img") == [{"src": "x"}]


def test_javascript_links_lose_their_href() -> None:
    html = markdown_to_html(
        "[a](javascript:alert(1)) [b](JaVaScRiPt:alert(2)) <javascript:alert(3)>\n\n"
        '<a href="JaVaScRiPt:alert(4)">c</a> <a href="jav&#x09;ascript:alert(5)">d</a> '
        '<a href="  javascript:alert(6)">e</a> ![i](javascript:alert(7))'
    )

    assert len(elements(html, "a")) == 6
    assert all("href" not in link for link in elements(html, "a"))
    assert all("src" not in image for image in elements(html, "img"))


def test_vbscript_and_data_urls_are_removed() -> None:
    html = markdown_to_html(
        "[a](vbscript:msgbox(1)) [b](data:text/html;base64,PHNjcmlwdD4=) "
        "![c](data:image/png;base64,iVBORw0KGgo=)"
    )

    assert all("href" not in link for link in elements(html, "a"))
    assert all("src" not in image for image in elements(html, "img"))


def test_iframes_are_removed() -> None:
    html = markdown_to_html('<iframe src="https://evil.example"></iframe>\n\nafter')

    assert "iframe" not in html
    assert "evil" not in html
    assert "after" in html


def test_relative_and_mailto_links_are_kept() -> None:
    html = markdown_to_html("[a](/docs/a) [b](../b#x) [c](#top) [d](mailto:x@example.com)")

    assert [link["href"] for link in elements(html, "a")] == [
        "/docs/a",
        "../b#x",
        "#top",
        "mailto:x@example.com",
    ]


def test_form_inputs_can_only_be_disabled_checkboxes() -> None:
    html = markdown_to_html('<input type="text" value="x" onfocus="alert(1)" autofocus>')

    assert elements(html, "input") == [{"type": "checkbox", "disabled": ""}]


def test_lone_surrogates_do_not_break_rendering() -> None:
    assert markdown_to_html("a\ud800b") == "<p>a\ufffdb</p>\n"


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in kilobytes on Linux only")
def test_rendering_does_not_leak_native_memory() -> None:
    import resource

    article = "\n\n".join(
        f"## Part {n}\n\n- item *{n}*\n\n| a | b |\n|---|---|\n| 1 | 2 |" for n in range(40)
    )
    for _ in range(200):
        markdown_to_html(article)
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    for _ in range(1000):
        markdown_to_html(article)

    # cmarkgfm's own wrapper leaks the syntax tree and the output: about 100 MB here.
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before < 50_000


# Fragments that hypothesis would almost never produce on its own, mixed into arbitrary text.
_HOSTILE_FRAGMENTS = [
    "<script>",
    "</script>",
    "<ScRiPt src=//x>",
    "javascript:",
    "JaVaScRiPt:",
    "&#106;avascript:",
    "java\tscript:",
    "[x](",
    "![x](",
    ")",
    "<",
    ">",
    '"',
    "'",
    "`",
    "```",
    "\n",
    "\n\n",
    "<a href=",
    "<img src=x ",
    "onerror=alert(1)",
    " onload=",
    "<svg ",
    "<iframe ",
    "<style>",
    "<math><mtext><table><mglyph><style>",
    "<!--",
    "-->",
    "<![CDATA[",
    "{{variable.X}}",
]

_URL_ATTRIBUTES = ("href", "src", "action", "formaction", "xlink:href")
_IGNORED_IN_URLS = re.compile(r"[\x00-\x20]")


def _is_dangerous_url(url: str) -> bool:
    # Browsers ignore ASCII whitespace and control characters inside a scheme.
    normalised = _IGNORED_IN_URLS.sub("", url).lower()
    return normalised.startswith(("javascript:", "vbscript:", "data:"))


@given(st.lists(st.one_of(st.text(), st.sampled_from(_HOSTILE_FRAGMENTS))).map("".join))
def test_rendered_markdown_never_carries_script(source: str) -> None:
    html = markdown_to_html(source)

    assert "<script" not in html.lower()
    for tag in tag_names(html):
        assert tag not in {"script", "style", "iframe", "svg", "object", "embed"}
    for attributes in elements(html):
        assert not any(name.startswith("on") for name in attributes)
        for name in _URL_ATTRIBUTES:
            assert not _is_dangerous_url(attributes.get(name, ""))
    # A literal " onerror=" or "javascript:" may legitimately appear as escaped text, so these
    # two are checked on markup only: inside a tag, outside attribute values.
    markup = re.sub(r'"[^"]*"', '""', " ".join(re.findall(r"<[^>]*>", html)))
    assert not re.search(r"\son\w+\s*=", markup, re.IGNORECASE)
    assert "javascript:" not in markup.lower()
