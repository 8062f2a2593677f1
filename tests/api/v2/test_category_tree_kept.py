"""The category tree each process keeps (lorebase.kb.tree): after any writes, made by this
process, by another one on the same database or by Core statements, it is byte for byte the
tree built afresh from every row."""

from __future__ import annotations

import io
import random
import threading
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, insert, update

from lorebase.api.v2 import shapes
from lorebase.api.v2.envelope import envelope
from lorebase.api.v2.tree_json import TreeJson
from lorebase.api.wire import dumps
from lorebase.app import create_app
from lorebase.db.models import (
    Article,
    ArticleTranslation,
    Category,
    CategoryTranslation,
    ProjectVersion,
    new_id,
    utcnow,
)
from lorebase.kb import categories, workspaces
from lorebase.kb.changes import KEEP_STAMPS, WHOLE_TREE_ABOVE
from lorebase.kb.tree import CategoryTrees
from tests.api.v2.test_project_exchange import drain, exported
from tests.exchange.test_jsonzip_writer import build_kb

# What the tree is asked for in: default language, another one (with fallback), without
# articles, with descriptions (langCode in another case).
VARIANTS: list[dict[str, str]] = [
    {},
    {"langCode": "fr"},
    {"excludeArticles": "true"},
    {"includeCategoryDescription": "true", "langCode": "FR"},
]


def fresh_tree(project: Any, params: dict[str, str]) -> bytes:
    """The body as the route built it before trees were kept: every row read, one dumps."""
    with project.session() as session:
        scope = workspaces.get_workspace(session, project.project_id, project.workspace_id, "")
        roots = categories.workspace_tree(
            session,
            scope,
            scope.language(params.get("langCode")),
            include_articles=params.get("excludeArticles") != "true",
            include_description=params.get("includeCategoryDescription") == "true",
        )
        return dumps(envelope(data=[shapes.category_node(r) for r in roots]))


@pytest.fixture
def other_process(project: Any) -> Iterator[TestClient]:
    """A second app on the same database: a process that keeps trees of its own."""
    app = create_app(project.settings)
    with TestClient(app) as client:
        yield client
    app.state.engine.dispose()


class Trees:
    """Reads every variant through both processes and compares each with a fresh build."""

    def __init__(self, project: Any, other: TestClient) -> None:
        self.project = project
        self.clients = [project.client, other]
        self.path = f"/v2/ProjectVersions/{project.workspace_id}/categories"

    def check(self, what: str) -> dict[str, Any]:
        for params in VARIANTS:
            expected = fresh_tree(self.project, params)
            for client in self.clients:
                response = client.get(self.path, params=params, headers=self.project.headers)
                assert response.status_code == 200, (what, response.text)
                assert response.content == expected, (what, params)
        return ids_in_tree(self.project)


def ids_in_tree(project: Any) -> dict[str, Any]:
    """Ids in the tree now: {"categories": [...], "articles": [(id, latest_version)]}."""
    found: dict[str, Any] = {"categories": [], "articles": []}
    with project.session() as session:
        scope = workspaces.get_workspace(session, project.project_id, project.workspace_id, "")
        pending = categories.workspace_tree(
            session, scope, scope.default_language, include_articles=True, include_description=False
        )
        while pending:
            node = pending.pop()
            found["categories"].append(node.id)
            found["articles"] += [(a.id, a.latest_version) for a in node.articles or []]
            pending += node.children
    return found


@pytest.fixture
def trees(project: Any, other_process: TestClient) -> Trees:
    project.add_language("fr")
    return Trees(project, other_process)


class RandomWriter:
    """Writes of every kind the tree shows, through either process, chosen by `rng`."""

    def __init__(self, project: Any, other: TestClient, rng: random.Random) -> None:
        self.project = project
        self.clients = [project.client, other]
        self.rng = rng
        self.ids: dict[str, Any] = {"categories": [], "articles": []}
        self.protected: set[str] = set()  # categories left alone (another test's witness)
        # When a set: this writer touches only what it created (writers racing each other on
        # one row is another test's subject: tests/e2e/test_concurrent_writes.py).
        self.created: set[str] | None = None
        self.count = 0

    def client(self) -> TestClient:
        return self.rng.choice(self.clients)

    def mine(self, item_id: str) -> bool:
        return item_id not in self.protected and (self.created is None or item_id in self.created)

    def category(self) -> str | None:
        found = [c for c in self.ids["categories"] if self.mine(c)]
        return self.rng.choice(found) if found else None

    def article(self) -> tuple[str, int] | None:
        found = [a for a in self.ids["articles"] if self.mine(a[0])]
        return self.rng.choice(found) if found else None

    def name(self) -> str:
        self.count += 1
        return f"{self.rng.choice(['Guide', 'Setup', 'Zeta', 'alpha', 'Ärger'])} {self.count}"

    def step(self) -> str:
        ops = [
            self.create_category,
            self.create_category,
            self.create_article,
            self.create_article,
            self.create_article,
            self.rename_category,
            self.move_category,
            self.reorder_category,
            self.hide_category,
            self.describe_category,
            self.retype_category,
            self.update_article,
            self.move_article,
            self.publish_article,
            self.delete_article,
            self.delete_category,
            self.core_statements,
        ]
        op = self.rng.choice(ops)
        op()
        return op.__name__

    def send(self, method: str, path: str, **kw: Any) -> None:
        response = self.client().request(method, path, headers=self.project.headers, **kw)
        # Refusals (a move under its own descendant, too deep) are writes too: nothing changes.
        assert response.status_code in (200, 400, 404), response.text
        if method == "POST" and response.status_code == 200 and self.created is not None:
            self.created.add(response.json()["data"]["id"])

    def create_category(self) -> None:
        body: dict[str, Any] = {
            "name": self.name(),
            "project_version_id": self.project.workspace_id,
            "category_type": self.rng.choice([0, 0, 1, 2]),
        }
        parent = self.category() if self.rng.random() < 0.7 else None
        if parent:
            body["parent_category_id"] = parent
        if self.rng.random() < 0.3:
            body["order"] = self.rng.randint(0, 3)
        self.send("POST", "/v2/Categories", json=body)

    def rename_category(self) -> None:
        if found := self.category():
            language = self.rng.choice(["en", "fr"])
            self.send(
                "PUT", f"/v2/Categories/{found}", json={"name": self.name(), "language": language}
            )

    def move_category(self) -> None:
        found, parent = self.category(), self.category()
        if found and parent:
            body: dict[str, Any] = {"parent_category_id": parent}
            if self.rng.random() < 0.5:
                body["order"] = self.rng.randint(0, 4)
            self.send("PUT", f"/v2/Categories/{found}", json=body)

    def reorder_category(self) -> None:
        if found := self.category():
            self.send("PUT", f"/v2/Categories/{found}", json={"order": self.rng.randint(0, 5)})

    def hide_category(self) -> None:
        if found := self.category():
            self.send("PUT", f"/v2/Categories/{found}", json={"hidden": self.rng.random() < 0.5})

    def describe_category(self) -> None:
        if found := self.category():
            language = self.rng.choice(["en", "fr"])
            path = f"/v2/Categories/{found}/{language}/updateDescription"
            self.send("PUT", path, params={"description": f"About {self.name()}"})

    def retype_category(self) -> None:
        if found := self.category():
            params = {"categoryType": self.rng.choice([0, 1, 2]), "userId": self.project.owner_id}
            self.send("PUT", f"/v2/Categories/{found}/updateCategoryType", params=params)

    def delete_category(self) -> None:
        if (found := self.category()) and self.rng.random() < 0.5:
            self.send("DELETE", f"/v2/Categories/{found}")

    def create_article(self) -> None:
        if found := self.category():
            body = {
                "title": self.name(),
                "category_id": found,
                "project_version_id": self.project.workspace_id,
                "user_id": self.project.owner_id,
            }
            if self.rng.random() < 0.3:
                body["order"] = self.rng.randint(0, 3)
            self.send("POST", "/v2/Articles", json=body)

    def update_article(self) -> None:
        if found := self.article():
            language = self.rng.choice(["en", "en", "fr"])
            body: dict[str, Any] = self.rng.choice(
                [{"title": self.name()}, {"hidden": self.rng.random() < 0.5}, {"order": 1}]
            )
            self.send("PUT", f"/v2/Articles/{found[0]}/{language}", json=body)

    def move_article(self) -> None:
        found, target = self.article(), self.category()
        if found and target:
            self.send("PUT", f"/v2/Articles/{found[0]}/en", json={"category_id": target})

    def publish_article(self) -> None:
        if found := self.article():
            body = {"user_id": self.project.owner_id, "version_number": found[1]}
            self.send("POST", f"/v2/Articles/{found[0]}/en/publish", json=body)

    def delete_article(self) -> None:
        found = [a for a in self.ids["articles"] if self.mine(a[0])]
        if not found:
            return
        if self.rng.random() < 0.5:
            self.send("DELETE", f"/v2/Articles/{self.rng.choice(found)[0]}")
        else:
            picked = self.rng.sample(found, min(2, len(found)))
            params = [("articleIds", article_id) for article_id, _ in picked]
            self.send("DELETE", "/v2/Articles/bulkdelete", params=params)

    def core_statements(self) -> None:
        """Writes as the mirror and imports make them: Core statements, no ORM objects."""
        found, article = self.category(), self.article()
        with self.project.session() as session:
            workspaces.touch(session, self.project.workspace_id)  # first, as every writer
            if found and session.get(Category, found) is None:
                found = None  # deleted by another writer since we looked
            if article and session.get(Article, article[0]) is None:
                article = None
            if found:
                session.execute(
                    update(Category).where(Category.id == found).values(icon=self.name())
                )
                session.execute(
                    delete(CategoryTranslation).where(
                        CategoryTranslation.category_id == found,
                        CategoryTranslation.language_code == "fr",
                    )
                )
            if article:
                session.execute(
                    delete(ArticleTranslation).where(
                        ArticleTranslation.article_id == article[0],
                        ArticleTranslation.language_code == "fr",
                    )
                )
                session.execute(update(Article).where(Article.id == article[0]).values(position=7))
            now = utcnow()
            category_id = new_id()
            session.execute(
                insert(Category.__table__),
                [
                    {
                        "id": category_id,
                        "project_version_id": self.project.workspace_id,
                        "parent_id": found,
                        "position": 9,
                        "created_at": now,
                        "modified_at": now,
                    }
                ],
            )
            session.execute(
                insert(CategoryTranslation.__table__),
                [{"category_id": category_id, "language_code": "en", "name": self.name(),
                  "slug": f"core-{category_id}", "settings": {}, "modified_at": now}],
            )  # fmt: skip


@pytest.mark.parametrize("seed", [1, 2])
def test_the_kept_tree_is_the_fresh_tree_after_random_writes_from_two_processes(
    project: Any, other_process: TestClient, trees: Trees, seed: int
) -> None:
    # This process keeps every category's written subtree (the default keeps only large
    # ones, which these small trees never have), so each write must clear the right ones.
    project.client.app.state.response_cache.trees = CategoryTrees(TreeJson(), keep_written_from=0)
    writer = RandomWriter(project, other_process, random.Random(seed))
    writer.ids = trees.check("empty")
    for step in range(90):
        what = writer.step()
        writer.ids = trees.check(f"step {step}: {what}")


def test_a_new_language_builds_the_kept_tree_afresh(
    project: Any, other_process: TestClient
) -> None:
    trees = Trees(project, other_process)
    project.post(
        "/v2/Categories", json={"name": "Guides", "project_version_id": project.workspace_id}
    )
    for client in trees.clients:
        assert client.get(trees.path, headers=project.headers).status_code == 200
        refused = client.get(trees.path, params={"langCode": "fr"}, headers=project.headers)
        assert refused.status_code == 400
    project.add_language("fr")
    trees.check("fr added")


def test_a_bulk_insert_builds_the_kept_tree_afresh(project: Any, trees: Trees) -> None:
    trees.check("empty")
    now = utcnow()
    rows = [
        {
            "id": new_id(),
            "project_version_id": project.workspace_id,
            "position": position,
            "created_at": now,
            "modified_at": now,
        }
        for position in range(WHOLE_TREE_ABOVE + 1)
    ]
    with project.session() as session:
        session.execute(insert(Category.__table__), rows)
        session.execute(
            insert(CategoryTranslation.__table__),
            [{"category_id": r["id"], "language_code": "en", "name": f"C{r['position']}",
              "slug": f"c{r['position']}", "settings": {}, "modified_at": now} for r in rows],
        )  # fmt: skip
    trees.check("bulk insert")


def test_a_tree_kept_from_before_the_feed_was_pruned_is_built_afresh(
    project: Any, trees: Trees
) -> None:
    created = project.post(
        "/v2/Categories", json={"name": "Guides", "project_version_id": project.workspace_id}
    ).json()["data"]
    trees.check("created")
    with project.session() as session:
        session.execute(
            update(ProjectVersion)
            .where(ProjectVersion.id == project.workspace_id)
            .values(content_stamp=ProjectVersion.content_stamp + KEEP_STAMPS)
        )
    project.put(f"/v2/Categories/{created['id']}", json={"name": "Handbook"})
    assert trees.check("renamed")["categories"] == [created["id"]]


def test_a_write_that_did_not_touch_its_workspace_still_moves_the_tree(
    project: Any, trees: Trees
) -> None:
    created = project.post(
        "/v2/Categories", json={"name": "Guides", "project_version_id": project.workspace_id}
    ).json()["data"]
    trees.check("created")
    with project.session() as session:
        session.get(Category, created["id"]).hidden = True  # type: ignore[union-attr]
    trees.check("hidden by an ORM write that never called workspaces.touch")


def test_writers_and_readers_at_once_on_two_processes_read_their_writes_and_end_fresh(
    project: Any, other_process: TestClient, trees: Trees
) -> None:
    """Readers race writers (on PostgreSQL each statement may see a newer commit than the
    stamp read before it): a write is in every tree read after it is acknowledged, on either
    process, and once writers stop both processes hold the fresh tree."""
    witness = project.post(
        "/v2/Categories", json={"name": "Witness", "project_version_id": project.workspace_id}
    ).json()["data"]["id"]
    failures: list[str] = []

    def write(seed: int) -> None:
        writer = RandomWriter(project, other_process, random.Random(seed))
        writer.protected.add(witness)
        writer.created = set()
        try:
            for _ in range(30):
                writer.ids = ids_in_tree(project)
                writer.step()
        except Exception as error:  # reported below: a thread's assert would be lost
            failures.append(f"writer {seed}: {error!r}")

    def rename_and_read(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for number in range(30):
                name = f"Witness {number}"
                renamed = rng.choice(trees.clients).put(
                    f"/v2/Categories/{witness}", json={"name": name}, headers=project.headers
                )
                assert renamed.status_code == 200, renamed.text
                for client in trees.clients:
                    tree = client.get(trees.path, headers=project.headers)
                    assert tree.status_code == 200, tree.text
                    names = {c["id"]: c["name"] for c in tree.json()["data"]}
                    assert names[witness] == name, (number, names.get(witness))
        except Exception as error:
            failures.append(f"witness: {error!r}")

    def read(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(40):
                params = rng.choice(VARIANTS)
                tree = rng.choice(trees.clients).get(
                    trees.path, params=params, headers=project.headers
                )
                assert tree.status_code == 200, tree.text
        except Exception as error:
            failures.append(f"reader {seed}: {error!r}")

    threads = [threading.Thread(target=write, args=(seed,)) for seed in (11, 12, 13)]
    threads += [threading.Thread(target=read, args=(seed,)) for seed in (21, 22)]
    threads.append(threading.Thread(target=rename_and_read, args=(31,)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    trees.check("after the race")


def test_an_import_into_the_workspace_shows_in_the_kept_tree(
    project: Any, other_process: TestClient
) -> None:
    build_kb(project)  # adds "fr"
    trees = Trees(project, other_process)
    archive = exported(project, {"entity": "Project"})
    trees.check("built")
    upload = io.BytesIO()
    with zipfile.ZipFile(upload, "w") as copy:
        for name in archive.namelist():
            copy.writestr(name, archive.read(name))
    response = project.client.post(
        "/v2/Project/Import",
        headers=project.headers,
        files={"file": ("export.zip", upload.getvalue(), "application/zip")},
        data={"import_by": project.owner_id, "publish_article": "true"},
    )
    assert response.status_code == 200, response.text
    assert drain(project) == 2  # the import, then the page_bodies job it queues
    assert len(trees.check("imported again into the same workspace")["categories"]) == 6
