"""Variables, snippets and glossary terms of a workspace (Lorebase extension routes).

Document360 keeps these per workspace, global or per language, and resolves them for display
(`isForDisplay=true`); it has no public API for them, so Lorebase adds one.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lorebase.db.models import MergeCodeEntry, utcnow
from lorebase.kb import page_bodies, workspaces
from lorebase.kb.errors import Invalid, NotFound
from lorebase.kb.search import index as search_index
from lorebase.render import GlossaryTerm, MergeCodeValues, Snippet

KINDS = ("variable", "snippet", "glossary")
# Document360: letters, digits, '-' and '_'; variables at most 50 characters.
NAME = re.compile(r"^[A-Za-z0-9_-]{1,50}$")
VARIABLE_MAX = 300


def _check(kind: str, name: str | None, value: str | None) -> str:
    if not name or not NAME.match(name):
        raise Invalid(
            "The Name field must be 1-50 letters, digits, '-' or '_' (no spaces), "
            f"as in {{{{{kind}.My_Name}}}}."
        )
    if kind == "variable" and value is not None and len(value) > VARIABLE_MAX:
        raise Invalid(f"A variable value is plain text of at most {VARIABLE_MAX} characters.")
    return name


def list_entries(
    session: Session, project_id: str, workspace_id: str, kind: str
) -> list[MergeCodeEntry]:
    scope = workspaces.get_workspace(
        session,
        project_id,
        workspace_id,
        "The supplied project version id does not exist in your project",
    )
    return list(
        session.scalars(
            select(MergeCodeEntry)
            .where(MergeCodeEntry.project_version_id == scope.id, MergeCodeEntry.kind == kind)
            .order_by(MergeCodeEntry.name, MergeCodeEntry.language_code)
        )
    )


def _locate(session: Session, project_id: str, kind: str, entry_id: str) -> MergeCodeEntry:
    entry = session.get(MergeCodeEntry, entry_id)
    if entry is None or entry.kind != kind:
        raise NotFound(f"{kind.capitalize()} not found")
    if workspaces.find_workspace(session, project_id, entry.project_version_id) is None:
        raise NotFound(f"{kind.capitalize()} not found")
    return entry


def get_entry(session: Session, project_id: str, kind: str, entry_id: str) -> MergeCodeEntry:
    return _locate(session, project_id, kind, entry_id)


def create_entry(
    session: Session, project_id: str, kind: str, fields: dict[str, Any]
) -> MergeCodeEntry:
    workspace_id = fields.get("project_version_id")
    if not workspace_id:
        raise Invalid("The ProjectVersionId field is required.")
    scope = workspaces.find_workspace(session, project_id, workspace_id)
    if scope is None:
        raise Invalid(
            f"The supplied project version id {workspace_id} does not exist in your project"
        )
    name = _check(kind, fields.get("name"), fields.get("value"))
    lang = scope.language(fields["language_code"]) if fields.get("language_code") else ""
    workspaces.touch(session, scope.id)  # before the name is checked
    _refuse_duplicate(session, scope.id, kind, name, lang)
    entry = MergeCodeEntry(
        project_version_id=scope.id,
        kind=kind,
        name=name,
        language_code=lang,
        value=fields.get("value") or "",
        definition=fields.get("definition") or "",
        is_html=bool(fields.get("is_html")),
    )
    session.add(entry)
    session.flush()
    _index_users(session, scope.id)
    return entry


def _refuse_duplicate(
    session: Session,
    workspace_id: str,
    kind: str,
    name: str,
    lang: str,
    except_id: str | None = None,
) -> None:
    query = select(MergeCodeEntry.id).where(
        MergeCodeEntry.project_version_id == workspace_id,
        MergeCodeEntry.kind == kind,
        MergeCodeEntry.name == name,
        MergeCodeEntry.language_code == lang,
    )
    if except_id:
        query = query.where(MergeCodeEntry.id != except_id)
    if session.scalar(query):
        where = f"language {lang}" if lang else "all languages"
        raise Invalid(f"A {kind} named {name} already exists for {where}.")


def update_entry(
    session: Session, project_id: str, kind: str, entry_id: str, fields: dict[str, Any]
) -> MergeCodeEntry:
    entry = _locate(session, project_id, kind, entry_id)
    if not fields:
        raise Invalid("A non-empty request body is required.")
    # Where an entry lives is fixed at creation; a silent move would surprise scripts.
    for field, current in (
        ("project_version_id", entry.project_version_id),
        ("language_code", entry.language_code),
    ):
        wanted = fields.get(field)
        if wanted is not None and wanted.lower() != current.lower():
            raise Invalid(
                f"The {field} of a {kind} cannot be changed; delete it and create it again."
            )
    workspaces.touch(session, entry.project_version_id)  # before a new name is checked
    if fields.get("name") is not None:
        name = _check(kind, fields["name"], None)
        _refuse_duplicate(
            session, entry.project_version_id, kind, name, entry.language_code, entry.id
        )
        entry.name = name
    if fields.get("value") is not None:
        _check(kind, entry.name, fields["value"])
        entry.value = fields["value"]
    if fields.get("definition") is not None:
        entry.definition = fields["definition"]
    if fields.get("is_html") is not None:
        entry.is_html = bool(fields["is_html"])
    entry.modified_at = utcnow()
    session.flush()
    _index_users(session, entry.project_version_id)
    return entry


def delete_entry(session: Session, project_id: str, kind: str, entry_id: str) -> None:
    entry = _locate(session, project_id, kind, entry_id)
    workspaces.touch(session, entry.project_version_id)
    session.delete(entry)
    session.flush()
    _index_users(session, entry.project_version_id)


def _index_users(session: Session, workspace_id: str) -> None:
    """Search finds articles by their merge codes' values: those using one are indexed again;
    the published bodies using one are made ready to read again."""
    values_of = functools.cache(lambda lang: values_for(session, workspace_id, lang))
    search_index.reindex_merge_code_users(session, workspace_id, values_of)
    page_bodies.make_merge_code_users_ready(session, workspace_id, values_of)


def values_for(session: Session, workspace_id: str, lang: str) -> MergeCodeValues:
    """The merge-code values one language sees: its own value first, then the global one."""
    variables: dict[str, str] = {}
    snippets: dict[str, Snippet] = {}
    glossary: dict[str, GlossaryTerm] = {}
    rows = session.scalars(
        select(MergeCodeEntry)
        .where(
            MergeCodeEntry.project_version_id == workspace_id,
            MergeCodeEntry.language_code.in_(["", lang]),
        )
        # Global rows ("") sort first, so a language's own value overwrites them.
        .order_by(MergeCodeEntry.language_code)
    )
    for entry in rows:
        if entry.kind == "variable":
            variables[entry.name] = entry.value
        elif entry.kind == "snippet":
            snippets[entry.name] = Snippet(entry.value, entry.is_html)
        else:
            glossary[entry.name] = GlossaryTerm(entry.value or entry.name, entry.definition)
    return MergeCodeValues(variables=variables, snippets=snippets, glossary=glossary)
