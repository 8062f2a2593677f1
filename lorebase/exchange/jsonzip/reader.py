"""Read a Document360 export ZIP (`export_type: 0`) into plain dataclasses, safely.

No database access: :func:`read_export` turns an archive into an :class:`ExportArchive`
(workspaces, their category trees, articles and per-language translations, plus the names of
the media files), which the importer then writes to the database.

Variants read (formats.md §1.2-1.4):

* index ``<slug>_categories_articles.json`` or ``<slug>_category_articles.json`` (dots in the
  slug may appear as dashes), inside the workspace folder or at the ZIP root beside it;
* ``articles/`` or ``Articles/``, ``categories/`` or ``Categories/``;
* article and category-page files as ``.json`` (an array with one object per language:
  ``Code``, ``Title``, ``Slug``, ``Content``, ``SeoTitle``, ``Description``, optional
  ``ContentType``; an object with a ``Languages`` array is accepted too), or ``.md``/``.html``
  starting with a ``## Metadata_Start … ## Metadata_End`` header or the HTML-comment form
  ``<!-- ## Metadata_Start … ## Metadata_End -->`` (one language per file: the header's code);
* Lorebase extensions in per-language objects: ``Hidden``, ``PublicVersion``,
  ``LatestVersion``, ``Revisions``; a top-level ``Articles`` list in the index for articles
  outside any category.

Safety: every problem that makes the archive unusable raises :class:`ArchiveError` with a
message meant for the person who uploaded it — not a ZIP or truncated, unsafe entry names
(absolute, ``..``, drive letters, backslash tricks), symlinks, too many entries, a
decompression bomb (declared total size or an entry's ratio over the caps, and bytes counted
while reading, so a lying header cannot get past), duplicate entry names, duplicate ids, no
index, malformed JSON, an index ``Path`` naming a missing file. The ratio cap applies to
entries of at least 64 KiB (tiny, very repetitive files legitimately compress far better).
"""

from __future__ import annotations

import contextlib
import json
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, BinaryIO

__all__ = [
    "ArchiveError",
    "ArticleData",
    "CategoryData",
    "ExportArchive",
    "OpenedExport",
    "RevisionData",
    "TranslationData",
    "WorkspaceData",
    "open_export",
    "read_export",
]

CONTENT_TYPES: dict[str, int] = {"markdown": 0, "wysiwyg": 1, "html": 1, "block": 2}
_RATIO_MIN_SIZE = 64 * 1024
_MAX_DEPTH = 64
_CHUNK = 64 * 1024
MANIFEST_NAME = "lorebase-manifest.json"
_INDEX_RE = re.compile(r"^(?P<slug>.+)_(?:categories|category)_articles\.json$", re.IGNORECASE)
_DRIVE_RE = re.compile(r"^[A-Za-z]:")


class ArchiveError(Exception):
    """The archive cannot be imported; the message says why, for the uploader."""


@dataclass
class RevisionData:
    version_number: int
    base_version: int | None
    title: str
    content: str | None
    published: bool
    created_by: str | None
    created_at: str | None


@dataclass
class TranslationData:
    code: str
    title: str
    slug: str
    content: str | None = None
    content_type: int = 0
    seo_title: str | None = None
    description: str | None = None
    hidden: bool | None = None
    public_version: int | None = None
    latest_version: int | None = None
    revisions: list[RevisionData] | None = None
    page_title: str | None = None
    """For a category page: the title its page file gives, when the index has the name."""


@dataclass
class ArticleData:
    id: str
    order: int
    translations: list[TranslationData] = field(default_factory=list)


@dataclass
class CategoryData:
    id: str
    title: str
    order: int
    category_type: int
    icon: str | None
    translations: list[TranslationData] = field(default_factory=list)
    hidden: bool | None = None
    """Lorebase extension `Hidden` on the index node (folders have no file to carry it)."""
    articles: list[ArticleData] = field(default_factory=list)
    children: list[CategoryData] = field(default_factory=list)


@dataclass
class WorkspaceData:
    slug: str
    languages: list[str]
    resource_path: str | None
    categories: list[CategoryData] = field(default_factory=list)
    articles: list[ArticleData] = field(default_factory=list)
    """Lorebase extension: articles outside any category (the index's top-level `Articles`)."""


@dataclass
class ExportArchive:
    workspaces: list[WorkspaceData] = field(default_factory=list)
    media: dict[str, str] = field(default_factory=dict)
    """Path below `Media/` (e.g. ``Images/logo.png``) -> the ZIP entry name."""
    media_sources: dict[str, str] = field(default_factory=dict)
    """Lorebase manifest: path below `Media/` -> the URL path bodies link that file by."""
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- entry checks


def _entry_name(info: zipfile.ZipInfo) -> str:
    name = info.filename
    if not info.flag_bits & 0x800:
        # Not flagged UTF-8: zipfile decoded it as cp437, but most tools write UTF-8 anyway.
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            name = name.encode("cp437").decode("utf-8")
    return name


def _check_name(name: str) -> None:
    shown = name.encode("utf-8", "backslashreplace").decode("utf-8")
    if not name or "\x00" in name:
        raise ArchiveError(f"The ZIP holds an entry with an empty or invalid name ({shown!r}).")
    if name.startswith(("/", "\\")) or _DRIVE_RE.match(name):
        raise ArchiveError(f"The ZIP entry {shown!r} has an absolute path; refusing to import it.")
    parts = re.split(r"[/\\]", name)
    if ".." in parts:
        raise ArchiveError(f"The ZIP entry {shown!r} points outside the archive ('..').")
    if any(_DRIVE_RE.match(p) for p in parts):
        raise ArchiveError(f"The ZIP entry {shown!r} contains a drive letter; refusing it.")


class CheckedZip:
    """A checked ZIP: validated entry names and sizes, with counted, bounded reads."""

    def __init__(
        self,
        source: BinaryIO | IO[bytes] | Path | str,
        max_total: int,
        max_ratio: int,
        max_entries: int,
    ) -> None:
        self.max_total = max_total
        self.max_ratio = max_ratio
        self.read_total = 0
        try:
            self.zf = zipfile.ZipFile(source)
            infos = self.zf.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
            raise ArchiveError(
                f"The upload is not a readable ZIP file (it may be truncated or not a ZIP): {exc}"
            ) from exc
        except UnicodeDecodeError as exc:
            raise ArchiveError(
                f"The ZIP holds an entry name that is not valid UTF-8 ({exc.reason}); "
                "re-create the ZIP with a standard tool."
            ) from exc
        # zipfile signals unsupported versions and methods with a RuntimeError subclass.
        except (ValueError, RuntimeError) as exc:
            raise ArchiveError(f"The ZIP file is malformed: {exc}") from exc
        except OSError as exc:
            raise ArchiveError(f"The ZIP file could not be read: {exc}") from exc
        try:
            self._scan(infos, max_entries)
        except BaseException:
            self.zf.close()
            raise

    def _scan(self, infos: list[zipfile.ZipInfo], max_entries: int) -> None:
        max_total = self.max_total
        if len(infos) > max_entries:
            raise ArchiveError(
                f"The ZIP holds {len(infos)} entries, more than the limit of {max_entries}."
            )
        self.entries: dict[str, zipfile.ZipInfo] = {}
        declared = 0
        for info in infos:
            name = _entry_name(info)
            _check_name(name)
            mode = (info.external_attr >> 16) & 0xFFFF
            if stat.S_ISLNK(mode):
                raise ArchiveError(f"The ZIP entry {name!r} is a symbolic link; refusing it.")
            if name in self.entries:
                raise ArchiveError(f"The ZIP holds the entry {name!r} more than once.")
            self.entries[name] = info
            if info.is_dir():
                continue
            declared += info.file_size
            if declared > max_total:
                raise ArchiveError(
                    f"The ZIP would unpack to more than {max_total} bytes (the configured cap); "
                    "it may be a decompression bomb."
                )
            self._check_ratio(name, info.file_size, info.compress_size)

    def _check_ratio(self, name: str, size: int, compressed: int) -> None:
        if size >= _RATIO_MIN_SIZE and size > self.max_ratio * max(compressed, 1):
            raise ArchiveError(
                f"The ZIP entry {name!r} expands more than {self.max_ratio} times "
                "(the configured cap); it may be a decompression bomb."
            )

    def read(self, name: str) -> bytes:
        info = self.entries[name]
        chunks: list[bytes] = []
        count = 0
        try:
            with self.zf.open(info) as fh:
                while chunk := fh.read(_CHUNK):
                    count += len(chunk)
                    self.read_total += len(chunk)
                    if count > info.file_size:
                        raise ArchiveError(
                            f"The ZIP entry {name!r} holds more data than its header declares."
                        )
                    if self.read_total > self.max_total:
                        raise ArchiveError(
                            f"The ZIP unpacks to more than {self.max_total} bytes "
                            "(the configured cap); it may be a decompression bomb."
                        )
                    self._check_ratio(name, count, info.compress_size)
                    chunks.append(chunk)
        except ArchiveError:
            raise
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
            raise ArchiveError(f"The ZIP entry {name!r} is corrupt: {exc}") from exc
        except RuntimeError as exc:  # encrypted entries, unsupported compression methods
            raise ArchiveError(f"The ZIP entry {name!r} cannot be read: {exc}") from exc
        return b"".join(chunks)

    def text(self, name: str) -> str:
        data = self.read(name)
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ArchiveError(f"The file {name!r} is not valid UTF-8 text: {exc}") from exc

    def json(self, name: str) -> Any:
        text = self.text(name)
        try:
            return json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise ArchiveError(f"The file {name!r} is not valid JSON: {exc}") from exc


# --------------------------------------------------------------------------- field helpers


def _opt_str(obj: dict[str, Any], key: str, where: str) -> str | None:
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise ArchiveError(f"{where}: '{key}' should be text, got {type(value).__name__}.")


def _opt_int(obj: dict[str, Any], key: str, where: str) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArchiveError(f"{where}: '{key}' should be an integer, got {value!r}.")
    if not -(2**31) <= value < 2**31:
        # Every number of the format lands in a 32-bit column.
        raise ArchiveError(f"{where}: '{key}' is out of range ({value}).")
    return value


def _opt_bool(obj: dict[str, Any], key: str, where: str) -> bool | None:
    value = obj.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise ArchiveError(f"{where}: '{key}' should be true or false, got {value!r}.")


def content_type_code(value: Any, default: int, where: str, warnings: list[str]) -> int:
    if value is None or value == "":
        return default
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        key = value.strip().lower()
        if key in CONTENT_TYPES:
            return CONTENT_TYPES[key]
        if key.isdigit():
            return int(key)
    warnings.append(f"{where}: unknown content type {value!r}; assuming {default}.")
    return default


def _revisions(obj: dict[str, Any], where: str) -> list[RevisionData] | None:
    raw = obj.get("Revisions")
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise ArchiveError(f"{where}: 'Revisions' should be a list.")
    out: list[RevisionData] = []
    for rev in raw:
        if not isinstance(rev, dict):
            raise ArchiveError(f"{where}: every revision should be an object.")
        number = _opt_int(rev, "VersionNumber", where)
        if number is None:
            raise ArchiveError(f"{where}: a revision has no 'VersionNumber'.")
        if number < 1:
            raise ArchiveError(f"{where}: revision number {number} is out of range.")
        if any(known.version_number == number for known in out):
            raise ArchiveError(f"{where}: revision {number} is listed more than once.")
        out.append(
            RevisionData(
                version_number=number,
                base_version=_opt_int(rev, "BaseVersion", where),
                title=_opt_str(rev, "Title", where) or "",
                content=_opt_str(rev, "Content", where),
                published=bool(_opt_bool(rev, "Published", where)),
                created_by=_opt_str(rev, "CreatedBy", where),
                created_at=_opt_str(rev, "CreatedAt", where),
            )
        )
    return out


def _translation_from_json(
    obj: Any, where: str, default_type: int, warnings: list[str]
) -> TranslationData:
    if not isinstance(obj, dict):
        raise ArchiveError(f"{where}: each language entry should be a JSON object.")
    code = _opt_str(obj, "Code", where)
    if not code:
        raise ArchiveError(f"{where}: a language entry has no 'Code'.")
    content = _opt_str(obj, "Content", where)
    revisions = _revisions(obj, where)
    latest_version = _opt_int(obj, "LatestVersion", where)
    for rev in revisions or []:
        # `Content` repeats the latest revision's body: keep one copy of large bodies.
        if rev.version_number == latest_version and rev.content == content:
            content = rev.content
    return TranslationData(
        code=code,
        title=_opt_str(obj, "Title", where) or "",
        slug=_opt_str(obj, "Slug", where) or "",
        content=content,
        content_type=content_type_code(obj.get("ContentType"), default_type, where, warnings),
        seo_title=_opt_str(obj, "SeoTitle", where),
        description=_opt_str(obj, "Description", where),
        hidden=_opt_bool(obj, "Hidden", where),
        public_version=_opt_int(obj, "PublicVersion", where),
        latest_version=latest_version,
        revisions=revisions,
    )


# --------------------------------------------------------------------------- file parsing

_HEADER_KEYS = {
    "code": "code",
    "title": "title",
    "slug": "slug",
    "seotitle": "seo_title",
    "description": "description",
    "contenttype": "content_type",
}


def _drop_line_break(text: str) -> str:
    if text.startswith("\r\n"):
        return text[2:]
    if text.startswith("\n"):
        return text[1:]
    return text


def _parse_header_file(
    text: str, name: str, default_code: str, warnings: list[str]
) -> TranslationData:
    default_type = 1 if name.lower().endswith((".html", ".htm")) else 0
    stripped = text.lstrip()
    header: str | None = None
    body = text
    end = stripped.find("-->")
    if stripped.startswith("<!--") and end != -1 and "Metadata_Start" in stripped[:end]:
        header = stripped[4:end]
        body = _drop_line_break(_drop_line_break(stripped[end + 3 :]))
    elif stripped.startswith("## Metadata_Start"):
        match = re.search(r"^##\s*Metadata_End[ \t]*(?:\r?\n|$)", stripped, re.MULTILINE)
        if match is None:
            raise ArchiveError(f"The file {name!r} has '## Metadata_Start' but no Metadata_End.")
        header = stripped[: match.start()]
        body = _drop_line_break(stripped[match.end() :])
    values: dict[str, str] = {}
    if header is None:
        warnings.append(f"{name}: no metadata header; using the file name as slug.")
    else:
        for line in header.splitlines():
            line = line.strip()
            if line.startswith("##"):
                line = line[2:].strip()
            if not line or line.lower().startswith("metadata_"):
                continue
            key, sep, value = line.partition(":")
            attr = _HEADER_KEYS.get(key.strip().lower())
            if sep and attr:
                values[attr] = value.strip()
    stem = name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return TranslationData(
        code=values.get("code") or default_code,
        title=values.get("title", stem),
        slug=values.get("slug") or stem,
        content=body,
        content_type=content_type_code(values.get("content_type"), default_type, name, warnings),
        seo_title=values.get("seo_title") or None,
        description=values.get("description") or None,
    )


# --------------------------------------------------------------------------- the reader


class _Reader:
    def __init__(self, zf: CheckedZip) -> None:
        self.zf = zf
        self.out = ExportArchive()
        self.category_ids: set[str] = set()
        self.article_ids: set[str] = set()

    def run(self) -> ExportArchive:
        indexes: list[tuple[str, str, str]] = []  # (index entry, folder, slug-from-name)
        folders = {n.split("/", 1)[0] for n in self.zf.entries if "/" in n}
        for name, info in self.zf.entries.items():
            if info.is_dir():
                continue
            parts = name.split("/")
            if parts[0].lower() == "media" and len(parts) > 1:
                self.out.media["/".join(parts[1:])] = name
                continue
            match = _INDEX_RE.match(parts[-1])
            if match is None or len(parts) > 2:
                continue
            slug = match.group("slug")
            if len(parts) == 2:
                indexes.append((name, parts[0], slug))
            else:
                folder = next(
                    (f for f in sorted(folders) if f == slug or f.replace(".", "-") == slug),
                    "",
                )
                indexes.append((name, folder, slug))
        self._media_sources()
        if not indexes:
            raise ArchiveError(
                "No index file found: a Document360 export holds "
                "'<workspace>/<workspace>_categories_articles.json'. Is this a Document360 "
                "JSON export ZIP?"
            )
        for name, folder, slug in sorted(indexes):
            self.out.workspaces.append(self._workspace(name, folder, slug))
        return self.out

    def _media_sources(self) -> None:
        """Read the media map of a Lorebase manifest; anything unexpected is only a warning
        (the manifest is an extension: the archive imports without it)."""
        if MANIFEST_NAME not in self.zf.entries:
            return
        try:
            manifest = self.zf.json(MANIFEST_NAME)
        except ArchiveError as exc:
            self.out.warnings.append(f"The Lorebase manifest was ignored: {exc}")
            return
        items = manifest.get("media") if isinstance(manifest, dict) else None
        for item in items if isinstance(items, list) else []:
            path = item.get("path") if isinstance(item, dict) else None
            source = item.get("source") if isinstance(item, dict) else None
            if isinstance(path, str) and isinstance(source, str) and path.startswith("Media/"):
                self.out.media_sources[path.removeprefix("Media/")] = source

    def _find(self, folder: str, kind: str, path: str, where: str) -> str:
        prefix = f"{folder}/" if folder else ""
        for sub in (kind, kind.capitalize(), kind.upper()):
            candidate = f"{prefix}{sub}/{path}"
            if candidate in self.zf.entries:
                return candidate
        raise ArchiveError(
            f"{where} names the file '{prefix}{kind}/{path}', which is missing from the ZIP."
        )

    def _workspace(self, index_name: str, folder: str, slug_from_name: str) -> WorkspaceData:
        data = self.zf.json(index_name)
        if not isinstance(data, dict):
            raise ArchiveError(f"The index {index_name!r} should hold a JSON object.")
        where = index_name
        slug = _opt_str(data, "Slug", where) or _opt_str(data, "Workspace", where)
        raw_langs = data.get("Languages") or []
        if not isinstance(raw_langs, list):
            raise ArchiveError(f"{where}: 'Languages' should be a list.")
        languages: list[str] = []
        for lang in raw_langs:
            code = lang.get("Code") if isinstance(lang, dict) else lang
            if not isinstance(code, str) or not code:
                raise ArchiveError(f"{where}: 'Languages' holds an invalid entry {lang!r}.")
            languages.append(code)
        ws = WorkspaceData(
            slug=slug or folder or slug_from_name,
            languages=languages,
            resource_path=_opt_str(data, "ResourcePath", where),
        )
        default_code = languages[0] if languages else "en"
        categories = data.get("Categories") or []
        if not isinstance(categories, list):
            raise ArchiveError(f"{where}: 'Categories' should be a list.")
        ws.categories = self._categories(categories, folder, where, default_code, 0)
        ws.articles = self._articles(data.get("Articles"), folder, where, default_code)
        return ws

    def _categories(
        self, nodes: list[Any], folder: str, where: str, default_code: str, depth: int
    ) -> list[CategoryData]:
        if depth > _MAX_DEPTH:
            raise ArchiveError(f"{where}: categories nest deeper than {_MAX_DEPTH} levels.")
        out: list[CategoryData] = []
        for node in nodes:
            out.append(self._category(node, folder, where, default_code, depth))
        out.sort(key=lambda c: c.order)
        return out

    def _category(
        self, node: Any, folder: str, where: str, default_code: str, depth: int
    ) -> CategoryData:
        if not isinstance(node, dict):
            raise ArchiveError(f"{where}: a category entry should be a JSON object.")
        cid = _opt_str(node, "Id", where)
        if not cid:
            raise ArchiveError(f"{where}: a category has no 'Id'.")
        here = f"{where}, category {cid}"
        if cid in self.category_ids:
            raise ArchiveError(f"{where}: the category id {cid} appears more than once.")
        self.category_ids.add(cid)
        ctype = _opt_int(node, "CategoryType", here) or 0
        langs = node.get("Languages") or []
        if not isinstance(langs, list):
            raise ArchiveError(f"{here}: 'Languages' should be a list.")
        warnings = self.out.warnings
        translations = [_translation_from_json(t, here, 0, warnings) for t in langs]
        path = _opt_str(node, "Path", here)
        if path:
            entry = self._find(folder, "categories", path, here)
            by_code = {t.code: t for t in translations}
            for page in self._file_translations(entry, default_code):
                known = by_code.get(page.code)
                if known is None:
                    translations.append(page)
                    by_code[page.code] = page
                    continue
                known.content = page.content
                known.content_type = page.content_type
                known.title = known.title or page.title
                # The page's own title may differ from the category's name in the index
                # (observed in the real export: "Groups" vs "Groups and Sources").
                known.page_title = page.title or None
                known.slug = known.slug or page.slug
                for attr in ("hidden", "public_version", "latest_version", "revisions"):
                    if getattr(page, attr) is not None:
                        setattr(known, attr, getattr(page, attr))
        subs = node.get("SubCategories") or []
        if not isinstance(subs, list):
            raise ArchiveError(f"{here}: 'SubCategories' should be a list.")
        return CategoryData(
            id=cid,
            title=_opt_str(node, "Title", here) or "",
            order=_opt_int(node, "Order", here) or 0,
            category_type=ctype,
            icon=_opt_str(node, "Icon", here),
            hidden=_opt_bool(node, "Hidden", here),
            translations=translations,
            articles=self._articles(node.get("Articles"), folder, here, default_code),
            children=self._categories(subs, folder, where, default_code, depth + 1),
        )

    def _articles(
        self, entries: Any, folder: str, where: str, default_code: str
    ) -> list[ArticleData]:
        if entries is None:
            return []
        if not isinstance(entries, list):
            raise ArchiveError(f"{where}: 'Articles' should be a list.")
        out: list[ArticleData] = []
        for entry in entries:
            if not isinstance(entry, dict):
                raise ArchiveError(f"{where}: an article entry should be a JSON object.")
            aid = _opt_str(entry, "Id", where)
            if not aid:
                raise ArchiveError(f"{where}: an article has no 'Id'.")
            if aid in self.article_ids:
                raise ArchiveError(f"{where}: the article id {aid} appears more than once.")
            self.article_ids.add(aid)
            here = f"{where}, article {aid}"
            article = ArticleData(id=aid, order=_opt_int(entry, "Order", here) or 0)
            path = _opt_str(entry, "Path", here)
            if path:
                name = self._find(folder, "articles", path, here)
                article.translations = self._file_translations(name, default_code)
            else:
                self.out.warnings.append(f"{here}: no 'Path'; the article has no content.")
            out.append(article)
        out.sort(key=lambda a: a.order)
        return out

    def _file_translations(self, name: str, default_code: str) -> list[TranslationData]:
        warnings = self.out.warnings
        if name.lower().endswith(".json"):
            data = self.zf.json(name)
            if isinstance(data, dict):
                data = data.get("Languages", [data])
            if not isinstance(data, list):
                raise ArchiveError(f"The file {name!r} should hold a JSON array of languages.")
            return [_translation_from_json(item, name, 0, warnings) for item in data]
        return [_parse_header_file(self.zf.text(name), name, default_code, warnings)]


def read_export(
    source: BinaryIO | IO[bytes] | Path | str,
    *,
    max_total_bytes: int = 1 << 30,
    max_ratio: int = 200,
    max_entries: int = 200_000,
) -> ExportArchive:
    """Parse a Document360 export ZIP; raise :class:`ArchiveError` when it is unusable."""
    with open_export(
        source, max_total_bytes=max_total_bytes, max_ratio=max_ratio, max_entries=max_entries
    ) as opened:
        return opened.archive


class OpenedExport:
    """A parsed export whose media files can still be read, one at a time, under the same
    caps (the bytes of every entry read count towards the total)."""

    def __init__(self, zf: CheckedZip) -> None:
        self._zf = zf
        self.archive = _Reader(zf).run()

    def media_bytes(self, path: str) -> bytes:
        """The bytes of `Media/<path>` (a key of `archive.media`)."""
        return self._zf.read(self.archive.media[path])

    def close(self) -> None:
        self._zf.zf.close()

    def __enter__(self) -> OpenedExport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_export(
    source: BinaryIO | IO[bytes] | Path | str,
    *,
    max_total_bytes: int = 1 << 30,
    max_ratio: int = 200,
    max_entries: int = 200_000,
) -> OpenedExport:
    """Parse an export and keep it open for its media; close it (or use `with`)."""
    zf = CheckedZip(source, max_total_bytes, max_ratio, max_entries)
    try:
        return OpenedExport(zf)
    except BaseException:
        zf.zf.close()
        raise
