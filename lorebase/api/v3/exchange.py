"""v3 exports and imports: start a job (202 + Operation-Location), then poll it
(api-reference.md §2.5). The jobs are v2's; only the words and the shapes differ."""

from __future__ import annotations

import math
from datetime import UTC, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, model_validator

from lorebase.api.v3.deps import V3Request, V3RequestDep, storable
from lorebase.api.v3.envelope import ApiResponse, ok, problem_responses
from lorebase.api.v3.errors import ProblemError
from lorebase.db.models import Job
from lorebase.exchange import service
from lorebase.exchange.formats import supported_formats
from lorebase.jobs import queue
from lorebase.kb import workspaces
from lorebase.kb.errors import Invalid, QuotaExceeded

router = APIRouter(
    prefix="/v3/projects/{project_id}",
    tags=["v3 export and import"],
    responses=problem_responses(401, 403, 404, 422),
)

# v3 words for the job states (api-reference.md §1.4).
V3_STATUS = {
    queue.QUEUED: "Pending",
    queue.IN_PROGRESS: "InProgress",
    queue.COMPLETED: "Completed",
    queue.ERROR: "Failed",
}
FINISHED = (queue.COMPLETED, queue.ERROR)


class ExportRequest(BaseModel):
    # The official schema declares additionalProperties: false.
    model_config = ConfigDict(extra="forbid")

    project_version_id: str = Field(min_length=1)
    lang_code: str | None = None
    format: str = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _workspace_id(cls, data: Any) -> Any:
        # v3.1 renames project_version_id to workspace_id (§2.5); clients of either work.
        if isinstance(data, dict) and "workspace_id" in data:
            data = dict(data)
            data.setdefault("project_version_id", data.pop("workspace_id"))
        return data


class ImportRequest(BaseModel):
    source_documentation_url: str = Field(min_length=1)
    publish_article: bool = False
    import_by: str = Field(min_length=1)


class ExportStatusResponse(BaseModel):
    id: str
    status: str
    download_url: str | None
    completed_at: datetime | None


class ImportStatusResponse(BaseModel):
    id: str
    status: str
    completed_at: datetime | None


def _completed_at(job: Job) -> datetime | None:
    return job.finished_at if job.status in FINISHED else None


def _export_data(v3: V3Request, job: Job) -> dict[str, Any]:
    url = None
    if job.status == queue.COMPLETED and job.result_key:
        settings = v3.runtime.settings
        url = v3.runtime.blobs.signed_url(
            job.result_key, settings.download_url_ttl, filename=service.export_download_name(job)
        )
    return {
        "id": job.id,
        "status": V3_STATUS[job.status],
        "download_url": url,
        "completed_at": _completed_at(job),
    }


def _import_data(job: Job) -> dict[str, Any]:
    return {"id": job.id, "status": V3_STATUS[job.status], "completed_at": _completed_at(job)}


def _export_options(v3: V3Request, project_id: str, body: ExportRequest) -> service.ExportOptions:
    formats = supported_formats()
    name = body.format.strip().lower()
    if name not in formats:
        raise ProblemError(
            422,
            f"The format {body.format!r} is not supported; use one of: {', '.join(formats)}.",
            field="format",
        )
    scope = workspaces.find_workspace(v3.session, project_id, body.project_version_id)
    if scope is None:
        raise ProblemError(
            422,
            f"The project version {body.project_version_id} does not exist in this project.",
            field="project_version_id",
        )
    languages = None
    if body.lang_code:
        if not scope.has_language(body.lang_code):
            enabled = ", ".join(lang.code for lang in scope.languages)
            raise ProblemError(
                422,
                f"The language {body.lang_code!r} is not enabled in this project version; "
                f"enabled: {enabled}.",
                field="lang_code",
            )
        languages = [scope.language(body.lang_code)]
    return service.ExportOptions(
        entity="Version",
        workspace_ids=[scope.id],
        languages=languages,
        category_ids=None,
        exclude_media=False,
        modified_after=None,
        modified_before=None,
        format=name,
    )


def _quota_reached(message: str, limit: int) -> ProblemError:
    now = datetime.now(UTC)
    reset = datetime.combine(now.date() + timedelta(days=1), time.min, tzinfo=UTC)
    headers = {
        "Retry-After": str(max(1, math.ceil((reset - now).total_seconds()))),
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": str(int(reset.timestamp())),
    }
    return ProblemError(429, message, headers=headers)


@router.post(
    "/exports",
    status_code=202,
    response_model=ApiResponse[ExportStatusResponse],
    responses=problem_responses(429),
    summary="Start an export of one project version",
)
def start_export(
    request: Request, v3: V3RequestDep, project_id: str, body: ExportRequest
) -> Response:
    project_id = v3.project(project_id)
    options = _export_options(v3, project_id, body)
    limit = v3.runtime.settings.export_daily_limit
    try:
        job = service.start_export(v3.session, project_id, options, daily_limit=limit)
    except QuotaExceeded as exc:
        # v3 answers the daily quota as a rate limit (§2.6); it resets at UTC midnight.
        raise _quota_reached(exc.message, limit) from exc
    v3.session.commit()
    location = request.url_for("v3_export_status", project_id=project_id, export_id=job.id)
    return ok(_export_data(v3, job), status=202, headers={"Operation-Location": str(location)})


@router.get(
    "/exports/{export_id}",
    name="v3_export_status",
    response_model=ApiResponse[ExportStatusResponse],
    summary="Status of an export",
)
def export_status(v3: V3RequestDep, project_id: str, export_id: str) -> Response:
    project_id = v3.project(project_id)
    found = storable(export_id)
    job = service.find_job(v3.session, project_id, service.EXPORT, export_id) if found else None
    if job is None:
        raise ProblemError(404, "Export not found.")
    return ok(_export_data(v3, job))


@router.post(
    "/imports",
    status_code=202,
    response_model=ApiResponse[ImportStatusResponse],
    summary="Import a Document360 export ZIP from a URL",
)
def start_import(
    request: Request, v3: V3RequestDep, project_id: str, body: ImportRequest
) -> Response:
    project_id = v3.project(project_id)
    service.check_importer(v3.session, project_id, body.import_by)
    url = body.source_documentation_url.strip()
    try:
        service.check_source_url(url, allow_private=v3.runtime.settings.import_allow_private_urls)
    except Invalid as exc:
        raise ProblemError(422, exc.message, field="source_documentation_url") from exc
    job = service.start_import(
        v3.session,
        project_id,
        user_id=body.import_by,
        publish=body.publish_article,
        source_url=url,
    )
    v3.session.commit()
    location = request.url_for("v3_import_status", project_id=project_id, import_id=job.id)
    return ok(_import_data(job), status=202, headers={"Operation-Location": str(location)})


@router.get(
    "/imports/{import_id}",
    name="v3_import_status",
    response_model=ApiResponse[ImportStatusResponse],
    summary="Status of an import",
)
def import_status(v3: V3RequestDep, project_id: str, import_id: str) -> Response:
    project_id = v3.project(project_id)
    found = storable(import_id)
    job = service.find_job(v3.session, project_id, service.IMPORT, import_id) if found else None
    if job is None:
        raise ProblemError(404, "Import not found.")
    return ok(_import_data(job))
