"""Parse rendered HTML into (tag, attributes) pairs, so tests do not depend on attribute order."""

from __future__ import annotations

from html.parser import HTMLParser


class _ElementCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {name: value or "" for name, value in attrs}))


def elements(html: str, tag: str | None = None) -> list[dict[str, str]]:
    """Return the attributes of every start tag in `html` (only `tag` ones when given)."""
    collector = _ElementCollector()
    collector.feed(html)
    collector.close()
    return [attrs for name, attrs in collector.elements if tag is None or name == tag]


def tag_names(html: str) -> list[str]:
    collector = _ElementCollector()
    collector.feed(html)
    collector.close()
    return [name for name, _ in collector.elements]
