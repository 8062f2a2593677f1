"""Read models returned by the domain: plain data, shaped into JSON by each API version."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(slots=True)
class ArticleSummary:
    id: str
    title: str
    public_version: int
    latest_version: int
    language_code: str
    hidden: bool
    status: int
    order: int
    slug: str
    content_type: int | None
    translation_option: int
    is_shared: bool
    modified_at: datetime
    category_id: str | None
    project_version_id: str


@dataclass(slots=True)
class CategoryNode:
    id: str
    name: str
    description: str | None
    project_version_id: str
    order: int
    parent_category_id: str | None
    hidden: bool
    icon: str | None
    slug: str
    category_type: int
    created_at: datetime
    modified_at: datetime
    status: int | None
    content_type: int | None
    articles: list[ArticleSummary] | None = None
    children: list[CategoryNode] = field(default_factory=list)


@dataclass(slots=True)
class ContentView:
    """One revision of an article or category page as the API shows it."""

    id: str
    title: str
    content: str | None
    html_content: str | None
    block_content: str | None
    parent_id: str | None  # category of an article, parent category of a category
    project_version_id: str
    version_number: int
    public_version: int
    latest_version: int
    enable_rtl: bool
    hidden: bool
    status: int
    order: int
    created_by: str | None
    authors: list[Any]
    created_at: datetime
    modified_at: datetime
    version_created_at: datetime
    slug: str
    is_fall_back_content: bool
    description: str | None
    category_type: int | None
    content_type: int | None
    is_shared: bool
    translation_option: int
    language_code: str


@dataclass(slots=True)
class VersionSummary:
    version_number: int
    created_by: str | None
    created_at: datetime
    modified_at: datetime
    base_version: int
    status: int
