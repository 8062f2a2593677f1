"""A mirror run: plan from the trees, then copy each changed item language in its own
transaction, then report.

The plan costs a fixed number of requests: the workspaces, one tree per workspace language
(with every category and article summary, so structure, order and visibility need no more),
the flat article list per workspace language (articles outside every category are only
there), the team, and the Drive listing. Then each item language that is new or whose
fingerprint moved at the source costs one content request, one more when its published
revision is not its latest, and one for its settings (tags, SEO, related articles: the only
route that has them; `--no-settings` saves it).
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session, sessionmaker

from lorebase.db.engine import transaction
from lorebase.db.models import DriveFile, User, utcnow
from lorebase.kb import drive, merge_codes, workspaces
from lorebase.mirror import source as src
from lorebase.mirror import state, writer
from lorebase.mirror.client import RateBudget, SourceClient, SourceError, lower_bound_seconds
from lorebase.mirror.source import (
    DriveFileInfo,
    DriveFolderInfo,
    SourceWorkspace,
    TeamMember,
    TreeArticle,
    TreeCategory,
)
from lorebase.render import MergeCodeValues
from lorebase.render.merge_codes import find_merge_codes
from lorebase.storage import BlobStore

PREFETCH = 8
_URL = re.compile(r"""https?://[^\s"'<>()\[\]\\]+""")

# What a mirror leaves behind, and why (listed in every report).
NOT_COPIED = (
    "variables, snippets and glossary terms: Document360's v2 API has no route for them; "
    "bodies keep their merge codes, listed above",
    "revisions other than the latest and the published one (each would cost one more request)",
    "reader groups, feedback, page views and portal settings: no v2 route",
    "Drive files that no body, category icon or featured image links to",
)


@dataclass(frozen=True)
class MirrorOptions:
    source_url: str
    token: str
    rate: RateBudget
    workspaces: tuple[str, ...] = ()  # ids or slugs; none: every workspace
    languages: tuple[str, ...] = ()  # codes; none: every language
    since: datetime | None = None
    prune: bool = False
    settings: bool = True


@dataclass
class Task:
    """One item language to copy."""

    kind: str  # article | category
    workspace_id: str
    item_id: str
    code: str
    fingerprint: str
    modified_at: datetime
    requests: int
    item_time: datetime
    article: TreeArticle | None = None
    category: TreeCategory | None = None

    @property
    def key(self) -> state.Key:
        return (self.kind, self.item_id, self.code)


@dataclass
class WorkspacePlan:
    workspace: SourceWorkspace
    codes: list[str]
    categories: list[TreeCategory] = field(default_factory=list)  # parents first
    category_names: dict[tuple[str, str], TreeCategory] = field(default_factory=dict)
    articles: dict[str, TreeArticle] = field(default_factory=dict)  # placement
    article_languages: dict[tuple[str, str], TreeArticle] = field(default_factory=dict)

    def times(self, kind: str) -> dict[str, datetime]:
        """Each article's or category's own modified_at (`writer.item_time`)."""
        entries = self.article_languages if kind == "article" else self.category_names
        found: dict[str, list[datetime]] = {}
        for (item_id, _), entry in entries.items():
            found.setdefault(item_id, []).append(entry.modified_at)
        return {item_id: writer.item_time(times) for item_id, times in found.items()}


@dataclass
class Plan:
    workspaces: list[WorkspacePlan]
    team: list[TeamMember]
    folders: dict[str, DriveFolderInfo]
    files: dict[str, DriveFileInfo]  # by URL path
    tasks: list[Task]
    unchanged: int
    deleted: list[tuple[state.Key, str | None]]
    watermark: datetime | None
    plan_requests: int

    @property
    def task_requests(self) -> int:
        return sum(t.requests for t in self.tasks)

    @property
    def categories(self) -> int:
        return sum(len(w.categories) for w in self.workspaces)

    @property
    def articles(self) -> int:
        return sum(len(w.articles) for w in self.workspaces)

    @property
    def article_languages(self) -> int:
        return sum(len(w.article_languages) for w in self.workspaces)


@dataclass(frozen=True)
class Fetched:
    """What the source gave for one task."""

    bodies: writer.Bodies | None
    settings: dict[str, Any] | None
    files: dict[str, tuple[DriveFileInfo, bytes | None]]


@dataclass
class MirrorReport:
    articles: int = 0  # article languages copied
    categories: int = 0  # category languages copied
    unchanged: int = 0
    vanished: list[state.Key] = field(default_factory=list)
    deleted: list[state.Key] = field(default_factory=list)
    pruned: int = 0
    files: int = 0
    files_missing: list[str] = field(default_factory=list)
    merge_codes: Counter[tuple[str, str]] = field(default_factory=Counter)
    team: int = 0
    requests: Counter[str] = field(default_factory=Counter)
    refused: int = 0
    retried: int = 0
    seconds: float = 0.0
    lower_bound: float = 0.0
    watermark: datetime | None = None


Progress = Callable[[Task | None, int, int], None]


class Mirror:
    """One run of `lorebase mirror` from a source into a project of this database."""

    def __init__(
        self,
        options: MirrorOptions,
        sessions: sessionmaker[Session],
        project_id: str,
        blobs: BlobStore | None,
        base_url: str,
    ) -> None:
        self.options = options
        self.sessions = sessions
        self.project_id = project_id
        self.blobs = blobs
        self.base_url = base_url
        self.client = SourceClient(options.source_url, options.token, options.rate)
        self.source_url = self.client.base
        self.remaining_requests = 0
        self.source_id = ""  # the MirrorSource row of the run
        self.started = time.monotonic()
        self.merge_code_values: dict[tuple[str, str], MergeCodeValues] = {}

    def close(self) -> None:
        self.client.close()

    def eta(self) -> float:
        return self.client.eta(self.remaining_requests)

    # ----------------------------------------------------------------------- the plan

    def plan(self) -> Plan:
        found = src.read_workspaces(self.client)
        wanted = {w.lower() for w in self.options.workspaces}
        chosen = [
            w for w in found if not wanted or w.id.lower() in wanted or w.slug.lower() in wanted
        ]
        if wanted and not chosen:
            raise SourceError(
                "none of the workspaces given with --project-version is in the source (it has: "
                + ", ".join(f"{w.slug} ({w.id})" for w in found)
                + ")."
            )
        spaces = [self._workspace_plan(ws) for ws in chosen]
        team = src.read_team(self.client)
        folders, files = src.read_drive(self.client)
        with transaction(self.sessions) as session:
            row = state.find_source(session, self.project_id, self.source_url)
            copied = state.copied_items(session, row.id if row else None)
            watermark = row.watermark if row else None
        tasks: list[Task] = []
        unchanged = 0
        present: set[state.Key] = set()
        for space in spaces:
            for task in self._tasks(space):
                present.add(task.key)
                before = copied.get(task.key)
                since = self.options.since
                if (
                    before is not None
                    and before.fingerprint == task.fingerprint
                    and not (since is not None and task.modified_at >= since)
                ):
                    unchanged += 1
                    continue
                tasks.append(task)
        planned = {s.workspace.id: {c.lower() for c in s.codes} for s in spaces}
        at_source = {w.id for w in found}
        # Gone at the source: an item language of a workspace read this run that its trees no
        # longer hold, and anything of a workspace the source no longer has at all.
        deleted: list[tuple[state.Key, str | None]] = [
            (key, item.workspace_id)
            for key, item in copied.items()
            if key[0] in ("article", "category")
            and key not in present
            and (
                (item.workspace_id in planned and key[2].lower() in planned[item.workspace_id])
                or (item.workspace_id is not None and item.workspace_id not in at_source)
            )
        ]
        # Team members and Drive files this mirror made that the source no longer lists.
        listed = {"member": {p.id for p in team}, "file": {f.id for f in files}}
        deleted += [
            (key, None) for key in copied if key[0] in listed and key[1] not in listed[key[0]]
        ]
        plan = Plan(
            workspaces=spaces,
            team=team,
            folders={f.id: f for f in folders},
            files={urlsplit(f.url).path: f for f in files if f.url},
            tasks=tasks,
            unchanged=unchanged,
            deleted=deleted,
            watermark=watermark,
            plan_requests=self.client.counts.total,
        )
        self.remaining_requests = plan.task_requests
        return plan

    def _workspace_plan(self, ws: SourceWorkspace) -> WorkspacePlan:
        default = ws.default_language
        wanted = {c.lower() for c in self.options.languages}
        codes = [lang.code for lang in ws.languages if not wanted or lang.code.lower() in wanted]
        space = WorkspacePlan(ws, codes)
        # The default language's tree gives the structure even when it is not mirrored.
        order = [default] + [c for c in codes if c != default]
        default_names: dict[str, TreeCategory] = {}
        for code in order:
            tree = src.read_tree(self.client, ws.id, code)
            in_tree = {a.id for a in tree.articles}
            loose = src.read_uncategorised(self.client, ws.id, code, in_tree)
            if code == default:
                space.categories = _keep_sibling_order(tree.categories)
                default_names = {c.id: c for c in tree.categories}
            for node in tree.categories:
                base = default_names.get(node.id)
                # The tree names a category in the default language when it has no
                # translation: a name, slug and description all the default's is taken as that.
                translated = (
                    code == default
                    or base is None
                    or (
                        (node.name, node.slug, node.description)
                        != (base.name, base.slug, base.description)
                    )
                )
                if code in codes and translated:
                    space.category_names[(node.id, code)] = node
            for summary in tree.articles + loose:
                space.articles.setdefault(summary.id, summary)
                if code in codes and summary.language_code.lower() == code.lower():
                    space.article_languages[(summary.id, code)] = summary
        return space

    def _tasks(self, space: WorkspacePlan) -> list[Task]:
        settings = 1 if self.options.settings else 0
        article_times = space.times("article")
        tasks = []
        for (category_id, code), node in space.category_names.items():
            page = 1 if node.category_type in writer.PAGE_TYPES else 0
            tasks.append(
                Task("category", space.workspace.id, category_id, code, node.fingerprint,
                     node.modified_at, page + settings, node.modified_at, category=node)
            )  # fmt: skip
        for (article_id, code), summary in space.article_languages.items():
            extra = 1 if 0 < summary.public_version != summary.latest_version else 0
            tasks.append(
                Task("article", space.workspace.id, article_id, code, summary.fingerprint,
                     summary.modified_at, 1 + extra + settings, article_times[article_id],
                     article=summary)
            )  # fmt: skip
        return tasks

    # ----------------------------------------------------------------------- the run

    def run(self, plan: Plan, progress: Progress | None = None) -> MirrorReport:
        report = MirrorReport(unchanged=plan.unchanged, deleted=[key for key, _ in plan.deleted])
        with transaction(self.sessions) as session:
            row = state.open_source(session, self.project_id, self.source_url)
            row.last_outcome = "running"
            row.last_started_at = utcnow()
            source_id = row.id
        outcome = "failed"
        try:
            self.source_id = source_id
            with transaction(self.sessions) as session:
                self.users = writer.upsert_team(session, self.project_id, plan.team)
                report.team = len(plan.team)
                for member, account in self.users.items():
                    if member == account:  # its own account, not one that had its email here
                        state.remember_made(session, source_id, "member", account)
            for space in plan.workspaces:
                self._structure(space, plan, report)
            total = len(plan.tasks)
            for done, (task, fetched) in enumerate(self._fetched(plan, report)):
                if progress is not None:
                    progress(task, done, total)
                if fetched is not None:
                    self._write(task, fetched, plan, source_id, report)
                self.remaining_requests = max(self.remaining_requests - task.requests, 0)
            if self.options.prune:
                for key, workspace_id in plan.deleted:
                    self._prune(key, workspace_id, source_id, plan)
                    report.pruned += 1
            if progress is not None:
                progress(None, total, total)
            outcome = "finished"
        except KeyboardInterrupt:
            outcome = "interrupted"
            raise
        finally:
            self._finish(source_id, plan, outcome, report)
        return report

    def _structure(self, space: WorkspacePlan, plan: Plan, report: MirrorReport) -> None:
        """The workspace, its languages, every category's place and every known article's
        place: all from the trees, in one transaction; category icons kept in the source's
        Drive are copied first and linked to the copies."""
        icons = self._media([c.icon for c in space.categories if c.icon], plan, report)
        with transaction(self.sessions) as session:
            writer.upsert_workspace(session, self.project_id, space.workspace)
            rewrite = self._store_media(session, icons, plan, report)
            categories = [
                replace(c, icon=rewrite(c.icon)) if c.icon else c for c in space.categories
            ]
            writer.upsert_categories(
                session, space.workspace.id, categories, space.times("category")
            )
            for (_, code), node in space.category_names.items():
                writer.upsert_category_name(session, node, code)
            writer.place_articles(
                session, space.workspace.id, list(space.articles.values()), space.times("article")
            )

    def _fetched(self, plan: Plan, report: MirrorReport) -> Iterator[tuple[Task, Fetched | None]]:
        """Each task with what the source gave for it (None: it vanished), read by one thread
        up to PREFETCH tasks ahead of the writes: the source's answers and the target's
        commits overlap, and requests still go one at a time. After an interruption at most
        those PREFETCH are read again."""
        tasks = iter(plan.tasks)
        ahead: deque[tuple[Task, Future[Fetched | None]]] = deque()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mirror-fetch") as reader:

            def read_next() -> None:
                task = next(tasks, None)
                if task is not None:
                    ahead.append((task, reader.submit(self._fetch, task, plan, report)))

            try:
                for _ in range(PREFETCH):
                    read_next()
                while ahead:
                    task, future = ahead.popleft()
                    fetched = future.result()
                    read_next()
                    yield task, fetched
            finally:
                for _, pending in ahead:
                    pending.cancel()

    def _fetch(self, task: Task, plan: Plan, report: MirrorReport) -> Fetched | None:
        settings = None
        if task.kind == "category":
            node = task.category
            assert node is not None
            bodies = None
            if node.category_type in writer.PAGE_TYPES:
                bodies = self._bodies(src.read_category_page, task)
                if bodies is None:
                    report.vanished.append(task.key)
                    return None
                if bodies.latest.is_fall_back_content:
                    bodies = None  # no page body in this language: the name alone is kept
            if self.options.settings:
                settings = src.read_settings(self.client, "category", task.item_id, task.code)
        else:
            bodies = self._bodies(src.read_article, task)
            if bodies is None or bodies.latest.is_fall_back_content:
                report.vanished.append(task.key)
                return None
            if self.options.settings:
                settings = src.read_settings(self.client, "article", task.item_id, task.code)
        texts = [
            t
            for rev in (bodies.revisions if bodies else [])
            for t in (rev.content, rev.html_content, rev.block_content)
            if t
        ]
        featured = (settings or {}).get("featured_image_url")
        if isinstance(featured, str) and featured:
            texts.append(featured)
        return Fetched(bodies, settings, self._media(texts, plan, report))

    def _write(
        self, task: Task, fetched: Fetched, plan: Plan, source_id: str, report: MirrorReport
    ) -> None:
        bodies, settings = fetched.bodies, fetched.settings
        with transaction(self.sessions) as session:
            rewrite = self._store_media(session, fetched.files, plan, report)
            if settings and settings.get("featured_image_url"):
                settings = {
                    **settings,
                    "featured_image_url": rewrite(settings["featured_image_url"]),
                }
            if task.kind == "category":
                assert task.category is not None
                writer.write_category_page(
                    session, task.category, task.code, bodies, settings, self.users, rewrite,
                    self._values(session, task),
                )  # fmt: skip
                report.categories += 1
            else:
                assert task.article is not None and bodies is not None
                writer.write_article_language(
                    session, task.workspace_id, task.article, task.code, bodies, settings,
                    self.users, rewrite, self._values(session, task), task.item_time,
                )  # fmt: skip
                report.articles += 1
            state.remember(
                session, source_id, task.key, workspace_id=task.workspace_id,
                fingerprint=task.fingerprint, modified_at=task.modified_at,
            )  # fmt: skip
        for rev in bodies.revisions if bodies else []:
            for code in find_merge_codes("\n".join(t for t in (rev.title, rev.content) if t)):
                report.merge_codes[code] += 1

    def _values(self, session: Session, task: Task) -> MergeCodeValues:
        """A language's merge-code values in the target, read once a run: the mirror writes
        none, and bodies made ready with stale values are made ready again when read."""
        key = (task.workspace_id, task.code)
        if key not in self.merge_code_values:
            self.merge_code_values[key] = merge_codes.values_for(session, *key)
        return self.merge_code_values[key]

    def _bodies(self, read: Callable[..., src.Revision | None], task: Task) -> writer.Bodies | None:
        latest = read(self.client, task.item_id, task.code)
        if latest is None:
            return None
        public = None
        if 0 < latest.public_version != latest.version_number:
            if task.kind == "category":
                self.remaining_requests += 1  # only the content says a page has a draft
            public = read(self.client, task.item_id, task.code, latest.public_version)
        return writer.Bodies(latest, public)

    # ----------------------------------------------------------------------- media

    def _media(
        self, texts: list[str], plan: Plan, report: MirrorReport
    ) -> dict[str, tuple[DriveFileInfo, bytes | None]]:
        """Source URL -> (file, its bytes, or None when the target already has it) for every
        Drive file the texts (bodies, an icon, a featured image) link to."""
        found: dict[str, tuple[DriveFileInfo, bytes | None]] = {}
        if not texts or not plan.files:
            return found
        with self.sessions() as session:
            for text in texts:
                for url in _URL.findall(text):
                    info = plan.files.get(urlsplit(url).path)
                    if info is None or url in found:
                        continue
                    have = session.get(DriveFile, info.id)
                    data = None
                    if have is None:
                        data = self.client.get_bytes(info.url, "media")
                        if data is None:
                            report.files_missing.append(info.url)
                            continue
                    found[url] = (info, data)
        return found

    def _store_media(
        self,
        session: Session,
        files: dict[str, tuple[DriveFileInfo, bytes | None]],
        plan: Plan,
        report: MirrorReport,
    ) -> writer.Rewrite:
        targets: dict[str, str] = {}
        for url, (info, data) in files.items():
            stored = session.get(DriveFile, info.id)
            if stored is None and data is not None and self.blobs is not None:
                folder = writer.ensure_drive_folder(
                    session, self.project_id, info.folder_id, plan.folders
                )
                stored = drive.add_file(
                    session, self.blobs, self.project_id, folder_id=folder,
                    file_name=info.file_name, data=data, user_id=None, file_id=info.id,
                )  # fmt: skip
                stored.title = info.title or stored.title
                stored.alternative_text = info.alternative_text
                stored.is_starred = info.is_starred
                report.files += 1
                state.remember_made(session, self.source_id, "file", stored.id)
            if stored is not None and stored.project_id == self.project_id:
                targets[url] = drive.media_url(
                    self.base_url, self.project_id, stored.id, stored.file_name
                )

        def rewrite(text: str | None) -> str | None:
            if not text or not targets:
                return text
            return _URL.sub(lambda m: targets.get(m.group(0), m.group(0)), text)

        return rewrite

    # ----------------------------------------------------------------------- the end

    def _prune(self, key: state.Key, workspace_id: str | None, source_id: str, plan: Plan) -> None:
        kind, item_id, code = key
        discarded: list[str] = []
        with transaction(self.sessions) as session:
            if kind == "member":
                # Disabled, not deleted: the account stays the author of what it wrote.
                account = session.get(User, item_id)
                if account is not None and account.disabled_at is None:
                    account.disabled_at = utcnow()
            elif kind == "file":
                if session.get(DriveFile, item_id) is not None:
                    discarded.append(drive.delete_file(session, self.project_id, item_id)[1])
            elif kind == "article":
                writer.delete_article_language(session, item_id, code)
            else:
                space = next((s for s in plan.workspaces if s.workspace.id == workspace_id), None)
                gone = space is None or not any(c.id == item_id for c in space.categories)
                writer.delete_category_language(session, item_id, code, last=gone)
            state.forget(session, source_id, key)
            if workspace_id is not None:
                workspaces.touch(session, workspace_id)
        if self.blobs is not None:
            drive.discard_blobs(self.blobs, discarded)

    def _finish(self, source_id: str, plan: Plan, outcome: str, report: MirrorReport) -> None:
        counts = self.client.counts
        report.requests = Counter(counts.sent)
        report.refused = counts.refused
        report.retried = counts.retried
        report.seconds = time.monotonic() - self.started
        enforced = RateBudget(self.client.pacer.limit, self.client.pacer.window)
        report.lower_bound = lower_bound_seconds(counts.total, enforced)
        try:
            with transaction(self.sessions) as session:
                row = state.open_source(session, self.project_id, self.source_url)
                row.last_outcome = outcome
                if outcome == "finished":
                    row.last_finished_at = utcnow()
                    times = [t.modified_at for s in plan.workspaces for t in self._tasks(s)]
                    if times:
                        row.watermark = max([*times, row.watermark] if row.watermark else times)
                report.watermark = row.watermark
        except Exception:  # the outcome is a courtesy; the items' own records are what counts
            return


def _keep_sibling_order(nodes: list[TreeCategory]) -> list[TreeCategory]:
    """The categories with creation times that keep the tree's order of siblings.

    Siblings are ordered by `order`, then creation time, then id; the API gives times to the
    millisecond, and siblings of one `order` created within one millisecond (an import makes
    them microseconds apart) would come back ordered by id. Each such sibling is placed one
    microsecond after the one before it, inside the same millisecond, as the tree lists them.
    """
    previous: dict[tuple[str | None, int], tuple[datetime, datetime]] = {}
    kept = []
    for node in nodes:
        key = (node.parent_id, node.order)
        created = node.created_at
        before = previous.get(key)
        if before is not None and before[0] == created:
            created = before[1] + timedelta(microseconds=1)
        previous[key] = (node.created_at, created)
        kept.append(
            dataclasses.replace(node, created_at=created) if created != node.created_at else node
        )
    return kept
