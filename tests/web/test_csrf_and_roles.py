"""Every browser route, found by walking the application: CSRF on every state-changing one,
and the role matrix from the one permission table."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute

from lorebase.auth.roles import PERMISSIONS, Permission, Role
from lorebase.web.feedback import FEEDBACK_PATH
from lorebase.web.visitor import Requirement
from tests.conftest import Project
from tests.web.conftest import Site

# Routes that are not the browser's: the APIs (token-authenticated, no cookies) and signed
# downloads.
API_PREFIXES = ("/v2/", "/v3/", "/blobs/", "/media/")
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# The one state-changing GET: single sign-on's return, protected by OAuth's `state` (tested in
# tests/web/test_sso.py); and the /health probe.
NOT_FORMS = {"/account/signin/sso/callback", "/health"}
# The one form without a CSRF token: "Was this article helpful?" sits on article pages that are
# cached and shared between visitors, so it cannot carry a token bound to one browser. It is
# anonymous, throttled and changes nobody's data; it is held to same-origin requests instead
# (lorebase/web/feedback.py), which the test below checks.
SAME_ORIGIN_ONLY = {FEEDBACK_PATH}


@dataclass(frozen=True)
class BrowserRoute:
    method: str
    path: str
    # None: open to anyone; "signed-in": any signed-in person; else the permission needed.
    needs: Permission | str | None


def every_route(routes: list[Any]) -> Iterator[APIRoute]:
    """The application's routes, through the routers it includes (none adds a prefix)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from every_route(route.original_router.routes)


def browser_routes(project: Project) -> list[BrowserRoute]:
    found = []
    for route in every_route(project.client.app.routes):
        if route.path.startswith(API_PREFIXES):
            continue
        needs: Permission | str | None = None
        for dependency in route.dependant.dependencies:
            if isinstance(dependency.call, Requirement):
                needs = dependency.call.permission or "signed-in"
        for method in sorted(route.methods):
            found.append(BrowserRoute(method, route.path, needs))
    return found


def concrete(path: str, user_id: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda m: user_id if "user" in m.group(0) else "sometoken", path)


def test_the_walk_finds_the_browser_routes(project: Project) -> None:
    paths = {(r.method, r.path) for r in browser_routes(project)}
    assert ("POST", "/account/signin") in paths
    assert ("POST", "/portal/team/{user_id}/role") in paths
    assert len([r for r in browser_routes(project) if r.method in UNSAFE]) >= 8


def test_every_state_changing_browser_route_refuses_a_request_without_its_csrf_token(
    site: Site,
) -> None:
    target = site.add_account("target@example.com", Role.EDITOR)
    owner = site.signed_in(Role.OWNER, "boss@example.com")
    other = site.signed_in(Role.OWNER, "other-owner@example.com")
    token = owner.csrf("/account")
    foreign = other.csrf("/account")
    anonymous = site.browser()
    anonymous_token = anonymous.csrf()
    checked = 0
    for route in browser_routes(site.project):
        if route.method not in UNSAFE or route.path in NOT_FORMS | SAME_ORIGIN_ONLY:
            continue
        path = concrete(route.path, target)
        attempts = {
            "no token": {},
            "a wrong token": {"csrf_token": "0" * 64},
            "another person's token": {"csrf_token": foreign},
            "the signed-out token": {"csrf_token": anonymous_token},
        }
        for why, data in attempts.items():
            answer = owner.client.request(
                route.method, path, data={**data, "role": "reader"}, follow_redirects=False
            )
            assert answer.status_code == 403, f"{route.method} {path} with {why}"
            assert "This form has expired" in answer.text
        cross_site = owner.client.request(
            route.method,
            path,
            data={"csrf_token": token, "role": "reader"},
            headers={"Origin": "https://evil.example"},
            follow_redirects=False,
        )
        assert cross_site.status_code == 403, f"{route.method} {path} from another origin"
        checked += 1
    assert checked >= 8
    # Nothing was changed by any of it: the target keeps its role and can still be managed.
    team = owner.get("/portal/team").text
    assert "target@example.com" in team
    assert owner.get("/account").status_code == 200


def test_the_routes_without_a_csrf_token_refuse_requests_not_from_this_site(
    site: Site,
) -> None:
    routes = {(r.method, r.path) for r in browser_routes(site.project) if r.method in UNSAFE}
    assert {("POST", path) for path in SAME_ORIGIN_ONLY} <= routes
    browser = site.browser()
    for path in SAME_ORIGIN_ONLY:
        for headers in (
            {"Origin": "https://evil.example"},
            {"Referer": "https://evil.example/docs/page"},
            {},  # neither Origin nor Referer
        ):
            answer = browser.client.post(
                path, data={"helpful": "yes"}, headers=headers, follow_redirects=False
            )
            assert answer.status_code == 403, (path, headers)
            assert "This request came from another site" in answer.text


def test_the_token_may_come_in_the_header_htmx_sends(site: Site) -> None:
    browser = site.signed_in(Role.EDITOR)
    token = browser.csrf("/account")
    answer = browser.client.post(
        "/account/signout", headers={"X-CSRF-Token": token}, follow_redirects=False
    )
    assert answer.status_code == 303
    assert browser.get("/account").status_code == 303


def test_api_clients_are_not_asked_for_csrf_tokens(project: Project) -> None:
    created = project.post(
        "/v2/Categories",
        json={
            "name": "No CSRF here",
            "project_version_id": project.workspace_id,
            "user_id": project.owner_id,
        },
    )
    assert created.status_code in (200, 201), created.text
    assert created.json()["success"] is True


ROLES = [Role.OWNER, Role.ADMIN, Role.EDITOR, Role.DRAFT_WRITER, Role.READER]


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.slug)
def test_every_browser_route_follows_the_permission_table(site: Site, role: Role) -> None:
    me = site.signed_in(role, f"me-{role.slug}@example.com")
    target = site.add_account(f"target-{role.slug}@example.com", Role.DRAFT_WRITER)
    for route in browser_routes(site.project):
        if route.needs is None or route.method not in ({"GET"} | UNSAFE):
            continue
        path = concrete(route.path, target)
        if route.method == "GET":
            answer = me.get(path)
        else:
            token = me.csrf("/account")
            answer = me.client.request(
                route.method,
                path,
                data={"csrf_token": token, "role": "editor"},
                follow_redirects=False,
            )
        allowed = route.needs == "signed-in" or route.needs in PERMISSIONS[role]
        if allowed:
            # Allowed in: the page, a redirect after the change, the form's own complaint
            # about the (empty) fields it was sent, or, for a route naming an item, that no
            # item has the made-up id.
            expected = (200, 303, 400) + ((404,) if "sometoken" in path else ())
            assert answer.status_code in expected, f"{role.slug}: {route.method} {path}"
            assert "Your role does not allow this" not in answer.text
            if answer.status_code == 303:
                location = answer.headers["location"]
                assert location != "/account/signin", path
                assert not location.startswith("/account/signin?next="), path
        else:
            assert answer.status_code == 403, f"{role.slug}: {route.method} {path}"
            assert "Your role does not allow this" in answer.text
        if route.path == "/account/sessions/end-all" or route.path == "/account/signout":
            me = site.browser()
            me.sign_in(f"me-{role.slug}@example.com")


def test_anonymous_visitors_are_sent_to_sign_in_from_every_protected_route(site: Site) -> None:
    target = site.add_account("target@example.com")
    anonymous = site.browser()
    token = anonymous.csrf()
    for route in browser_routes(site.project):
        if route.needs is None:
            continue
        path = concrete(route.path, target)
        answer = anonymous.client.request(
            route.method, path, data={"csrf_token": token}, follow_redirects=False
        )
        assert answer.status_code == 303, f"{route.method} {path}"
        location = answer.headers["location"]
        assert location == "/account/signin" or location.startswith("/account/signin?next=")


def test_admins_manage_roles_but_only_owners_make_owners(site: Site) -> None:
    admin = site.signed_in(Role.ADMIN, "admin@example.com")
    editor = site.add_account("ed@example.com", Role.EDITOR)
    answer = admin.post_form(f"/portal/team/{editor}/role", {"role": "draft-writer"})
    assert answer.status_code == 303
    assert "Draft writer" in site.project.get(f"/v2/Teams/{editor}").text
    refused = admin.post_form(f"/portal/team/{editor}/role", {"role": "owner"})
    assert refused.status_code == 400 or refused.status_code == 403
    assert "Only an owner" in refused.text
    owner_id = site.project.owner_id
    assert "Only an owner" in admin.post_form(f"/portal/team/{owner_id}/disable").text
    me_id = next(
        p["user_id"]
        for p in site.project.get("/v2/Teams").json()["result"]
        if p["email_id"] == "admin@example.com"
    )
    assert "your own" in admin.post_form(f"/portal/team/{me_id}/disable").text
    assert admin.post_form(f"/portal/team/{'x' * 80}/enable").status_code == 404
    invalid = admin.post_form(f"/portal/team/{editor}/role", {"role": "wizard"})
    assert invalid.status_code == 400 and "Unknown role" in invalid.text


def test_disabling_from_the_team_page_signs_the_person_out(site: Site) -> None:
    owner = site.signed_in(Role.OWNER, "boss@example.com")
    victim = site.signed_in(Role.EDITOR, "ed@example.com")
    ed_id = next(
        p["user_id"]
        for p in site.project.get("/v2/Teams").json()["result"]
        if p["email_id"] == "ed@example.com"
    )
    assert owner.post_form(f"/portal/team/{ed_id}/disable").status_code == 303
    assert victim.get("/account").status_code == 303
    assert site.browser().sign_in("ed@example.com").status_code == 400
    assert owner.post_form(f"/portal/team/{ed_id}/enable").status_code == 303
    assert site.browser().sign_in("ed@example.com").status_code == 303


def test_the_last_owner_cannot_be_demoted(site: Site) -> None:
    owner = site.signed_in(Role.OWNER, "boss@example.com")
    first_owner = site.project.owner_id
    # Two owners: demoting the other one works; then the only one left is this one.
    assert owner.post_form(f"/portal/team/{first_owner}/role", {"role": "admin"}).status_code == 303
    assert owner.post_form(f"/portal/team/{first_owner}/role", {"role": "owner"}).status_code == 303


def test_a_sign_in_link_from_the_team_page_is_shown_once_and_works(site: Site) -> None:
    admin = site.signed_in(Role.ADMIN, "admin@example.com")
    editor = site.add_account("ed@example.com", Role.EDITOR, password=None)
    page = admin.post_form(f"/portal/team/{editor}/signin-link")
    assert page.status_code == 200
    link = re.search(r"/account/link/([A-Za-z0-9_-]+)", page.text)
    assert link
    newcomer = site.browser()
    assert newcomer.post_form(f"/account/link/{link.group(1)}").status_code == 303
    assert "ed@example.com" in newcomer.get("/account").text
    assert link.group(1) not in admin.get("/portal/team").text
