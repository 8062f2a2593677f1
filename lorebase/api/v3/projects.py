"""GET /v3/projects and the project's workspaces (api-reference.md §2.6)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel

from lorebase.api.v3.deps import V3RequestDep, storable
from lorebase.api.v3.envelope import (
    ApiResponse,
    PageRequest,
    PaginatedResponse,
    ok,
    paginated,
    problem_responses,
)
from lorebase.api.v3.errors import ProblemError
from lorebase.db.models import Project, ProjectVersion
from lorebase.kb import workspaces
from lorebase.kb.workspaces import WorkspaceScope

router = APIRouter(
    prefix="/v3/projects",
    tags=["v3 projects"],
    responses=problem_responses(401, 403, 404, 422),
)

# v3 names the workspace kinds that v2 numbers (api-reference.md §1.4).
VERSION_TYPES = {0: "KnowledgeBase", 1: "ApiDocumentation"}
ACTIVE = 0


# The page number is echoed back in `pagination`; unbounded, a huge one broke the JSON encoder
# (a 500 schemathesis found: page=7e28). Document360's page is a .NET int.
MAX_PAGE = 2**31 - 1


def page_request(
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(min_length=1)] = None,
    include_total_count: bool = False,
) -> PageRequest:
    return PageRequest(page, page_size, cursor, include_total_count)


PageDep = Annotated[PageRequest, Depends(page_request)]


class ProjectResponse(BaseModel):
    id: str
    name: str
    description: str | None
    sub_domain_name: str | None
    created_at: datetime
    modified_at: datetime | None
    status: int


class ProjectVersionResponse(BaseModel):
    id: str
    name: str
    slug: str | None
    order: int
    is_default: bool
    version_type: str | None
    created_at: datetime
    modified_at: datetime


class ProjectVersionDetailResponse(ProjectVersionResponse):
    language_code: str | None
    enable_rtl: bool


def _project(project: Project) -> dict[str, Any]:
    return {
        "id": project.id,
        "name": project.name,
        "description": None,
        "sub_domain_name": None,
        "created_at": project.created_at,
        "modified_at": None,
        "status": ACTIVE,
    }


def _workspace(workspace: ProjectVersion) -> dict[str, Any]:
    return {
        "id": workspace.id,
        "name": workspace.version_code_name,
        "slug": workspace.slug,
        "order": workspace.position,
        "is_default": workspace.is_main_version,
        "version_type": VERSION_TYPES.get(workspace.version_type, "KnowledgeBase"),
        "created_at": workspace.created_at,
        "modified_at": workspace.modified_at,
    }


def _workspace_detail(scope: WorkspaceScope) -> dict[str, Any]:
    default = next((lang for lang in scope.languages if lang.is_default), None)
    default = default or (scope.languages[0] if scope.languages else None)
    return {
        **_workspace(scope.workspace),
        "language_code": default.code if default else None,
        "enable_rtl": default.enable_rtl if default else False,
    }


@router.get(
    "",
    response_model=PaginatedResponse[ProjectResponse],
    summary="Projects the token may read (a token belongs to one project)",
)
def list_projects(v3: V3RequestDep, paging: PageDep) -> Response:
    project = workspaces.find_project(v3.session, v3.caller.project_id)
    return paginated([_project(project)], paging)


@router.get("/{project_id}", response_model=ApiResponse[ProjectResponse], summary="One project")
def get_project(v3: V3RequestDep, project_id: str) -> Response:
    project = workspaces.find_project(v3.session, v3.project(project_id))
    return ok(_project(project))


@router.get(
    "/{project_id}/project-versions",
    response_model=PaginatedResponse[ProjectVersionResponse],
    summary="The project's workspaces, paginated",
)
def list_project_versions(v3: V3RequestDep, project_id: str, paging: PageDep) -> Response:
    found = workspaces.workspaces(v3.session, v3.project(project_id))
    return paginated([_workspace(w) for w in found], paging)


@router.get(
    "/{project_id}/project-versions/{project_version_id}",
    response_model=ApiResponse[ProjectVersionDetailResponse],
    summary="One workspace",
)
def get_project_version(v3: V3RequestDep, project_id: str, project_version_id: str) -> Response:
    project_id = v3.project(project_id)
    scope = (
        workspaces.find_workspace(v3.session, project_id, project_version_id)
        if storable(project_version_id)
        else None
    )
    if scope is None:
        raise ProblemError(404, f"Project version {project_version_id} not found.")
    return ok(_workspace_detail(scope))
