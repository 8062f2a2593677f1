"""The category tree's v2 JSON written in parts (`lorebase.kb.tree.TreeShape`): the same bytes
as `dumps(envelope(data=[shapes.category_node(root), ...]))`, kept per category and article so
that a write rewrites only what it touched."""

from __future__ import annotations

from lorebase.api.v2 import shapes
from lorebase.api.v2.envelope import envelope
from lorebase.api.wire import dumps
from lorebase.kb.views import ArticleSummary, CategoryNode

# orjson writes objects and arrays without spaces, so a node is its fields before `articles`,
# the articles, `child_categories`, the children and its fields after, laid end to end.
_OPEN_ARTICLES = b',"articles":'
_OPEN_CHILDREN = b',"child_categories":'
_BEFORE_DATA, _AFTER_DATA = dumps(envelope(data=[])).split(b"[]", 1)


class TreeJson:
    no_articles = b"null"

    def category(self, node: CategoryNode) -> tuple[bytes, bytes, bytes]:
        before, after = shapes.category_fields(node)
        return dumps(before)[:-1] + _OPEN_ARTICLES, _OPEN_CHILDREN, b"," + dumps(after)[1:]

    def article(self, summary: ArticleSummary) -> bytes:
        # Copied to its own size: orjson leaves at least 4 KB allocated behind a short result,
        # which over the 10,000 articles of a tree is ten times the text.
        return memoryview(dumps(shapes.article_summary(summary))).tobytes()

    def sequence(self, items: list[bytes]) -> bytes:
        return b"[" + b",".join(items) + b"]"

    def document(self, roots: list[bytes]) -> bytes:
        parts = [_BEFORE_DATA + b"["]
        for index, root in enumerate(roots):
            if index:
                parts.append(b",")
            parts.append(root)
        parts.append(b"]" + _AFTER_DATA)
        return b"".join(parts)
