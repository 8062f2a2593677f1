"""Domain read models -> v2 JSON objects, field for field as the official schemas name them.

The schemas forbid additional properties, so nothing here may add a field the official
document does not declare (seed-only fields such as `current_workflow_status_id` stay out).
"""

from __future__ import annotations

from typing import Any

from lorebase.db.models import ApiToken, Language, MergeCodeEntry, ProjectVersion, User
from lorebase.kb.content import CONTENT_TYPE_NAMES
from lorebase.kb.views import ArticleSummary, CategoryNode, ContentView, VersionSummary
from lorebase.kb.workspaces import ROLE_NAMES

Json = dict[str, Any]


def article_summary(a: ArticleSummary) -> Json:
    return {
        "id": a.id,
        "title": a.title,
        "public_version": a.public_version,
        "latest_version": a.latest_version,
        "language_code": a.language_code,
        "hidden": a.hidden,
        "status": a.status,
        "order": a.order,
        "slug": a.slug,
        "content_type": a.content_type,
        "translation_option": a.translation_option,
        "is_shared_article": a.is_shared,
        "modified_at": a.modified_at,
    }


def category_fields(node: CategoryNode) -> tuple[Json, Json]:
    """A tree node's fields before its `articles` and after its `child_categories`, in the
    official order (the tree is written out in parts: lorebase.api.v2.tree_json)."""
    before = {
        "id": node.id,
        "name": node.name,
        "description": node.description,
        "project_version_id": node.project_version_id,
        "order": node.order,
        "parent_category_id": node.parent_category_id,
        "hidden": node.hidden,
    }
    after = {
        "icon": node.icon,
        "slug": node.slug,
        "language_code": None,
        "category_type": node.category_type,
        "created_at": node.created_at,
        "modified_at": node.modified_at,
        "status": node.status,
        "content_type": node.content_type,
    }
    return before, after


def category_node(node: CategoryNode, *, depth: int | None = None) -> Json:
    """A tree node; `depth` limits how many levels of children are expanded."""
    expand = depth is None or depth > 0
    child_depth = None if depth is None else depth - 1
    before, after = category_fields(node)
    return {
        **before,
        "articles": None if node.articles is None else [article_summary(a) for a in node.articles],
        "child_categories": [category_node(c, depth=child_depth) for c in node.children]
        if expand
        else [],
        **after,
    }


def category_simple(category_id: str, name: str, order: int, icon: str | None) -> Json:
    return {"id": category_id, "name": name, "order": order, "icon": icon}


def user_profile(user: User) -> Json:
    """UserProfileCustomer (category page authors)."""
    return {
        "id": user.id,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email_id": user.email,
        "profile_logo_url": None,
        "user_role": user.role,
        "last_login_at": user.last_login_at,
        "unique_user_name": user.unique_user_name,
        "sso_user_type": 0,
        "is_sso_user": False,
    }


def user_details(user: User) -> Json:
    """UserDetailsCustomer (article authors)."""
    return {
        "id": user.id,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "user_description": None,
        "unique_user_name": user.unique_user_name,
        "email_id": user.email,
        "profile_logo_url": None,
        "profile_logo_cdn_url": None,
        "is_enterprise_user": False,
    }


def _content_common(v: ContentView) -> Json:
    return {
        "id": v.id,
        "title": v.title,
        "content": v.content,
        "html_content": v.html_content,
    }


def article_content(v: ContentView, *, url: str | None = None, by_version: bool = False) -> Json:
    """ArticleVersionDataCustomerResponse, or ArticleVersionInfoCustomerResponse by version."""
    body = {
        **_content_common(v),
        "category_id": v.parent_id,
        "project_version_id": v.project_version_id,
        "version_number": v.version_number,
        "public_version": v.public_version,
        "latest_version": v.latest_version,
        "enable_rtl": v.enable_rtl,
        "hidden": v.hidden,
        "status": v.status,
        "order": v.order,
        "created_by": v.created_by,
        "authors": [user_details(u) for u in v.authors],
        "created_at": v.created_at,
        "modified_at": v.modified_at,
        "slug": v.slug,
        "is_fall_back_content": v.is_fall_back_content,
        "description": v.description,
        "category_type": v.category_type,
        "content_type": v.content_type,
        "is_shared_article": v.is_shared,
        "translation_option": v.translation_option,
    }
    if by_version:
        body["version_created_at"] = v.version_created_at
    else:
        body["url"] = url
    return body


def category_content(v: ContentView) -> Json:
    """CategoryVersionData: the `category` payload of the page-content GET routes."""
    return {
        **_content_common(v),
        "block_content": v.block_content,
        "parent_category_id": v.parent_id,
        "project_document_version_id": v.project_version_id,
        "version_number": v.version_number,
        "public_version": v.public_version,
        "latest_version": v.latest_version,
        "enable_rtl": v.enable_rtl,
        "hidden": v.hidden,
        "status": v.status,
        "created_by": v.created_by,
        "authors": [user_profile(u) for u in v.authors],
        "created_at": v.created_at,
        "modified_at": v.modified_at,
        "slug": v.slug,
        "is_fall_back_content": v.is_fall_back_content,
        "stale_status": None,
        # The one enum the official schema types as a string ("Markdown").
        "content_type": CONTENT_TYPE_NAMES.get(v.content_type or 0, "Markdown"),
        "is_block_editor": v.content_type == 2,
    }


def category_content_saved(v: ContentView) -> Json:
    """CategoryVersionDataCustomer: the `data` payload of the page-content PUT."""
    return {
        **_content_common(v),
        "block_content": v.block_content,
        "category_id": v.id,
        "project_version_id": v.project_version_id,
        "version_number": v.version_number,
        "public_version": v.public_version,
        "latest_version": v.latest_version,
        "enable_rtl": v.enable_rtl,
        "hidden": v.hidden,
        "status": v.status,
        "order": v.order,
        "created_by": v.created_by,
        "authors": [user_profile(u) for u in v.authors],
        "created_at": v.created_at,
        "modified_at": v.modified_at,
        "slug": v.slug,
        "is_fall_back_content": v.is_fall_back_content,
    }


def version_summary(v: VersionSummary, names: dict[str, str]) -> Json:
    return {
        "version_number": v.version_number,
        # The official examples show the author's display name here, not an id.
        "created_by": names.get(v.created_by or "", v.created_by),
        "created_at": v.created_at,
        "modified_at": v.modified_at,
        "base_version": v.base_version,
        "status": v.status,
        "profile_url": None,
    }


def settings(values: dict[str, Any], related: list[Json], *, with_content_type: int | None) -> Json:
    body = {
        "slug": values["slug"],
        "seo_title": values["seo_title"],
        "description": values["description"],
        "allow_comments": values["allow_comments"],
        "show_table_of_contents": values["show_table_of_contents"],
        "featured_image_url": values["featured_image_url"],
        "tags": values["tags"],
        "status_indicator": values["status_indicator"],
        "status_indicator_expiry_date": values["status_indicator_expiry_date"],
        "exclude_from_search": values["exclude_from_search"],
        "exclude_from_ai_search": values["exclude_from_ai_search"],
        "related_articles": related,
        "is_acknowledgement_enabled": values["is_acknowledgement_enabled"],
    }
    if with_content_type is not None:
        body["content_type"] = with_content_type
    return body


def language(lang: Language, workspace: ProjectVersion) -> Json:
    return {
        "id": lang.id,
        "name": lang.name,
        "code": lang.code,
        "set_as_default": lang.is_default,
        "hidden": lang.hidden,
        "enable_rtl": lang.enable_rtl,
        "site_protection_level": 0,
        "is_inheritance_disabled": False,
        "has_inheritance_disabled_categories_or_articles": False,
        "country_flag_code": lang.country_flag_code,
        "display_name": lang.display_name,
        "is_home_page_enabled": False,
        "version_display_name": workspace.version_code_name,
    }


def project_language(lang: Language) -> Json:
    return {
        "language_id": lang.id,
        "language_code": lang.code,
        "language_name": lang.name,
        "is_set_as_default": lang.is_default,
        "country_flag_code": lang.country_flag_code,
    }


def project_version(w: ProjectVersion, languages: list[Language]) -> Json:
    return {
        "id": w.id,
        "version_number": w.version_number,
        "base_version_number": w.base_version_number,
        "version_code_name": w.version_code_name,
        "is_main_version": w.is_main_version,
        "is_beta": w.is_beta,
        "is_public": w.is_public,
        "is_deprecated": w.is_deprecated,
        "created_at": w.created_at,
        "modified_at": w.modified_at,
        "language_versions": [language(lang, w) for lang in languages],
        "slug": w.slug,
        "order": w.position,
        "version_type": w.version_type,
    }


def team_summary(user: User) -> Json:
    return {
        "user_id": user.id,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email_id": user.email,
        "profile_logo_url": None,
        "portal_role": ROLE_NAMES.get(user.role, "Editor"),
        "last_login_at": user.last_login_at,
    }


def team_member(user: User) -> Json:
    return {
        "user_id": user.id,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email_id": user.email,
        "profile_logo_url": None,
        "last_login_at": user.last_login_at,
        "portal_role": {
            "role_id": str(user.role),
            "role_name": ROLE_NAMES.get(user.role, "Editor"),
        },
        "content_roles": [],
        "associated_groups": [],
    }


def merge_code(entry: MergeCodeEntry) -> Json:
    body: Json = {
        "id": entry.id,
        "project_version_id": entry.project_version_id,
        "name": entry.name,
        "language_code": entry.language_code or None,
        "merge_code": f"{{{{{entry.kind}.{entry.name}}}}}",
        "created_at": entry.created_at,
        "modified_at": entry.modified_at,
    }
    if entry.kind == "variable":
        body["value"] = entry.value
    elif entry.kind == "snippet":
        body["content"] = entry.value
        body["is_html"] = entry.is_html
    else:
        body["term"] = entry.value
        body["definition"] = entry.definition
    return body


def token(t: ApiToken) -> Json:
    return {"id": t.id, "name": t.name, "methods": t.methods.split(",")}
