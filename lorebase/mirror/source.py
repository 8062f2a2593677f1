"""What the mirror reads from a source, as plain data, checked for shape on the way in.

Each function makes the fewest requests its answer needs: the workspaces (one), a workspace's
tree in one language with every category and article summary (one), a page of team members,
and per item the content and settings routes. An answer that is not the v2 shape raises
`NotCompatible` naming the route, never a KeyError further on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lorebase.mirror.client import NotCompatible, SourceClient

TEAM_PAGE = 1000
DRIVE_PAGE = 1000
CONTENT_TYPES = {"markdown": 0, "wysiwyg": 1, "html": 1, "block": 2}


@dataclass(frozen=True)
class SourceLanguage:
    id: str
    code: str
    name: str
    display_name: str
    country_flag_code: str | None
    is_default: bool
    enable_rtl: bool
    hidden: bool


@dataclass(frozen=True)
class SourceWorkspace:
    id: str
    slug: str
    version_code_name: str
    version_number: float
    base_version_number: float
    is_main_version: bool
    is_beta: bool
    is_public: bool
    is_deprecated: bool
    order: int
    version_type: int
    created_at: datetime
    modified_at: datetime
    languages: tuple[SourceLanguage, ...]

    @property
    def default_language(self) -> str:
        return next(
            (lang.code for lang in self.languages if lang.is_default), self.languages[0].code
        )


@dataclass(frozen=True)
class TreeCategory:
    """A category node of one language's tree (names fall back to the default language)."""

    id: str
    parent_id: str | None
    name: str
    slug: str
    description: str | None
    order: int
    hidden: bool
    icon: str | None
    category_type: int
    content_type: int | None
    status: int | None
    created_at: datetime
    modified_at: datetime

    @property
    def fingerprint(self) -> str:
        return f"{self.modified_at.isoformat()}|{self.status}"


@dataclass(frozen=True)
class TreeArticle:
    """An article summary of one language's tree; `language_code` is the language its title
    is in, the default one when the article has no translation in the tree's language."""

    id: str
    category_id: str | None
    language_code: str
    title: str
    slug: str
    public_version: int
    latest_version: int
    hidden: bool
    order: int
    content_type: int | None
    translation_option: int
    is_shared: bool
    modified_at: datetime

    @property
    def fingerprint(self) -> str:
        return f"{self.modified_at.isoformat()}|{self.public_version}|{self.latest_version}"


@dataclass(frozen=True)
class TeamMember:
    id: str
    first_name: str
    last_name: str
    email: str
    role_name: str
    last_login_at: datetime | None


@dataclass(frozen=True)
class DriveFolderInfo:
    id: str
    parent_id: str | None
    title: str
    order: int


@dataclass(frozen=True)
class DriveFileInfo:
    id: str
    folder_id: str | None
    file_name: str
    title: str
    url: str
    alternative_text: str | None
    is_starred: bool


# --------------------------------------------------------------------------- field checks


def _fail(route: str, what: str) -> NotCompatible:
    return NotCompatible(f"the answer of {route} is not Document360's ({what}).")


def _obj(value: Any, route: str, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(route, f"{what} should be an object")
    return value


def _list(value: Any, route: str, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _fail(route, f"{what} should be a list")
    return value


def _str(obj: dict[str, Any], key: str, route: str, default: str | None = None) -> str:
    value = obj.get(key, default)
    if value is None and default is not None:
        return default
    if not isinstance(value, str):
        raise _fail(route, f"'{key}' should be text, got {value!r}")
    return value


def _opt_str(obj: dict[str, Any], key: str, route: str) -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise _fail(route, f"'{key}' should be text, got {value!r}")
    return value


def _int(obj: dict[str, Any], key: str, route: str, default: int = 0) -> int:
    value = obj.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(route, f"'{key}' should be a number, got {value!r}")
    return int(value)


def _bool(obj: dict[str, Any], key: str) -> bool:
    return bool(obj.get(key))


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _time(obj: dict[str, Any], key: str) -> datetime:
    return parse_time(obj.get(key)) or datetime(1970, 1, 1, tzinfo=UTC)


def content_type_code(value: Any) -> int | None:
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, str):
        return CONTENT_TYPES.get(value.strip().lower(), 0)
    return None


def _payload(body: dict[str, Any] | None, key: str, route: str) -> Any:
    if body is None:
        return None
    if key not in body:
        raise _fail(route, f"no '{key}' in the envelope")
    return body[key]


# --------------------------------------------------------------------------- reads


def read_workspaces(client: SourceClient) -> list[SourceWorkspace]:
    route = "GET /v2/ProjectVersions"
    data = _list(
        _payload(client.get_json("v2/ProjectVersions", "workspaces"), "data", route), route, "data"
    )
    found = []
    for raw in data:
        item = _obj(raw, route, "a workspace")
        languages = tuple(
            SourceLanguage(
                id=_str(lang, "id", route),
                code=_str(lang, "code", route),
                name=_str(lang, "name", route, ""),
                display_name=_str(lang, "display_name", route, ""),
                country_flag_code=_opt_str(lang, "country_flag_code", route),
                is_default=_bool(lang, "set_as_default"),
                enable_rtl=_bool(lang, "enable_rtl"),
                hidden=_bool(lang, "hidden"),
            )
            for lang in (
                _obj(x, route, "a language")
                for x in _list(item.get("language_versions"), route, "language_versions")
            )
        )
        if not languages:
            raise _fail(route, f"workspace {item.get('id')} lists no languages")
        found.append(
            SourceWorkspace(
                id=_str(item, "id", route),
                slug=_str(item, "slug", route, "") or _str(item, "version_code_name", route, "v1"),
                version_code_name=_str(item, "version_code_name", route, ""),
                version_number=float(item.get("version_number") or 1.0),
                base_version_number=float(item.get("base_version_number") or 0.0),
                is_main_version=_bool(item, "is_main_version"),
                is_beta=_bool(item, "is_beta"),
                is_public=_bool(item, "is_public"),
                is_deprecated=_bool(item, "is_deprecated"),
                order=_int(item, "order", route),
                version_type=_int(item, "version_type", route),
                created_at=_time(item, "created_at"),
                modified_at=_time(item, "modified_at"),
                languages=languages,
            )
        )
    return found


def _article(raw: Any, category_id: str | None, route: str, fallback: str) -> TreeArticle:
    item = _obj(raw, route, "an article summary")
    return TreeArticle(
        id=_str(item, "id", route),
        category_id=category_id,
        language_code=_opt_str(item, "language_code", route) or fallback,
        title=_str(item, "title", route, ""),
        slug=_str(item, "slug", route, ""),
        public_version=_int(item, "public_version", route),
        latest_version=_int(item, "latest_version", route, 1),
        hidden=_bool(item, "hidden"),
        order=_int(item, "order", route),
        content_type=content_type_code(item.get("content_type")),
        translation_option=_int(item, "translation_option", route),
        is_shared=_bool(item, "is_shared_article"),
        modified_at=_time(item, "modified_at"),
    )


@dataclass
class LanguageTree:
    """One language's tree: categories parents first, and article summaries."""

    categories: list[TreeCategory]
    articles: list[TreeArticle]


def read_tree(client: SourceClient, workspace_id: str, lang: str) -> LanguageTree:
    route = f"GET /v2/ProjectVersions/{workspace_id}/categories"
    body = client.get_json(
        f"v2/ProjectVersions/{workspace_id}/categories",
        "tree",
        {"langCode": lang, "includeCategoryDescription": "true", "excludeArticles": "false"},
    )
    tree = LanguageTree([], [])
    pending: list[tuple[Any, str | None]] = [
        (raw, None) for raw in reversed(_list(_payload(body, "data", route), route, "data"))
    ]
    while pending:
        raw, parent = pending.pop()
        node = _obj(raw, route, "a category")
        category = TreeCategory(
            id=_str(node, "id", route),
            parent_id=_opt_str(node, "parent_category_id", route) or parent,
            name=_str(node, "name", route, ""),
            slug=_str(node, "slug", route, ""),
            description=_opt_str(node, "description", route),
            order=_int(node, "order", route),
            hidden=_bool(node, "hidden"),
            icon=_opt_str(node, "icon", route),
            category_type=_int(node, "category_type", route),
            content_type=content_type_code(node.get("content_type")),
            status=node.get("status") if isinstance(node.get("status"), int) else None,
            created_at=_time(node, "created_at"),
            modified_at=_time(node, "modified_at"),
        )
        tree.categories.append(category)
        for article in _list(node.get("articles"), route, "articles"):
            tree.articles.append(_article(article, category.id, route, lang))
        children = _list(node.get("child_categories"), route, "child_categories")
        pending.extend((child, category.id) for child in reversed(children))
    return tree


def read_uncategorised(
    client: SourceClient, workspace_id: str, lang: str, in_tree: set[str]
) -> list[TreeArticle]:
    """Articles outside every category (custom pages): the flat list holds them, the tree
    does not."""
    route = f"GET /v2/ProjectVersions/{workspace_id}/articles"
    body = client.get_json(
        f"v2/ProjectVersions/{workspace_id}/articles", "article-list", {"langCode": lang}
    )
    found = []
    for raw in _list(_payload(body, "data", route), route, "data"):
        article = _article(raw, None, route, lang)
        if article.id not in in_tree:
            found.append(article)
    return found


def read_team(client: SourceClient) -> list[TeamMember]:
    route = "GET /v2/Teams"
    people: list[TeamMember] = []
    skip = 0
    while True:
        body = client.get_json("v2/Teams", "team", {"skip": skip, "take": TEAM_PAGE})
        page = _list(_payload(body, "result", route), route, "result")
        for raw in page:
            item = _obj(raw, route, "a team member")
            role = item.get("portal_role")
            role_name = role.get("role_name") if isinstance(role, dict) else role
            people.append(
                TeamMember(
                    id=_str(item, "user_id", route),
                    first_name=_str(item, "first_name", route, ""),
                    last_name=_str(item, "last_name", route, ""),
                    email=_str(item, "email_id", route, ""),
                    role_name=str(role_name or "Editor"),
                    last_login_at=parse_time(item.get("last_login_at")),
                )
            )
        if len(page) < TEAM_PAGE:
            return people
        skip += TEAM_PAGE


def read_drive(client: SourceClient) -> tuple[list[DriveFolderInfo], list[DriveFileInfo]]:
    """Every Drive folder (parents first) and file of the source project."""
    route = "GET /v2/Drive/Folders"
    folders: list[DriveFolderInfo] = []
    body = client.get_json("v2/Drive/Folders", "drive")
    pending: list[tuple[Any, str | None]] = [
        (raw, None) for raw in reversed(_list(_payload(body, "data", route), route, "data"))
    ]
    while pending:
        raw, parent = pending.pop()
        node = _obj(raw, route, "a folder")
        folder = DriveFolderInfo(
            id=_str(node, "id", route),
            parent_id=_opt_str(node, "parent_folder_id", route) or parent,
            title=_str(node, "title", route, ""),
            order=_int(node, "order", route),
        )
        folders.append(folder)
        subs = _list(node.get("sub_folders"), route, "sub_folders")
        pending.extend((child, folder.id) for child in reversed(subs))
    files: list[DriveFileInfo] = []
    route = "GET /v2/Drive/Search"
    page_no = 0
    while True:
        body = client.get_json(
            "v2/Drive/Search",
            "drive",
            {"pageNo": page_no, "take": DRIVE_PAGE, "appendSASToken": "true"},
        )
        data = _obj(_payload(body, "data", route), route, "data")
        hits = _list(data.get("all_files"), route, "all_files")
        for raw in hits:
            item = _obj(raw, route, "a file")
            files.append(
                DriveFileInfo(
                    id=_str(item, "id", route),
                    folder_id=_opt_str(item, "parent_folder_id", route),
                    file_name=_str(item, "file_name", route, ""),
                    title=_str(item, "title", route, ""),
                    url=_str(item, "file_url", route, ""),
                    alternative_text=_opt_str(item, "alternative_text", route),
                    is_starred=_bool(item, "is_starred"),
                )
            )
        if len(hits) < DRIVE_PAGE:
            return folders, files
        page_no += 1


@dataclass(frozen=True)
class Revision:
    """One revision of an article language or category page as the content routes give it."""

    version_number: int
    public_version: int
    latest_version: int
    title: str
    content: str | None
    html_content: str | None
    block_content: str | None
    created_by: str | None
    created_at: datetime
    modified_at: datetime
    slug: str
    description: str | None
    is_fall_back_content: bool
    content_type: int | None


def _revision(payload: Any, route: str) -> Revision:
    item = _obj(payload, route, "the content")
    return Revision(
        version_number=_int(item, "version_number", route, 1),
        public_version=_int(item, "public_version", route),
        latest_version=_int(item, "latest_version", route, 1),
        title=_str(item, "title", route, ""),
        content=_opt_str(item, "content", route),
        html_content=_opt_str(item, "html_content", route),
        block_content=_opt_str(item, "block_content", route),
        created_by=_opt_str(item, "created_by", route),
        created_at=_time(item, "created_at"),
        modified_at=_time(item, "modified_at"),
        slug=_str(item, "slug", route, ""),
        description=_opt_str(item, "description", route),
        is_fall_back_content=_bool(item, "is_fall_back_content"),
        content_type=content_type_code(item.get("content_type")),
    )


def read_article(
    client: SourceClient, article_id: str, lang: str, version: int | None = None
) -> Revision | None:
    """The latest revision of an article language, or revision `version`; None if gone."""
    if version is None:
        path, kind = f"v2/Articles/{article_id}/{lang}", "article"
    else:
        path, kind = f"v2/Articles/{article_id}/{lang}/versions/{version}", "article-version"
    return _read_revision(client, path, kind, "data")


def read_category_page(
    client: SourceClient, category_id: str, lang: str, version: int | None = None
) -> Revision | None:
    if version is None:
        path, kind = f"v2/Categories/{category_id}/content/{lang}", "category-content"
    else:
        path, kind = f"v2/Categories/{category_id}/versions/{lang}/{version}", "category-version"
    return _read_revision(client, path, kind, "category")


def _read_revision(client: SourceClient, path: str, kind: str, key: str) -> Revision | None:
    """The revision under `key` of GET `path` (media links unsigned); None if gone."""
    body = client.get_json(path, kind, {"appendSASToken": "false"}, missing_ok=True)
    route = f"GET /{path}"
    return None if body is None else _revision(_payload(body, key, route), route)


SETTING_KEYS = (
    "seo_title", "allow_comments", "show_table_of_contents", "featured_image_url", "tags",
    "status_indicator", "status_indicator_expiry_date", "exclude_from_search",
    "exclude_from_ai_search", "is_acknowledgement_enabled",
)  # fmt: skip


def read_settings(
    client: SourceClient, kind: str, item_id: str, lang: str
) -> dict[str, Any] | None:
    """The settings of an article or category language (tags, SEO, related articles by id)."""
    segment = "Articles" if kind == "article" else "Categories"
    path = f"v2/{segment}/{item_id}/{lang}/settings"
    route = f"GET /{path}"
    body = client.get_json(path, f"{kind}-settings", missing_ok=True)
    if body is None:
        return None
    data = _obj(_payload(body, "data", route), route, "data")
    settings = {key: data.get(key) for key in SETTING_KEYS if key in data}
    related = _list(data.get("related_articles"), route, "related_articles")
    settings["related_articles"] = [
        r.get("id") for r in related if isinstance(r, dict) and isinstance(r.get("id"), str)
    ]
    settings["tags"] = [t for t in _list(data.get("tags"), route, "tags") if isinstance(t, str)]
    return settings
