"""Serving hot reads from the response cache, validated against the workspace stamp."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from lorebase.api.fastpath import offer_to_keep
from lorebase.api.v2.envelope import envelope, raw_ok
from lorebase.api.v2.response_cache import ResponseCache
from lorebase.api.wire import dumps
from lorebase.kb import workspaces


def cached_read(
    request: Request,
    session: Session,
    project_id: str,
    kind: str,
    item_id: str,
    variant: Hashable,
    build: Callable[[], dict[str, Any]],
) -> Response:
    """The envelope `build()` makes, reused while the item's workspace is unchanged.

    The stamp is read before the body is built, so a body is never stored under a stamp
    newer than the data it was built from (PostgreSQL's read-committed statements may see
    different snapshots).
    """
    found = workspaces.item_workspace(session, project_id, kind, item_id)
    if found is None:
        # Not in this project: let the route raise its own documented error.
        return raw_ok(dumps(envelope(**build())))
    workspace_id, stamp = found
    cache: ResponseCache = request.app.state.response_cache
    key = (kind, item_id, variant)
    body = cache.get(key, stamp)
    if body is None:
        body = dumps(envelope(**build()))
        cache.put(key, stamp, body)
    offer_to_keep(request.scope, project_id, workspace_id, stamp)
    return raw_ok(body)
