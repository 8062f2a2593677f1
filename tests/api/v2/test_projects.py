"""Workspaces (project versions), their languages, and the team accounts of a project."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from lorebase.db.models import ProjectVersion
from lorebase.kb import workspaces
from tests.conformance.official import assert_conforms

WORKSPACE = "/v2/ProjectVersions/{projectVersionId}"
LANGUAGE_KEYS = {
    "id",
    "name",
    "code",
    "set_as_default",
    "hidden",
    "enable_rtl",
    "site_protection_level",
    "is_inheritance_disabled",
    "has_inheritance_disabled_categories_or_articles",
    "country_flag_code",
    "display_name",
    "is_home_page_enabled",
    "version_display_name",
}


def _add_workspace(project: Any, name: str, *, languages: tuple[str, ...] = ("en",)) -> str:
    with project.session() as session:
        workspace = ProjectVersion(
            project_id=project.project_id,
            version_code_name=name,
            slug=name.lower(),
            is_main_version=False,
            version_number=2.0,
            base_version_number=1.0,
            position=1,
        )
        session.add(workspace)
        session.flush()
        for index, code in enumerate(languages):
            workspaces.add_language(session, workspace.id, code, is_default=index == 0)
        return workspace.id


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- /v2/ProjectVersions --------------------------------------------------------------------


def test_project_versions_lists_the_first_workspace_with_every_documented_field(project):
    response = project.get("/v2/ProjectVersions")
    assert response.status_code == 200
    assert_conforms(response, "GET", "/v2/ProjectVersions")
    body = response.json()
    assert body["success"] is True and body["errors"] == []
    (workspace,) = body["data"]
    assert workspace["id"] == project.workspace_id
    assert workspace["is_main_version"] is True
    assert workspace["version_number"] == 1.0
    assert workspace["base_version_number"] == 0.0
    assert workspace["version_type"] == 0
    assert workspace["version_code_name"] and workspace["slug"]
    assert _parse_time(workspace["created_at"]).tzinfo is not None
    (english,) = workspace["language_versions"]
    assert set(english) == LANGUAGE_KEYS
    assert english["code"] == "en"
    assert english["set_as_default"] is True
    assert english["enable_rtl"] is False
    assert english["version_display_name"] == workspace["version_code_name"]


def test_project_versions_lists_every_language_default_first(project):
    project.add_language("fr")
    project.add_language("ar")
    response = project.get("/v2/ProjectVersions")
    assert_conforms(response, "GET", "/v2/ProjectVersions")
    languages = response.json()["data"][0]["language_versions"]
    assert [lang["code"] for lang in languages] == ["en", "ar", "fr"]
    assert [lang["set_as_default"] for lang in languages] == [True, False, False]
    by_code = {lang["code"]: lang for lang in languages}
    assert by_code["ar"]["enable_rtl"] is True
    assert by_code["fr"]["name"] == "French"


def test_project_versions_lists_each_workspace_with_its_own_languages(project):
    second = _add_workspace(project, "v2", languages=("de", "en"))
    project.add_language("fr")
    response = project.get("/v2/ProjectVersions")
    assert_conforms(response, "GET", "/v2/ProjectVersions")
    data = response.json()["data"]
    assert [w["id"] for w in data] == [project.workspace_id, second]
    first, other = data
    assert [lang["code"] for lang in first["language_versions"]] == ["en", "fr"]
    assert [lang["code"] for lang in other["language_versions"]] == ["de", "en"]
    assert other["language_versions"][0]["set_as_default"] is True
    assert other["is_main_version"] is False
    assert other["version_number"] == 2.0 and other["base_version_number"] == 1.0
    assert other["order"] == 1
    assert {lang["version_display_name"] for lang in other["language_versions"]} == {"v2"}


# --- /v2/Language/{projectVersionId} ---------------------------------------------------------


def test_languages_of_a_workspace_use_the_project_language_shape(project):
    project.add_language("fr")
    project.add_language("pt-BR")
    response = project.get(f"/v2/Language/{project.workspace_id}")
    assert response.status_code == 200
    assert_conforms(response, "GET", "/v2/Language/{projectVersionId}")
    data = response.json()["data"]
    assert [lang["language_code"] for lang in data] == ["en", "fr", "pt-BR"]
    assert all(
        set(lang) == {"language_id", "language_code", "language_name", "is_set_as_default",
                      "country_flag_code"}
        for lang in data
    )  # fmt: skip
    default = [lang["language_code"] for lang in data if lang["is_set_as_default"]]
    assert default == ["en"]
    by_code = {lang["language_code"]: lang for lang in data}
    assert by_code["fr"]["language_name"] == "French"
    assert by_code["pt-BR"]["country_flag_code"] == "br"


def test_language_ids_agree_between_the_two_listings(project):
    project.add_language("fr")
    listed = project.get("/v2/ProjectVersions").json()["data"][0]["language_versions"]
    languages = project.get(f"/v2/Language/{project.workspace_id}").json()["data"]
    assert {lang["code"]: lang["id"] for lang in listed} == {
        lang["language_code"]: lang["language_id"] for lang in languages
    }


def test_languages_of_a_second_workspace_are_its_own(project):
    second = _add_workspace(project, "v2", languages=("de",))
    response = project.get(f"/v2/Language/{second}")
    assert_conforms(response, "GET", "/v2/Language/{projectVersionId}")
    assert [lang["language_code"] for lang in response.json()["data"]] == ["de"]
    assert response.json()["data"][0]["is_set_as_default"] is True


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/v2/Language/{id}", "/v2/Language/{projectVersionId}"),
        (
            "/v2/ProjectVersions/{id}/categories",
            "/v2/ProjectVersions/{projectVersionId}/categories",
        ),
        ("/v2/ProjectVersions/{id}/articles", "/v2/ProjectVersions/{projectVersionId}/articles"),
        ("/v2/ProjectVersions/{id}/en", "/v2/ProjectVersions/{projectVersionId}/{langCode}"),
    ],
)
def test_an_unknown_workspace_is_a_404(project, path, template):
    response = project.get(path.format(id="no-such-workspace"), params={"searchQuery": "x"})
    assert response.status_code == 404
    assert_conforms(response, "GET", template)
    assert response.json()["errors"][0]["description"] == (
        "The supplied project version id does not exist in your project"
    )


# --- /v2/Teams ---------------------------------------------------------------------------------


def test_teams_lists_the_owner_under_the_result_key(project):
    response = project.get("/v2/Teams")
    assert response.status_code == 200
    assert_conforms(response, "GET", "/v2/Teams")
    body = response.json()
    assert "data" not in body
    (owner,) = body["result"]
    assert owner["user_id"] == project.owner_id
    assert owner["portal_role"] == "Owner"
    assert set(owner) == {
        "user_id",
        "first_name",
        "last_name",
        "email_id",
        "profile_logo_url",
        "portal_role",
        "last_login_at",
    }


def test_teams_pages_with_skip_and_take(project):
    added = [project.add_user(f"user{i}@example.com", f"User{i}") for i in range(5)]
    everyone = project.get("/v2/Teams").json()["result"]
    assert [u["user_id"] for u in everyone] == [project.owner_id, *added]

    page = project.get("/v2/Teams", params={"skip": 2, "take": 2})
    assert_conforms(page, "GET", "/v2/Teams")
    assert [u["user_id"] for u in page.json()["result"]] == added[1:3]

    tail = project.get("/v2/Teams", params={"skip": 5, "take": 20})
    assert [u["user_id"] for u in tail.json()["result"]] == added[4:]

    beyond = project.get("/v2/Teams", params={"skip": 50})
    assert_conforms(beyond, "GET", "/v2/Teams")
    assert beyond.json()["result"] == []


def test_teams_take_defaults_to_twenty(project):
    for i in range(21):
        project.add_user(f"user{i:02}@example.com", f"User{i}")
    response = project.get("/v2/Teams")
    assert len(response.json()["result"]) == 20


def test_a_team_member_is_read_with_role_details(project):
    user_id = project.add_user("editor@example.com", "Eddie")
    response = project.get(f"/v2/Teams/{user_id}")
    assert response.status_code == 200
    assert_conforms(response, "GET", "/v2/Teams/{userId}")
    member = response.json()["result"]
    assert member["user_id"] == user_id
    assert member["first_name"] == "Eddie"
    assert member["email_id"] == "editor@example.com"
    assert member["portal_role"] == {"role_id": "2", "role_name": "Editor"}
    assert member["content_roles"] == [] and member["associated_groups"] == []


def test_an_unknown_team_member_is_a_404(project):
    response = project.get("/v2/Teams/no-such-user")
    assert response.status_code == 404
    assert_conforms(response, "GET", "/v2/Teams/{userId}")
    assert response.json()["errors"][0]["description"] == (
        "The user with id 'no-such-user' does not exist in your project."
    )
