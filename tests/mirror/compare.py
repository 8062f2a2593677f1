"""Read a project through the v2 API as its users see it, to compare a source and its mirror."""

from __future__ import annotations

import re
from typing import Any

import httpx

# Fields that name the server or the people of one database: equal in meaning, not in bytes.
_SERVER_FIELDS = {"url", "authors", "created_by", "profile_logo_url"}
# Media URLs name the server and the project; the file's id and name are what must match.
_MEDIA_URL = re.compile(r"https?://[^/\s]+/media/[^/\s]+/")


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        # A Markdown body's HTML is rendered on read, and the sanitiser's attribute order is
        # not the same from one process to the next: the Markdown is what is compared.
        rendered = value.get("content_type") in (0, "Markdown")
        return {
            k: _clean(v)
            for k, v in value.items()
            if k not in _SERVER_FIELDS and not (rendered and k == "html_content")
        }
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, str):
        return _MEDIA_URL.sub("/media/", value)
    return value


def _get(api: httpx.Client, path: str, **params: Any) -> Any:
    response = api.get(path, params=params)
    assert response.status_code == 200, (path, response.status_code, response.text)
    return response.json()


def snapshot(
    api: httpx.Client, *, settings: bool = True, articles: set[str] | None = None
) -> dict[str, Any]:
    """Workspaces, every language's tree, and each article and page language's latest and
    published content (and settings), keyed by the ids the source gave them; only the
    `articles` named, when given."""
    shot: dict[str, Any] = {}
    spaces = _get(api, "/v2/ProjectVersions")["data"]
    shot["workspaces"] = _clean(spaces)
    for ws in spaces:
        for lang in ws["language_versions"]:
            code = lang["code"]
            tree = _get(
                api,
                f"/v2/ProjectVersions/{ws['id']}/categories",
                langCode=code,
                includeCategoryDescription="true",
            )["data"]
            shot[f"tree/{ws['id']}/{code}"] = _clean(tree)
            pending = list(tree)
            while pending:
                node = pending.pop()
                pending.extend(node["child_categories"])
                if node["category_type"] in (1, 2):
                    path = f"/v2/Categories/{node['id']}/content/{code}"
                    shot[f"page/{node['id']}/{code}"] = _clean(_get(api, path)["category"])
                    published = _get(api, path, isPublished="true")["category"]
                    shot[f"page/{node['id']}/{code}/published"] = _clean(published)
                    if settings:
                        path = f"/v2/Categories/{node['id']}/{code}/settings"
                        shot[f"page/{node['id']}/{code}/settings"] = _clean(_get(api, path))
                for article in node["articles"] or []:
                    if article["language_code"] != code:
                        continue
                    if articles is not None and article["id"] not in articles:
                        continue
                    key = f"article/{article['id']}/{code}"
                    path = f"/v2/Articles/{article['id']}/{code}"
                    shot[key] = _clean(_get(api, path)["data"])
                    if article["public_version"]:
                        published = _get(api, path, isPublished="true")["data"]
                        shot[key + "/published"] = _clean(published)
                    if settings:
                        shot[key + "/settings"] = _clean(_get(api, path + "/settings")["data"])
    return shot


def differences(source: Any, target: Any, where: str = "") -> list[str]:
    """What differs, one line per field path (empty when the two are the same)."""
    if isinstance(source, dict) and isinstance(target, dict):
        lines = []
        for key in sorted(set(source) | set(target), key=str):
            lines += differences(source.get(key), target.get(key), f"{where}/{key}")
        return lines
    if isinstance(source, list) and isinstance(target, list) and len(source) == len(target):
        return [
            line
            for i, (a, b) in enumerate(zip(source, target, strict=True))
            for line in differences(a, b, f"{where}[{i}]")
        ]
    if source != target:
        return [f"{where}: {str(source)[:200]!r} != {str(target)[:200]!r}"]
    return []
