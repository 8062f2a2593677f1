"""Read a Lorebase Markdown ZIP (see `writer.py` for the layout) into the JSON reader's
dataclasses, so that `jsonzip.importer.import_export` writes it unchanged.

The ZIP is checked by the JSON reader's `CheckedZip` (entry names, symlinks, sizes, bombs); this
module adds what the Markdown layout needs: a valid marker, a front matter on every `.md`
file (JSON scalars only, parsed with `json.loads`, never evaluated), one category per
folder, ids used by one item only, one file per item and language.

Each language becomes one revision holding the file's body, public when `status` is
`published`. Relative links into `_media/` are turned into URLs that end with the media
file's path, which the importer rewrites to the imported Drive file's URL.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from lorebase.exchange.jsonzip.reader import (
    ArchiveError,
    ArticleData,
    CategoryData,
    CheckedZip,
    ExportArchive,
    OpenedExport,
    RevisionData,
    TranslationData,
    WorkspaceData,
    content_type_code,
)
from lorebase.exchange.markdown.writer import FORMAT, MARKER_NAME, MEDIA_DIR

CATEGORY_TYPES = {"folder": 0, "page": 1, "index": 2}
_MAX_DEPTH = 64
_FIELD = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*):[ \t]*(.*)$")
_RELATIVE_MEDIA = re.compile(rf"""(?<![\w.~/-])(?:\.\./)*{MEDIA_DIR}/([^\s"'<>()\[\]?#]+)""")
# Any URL whose path ends with the media path: the importer matches it to the imported file.
_MEDIA_HOST = "http://media.lorebase.invalid/"


def parse_front_matter(text: str, name: str) -> tuple[dict[str, Any], str]:
    """(fields, body) of one `.md` file; the body is everything after the closing `---`."""
    if text.startswith("\ufeff"):
        text = text[1:]
    # A hand-edited file may use CRLF: the block's own line breaks follow its first line;
    # the body is kept byte for byte.
    nl = "\r\n" if text.startswith("---\r\n") else "\n"
    opening = f"---{nl}"
    if not text.startswith(opening):
        raise ArchiveError(f"The file {name!r} does not start with a '---' front matter block.")
    closing = f"{nl}---{nl}"
    end = text.find(closing, len(opening) - len(nl))
    body_start = end + len(closing)
    if end == -1:
        if not text.endswith(f"{nl}---"):
            raise ArchiveError(f"The file {name!r} has no closing '---' after its front matter.")
        end, body_start = len(text) - len(nl) - 3, len(text)
    fields: dict[str, Any] = {}
    for number, line in enumerate(text[len(opening) : end].split(nl), start=2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _FIELD.match(line)
        if match is None:
            raise ArchiveError(f"{name}, line {number}: expected 'key: value', got {line!r}.")
        key, raw = match.groups()
        try:
            value = json.loads(raw) if raw.strip() else None
        except RecursionError as exc:
            raise ArchiveError(f"{name}, line {number}: '{key}' is nested too deeply.") from exc
        except ValueError:
            value = raw.strip()  # a plain YAML word, as a person may write it by hand
        if isinstance(value, (dict, list)):
            raise ArchiveError(f"{name}, line {number}: '{key}' should be a single value.")
        fields[key] = value
    return fields, text[body_start:]


def _text(fields: dict[str, Any], key: str, where: str) -> str | None:
    value = fields.get(key)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise ArchiveError(f"{where}: '{key}' should be text, got {value!r}.")


def _int(fields: dict[str, Any], key: str, where: str) -> int:
    value = fields.get(key)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not -(2**31) <= value < 2**31:
        raise ArchiveError(f"{where}: '{key}' should be an integer, got {value!r}.")
    return value


def _bool(fields: dict[str, Any], key: str, where: str) -> bool:
    value = fields.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ArchiveError(f"{where}: '{key}' should be true or false, got {value!r}.")
    return value


@dataclass
class _Workspace:
    data: WorkspaceData
    folder: str
    categories: dict[str, CategoryData] = field(default_factory=dict)  # by folder
    category_dirs: list[str] = field(default_factory=list)  # in entry order
    articles: list[tuple[str, ArticleData]] = field(default_factory=list)  # (folder, article)


class _Reader:
    def __init__(self, zf: CheckedZip) -> None:
        self.zf = zf
        self.out = ExportArchive()
        self.owner: dict[str, tuple[str, str]] = {}  # id -> (kind, folder)
        self.articles: dict[str, ArticleData] = {}
        self.languages: set[tuple[str, str]] = set()  # (id, code)

    def run(self) -> ExportArchive:
        spaces = self._marker()
        # Media first: bodies' relative links are matched against them (they come last).
        for name, info in self.zf.entries.items():
            if not info.is_dir() and name.startswith(f"{MEDIA_DIR}/"):
                self.out.media[name.removeprefix(f"{MEDIA_DIR}/")] = name
        for name, info in self.zf.entries.items():
            if info.is_dir() or name == MARKER_NAME or name.startswith(f"{MEDIA_DIR}/"):
                continue
            folder, _, rest = name.partition("/")
            space = spaces.get(folder)
            if space is None or not rest or not name.lower().endswith(".md"):
                self.out.warnings.append(f"{name}: not part of a workspace's pages; ignored.")
                continue
            self._file(space, name)
        for space in spaces.values():
            self._assemble(space)
            self.out.workspaces.append(space.data)
        return self.out

    def _marker(self) -> dict[str, _Workspace]:
        marker = self.zf.json(MARKER_NAME)
        if not isinstance(marker, dict) or marker.get("format") != FORMAT:
            raise ArchiveError(f"{MARKER_NAME} does not describe a Lorebase Markdown export.")
        items = marker.get("workspaces")
        if not isinstance(items, list):
            raise ArchiveError(f"{MARKER_NAME}: 'workspaces' should be a list.")
        spaces: dict[str, _Workspace] = {}
        for item in items:
            folder = item.get("folder") if isinstance(item, dict) else None
            slug = item.get("slug") if isinstance(item, dict) else None
            langs = item.get("languages") if isinstance(item, dict) else None
            if (
                not isinstance(folder, str)
                or not folder
                or "/" in folder
                or not isinstance(slug, str)
                or not isinstance(langs, list)
                or not all(isinstance(code, str) and code for code in langs)
            ):
                raise ArchiveError(
                    f"{MARKER_NAME}: each workspace needs a 'folder', a 'slug' and a list of "
                    f"'languages'; got {item!r}."
                )
            if folder in spaces:
                raise ArchiveError(f"{MARKER_NAME}: the folder {folder!r} is listed twice.")
            spaces[folder] = _Workspace(WorkspaceData(slug, list(langs), None), folder)
        return spaces

    def _file(self, space: _Workspace, name: str) -> None:
        fields, body = parse_front_matter(self.zf.text(name), name)
        folder = name.rsplit("/", 1)[0]
        if folder.count("/") > _MAX_DEPTH:
            raise ArchiveError(f"{name}: categories nest deeper than {_MAX_DEPTH} levels.")
        kind = fields.get("kind")
        item_id = _text(fields, "id", name)
        if kind not in ("article", "category") or not item_id:
            raise ArchiveError(
                f"{name}: the front matter needs 'kind' (article or category) and an 'id'."
            )
        known = self.owner.setdefault(item_id, (kind, folder))
        if known != (kind, folder):
            raise ArchiveError(f"{name}: the id {item_id} is used by another item or folder.")
        code = _text(fields, "language", name)
        if code is not None and (item_id, code.lower()) in self.languages:
            raise ArchiveError(f"{name}: a second file for language {code!r} of {item_id}.")
        if code is not None:
            self.languages.add((item_id, code.lower()))
        if kind == "category":
            if folder == space.folder:
                raise ArchiveError(
                    f"{name}: a category's file belongs in the category's own folder, not at "
                    "the top of the workspace."
                )
            category = space.categories.get(folder)
            if category is None:
                raw_type = fields.get("category_type")
                if raw_type is not None and raw_type not in CATEGORY_TYPES:
                    raise ArchiveError(f"{name}: unknown category_type {raw_type!r}.")
                category = CategoryData(
                    id=item_id,
                    title=_text(fields, "title", name) or "",
                    order=_int(fields, "order", name),
                    category_type=CATEGORY_TYPES.get(raw_type or "folder", 0),
                    icon=_text(fields, "icon", name),
                    hidden=_bool(fields, "hidden", name),
                )
                space.categories[folder] = category
                space.category_dirs.append(folder)
            elif category.id != item_id:
                raise ArchiveError(f"{name}: the folder {folder!r} holds two categories.")
            if code is not None:
                page = category.category_type != 0
                category.translations.append(self._translation(fields, body, code, name, page))
            return
        article = self.articles.get(item_id)
        if article is None:
            article = ArticleData(id=item_id, order=_int(fields, "order", name))
            self.articles[item_id] = article
            space.articles.append((folder, article))
        if code is None:
            raise ArchiveError(f"{name}: an article file needs a 'language'.")
        article.translations.append(self._translation(fields, body, code, name, True))

    def _translation(
        self, fields: dict[str, Any], body: str, code: str, name: str, versioned: bool
    ) -> TranslationData:
        title = _text(fields, "title", name) or ""
        status = fields.get("status")
        if status not in (None, "draft", "published"):
            self.out.warnings.append(f"{name}: unknown status {status!r}; imported as a draft.")
        published = status == "published"
        page_title = _text(fields, "page_title", name)
        content = self._links(body) if versioned else None
        revisions = (
            [RevisionData(1, None, page_title or title, content, published, None, None)]
            if versioned
            else None
        )
        return TranslationData(
            code=code,
            title=title,
            slug=_text(fields, "slug", name) or "",
            content=content,
            content_type=content_type_code(fields.get("content_type"), 0, name, self.out.warnings),
            seo_title=_text(fields, "seo_title", name),
            description=_text(fields, "description", name),
            hidden=_bool(fields, "hidden", name),
            public_version=(1 if published else 0) if versioned else None,
            latest_version=1 if versioned else None,
            revisions=revisions,
            page_title=page_title,
        )

    def _links(self, body: str) -> str:
        media = self.out.media

        def replace(match: re.Match[str]) -> str:
            path = match.group(1)
            if unquote(path) not in media:
                return match.group(0)
            return f"{_MEDIA_HOST}{MEDIA_DIR}/{path}"

        return _RELATIVE_MEDIA.sub(replace, body)

    def _assemble(self, space: _Workspace) -> None:
        root = space.folder
        for folder in space.category_dirs:
            category = space.categories[folder]
            parent_dir = folder.rsplit("/", 1)[0]
            if parent_dir == root:
                space.data.categories.append(category)
                continue
            parent = space.categories.get(parent_dir)
            if parent is None:
                raise ArchiveError(
                    f"The folder {parent_dir!r} holds categories or articles but no index.md "
                    "describing its own category."
                )
            parent.children.append(category)
        for folder, article in space.articles:
            if folder == root:
                space.data.articles.append(article)
                continue
            owner = space.categories.get(folder)
            if owner is None:
                raise ArchiveError(
                    f"The folder {folder!r} holds articles but no index.md describing its category."
                )
            owner.articles.append(article)
        # Stable sorts: equal orders keep the ZIP's (the export's tree) order.
        space.data.categories.sort(key=lambda c: c.order)
        space.data.articles.sort(key=lambda a: a.order)
        for category in space.categories.values():
            category.children.sort(key=lambda c: c.order)
            category.articles.sort(key=lambda a: a.order)


class MarkdownExport(OpenedExport):
    """An opened Markdown ZIP: the same interface as the JSON reader's `OpenedExport`."""

    def __init__(self, zf: CheckedZip) -> None:
        self._zf = zf
        self.archive = _Reader(zf).run()


def is_markdown_export(zf: CheckedZip) -> bool:
    return MARKER_NAME in zf.entries


__all__ = ["MarkdownExport", "is_markdown_export", "parse_front_matter"]
