"""The reader's tree of one workspace language, shared by the offline HTML site and the live
reader site: which pages exist (published, not hidden), what they are called, where they link,
and the reading order that previous/next follow. Each output names its pages its own way (file
names offline, Document360 URLs live) through a `PageNamer`.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from lorebase.db.models import Language, ProjectVersion
from lorebase.exchange.display import (
    Heading,
    category_title,
    published_headings,
    readable,
)
from lorebase.exchange.plan import ARTICLE_FILES, PAGE_FILES, Node, WorkspacePlan

INDEX_CATEGORY = 2


@dataclass
class NavNode:
    """One entry of a language's tree: a category or an article, linked when it has a page."""

    item_id: str
    title: str
    href: str | None
    is_article: bool
    slug: str = ""
    # An Index category with no published page body still gets a page: the list of what it
    # holds, as Document360's site shows it.
    listing_only: bool = False
    parent: NavNode | None = None
    children: list[NavNode] = field(default_factory=list)


@dataclass
class LanguageNav:
    """One language of one workspace: its tree and pages in reading order."""

    code: str
    name: str
    rtl: bool
    is_default: bool
    roots: list[NavNode]
    reading_order: list[NavNode]
    pages: dict[str, str] = field(default_factory=dict)  # item id -> its page's href


class PageNamer(Protocol):
    def __call__(self, heading: Heading, is_article: bool) -> str:
        """The href of a page called `heading` (claimed: a second call names another page)."""
        ...


def plan_languages(
    session: Session,
    ws: ProjectVersion,
    plan: WorkspacePlan,
    namer_for: Callable[[str], PageNamer],
) -> list[LanguageNav]:
    """Each language's tree of published pages, their hrefs and the reading order (no bodies
    read). `namer_for(code)` names the pages of language `code`."""
    view = readable(plan)
    visible = {node.id for node in view.nodes}
    article_headings = published_headings(
        session, [ref.id for ref in view.articles], plan.langs, ARTICLE_FILES
    )
    page_headings = published_headings(
        session, [node.id for node in view.pages], plan.langs, PAGE_FILES
    )
    rows = session.scalars(select(Language).where(Language.project_version_id == ws.id))
    info = {row.code: row for row in rows}
    result = []
    for code in plan.langs:
        language = info.get(code)
        lang = language_tree(plan, code, visible, article_headings, page_headings, namer_for(code))
        if language is not None:
            lang.name = language.display_name or language.name
            lang.rtl = bool(language.enable_rtl)
            lang.is_default = bool(language.is_default)
        result.append(lang)
    return result


def language_tree(
    plan: WorkspacePlan,
    code: str,
    visible: set[str],
    article_headings: dict[tuple[str, str], Heading],
    page_headings: dict[tuple[str, str], Heading],
    name: PageNamer,
) -> LanguageNav:
    def article_nodes(refs: list[Any]) -> list[NavNode]:
        found = []
        for ref in refs:
            heading = article_headings.get((ref.id, code))
            if heading is None or ref.hidden:
                continue
            found.append(NavNode(ref.id, heading.title, name(heading, True), True, heading.slug))
        return found

    def category_node(node: Node) -> NavNode | None:
        heading = page_headings.get((node.id, code))
        title = heading.title if heading else category_title(plan, node, code)
        slug = heading.slug if heading else category_slug(plan, node, code)
        nav = NavNode(node.id, title, name(heading, False) if heading else None, False, slug)
        nav.children = [
            child
            for child in (category_node(c) for c in node.children if c.id in visible)
            if child is not None
        ]
        nav.children = article_nodes(node.articles) + nav.children
        if not nav.children and nav.href is None:
            return None  # nothing of it is published in this language
        if nav.href is None and node.category_type == INDEX_CATEGORY:
            nav.href = name(Heading(title, slug), False)
            nav.listing_only = True
        for child in nav.children:
            child.parent = nav
        return nav

    roots = [
        nav
        for nav in (category_node(node) for node in plan.roots if node.id in visible)
        if nav is not None
    ]
    roots += article_nodes(plan.root_articles)
    order: list[NavNode] = []

    def walk(level: list[NavNode]) -> None:
        for nav in level:
            if nav.href is not None:
                order.append(nav)
            walk(nav.children)

    walk(roots)
    pages = {nav.item_id: nav.href for nav in order if nav.href is not None}
    return LanguageNav(code, code, False, False, roots, order, pages)


def category_slug(plan: WorkspacePlan, node: Node, code: str) -> str:
    languages = plan.node_languages.get(node.id, [])
    for lang in languages:
        if lang["Code"] == code:
            return str(lang["Slug"])
    return str(languages[0]["Slug"]) if languages else node.id


def breadcrumbs(nav: NavNode) -> list[NavNode]:
    trail = []
    parent = nav.parent
    while parent is not None:
        trail.append(parent)
        parent = parent.parent
    return trail[::-1]


def link(nav: NavNode) -> dict[str, str | None]:
    return {"title": nav.title, "href": nav.href}


def static_tree(level: list[NavNode]) -> str:
    """The tree as nested lists (readable without scripts)."""
    parts = ["<ul>"]
    for nav in level:
        title = html.escape(nav.title)
        label = (
            f'<a href="{html.escape(nav.href)}">{title}</a>'
            if nav.href
            else f'<span class="label">{title}</span>'
        )
        parts.append(f"<li>{label}")
        if nav.children:
            parts.append(static_tree(nav.children))
        parts.append("</li>")
    parts.append("</ul>")
    return "".join(parts)
