"""`GET /blobs/{key}`: serves the local blob store's signed URLs (export downloads, private
media). S3 deployments hand out presigned S3 URLs instead and never reach this route."""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from lorebase.api.v2.envelope import fail
from lorebase.runtime import Runtime
from lorebase.storage import BlobNotFoundError, LocalBlobStore
from lorebase.storage.base import attachment_disposition

router = APIRouter(tags=["Lorebase extension"])
CHUNK = 256 * 1024


@router.get("/blobs/{key:path}", summary="Download a blob through a signed, expiring URL")
def download_blob(
    request: Request,
    key: str,
    expires: Annotated[int, Query()] = 0,
    signature: Annotated[str, Query()] = "",
    filename: Annotated[str | None, Query()] = None,
) -> Response:
    runtime: Runtime = request.app.state.runtime
    store = runtime.blobs
    if not isinstance(store, LocalBlobStore):
        return fail(404, "This server keeps blobs in S3; use the presigned URL it gave you.")
    if not store.verify(key, expires, signature, filename=filename):
        return fail(403, "This download link is invalid or has expired; ask for a new one.")
    try:
        size = store.size(key)
        reader = store.open_reader(key)
    except BlobNotFoundError:
        return fail(404, "The file behind this link no longer exists.")

    def chunks() -> Iterator[bytes]:
        with reader:
            while data := reader.read(CHUNK):
                yield data

    media_type = mimetypes.guess_type(filename or key)[0] or "application/octet-stream"
    headers = {
        "Content-Length": str(size),
        "X-Content-Type-Options": "nosniff",
        # Signed URLs are capabilities: never let a shared cache keep one.
        "Cache-Control": "private, max-age=60",
    }
    if filename is not None:
        headers["Content-Disposition"] = attachment_disposition(filename)
    return StreamingResponse(chunks(), media_type=media_type, headers=headers)
