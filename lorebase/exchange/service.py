"""Starting exports and imports and reading their state: what `POST/GET /v2/Project/Export`,
`/v2/Project/Import` and `lorebase export|import` share. Validation happens here, before a
job is queued, so that a bad request is a clear 400 and never a failed job."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lorebase.db.models import Category, Job, Language, Project, ProjectVersion, utcnow
from lorebase.exchange.fetch import FetchError, check_host, check_url
from lorebase.jobs import queue
from lorebase.kb import workspaces
from lorebase.kb.errors import Invalid, QuotaExceeded

EXPORT = "export"
IMPORT = "import"
JSON_ZIP = 0
HTML_SITE = 1
# The EXPORT_WRITERS format each v2 `export_type` names.
EXPORT_TYPE_FORMATS = {JSON_ZIP: "json", HTML_SITE: "html"}

# v2 words for the job states (api-reference.md §2.2, §2.4).
EXPORT_STATUS = {
    queue.QUEUED: "Initiated",
    queue.IN_PROGRESS: "InProgress",
    queue.COMPLETED: "Completed",
    queue.ERROR: "Error",
}
IMPORT_STATUS = {
    queue.QUEUED: "Queued",
    queue.IN_PROGRESS: "InProgress",
    queue.COMPLETED: "Completed",
    queue.ERROR: "Error",
}


@dataclass
class ExportOptions:
    """A validated export request; `to_params` is what the job stores."""

    entity: str
    workspace_ids: list[str] | None
    languages: list[str] | None
    category_ids: list[str] | None
    exclude_media: bool
    modified_after: datetime | None
    modified_before: datetime | None
    export_type: int = JSON_ZIP
    # A name of lorebase.exchange.formats.EXPORT_WRITERS ("json" for export_type 0).
    format: str = "json"

    def to_params(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "workspace_ids": self.workspace_ids,
            "languages": self.languages,
            "category_ids": self.category_ids,
            "exclude_media": self.exclude_media,
            "modified_after": _iso(self.modified_after),
            "modified_before": _iso(self.modified_before),
            "export_type": self.export_type,
            "format": self.format,
        }

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> ExportOptions:
        return cls(
            entity=params["entity"],
            workspace_ids=params.get("workspace_ids"),
            languages=params.get("languages"),
            category_ids=params.get("category_ids"),
            exclude_media=bool(params.get("exclude_media")),
            modified_after=_parse(params.get("modified_after")),
            modified_before=_parse(params.get("modified_before")),
            export_type=int(params.get("export_type", JSON_ZIP)),
            format=str(params.get("format", "json")),
        )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def export_options(
    session: Session,
    project_id: str,
    *,
    entity: str | None,
    version_ids: list[str] | None,
    languages: list[dict[str, Any]] | None,
    categories: list[dict[str, Any]] | None,
    exclude_media: bool,
    modified_after: datetime | None,
    modified_before: datetime | None,
    export_type: int | None,
) -> ExportOptions:
    """Check an export request against the project (Document360's messages where it has them)."""
    kind = (entity or "").strip().lower()
    if kind not in ("project", "version", "category"):
        raise Invalid("The Entity field is required.")
    if export_type not in (None, JSON_ZIP, HTML_SITE):
        raise Invalid(
            f"export_type {export_type} is not supported: use 0 (JSON ZIP) or 1 (HTML site)."
        )
    project_workspaces = {ws.id: ws for ws in workspaces.workspaces(session, project_id)}
    category_ids = _category_ids(session, project_workspaces, categories)
    workspace_ids: list[str] | None = None
    if kind == "version":
        wanted = [v for v in version_ids or [] if v]
        if not wanted and category_ids is None:
            raise Invalid("The VersionId field is required for a Version export.")
        for workspace_id in wanted:
            if workspace_id not in project_workspaces:
                raise Invalid(
                    f"The supplied project version id {workspace_id} does not exist in your "
                    "project."
                )
        workspace_ids = list(dict.fromkeys(wanted)) or None
    if kind == "category" and category_ids is None:
        raise Invalid("The SelectedCategories field is required for a Category export.")
    if kind == "project":
        category_ids = None
    if category_ids is not None:
        # The categories name their workspaces; a listed workspace narrows them further.
        owners = set(
            session.scalars(
                select(Category.project_version_id).where(Category.id.in_(category_ids))
            )
        )
        workspace_ids = sorted(owners & set(workspace_ids or owners))
    codes = _language_codes(session, list(project_workspaces), languages)
    after, before = _aware(modified_after), _aware(modified_before)
    if after is not None and before is not None and after > before:
        raise Invalid("filter_by_article_modified_at: 'after' must not be later than 'before'.")
    return ExportOptions(
        entity=kind.capitalize(),
        workspace_ids=workspace_ids,
        languages=codes,
        category_ids=category_ids,
        exclude_media=exclude_media,
        modified_after=after,
        modified_before=before,
        export_type=export_type or JSON_ZIP,
        format=EXPORT_TYPE_FORMATS[export_type or JSON_ZIP],
    )


def _category_ids(
    session: Session,
    project_workspaces: dict[str, ProjectVersion],
    categories: list[dict[str, Any]] | None,
) -> list[str] | None:
    if not categories:
        return None
    ids: list[str] = []
    for item in categories:
        category_id = item.get("id")
        if not category_id:
            raise Invalid("The Id field of each selected category is required.")
        ids.append(category_id)
    # A comprehension, not dict(): a Result has keys() and would be read as a mapping.
    found = {
        category_id: workspace_id
        for category_id, workspace_id in session.execute(
            select(Category.id, Category.project_version_id).where(Category.id.in_(ids))
        )
    }
    for category_id in ids:
        if found.get(category_id) not in project_workspaces:
            raise Invalid(f"Unable to find the category with id {category_id}.")
    return list(dict.fromkeys(ids))


def _language_codes(
    session: Session, workspace_ids: list[str], languages: list[dict[str, Any]] | None
) -> list[str] | None:
    if not languages:
        return None
    known = [
        (language_id, code)
        for language_id, code in session.execute(
            select(Language.id, Language.code).where(Language.project_version_id.in_(workspace_ids))
        )
    ]
    by_id = dict(known)
    by_code = {code.lower(): code for _, code in known}
    codes: list[str] = []
    for item in languages:
        code = item.get("code") or by_id.get(item.get("id") or "")
        if not code:
            raise Invalid("The LanguageCode field is required")
        if code.lower() not in by_code:
            raise Invalid(f"The language '{code}' is not enabled in any workspace of the project.")
        codes.append(by_code[code.lower()])
    return list(dict.fromkeys(codes))


def _lock_project(session: Session, project_id: str) -> None:
    """Serialise quota checks of one project (SQLite writers are serialised already)."""
    query = select(Project.id).where(Project.id == project_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    session.execute(query)


def start_export(
    session: Session, project_id: str, options: ExportOptions, *, daily_limit: int
) -> Job:
    """Queue an export in the caller's transaction, within the project's daily quota."""
    _lock_project(session, project_id)
    if daily_limit:
        start_of_day = datetime.combine(utcnow().date(), time.min, tzinfo=UTC)
        started = session.scalar(
            select(func.count())
            .select_from(Job)
            .where(
                Job.project_id == project_id,
                Job.kind == EXPORT,
                Job.created_at >= start_of_day,
            )
        )
        if (started or 0) >= daily_limit:
            raise QuotaExceeded(f"Export API request limit({daily_limit}) is reached for the day.")
    return queue.enqueue(session, project_id, EXPORT, options.to_params())


def start_import(
    session: Session,
    project_id: str,
    *,
    user_id: str | None,
    publish: bool,
    source_url: str | None = None,
    upload_key: str | None = None,
    job_id: str | None = None,
) -> Job:
    """Queue an import of a ZIP at `source_url` or already uploaded to `upload_key`."""
    check_importer(session, project_id, user_id)
    params = {
        "source_url": source_url,
        "upload_key": upload_key,
        "publish": publish,
        "user_id": user_id,
    }
    job = queue.enqueue(session, project_id, IMPORT, params)
    if job_id is not None:  # an upload stored under the id its job will have
        job.id = job_id
        session.flush()
    return job


def check_source_url(url: str, *, allow_private: bool) -> None:
    """Refuse a source URL early, for a clear error (the worker checks again where it
    connects): Invalid with the reason."""
    try:
        check_url(url)
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        check_host(parts.hostname or "", port, allow_private)
    except (FetchError, ValueError) as exc:  # ValueError: a malformed port
        raise Invalid(str(exc)) from exc


def check_importer(session: Session, project_id: str, user_id: str | None) -> None:
    if not user_id:
        raise Invalid("ImportBy argument must not be null.")
    if workspaces.find_user(session, project_id, user_id) is None:
        raise Invalid("You are not authorized to perform this activity.")


def find_job(session: Session, project_id: str, kind: str, job_id: str) -> Job | None:
    job = session.get(Job, job_id)
    if job is None or job.project_id != project_id or job.kind != kind:
        return None
    return job


def import_log(job: Job) -> dict[str, Any] | None:
    """The job as the API's `ImportAPILog`, or None while nothing is known yet."""
    result = job.result or {}
    messages = [
        {
            "message_type": entry.get("type", queue.MESSAGE_INFO),
            "message": entry.get("message"),
            "cancel_operation": entry.get("type") == queue.MESSAGE_ERROR,
        }
        for entry in [*job.messages, *result.get("messages", [])]
    ]
    if job.status == queue.QUEUED and not messages:
        return None
    return {
        "new_versions": int(result.get("new_versions", 0)),
        "categories": int(result.get("categories", 0)),
        "articles": int(result.get("articles", 0)),
        "languages": str(result.get("languages", 0)),
        "messages": messages,
    }


def export_download_name(job: Job) -> str:
    stamp = (job.finished_at or job.created_at).strftime("%Y-%m-%d")
    return f"lorebase-export-{stamp}-{job.id[:8]}.zip"


def expired_exports(session: Session, project_id: str, days: int) -> list[Job]:
    """The project's completed exports older than `days` whose ZIP is still kept."""
    cutoff = utcnow() - timedelta(days=days)
    return list(
        session.scalars(
            select(Job).where(
                Job.project_id == project_id,
                Job.kind == EXPORT,
                Job.status == queue.COMPLETED,
                Job.result_key.is_not(None),
                Job.finished_at < cutoff,
            )
        )
    )
