"""The client host of the cluster test (tests/e2e/test_cluster.py). Run inside the client's
network namespace, it talks to the cluster only through nginx (and to S3 through the signed
URLs it is given), and writes what it saw as JSON for the test to judge:

    python tests/e2e/cluster_client.py burst CONFIG.json REPORT.json
    python tests/e2e/cluster_client.py load CONFIG.json REPORT.json

`burst`: many requests at once with one token, to see the shared rate limit refuse the excess.
`load`: writer clients (each creates and rewrites articles of its own, and reads them back),
one exporter and one importer, for a fixed time; then every acknowledged write and every
export is read back. It prints `started <epoch seconds>` when its clock starts, so the test
can time the faults it injects.

Only the standard library and httpx: it stands for any client of the API, not for Lorebase.
"""

from __future__ import annotations

import io
import json
import random
import sys
import threading
import time
import traceback
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import httpx

LANG = "en"
REQUEST_TIMEOUT = 30.0
# A job that has not ended this long after it was started is reported as stuck.
JOB_TIMEOUT = 60.0
JOB_POLL_SECONDS = 0.4
PAUSE_BETWEEN_JOBS = 0.5
# Each writer's mix: reads of what it wrote and of the tree, and writes.
WEIGHTS: dict[str, float] = {
    "GET article": 30,
    "GET category": 15,
    "GET category tree": 10,
    "POST article": 15,
    "PUT article": 30,
}
# Answers that mean a write's outcome is unknown: the connection to the host that was writing
# it was cut (nginx answers 502), or no answer came at all.
IN_DOUBT = (502, 503, 504)


def import_archive(marker: str) -> bytes:
    """A Document360 export ZIP holding one category with one article, both titled `marker`,
    merged into the starter workspace (slug v1): the test counts the rows titled `marker`."""
    article_file = f"{marker}.md"
    index = {
        "Slug": "v1",
        "Workspace": "v1",
        "ResourcePath": "",
        "Languages": [LANG],
        "Categories": [
            {
                "Id": f"{marker}-category",
                "Title": marker,
                "Order": 1,
                "CategoryType": 0,
                "Icon": None,
                "Path": None,
                "Languages": [
                    {
                        "Code": LANG,
                        "Title": marker,
                        "Slug": marker,
                        "ContentType": 0,
                        "SeoTitle": None,
                        "Description": None,
                    }
                ],
                "Articles": [{"Id": f"{marker}-article", "Path": article_file, "Order": 1}],
                "SubCategories": [],
            }
        ],
    }
    article = (
        f"## Metadata_Start \n## code: {LANG}\n## title: {marker} \n## slug: {marker} \n"
        f"## seoTitle: {marker} \n## description:  \n## contentType: Markdown \n"
        "## Metadata_End\n\nImported by the cluster test.\n"
    )
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("v1/v1_categories_articles.json", json.dumps(index))
        archive.writestr(f"v1/articles/{article_file}", article)
    return raw.getvalue()


class Pacer:
    """At most `rate` requests a second from one client, so the load stays under the per-token
    rate limit (which the burst phase tests on its own)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self.next_at = 0.0

    def wait(self) -> None:
        now = time.monotonic()
        if self.next_at > now:
            time.sleep(self.next_at - now)
        self.next_at = max(self.next_at, now) + self.interval


class Log:
    """Every request of the run: [kind, status, sent, answered] (epoch seconds; status 0 when
    no answer came)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[list[Any]] = []
        self.transport_errors: list[str] = []

    def add(self, kind: str, status: int, sent: float, answered: float) -> None:
        with self.lock:
            self.requests.append([kind, status, round(sent, 4), round(answered, 4)])

    def failed(self, kind: str, error: Exception) -> None:
        with self.lock:
            self.transport_errors.append(f"{kind}: {type(error).__name__}: {error}")


class Api:
    """One keep-alive connection to nginx with one token."""

    def __init__(self, base_url: str, token: str, log: Log, rate: float) -> None:
        self.http = httpx.Client(
            base_url=base_url,
            headers={"api_token": token},
            timeout=REQUEST_TIMEOUT,
            trust_env=False,
        )
        self.log = log
        self.pacer = Pacer(rate)

    def send(self, kind: str, method: str, path: str, **kw: Any) -> httpx.Response | None:
        self.pacer.wait()
        sent = time.time()
        try:
            response = self.http.request(method, path, **kw)
        except httpx.HTTPError as error:
            self.log.add(kind, 0, sent, time.time())
            self.log.failed(kind, error)
            return None
        self.log.add(kind, response.status_code, sent, time.time())
        return response

    def close(self) -> None:
        self.http.close()


@dataclass
class Write:
    content: str
    acknowledged: bool


@dataclass
class OwnedArticle:
    """An article one writer alone writes: its content is the last write that took effect,
    which is the last acknowledged one or one sent after it whose answer was lost."""

    id: str
    writes: list[Write] = field(default_factory=list)

    def possible_contents(self) -> list[str]:
        last_ack = max(i for i, w in enumerate(self.writes) if w.acknowledged)
        return [w.content for w in self.writes[last_ack:]]

    def last_acknowledged(self) -> str:
        return [w.content for w in self.writes if w.acknowledged][-1]

    def acknowledged(self) -> int:
        return sum(w.acknowledged for w in self.writes)


class Writer:
    """A client that owns one category and the articles it creates in it."""

    def __init__(self, index: int, api: Api, setup: dict[str, str], seed: int) -> None:
        self.index = index
        self.api = api
        self.workspace = setup["workspace_id"]
        self.user = setup["user_id"]
        self.rng = random.Random(seed)
        self.category = ""
        self.articles: list[OwnedArticle] = []
        self.creates_in_doubt = 0
        self.stale_reads: list[str] = []
        self.unexpected: list[str] = []
        self.sequence = 0

    def content(self) -> str:
        self.sequence += 1
        return f"Body of client {self.index}, write {self.sequence}, {self.rng.random():.12f}."

    def note(self, kind: str, response: httpx.Response | None) -> bool:
        """True for a 200; anything but an answer in doubt is recorded as unexpected."""
        if response is None or response.status_code in IN_DOUBT:
            return False
        if response.status_code != 200:
            self.unexpected.append(f"{kind}: {response.status_code} {response.text[:300]}")
            return False
        return True

    def start(self) -> None:
        body = {"name": f"Client {self.index}", "project_version_id": self.workspace}
        response = self.api.send("POST category", "POST", "/v2/Categories", json=body)
        if not self.note("POST category", response):
            raise RuntimeError(f"client {self.index} could not create its category")
        assert response is not None
        self.category = response.json()["data"]["id"]

    def run(self, deadline: float) -> None:
        self.start()
        actions: dict[str, Callable[[str], None]] = {
            "GET article": self.get_article,
            "GET category": self.get_category,
            "GET category tree": self.get_category_tree,
            "POST article": self.post_article,
            "PUT article": self.put_article,
        }
        kinds, weights = list(WEIGHTS), list(WEIGHTS.values())
        while time.time() < deadline:
            kind = self.rng.choices(kinds, weights)[0] if self.articles else "POST article"
            actions[kind](kind)

    def post_article(self, kind: str) -> None:
        content = self.content()
        body = {
            "title": f"Client {self.index} article {self.sequence}",
            "content": content,
            "category_id": self.category,
            "project_version_id": self.workspace,
            "user_id": self.user,
        }
        response = self.api.send(kind, "POST", "/v2/Articles", json=body)
        if self.note(kind, response):
            assert response is not None
            article = OwnedArticle(response.json()["data"]["id"])
            article.writes.append(Write(content, acknowledged=True))
            self.articles.append(article)
        elif response is None or response.status_code in IN_DOUBT:
            self.creates_in_doubt += 1

    def put_article(self, kind: str) -> None:
        article = self.rng.choice(self.articles)
        content = self.content()
        path = f"/v2/Articles/{article.id}/{LANG}"
        response = self.api.send(kind, "PUT", path, json={"content": content})
        acknowledged = self.note(kind, response)
        if acknowledged or response is None or response.status_code in IN_DOUBT:
            article.writes.append(Write(content, acknowledged))

    def get_article(self, kind: str) -> None:
        article = self.rng.choice(self.articles)
        response = self.api.send(kind, "GET", f"/v2/Articles/{article.id}/{LANG}")
        if self.note(kind, response):
            assert response is not None
            # One writer, one request at a time: whichever host answers must show this
            # client's own last write (a host-local cache would show an older one).
            shown = response.json()["data"]["content"]
            if shown not in article.possible_contents():
                self.stale_reads.append(f"{article.id}: {shown!r}")

    def get_category(self, kind: str) -> None:
        self.note(kind, self.api.send(kind, "GET", f"/v2/Categories/{self.category}"))

    def get_category_tree(self, kind: str) -> None:
        path = f"/v2/ProjectVersions/{self.workspace}/categories"
        self.note(kind, self.api.send(kind, "GET", path))

    def verify(self) -> dict[str, Any]:
        """Read back every article this client wrote: the last write that took effect must be
        there."""
        lost: list[str] = []
        for article in self.articles:
            response = self.api.send("verify article", "GET", f"/v2/Articles/{article.id}/{LANG}")
            if response is None or response.status_code != 200:
                lost.append(f"{article.id}: {response.status_code if response else 'no answer'}")
                continue
            shown = response.json()["data"]["content"]
            if shown not in article.possible_contents():
                lost.append(
                    f"{article.id}: shows {shown!r}, last acknowledged "
                    f"{article.last_acknowledged()!r}"
                )
        return {
            "articles": len(self.articles),
            "acknowledged_writes": sum(a.acknowledged() for a in self.articles),
            "writes_in_doubt": sum(not w.acknowledged for a in self.articles for w in a.writes)
            + self.creates_in_doubt,
            "lost": lost,
        }


class Jobs:
    """Starts one export or import after another and follows each to its end."""

    def __init__(self, api: Api, setup: dict[str, str], config: dict[str, Any]) -> None:
        self.api = api
        self.user = setup["user_id"]
        self.config = config
        self.downloads = httpx.Client(timeout=REQUEST_TIMEOUT, trust_env=False)
        self.exports: list[dict[str, Any]] = []
        self.imports: list[dict[str, Any]] = []
        self.unexpected: list[str] = []

    def follow(self, kind: str, path: str) -> tuple[str, dict[str, Any]]:
        """Poll a job's status until it ends: (its last status word, the last answer)."""
        started = time.monotonic()
        payload: dict[str, Any] = {}
        while time.monotonic() - started < JOB_TIMEOUT:
            response = self.api.send(kind, "GET", path)
            if response is not None and response.status_code == 200:
                payload = response.json()
                if payload["status"] in ("Completed", "Error"):
                    return payload["status"], payload
            elif response is not None and response.status_code not in IN_DOUBT:
                self.unexpected.append(f"{kind}: {response.status_code} {response.text[:300]}")
            time.sleep(JOB_POLL_SECONDS)
        return "stuck", payload

    def download(self, url: str) -> dict[str, Any]:
        """Fetch an export through its signed URL, straight from S3, and check the ZIP."""
        where = urlsplit(url).netloc
        try:
            response = self.downloads.get(url)
        except httpx.HTTPError as error:
            return {"ok": False, "from": where, "problem": f"{type(error).__name__}: {error}"}
        if response.status_code != 200:
            return {"ok": False, "from": where, "problem": f"HTTP {response.status_code}"}
        try:
            with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
                broken = archive.testzip()
                names = archive.namelist()
        except zipfile.BadZipFile as error:
            return {"ok": False, "from": where, "problem": f"not a ZIP: {error}"}
        indexed = any(name.endswith("_categories_articles.json") for name in names)
        problem = f"damaged entry {broken}" if broken else "" if indexed else "no index"
        return {
            "ok": not problem,
            "from": where,
            "bytes": len(response.content),
            "entries": len(names),
            "problem": problem,
        }

    def export_once(self) -> None:
        started = time.time()
        body = {"entity": "Project", "export_type": 0}
        response = self.api.send("POST export", "POST", "/v2/Project/Export", json=body)
        if response is None or response.status_code != 200:
            if response is not None and response.status_code not in IN_DOUBT:
                self.unexpected.append(f"POST export: {response.status_code} {response.text}")
            return
        job_id = response.json()["id"]
        status, payload = self.follow("GET export status", f"/v2/Project/Export/{job_id}")
        record: dict[str, Any] = {"id": job_id, "status": status, "started": started}
        record["seconds"] = round(time.time() - started, 2)
        if status == "Completed":
            record["download"] = self.download(payload["download_url"])
        self.exports.append(record)

    def import_once(self, number: int) -> None:
        started = time.time()
        marker = f"{self.config['import_prefix']}-{number}"
        files = {"file": (f"{marker}.zip", import_archive(marker), "application/zip")}
        data = {"import_by": self.user, "publish_article": "false"}
        response = self.api.send(
            "POST import", "POST", "/v2/Project/Import", files=files, data=data
        )
        record: dict[str, Any] = {"marker": marker, "started": started}
        if response is None or response.status_code != 200:
            if response is not None and response.status_code not in IN_DOUBT:
                self.unexpected.append(f"POST import: {response.status_code} {response.text}")
            # Whether it was queued is unknown: the test counts its rows all the same.
            record.update(id=None, status="in doubt")
            self.imports.append(record)
            return
        job_id = response.json()["id"]
        status, payload = self.follow("GET import status", f"/v2/Project/Import/{job_id}")
        record.update(id=job_id, status=status, seconds=round(time.time() - started, 2))
        if status != "Completed":
            record["log"] = payload.get("import_documentation_log")
        self.imports.append(record)

    def run_exports(self, deadline: float) -> None:
        while time.time() < deadline:
            self.export_once()
            time.sleep(PAUSE_BETWEEN_JOBS)

    def run_imports(self, deadline: float) -> None:
        number = 0
        while time.time() < deadline:
            number += 1
            self.import_once(number)
            time.sleep(PAUSE_BETWEEN_JOBS)

    def verify_exports(self) -> list[dict[str, Any]]:
        """Every completed export, downloaded again through a URL signed now."""
        checked = []
        for record in self.exports:
            if record["status"] != "Completed":
                continue
            response = self.api.send("verify export", "GET", f"/v2/Project/Export/{record['id']}")
            if response is None or response.status_code != 200:
                checked.append({"id": record["id"], "ok": False, "problem": "no status"})
                continue
            checked.append({"id": record["id"], **self.download(response.json()["download_url"])})
        return checked


def discover(api: Api) -> dict[str, str]:
    """The starter workspace and the owner (whom imports are made by), as any client finds
    them."""
    versions = api.send("GET workspaces", "GET", "/v2/ProjectVersions")
    teams = api.send("GET team", "GET", "/v2/Teams")
    if versions is None or teams is None or versions.status_code != 200 or teams.status_code != 200:
        raise RuntimeError("the cluster did not answer the setup requests")
    return {
        "workspace_id": versions.json()["data"][0]["id"],
        "user_id": teams.json()["result"][0]["user_id"],
    }


def run_threads(tasks: list[tuple[str, Callable[[], None]]]) -> list[str]:
    """Run the tasks side by side; the tracebacks of those that crashed."""
    crashed: list[str] = []

    def guarded(name: str, task: Callable[[], None]) -> None:
        try:
            task()
        except Exception:
            crashed.append(f"{name}:\n{traceback.format_exc()}")

    with ThreadPoolExecutor(max_workers=len(tasks)) as pool:
        for name, task in tasks:
            pool.submit(guarded, name, task)
    return crashed


def verify_into(writer: Writer, results: list[dict[str, Any]]) -> None:
    results.append(writer.verify())


def load(config: dict[str, Any]) -> dict[str, Any]:
    log = Log()
    base, rate = config["base_url"], config["rate_per_client"]
    writers_apis = [Api(base, token, log, rate) for token in config["writer_tokens"]]
    exporter_api = Api(base, config["export_token"], log, rate)
    importer_api = Api(base, config["import_token"], log, rate)
    setup = discover(exporter_api)
    writers = [Writer(i, api, setup, seed=config["seed"] + i) for i, api in enumerate(writers_apis)]
    jobs = Jobs(exporter_api, setup, config)
    importer = Jobs(importer_api, setup, config)
    started = time.time()
    deadline = started + config["seconds"]
    print(f"started {started}", flush=True)
    crashed = run_threads(
        [(f"writer {w.index}", partial(w.run, deadline)) for w in writers]
        + [
            ("exporter", partial(jobs.run_exports, deadline)),
            ("importer", partial(importer.run_imports, deadline)),
        ]
    )
    ended = time.time()
    verified: list[dict[str, Any]] = []
    crashed += run_threads(
        [(f"verify {w.index}", partial(verify_into, w, verified)) for w in writers]
    )
    exports_verified = jobs.verify_exports()
    for api in [*writers_apis, exporter_api, importer_api]:
        api.close()
    return {
        "started": started,
        "ended": ended,
        "verified_at": time.time(),
        "connections": len(writers_apis) + 2,
        "requests": log.requests,
        "transport_errors": log.transport_errors,
        "crashed": crashed,
        "stale_reads": [s for w in writers for s in w.stale_reads],
        "unexpected": [u for w in writers for u in w.unexpected]
        + jobs.unexpected
        + importer.unexpected,
        "writes": verified,
        "exports": jobs.exports,
        "exports_verified": exports_verified,
        "imports": importer.imports,
    }


def burst(config: dict[str, Any]) -> dict[str, Any]:
    """`requests` GETs with one token over `connections` connections, as fast as they go."""
    log = Log()
    remaining = list(range(config["requests"]))
    lock = threading.Lock()

    def one_connection() -> None:
        # No pacing: the point is to go past the limit.
        api = Api(config["base_url"], config["token"], log, rate=1e9)
        while True:
            with lock:
                if not remaining:
                    break
                remaining.pop()
            api.send("burst", "GET", "/v2/ProjectVersions")
        api.close()

    started = time.time()
    crashed = run_threads([(f"burst {i}", one_connection) for i in range(config["connections"])])
    statuses: dict[str, int] = {}
    for _, status, _, _ in log.requests:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    return {
        "seconds": round(time.time() - started, 3),
        "statuses": statuses,
        "transport_errors": log.transport_errors,
        "crashed": crashed,
    }


def main() -> None:
    mode, config_path, report_path = sys.argv[1:4]
    with open(config_path) as config_file:
        config = json.load(config_file)
    report = {"burst": burst, "load": load}[mode](config)
    with open(report_path, "w") as report_file:
        json.dump(report, report_file)


if __name__ == "__main__":
    main()
