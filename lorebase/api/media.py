"""`GET /media/{project_id}/{file_id}/{file_name}`: Drive files as article bodies link to them,
and the signing of those links in content reads (`appendSASToken`, formats.md §5).

Public projects serve media to anyone holding the URL; private projects only through a link
signed by this server (`se` expiry + `sig` HMAC), as Document360 does with SAS tokens.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.orm import Session, sessionmaker

from lorebase.api.v2.envelope import fail
from lorebase.kb import drive
from lorebase.kb.errors import NotFound
from lorebase.runtime import Runtime
from lorebase.storage import BlobNotFoundError
from lorebase.storage.base import attachment_disposition

router = APIRouter(tags=["Lorebase extension"])
CHUNK = 256 * 1024
GONE = "No media file matches this URL."


@router.get("/media/{project_id}/{file_id}/{file_name}", summary="A Drive file, by its media URL")
def serve_media(
    request: Request,
    project_id: str,
    file_id: str,
    file_name: str,
    se: Annotated[str | None, Query()] = None,
    sig: Annotated[str | None, Query()] = None,
) -> Response:
    runtime: Runtime = request.app.state.runtime
    readers: sessionmaker[Session] = request.app.state.read_session_factory
    with readers() as session:
        private = drive.project_is_private(session, project_id)
        if private and not drive.verify_media_signature(
            runtime.secret, project_id, file_id, file_name, se, sig, time.time()
        ):
            return fail(403, "This media link is unsigned, invalid or expired; ask for a new one.")
        try:
            file = drive.find_media(session, project_id, file_id, file_name)
        except NotFound:
            return fail(404, GONE)
        key, content_type = file.blob_key, file.content_type
    try:
        size = runtime.blobs.size(key)
        reader = runtime.blobs.open_reader(key)
    except BlobNotFoundError:
        return fail(404, GONE)

    def chunks() -> Iterator[bytes]:
        with reader:
            while data := reader.read(CHUNK):
                yield data

    disposition = attachment_disposition(file_name)
    if content_type not in drive.ACTIVE_TYPES:
        disposition = "inline" + disposition.removeprefix("attachment")
    headers = {
        "Content-Length": str(size),
        "Content-Disposition": disposition,
        "X-Content-Type-Options": "nosniff",
        # A signed link is a capability: no shared cache may keep what it unlocked.
        "Cache-Control": "private, max-age=60" if private else "public, max-age=3600",
    }
    return StreamingResponse(chunks(), media_type=content_type, headers=headers)


def signed_content(
    request: Request, session: Session, project_id: str, response: Response, append_sas: bool
) -> Response:
    """The content read `response` with its media URLs signed when the project is private and
    the caller asked for SAS tokens.

    Applied to the serialised body on the way out, after the response cache: the cache keeps
    unsigned bodies, and every response gets a signature that expires `media_url_ttl` from now.
    """
    body = bytes(response.body)
    if not append_sas or b"/media/" not in body:
        return response
    if not drive.project_is_private(session, project_id):
        return response
    runtime: Runtime = request.app.state.runtime
    settings = runtime.settings
    text = drive.sign_media_urls(
        body.decode("utf-8"),
        settings.public_base_url,
        runtime.secret,
        settings.media_url_ttl,
        time.time(),
    )
    return Response(
        text.encode("utf-8"), status_code=response.status_code, media_type="application/json"
    )
