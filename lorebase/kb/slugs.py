"""URL slugs for articles and categories, unique per workspace and language."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection

_NOT_WORD = re.compile(r"[^\w]+", re.UNICODE)


def slugify(text: str) -> str:
    normalized = unicodedata.normalize("NFKC", text).lower().replace("_", "-")
    slug = _NOT_WORD.sub("-", normalized).strip("-")
    return slug[:200] or "untitled"


def unique_slug(wanted: str, taken: Collection[str]) -> str:
    if wanted not in taken:
        return wanted
    n = 1
    while f"{wanted}-{n}" in taken:
        n += 1
    return f"{wanted}-{n}"
