"""Merge-code resolution for display: variables, snippets, glossary terms, cycles and limits."""

from __future__ import annotations

import time
from typing import Literal

import pytest

from lorebase.render import (
    MERGE_CODE_PATTERN,
    RESOLUTION_BUDGET_CHARS,
    GlossaryTerm,
    MergeCodeValues,
    Snippet,
    find_merge_codes,
    resolve_merge_codes,
)


def values(
    variables: dict[str, str] | None = None,
    snippets: dict[str, Snippet] | None = None,
    glossary: dict[str, GlossaryTerm] | None = None,
) -> MergeCodeValues:
    return MergeCodeValues(variables or {}, snippets or {}, glossary or {})


def test_pattern_allows_whitespace_inside_braces_and_any_case_kind() -> None:
    match = MERGE_CODE_PATTERN.fullmatch("{{  Variable.Product_name-2 }}")

    assert match is not None
    assert match.groups() == ("Variable", "Product_name-2")
    assert MERGE_CODE_PATTERN.search("{{variable.has space}}") is None


def test_find_merge_codes_lists_codes_in_order() -> None:
    text = "{{snippet.Intro}} uses {{ variable.Product }} and {{GLOSSARY.SSO}} {{other.X}}"

    assert find_merge_codes(text) == [
        ("snippet", "Intro"),
        ("variable", "Product"),
        ("glossary", "SSO"),
    ]
    assert find_merge_codes("no codes") == []


def test_variable_is_inserted_raw_in_markdown() -> None:
    result = resolve_merge_codes(
        "Welcome to {{variable.Product}}!",
        values(variables={"Product": "R&D <Hub>"}),
        target="markdown",
    )

    assert result == "Welcome to R&D <Hub>!"


def test_variable_is_html_escaped_in_html() -> None:
    result = resolve_merge_codes(
        '<p title="{{variable.Product}}">{{variable.Product}}</p>',
        values(variables={"Product": '<script>alert("x")</script> & co'}),
        target="html",
    )

    escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co"
    assert result == f'<p title="{escaped}">{escaped}</p>'


def test_names_match_case_sensitively() -> None:
    result = resolve_merge_codes(
        "{{variable.product}} {{variable.Product}}",
        values(variables={"Product": "Lorebase"}),
        target="markdown",
    )

    assert result == "{{variable.product}} Lorebase"


def test_unknown_codes_are_left_for_the_author_to_see() -> None:
    text = "{{variable.Nope}} {{snippet.Nope}} {{glossary.Nope}}"

    assert resolve_merge_codes(text, values(), target="html") == text
    assert resolve_merge_codes(text, values(), target="markdown") == text


def test_text_without_codes_is_returned_unchanged() -> None:
    text = "plain { text } with {single} braces"

    assert resolve_merge_codes(text, values(), target="html") is text


def test_glossary_term_in_html_is_an_abbr_with_escaped_definition() -> None:
    result = resolve_merge_codes(
        "Use {{glossary.SSO}}.",
        values(glossary={"SSO": GlossaryTerm("SSO & co", 'Single "sign-on" <IdP>')}),
        target="html",
    )

    assert result == (
        'Use <abbr title="Single &quot;sign-on&quot; &lt;IdP&gt;">SSO &amp; co</abbr>.'
    )


def test_glossary_term_in_markdown_is_the_term_text() -> None:
    result = resolve_merge_codes(
        "Use {{glossary.SSO}}.",
        values(glossary={"SSO": GlossaryTerm("SSO", "Single sign-on")}),
        target="markdown",
    )

    assert result == "Use SSO."


def test_nested_snippets_resolve_down_to_variables_in_markdown() -> None:
    merge_values = values(
        variables={"Product": "Lorebase"},
        snippets={
            "A": Snippet("A starts. {{snippet.B}} A ends.", is_html=False),
            "B": Snippet("B mentions **{{variable.Product}}**.", is_html=False),
        },
    )

    result = resolve_merge_codes("{{snippet.A}}", merge_values, target="markdown")

    assert result == "A starts. B mentions **Lorebase**. A ends."


def test_markdown_snippet_is_rendered_for_html_target() -> None:
    merge_values = values(
        variables={"Product": "Lorebase", "Docs": "https://example.com/a?b=1&c=2"},
        snippets={
            "A": Snippet("**Note:** {{snippet.B}}", is_html=False),
            "B": Snippet("read the [{{variable.Product}} docs]({{variable.Docs}})", is_html=False),
        },
        glossary={"KB": GlossaryTerm("KB", "Knowledge base")},
    )

    result = resolve_merge_codes(
        "<p>{{snippet.A}} {{glossary.KB}}</p>", merge_values, target="html"
    )

    assert result == (
        '<p><strong>Note:</strong> read the <a href="https://example.com/a?b=1&amp;c=2" '
        'rel="noopener noreferrer">Lorebase docs</a> <abbr title="Knowledge base">KB</abbr></p>'
    )


def test_glossary_inside_markdown_snippet_becomes_abbr_for_html_target() -> None:
    merge_values = values(
        snippets={"Tip": Snippet("## Tip\n\nEnable {{glossary.SSO}} first.", is_html=False)},
        glossary={"SSO": GlossaryTerm("SSO", "Single sign-on")},
    )

    result = resolve_merge_codes("{{snippet.Tip}}", merge_values, target="html")

    assert result == (
        '<h2 id="tip">Tip</h2>\n<p>Enable <abbr title="Single sign-on">SSO</abbr> first.</p>\n'
    )


def test_html_snippet_is_inserted_as_is_in_markdown() -> None:
    merge_values = values(
        variables={"Product": "Lorebase"},
        snippets={"Box": Snippet('<div class="infoBox">{{variable.Product}}</div>', is_html=True)},
    )

    result = resolve_merge_codes("Intro\n\n{{snippet.Box}}\n", merge_values, target="markdown")

    assert result == 'Intro\n\n<div class="infoBox">Lorebase</div>\n'


def test_self_including_snippet_terminates_and_leaves_the_code() -> None:
    merge_values = values(snippets={"Loop": Snippet("again {{snippet.Loop}}", is_html=True)})

    for target in ("html", "markdown"):
        result = resolve_merge_codes("{{snippet.Loop}}", merge_values, target=target)
        assert result == "again {{snippet.Loop}}"


def test_mutually_including_snippets_terminate() -> None:
    merge_values = values(
        snippets={
            "Ping": Snippet("ping {{snippet.Pong}}", is_html=False),
            "Pong": Snippet("pong {{snippet.Ping}}", is_html=False),
        }
    )

    assert (
        resolve_merge_codes("{{snippet.Ping}} / {{snippet.Pong}}", merge_values, target="markdown")
        == "ping pong {{snippet.Ping}} / pong ping {{snippet.Pong}}"
    )
    assert (
        resolve_merge_codes("{{snippet.Ping}}", merge_values, target="html")
        == "ping pong {{snippet.Ping}}"
    )


def test_nesting_deeper_than_max_depth_is_left_unresolved() -> None:
    chain = {
        f"S{level}": Snippet(f"{level} {{{{snippet.S{level + 1}}}}}", True) for level in range(12)
    }

    result = resolve_merge_codes(
        "{{snippet.S0}}", values(snippets=chain), target="html", max_depth=3
    )

    assert result == "0 1 2 {{snippet.S3}}"


def test_memoised_snippet_is_not_reused_deeper_than_max_depth() -> None:
    merge_values = values(
        snippets={
            "A": Snippet("a {{snippet.B}}", True),
            "B": Snippet("b {{snippet.C}}", True),
            "C": Snippet("c {{snippet.D}}", True),
            "D": Snippet("d", True),
        }
    )

    result = resolve_merge_codes(
        "{{snippet.C}} | {{snippet.A}}", merge_values, target="html", max_depth=3
    )

    assert result == "c d | a b c {{snippet.D}}"


def test_repeated_snippets_are_all_resolved() -> None:
    merge_values = values(
        variables={"V": "v"},
        snippets={
            "Outer": Snippet("[" + "{{snippet.Inner}}" * 10 + "]", True),
            "Inner": Snippet("(" + "{{variable.V}}" * 10 + ")", True),
        },
    )

    result = resolve_merge_codes("{{snippet.Outer}}", merge_values, target="html")

    assert result == "[" + ("(" + "v" * 10 + ")") * 10 + "]"


def _fan_out(levels: int, fan_out: int, leaf: str, is_html: bool) -> dict[str, Snippet]:
    snippets = {
        f"S{level}": Snippet(" ".join([f"{{{{snippet.S{level + 1}}}}}"] * fan_out), is_html)
        for level in range(levels)
    }
    snippets[f"S{levels}"] = Snippet(leaf, is_html)
    return snippets


@pytest.mark.parametrize("target", ["html", "markdown"])
@pytest.mark.parametrize("is_html", [True, False])
def test_exponential_fan_out_is_bounded(target: Literal["html", "markdown"], is_html: bool) -> None:
    # 10 snippets each including the next one 10 times: 10^10 leaves if expanded naively. The
    # leaf's back-reference to S0 makes every expansion context-dependent, defeating memoisation,
    # so only the budget stands between this and a hung worker.
    for leaf in ("leaf text", "leaf {{snippet.S0}}"):
        snippets = _fan_out(10, 10, leaf, is_html)
        started = time.perf_counter()

        result = resolve_merge_codes(
            "{{snippet.S0}}", values(snippets=snippets), target=target, max_depth=20
        )

        assert len(result) <= RESOLUTION_BUDGET_CHARS + len("{{snippet.S0}}")
        # Generous enough for a slow CI machine; the unbounded version would never finish.
        assert time.perf_counter() - started < 10


def test_moderate_fan_out_is_resolved_completely() -> None:
    snippets = _fan_out(3, 10, "x", is_html=True)

    result = resolve_merge_codes("{{snippet.S0}}", values(snippets=snippets), target="html")

    assert result.count("x") == 1000
    assert "{{" not in result


def test_negative_max_depth_is_refused() -> None:
    with pytest.raises(ValueError):
        resolve_merge_codes("{{variable.X}}", values(), target="html", max_depth=-1)
