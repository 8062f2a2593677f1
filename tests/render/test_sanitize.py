"""The documentation allow-list applied to HTML content (WYSIWYG articles, HTML snippets)."""

from __future__ import annotations

from lorebase.render import sanitize_html
from tests.render.html_elements import elements, tag_names


def test_documentation_markup_is_kept() -> None:
    source = (
        '<h2 id="intro">Intro</h2><p><strong>a</strong> <em>b</em> <del>c</del> <s>d</s> '
        '<sup>1</sup><sub>2</sub> <kbd>K</kbd> <mark>m</mark> <abbr title="t">T</abbr></p>'
        "<blockquote>q</blockquote><hr><br>"
        '<table><thead><tr><th align="center" colspan="2">h</th></tr></thead>'
        '<tbody><tr><td rowspan="2" align="right">d</td></tr></tbody></table>'
        '<details><summary>more</summary><figure><img src="/a.png" alt="a" title="t" '
        'width="10" height="20"><figcaption>cap</figcaption></figure></details>'
        '<pre><code class="language-sql">select 1</code></pre>'
        '<div class="warningBox"><span class="x">w</span></div>'
    )

    assert sanitize_html(source) == source


def test_links_keep_href_and_title_and_get_rel() -> None:
    html = sanitize_html('<a href="https://example.com" title="Ex" target="_blank">x</a>')

    assert elements(html, "a") == [
        {"href": "https://example.com", "title": "Ex", "rel": "noopener noreferrer"}
    ]


def test_unknown_tags_are_unwrapped_but_their_text_kept() -> None:
    assert sanitize_html("<font color=red>red</font> <marquee>m</marquee>") == "red m"


def test_script_style_and_iframe_are_removed_with_content() -> None:
    html = sanitize_html(
        "<p>a</p><script>alert(1)</script><style>p{color:red}</style>"
        "<iframe src='https://evil.example'>fallback</iframe><noscript>ns</noscript><p>b</p>"
    )

    assert html == "<p>a</p><p>b</p>"


def test_style_and_event_attributes_are_removed() -> None:
    html = sanitize_html('<p style="position:fixed" onmouseover="alert(1)" id="x">t</p>')

    assert html == "<p>t</p>"


def test_dangerous_url_schemes_are_removed() -> None:
    html = sanitize_html(
        '<a href="javascript:alert(1)">a</a><a href="VBScript:x">b</a>'
        '<a href="data:text/html,x">c</a><img src="data:image/png;base64,AAAA">'
        '<a href="java&#x0A;script:alert(1)">d</a>'
    )

    assert all("href" not in link for link in elements(html, "a"))
    assert elements(html, "img") == [{}]


def test_comments_are_removed() -> None:
    assert sanitize_html("a<!-- secret -->b") == "ab"


def test_classic_mutation_xss_payload_is_neutralised() -> None:
    html = sanitize_html("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>")

    assert "onerror" not in html
    assert "math" not in tag_names(html)
