"""The portal's search: the latest revision of every article at the author's desk (workspace
and language), drafts and hidden articles included, each hit linking to its editor."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from lorebase.auth.roles import Permission
from lorebase.auth.sessions import SignedIn
from lorebase.kb import drafts_search
from lorebase.web.portal.desk import open_desk, portal_page, reading
from lorebase.web.visitor import BROWSER_GUARDS, Requirement, VisitorDep

router = APIRouter(include_in_schema=False, dependencies=BROWSER_GUARDS)
Author = Annotated[SignedIn, Depends(Requirement(Permission.ENTER_PORTAL))]


@router.get("/portal/search")
def search(
    request: Request,
    visitor: VisitorDep,
    me: Author,
    ws: str = "",
    lang: str = "",
    q: str = "",
) -> Response:
    query = drafts_search.clean_query(q)
    with reading(request) as session:
        desk = open_desk(session, me.project_id, ws, lang)
        found = None
        if query:
            found = drafts_search.search_drafts(session, desk.scope, desk.lang, query)
    return portal_page(
        request,
        visitor,
        me,
        "portal/search.html",
        title="Search",
        section="search",
        desk=desk,
        query=query,
        found=found,
        max_query=drafts_search.MAX_QUERY,
    )
