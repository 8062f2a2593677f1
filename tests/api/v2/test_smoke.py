"""The first minute of a new user: list workspaces, create a category, read it back."""

from tests.conformance.official import assert_conforms


def test_first_start_lists_one_workspace_with_one_default_language(project):
    response = project.get("/v2/ProjectVersions")
    assert_conforms(response, "GET", "/v2/ProjectVersions")
    (workspace,) = response.json()["data"]
    assert workspace["id"] == project.workspace_id
    assert [lang["code"] for lang in workspace["language_versions"]] == ["en"]


def test_created_category_appears_in_the_tree(project):
    created = project.post(
        "/v2/Categories",
        json={"name": "Guides", "project_version_id": project.workspace_id},
    )
    assert_conforms(created, "POST", "/v2/Categories")
    tree = project.get(f"/v2/ProjectVersions/{project.workspace_id}/categories")
    assert_conforms(tree, "GET", "/v2/ProjectVersions/{projectVersionId}/categories")
    assert [c["name"] for c in tree.json()["data"]] == ["Guides"]
