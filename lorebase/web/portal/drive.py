"""The portal's Drive: the project's media folders and files, uploads (the page's form, and the
JSON route the editor calls when an author pastes or drops an image), search by name, folders
created, renamed and deleted, files moved and deleted."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

import orjson
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as StarletteUpload

from lorebase.api.limits import DRIVE_UPLOAD_BYTES
from lorebase.auth.roles import Permission
from lorebase.auth.sessions import SignedIn
from lorebase.db.models import DriveFile
from lorebase.kb import drive as kb
from lorebase.kb.errors import Invalid, KbError, NotFound
from lorebase.web.pages import redirect
from lorebase.web.portal.desk import portal_page, reading, writing
from lorebase.web.visitor import (
    BROWSER_GUARDS,
    BrowserError,
    Requirement,
    Visitor,
    VisitorDep,
    runtime_of,
)

router = APIRouter(include_in_schema=False, dependencies=BROWSER_GUARDS)
Writer = Annotated[SignedIn, Depends(Requirement(Permission.WRITE_DRAFTS))]
Organiser = Annotated[SignedIn, Depends(Requirement(Permission.ORGANISE))]

PAGE_SIZE = 50
LAST_PAGE = 100_000
UPLOAD_MB = DRIVE_UPLOAD_BYTES // (1024 * 1024)
DONE = {
    "uploaded": "The files are uploaded.",
    "folder-created": "The folder is created.",
    "renamed": "The folder is renamed.",
    "folder-deleted": "The folder is deleted with everything in it.",
    "moved": "The file is moved.",
    "file-deleted": "The file is deleted.",
}
NO_FOLDER = "No such folder"
NO_FILE = "No such file"
GONE = "It may have been deleted meanwhile."


@dataclass(frozen=True)
class FolderChoice:
    """A folder in the "Move to" lists, indented by its depth."""

    id: str
    title: str
    depth: int


@dataclass(frozen=True)
class FileRow:
    id: str
    name: str
    kind: str
    size: str
    updated: str
    updated_iso: str
    # Where the browser fetches it (signed for a private project); same-origin for the CSP.
    href: str
    is_image: bool
    width: int | None
    height: int | None
    # `![alt](canonical URL)`, as an article body links to a Drive image.
    markdown: str
    folder_id: str | None
    folder_title: str


@dataclass(frozen=True)
class StoredFile:
    id: str
    name: str
    url: str
    markdown: str


def _flatten(nodes: list[kb.FolderNode], depth: int = 0) -> list[FolderChoice]:
    found: list[FolderChoice] = []
    for node in nodes:
        found.append(FolderChoice(node.folder.id, node.folder.title, depth))
        found.extend(_flatten(node.children, depth + 1))
    return found


def _find(nodes: list[kb.FolderNode], folder_id: str) -> kb.FolderNode | None:
    pending = list(nodes)
    while pending:
        node = pending.pop()
        if node.folder.id == folder_id:
            return node
        pending.extend(node.children)
    return None


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _alt(text: str) -> str:
    """Text safe inside Markdown's `![…]`: brackets and backslashes escaped."""
    return "".join("\\" + c if c in "[]\\" else c for c in text)


def markdown_of(file: DriveFile, url: str) -> str:
    return f"![{_alt(file.title or file.file_name)}]({url})"


def _shows_inline(content_type: str) -> bool:
    # SVG is an image, but one a browser would run script in: Drive serves it as a download
    # (kb.drive.ACTIVE_TYPES), so a page cannot show it.
    return content_type.startswith("image/") and content_type not in kb.ACTIVE_TYPES


def _links(
    request: Request, session: Session, project_id: str
) -> tuple[kb.MediaLinks, kb.MediaLinks]:
    """(canonical, shown): article bodies carry the canonical URL; the browser fetches the
    signed one when the project is private, as the v2 Drive reads do with appendSASToken."""
    settings = runtime_of(request).settings
    canonical = kb.MediaLinks(settings.public_base_url)
    if not kb.project_is_private(session, project_id):
        return canonical, canonical
    signed = kb.MediaLinks(
        settings.public_base_url, runtime_of(request).secret, settings.media_url_ttl, time.time()
    )
    return canonical, signed


def _same_origin(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _page_number(text: str) -> int:
    try:
        number = int(text[:12])
    except ValueError:
        return 1
    return min(max(number, 1), LAST_PAGE)


def drive_query(folder: str = "", q: str = "", page: int = 1, done: str = "") -> str:
    """`?folder=…&q=…&page=…&done=…` for a link back to the Drive, empty fields left out."""
    fields = {"folder": folder, "q": q, "page": str(page) if page > 1 else "", "done": done}
    kept = {key: value for key, value in fields.items() if value}
    return "?" + urlencode(kept) if kept else ""


def _back(visitor: Visitor, folder: str, done: str) -> Response:
    """Back to the Drive at `folder`, with the notice for what was `done`."""
    return redirect(visitor, f"/portal/drive{drive_query(folder=folder, done=done)}")


def _gone(what: str = NO_FOLDER) -> BrowserError:
    return BrowserError(404, what, GONE, back=("/portal/drive", "Drive"))


# --- the page ----------------------------------------------------------------------------


def _drive_page(
    request: Request,
    visitor: Visitor,
    me: SignedIn,
    *,
    folder: str = "",
    q: str = "",
    page_number: int = 1,
    status: int = 200,
    notice: str = "",
    problem: str = "",
    field: str = "",
    typed: str = "",
) -> HTMLResponse:
    keyword = q.strip()
    with reading(request) as session:
        roots = kb.folder_tree(session, me.project_id)
        current = _find(roots, folder) if folder else None
        if folder and current is None:
            raise _gone()
        offset = page_number - 1
        if keyword or current is None:
            search = kb.FileSearch(keyword=keyword or None, page_no=offset, take=PAGE_SIZE)
            files, total = kb.search_files(session, me.project_id, search)
        else:
            files, total = kb.folder_files(
                session, me.project_id, current.folder.id, offset, PAGE_SIZE
            )
        canonical, shown = _links(request, session, me.project_id)
    choices = _flatten(roots)
    titles = {choice.id: choice.title for choice in choices}
    rows = [
        FileRow(
            id=f.id,
            name=f.file_name,
            kind=kb.file_kind(f.content_type),
            size=_size(f.size),
            updated=f.updated_at.strftime("%Y-%m-%d %H:%M UTC"),
            updated_iso=f.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            href=_same_origin(shown.url(f)),
            is_image=_shows_inline(f.content_type),
            width=f.width,
            height=f.height,
            markdown=markdown_of(f, canonical.url(f)) if _shows_inline(f.content_type) else "",
            folder_id=f.folder_id,
            folder_title=titles.get(f.folder_id or "", "Drive (no folder)"),
        )
        for f in files
    ]
    pages = max(1, -(-total // PAGE_SIZE))
    here = current.folder.id if current and not keyword else ""
    return portal_page(
        request,
        visitor,
        me,
        "portal/drive.html",
        title="Drive",
        section="drive",
        status=status,
        roots=roots,
        current=current.folder if current else None,
        current_children=len(current.children) if current else 0,
        choices=choices,
        files=rows,
        total=total,
        q=keyword,
        page_number=page_number,
        pages=pages,
        previous_href=drive_query(folder=here, q=keyword, page=page_number - 1)
        if page_number > 1
        else "",
        next_href=drive_query(folder=here, q=keyword, page=page_number + 1)
        if page_number < pages
        else "",
        upload_mb=UPLOAD_MB,
        notice=notice,
        problem=problem,
        field=field,
        typed=typed,
    )


@router.get("/portal/drive")
def drive(
    request: Request,
    visitor: VisitorDep,
    me: Writer,
    folder: str = "",
    q: str = "",
    page: str = "1",
    done: str = "",
) -> Response:
    return _drive_page(
        request,
        visitor,
        me,
        folder=folder[:64],
        q=q[:200],
        page_number=_page_number(page),
        notice=DONE.get(done, ""),
    )


# --- uploads: the v2 route's limits and messages ------------------------------------------


def _too_large(upload: StarletteUpload) -> Invalid:
    return Invalid(
        f"The file '{upload.filename or 'file'}' is larger than {UPLOAD_MB} MB, "
        "Drive's limit for one file."
    )


def _chosen(parts: list[Any]) -> list[StarletteUpload]:
    """The files among the parts sent (a file field left empty arrives as a text part, or a
    nameless empty file)."""
    return [u for u in parts if isinstance(u, StarletteUpload) and (u.filename or u.size)]


def store_uploads(
    request: Request,
    me: SignedIn,
    uploads: list[StarletteUpload],
    folder_id: str,
    *,
    images_only: bool = False,
) -> list[StoredFile]:
    """Store every upload in Drive in one transaction (all or none), as POST
    /v2/Drive/Folders/Files does: the size cap checked on the bytes read, the type sniffed
    from them. `images_only` refuses anything a page cannot show as an image."""
    if not uploads:
        raise Invalid("Choose a file to upload.")
    for upload in uploads:
        if upload.size is not None and upload.size > DRIVE_UPLOAD_BYTES:
            raise _too_large(upload)
    blobs = runtime_of(request).blobs
    written: list[str] = []
    try:
        with writing(request) as session:
            canonical, _ = _links(request, session, me.project_id)
            stored: list[StoredFile] = []
            for upload in uploads:
                # Read one byte past the cap: the size the parser reported is not trusted alone.
                data = upload.file.read(DRIVE_UPLOAD_BYTES + 1)
                if len(data) > DRIVE_UPLOAD_BYTES:
                    raise _too_large(upload)
                if not data:
                    raise Invalid(f"The file '{upload.filename or 'file'}' is empty.")
                if images_only and not _shows_inline(kb.sniff_content_type(data)):
                    raise Invalid(
                        f"The file '{upload.filename or 'file'}' is not an image a page can "
                        "show (PNG, JPEG, GIF, WebP…)."
                    )
                file = kb.add_file(
                    session,
                    blobs,
                    me.project_id,
                    folder_id=folder_id or None,
                    file_name=upload.filename or "file",
                    data=data,
                    user_id=me.user_id,
                )
                written.append(file.blob_key)
                url = canonical.url(file)
                stored.append(StoredFile(file.id, file.file_name, url, markdown_of(file, url)))
    except BaseException:
        kb.discard_blobs(blobs, written)
        raise
    return stored


async def _upload_form(request: Request) -> tuple[list[StarletteUpload], str]:
    """The files and folder id a form sent. Read here rather than by declared parameters: a
    file field left empty arrives as a text part, which is "no file", not a malformed form."""
    try:
        form = await request.form()
    except Exception:
        raise Invalid("The upload could not be read; send the file again.") from None
    folder = form.get("folder")
    return _chosen(form.getlist("file")), folder[:64] if isinstance(folder, str) else ""


@router.post("/portal/drive/files")
async def upload_files(request: Request, visitor: VisitorDep, me: Writer) -> Response:
    folder_id = ""
    try:
        uploads, folder_id = await _upload_form(request)
        await run_in_threadpool(store_uploads, request, me, uploads, folder_id)
    except NotFound:
        raise _gone() from None
    except KbError as error:
        refused = partial(
            _drive_page, folder=folder_id, status=400, problem=error.message, field="upload"
        )
        return await run_in_threadpool(refused, request, visitor, me)
    return _back(visitor, folder_id, "uploaded")


def _json(body: dict[str, str], status: int = 200) -> Response:
    return Response(
        orjson.dumps(body),
        status,
        media_type="application/json",
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


@router.post("/portal/drive/upload")
async def paste_upload(request: Request, me: Writer) -> Response:
    """An image the author pasted or dropped in the editor: stored in Drive (in `folder`, or
    at Drive's top level, outside every folder), answered with the Markdown that links it."""
    try:
        uploads, folder_id = await _upload_form(request)
        if len(uploads) > 1:
            raise Invalid("Send one image at a time.")
        (stored,) = await run_in_threadpool(
            store_uploads, request, me, uploads, folder_id, images_only=True
        )
    except NotFound as error:
        return _json({"error": error.message}, 404)
    except KbError as error:
        return _json({"error": error.message}, 400)
    return _json(
        {"id": stored.id, "url": stored.url, "name": stored.name, "markdown": stored.markdown}
    )


# --- folders and files ------------------------------------------------------------------


@dataclass(frozen=True)
class DriveChange:
    """A form posted to change a folder or a file in the Drive: who sent it."""

    request: Request
    visitor: Visitor
    me: SignedIn

    def run(
        self,
        done: str,
        change: Callable[[Session], str],
        *,
        folder: str = "",
        field: str = "",
        typed: str = "",
    ) -> Response:
        """Run `change(session)` in one transaction; back to the Drive at the folder it
        answers, or to the Drive at `folder` with why not (next to `field`, `typed` kept)."""
        try:
            with writing(self.request) as session:
                shown = change(session)
        except NotFound as error:
            raise _gone(NO_FILE if error.message == kb.FILE_NOT_FOUND else NO_FOLDER) from None
        except KbError as error:
            return _drive_page(
                self.request,
                self.visitor,
                self.me,
                folder=folder,
                status=400,
                problem=error.message,
                field=field,
                typed=typed,
            )
        return _back(self.visitor, shown, done)


def _drive_change(request: Request, visitor: VisitorDep, me: Writer) -> DriveChange:
    return DriveChange(request, visitor, me)


Changing = Annotated[DriveChange, Depends(_drive_change)]


@router.post("/portal/drive/folders")
def create_folder(
    it: Changing,
    name: Annotated[str, Form()] = "",
    parent: Annotated[str, Form()] = "",
) -> Response:
    def create(session: Session) -> str:
        made = kb.create_folder(
            session,
            it.me.project_id,
            title=name,
            parent_id=parent[:64] or None,
            user_id=it.me.user_id,
            order=None,
        )
        return made.id

    return it.run("folder-created", create, folder=parent[:64], field="new-folder", typed=name)


@router.post("/portal/drive/folders/{folder_id}/rename")
def rename_folder(it: Changing, folder_id: str, name: Annotated[str, Form()] = "") -> Response:
    folder_id = folder_id[:64]

    def rename(session: Session) -> str:
        kb.update_folder(session, it.me.project_id, folder_id, name=name)
        return folder_id

    return it.run("renamed", rename, folder=folder_id, field="rename", typed=name)


@router.post("/portal/drive/folders/{folder_id}/delete")
def delete_folder(request: Request, visitor: VisitorDep, me: Organiser, folder_id: str) -> Response:
    try:
        with writing(request) as session:
            parent = kb.get_folder(session, me.project_id, folder_id[:64]).parent_id or ""
            keys = kb.delete_folder(session, me.project_id, folder_id[:64])
    except NotFound:
        raise _gone() from None
    kb.discard_blobs(runtime_of(request).blobs, keys)
    return _back(visitor, parent, "folder-deleted")


@router.post("/portal/drive/files/{file_id}/move")
def move_file(it: Changing, file_id: str, folder: Annotated[str, Form()] = "") -> Response:
    def move(session: Session) -> str:
        kb.get_file(session, it.me.project_id, file_id[:64])
        if not folder:
            raise Invalid("Choose the folder to move the file to.")
        moved = kb.move_file(session, it.me.project_id, file_id[:64], folder[:64])
        return moved.folder_id or ""

    return it.run("moved", move)


@router.post("/portal/drive/files/{file_id}/delete")
def delete_file(
    request: Request,
    visitor: VisitorDep,
    me: Organiser,
    file_id: str,
    folder: Annotated[str, Form()] = "",
) -> Response:
    try:
        with writing(request) as session:
            _, key = kb.delete_file(session, me.project_id, file_id[:64])
    except NotFound:
        raise _gone(NO_FILE) from None
    kb.discard_blobs(runtime_of(request).blobs, [key])
    return _back(visitor, folder[:64], "file-deleted")
