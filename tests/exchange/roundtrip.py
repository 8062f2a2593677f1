"""Helpers for round-trip tests: export a project, import a ZIP, and compare two exports by
content (ids, authors and timestamps may differ; everything a reader sees may not)."""

from __future__ import annotations

import io
import json
import re
import zipfile
from typing import Any

from sqlalchemy.orm import Session

from lorebase.exchange.jsonzip.importer import ImportLog, import_export
from lorebase.exchange.jsonzip.reader import open_export
from lorebase.exchange.jsonzip.writer import MANIFEST_NAME, write_json_zip
from lorebase.kb import workspaces

# Lorebase media URLs carry the project and file ids, which differ after an import.
_MEDIA_URL = re.compile(r"https?://[^\s\"'<>()]+/media/[^/\s]+/[^/\s]+/([^\s\"'<>()?]+)")


def export_bytes(session: Session, project_id: str, **options: Any) -> bytes:
    out = io.BytesIO()
    write_json_zip(session, project_id, out, **options)
    return out.getvalue()


def import_bytes(
    session: Session, project_id: str, data: bytes, *, publish: bool = False, **kw: Any
) -> ImportLog:
    with open_export(io.BytesIO(data)) as opened:
        return import_export(session, project_id, opened, publish=publish, user_id=None, **kw)


def empty_project(session: Session, languages: list[str]) -> str:
    """A new project whose main workspace `v1` has these languages (the first is default)."""
    project = workspaces.create_project(session, "Round trip", language=languages[0])
    workspace = workspaces.workspaces(session, project.id)[0]
    for code in languages[1:]:
        workspaces.add_language(session, workspace.id, code)
    return project.id


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: _strip(item)
            for key, item in value.items()
            if key not in ("Id", "CreatedBy", "CreatedAt")
        }
    if isinstance(value, list):
        return [_strip(item) for item in value]
    if isinstance(value, str):
        return _MEDIA_URL.sub(r"media:\1", value)
    return value


def content_of(data: bytes) -> dict[str, Any]:
    """Every entry of an export, ids and authorship removed, media URLs reduced to names."""
    out: dict[str, Any] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name == MANIFEST_NAME:
                continue
            raw = archive.read(name)
            out[name] = _strip(json.loads(raw)) if name.endswith(".json") else raw
    return out
