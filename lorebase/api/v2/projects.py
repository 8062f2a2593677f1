"""/v2/ProjectVersions, /v2/Language and /v2/Teams: workspaces, their trees, search, people."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from lorebase.api.deps import CallerDep, SessionDep, SettingsDep
from lorebase.api.fastpath import offer_to_keep
from lorebase.api.v2 import shapes
from lorebase.api.v2.articles import public_url
from lorebase.api.v2.envelope import ok, raw_ok
from lorebase.kb import articles as kb_articles
from lorebase.kb import search as kb_search
from lorebase.kb import workspaces
from lorebase.kb.errors import Invalid, NotFound
from lorebase.kb.tree import CategoryTrees, TreeVariant

router = APIRouter(prefix="/v2", tags=["Project versions"])
WORKSPACE_MISSING = "The supplied project version id does not exist in your project"


@router.get("/ProjectVersions")
def project_versions(caller: CallerDep, session: SessionDep) -> Response:
    found = workspaces.workspaces(session, caller.project_id)
    languages = workspaces.languages_of(session, [w.id for w in found])
    return ok(data=[shapes.project_version(w, languages[w.id]) for w in found])


@router.get("/ProjectVersions/{projectVersionId}/categories")
def category_tree(
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    projectVersionId: str,
    exclude_articles: Annotated[bool, Query(alias="excludeArticles")] = False,
    lang: Annotated[str | None, Query(alias="langCode")] = None,
    include_description: Annotated[bool, Query(alias="includeCategoryDescription")] = False,
) -> Response:
    # The stamp first: the tree is then brought up to at least what it says (kb.tree).
    stamp = workspaces.item_stamp(session, caller.project_id, "workspace", projectVersionId)
    if stamp is None:
        raise NotFound(WORKSPACE_MISSING)
    trees: CategoryTrees = request.app.state.response_cache.trees
    variant = TreeVariant(
        projectVersionId, (lang or "").lower(), not exclude_articles, include_description
    )
    body = trees.body(
        session,
        variant,
        stamp,
        lambda: workspaces.get_workspace(
            session, caller.project_id, projectVersionId, WORKSPACE_MISSING
        ),
    )
    offer_to_keep(request.scope, caller.project_id, projectVersionId, stamp)
    return raw_ok(body)


@router.get("/ProjectVersions/{projectVersionId}/articles")
def workspace_articles(
    caller: CallerDep,
    session: SessionDep,
    settings: SettingsDep,
    projectVersionId: str,
    lang: Annotated[str | None, Query(alias="langCode")] = None,
) -> Response:
    scope = workspaces.find_workspace(session, caller.project_id, projectVersionId)
    if scope is None:
        raise NotFound(WORKSPACE_MISSING)
    code = scope.language(lang)
    data = []
    for summary in kb_articles.workspace_articles(session, scope, code):
        item = shapes.article_summary(summary)
        url = public_url(settings, scope.workspace.slug, summary.language_code, summary.slug)
        data.append({"url": url, **item})
    return ok(data=data)


@router.get("/ProjectVersions/{projectVersionId}/{langCode}")
def search(
    caller: CallerDep,
    session: SessionDep,
    projectVersionId: str,
    langCode: str,
    search_query: Annotated[str | None, Query(alias="searchQuery")] = None,
    page: Annotated[int, Query(ge=0, le=10_000)] = 0,
    hits_per_page: Annotated[int, Query(alias="hitsPerPage", ge=1, le=100)] = 10,
    include_drafts: Annotated[
        bool,
        Query(
            alias="includeDrafts",
            description="Lorebase extension: search the latest revisions, drafts included.",
        ),
    ] = False,
) -> Response:
    started = time.perf_counter()
    scope = workspaces.get_workspace(
        session, caller.project_id, projectVersionId, WORKSPACE_MISSING
    )
    if not scope.has_language(langCode):
        raise Invalid("Invalid Language code")
    code = scope.language(langCode)
    result = kb_search.search_articles(
        session,
        scope.id,
        code,
        search_query or "",
        page=page,
        hits_per_page=hits_per_page,
        include_drafts=include_drafts,
    )
    hits = kb_articles.search_hits(session, result.hits, code)
    elapsed = int((time.perf_counter() - started) * 1000)
    return ok(
        data={
            "hits": [
                {
                    "title": h.title,
                    "content": h.body,
                    "is_hidden": h.hidden,
                    "tags": h.tags,
                    "slug": h.slug,
                    "version": h.version_number,
                    "article_id": h.article_id,
                    "category_id": h.category_id,
                    "order": h.order,
                    "is_draft": include_drafts and h.version_number != h.public_version,
                    "lang_code": code,
                    "is_private": False,
                    "_snippet_result": {
                        "content": {"value": h.snippet.value, "match_level": h.snippet.match_level}
                    },
                    "_highlight_result": {
                        "title": {
                            "value": h.title_highlight.value,
                            "match_level": h.title_highlight.match_level,
                            "fully_highlighted": h.title_highlight.fully_highlighted,
                            "matched_words": h.title_highlight.matched_words,
                        }
                    },
                }
                for h in hits
            ],
            "nb_hits": result.total,
            "page": page,
            "nb_pages": (result.total + hits_per_page - 1) // hits_per_page,
            "hits_per_page": hits_per_page,
            "processing_time_ms": elapsed,
            "query": search_query or "",
        }
    )


@router.get("/Language/{projectVersionId}", tags=["Languages"])
def languages(caller: CallerDep, session: SessionDep, projectVersionId: str) -> Response:
    scope = workspaces.get_workspace(
        session, caller.project_id, projectVersionId, WORKSPACE_MISSING
    )
    return ok(data=[shapes.project_language(lang) for lang in scope.languages])


@router.get("/Teams", tags=["Teams"])
def teams(
    caller: CallerDep,
    session: SessionDep,
    skip: Annotated[int, Query(ge=0)] = 0,
    take: Annotated[int, Query(ge=1, le=1000)] = 20,
) -> Response:
    people = workspaces.users(session, caller.project_id)[skip : skip + take]
    return ok(result=[shapes.team_summary(u) for u in people])


@router.get("/Teams/{userId}", tags=["Teams"])
def team_member(caller: CallerDep, session: SessionDep, userId: str) -> Response:
    user = workspaces.find_user(session, caller.project_id, userId)
    if user is None:
        raise NotFound(f"The user with id '{userId}' does not exist in your project.")
    return ok(result=shapes.team_member(user))
