"""The portal's import and export: a Document360 export ZIP uploaded (or fetched from its URL)
and imported, an export started in one of Lorebase's formats, the project's recent jobs, and
each job's page with its progress and log, kept up to date by htmx polling until it ends.

The jobs are the API's (`exchange.service`): the same checks, the same queue, the same
workers; the signed-in person is the importer."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from lorebase.auth.roles import Permission
from lorebase.auth.sessions import SignedIn
from lorebase.db.models import Job, new_id
from lorebase.exchange import history, service
from lorebase.exchange.formats import HTML, supported_formats
from lorebase.exchange.tasks import upload_key
from lorebase.jobs import queue
from lorebase.kb import categories, workspaces
from lorebase.kb.errors import KbError
from lorebase.web.pages import redirect
from lorebase.web.portal.desk import portal_page, reading, writing
from lorebase.web.portal.tree import ParentChoice, flatten
from lorebase.web.visitor import (
    BROWSER_GUARDS,
    BrowserError,
    Requirement,
    Visitor,
    VisitorDep,
    runtime_of,
)

router = APIRouter(include_in_schema=False, dependencies=BROWSER_GUARDS)
Manager = Annotated[SignedIn, Depends(Requirement(Permission.MANAGE_PROJECT))]

FORMATS = {
    "json": ("JSON ZIP", "Document360's export format: imports into Lorebase or Document360."),
    "html": ("HTML site", "An offline documentation site that opens from its files."),
    "markdown": ("Markdown", "Markdown files in folders by category; imports back into Lorebase."),
    "pdf": ("PDF", "A ZIP of PDFs, one per workspace and language, with a table of contents."),
}
SCOPES = {"project": "The whole project", "version": "One workspace", "category": "One category"}
STATUS_WORDS = {
    queue.QUEUED: "Queued",
    queue.IN_PROGRESS: "In progress",
    queue.COMPLETED: "Completed",
    queue.ERROR: "Failed",
}
FINISHED = frozenset({queue.COMPLETED, queue.ERROR})
MESSAGE_WORDS = {
    queue.MESSAGE_ERROR: "Error",
    queue.MESSAGE_WARNING: "Warning",
    queue.MESSAGE_INFO: "Info",
}
IMPORT_COUNTS = {
    "new_versions": "New workspaces",
    "categories": "Categories",
    "articles": "Articles",
    "languages": "Languages",
}
EXPORT_COUNTS = {
    "workspaces": "Workspaces",
    "categories": "Categories",
    "articles": "Articles",
    "media": "Media files",
    "files": "Files in the ZIP",
}
# An import of thousands of articles logs a line for each problem: a page (polled every
# second) shows the latest ones.
LOG_SHOWN = 200
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
URL_MAX = 2000
NO_JOB = "No such job"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class FormProblem(Exception):
    """A form sent back with `message` next to `field` (or above the forms when empty)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class ExportTyped:
    """What the export form was sent, to fill it again when it is refused."""

    format: str = ""
    scope: str = "project"
    workspace: str = ""
    category: str = ""
    language: str = ""
    after: str = ""
    before: str = ""
    exclude_media: bool = False


@dataclass(frozen=True)
class ImportTyped:
    source_url: str = ""
    publish: bool = False


@dataclass(frozen=True)
class JobRow:
    id: str
    kind: str
    kind_label: str
    what: str
    status: str
    status_word: str
    finished: bool
    created: str
    started: str
    started_iso: str
    ended: str
    ended_iso: str
    progress_value: int | None  # None: not known yet (an indeterminate bar)
    progress_max: int
    progress_text: str

    @property
    def name(self) -> str:
        return f"{self.kind_label} of {self.created}"


@dataclass(frozen=True)
class LogLine:
    kind: str
    message: str
    is_error: bool


@dataclass(frozen=True)
class JobDetail:
    row: JobRow
    log: list[LogLine]
    earlier: int  # log lines not shown
    error: str
    counts: list[tuple[str, int | str]]
    download_url: str = ""
    download_gone: bool = False


@dataclass(frozen=True)
class CategoryGroup:
    workspace: str
    choices: list[ParentChoice] = field(default_factory=list)


def _printable(value: str) -> str:
    """A typed id or address without control characters (PostgreSQL text holds no NUL; no
    id or URL has any)."""
    return _CONTROL.sub("", value)


def _when(moment: datetime | None) -> tuple[str, str]:
    """(as shown, ISO 8601) of a moment stored in UTC."""
    if moment is None:
        return "", ""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.strftime("%Y-%m-%d %H:%M:%S UTC"), aware.isoformat()


def _progress(job: Job) -> tuple[int | None, int, str]:
    done, total = job.progress_done, job.progress_total
    if job.status == queue.COMPLETED:
        return (total or 1), (total or 1), "Done" + (f": {done} of {total}" if total else "")
    if job.status == queue.ERROR:
        return (done, total, f"Stopped at {done} of {total}") if total else (None, 1, "Stopped")
    if job.status == queue.QUEUED:
        return None, 1, "Waiting for a worker"
    if not total:
        return None, 1, "Starting"
    return min(done, total), total, f"{done} of {total} ({done * 100 // total}%)"


def _what(job: Job, workspace_names: dict[str, str]) -> str:
    params = job.params or {}
    if job.kind == service.IMPORT:
        upload = params.get("upload_key")
        source = "Uploaded ZIP" if upload else f"ZIP from {params.get('source_url')}"
        published = "articles published" if params.get("publish") else "articles kept as drafts"
        return f"{source[:120]} · {published}"
    label = FORMATS.get(str(params.get("format", "json")), (str(params.get("format")), ""))[0]
    entity = str(params.get("entity", "Project"))
    chosen = params.get("category_ids") or []
    if entity == "Category":
        scope = f"{len(chosen)} categor{'y' if len(chosen) == 1 else 'ies'}"
    elif entity == "Version":
        ids = params.get("workspace_ids") or []
        scope = "workspace " + ", ".join(workspace_names.get(i, i) for i in ids)
    else:
        scope = "whole project"
    languages = params.get("languages") or []
    return " · ".join([label, scope, *([", ".join(languages)] if languages else [])])


def _row(job: Job, workspace_names: dict[str, str]) -> JobRow:
    value, maximum, text = _progress(job)
    started, started_iso = _when(job.started_at)
    ended, ended_iso = _when(job.finished_at if job.status in FINISHED else None)
    return JobRow(
        id=job.id,
        kind=job.kind,
        kind_label="Export" if job.kind == service.EXPORT else "Import",
        what=_what(job, workspace_names),
        status=job.status,
        status_word=STATUS_WORDS.get(job.status, job.status),
        finished=job.status in FINISHED,
        created=_when(job.created_at)[0],
        started=started,
        started_iso=started_iso,
        ended=ended,
        ended_iso=ended_iso,
        progress_value=value,
        progress_max=maximum,
        progress_text=text,
    )


def _workspace_names(session: Session, project_id: str) -> dict[str, str]:
    return {w.id: w.version_code_name or w.slug for w in workspaces.workspaces(session, project_id)}


# --- the screen ---------------------------------------------------------------------------


def _formats() -> list[tuple[str, str, str]]:
    """(name, label, hint) of each export format, Document360's own first."""
    names = supported_formats()
    ordered = [name for name in FORMATS if name in names] + [n for n in names if n not in FORMATS]
    return [(name, *FORMATS.get(name, (name, ""))) for name in ordered]


def _exchange_page(
    request: Request,
    visitor: Visitor,
    me: SignedIn,
    *,
    status: int = 200,
    problem: str = "",
    field: str = "",
    export: ExportTyped | None = None,
    imported: ImportTyped | None = None,
) -> HTMLResponse:
    with reading(request) as session:
        found = workspaces.workspaces(session, me.project_id)
        names = {w.id: w.version_code_name or w.slug for w in found}
        groups: list[CategoryGroup] = []
        languages: dict[str, str] = {}
        for workspace in found:
            scope = workspaces.scope_of(session, workspace)
            for language in scope.languages:
                languages.setdefault(language.code, language.name or language.code)
            roots = categories.workspace_tree(
                session,
                scope,
                scope.default_language,
                include_articles=False,
                include_description=False,
            )
            groups.append(CategoryGroup(names[workspace.id], flatten(roots)))
        rows = [_row(job, names) for job in history.recent_jobs(session, me.project_id)]
    return portal_page(
        request,
        visitor,
        me,
        "portal/exchange.html",
        title="Import and export",
        section="exchange",
        status=status,
        problem=problem,
        field=field,
        rows=rows,
        formats=_formats(),
        scopes=SCOPES,
        workspace_choices=list(names.items()),
        category_groups=groups,
        languages=sorted(languages.items()),
        export=export or ExportTyped(),
        imported=imported or ImportTyped(),
        url_max=URL_MAX,
    )


@router.get("/portal/exchange")
def exchange(request: Request, visitor: VisitorDep, me: Manager) -> Response:
    return _exchange_page(request, visitor, me)


# --- import -------------------------------------------------------------------------------


def _upload_of(form: Any) -> UploadFile | None:
    """The ZIP the form sent; a file field left empty arrives as a text part or a nameless
    empty file, which is no file."""
    for part in form.getlist("file"):
        if isinstance(part, UploadFile) and (part.filename or part.size):
            return part
    return None


def _queue_import(
    request: Request, me: SignedIn, upload: UploadFile | None, url: str, publish: bool
) -> str:
    """Queue the import the form asks for (as POST /v2/Project/Import does); its job id."""
    runtime = runtime_of(request)
    if upload is not None and url:
        raise FormProblem("Choose a file or give a URL, not both.", "import-file")
    if upload is None and not url:
        raise FormProblem("Choose the export ZIP to import.", "import-file")
    if url:
        try:
            service.check_source_url(url, allow_private=runtime.settings.import_allow_private_urls)
        except KbError as error:
            raise FormProblem(error.message, "import-url") from None
        with writing(request) as session:
            job = service.start_import(
                session, me.project_id, user_id=me.user_id, publish=publish, source_url=url
            )
            return job.id
    assert upload is not None
    if upload.file.read(4) not in ZIP_MAGIC:
        raise FormProblem(
            "This file is not a ZIP archive: choose the export ZIP itself.", "import-file"
        )
    upload.file.seek(0)
    job_id = new_id()
    key = upload_key(me.project_id, job_id)
    # Stored before the transaction: the write lock is not held while the ZIP is copied.
    with runtime.blobs.open_writer(key) as out:
        shutil.copyfileobj(upload.file, out, 1024 * 1024)
    try:
        with writing(request) as session:
            service.start_import(
                session,
                me.project_id,
                user_id=me.user_id,
                publish=publish,
                upload_key=key,
                job_id=job_id,
            )
    except BaseException:
        runtime.blobs.delete(key)
        raise
    return job_id


@router.post("/portal/exchange/import")
async def start_import(request: Request, visitor: VisitorDep, me: Manager) -> Response:
    typed = ImportTyped()
    try:
        try:
            form = await request.form()
        except Exception:
            raise FormProblem("The form could not be read; send it again.") from None
        raw_url = form.get("source_url")
        url = _printable(raw_url).strip() if isinstance(raw_url, str) else ""
        typed = ImportTyped(url[:URL_MAX], form.get("publish") == "true")
        if len(url) > URL_MAX:
            raise FormProblem(f"The URL is longer than {URL_MAX} characters.", "import-url")
        job_id = await run_in_threadpool(
            _queue_import, request, me, _upload_of(form), url, typed.publish
        )
    except (FormProblem, KbError) as error:
        where = error.field if isinstance(error, FormProblem) else ""
        refused = partial(
            _exchange_page, status=400, problem=error.message, field=where, imported=typed
        )
        return await run_in_threadpool(refused, request, visitor, me)
    return redirect(visitor, f"/portal/exchange/jobs/{job_id}")


# --- export -------------------------------------------------------------------------------


def _day(value: str, field: str, *, end: bool) -> datetime | None:
    """A date field as the first (or, for `end`, the last) moment of that day in UTC."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise FormProblem("Give a date like 2024-05-31, or leave it empty.", field) from None
    return datetime.combine(day, time.max if end else time.min, tzinfo=UTC)


def _export_field(message: str) -> str:
    """The export form's field a refusal of `service.export_options` is about."""
    lowered = message.lower()
    for word, where in (
        ("language", "export-language"),
        ("categor", "export-category"),
        ("version", "export-workspace"),
        ("'after'", "export-after"),
    ):
        if word in lowered:
            return where
    return ""


def _queue_export(session: Session, project_id: str, typed: ExportTyped) -> str:
    """Queue the export the form asks for (as the v2 and v3 export routes do); its job id."""
    name = typed.format.strip().lower()
    if name not in supported_formats():
        raise FormProblem("Choose a format.", "export-format")
    if typed.scope not in SCOPES:
        raise FormProblem("Choose what to export.", "export-scope")
    if typed.scope == "version" and not typed.workspace:
        raise FormProblem("Choose the workspace to export.", "export-workspace")
    if typed.scope == "category" and not typed.category:
        raise FormProblem("Choose the category to export.", "export-category")
    after = _day(typed.after, "export-after", end=False)
    before = _day(typed.before, "export-before", end=True)
    try:
        options = service.export_options(
            session,
            project_id,
            entity=typed.scope,
            version_ids=[typed.workspace] if typed.scope == "version" else None,
            languages=[{"code": typed.language}] if typed.language else None,
            categories=[{"id": typed.category}] if typed.scope == "category" else None,
            exclude_media=typed.exclude_media,
            modified_after=after,
            modified_before=before,
            export_type=service.HTML_SITE if name == HTML else service.JSON_ZIP,
        )
    except KbError as error:
        raise FormProblem(error.message, _export_field(error.message)) from None
    options.format = name
    # The API's daily quota is the API's (Document360's) rule; an administrator in the
    # portal is not held to it, as on the command line.
    return service.start_export(session, project_id, options, daily_limit=0).id


@router.post("/portal/exchange/export")
def start_export(
    request: Request,
    visitor: VisitorDep,
    me: Manager,
    format: Annotated[str, Form()] = "",
    scope: Annotated[str, Form()] = "project",
    workspace: Annotated[str, Form()] = "",
    category: Annotated[str, Form()] = "",
    language: Annotated[str, Form()] = "",
    after: Annotated[str, Form()] = "",
    before: Annotated[str, Form()] = "",
    exclude_media: Annotated[str, Form()] = "",
) -> Response:
    typed = ExportTyped(
        format=format[:20],
        scope=scope[:20],
        workspace=_printable(workspace)[:64],
        category=_printable(category)[:64],
        language=_printable(language)[:20],
        after=after.strip()[:40],
        before=before.strip()[:40],
        exclude_media=exclude_media == "true",
    )
    try:
        with writing(request) as session:
            job_id = _queue_export(session, me.project_id, typed)
    except FormProblem as error:
        return _exchange_page(
            request, visitor, me, status=400, problem=error.message, field=error.field, export=typed
        )
    return redirect(visitor, f"/portal/exchange/jobs/{job_id}")


# --- a job --------------------------------------------------------------------------------


def _counts(job: Job) -> list[tuple[str, int | str]]:
    result = job.result or {}
    labels = IMPORT_COUNTS if job.kind == service.IMPORT else EXPORT_COUNTS
    return [(label, result[key]) for key, label in labels.items() if key in result]


def _job_detail(request: Request, me: SignedIn, job_id: str) -> JobDetail:
    with reading(request) as session:
        job = history.exchange_job(session, me.project_id, job_id)
        if job is None:
            raise BrowserError(
                404,
                NO_JOB,
                "There is no export or import with this id in this project.",
                back=("/portal/exchange", "Import and export"),
            )
        row = _row(job, _workspace_names(session, me.project_id))
        entries = (service.import_log(job) or {}).get("messages", [])
        log = [
            LogLine(
                MESSAGE_WORDS.get(entry["message_type"], "Info"),
                str(entry.get("message") or ""),
                entry["message_type"] == queue.MESSAGE_ERROR,
            )
            for entry in entries[-LOG_SHOWN:]
        ]
        url, gone = "", False
        if job.kind == service.EXPORT and job.status == queue.COMPLETED:
            if job.result_key:
                runtime = runtime_of(request)
                url = runtime.blobs.signed_url(
                    job.result_key,
                    runtime.settings.download_url_ttl,
                    filename=service.export_download_name(job),
                )
            else:
                gone = True
        return JobDetail(
            row=row,
            log=log,
            earlier=max(0, len(entries) - LOG_SHOWN),
            error=(job.error or "no reason recorded") if job.status == queue.ERROR else "",
            counts=_counts(job) if job.status == queue.COMPLETED else [],
            download_url=url,
            download_gone=gone,
        )


@router.get("/portal/exchange/jobs/{job_id}")
def job_page(request: Request, visitor: VisitorDep, me: Manager, job_id: str) -> Response:
    detail = _job_detail(request, me, job_id)
    return portal_page(
        request,
        visitor,
        me,
        "portal/exchange_job.html",
        title=detail.row.name,
        section="exchange",
        job=detail,
    )


@router.get("/portal/exchange/jobs/{job_id}/status")
def job_status(request: Request, visitor: VisitorDep, me: Manager, job_id: str) -> Response:
    """The job page's live part, which htmx fetches every second while the job runs: the
    fragment of a finished job no longer asks to be fetched again."""
    detail = _job_detail(request, me, job_id)
    return portal_page(
        request,
        visitor,
        me,
        "portal/exchange_job_status.html",
        title=detail.row.name,
        section="exchange",
        job=detail,
    )
