"""Case-insensitive routing: literal segments follow the declared casing, values keep theirs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lorebase.api.paths import CanonicalPaths
from lorebase.app import create_app
from lorebase.db.models import MergeCodeEntry, ProjectVersion
from lorebase.kb import workspaces
from lorebase.settings import Settings
from tests.conformance.official import assert_conforms


async def _unused_app(scope: Any, receive: Any, send: Any) -> None:  # pragma: no cover
    raise AssertionError("canonical() is called directly")


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """Every path the application declares, in declaration order."""
    data_dir: Path = tmp_path_factory.mktemp("paths")
    app = create_app(Settings(data_dir=data_dir))
    paths = list(app.openapi()["paths"])
    app.state.engine.dispose()
    return paths


@pytest.fixture(scope="module")
def canonical(templates: list[str]) -> Any:
    return CanonicalPaths(_unused_app, templates).canonical


# --- unit: CanonicalPaths.canonical ---------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("/v2/categories/AbC-123", "/v2/Categories/AbC-123"),
        ("/V2/CATEGORIES/AbC-123", "/v2/Categories/AbC-123"),
        ("/v2/Categories/AbC-123", "/v2/Categories/AbC-123"),
        ("/v2/projectversions", "/v2/ProjectVersions"),
        ("/v2/projectversions/WS-1/CATEGORIES", "/v2/ProjectVersions/WS-1/categories"),
        ("/v2/PROJECTVERSIONS/WS-1/Articles", "/v2/ProjectVersions/WS-1/articles"),
        # The search route: the last segment is a language code, kept as sent.
        ("/v2/projectversions/WS-1/EN", "/v2/ProjectVersions/WS-1/EN"),
        ("/v2/language/WS-1", "/v2/Language/WS-1"),
        ("/v2/teams/User-9", "/v2/Teams/User-9"),
        ("/v2/categories/C1/CONTENT/en-US", "/v2/Categories/C1/content/en-US"),
        ("/v2/articles/A1/EN/Versions/3", "/v2/Articles/A1/EN/versions/3"),
        ("/v2/articles/A1/VERSIONS/3", "/v2/Articles/A1/versions/3"),
        ("/v2/articles/A1/en/VERSION/3", "/v2/Articles/A1/en/version/3"),
        ("/v2/articles/A1/UPDATEDESCRIPTION", "/v2/Articles/A1/updateDescription"),
        ("/v2/categories/C1/updatecategorytype", "/v2/Categories/C1/updateCategoryType"),
        ("/v2/variables/Var-X", "/v2/Variables/Var-X"),
        ("/v2/GLOSSARY", "/v2/Glossary"),
    ],
)
def test_literal_segments_take_the_declared_casing_and_values_keep_theirs(
    canonical, sent, expected
):
    assert canonical(sent) == expected


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("/v2/Categories/C1/ENversions", "/v2/Categories/C1/ENversions"),
        ("/v2/categories/C1/en-USVERSIONS", "/v2/Categories/C1/en-USversions"),
        ("/v2/categories/C1/frVersions", "/v2/Categories/C1/frversions"),
        # Bare "versions" is the deprecated literal route, not an empty language code.
        ("/v2/categories/C1/VERSIONS", "/v2/Categories/C1/versions"),
        ("/v2/categories/C1/versions", "/v2/Categories/C1/versions"),
    ],
)
def test_a_language_code_glued_to_versions_keeps_its_case(canonical, sent, expected):
    assert canonical(sent) == expected


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ("/v2/articles/BULKDELETE", "/v2/Articles/bulkdelete"),
        ("/v2/Articles/BulkCreate", "/v2/Articles/bulkcreate"),
        ("/v2/articles/bulkUpdate", "/v2/Articles/bulkupdate"),
        ("/v2/articles/BULKPUBLISH/EN", "/v2/Articles/bulkpublish/EN"),
        ("/v2/articles/Bulkdelete-Article-Versions", "/v2/Articles/bulkdelete-article-versions"),
        ("/v2/categories/BULKCREATE", "/v2/Categories/bulkcreate"),
        ("/v2/categories/bulkupdatecontent", "/v2/Categories/bulkupdateContent"),
        (
            "/v2/categories/BULKDELETE-CATEGORY-VERSIONS",
            "/v2/Categories/bulkdelete-category-versions",
        ),
        ("/v2/articles/A1/SETTINGS", "/v2/Articles/A1/settings"),
        ("/v2/articles/A1/Publish", "/v2/Articles/A1/publish"),
        ("/v2/articles/A1/FORK", "/v2/Articles/A1/fork"),
    ],
)
def test_literal_routes_beat_parameter_templates(canonical, sent, expected):
    assert canonical(sent) == expected


def test_the_outcome_does_not_depend_on_declaration_order(templates):
    forward = CanonicalPaths(_unused_app, templates).canonical
    backward = CanonicalPaths(_unused_app, list(reversed(templates))).canonical
    for sent in (
        "/v2/articles/BULKDELETE",
        "/v2/articles/A1/SETTINGS",
        "/v2/articles/A1/VERSIONS/2",
        "/v2/categories/C1/VERSIONS",
        "/v2/categories/C1/ENVERSIONS",
        "/v2/projectversions/W/CATEGORIES",
    ):
        assert forward(sent) == backward(sent), sent


@pytest.mark.parametrize(
    "sent",
    ["/v2/Nothing", "/v2/categories/a/b/c/d/e/f", "/health", "/", "/v3/categories/x"],
)
def test_a_path_that_fits_no_template_is_left_alone(canonical, sent):
    assert canonical(sent) == sent


def test_the_middleware_rewrites_the_scope_path_only():
    seen: dict[str, Any] = {}

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.update(scope)

    import asyncio

    middleware = CanonicalPaths(app, ["/v2/Categories/{categoryId}"])
    scope = {
        "type": "http",
        "path": "/v2/categories/Mixed Case",
        "raw_path": b"/v2/categories/Mixed%20Case",
        "query_string": b"langCode=EN",
    }
    asyncio.run(middleware(scope, None, None))
    assert seen["path"] == "/v2/Categories/Mixed Case"
    assert seen["raw_path"] == b"/v2/Categories/Mixed%20Case"
    assert seen["query_string"] == b"langCode=EN"
    assert scope["path"] == "/v2/categories/Mixed Case"  # the caller's scope is not mutated


# --- end to end -------------------------------------------------------------------------------


def _page_category(project: Any) -> str:
    created = project.post(
        "/v2/Categories",
        json={
            "name": "Guide",
            "project_version_id": project.workspace_id,
            "category_type": 1,
            "content": "Page body",
            "user_id": project.owner_id,
        },
    )
    assert created.status_code == 200, created.text
    category_id: str = created.json()["data"]["id"]
    return category_id


def _article(project: Any, category_id: str) -> str:
    created = project.post(
        "/v2/Articles",
        json={
            "title": "Cased",
            "category_id": category_id,
            "project_version_id": project.workspace_id,
            "user_id": project.owner_id,
        },
    )
    assert created.status_code == 200, created.text
    article_id: str = created.json()["data"]["id"]
    return article_id


def test_a_category_is_found_under_any_casing_of_the_path(project):
    category_id = _page_category(project)
    bodies = []
    for prefix in ("/v2/Categories", "/v2/categories", "/V2/CATEGORIES"):
        response = project.get(f"{prefix}/{category_id}")
        assert response.status_code == 200, (prefix, response.text)
        assert_conforms(response, "GET", "/v2/Categories/{categoryId}")
        bodies.append(response.json())
    assert bodies[0] == bodies[1] == bodies[2]


def test_the_workspace_tree_is_found_under_any_casing(project):
    _page_category(project)
    response = project.get(f"/v2/projectversions/{project.workspace_id}/CATEGORIES")
    assert response.status_code == 200
    assert_conforms(response, "GET", "/v2/ProjectVersions/{projectVersionId}/categories")
    assert [c["name"] for c in response.json()["data"]] == ["Guide"]


def test_category_versions_are_found_with_the_language_glued_to_versions(project):
    project.add_language("en-US")
    category_id = _page_category(project)
    for path in (
        f"/v2/Categories/{category_id}/ENversions",
        f"/v2/categories/{category_id}/enVERSIONS",
        f"/v2/Categories/{category_id}/en-USversions",
    ):
        response = project.get(path)
        assert response.status_code == 200, (path, response.text)
        assert_conforms(response, "GET", "/v2/Categories/{categoryId}/{langCode}versions")
        assert "versions" in response.json()
    english = project.get(f"/v2/Categories/{category_id}/ENversions").json()["versions"]
    assert [v["version_number"] for v in english] == [1]
    deprecated = project.get(f"/v2/categories/{category_id}/VERSIONS")
    assert deprecated.status_code == 200
    assert_conforms(deprecated, "GET", "/v2/Categories/{categoryId}/versions")
    assert deprecated.json()["versions"] == english


def test_a_shouted_bulk_delete_reaches_the_bulk_route(project):
    category_id = _page_category(project)
    article_id = _article(project, category_id)
    response = project.delete("/v2/articles/BULKDELETE", params={"articleIds": article_id})
    assert response.status_code == 200, response.text
    assert_conforms(response, "DELETE", "/v2/Articles/bulkdelete")
    (result,) = response.json()["data"]
    assert result["success"] is True
    assert project.get(f"/v2/Articles/{article_id}/en").status_code == 404


def test_a_bulk_delete_of_an_unknown_id_is_the_bulk_routes_own_error(project):
    response = project.delete("/v2/articles/BULKDELETE", params={"articleIds": "x"})
    assert response.status_code == 400
    assert_conforms(response, "DELETE", "/v2/Articles/bulkdelete")
    assert response.json()["errors"][0]["description"].startswith(
        "Failed to delete article with an id x"
    )


def test_a_lower_case_bulk_create_reaches_the_bulk_route(project):
    response = project.post(
        "/v2/categories/BULKCREATE",
        json=[{"name": "One", "project_version_id": project.workspace_id}],
    )
    assert response.status_code == 200, response.text
    assert_conforms(response, "POST", "/v2/Categories/bulkcreate")
    assert response.json()["data"][0]["success"] is True


def test_ids_with_capitals_still_match_because_values_keep_their_case(project):
    with project.session() as session:
        workspace = ProjectVersion(
            id="WS-MixedCase",
            project_id=project.project_id,
            version_code_name="Mixed",
            slug="mixed",
            is_main_version=False,
        )
        session.add(workspace)
        session.flush()
        workspaces.add_language(session, workspace.id, "en", is_default=True)
        session.add(
            MergeCodeEntry(
                id="Var-MIXED", project_version_id=workspace.id, kind="variable", name="v"
            )
        )
    languages = project.get("/v2/language/WS-MixedCase")
    assert languages.status_code == 200, languages.text
    assert_conforms(languages, "GET", "/v2/Language/{projectVersionId}")
    tree = project.get("/v2/PROJECTVERSIONS/WS-MixedCase/Categories")
    assert tree.status_code == 200, tree.text
    assert_conforms(tree, "GET", "/v2/ProjectVersions/{projectVersionId}/categories")
    variable = project.get("/v2/VARIABLES/Var-MIXED")
    assert variable.status_code == 200, variable.text
    assert variable.json()["data"]["id"] == "Var-MIXED"
    # Ids are opaque: another casing is another id.
    assert project.get("/v2/Language/ws-mixedcase").status_code == 404
    assert project.get("/v2/Variables/var-mixed").status_code == 404


def test_a_language_code_keeps_its_case_in_the_search_route(project):
    response = project.get(
        f"/v2/projectversions/{project.workspace_id}/EN", params={"searchQuery": "x"}
    )
    assert response.status_code == 200, response.text
    assert_conforms(response, "GET", "/v2/ProjectVersions/{projectVersionId}/{langCode}")
