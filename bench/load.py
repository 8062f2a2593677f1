"""Load test: N clients send a mixed read/write workload to a live `lorebase serve` for a fixed
time; then every acknowledged write is read back.

Issue 5 ("Crash safety and concurrency"): 32 concurrent clients for 60 s on loopback, zero 5xx,
zero lost writes. Each virtual client has its own keep-alive connection and its own seeded RNG
and sends, one request at a time, ~70 % reads (an article latest / published / for display, its
versions, one version, its settings, a category, the category tree, search) and ~30 % writes
(update, create, fork, publish an article, its settings, create and rename a category). Each
client owns the articles and categories it creates, and only it writes them; besides, a handful
of shared articles are updated, forked and published by every client (contention on purpose).
The RNGs are seeded, the interleaving is whatever the machine makes of it.

Every answer to a write on an owned item, and every read of one by its owner, must agree with
what the owner's acknowledged writes make of it (one writer, sequential requests). After the
clients stop, the checker reads everything back (`verify`): the owned items must be exactly that,
the shared articles must satisfy what stays determinate under concurrency
(`verify_shared_article`).

    .venv/bin/python -m bench.load                          # SQLite, 32 clients, 60 s
    .venv/bin/python -m bench.load --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python -m bench.load --clients 8 --seconds 10

Standalone it creates a scratch database (bench.generate), starts `lorebase serve` on a free
port of 127.0.0.1 with a rate limit that is never reached, and prints a report. Like the other
bench scripts it exits 0 and prints a verdict; tests/e2e/test_load.py is the gate. A run that
measured nothing (no request of the load answered 2xx) or whose load generator crashed exits 1.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import orjson

if __package__ in (None, ""):  # run as `python bench/load.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate import ENGLISH_WORDS, TextWriter, body, generate_workspace, scratch_database
from bench.ratelimit import HIGH_LIMIT
from bench.reads import cpu_seconds, running_server
from bench.report import engine_name, percentile, say, table_lines, verdict, workspace_arguments

LANG = "en"
REQUEST_TIMEOUT = 30.0
# Clients stop sending at the deadline; one request may still be in flight for up to
# REQUEST_TIMEOUT. A client still busy after that is reported as stalled.
STOP_GRACE = REQUEST_TIMEOUT + 15.0
OWNED_AT_START = 3  # articles each client owns before the clock starts
SHARED_ARTICLES = 4
VERIFY_CONNECTIONS = 8
ALREADY_PUBLISHED = "Article has already been published."

# Route kinds and their weights: 70 reads, 30 writes out of 100.
# "own" reads are of what the reading client alone writes, compared with what it wrote.
READS: dict[str, float] = {
    "GET article": 12,
    "GET own article": 8,
    "GET shared article": 4,
    "GET article published": 4,
    "GET article for display": 6,
    "GET article versions": 8,
    "GET article version": 4,
    "GET article settings": 4,
    "GET category": 10,
    "GET category tree": 4,
    "GET search": 6,
}
WRITES: dict[str, float] = {
    "PUT article": 8,
    "POST article": 4,
    "PUT article fork": 2,
    "POST article publish": 3,
    "PUT article settings": 2,
    "POST category": 1.5,
    "PUT category": 1.5,
    "PUT shared article": 3,
    "PUT shared article fork": 2,
    "POST shared article publish": 3,
}
KINDS = [*READS, *WRITES]
WEIGHTS = [*READS.values(), *WRITES.values()]


def marker(client: int, sequence: int) -> str:
    """A word no other write uses: fixed length and letters only, so that a search for it (the
    last word is matched as a prefix) finds exactly the bodies that carry it, on FTS5 and on
    PostgreSQL's parser alike."""
    n = client * 10_000_000 + sequence
    letters = []
    for _ in range(8):
        n, digit = divmod(n, 26)
        letters.append(chr(ord("a") + digit))
    return "lq" + "".join(reversed(letters))


def _marker_of(content: str) -> str:
    return content.split("Revision ", 1)[1].split(".", 1)[0]


# --- what the clients know ----------------------------------------------------------------------


@dataclass
class Revision:
    title: str
    content: str


@dataclass
class OwnedArticle:
    """An article only one client writes: Document360's revision rules replayed on each
    acknowledged write give its exact state (kb/revisions.py)."""

    id: str
    category_id: str
    revisions: dict[int, Revision]
    latest: int = 1
    public: int = 0
    settings: dict[str, Any] | None = None
    acknowledged: int = 1  # writes acknowledged on it, the create included
    # A write on it got no answer: whether it took effect is unknown, so its state is no
    # longer determinate (the transport error fails the run on its own).
    in_doubt: bool = False

    def put(self, title: str, content: str) -> int:
        """A PUT without version_number edits the latest revision, or a copy of it when the
        latest is the published one."""
        if self.latest == self.public:
            self.latest += 1
        self.revisions[self.latest] = Revision(title, content)
        return self.latest

    def fork(self, source: int) -> int:
        self.latest += 1
        copied = self.revisions[source]
        self.revisions[self.latest] = Revision(copied.title, copied.content)
        return self.latest


@dataclass
class OwnedCategory:
    id: str
    parent_id: str | None
    name: str
    acknowledged: int = 1
    in_doubt: bool = False


@dataclass(frozen=True)
class SharedWrite:
    """One write on a shared article, with when it was sent and answered (perf_counter):
    two writes can have taken effect in either order unless one was answered before the
    other was sent. `answered` is infinite for a write whose outcome is unknown."""

    kind: str  # "put", "fork" or "publish"
    sent: float
    answered: float
    revision: int  # put: the revision its answer names; fork: the new one; publish: the target
    content: str = ""

    def may_follow(self, other: SharedWrite) -> bool:
        """Whether this write can have taken effect after `other`."""
        return self.answered > other.sent


@dataclass(frozen=True)
class SharedRead:
    """A read of a shared article: which revision it showed, which one was public then, and
    the marker word of the body it showed."""

    sent: float
    answered: float
    revision: int
    public: int
    marker: str


@dataclass
class SharedArticle:
    id: str
    initial: Revision
    acknowledged: list[SharedWrite] = field(default_factory=list)
    reads: list[SharedRead] = field(default_factory=list)
    in_doubt: list[SharedWrite] = field(default_factory=list)  # no answer (transport error)
    known_latest: int = 1  # the highest revision number an answer has named

    @property
    def writes(self) -> int:
        """Acknowledged writes on it, its creation included."""
        return 1 + len(self.acknowledged)

    def record(self, write: SharedWrite, *, in_doubt: bool = False) -> None:
        (self.in_doubt if in_doubt else self.acknowledged).append(write)
        if not in_doubt and write.kind != "publish":
            self.known_latest = max(self.known_latest, write.revision)


@dataclass
class Ledger:
    """What all clients share: ids to read, the shared articles, the workspace."""

    workspace_id: str
    owner_id: str
    shared_category_id: str = ""
    # The categories of the setup that no client owns: the root and the shared articles' home.
    fixed_categories: list[OwnedCategory] = field(default_factory=list)
    shared: list[SharedArticle] = field(default_factory=list)
    shared_lock: threading.Lock = field(default_factory=threading.Lock)
    # Ids whose creation was acknowledged: from then on every GET of them must succeed.
    article_ids: list[str] = field(default_factory=list)
    category_ids: list[str] = field(default_factory=list)


# --- requests and answers -----------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    json: Any = None
    params: dict[str, str] | None = None

    def content(self) -> bytes | None:
        return None if self.json is None else orjson.dumps(self.json)


@dataclass
class Answer:
    status: int  # 0: no answer (transport error or timeout)
    raw: bytes
    sent: float
    answered: float
    error: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        return orjson.loads(self.raw)

    def data(self) -> Any:
        return self.json()["data"]

    def description(self) -> str:
        try:
            errors = self.json().get("errors") or []
            return str(errors[0].get("description", "")) if errors else ""
        except (orjson.JSONDecodeError, AttributeError, IndexError):
            return ""

    def excerpt(self) -> str:
        return self.error or self.raw[:300].decode("utf-8", "replace")


@dataclass
class Planned:
    kind: str
    request: Request
    settle: Callable[[Answer], None] = lambda answer: None
    # A 4xx that concurrency explains (e.g. publishing what another client just published).
    explains: Callable[[Answer], bool] = lambda answer: False
    owned: OwnedArticle | OwnedCategory | None = None  # what a write of the client's changes


@dataclass(frozen=True)
class Exchange:
    kind: str
    status: int
    latency_ms: float


HEADERS_JSON = {"content-type": "application/json"}


def _send(http: httpx.Client, request: Request) -> Answer:
    sent = time.perf_counter()
    try:
        response = http.request(
            request.method,
            request.path,
            content=request.content(),
            params=request.params,
            headers=HEADERS_JSON if request.json is not None else None,
        )
        return Answer(response.status_code, response.content, sent, time.perf_counter())
    except httpx.HTTPError as error:  # resets, refused connections, timeouts
        return Answer(0, b"", sent, time.perf_counter(), f"{type(error).__name__}: {error}")


# --- one virtual client -------------------------------------------------------------------------


class LoadClient:
    """Chooses the next request from its RNG and what it owns, and settles each answer."""

    def __init__(self, index: int, seed: int, ledger: Ledger, home: OwnedCategory) -> None:
        self.index = index
        self.rng = random.Random(f"{seed}:{index}")
        self.writer = TextWriter(self.rng, ENGLISH_WORDS)
        self.ledger = ledger
        self.home = home
        self.categories: dict[str, OwnedCategory] = {home.id: home}
        self.articles: dict[str, OwnedArticle] = {}
        self.sequence = 0
        self.exchanges: list[Exchange] = []
        self.server_errors: list[str] = []
        self.transport_errors: list[str] = []
        self.unexplained: list[str] = []
        self.explained: Counter[str] = Counter()
        self.wrong_answers: list[str] = []
        self.acknowledged: Counter[str] = Counter()
        self.crash = ""  # the traceback that stopped this client, if one did

    def run(self, http: httpx.Client, deadline: float) -> None:
        try:
            while time.perf_counter() < deadline:
                planned = self.plan()
                self.settle(planned, _send(http, planned.request))
        except Exception:
            self.crash = traceback.format_exc()

    # -- text --

    def text(self, size: tuple[int, int] = (300, 2500)) -> tuple[str, str]:
        """A title and a Markdown body, both carrying a marker word of their own."""
        self.sequence += 1
        word = marker(self.index, self.sequence)
        title = f"{self.writer.title()} {word}"
        parts = self.writer.markdown(title, self.rng.randint(*size))
        parts.insert(1, f"Revision {word}.")
        return title, body(parts)

    # -- choosing --

    def plan(self) -> Planned:
        kind = self.rng.choices(KINDS, WEIGHTS)[0]
        return getattr(self, "_" + kind.lower().replace(" ", "_"))(kind)  # type: ignore[no-any-return]

    def settle(self, planned: Planned, answer: Answer) -> None:
        self.exchanges.append(
            Exchange(planned.kind, answer.status, (answer.answered - answer.sent) * 1000)
        )
        what = f"{planned.kind} {planned.request.method} {planned.request.path}"
        if answer.status == 0:
            self.transport_errors.append(f"{what}: {answer.excerpt()}")
        elif answer.status >= 500:
            self.server_errors.append(f"{what}: HTTP {answer.status} {answer.excerpt()}")
        elif answer.status >= 400:
            if planned.explains(answer):
                self.explained[f"{planned.kind}: {answer.status} {answer.description()}"] += 1
            else:
                self.unexplained.append(f"{what}: HTTP {answer.status} {answer.excerpt()}")
        if answer.ok and planned.kind in WRITES:
            self.acknowledged[planned.kind] += 1
        if answer.status == 0 and planned.owned is not None:
            planned.owned.in_doubt = True
        planned.settle(answer)

    def expect(self, item: OwnedArticle | OwnedCategory, what: str, got: Any, wanted: Any) -> None:
        if got != wanted and not item.in_doubt:
            self.wrong_answers.append(
                f"client {self.index}: {what}: answered {got!r}, expected {wanted!r}"
            )

    def _any_article(self) -> str:
        return self.rng.choice(self.ledger.article_ids)

    def _own_article(self) -> OwnedArticle:
        return self.rng.choice(list(self.articles.values()))

    def _shared(self) -> SharedArticle:
        return self.rng.choice(self.ledger.shared)

    # -- reads of anything: only the status counts (other clients write concurrently) --

    def _get_article(self, kind: str) -> Planned:
        return Planned(kind, Request("GET", f"/v2/Articles/{self._any_article()}/{LANG}"))

    def _get_article_published(self, kind: str) -> Planned:
        path = f"/v2/Articles/{self._any_article()}/{LANG}"
        return Planned(kind, Request("GET", path, params={"isPublished": "true"}))

    def _get_article_for_display(self, kind: str) -> Planned:
        path = f"/v2/Articles/{self._any_article()}/{LANG}"
        return Planned(kind, Request("GET", path, params={"isForDisplay": "true"}))

    def _get_article_versions(self, kind: str) -> Planned:
        if self.rng.random() < 0.5:
            path = f"/v2/Articles/{self._any_article()}/{LANG}/versions"
            return Planned(kind, Request("GET", path))
        article = self._own_article()

        def settle(answer: Answer) -> None:
            if answer.ok:
                listed = {v["version_number"]: v["status"] for v in answer.data()}
                wanted = {n: 3 if n == article.public else 0 for n in article.revisions}
                self.expect(article, f"versions of own {article.id}", listed, wanted)

        return Planned(kind, Request("GET", f"/v2/Articles/{article.id}/{LANG}/versions"), settle)

    def _get_article_version(self, kind: str) -> Planned:
        # A number known to exist: nothing deletes revisions during the run.
        article = self._own_article()
        number = self.rng.choice(list(article.revisions))

        def settle(answer: Answer) -> None:
            if answer.ok:
                data = answer.data()
                wanted = article.revisions[number]
                got = (data["title"], data["content"] == wanted.content)
                self.expect(
                    article, f"own {article.id} v{number} title, body", got, (wanted.title, True)
                )

        path = f"/v2/Articles/{article.id}/{LANG}/versions/{number}"
        return Planned(kind, Request("GET", path), settle)

    def _get_article_settings(self, kind: str) -> Planned:
        if self.rng.random() < 0.5:
            path = f"/v2/Articles/{self._any_article()}/{LANG}/settings"
            return Planned(kind, Request("GET", path))
        article = self._own_article()

        def settle(answer: Answer) -> None:
            if answer.ok and article.settings is not None:
                data = answer.data()
                got = {key: data[key] for key in article.settings}
                self.expect(article, f"settings of own {article.id}", got, article.settings)

        return Planned(kind, Request("GET", f"/v2/Articles/{article.id}/{LANG}/settings"), settle)

    def _get_category(self, kind: str) -> Planned:
        if self.rng.random() < 0.5:
            category_id = self.rng.choice(self.ledger.category_ids)
            return Planned(kind, Request("GET", f"/v2/Categories/{category_id}"))
        category = self.rng.choice(list(self.categories.values()))

        def settle(answer: Answer) -> None:
            if answer.ok:
                data = answer.data()
                got = (data["name"], data["parent_category_id"])
                self.expect(
                    category,
                    f"own category {category.id}",
                    got,
                    (category.name, category.parent_id),
                )

        return Planned(kind, Request("GET", f"/v2/Categories/{category.id}"), settle)

    # -- reads of what this client alone writes: they must show its last acknowledged write
    # (its requests are sequential, so every write it made was answered before) --

    def _get_own_article(self, kind: str) -> Planned:
        article = self._own_article()
        published = self.rng.random() < 0.3
        shown = article.public if published and article.public else article.latest

        def settle(answer: Answer) -> None:
            if answer.ok:
                data = answer.data()
                wanted = article.revisions[shown]
                what = f"own {article.id} ({'published' if published else 'latest'})"
                got = (data["version_number"], data["public_version"], data["latest_version"])
                self.expect(article, what, got, (shown, article.public, article.latest))
                got_body = (data["title"], data["content"] == wanted.content)
                self.expect(article, what + " title, body", got_body, (wanted.title, True))

        params = {"isPublished": "true"} if published else None
        return Planned(
            kind, Request("GET", f"/v2/Articles/{article.id}/{LANG}", params=params), settle
        )

    # -- reads of the shared articles: kept for the checker (verify_shared_article) --

    def _get_shared_article(self, kind: str) -> Planned:
        shared = self._shared()
        roll = self.rng.random()
        path = f"/v2/Articles/{shared.id}/{LANG}"
        params = None
        if roll < 0.5:
            params = {"isPublished": "true"}
        elif roll < 0.75:
            path += f"/versions/{self.rng.randint(1, shared.known_latest)}"

        def settle(answer: Answer) -> None:
            if answer.ok:
                data = answer.data()
                read = SharedRead(
                    answer.sent,
                    answer.answered,
                    data["version_number"],
                    data["public_version"],
                    _marker_of(data["content"]),
                )
                with self.ledger.shared_lock:
                    shared.reads.append(read)

        return Planned(kind, Request("GET", path, params=params), settle)

    def _get_category_tree(self, kind: str) -> Planned:
        path = f"/v2/ProjectVersions/{self.ledger.workspace_id}/categories"
        return Planned(kind, Request("GET", path))

    def _get_search(self, kind: str) -> Planned:
        query = self.rng.choice(ENGLISH_WORDS["nouns"])
        if self.rng.random() < 0.3:
            query = marker(self.index, self.rng.randint(1, max(1, self.sequence)))
        params = {"searchQuery": query, "includeDrafts": self.rng.choice(["true", "false"])}
        path = f"/v2/ProjectVersions/{self.ledger.workspace_id}/{LANG}"
        return Planned(kind, Request("GET", path, params=params))

    # -- writes on what this client owns: each answer is checked against the replayed rules --

    def create_article_request(self, category_id: str) -> tuple[Request, str, str]:
        title, content = self.text()
        request = Request(
            "POST",
            "/v2/Articles",
            {
                "title": title,
                "content": content,
                "category_id": category_id,
                "project_version_id": self.ledger.workspace_id,
                "user_id": self.ledger.owner_id,
            },
        )
        return request, title, content

    def adopt_article(self, answer: Answer, category_id: str, title: str, content: str) -> None:
        data = answer.data()
        article = OwnedArticle(data["id"], category_id, {1: Revision(title, content)})
        self.expect(article, "new article latest_version", data["latest_version"], 1)
        self.articles[article.id] = article
        self.ledger.article_ids.append(article.id)

    def _post_article(self, kind: str) -> Planned:
        # Mostly in one of its own categories; sometimes in the shared one, where every
        # client appends articles to the same sibling list.
        if self.rng.random() < 0.2:
            category_id = self.ledger.shared_category_id
        else:
            category_id = self.rng.choice(list(self.categories))
        request, title, content = self.create_article_request(category_id)

        def settle(answer: Answer) -> None:
            if answer.ok:
                self.adopt_article(answer, category_id, title, content)

        return Planned(kind, request, settle)

    def _put_article(self, kind: str) -> Planned:
        article = self._own_article()
        title, content = self.text()

        def settle(answer: Answer) -> None:
            if answer.ok:
                written = article.put(title, content)
                article.acknowledged += 1
                data = answer.data()
                self.expect(article, f"PUT {article.id} latest", data["latest_version"], written)
                self.expect(
                    article, f"PUT {article.id} public", data["public_version"], article.public
                )

        path = f"/v2/Articles/{article.id}/{LANG}"
        request = Request("PUT", path, {"title": title, "content": content})
        return Planned(kind, request, settle, owned=article)

    def _put_article_fork(self, kind: str) -> Planned:
        article = self._own_article()
        source = self.rng.choice(list(article.revisions))

        def settle(answer: Answer) -> None:
            if answer.ok:
                made = article.fork(source)
                article.acknowledged += 1
                data = answer.data()
                self.expect(article, f"fork {article.id} number", data["version_number"], made)
                self.expect(article, f"fork {article.id} base", data["base_version"], source)

        fork = {"version_number": source, "user_id": self.ledger.owner_id, "lang_code": LANG}
        request = Request("PUT", f"/v2/Articles/{article.id}/fork", fork)
        return Planned(kind, request, settle, owned=article)

    def _post_article_publish(self, kind: str) -> Planned:
        article = self._own_article()
        # Publishing the published revision is refused (400); pick another. Mostly the
        # latest, as authors do; sometimes an older one (a rollback).
        choices = [n for n in article.revisions if n != article.public]
        if not choices:
            return self._put_article_fork("PUT article fork")
        target = article.latest if article.latest != article.public else self.rng.choice(choices)
        if self.rng.random() < 0.2:
            target = self.rng.choice(choices)

        def settle(answer: Answer) -> None:
            if answer.ok:
                article.public = target
                article.acknowledged += 1
                data = answer.data()
                self.expect(article, f"publish {article.id}", data["public_version"], target)

        publish = {"user_id": self.ledger.owner_id, "version_number": target}
        path = f"/v2/Articles/{article.id}/{LANG}/publish"
        return Planned(kind, Request("POST", path, publish), settle, owned=article)

    def _put_article_settings(self, kind: str) -> Planned:
        article = self._own_article()
        self.sequence += 1
        word = marker(self.index, self.sequence)
        wanted = {
            "description": f"{self.writer.sentence()} {word}",
            "seo_title": f"{self.writer.title()} {word}",
            "tags": self.rng.sample(ENGLISH_WORDS["nouns"], self.rng.randint(0, 3)),
        }

        def settle(answer: Answer) -> None:
            if answer.ok:
                article.settings = wanted
                article.acknowledged += 1

        path = f"/v2/Articles/{article.id}/{LANG}/settings"
        return Planned(kind, Request("PUT", path, wanted), settle, owned=article)

    def _post_category(self, kind: str) -> Planned:
        # Under its home category or one of the home's children: Document360 nests at most
        # seven levels, this stays at four.
        home = self.home.id
        parent = self.rng.choice(
            [home, *(c.id for c in self.categories.values() if c.parent_id == home)]
        )
        self.sequence += 1
        name = f"{self.writer.category_name()} {marker(self.index, self.sequence)}"

        def settle(answer: Answer) -> None:
            if answer.ok:
                created = OwnedCategory(answer.data()["id"], parent, name)
                self.categories[created.id] = created
                self.ledger.category_ids.append(created.id)

        add = {
            "name": name,
            "project_version_id": self.ledger.workspace_id,
            "parent_category_id": parent,
            "category_type": 0,
        }
        return Planned(kind, Request("POST", "/v2/Categories", add), settle)

    def _put_category(self, kind: str) -> Planned:
        category = self.rng.choice(list(self.categories.values()))
        self.sequence += 1
        name = f"{self.writer.category_name()} {marker(self.index, self.sequence)}"

        def settle(answer: Answer) -> None:
            if answer.ok:
                category.name = name
                category.acknowledged += 1

        request = Request("PUT", f"/v2/Categories/{category.id}", {"name": name})
        return Planned(kind, request, settle, owned=category)

    # -- writes on the shared articles: recorded with their times for the checker --

    def _record_shared(self, shared: SharedArticle, answer: Answer, write: SharedWrite) -> None:
        if answer.ok or answer.status == 0:
            with self.ledger.shared_lock:
                shared.record(write, in_doubt=answer.status == 0)

    def _put_shared_article(self, kind: str) -> Planned:
        shared = self._shared()
        title, content = self.text()

        def settle(answer: Answer) -> None:
            # The answer's latest_version names the revision this PUT wrote: the translation
            # row it decided on, as of its own commit.
            number = answer.data()["latest_version"] if answer.ok else 0
            end = answer.answered if answer.ok else float("inf")
            self._record_shared(
                shared, answer, SharedWrite("put", answer.sent, end, number, content)
            )

        path = f"/v2/Articles/{shared.id}/{LANG}"
        return Planned(kind, Request("PUT", path, {"title": title, "content": content}), settle)

    def _put_shared_article_fork(self, kind: str) -> Planned:
        shared = self._shared()
        source = self.rng.randint(1, shared.known_latest)

        def settle(answer: Answer) -> None:
            number = answer.data()["version_number"] if answer.ok else 0
            end = answer.answered if answer.ok else float("inf")
            self._record_shared(shared, answer, SharedWrite("fork", answer.sent, end, number))

        fork = {"version_number": source, "user_id": self.ledger.owner_id, "lang_code": LANG}
        return Planned(kind, Request("PUT", f"/v2/Articles/{shared.id}/fork", fork), settle)

    def _post_shared_article_publish(self, kind: str) -> Planned:
        shared = self._shared()
        target = shared.known_latest
        if self.rng.random() < 0.3:
            target = self.rng.randint(1, shared.known_latest)

        def settle(answer: Answer) -> None:
            end = answer.answered if answer.ok else float("inf")
            self._record_shared(shared, answer, SharedWrite("publish", answer.sent, end, target))

        def explains(answer: Answer) -> bool:
            # Another client published this revision first: a refusal, nothing written.
            return answer.status == 400 and answer.description() == ALREADY_PUBLISHED

        publish = {"user_id": self.ledger.owner_id, "version_number": target}
        path = f"/v2/Articles/{shared.id}/{LANG}/publish"
        return Planned(kind, Request("POST", path, publish), settle, explains)


# --- setup --------------------------------------------------------------------------------------


def _ok(http: httpx.Client, request: Request) -> Answer:
    answer = _send(http, request)
    if not answer.ok:
        raise RuntimeError(
            f"setup: {request.method} {request.path}: HTTP {answer.status} {answer.excerpt()}"
        )
    return answer


def prepare(http: httpx.Client, clients: int, seed: int) -> tuple[Ledger, list[LoadClient]]:
    """Before the clock starts: a category per client with a few articles it owns, and the
    shared articles, each published at revision 1. These writes are checked like the others."""
    workspace_id = _ok(http, Request("GET", "/v2/ProjectVersions")).json()["data"][0]["id"]
    owner_id = _ok(http, Request("GET", "/v2/Teams")).json()["result"][0]["user_id"]
    ledger = Ledger(workspace_id, owner_id)

    def category(name: str, parent: str | None) -> OwnedCategory:
        add = {"name": name, "project_version_id": workspace_id, "parent_category_id": parent}
        created = _ok(http, Request("POST", "/v2/Categories", add)).data()["id"]
        ledger.category_ids.append(created)
        return OwnedCategory(created, parent, name)

    root = category("Load test", None)
    shared_home = category("Shared", root.id)
    ledger.shared_category_id = shared_home.id
    ledger.fixed_categories = [root, shared_home]
    loaders = []
    for index in range(clients):
        home = category(f"Client {index:02d}", root.id)
        client = LoadClient(index, seed, ledger, home)
        for _ in range(OWNED_AT_START):
            request, title, content = client.create_article_request(home.id)
            client.adopt_article(_ok(http, request), home.id, title, content)
        loaders.append(client)
    author = LoadClient(clients, seed, ledger, shared_home)
    for _ in range(SHARED_ARTICLES):
        request, title, content = author.create_article_request(shared_home.id)
        article_id = _ok(http, request).data()["id"]
        shared = SharedArticle(article_id, Revision(title, content))
        publish = {"user_id": owner_id, "version_number": 1}
        answer = _ok(http, Request("POST", f"/v2/Articles/{article_id}/{LANG}/publish", publish))
        shared.record(SharedWrite("publish", answer.sent, answer.answered, 1))
        ledger.shared.append(shared)
        ledger.article_ids.append(article_id)
    return ledger, loaders


# --- the driver ---------------------------------------------------------------------------------


def drive(loaders: list[LoadClient], base_url: str, token: str, deadline: float) -> list[int]:
    """One thread and one httpx.Client per virtual client (an asyncio driver, measured
    beside it, cost the load generator more CPU for fewer requests). Returns the stalled
    clients."""

    def run(client: LoadClient) -> None:
        with httpx.Client(
            base_url=base_url,
            headers={"api_token": token},
            timeout=REQUEST_TIMEOUT,
            # One keep-alive connection per virtual client.
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        ) as http:
            client.run(http, deadline)

    threads = [
        threading.Thread(target=run, args=(c,), name=f"load-{c.index}", daemon=True)
        for c in loaders
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline + STOP_GRACE - time.perf_counter()))
    return [c.index for c, t in zip(loaders, threads, strict=True) if t.is_alive()]


# --- the checker --------------------------------------------------------------------------------


@dataclass
class Verification:
    """Each acknowledged write ends up verified (its effect, or that of a later write that
    supersedes it, was read back) or lost; `violations` are broken invariants."""

    writes_verified: int = 0
    writes_lost: int = 0
    writes_in_doubt: int = 0  # on items a write without an answer made indeterminate
    lost_writes: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    requests: int = 0
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def lost(self, count: int, what: str) -> None:
        with self.lock:
            self.writes_lost += count
            self.lost_writes.append(f"{what} ({count} acknowledged write(s))")

    def in_doubt(self, count: int) -> None:
        with self.lock:
            self.writes_in_doubt += count

    def verified(self, count: int) -> None:
        with self.lock:
            self.writes_verified += count

    def violated(self, what: str) -> None:
        with self.lock:
            self.violations.append(what)


class Reader:
    """GETs for the checker, one keep-alive connection per checker thread."""

    def __init__(self, base_url: str, token: str, verification: Verification) -> None:
        self.local = threading.local()
        self.base_url, self.token = base_url, token
        self.verification = verification
        self.clients: list[httpx.Client] = []
        self.lock = threading.Lock()

    def get(self, path: str, **params: str) -> Any:
        http = getattr(self.local, "http", None)
        if http is None:
            http = self.local.http = httpx.Client(
                base_url=self.base_url, headers={"api_token": self.token}, timeout=REQUEST_TIMEOUT
            )
            with self.lock:
                self.clients.append(http)
        with self.verification.lock:
            self.verification.requests += 1
        response = http.get(path, params=params or None)
        if response.status_code != 200:
            return None
        return orjson.loads(response.content)

    def close(self) -> None:
        for http in self.clients:
            http.close()


def _walk(nodes: Iterable[dict[str, Any]], parent: str | None) -> Iterator[tuple[str, Any, Any]]:
    for node in nodes:
        yield "category", node, parent
        for article in node.get("articles") or []:
            yield "article", article, node["id"]
        yield from _walk(node.get("child_categories") or [], node["id"])


def check_tree(reader: Reader, ledger: Ledger, loaders: list[LoadClient], v: Verification) -> None:
    """Every acknowledged category and article is in the tree once, where it was put."""
    tree = reader.get(f"/v2/ProjectVersions/{ledger.workspace_id}/categories")
    if tree is None:
        v.violated("GET the category tree failed after the run")
        return
    places: dict[str, list[Any]] = defaultdict(list)
    names: dict[str, str] = {}
    for what, node, parent in _walk(tree["data"], None):
        places[node["id"]].append(parent)
        if what == "category":
            names[node["id"]] = node["name"]
    for item_id, parents in places.items():
        if len(parents) > 1:
            v.violated(f"{item_id} appears {len(parents)} times in the category tree")
    categories = [*ledger.fixed_categories, *(k for c in loaders for k in c.categories.values())]
    for category in categories:
        if places.get(category.id) != [category.parent_id]:
            v.violated(
                f"category {category.id} is under {places.get(category.id)} in the tree, "
                f"expected {category.parent_id}"
            )
        elif names[category.id] != category.name:
            v.violated(f"category {category.id} is named {names[category.id]!r} in the tree")
    articles = [(a.id, a.category_id) for c in loaders for a in c.articles.values()]
    articles += [(s.id, ledger.shared_category_id) for s in ledger.shared]
    for article_id, category_id in articles:
        if places.get(article_id) != [category_id]:
            v.violated(
                f"article {article_id} is under {places.get(article_id)} in the tree, "
                f"expected {category_id}"
            )


def _search_finds(reader: Reader, ledger: Ledger, word: str, drafts: bool) -> dict[str, int]:
    found = reader.get(
        f"/v2/ProjectVersions/{ledger.workspace_id}/{LANG}",
        searchQuery=word,
        includeDrafts="true" if drafts else "false",
        hitsPerPage="100",
    )
    if found is None:
        return {}
    return {hit["article_id"]: hit["version"] for hit in found["data"]["hits"]}


def check_search(
    reader: Reader,
    ledger: Ledger,
    article_id: str,
    latest: Revision,
    latest_number: int,
    published: Revision | None,
    public_number: int,
    v: Verification,
) -> bool:
    """Once writes have stopped, search finds the latest revision (drafts included) and the
    published one (without) by their marker words, each once, at the right version."""
    good = True
    wanted = [(latest, latest_number, True)]
    if published is not None:
        wanted.append((published, public_number, False))
    for revision, number, drafts in wanted:
        hits = _search_finds(reader, ledger, _marker_of(revision.content), drafts)
        if hits.get(article_id) != number:
            good = False
            v.violated(
                f"search ({'drafts' if drafts else 'published'}) for the marker of "
                f"{article_id} v{number} found {hits}"
            )
    return good


def verify_owned_article(
    reader: Reader, ledger: Ledger, client: int, article: OwnedArticle, v: Verification
) -> None:
    """One writer: the article must be exactly what the replayed rules say, revision by
    revision. A mismatch loses the acknowledged writes of this article."""
    if article.in_doubt:
        v.in_doubt(article.acknowledged)
        return
    problems = []
    versions = reader.get(f"/v2/Articles/{article.id}/{LANG}/versions")
    if versions is None:
        v.lost(article.acknowledged, f"article {article.id} (client {client}) is gone")
        return
    numbers = [item["version_number"] for item in versions["data"]]
    published = [item["version_number"] for item in versions["data"] if item["status"] == 3]
    if sorted(numbers) != sorted(article.revisions):
        problems.append(f"revisions {sorted(numbers)}, expected {sorted(article.revisions)}")
    if published != ([article.public] if article.public else []):
        problems.append(f"published {published}, expected {article.public or 'none'}")
    for number, expected in article.revisions.items():
        got = reader.get(f"/v2/Articles/{article.id}/{LANG}/versions/{number}")
        if got is None:
            problems.append(f"v{number} missing")
        elif got["data"]["title"] != expected.title:
            problems.append(f"v{number} is {got['data']['title']!r}, expected {expected.title!r}")
        elif got["data"]["content"] != expected.content:
            problems.append(f"v{number} has another body than {_marker_of(expected.content)}")
    latest = reader.get(f"/v2/Articles/{article.id}/{LANG}")
    if latest is None or latest["data"]["content"] != article.revisions[article.latest].content:
        problems.append("GET /v2/Articles/{id}/{lang} does not answer the latest revision")
    if article.settings is not None:
        settings = reader.get(f"/v2/Articles/{article.id}/{LANG}/settings")
        got_settings = (
            None if settings is None else {k: settings["data"][k] for k in article.settings}
        )
        if got_settings != article.settings:
            problems.append(f"settings {got_settings}, expected {article.settings}")
    public = article.revisions.get(article.public)
    check_search(
        reader,
        ledger,
        article.id,
        article.revisions[article.latest],
        article.latest,
        public,
        article.public,
        v,
    )
    if problems:
        v.lost(article.acknowledged, f"article {article.id} (client {client}): {problems}")
    else:
        v.verified(article.acknowledged)


def verify_category(reader: Reader, category: OwnedCategory, v: Verification) -> None:
    if category.in_doubt:
        v.in_doubt(category.acknowledged)
        return
    got = reader.get(f"/v2/Categories/{category.id}")
    if got is None:
        v.lost(category.acknowledged, f"category {category.id} is gone")
    elif (got["data"]["name"], got["data"]["parent_category_id"]) != (
        category.name,
        category.parent_id,
    ):
        v.lost(
            category.acknowledged,
            f"category {category.id} is {got['data']['name']!r} under "
            f"{got['data']['parent_category_id']}, expected {category.name!r} under "
            f"{category.parent_id}",
        )
    else:
        v.verified(category.acknowledged)


def verify_shared_article(
    reader: Reader, ledger: Ledger, shared: SharedArticle, v: Verification
) -> None:
    """Every client wrote it, so its final state is not one answer; what must hold whatever
    order the server chose (a write can only have taken effect after another if it was answered
    after that one was sent, `SharedWrite.may_follow`):

    - revision numbers are 1..latest, each once (nothing deletes), and every number an answer
      named exists;
    - every revision holds the initial body or the body of a PUT that was acknowledged (or got
      no answer): a refused or invented write leaves nothing;
    - a revision's body is its last writer's: an acknowledged PUT's body is gone only if
      another PUT naming the same revision may have followed it (forks never edit in place);
    - the published revision was the target of a publish that no publish of another revision
      must have followed;
    - a PUT sent after the publish of revision r was acknowledged, with no publish of another
      revision that may lie in between, finds r published and must copy it: an answer naming
      r means a published revision was edited in place;
    - likewise for readers: once a read showed r as the public revision, a later read of r
      shows the same body unless a publish of another revision may lie between the two reads
      (only a draft is edited in place);
    - search finds the latest and the published revision.
    """
    versions = reader.get(f"/v2/Articles/{shared.id}/{LANG}/versions")
    if versions is None:
        v.lost(shared.writes, f"shared article {shared.id} is gone")
        return
    v.verified(1)  # its creation
    numbers = sorted(item["version_number"] for item in versions["data"])
    published = [item["version_number"] for item in versions["data"] if item["status"] == 3]
    where = f"shared article {shared.id}"
    if numbers != list(range(1, len(numbers) + 1)):
        v.violated(f"{where}: revision numbers {numbers} are not 1..n")
    contents: dict[int, Revision] = {}
    for number in set(numbers):
        got = reader.get(f"/v2/Articles/{shared.id}/{LANG}/versions/{number}")
        if got is not None:
            contents[number] = Revision(got["data"]["title"], got["data"]["content"])
    written = {w.content for w in shared.acknowledged + shared.in_doubt if w.kind == "put"}
    for number, revision in contents.items():
        if revision.content != shared.initial.content and revision.content not in written:
            v.violated(f"{where}: v{number} holds a body no acknowledged PUT sent")
    forks = [w.revision for w in shared.acknowledged if w.kind == "fork"]
    if len(forks) != len(set(forks)):
        v.violated(f"{where}: two acknowledged forks were answered the same revision number")
    puts = [w for w in shared.acknowledged if w.kind == "put"]
    publishes = [w for w in shared.acknowledged if w.kind == "publish"]
    doubtful_puts = [w for w in shared.in_doubt if w.kind == "put"]
    doubtful_publishes = [w for w in shared.in_doubt if w.kind == "publish"]
    for write in shared.acknowledged:
        if write.revision not in contents:
            v.lost(1, f"{where}: acknowledged {write.kind} of v{write.revision} has no revision")
            continue
        if write.kind == "put" and contents[write.revision].content != write.content:
            # An in-doubt PUT (revision 0: no answer) may have written any revision.
            overwriters = [
                other
                for other in puts + doubtful_puts
                if other is not write
                and other.revision in (write.revision, 0)
                and other.may_follow(write)
            ]
            if not overwriters:
                v.lost(1, f"{where}: the acknowledged PUT of v{write.revision} is not there")
                continue
        if write.kind == "publish" and published != [write.revision]:
            later = [
                other
                for other in publishes + doubtful_publishes
                if other.revision != write.revision and other.may_follow(write)
            ]
            if not later:
                v.lost(1, f"{where}: published {published}, the last publish was v{write.revision}")
                continue
        v.verified(1)
    if len(published) != 1:
        v.violated(f"{where}: published revisions {published}, expected exactly one")
    _check_published_never_edited(shared, publishes + doubtful_publishes, v)
    if numbers and len(published) == 1 and published[0] in contents:
        latest = numbers[-1]
        public = published[0]
        check_search(
            reader, ledger, shared.id, contents[latest], latest, contents[public], public, v
        )


def _check_published_never_edited(
    shared: SharedArticle, publishes: list[SharedWrite], v: Verification
) -> None:
    """Only a draft is edited in place: for a published revision's body to change, a publish
    of another revision must come first. `publishes` includes those without an answer."""
    where = f"shared article {shared.id}"
    puts = [w for w in shared.acknowledged if w.kind == "put"]
    for put in puts:
        for publish in publishes:
            if publish.revision != put.revision or not publish.answered < put.sent:
                continue
            between = [
                other
                for other in publishes
                if other.revision != put.revision
                and other.may_follow(publish)
                and put.may_follow(other)
            ]
            if not between:
                v.violated(
                    f"{where}: a PUT sent after v{put.revision} was published was answered "
                    f"v{put.revision}: the published revision was edited in place"
                )
                break
    by_revision: dict[int, list[SharedRead]] = defaultdict(list)
    for read in shared.reads:
        by_revision[read.revision].append(read)
    changed = []
    for first in shared.reads:
        if first.public != first.revision:
            continue
        for later in by_revision[first.revision]:
            if later.sent <= first.answered or later.marker == first.marker:
                continue
            unpublished = [
                other
                for other in publishes
                if other.revision != first.revision
                and other.answered > first.sent
                and other.sent < later.answered
            ]
            if not unpublished:
                changed.append((first, later))
    if changed:
        first, later = changed[0]
        v.violated(
            f"{where}: {len(changed)} pairs of reads, e.g. v{first.revision} read as published "
            f"with body {first.marker}, then read with body {later.marker}, and no publish of "
            "another revision may lie between: a published revision was edited"
        )


def verify(base_url: str, token: str, ledger: Ledger, loaders: list[LoadClient]) -> Verification:
    """Read back every acknowledged write, with the clients stopped."""
    started = time.perf_counter()
    v = Verification()
    reader = Reader(base_url, token, v)
    jobs: list[Callable[[], None]] = []
    for client in loaders:
        for article in client.articles.values():
            jobs.append(partial(verify_owned_article, reader, ledger, client.index, article, v))
    for category in [
        *ledger.fixed_categories,
        *(k for c in loaders for k in c.categories.values()),
    ]:
        jobs.append(partial(verify_category, reader, category, v))
    for shared in ledger.shared:
        jobs.append(partial(verify_shared_article, reader, ledger, shared, v))
    try:
        check_tree(reader, ledger, loaders, v)
        with ThreadPoolExecutor(VERIFY_CONNECTIONS) as pool:
            for future in [pool.submit(job) for job in jobs]:
                future.result()
    finally:
        reader.close()
    v.seconds = time.perf_counter() - started
    return v


# --- the run and its report ---------------------------------------------------------------------


@dataclass
class LoadReport:
    clients: int
    seconds: float
    elapsed: float
    exchanges: list[Exchange]
    server_errors: list[str]
    transport_errors: list[str]
    unexplained_4xx: list[str]
    explained_4xx: Counter[str]
    wrong_answers: list[str]
    stalled_clients: list[int]
    crashed_clients: list[str]  # a bug of the load generator, not of Lorebase; fails the run
    writes_acknowledged: Counter[str]
    verification: Verification
    client_cpu: float  # cores used by this process while the clients ran
    server_cpu: float | None  # cores used by the server process, when its pid is known
    setup_writes: int

    @property
    def requests(self) -> int:
        return len(self.exchanges)

    @property
    def rate(self) -> float:
        return self.requests / self.elapsed if self.elapsed else 0.0

    @property
    def acknowledged(self) -> int:
        return sum(self.writes_acknowledged.values()) + self.setup_writes

    @property
    def lost_writes(self) -> list[str]:
        return self.verification.lost_writes

    @property
    def violations(self) -> list[str]:
        return self.wrong_answers + self.verification.violations

    def broken(self) -> list[str]:
        """Why the run measured nothing, if it did not: the benchmark is broken, whatever
        Lorebase did (a failure of Lorebase is a verdict, these are not)."""
        found = []
        if not any(200 <= e.status < 300 for e in self.exchanges):
            statuses = Counter(e.status for e in self.exchanges)
            found.append(
                f"no request of the load succeeded ({self.requests} sent; statuses, 0 = no "
                f"answer: {dict(statuses)})"
            )
        if self.crashed_clients:
            found.append(
                f"{len(self.crashed_clients)} load generator crashes, the first:\n"
                + self.crashed_clients[0]
            )
        return found

    def failures(self) -> list[str]:
        """Everything that makes the run fail, one line per kind, with examples."""
        found = []
        v = self.verification
        if v.writes_verified + v.writes_lost + v.writes_in_doubt != self.acknowledged:
            found.append(
                f"bookkeeping: {self.acknowledged} writes acknowledged, but {v.writes_verified} "
                f"verified + {v.writes_lost} lost + {v.writes_in_doubt} in doubt"
            )
        for label, items in (
            ("5xx answers", self.server_errors),
            ("transport errors", self.transport_errors),
            ("unexplained 4xx", self.unexplained_4xx),
            ("lost writes", self.lost_writes),
            ("broken invariants or wrong answers", self.violations),
            ("stalled clients", [str(i) for i in self.stalled_clients]),
            ("load generator crashes", self.crashed_clients),
        ):
            if items:
                found.append(f"{len(items)} {label}, e.g.:\n  " + "\n  ".join(items[:5]))
        return found

    def text(self, title: str = "") -> str:
        latencies = [e.latency_ms for e in self.exchanges]
        p50, p95, p99 = (percentile(latencies, q) for q in (0.50, 0.95, 0.99))
        lines = [
            title or f"Lorebase load test: {self.clients} clients, {self.seconds:g} s",
            f"requests: {self.requests:,} in {self.elapsed:.1f} s = {self.rate:,.0f} req/s; "
            f"latency ms p50 {p50:.1f}, p95 {p95:.1f}, p99 {p99:.1f}, "
            f"max {max(latencies, default=0):.1f}",
            f"5xx: {len(self.server_errors)}, transport errors: {len(self.transport_errors)}, "
            f"4xx: {sum(self.explained_4xx.values()) + len(self.unexplained_4xx)} "
            f"({len(self.unexplained_4xx)} unexplained)",
        ]
        for reason, count in sorted(self.explained_4xx.items()):
            lines.append(f"  explained: {count} x {reason}")
        server = f"{self.server_cpu:.2f}" if self.server_cpu is not None else "?"
        lines.append(f"CPU: server process {server} cores, load generator {self.client_cpu:.2f}")
        lines.append("")
        by_kind: dict[str, list[Exchange]] = defaultdict(list)
        for exchange in self.exchanges:
            by_kind[exchange.kind].append(exchange)
        heads = ("route kind", "requests", "2xx", "4xx", "5xx", "no answer", "p50 ms", "p99 ms")
        rows = []
        for kind in KINDS:
            items = by_kind.get(kind, [])
            spread = [e.latency_ms for e in items]
            statuses = Counter(e.status // 100 for e in items)
            rows.append(
                (
                    kind,
                    f"{len(items):,}",
                    f"{statuses[2]:,}",
                    f"{statuses[4]:,}",
                    f"{statuses[5]:,}",
                    f"{statuses[0]:,}",
                    f"{percentile(spread, 0.5):.1f}",
                    f"{percentile(spread, 0.99):.1f}",
                )
            )
        lines += table_lines(heads, rows, right_from=1, rule=False)
        v = self.verification
        lines += [
            "",
            f"writes acknowledged: {self.acknowledged:,} ({self.setup_writes} during setup); "
            f"verified: {v.writes_verified:,}; lost: {v.writes_lost}; in doubt: "
            f"{v.writes_in_doubt}; broken invariants or "
            f"wrong answers: {len(self.violations)}",
            f"read back with {v.requests:,} requests in {v.seconds:.1f} s",
            "verdict: " + verdict(not self.failures()),
        ]
        lines += self.failures()
        return "\n".join(lines)


def run_load(
    base_url: str,
    token: str,
    *,
    clients: int = 32,
    seconds: float = 60.0,
    seed: int = 0,
    server_pid: int | None = None,
) -> LoadReport:
    """Prepare, run `clients` virtual clients for `seconds`, stop them, read everything back."""
    with httpx.Client(base_url=base_url, headers={"api_token": token}, timeout=60) as http:
        ledger, loaders = prepare(http, clients, seed)
    setup_writes = sum(len(c.articles) for c in loaders) + len(ledger.category_ids)
    setup_writes += 2 * SHARED_ARTICLES  # created and published
    server_cpu = cpu_seconds(server_pid) if server_pid else 0.0
    client_cpu = time.process_time()
    started = time.perf_counter()
    stalled = drive(loaders, base_url, token, started + seconds)
    elapsed = time.perf_counter() - started
    client_cpu = (time.process_time() - client_cpu) / elapsed
    server_share = (cpu_seconds(server_pid) - server_cpu) / elapsed if server_pid else None
    verification = verify(base_url, token, ledger, loaders)

    def every(attribute: str) -> list[Any]:
        return [item for c in loaders for item in getattr(c, attribute)]

    explained: Counter[str] = Counter()
    acknowledged: Counter[str] = Counter()
    for client in loaders:
        explained.update(client.explained)
        acknowledged.update(client.acknowledged)
    return LoadReport(
        clients=clients,
        seconds=seconds,
        elapsed=elapsed,
        exchanges=every("exchanges"),
        server_errors=every("server_errors"),
        transport_errors=every("transport_errors"),
        unexplained_4xx=every("unexplained"),
        explained_4xx=explained,
        wrong_answers=every("wrong_answers"),
        stalled_clients=stalled,
        crashed_clients=[c.crash for c in loaders if c.crash],
        writes_acknowledged=acknowledged,
        verification=verification,
        client_cpu=client_cpu,
        server_cpu=server_share,
        setup_writes=setup_writes,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60.0)
    workspace_arguments(
        parser,
        categories=0,
        articles=0,
        categories_help="generated categories before the run",
        articles_help="generated articles before the run",
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with (
        scratch_database(args.database_url) as url,
        tempfile.TemporaryDirectory(prefix="lorebase-load-") as data,
    ):
        engine = engine_name(url)
        ws = generate_workspace(url, categories=args.categories, articles=args.articles)
        say(f"starting the server ({engine})...")
        # A limit that is never reached: the limiter's work is part of every request, as
        # in tests/e2e/test_load.py, and a 429 would be the limit, not an answer under load.
        with running_server(url, Path(data), "cli", rate_limit=HIGH_LIMIT) as server:
            say(f"load: {args.clients} clients for {args.seconds:g} s, then the read-back...")
            report = run_load(
                server.base_url,
                ws.admin_token,
                clients=args.clients,
                seconds=args.seconds,
                seed=args.seed,
                server_pid=server.pid,
            )
            if report.server_errors:
                print(f"server log (tail):\n{server.log.read_text()[-5000:]}", file=sys.stderr)
    print(report.text(f"Lorebase load test: {engine}, {args.clients} clients, {args.seconds:g} s"))
    print(f"\nwall time of the whole run: {time.perf_counter() - started:.1f} s")
    if broken := report.broken():
        print("the load test is broken: " + "\n".join(broken), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
