"""Export formats by name, and the one entry point that opens an archive for import.

A format's writer has the signature of `write_json_zip` and returns an `ExportSummary`; the
export job looks it up by the name its parameters carry (v2 `export_type` 0 is "json"; v3
passes its `format`). `open_archive` picks the reader that recognises the ZIP: a Lorebase
Markdown export by its marker file, anything else as a Document360 JSON export.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import IO, BinaryIO, Protocol

from sqlalchemy.orm import Session

from lorebase.exchange.archive import ExportSummary, Progress
from lorebase.exchange.htmlsite.writer import write_html_site
from lorebase.exchange.jsonzip.reader import CheckedZip, OpenedExport
from lorebase.exchange.jsonzip.writer import write_json_zip
from lorebase.exchange.markdown.reader import MarkdownExport, is_markdown_export
from lorebase.exchange.markdown.writer import write_markdown_zip
from lorebase.exchange.pdf.writer import write_pdf_zip
from lorebase.storage import BlobStore

JSON = "json"
MARKDOWN = "markdown"
HTML = "html"
PDF = "pdf"
# The JSON reader's default cap on entries (`open_export`).
MAX_ENTRIES = 200_000


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


EXPORT_WRITERS: dict[str, ExportWriter] = {
    JSON: write_json_zip,
    MARKDOWN: write_markdown_zip,
    HTML: write_html_site,
    PDF: write_pdf_zip,
}


def supported_formats() -> list[str]:
    return sorted(EXPORT_WRITERS)


def open_archive(
    source: BinaryIO | IO[bytes] | Path | str,
    *,
    max_total_bytes: int,
    max_ratio: int,
) -> OpenedExport:
    """Open an export ZIP for import: a Lorebase Markdown export, or Document360's
    JSON/Markdown/HTML layout."""
    zf = CheckedZip(source, max_total_bytes, max_ratio, MAX_ENTRIES)
    try:
        # The JSON branch is exactly what `open_export` does with the same checked ZIP.
        return MarkdownExport(zf) if is_markdown_export(zf) else OpenedExport(zf)
    except BaseException:
        zf.zf.close()
        raise
