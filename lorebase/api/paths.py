"""Case-insensitive paths: Document360 (ASP.NET) matches routes regardless of case.

Clients send `/v2/categories/…` as often as `/v2/Categories/…`. Rather than reach into the
router, the literal segments of an incoming path are rewritten to the casing the routes
declare; parameter values (ids, language codes) are left exactly as sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

from starlette.types import ASGIApp, Receive, Scope, Send

# The one template that glues a parameter to a literal inside a segment:
# /v2/Categories/{categoryId}/{langCode}versions (api-reference.md §1.3).
GLUED_SUFFIX = "versions"


class CanonicalPaths:
    def __init__(self, app: ASGIApp, templates: Iterable[str]) -> None:
        self.app = app
        # Segment count -> templates as lists of (lowered literal or None for a parameter,
        # declared casing). The same word may be cased differently in different routes
        # (/v2/Categories vs /v2/ProjectVersions/{id}/categories), so matching is per template.
        self.templates: dict[int, list[list[tuple[str | None, str]]]] = {}
        for template in templates:
            segments = [_segment(part) for part in template.split("/")]
            self.templates.setdefault(len(segments), []).append(segments)
        # Most literal first, whatever order the routes were declared in, so
        # /v2/Categories/BULKCREATE is the bulk route rather than a category id and
        # /{articleId}/SETTINGS is the settings route rather than a language code.
        for candidates in self.templates.values():
            candidates.sort(key=_specificity)

    def canonical(self, path: str) -> str:
        parts = path.split("/")
        for template in self.templates.get(len(parts), ()):
            fixed = _apply(template, parts)
            if fixed is not None:
                return "/".join(fixed)
        return path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            fixed = self.canonical(path)
            if fixed != path:
                scope = {**scope, "path": fixed, "raw_path": quote(fixed).encode("ascii")}
        await self.app(scope, receive, send)


def _specificity(template: list[tuple[str | None, str]]) -> tuple[int, tuple[int, ...]]:
    """Fewest parameters first; on a tie, literal before glued before bare, left to right."""
    kinds = tuple(
        0 if literal is not None else 1 if declared == GLUED_SUFFIX else 2
        for literal, declared in template
    )
    return sum(kind > 0 for kind in kinds), kinds


def _segment(part: str) -> tuple[str | None, str]:
    if "{" not in part:
        return part.lower(), part
    if part.endswith("}" + GLUED_SUFFIX):
        return None, GLUED_SUFFIX
    return None, ""


def _apply(template: list[tuple[str | None, str]], parts: list[str]) -> list[str] | None:
    fixed = []
    for (literal, declared), part in zip(template, parts, strict=True):
        if literal is not None:
            if part.lower() != literal:
                return None
            fixed.append(declared)
        elif declared == GLUED_SUFFIX:
            if len(part) <= len(GLUED_SUFFIX) or not part.lower().endswith(GLUED_SUFFIX):
                return None
            fixed.append(part[: -len(GLUED_SUFFIX)] + GLUED_SUFFIX)
        else:
            fixed.append(part)
    return fixed
