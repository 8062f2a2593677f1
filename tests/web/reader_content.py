"""A knowledge base for the reader-site tests, built once per test module through the v2 API
on a database of the module's own: three workspaces (one not public), three languages, every
kind of category, and articles that are published, drafts, hidden, edited after publication,
excluded from search, scripted, or titled with markup."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from lorebase.app import create_app
from lorebase.bootstrap import ensure_project
from lorebase.db.engine import make_engine, make_session_factory, migrate, transaction
from lorebase.db.models import ProjectVersion
from lorebase.kb import workspaces
from lorebase.settings import Settings
from tests.conftest import PG_URL, Project

# Shared by every searchable article of the main workspace's English tree (and planted in the
# other workspace and in French, which a search of English v1 must not show).
SEARCH_WORD = "zanzibarite"
TOPICS = 12  # more than a page of search hits (10)
LONG_WORDS = 450  # three minutes at 200 words a minute
TRICKY_TITLE = '<script>alert("t")</script> Tricky & "quoted"'
TRICKY_CATEGORY = "<img src=x onerror=alert(1)> Corner"


def ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json().get("data")


@contextmanager
def module_database(request: pytest.FixtureRequest, folder: Path) -> Iterator[str]:
    """A migrated database for one test module (SQLite file, or a PostgreSQL database of its
    own: the per-test fixtures empty the shared one)."""
    if request.param == "sqlite":
        path = folder / "lorebase.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    admin = create_engine(make_url(PG_URL), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"lorebase_reader_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        migrate(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def started(settings: Settings) -> Iterator[TestClient]:
    """The real app over `settings`, as `lorebase serve` starts it."""
    app = create_app(settings)
    try:
        with TestClient(app) as client:
            yield client
    finally:
        app.state.engine.dispose()


@contextmanager
def module_project(request: pytest.FixtureRequest, folder: Path) -> Iterator[Project]:
    with module_database(request, folder) as url:
        settings = Settings(data_dir=folder / "data", database_url=url, workers=0)
        engine = make_engine(url, pooled=False)
        with transaction(make_session_factory(engine)) as session:
            first = ensure_project(session)
            assert first is not None
            workspace = workspaces.workspaces(session, first.project_id)[0]
        engine.dispose()
        with started(settings) as client:
            yield Project(
                client=client,
                settings=settings,
                project_id=first.project_id,
                token=first.admin_token,
                owner_id=first.owner_id,
                workspace_id=workspace.id,
            )


# --- writing through the v2 API --------------------------------------------------------------


def category(
    project: Project,
    name: str,
    parent: str | None = None,
    *,
    workspace: str | None = None,
    **extra: Any,
) -> str:
    body = {"name": name, "project_version_id": workspace or project.workspace_id, **extra}
    if parent:
        body["parent_category_id"] = parent
    return str(ok(project.post("/v2/Categories", json=body))["id"])


def publish(project: Project, article_id: str, lang: str = "en", version: int = 1) -> None:
    body = {"user_id": project.owner_id, "version_number": version}
    ok(project.post(f"/v2/Articles/{article_id}/{lang}/publish", json=body))


def article(
    project: Project,
    category_id: str,
    title: str,
    content: str,
    *,
    workspace: str | None = None,
    published: bool = True,
    **extra: Any,
) -> str:
    body = {
        "title": title,
        "category_id": category_id,
        "project_version_id": workspace or project.workspace_id,
        "user_id": project.owner_id,
        "content": content,
        **extra,
    }
    article_id = str(ok(project.post("/v2/Articles", json=body))["id"])
    if published:
        publish(project, article_id)
    return article_id


def translate(project: Project, article_id: str, lang: str, title: str, content: str) -> None:
    ok(project.put(f"/v2/Articles/{article_id}/{lang}", json={"title": title, "content": content}))


def set_settings(project: Project, article_id: str, lang: str = "en", **values: Any) -> None:
    ok(project.put(f"/v2/Articles/{article_id}/{lang}/settings", json=values))


def edit_and_publish(project: Project, article_id: str, content: str) -> None:
    """A new revision of a published article, then published (the API's fork-edit-publish)."""
    ok(project.put(f"/v2/Articles/{article_id}/en", json={"content": content}))
    versions = ok(project.get(f"/v2/Articles/{article_id}/en/versions"))
    publish(project, article_id, version=max(v["version_number"] for v in versions))


def add_workspace(project: Project, slug: str, name: str, *, public: bool = True) -> str:
    """A second workspace (the v2 API has no route that creates one)."""
    with project.session() as session:
        made = ProjectVersion(
            project_id=project.project_id,
            version_code_name=name,
            slug=slug,
            is_main_version=False,
            is_public=public,
            position=len(workspaces.workspaces(session, project.project_id)),
        )
        session.add(made)
        session.flush()
        workspaces.add_language(session, made.id, "en", is_default=True)
        return made.id


def slug_of(project: Project, article_id: str, lang: str = "en") -> str:
    return str(ok(project.get(f"/v2/Articles/{article_id}/{lang}/settings"))["slug"])


# --- the library ------------------------------------------------------------------------------


@dataclass
class Library:
    """What `build_library` made: ids by short name, and the other workspaces' ids."""

    project: Project
    ids: dict[str, str] = field(default_factory=dict)
    second: str = ""
    internal: str = ""
    tricky_slug: str = ""

    def get(self, path: str, **kw: Any) -> Any:
        return self.project.client.get(path, follow_redirects=False, **kw)


INSTALL_BODY = """Install {{variable.Product}} in a minute. The zanzibarite way.

## Requirements

A computer with enough memory.

### Disk space

Two gigabytes of free disk.

## Steps

Run the installer and follow it.
"""


def build_library(project: Project) -> Library:
    """The tree of the main workspace `v1`, English (default), with French and German:

    Guides (folder)
      Install        fr published, tags, related, description, seo title, merge code
      Configure      fr draft only (French readers get the English article)
      Unlisted       excluded from search
      Internal       hidden
      Roadmap        draft only
      Changelog      published, then edited (the edit is a draft)
      Scripted       HTML with script and handlers
      <tricky title>
      Café crème
      Advanced (folder)
        Tuning
        Topic 1..12
    Reference (Index category)
      Limits
      Long read      450 words
    Welcome (Page category, published body)
    <tricky category>
      Inside corner
    Secret (hidden category)
      Buried         published, below the hidden category
    """
    lib = Library(project)
    ids = lib.ids
    project.add_language("fr")
    project.add_language("de")
    ok(
        project.post(
            "/v2/Variables",
            json={"project_version_id": project.workspace_id, "name": "Product", "value": "Acme"},
        )
    )
    ids["guides"] = guides = category(project, "Guides")
    ids["install"] = article(project, guides, "Install", INSTALL_BODY)
    ids["configure"] = article(
        project, guides, "Configure", f"Configure it in the settings file. {SEARCH_WORD}."
    )
    ids["unlisted"] = article(
        project, guides, "Unlisted", f"Only for those who know. {SEARCH_WORD} quokka."
    )
    ids["internal"] = article(project, guides, "Internal", "Hidden text: xylophonist.")
    ok(project.put(f"/v2/Articles/{ids['internal']}/en", json={"hidden": True}))
    ids["roadmap"] = article(
        project, guides, "Roadmap", "A secret draft: quetzalcoatl.", published=False
    )
    ids["changelog"] = article(project, guides, "Changelog", "Version one of the changelog.")
    ok(
        project.put(
            f"/v2/Articles/{ids['changelog']}/en", json={"content": "Version two draft: okapi."}
        )
    )
    ids["scripted"] = article(
        project,
        guides,
        "Scripted",
        '<p>Safe words</p><script>alert("x")</script>'
        '<img src="x.png" onerror="alert(2)"><a href="javascript:alert(3)">click</a>',
        content_type=1,
    )
    ids["tricky"] = article(
        project, guides, TRICKY_TITLE, f'Tricky `<script>alert("s")</script>` body. {SEARCH_WORD}.'
    )
    ids["cafe"] = article(project, guides, "Café crème", "Du lait et du café.")
    ids["advanced"] = advanced = category(project, "Advanced", guides)
    ids["tuning"] = article(project, advanced, "Tuning", f"Tune it. {SEARCH_WORD} tuning.")
    for n in range(1, TOPICS + 1):
        ids[f"topic{n}"] = article(
            project, advanced, f"Topic {n}", f"Topic number {n} about {SEARCH_WORD}."
        )
    ids["reference"] = reference = category(project, "Reference", category_type=2)
    ids["limits"] = article(project, reference, "Limits", "Some limits apply.")
    ids["long"] = article(project, reference, "Long read", " ".join(["word"] * LONG_WORDS))
    ids["welcome"] = category(
        project,
        "Welcome",
        category_type=1,
        content="Welcome aboard, reader.",
        user_id=project.owner_id,
    )
    body = {"user_id": project.owner_id, "version_number": 1}
    published = project.post(f"/v2/Categories/{ids['welcome']}/en/publish", json=body)
    assert published.status_code == 200, published.text
    ids["corner"] = corner = category(project, TRICKY_CATEGORY)
    ids["inside"] = article(project, corner, "Inside corner", "Cornered.")
    ids["secret"] = secret = category(project, "Secret")
    ids["buried"] = article(project, secret, "Buried", "Buried text: ptarmigan.")
    ok(project.put(f"/v2/Categories/{secret}", json={"hidden": True}))

    set_settings(
        project,
        ids["install"],
        tags=["setup", "Getting started"],
        related_articles=[ids["configure"]],
        description="How to install Acme on any computer.",
        seo_title="Installing Acme",
    )
    set_settings(project, ids["tuning"], tags=["setup"])
    set_settings(project, ids["unlisted"], exclude_from_search=True)
    translate(project, ids["install"], "fr", "Installer", f"Installez Acme. {SEARCH_WORD}.")
    publish(project, ids["install"], "fr")
    translate(project, ids["configure"], "fr", "Configurer", "Brouillon français.")

    lib.second = add_workspace(project, "v2", "Version two")
    second_root = category(project, "Upgrading", workspace=lib.second)
    ids["migrate"] = article(
        project,
        second_root,
        "Migrate",
        f"Move to version two. {SEARCH_WORD}.",
        workspace=lib.second,
    )
    lib.internal = add_workspace(project, "internal", "Staff only", public=False)
    staff = category(project, "Staff", workspace=lib.internal)
    ids["payroll"] = article(project, staff, "Payroll", "Staff matters.", workspace=lib.internal)
    lib.tricky_slug = slug_of(project, ids["tricky"])
    return lib
