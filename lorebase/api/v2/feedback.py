"""Readers' feedback and unanswered searches, read by scripts — Lorebase extensions in the v2
envelope style (Document360 shows these in its portal's analytics, with no public API)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from lorebase.api.deps import CallerDep, SessionDep
from lorebase.api.v2.common import LangQuery
from lorebase.api.v2.envelope import ok
from lorebase.api.v2.projects import WORKSPACE_MISSING
from lorebase.kb import feedback as kb
from lorebase.kb import workspaces

# Listed before the Articles and ProjectVersions routers in lorebase.app: their
# /{articleId}/{langCode} and /{projectVersionId}/{langCode} templates would take these paths.
router = APIRouter(prefix="/v2", tags=["Reader feedback (Lorebase extension)"])


@router.get(
    "/Articles/{articleId}/feedback",
    summary="Readers' answers to 'Was this article helpful?'",
    description=(
        "Lorebase extension: the counts of helpful and not helpful answers, and the newest "
        f"{kb.ENTRIES_MAX:,} answers (newest first) with their reason and comment. "
        "`langCode` keeps one language's answers."
    ),
)
def article_feedback(
    caller: CallerDep, session: SessionDep, articleId: str, lang: LangQuery = None
) -> Response:
    summary = kb.article_feedback(session, caller.project_id, articleId, lang)
    return ok(
        data={
            "helpful": summary.helpful,
            "not_helpful": summary.not_helpful,
            "entries": [
                {
                    "language_code": entry.language_code,
                    "helpful": entry.helpful,
                    "reason": entry.reason,
                    "comment": entry.comment,
                    "created_at": entry.created_at,
                }
                for entry in summary.entries
            ],
        }
    )


@router.get(
    "/ProjectVersions/{projectVersionId}/search-misses",
    summary="Reader searches that found nothing",
    description=(
        "Lorebase extension: the workspace's most repeated searches that found no article "
        "(folded: trimmed, lower-cased), most repeated first. `langCode` keeps one language's."
    ),
)
def search_misses(
    caller: CallerDep, session: SessionDep, projectVersionId: str, lang: LangQuery = None
) -> Response:
    scope = workspaces.get_workspace(
        session, caller.project_id, projectVersionId, WORKSPACE_MISSING
    )
    code = scope.language(lang) if lang else None
    return ok(
        data=[
            {
                "language_code": miss.language_code,
                "query": miss.query,
                "count": miss.count,
                "last_searched_at": miss.last_searched_at,
            }
            for miss in kb.search_misses(session, scope.id, code)
        ]
    )
