"""/v2/Variables, /v2/Snippets, /v2/Glossary — Lorebase extensions in the v2 envelope style.

Document360 resolves these merge codes for display but offers no public API to manage them;
these routes fill that gap so a self-hosted knowledge base can be maintained by scripts.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query
from fastapi.responses import Response

from lorebase.api.deps import CallerDep, SessionDep
from lorebase.api.v2 import shapes
from lorebase.api.v2.envelope import ok
from lorebase.api.v2.requests import MergeCodeFields
from lorebase.kb import merge_codes as kb
from lorebase.kb.errors import Invalid

router = APIRouter(prefix="/v2", tags=["Merge codes (Lorebase extension)"])

ROUTES = {"Variables": "variable", "Snippets": "snippet", "Glossary": "glossary"}


def _fields(kind: str, body: MergeCodeFields | None) -> dict[str, object]:
    """The body's words for the value (value / content / term) mapped onto one column."""
    given = body.given() if body else {}
    value_key = {"variable": "value", "snippet": "content", "glossary": "term"}[kind]
    fields = {k: v for k, v in given.items() if k not in ("value", "content", "term")}
    if value_key in given:
        fields["value"] = given[value_key]
    return fields


def _register(segment: str, kind: str) -> None:
    @router.get(f"/{segment}", name=f"list_{kind}")
    def list_entries(
        caller: CallerDep,
        session: SessionDep,
        project_version_id: Annotated[str, Query(alias="projectVersionId")],
    ) -> Response:
        entries = kb.list_entries(session, caller.project_id, project_version_id, kind)
        return ok(data=[shapes.merge_code(e) for e in entries])

    @router.post(f"/{segment}", name=f"create_{kind}")
    def create_entry(
        caller: CallerDep,
        session: SessionDep,
        body: Annotated[MergeCodeFields | None, Body()] = None,
    ) -> Response:
        if body is None:
            raise Invalid("A non-empty request body is required.")
        entry = kb.create_entry(session, caller.project_id, kind, _fields(kind, body))
        session.commit()
        return ok(data=shapes.merge_code(entry))

    @router.get(f"/{segment}/{{entryId}}", name=f"get_{kind}")
    def get_entry(caller: CallerDep, session: SessionDep, entryId: str) -> Response:
        return ok(data=shapes.merge_code(kb.get_entry(session, caller.project_id, kind, entryId)))

    @router.put(f"/{segment}/{{entryId}}", name=f"update_{kind}")
    def update_entry(
        caller: CallerDep,
        session: SessionDep,
        entryId: str,
        body: Annotated[MergeCodeFields | None, Body()] = None,
    ) -> Response:
        entry = kb.update_entry(session, caller.project_id, kind, entryId, _fields(kind, body))
        session.commit()
        return ok(data=shapes.merge_code(entry))

    @router.delete(f"/{segment}/{{entryId}}", name=f"delete_{kind}")
    def delete_entry(caller: CallerDep, session: SessionDep, entryId: str) -> Response:
        kb.delete_entry(session, caller.project_id, kind, entryId)
        session.commit()
        return ok()


for _segment, _kind in ROUTES.items():
    _register(_segment, _kind)
