"""/v2/Project/Export and /v2/Project/Import: start a job, then poll its status
(api-reference.md §2.1-2.4)."""

from __future__ import annotations

import re
import shutil
from datetime import datetime
from typing import Annotated, Any

import anyio
import orjson
from fastapi import APIRouter, Body, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from lorebase.api.deps import CallerDep, SessionDep
from lorebase.api.v2.envelope import ok
from lorebase.api.v2.errors import describe_validation
from lorebase.auth.tokens import Caller
from lorebase.db.models import new_id
from lorebase.exchange import service
from lorebase.exchange.tasks import upload_key
from lorebase.jobs import queue
from lorebase.kb.errors import Invalid
from lorebase.runtime import Runtime

router = APIRouter(prefix="/v2/Project", tags=["Project export and import"])

_CAPITAL = re.compile(r"(?<!^)(?=[A-Z])")
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


def _snake(value: Any) -> Any:
    """api-reference.md §2.1: the operation's description spells keys in camel and Pascal case
    (`versionId`, `SelectedLanguages`), the schema in snake case; both are accepted."""
    if isinstance(value, dict):
        return {_CAPITAL.sub("_", str(k)).lower(): _snake(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_snake(item) for item in value]
    return value


class _Flexible(BaseModel):
    model_config = ConfigDict(extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _any_case(cls, data: Any) -> Any:
        return _snake(data)


class LanguageMeta(_Flexible):
    code: str | None = None
    id: str | None = None
    version_id: str | None = None


class CategoryMeta(_Flexible):
    id: str | None = None
    language_id: str | None = None
    version_id: str | None = None


class DateRange(_Flexible):
    after: datetime | None = None
    before: datetime | None = None


class ExportRequest(_Flexible):
    entity: str | None = None
    version_id: list[str] | None = None
    selected_languages: list[LanguageMeta] | None = None
    selected_categories: list[CategoryMeta] | None = None
    exclude_media_files: bool = False
    filter_by_article_modified_at: DateRange | None = None
    # Not in the official schema, but sent by every documented example (§2.1).
    export_type: int | None = None


class ImportRequest(_Flexible):
    source_documentation_url: str | None = None
    publish_article: bool = False
    import_by: str | None = None


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


@router.post("/Export", summary="Start an export of the project's documentation")
def start_export(
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    body: Annotated[ExportRequest | None, Body()] = None,
) -> Response:
    body = body or ExportRequest()
    window = body.filter_by_article_modified_at
    options = service.export_options(
        session,
        caller.project_id,
        entity=body.entity,
        version_ids=body.version_id,
        languages=[m.model_dump() for m in body.selected_languages or []],
        categories=[m.model_dump() for m in body.selected_categories or []],
        exclude_media=body.exclude_media_files,
        modified_after=window.after if window else None,
        modified_before=window.before if window else None,
        export_type=body.export_type,
    )
    job = service.start_export(
        session,
        caller.project_id,
        options,
        daily_limit=_runtime(request).settings.export_daily_limit,
    )
    session.commit()
    return ok(id=job.id, status=service.EXPORT_STATUS[job.status])


@router.get("/Export/{exportId}", summary="Status of an export, with its download URL")
def export_status(
    request: Request, caller: CallerDep, session: SessionDep, exportId: str
) -> Response:
    job = service.find_job(session, caller.project_id, service.EXPORT, exportId)
    if job is None:
        raise Invalid("Invalid export id")
    url = None
    if job.status == queue.COMPLETED and job.result_key:
        runtime = _runtime(request)
        url = runtime.blobs.signed_url(
            job.result_key,
            runtime.settings.download_url_ttl,
            filename=service.export_download_name(job),
        )
    return ok(status=service.EXPORT_STATUS[job.status], download_url=url)


IMPORT_BODY = {
    "requestBody": {
        "content": {
            "application/json": {
                "schema": {"$ref": "#/components/schemas/ImportRequest"},
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "description": "Lorebase extension: upload the export ZIP itself.",
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "publish_article": {"type": "boolean"},
                        "import_by": {"type": "string"},
                    },
                    "required": ["file", "import_by"],
                }
            },
        }
    }
}


@router.post(
    "/Import",
    summary="Import a Document360 export ZIP from a URL (or, as a Lorebase extension, uploaded)",
    openapi_extra=IMPORT_BODY,
)
async def start_import(request: Request, caller: CallerDep, session: SessionDep) -> Response:
    runtime = _runtime(request)
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=10)
        try:
            upload = next((v for v in form.values() if isinstance(v, UploadFile)), None)
            if upload is None:
                raise Invalid("Attach the export ZIP as a multipart file field named 'file'.")
            publish = str(form.get("publish_article", "false")).strip().lower() == "true"
            user_id = form.get("import_by")
            job = await anyio.to_thread.run_sync(
                _import_upload,
                runtime,
                session,
                caller,
                upload,
                publish,
                user_id if isinstance(user_id, str) else None,
            )
        finally:
            await form.close()
    else:
        body = await _import_request(request)
        job = await anyio.to_thread.run_sync(_import_url, runtime, session, caller, body)
    return ok(id=job.id, status=service.IMPORT_STATUS[job.status])


async def _import_request(request: Request) -> ImportRequest:
    """The JSON body, parsed here because the same route also takes multipart uploads.
    (BodyLimits has already refused oversize, over-deep or malformed JSON.)"""
    raw = await request.body()
    try:
        return ImportRequest.model_validate(orjson.loads(raw) if raw.strip() else {})
    except orjson.JSONDecodeError as exc:
        raise Invalid(f"The request body is not valid JSON: {exc}.") from exc
    except ValidationError as exc:
        raise Invalid(describe_validation([dict(e) for e in exc.errors()])) from exc


def _import_url(runtime: Runtime, session: Session, caller: Caller, body: ImportRequest) -> Any:
    service.check_importer(session, caller.project_id, body.import_by)
    url = (body.source_documentation_url or "").strip()
    if not url:
        raise Invalid("The SourceDocumentationUrl field is required.")
    service.check_source_url(url, allow_private=runtime.settings.import_allow_private_urls)
    job = service.start_import(
        session,
        caller.project_id,
        user_id=body.import_by,
        publish=body.publish_article,
        source_url=url,
    )
    session.commit()
    return job


def _import_upload(
    runtime: Runtime,
    session: Session,
    caller: Caller,
    upload: UploadFile,
    publish: bool,
    user_id: str | None,
) -> Any:
    service.check_importer(session, caller.project_id, user_id)
    session.rollback()  # do not hold the write lock while the ZIP is stored
    head = upload.file.read(4)
    if head not in ZIP_MAGIC:
        raise Invalid("The uploaded file is not a ZIP archive (a Document360 export ZIP).")
    upload.file.seek(0)
    job_id = new_id()
    key = upload_key(caller.project_id, job_id)
    with runtime.blobs.open_writer(key) as out:
        shutil.copyfileobj(upload.file, out, 1024 * 1024)
    try:
        job = service.start_import(
            session,
            caller.project_id,
            user_id=user_id,
            publish=publish,
            upload_key=key,
            job_id=job_id,
        )
        session.commit()
    except BaseException:
        runtime.blobs.delete(key)
        raise
    return job


@router.get("/Import/{importId}", summary="Status of an import, with its log")
def import_status(caller: CallerDep, session: SessionDep, importId: str) -> Response:
    job = service.find_job(session, caller.project_id, service.IMPORT, importId)
    if job is None:
        raise Invalid("Invalid import id")
    return ok(
        status=service.IMPORT_STATUS[job.status],
        import_documentation_log=service.import_log(job),
    )
