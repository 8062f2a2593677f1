"""/v2/Drive: the media library (folders, files, tags, deletion status, media of an article).

Drive reads take `appendSASToken` (default false here, unlike article reads): when true and
the project is private, file URLs carry a signature (formats.md §5).
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Query, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from lorebase.api.deps import CallerDep, SessionDep
from lorebase.api.limits import DRIVE_UPLOAD_BYTES
from lorebase.api.v2 import requests as rq
from lorebase.api.v2.envelope import ok
from lorebase.db.models import DriveFile, DriveFolder, DriveTag
from lorebase.kb import drive as kb
from lorebase.kb.errors import Invalid
from lorebase.runtime import Runtime

router = APIRouter(prefix="/v2/Drive", tags=["Drive"])

Json = dict[str, Any]
AppendSas = Annotated[bool, Query(alias="appendSASToken")]
PageNo = Annotated[int, Query(alias="pageNo")]
Take = Annotated[int, Query(alias="take")]
UPLOAD_MB = DRIVE_UPLOAD_BYTES // (1024 * 1024)


class AddFolder(rq.Body):
    title: str | None = None
    parent_folder_id: str | None = None
    user_id: str | None = None
    order: rq.Order = None


class UpdateFolder(rq.Body):
    name: str | None = None
    order: rq.Order = None
    folder_color: str | None = None
    is_starred: bool | None = None


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def media_links(request: Request, session: Session, project_id: str, sign: bool) -> kb.MediaLinks:
    """File URLs for this response: signed only when asked and the project is private."""
    runtime = _runtime(request)
    settings = runtime.settings
    if sign and kb.project_is_private(session, project_id):
        return kb.MediaLinks(
            settings.public_base_url,
            runtime.secret,
            settings.media_url_ttl,
            time.time(),
        )
    return kb.MediaLinks(settings.public_base_url)


# --- shapes: field for field as the official schemas name them (no extra properties) -------


def _folder_meta(f: DriveFolder) -> Json:
    return {
        "media_folder_id": f.id,
        "media_folder_title": f.title,
        "order": f.position,
        "icon": f.icon,
        "updated_on": f.updated_at,
        "folder_color": f.folder_color,
        "is_starred": f.is_starred,
        "updated_by": f.updated_by,
        "parent_media_folder_id": f.parent_id,
    }


def _folder_node(node: kb.FolderNode) -> Json:
    f = node.folder
    return {
        "id": f.id,
        "title": f.title,
        "parent_folder_id": f.parent_id,
        "sub_folders": [_folder_node(child) for child in node.children],
        # "The items in the folder": its files and sub-folders.
        "items_count": node.file_count + len(node.children),
        "updated_by": f.updated_by,
        "updated_on": f.updated_at,
        "order": f.position,
        "is_starred": f.is_starred,
    }


def _tags(tags: list[DriveTag]) -> list[Json]:
    return [{"id": t.id, "tag_name": t.name} for t in tags]


def _dimension(value: int | None) -> str | None:
    return None if value is None else str(value)


def _folder_file(f: DriveFile, tags: list[DriveTag], links: kb.MediaLinks) -> Json:
    return {
        "id": f.id,
        "file_name": f.file_name,
        "file_type": kb.file_kind(f.content_type),
        "file_url": links.url(f),
        "updated_on": f.updated_at,
        "updated_by": f.updated_by,
        "size": str(f.size),
        "tags": _tags(tags),
        "is_starred": f.is_starred,
    }


def _file_details(f: DriveFile, tags: list[DriveTag], links: kb.MediaLinks) -> Json:
    url = links.url(f)
    return {
        "id": f.id,
        "file_name": f.file_name,
        "file_type": kb.file_kind(f.content_type),
        "file_url": url,
        "updated_on": f.updated_at,
        "updated_by": f.updated_by,
        "size": str(f.size),
        "height": _dimension(f.height),
        "width": _dimension(f.width),
        "parent_folder_id": f.folder_id,
        "title": f.title,
        "alternative_text": f.alternative_text,
        "tags": _tags(tags),
        # Lorebase makes no thumbnails: an image is its own thumbnail.
        "thumbnail_url": url if f.content_type.startswith("image/") else None,
        "is_starred": f.is_starred,
    }


def _search_hit(f: DriveFile, tags: list[DriveTag], links: kb.MediaLinks) -> Json:
    return {
        "id": f.id,
        "file_name": f.file_name,
        "file_type": kb.file_kind(f.content_type),
        "file_url": links.url(f),
        "updated_on": f.updated_at,
        "updated_by": f.updated_by,
        "size": str(f.size),
        "height": _dimension(f.height),
        "width": _dimension(f.width),
        "title": f.title,
        "alternative_text": f.alternative_text,
        "is_starred": f.is_starred,
        "parent_folder_id": f.folder_id,
        "tag_ids": [t.id for t in tags],
    }


def _uploaded(f: DriveFile, links: kb.MediaLinks) -> Json:
    return {
        "id": f.id,
        "title": f.title,
        "file_name": f.file_name,
        "file_type": kb.file_kind(f.content_type),
        "file_url": links.url(f),
        "updated_by": f.updated_by,
        "media_folder_id": f.folder_id,
    }


# --- literal routes first: they would otherwise match the {folderId} templates -------------


@router.get("/Folders")
def list_folders(caller: CallerDep, session: SessionDep) -> Response:
    return ok(data=[_folder_node(n) for n in kb.folder_tree(session, caller.project_id)])


@router.post("/Folders")
def create_folder(
    caller: CallerDep, session: SessionDep, body: Annotated[AddFolder | None, Body()] = None
) -> Response:
    if body is None:
        raise Invalid("A non-empty request body is required.")
    folder = kb.create_folder(
        session,
        caller.project_id,
        title=body.title,
        parent_id=body.parent_folder_id,
        user_id=body.user_id,
        order=body.order,
    )
    session.commit()
    return ok(data=_folder_meta(folder))


@router.put("/Folders")
def update_folder(
    caller: CallerDep,
    session: SessionDep,
    folder_id: Annotated[str, Query(alias="folderId")],
    body: Annotated[UpdateFolder | None, Body()] = None,
) -> Response:
    if body is None:
        raise Invalid("A non-empty request body is required.")
    folder = kb.update_folder(
        session,
        caller.project_id,
        folder_id,
        name=body.name,
        order=body.order,
        folder_color=body.folder_color,
        is_starred=body.is_starred,
    )
    session.commit()
    return ok(data=_folder_meta(folder))


@router.post("/Folders/Files")
def upload_files(
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    files: Annotated[list[UploadFile], File()],
    folder_id: Annotated[str, Query(alias="DriveFolderId")],
    user_id: Annotated[str, Query(alias="UserId")],
) -> Response:
    kb.check_upload(session, caller.project_id, folder_id, user_id)
    for upload in files:
        if upload.size is not None and upload.size > DRIVE_UPLOAD_BYTES:
            raise _too_large(upload)
    blobs = _runtime(request).blobs
    added: list[DriveFile] = []
    try:
        for upload in files:
            # Read one byte past the cap: the size the parser reported is not trusted alone.
            data = upload.file.read(DRIVE_UPLOAD_BYTES + 1)
            if len(data) > DRIVE_UPLOAD_BYTES:
                raise _too_large(upload)
            if not data:
                raise Invalid(f"The file '{upload.filename or 'file'}' is empty.")
            added.append(
                kb.add_file(
                    session,
                    blobs,
                    caller.project_id,
                    folder_id=folder_id,
                    file_name=upload.filename or "file",
                    data=data,
                    user_id=user_id,
                )
            )
        session.commit()
    except BaseException:
        session.rollback()
        kb.discard_blobs(blobs, [f.blob_key for f in added])
        raise
    links = media_links(request, session, caller.project_id, False)
    return ok(data=[_uploaded(f, links) for f in added])


def _too_large(upload: UploadFile) -> Invalid:
    return Invalid(
        f"The file '{upload.filename or 'file'}' is larger than {UPLOAD_MB} MB, "
        "Drive's limit for one file."
    )


@router.get("/Folders/DeleteFile/Status/{taskId}")
def delete_status(caller: CallerDep, session: SessionDep, taskId: str) -> Response:
    task = kb.task_status(session, caller.project_id, taskId)
    return ok(
        task_status={"task_id": task.id, "is_complete": task.is_complete, "status": task.status}
    )


@router.get("/Search")
def search(
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    keyword: Annotated[str | None, Query(alias="searchKeyword")] = None,
    page_no: PageNo = 0,
    take: Take = 20,
    images_only: Annotated[bool, Query(alias="allowImagesOnly")] = False,
    user_ids: Annotated[list[str] | None, Query(alias="userIds")] = None,
    from_date: Annotated[datetime | None, Query(alias="filterFromDate")] = None,
    to_date: Annotated[datetime | None, Query(alias="filterToDate")] = None,
    tags: Annotated[list[str] | None, Query(alias="filterTags")] = None,
    append_sas: AppendSas = False,
) -> Response:
    query = kb.FileSearch(
        keyword=keyword,
        page_no=page_no,
        take=take,
        images_only=images_only,
        user_ids=user_ids or [],
        from_date=from_date,
        to_date=to_date,
        tags=tags or [],
    )
    files, count = kb.search_files(session, caller.project_id, query)
    tags_by_file = kb.tags_of(session, (f.id for f in files))
    links = media_links(request, session, caller.project_id, append_sas)
    hits = [_search_hit(f, tags_by_file[f.id], links) for f in files]
    return ok(data={"all_files": hits, "count": count})


@router.get("/MediaFiles/{projectVersionId}/{articleId}/{langCode}")
def article_media(
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    projectVersionId: str,
    articleId: str,
    langCode: str,
    append_sas: AppendSas = False,
) -> Response:
    links = media_links(request, session, caller.project_id, append_sas)
    urls = kb.article_media_urls(
        session, caller.project_id, projectVersionId, articleId, langCode, links
    )
    return ok(article_id=articleId, file_urls=urls)


# --- one folder ---------------------------------------------------------------------------


@router.get("/Folders/{folderId}")
def get_folder(
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    folderId: str,
    append_sas: AppendSas = False,
    page_no: PageNo = 0,
    take: Take = 20,
) -> Response:
    node = kb.subtree(session, caller.project_id, folderId)
    files, total = kb.folder_files(session, caller.project_id, folderId, page_no, take)
    tags_by_file = kb.tags_of(session, (f.id for f in files))
    links = media_links(request, session, caller.project_id, append_sas)
    f = node.folder
    return ok(
        data={
            "id": f.id,
            "title": f.title,
            "order": f.position,
            "parent_folder_id": f.parent_id,
            "files": [_folder_file(file, tags_by_file[file.id], links) for file in files],
            "icon": f.icon,
            # The schema says "Subfolder count in the folder" here; files have files_count.
            "items_count": len(node.children),
            "updated_on": f.updated_at,
            "updated_by": f.updated_by,
            "is_starred": f.is_starred,
            "folder_color": f.folder_color,
            "files_count": total,
            "sub_folders": [_folder_node(child) for child in node.children],
        }
    )


@router.delete("/Folders/{folderId}")
def delete_folder(
    request: Request, caller: CallerDep, session: SessionDep, folderId: str
) -> Response:
    keys = kb.delete_folder(session, caller.project_id, folderId)
    session.commit()
    kb.discard_blobs(_runtime(request).blobs, keys)
    return ok(information=["Deleted folder successfully"])


# --- one file: `folderId` is where the file is listed; for move and copy, the destination --


@router.get("/Folders/{folderId}/{fileId}")
def get_file(
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    folderId: str,
    fileId: str,
    append_sas: AppendSas = False,
) -> Response:
    # The file id alone names the file within the project; the folder a client found it
    # in is not needed to serve it.
    file = kb.get_file(session, caller.project_id, fileId)
    links = media_links(request, session, caller.project_id, append_sas)
    return ok(data=_file_details(file, kb.tags_of(session, [file.id])[file.id], links))


@router.put("/Folders/{folderId}/{fileId}")
def move_file(caller: CallerDep, session: SessionDep, folderId: str, fileId: str) -> Response:
    kb.move_file(session, caller.project_id, fileId, folderId)
    session.commit()
    return ok(information=["File has been moved successfully"])


@router.delete("/Folders/{folderId}/{fileId}")
def delete_file(
    request: Request, caller: CallerDep, session: SessionDep, folderId: str, fileId: str
) -> Response:
    task, key = kb.delete_file(session, caller.project_id, fileId)
    session.commit()
    kb.discard_blobs(_runtime(request).blobs, [key])
    return ok(task_id=task.id)


@router.post("/Folders/{folderId}/{fileId}/Copy")
def copy_file(
    request: Request, caller: CallerDep, session: SessionDep, folderId: str, fileId: str
) -> Response:
    blobs = _runtime(request).blobs
    copy = kb.copy_file(session, blobs, caller.project_id, fileId, folderId)
    try:
        session.commit()
    except BaseException:
        kb.discard_blobs(blobs, [copy.blob_key])
        raise
    return ok(information=["File has been copied successfully."])


@router.post("/Folders/{folderId}/{fileId}/Tags")
def add_tags(
    caller: CallerDep,
    session: SessionDep,
    folderId: str,
    fileId: str,
    user_id: Annotated[str, Query(alias="userId")],
    names: Annotated[list[str], Body()],
) -> Response:
    kb.add_tags(session, caller.project_id, fileId, names, user_id)
    session.commit()
    return ok(information=["Tags added to the file successfully"])


@router.post("/Folders/{folderId}/{fileId}/Tags/Bulkdelete")
def delete_tags(
    caller: CallerDep,
    session: SessionDep,
    folderId: str,
    fileId: str,
    user_id: Annotated[str, Query(alias="userId")],
    tag_ids: Annotated[list[str], Body()],
) -> Response:
    kb.remove_tags(session, caller.project_id, fileId, tag_ids, user_id)
    session.commit()
    return ok(information=["Tags deleted from the file successfully"])
