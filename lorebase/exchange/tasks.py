"""The export and import jobs: what a worker runs for `POST /v2/Project/Export|Import` and for
`lorebase export|import`.

Export: the ZIP streams into the blob store under `exports/<project>/<job>.zip`, staged and
published only when complete (BlobStore.open_writer), so a worker killed half-way leaves no
visible partial file, and the retry by another worker writes the same key again.

Import: the ZIP (uploaded to the blob store, or fetched from its URL) is copied to a local
temporary file, because reading a ZIP needs to seek; then everything goes into the database in
one transaction. Deterministic problems (a bad archive, a missing language) end the job in
`Error` at once with the reason; only a worker's death leads to a retry.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from typing import Any

from lorebase.db.engine import transaction
from lorebase.exchange.fetch import FetchError, download
from lorebase.exchange.formats import EXPORT_WRITERS, open_archive
from lorebase.exchange.jsonzip.importer import ImportRejected, discard_blobs, import_export
from lorebase.exchange.jsonzip.reader import ArchiveError
from lorebase.exchange.service import EXPORT, IMPORT, ExportOptions, expired_exports
from lorebase.jobs.worker import JobContext, JobReleased, register

PROGRESS_INTERVAL = 0.5  # seconds between progress writes: each one is a transaction


class ImportFailed(Exception):
    """Ends an import job in Error with a message for the importer."""


def export_key(project_id: str, job_id: str) -> str:
    return f"exports/{project_id}/{job_id}.zip"


def upload_key(project_id: str, job_id: str) -> str:
    return f"imports/{project_id}/{job_id}.zip"


def _reporter(context: JobContext, *, persist: bool = True) -> Callable[[int, int], None]:
    """A progress callback that writes at most every PROGRESS_INTERVAL seconds, and stops the
    task at that point when the worker shuts down or another worker took the job over.

    `persist=False` only checks for those: an SQLite import holds the database's one write
    lock for its whole transaction, so a progress write from inside it would wait for itself.
    """
    last = 0.0

    def report(done: int, total: int) -> None:
        nonlocal last
        now = time.monotonic()
        if done < total and now - last < PROGRESS_INTERVAL:
            return
        last = now
        if persist:
            context.progress(done, total)
        if context.stop.is_set() or context.lease_lost.is_set():
            raise JobReleased

    return report


@register(EXPORT)
def run_export(context: JobContext) -> str:
    runtime = context.require_runtime()
    options = ExportOptions.from_params(context.params)
    key = export_key(context.project_id, context.job_id)
    with runtime.blobs.open_writer(key) as out, runtime.read_session_factory() as session:
        write = EXPORT_WRITERS[options.format]
        summary = write(
            session,
            context.project_id,
            out,
            workspace_ids=options.workspace_ids,
            languages=options.languages,
            category_ids=options.category_ids,
            exclude_media=options.exclude_media,
            blobs=runtime.blobs,
            modified_after=options.modified_after,
            modified_before=options.modified_before,
            progress=_reporter(context),
        )
    if runtime.settings.export_retention_days:
        _purge_old_exports(context)
    context.result = {
        "workspaces": summary.workspaces,
        "categories": summary.categories,
        "articles": summary.articles,
        "media": summary.media,
        "files": summary.files,
    }
    return key


def _purge_old_exports(context: JobContext) -> None:
    """Delete the project's export ZIPs past the retention period; their status then answers
    no download_url (the link would lead nowhere)."""
    runtime = context.require_runtime()
    with transaction(runtime.session_factory) as session:
        for job in expired_exports(
            session, context.project_id, runtime.settings.export_retention_days
        ):
            if job.result_key:
                runtime.blobs.delete(job.result_key)
            job.result_key = None


@register(IMPORT)
def run_import(context: JobContext) -> None:
    runtime = context.require_runtime()
    settings = runtime.settings
    params = context.params
    uploaded = params.get("upload_key")
    try:
        with tempfile.TemporaryFile() as local:
            try:
                if uploaded:
                    with runtime.blobs.open_reader(uploaded) as source:
                        shutil.copyfileobj(source, local, 1024 * 1024)
                else:
                    download(
                        params["source_url"],
                        local,
                        max_bytes=settings.import_max_bytes,
                        timeout=settings.import_download_timeout,
                        allow_private=settings.import_allow_private_urls,
                    )
                local.seek(0)
                context.result = _import(context, local)
            except (ArchiveError, ImportRejected, FetchError) as exc:
                raise ImportFailed(f"Nothing was imported: {exc}") from exc
    except JobReleased:
        raise
    except BaseException:
        _drop_upload(context, uploaded)
        raise
    _drop_upload(context, uploaded)


def _import(context: JobContext, local: Any) -> dict[str, Any]:
    runtime = context.require_runtime()
    settings = runtime.settings
    params = context.params
    with open_archive(
        local,
        max_total_bytes=settings.import_max_uncompressed_bytes,
        max_ratio=settings.import_max_ratio,
    ) as opened:
        context.progress(0, 0, f"Read {len(opened.archive.workspaces)} workspace(s) from the ZIP.")
        keys: list[str] = []
        try:
            with transaction(runtime.session_factory) as session:
                log = import_export(
                    session,
                    context.project_id,
                    opened,
                    publish=bool(params.get("publish")),
                    user_id=params.get("user_id"),
                    blobs=runtime.blobs,
                    base_url=settings.public_base_url,
                    media_seed=context.job_id,
                    progress=_reporter(context, persist=runtime.engine.dialect.name != "sqlite"),
                )
                keys = log.blob_keys
        except BaseException:
            # The importer cleans up after its own failures; this covers a failed commit.
            discard_blobs(runtime.blobs, keys)
            raise
    return {
        "new_versions": log.new_versions,
        "categories": log.categories,
        "articles": log.articles,
        "languages": len(log.languages),
        "media": log.media,
        "messages": [{"type": kind, "message": text} for kind, text in log.messages],
    }


def _drop_upload(context: JobContext, key: str | None) -> None:
    if key and context.runtime is not None:
        context.runtime.blobs.delete(key)
