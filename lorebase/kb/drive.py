"""The Drive (media library): folders, files and their blobs, tags, file-deletion tasks, and
the media URLs article bodies carry (canonical, or signed for private projects)."""

from __future__ import annotations

import hashlib
import hmac
import re
import shutil
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePath
from urllib.parse import quote, unquote

import filetype  # type: ignore[import-untyped]
from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session

from lorebase.db.models import (
    DriveFile,
    DriveFileTag,
    DriveFolder,
    DriveTag,
    DriveTask,
    Project,
    new_id,
    utcnow,
)
from lorebase.kb import articles, workspaces
from lorebase.kb.errors import Invalid, NotFound
from lorebase.kb.revisions import article_revisions
from lorebase.storage import BlobStore

FOLDER_NOT_FOUND = "Folder not found"
FILE_NOT_FOUND = "File not found"
TASK_NOT_FOUND = "Task not found"
TITLE_MAX = 500  # the width of the title and file_name columns
TAG_MAX = 200
MAX_TAKE = 1000
INT32 = (-(2**31), 2**31 - 1)
COLOR = re.compile(r"#(?:[A-Fa-f0-9]{6}|[A-Fa-f0-9]{3})")
# BackgroundTaskStatus: 0 Queued, 1 Initiated, 2 InProgress, 3 Completed, 4 Error, 5 Cancelled.
TASK_COMPLETED = 3
SNIFF_BYTES = 8192

# Types a browser would run script in if it displayed them from our origin: served as
# downloads only (lorebase/api/media.py).
ACTIVE_TYPES = frozenset({"text/html", "image/svg+xml", "application/xml", "text/xml"})


# --- sniffing ------------------------------------------------------------------------------


def sniff_content_type(data: bytes) -> str:
    """The media type of `data`, judged from the bytes alone (never from a file name).

    `filetype` knows binary formats by their magic numbers; text it cannot classify is
    plain UTF-8 text, except that SVG, HTML and XML are recognised so that they can be
    served as downloads rather than rendered.
    """
    kind = filetype.guess(data[:SNIFF_BYTES])
    if kind is not None:
        return str(kind.mime)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    head = text[:SNIFF_BYTES].lstrip("\ufeff \t\r\n").lower()
    if "<svg" in head and (head.startswith(("<svg", "<?xml", "<!--", "<!doctype svg"))):
        return "image/svg+xml"
    if head.startswith(("<!doctype html", "<html", "<head", "<body", "<script")):
        return "text/html"
    if head.startswith("<?xml"):
        return "application/xml"
    return "text/plain"


def file_kind(content_type: str) -> str:
    """Document360's `file_type` word for a media type."""
    major = content_type.split("/", 1)[0]
    if major in ("image", "video", "audio"):
        return major.capitalize()
    if content_type == "application/pdf" or major == "text" or "officedocument" in content_type:
        return "Document"
    return "Other"


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, GIF or JPEG read from its header; None for anything else."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24 and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data[:2] == b"\xff\xd8":
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    # Walk the marker segments to the first start-of-frame (SOF0..SOF15 but DHT/JPG/DAC).
    at = 2
    while at + 9 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:
            at += 1
            continue
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            return int(width), int(height)
        at += 2 + length
    return None


# --- names and keys ------------------------------------------------------------------------


def clean_file_name(name: str | None) -> str:
    """A file name safe as the last segment of a blob key and of a URL path."""
    base = re.split(r"[/\\]", name or "")[-1]
    base = "".join(c for c in base if c.isprintable()).strip()
    if base in ("", ".", ".."):
        return "file"
    if len(base) > TITLE_MAX:
        suffix = PurePath(base).suffix[:20]
        base = base[: TITLE_MAX - len(suffix)] + suffix
    return base


def blob_key(project_id: str, file_id: str, file_name: str) -> str:
    return f"media/{project_id}/{file_id}/{file_name}"


# --- folders -------------------------------------------------------------------------------


@dataclass
class FolderNode:
    folder: DriveFolder
    children: list[FolderNode] = field(default_factory=list)
    file_count: int = 0


def _check_title(title: str | None, label: str) -> str:
    cleaned = (title or "").strip()
    if not cleaned:
        raise Invalid(f"The {label} field is required.")
    if len(cleaned) > TITLE_MAX:
        raise Invalid(f"The {label} must be at most {TITLE_MAX} characters long.")
    return cleaned


def _check_order(order: int | None) -> None:
    if order is not None and not INT32[0] <= order <= INT32[1]:
        raise Invalid(f"The field Order must be between {INT32[0]} and {INT32[1]}.")


def get_folder(session: Session, project_id: str, folder_id: str | None) -> DriveFolder:
    folder = session.get(DriveFolder, folder_id) if folder_id else None
    if folder is None or folder.project_id != project_id:
        raise NotFound(FOLDER_NOT_FOUND)
    return folder


def _folders(session: Session, project_id: str) -> list[DriveFolder]:
    return list(
        session.scalars(
            select(DriveFolder)
            .where(DriveFolder.project_id == project_id)
            .order_by(DriveFolder.position, DriveFolder.title, DriveFolder.id)
        )
    )


def folder_tree(session: Session, project_id: str) -> list[FolderNode]:
    """Every folder of the project, nested, siblings by order then title."""
    counts: dict[str | None, int] = {
        folder_id: count
        for folder_id, count in session.execute(
            select(DriveFile.folder_id, func.count())
            .where(DriveFile.project_id == project_id, DriveFile.folder_id.is_not(None))
            .group_by(DriveFile.folder_id)
        )
    }
    nodes = {
        f.id: FolderNode(f, file_count=counts.get(f.id, 0)) for f in _folders(session, project_id)
    }
    roots: list[FolderNode] = []
    for node in nodes.values():
        parent = nodes.get(node.folder.parent_id or "")
        (parent.children if parent else roots).append(node)
    return roots


def subtree(session: Session, project_id: str, folder_id: str) -> FolderNode:
    get_folder(session, project_id, folder_id)
    stack = folder_tree(session, project_id)
    while stack:
        node = stack.pop()
        if node.folder.id == folder_id:
            return node
        stack.extend(node.children)
    raise NotFound(FOLDER_NOT_FOUND)


def create_folder(
    session: Session,
    project_id: str,
    *,
    title: str | None,
    parent_id: str | None,
    user_id: str | None,
    order: int | None,
) -> DriveFolder:
    name = _check_title(title, "Title")
    _check_order(order)
    if parent_id:
        get_folder(session, project_id, parent_id)
    if user_id:
        workspaces.require_user(session, project_id, user_id)
    if order is None:
        last = session.scalar(
            select(func.max(DriveFolder.position)).where(
                DriveFolder.project_id == project_id,
                DriveFolder.parent_id.is_(None)
                if not parent_id
                else DriveFolder.parent_id == parent_id,
            )
        )
        order = 0 if last is None else last + 1
    folder = DriveFolder(
        project_id=project_id,
        parent_id=parent_id or None,
        title=name,
        position=order,
        is_starred=False,
        updated_by=user_id or None,
    )
    session.add(folder)
    session.flush()
    return folder


def update_folder(
    session: Session,
    project_id: str,
    folder_id: str,
    *,
    name: str | None = None,
    order: int | None = None,
    folder_color: str | None = None,
    is_starred: bool | None = None,
) -> DriveFolder:
    """Change what is given (None leaves a field as it is)."""
    folder = get_folder(session, project_id, folder_id)
    if name is not None:
        folder.title = _check_title(name, "Name")
    if order is not None:
        _check_order(order)
        folder.position = order
    if folder_color is not None:
        if not COLOR.fullmatch(folder_color):
            raise Invalid(
                f"The folder_color '{folder_color}' is not a hexadecimal colour such as "
                "#8852F5 or #85F."
            )
        folder.folder_color = folder_color
    if is_starred is not None:
        folder.is_starred = is_starred
    folder.updated_at = utcnow()
    session.flush()
    return folder


def delete_folder(session: Session, project_id: str, folder_id: str) -> list[str]:
    """Delete the folder with its sub-folders and every file in them; returns the blob keys
    to discard once the transaction has committed.

    Document360 deletes a folder with everything in it (its Drive moves the lot to the
    recycle bin); Lorebase has no recycle bin, so the contents go too, blobs included.
    """
    node = subtree(session, project_id, folder_id)
    ids: list[str] = []
    stack = [node]
    while stack:
        current = stack.pop()
        ids.append(current.folder.id)
        stack.extend(current.children)
    files = list(session.scalars(select(DriveFile).where(DriveFile.folder_id.in_(ids))))
    keys = [f.blob_key for f in files]
    file_ids = [f.id for f in files]
    if file_ids:
        session.execute(delete(DriveFileTag).where(DriveFileTag.file_id.in_(file_ids)))
        session.execute(delete(DriveFile).where(DriveFile.id.in_(file_ids)))
    session.execute(delete(DriveFolder).where(DriveFolder.id.in_(ids)))
    session.expire_all()
    return keys


def ensure_folder_path(
    session: Session, project_id: str, titles: list[str], user_id: str | None
) -> DriveFolder | None:
    """The folder at `titles` (root first), creating the missing ones; None for []."""
    parent: DriveFolder | None = None
    for title in titles:
        parent_id = parent.id if parent else None
        found = session.scalars(
            select(DriveFolder)
            .where(
                DriveFolder.project_id == project_id,
                DriveFolder.title == title,
                DriveFolder.parent_id.is_(None)
                if parent_id is None
                else DriveFolder.parent_id == parent_id,
            )
            .order_by(DriveFolder.created_at, DriveFolder.id)
        ).first()
        if found is None:
            found = DriveFolder(
                project_id=project_id,
                parent_id=parent_id,
                title=_check_title(title, "Title"),
                position=0,
                is_starred=False,
                updated_by=user_id,
            )
            session.add(found)
            session.flush()
        parent = found
    return parent


def folder_path(session: Session, file: DriveFile) -> list[str]:
    """Folder titles from the root to the file's folder ([] for a file at the root)."""
    titles: list[str] = []
    folder_id = file.folder_id
    seen: set[str] = set()
    while folder_id and folder_id not in seen:
        seen.add(folder_id)
        folder = session.get(DriveFolder, folder_id)
        if folder is None:
            break
        titles.append(folder.title)
        folder_id = folder.parent_id
    return titles[::-1]


def project_files(session: Session, project_id: str) -> Iterator[tuple[DriveFile, list[str]]]:
    """Every file of the project with its folder path, ordered by path, name, then id."""
    folders = {f.id: f for f in _folders(session, project_id)}

    def path_of(folder_id: str | None) -> list[str]:
        titles: list[str] = []
        while folder_id and folder_id in folders and len(titles) <= len(folders):
            titles.append(folders[folder_id].title)
            folder_id = folders[folder_id].parent_id
        return titles[::-1]

    rows = [
        (f, path_of(f.folder_id))
        for f in session.scalars(select(DriveFile).where(DriveFile.project_id == project_id))
    ]
    rows.sort(key=lambda row: (row[1], row[0].file_name, row[0].id))
    yield from rows


# --- files ---------------------------------------------------------------------------------


def check_upload(session: Session, project_id: str, folder_id: str, user_id: str) -> None:
    """An upload names an existing folder and team account of the project."""
    get_folder(session, project_id, folder_id)
    workspaces.require_user(session, project_id, user_id)


def add_file(
    session: Session,
    blobs: BlobStore,
    project_id: str,
    *,
    folder_id: str | None,
    file_name: str,
    data: bytes,
    user_id: str | None,
    file_id: str | None = None,
) -> DriveFile:
    """Store `data` as a new Drive file: blob written, row added and flushed, not committed.

    The caller owns the transaction and discards `blob_key` itself if it does not commit.
    `file_id` lets an import that is retried after a crash write the same blob keys again,
    so the attempt that died leaves nothing behind.
    """
    if folder_id:
        get_folder(session, project_id, folder_id)
    name = clean_file_name(file_name)
    content_type = sniff_content_type(data)
    size = image_size(data) if content_type.startswith("image/") else None
    file = DriveFile(
        id=file_id or new_id(),
        project_id=project_id,
        folder_id=folder_id or None,
        file_name=name,
        title=PurePath(name).stem or name,
        content_type=content_type,
        size=len(data),
        width=size[0] if size else None,
        height=size[1] if size else None,
        is_starred=False,
        updated_by=user_id,
    )
    file.blob_key = blob_key(project_id, file.id, name)
    blobs.put_bytes(file.blob_key, data)
    session.add(file)
    try:
        session.flush()
    except Exception:
        blobs.delete(file.blob_key)
        raise
    return file


def get_file(session: Session, project_id: str, file_id: str) -> DriveFile:
    file = session.get(DriveFile, file_id)
    if file is None or file.project_id != project_id:
        raise NotFound(FILE_NOT_FOUND)
    return file


def tags_of(session: Session, file_ids: Iterable[str]) -> dict[str, list[DriveTag]]:
    """The tags of each file, by name."""
    ids = list(file_ids)
    found: dict[str, list[DriveTag]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = session.execute(
        select(DriveFileTag.file_id, DriveTag)
        .join(DriveTag, DriveTag.id == DriveFileTag.tag_id)
        .where(DriveFileTag.file_id.in_(ids))
        .order_by(DriveTag.name, DriveTag.id)
    )
    for file_id, tag in rows:
        found[file_id].append(tag)
    return found


def folder_files(
    session: Session, project_id: str, folder_id: str, page_no: int, take: int
) -> tuple[list[DriveFile], int]:
    """One page of the folder's files (by name) and how many it holds in all."""
    get_folder(session, project_id, folder_id)
    _check_page(page_no, take)
    where = and_(DriveFile.project_id == project_id, DriveFile.folder_id == folder_id)
    total = session.scalar(select(func.count()).select_from(DriveFile).where(where)) or 0
    files = session.scalars(
        select(DriveFile)
        .where(where)
        .order_by(DriveFile.file_name, DriveFile.id)
        .offset(page_no * take)
        .limit(take)
    )
    return list(files), total


def _check_page(page_no: int, take: int) -> None:
    if page_no < 0:
        raise Invalid("The pageNo must be 0 or more (pages are numbered from 0).")
    if not 1 <= take <= MAX_TAKE:
        raise Invalid(f"The take must be between 1 and {MAX_TAKE}.")


def move_file(session: Session, project_id: str, file_id: str, folder_id: str) -> DriveFile:
    file = get_file(session, project_id, file_id)
    file.folder_id = get_folder(session, project_id, folder_id).id
    file.updated_at = utcnow()
    session.flush()
    return file


def copy_file(
    session: Session, blobs: BlobStore, project_id: str, file_id: str, folder_id: str
) -> DriveFile:
    """A new file (own id, own blob, same tags) in `folder_id`; flushed, not committed."""
    source = get_file(session, project_id, file_id)
    folder = get_folder(session, project_id, folder_id)
    copy = DriveFile(
        id=new_id(),
        project_id=project_id,
        folder_id=folder.id,
        file_name=source.file_name,
        title=source.title,
        content_type=source.content_type,
        size=source.size,
        width=source.width,
        height=source.height,
        alternative_text=source.alternative_text,
        is_starred=False,
        updated_by=source.updated_by,
    )
    copy.blob_key = blob_key(project_id, copy.id, copy.file_name)
    with blobs.open_reader(source.blob_key) as reader, blobs.open_writer(copy.blob_key) as writer:
        shutil.copyfileobj(reader, writer, 1 << 20)
    session.add(copy)
    try:
        session.flush()
        for tag in tags_of(session, [source.id])[source.id]:
            session.add(DriveFileTag(file_id=copy.id, tag_id=tag.id))
        session.flush()
    except Exception:
        blobs.delete(copy.blob_key)
        raise
    return copy


def delete_file(session: Session, project_id: str, file_id: str) -> tuple[DriveTask, str]:
    """Delete the file's row and record the task Document360 reports on; returns the task
    and the blob key to discard once the transaction has committed.

    Document360 deletes asynchronously; here the deletion is done when the request
    commits, so the task is recorded as already completed.
    """
    file = get_file(session, project_id, file_id)
    key = file.blob_key
    session.execute(delete(DriveFileTag).where(DriveFileTag.file_id == file.id))
    session.delete(file)
    task = DriveTask(project_id=project_id, status=TASK_COMPLETED, is_complete=True)
    session.add(task)
    session.flush()
    return task, key


def discard_blobs(blobs: BlobStore, keys: Iterable[str]) -> None:
    for key in keys:
        blobs.delete(key)


def task_status(session: Session, project_id: str, task_id: str) -> DriveTask:
    task = session.get(DriveTask, task_id)
    if task is None or task.project_id != project_id:
        raise NotFound(TASK_NOT_FOUND)
    return task


def add_tags(
    session: Session, project_id: str, file_id: str, names: list[str], user_id: str | None
) -> list[DriveTag]:
    """Tag the file with each name, creating the project's tags that do not exist yet."""
    workspaces.require_user(session, project_id, user_id)
    file = get_file(session, project_id, file_id)
    wanted: list[str] = []
    for raw in names:
        name = raw.strip() if isinstance(raw, str) else ""
        if not name:
            raise Invalid("Tag names must not be empty.")
        if len(name) > TAG_MAX:
            raise Invalid(f"The tag '{name[:40]}…' is longer than {TAG_MAX} characters.")
        if name not in wanted:
            wanted.append(name)
    if not wanted:
        raise Invalid("Send at least one tag name.")
    existing = {
        t.name: t
        for t in session.scalars(
            select(DriveTag).where(DriveTag.project_id == project_id, DriveTag.name.in_(wanted))
        )
    }
    linked = {t.id for t in tags_of(session, [file.id])[file.id]}
    tags: list[DriveTag] = []
    for name in wanted:
        tag = existing.get(name)
        if tag is None:
            tag = DriveTag(project_id=project_id, name=name)
            session.add(tag)
            session.flush()
        if tag.id not in linked:
            session.add(DriveFileTag(file_id=file.id, tag_id=tag.id))
        tags.append(tag)
    file.updated_at = utcnow()
    session.flush()
    return tags


def remove_tags(
    session: Session, project_id: str, file_id: str, tag_ids: list[str], user_id: str | None
) -> None:
    """Untag the file; every id must be one of its tags."""
    workspaces.require_user(session, project_id, user_id)
    file = get_file(session, project_id, file_id)
    if not tag_ids:
        raise Invalid("Send at least one tag id.")
    linked = {t.id for t in tags_of(session, [file.id])[file.id]}
    unknown = [t for t in tag_ids if t not in linked]
    if unknown:
        raise Invalid(f"The file has no tag with id '{unknown[0]}'.")
    session.execute(
        delete(DriveFileTag).where(
            DriveFileTag.file_id == file.id, DriveFileTag.tag_id.in_(tag_ids)
        )
    )
    file.updated_at = utcnow()
    session.flush()


@dataclass(frozen=True)
class FileSearch:
    keyword: str | None = None
    page_no: int = 0
    take: int = 20
    images_only: bool = False
    user_ids: list[str] = field(default_factory=list)
    from_date: datetime | None = None
    to_date: datetime | None = None
    tags: list[str] = field(default_factory=list)


def search_files(
    session: Session, project_id: str, query: FileSearch
) -> tuple[list[DriveFile], int]:
    """One page of the project's files matching every given filter, newest first, and the
    number of matches. `tags` match tag ids or names."""
    _check_page(query.page_no, query.take)
    conditions = [DriveFile.project_id == project_id]
    if query.keyword and query.keyword.strip():
        pattern = "%" + _escape_like(query.keyword.strip().lower()) + "%"
        conditions.append(
            or_(
                func.lower(DriveFile.file_name).like(pattern, escape="\\"),
                func.lower(DriveFile.title).like(pattern, escape="\\"),
            )
        )
    if query.images_only:
        conditions.append(DriveFile.content_type.like("image/%"))
    if query.user_ids:
        conditions.append(DriveFile.updated_by.in_(query.user_ids))
    if query.from_date:
        conditions.append(DriveFile.updated_at >= query.from_date)
    if query.to_date:
        conditions.append(DriveFile.updated_at <= query.to_date)
    if query.tags:
        tagged = (
            select(DriveFileTag.file_id)
            .join(DriveTag, DriveTag.id == DriveFileTag.tag_id)
            .where(
                DriveTag.project_id == project_id,
                or_(DriveTag.id.in_(query.tags), DriveTag.name.in_(query.tags)),
            )
        )
        conditions.append(DriveFile.id.in_(tagged))
    where = and_(*conditions)
    total = session.scalar(select(func.count()).select_from(DriveFile).where(where)) or 0
    files = session.scalars(
        select(DriveFile)
        .where(where)
        .order_by(DriveFile.updated_at.desc(), DriveFile.id)
        .offset(query.page_no * query.take)
        .limit(query.take)
    )
    return list(files), total


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --- media URLs ----------------------------------------------------------------------------


def media_url(base_url: str, project_id: str, file_id: str, file_name: str) -> str:
    """The canonical, unsigned URL of a media file."""
    return f"{base_url.rstrip('/')}/media/{project_id}/{file_id}/{quote(file_name, safe='')}"


# Path segments and query stop at anything that ends a URL in Markdown, HTML or JSON text.
_SEGMENT = r"[^/\s\"'<>()\\?#]+"
_QUERY = r"(?:\?[^\s\"'<>()\\#]*)?"


def _media_pattern(base_url: str) -> re.Pattern[str]:
    return re.compile(
        re.escape(base_url.rstrip("/"))
        + rf"/media/({_SEGMENT})/({_SEGMENT})/({_SEGMENT})({_QUERY})"
    )


def media_refs(text: str, base_url: str) -> list[tuple[str, str, str]]:
    """(project_id, file_id, file_name) of each distinct media URL of this server in `text`,
    in order of first appearance."""
    refs: list[tuple[str, str, str]] = []
    for match in _media_pattern(base_url).finditer(text):
        ref = (match[1], match[2], unquote(match[3]))
        if ref not in refs:
            refs.append(ref)
    return refs


def media_signature(
    secret: bytes, project_id: str, file_id: str, file_name: str, expires: int
) -> str:
    message = f"media\n{project_id}\n{file_id}\n{file_name}\n{expires}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def verify_media_signature(
    secret: bytes,
    project_id: str,
    file_id: str,
    file_name: str,
    expires: str | None,
    signature: str | None,
    now: float,
) -> bool:
    """True if (se, sig) were issued by this server for this file and have not expired."""
    if not expires or not signature or not expires.isdigit() or len(expires) > 12:
        return False
    if now >= int(expires):
        return False
    expected = media_signature(secret, project_id, file_id, file_name, int(expires))
    return hmac.compare_digest(expected, signature)


def sign_media_urls(text: str, base_url: str, secret: bytes, ttl: int, now: float) -> str:
    """Append `se=<epoch expiry>&sig=<hex HMAC>` to each media URL of this server in `text`
    (the shape of Document360's SAS tokens), replacing any se/sig already there."""
    expires = int(now) + ttl

    def signed(match: re.Match[str]) -> str:
        project_id, file_id, name = match[1], match[2], unquote(match[3])
        kept = [
            part
            for part in match[4].lstrip("?").split("&")
            if part and part.removeprefix("amp;").split("=", 1)[0] not in ("se", "sig")
        ]
        sig = media_signature(secret, project_id, file_id, name, expires)
        query = "&".join([*kept, f"se={expires}", f"sig={sig}"])
        return match[0][: len(match[0]) - len(match[4])] + "?" + query

    return _media_pattern(base_url).sub(signed, text)


@dataclass(frozen=True)
class MediaLinks:
    """How file URLs are written for one response: signed when `secret` is set."""

    base_url: str
    secret: bytes | None = None
    ttl: int = 0
    now: float = 0.0

    def url(self, file: DriveFile) -> str:
        url = media_url(self.base_url, file.project_id, file.id, file.file_name)
        if self.secret is None:
            return url
        return sign_media_urls(url, self.base_url, self.secret, self.ttl, self.now)


def project_is_private(session: Session, project_id: str) -> bool:
    return bool(session.scalar(select(Project.is_private).where(Project.id == project_id)))


def find_media(session: Session, project_id: str, file_id: str, file_name: str) -> DriveFile:
    """The file a media URL names; the project, id and name must all agree."""
    file = session.get(DriveFile, file_id)
    if file is None or file.project_id != project_id or file.file_name != file_name:
        raise NotFound(FILE_NOT_FOUND)
    return file


def article_media_urls(
    session: Session,
    project_id: str,
    workspace_id: str,
    article_id: str,
    lang: str,
    links: MediaLinks,
) -> list[str]:
    """URLs of this project's Drive files that the latest revision of the article in `lang`
    links to (files deleted since are left out)."""
    located = articles.locate(session, project_id, article_id)
    if located.scope.id != workspace_id:
        raise NotFound(articles.NOT_FOUND)
    code = located.scope.language(lang)
    tr = article_revisions.translation(session, article_id, code)
    if tr is None:
        raise NotFound(articles.NOT_FOUND)
    rev = article_revisions.revision(session, article_id, code, tr.latest_version)
    body = "\n".join(part for part in (rev.content, rev.html_content) if part) if rev else ""
    ids = [fid for pid, fid, _ in media_refs(body, links.base_url) if pid == project_id]
    if not ids:
        return []
    files = {
        f.id: f
        for f in session.scalars(
            select(DriveFile).where(DriveFile.project_id == project_id, DriveFile.id.in_(ids))
        )
    }
    return [links.url(files[i]) for i in dict.fromkeys(ids) if i in files]
