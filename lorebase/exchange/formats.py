"""Export formats by name, and the one entry point that opens an archive for import.

A format's writer has the signature of `write_json_zip` and returns an `ExportSummary`; the
export job looks it up by the name its parameters carry (v2 `export_type` 0 is "json"; v3
passes its `format`). `open_archive` picks the reader that recognises the ZIP.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import IO, BinaryIO, Protocol

from sqlalchemy.orm import Session

from lorebase.exchange.jsonzip.reader import OpenedExport, open_export
from lorebase.exchange.jsonzip.writer import ExportSummary, Progress, write_json_zip
from lorebase.storage import BlobStore

JSON = "json"


class ExportWriter(Protocol):
    def __call__(
        self,
        session: Session,
        project_id: str,
        out: BinaryIO,
        *,
        workspace_ids: list[str] | None = None,
        languages: list[str] | None = None,
        category_ids: list[str] | None = None,
        exclude_media: bool = False,
        blobs: BlobStore | None = None,
        modified_after: datetime | None = None,
        modified_before: datetime | None = None,
        progress: Progress | None = None,
    ) -> ExportSummary: ...


EXPORT_WRITERS: dict[str, ExportWriter] = {JSON: write_json_zip}


def supported_formats() -> list[str]:
    return sorted(EXPORT_WRITERS)


def open_archive(
    source: BinaryIO | IO[bytes] | Path | str,
    *,
    max_total_bytes: int,
    max_ratio: int,
) -> OpenedExport:
    """Open an export ZIP for import (Document360's JSON/Markdown/HTML layout)."""
    return open_export(source, max_total_bytes=max_total_bytes, max_ratio=max_ratio)
