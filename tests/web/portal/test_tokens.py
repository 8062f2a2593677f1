"""The portal's API tokens screen: a new token's secret shown once and working against /v2
with the methods chosen; the list never shows secrets; revoking stops the token at once; only
this project's tokens; roles, bad input and escaping."""

from __future__ import annotations

import re
from typing import Any

import pytest

from lorebase.auth import tokens
from lorebase.auth.roles import Role
from tests.conftest import Project
from tests.web.conftest import Browser, Site

SECRET = re.compile(r'id="new-secret" class="snippet" readonly value="(lb_[A-Za-z0-9_-]+)"')


def _issue(browser: Browser, name: str, methods: list[str]) -> tuple[Any, str]:
    answer = browser.client.post(
        "/portal/tokens",
        data={"csrf_token": browser.csrf("/portal/tokens"), "name": name, "methods": methods},
        follow_redirects=False,
    )
    found = SECRET.search(answer.text)
    return answer, found.group(1) if found else ""


def _id_of(project: Project, name: str) -> str:
    with project.session() as session:
        (token,) = [t for t in tokens.list_tokens(session, project.project_id) if t.name == name]
        return token.id


def _revoke(browser: Browser, token_id: str) -> Any:
    return browser.client.post(
        f"/portal/tokens/{token_id}/revoke",
        data={"csrf_token": browser.csrf("/portal/tokens")},
        follow_redirects=False,
    )


def test_a_new_token_is_shown_once_and_works(site: Site, project: Project) -> None:
    admin = site.signed_in(Role.ADMIN)
    answer, secret = _issue(admin, "CI export", ["GET"])
    assert answer.status_code == 200
    assert secret, "the secret is on the answer to the form"
    assert answer.headers["cache-control"] == "no-store"
    assert "it will not be shown again" in answer.text

    reads = project.client.get("/v2/ProjectVersions", headers={"api_token": secret})
    assert reads.status_code == 200, reads.text
    writes = project.client.post(
        "/v2/Drive/Folders", headers={"api_token": secret}, json={"title": "Nope"}
    )
    assert writes.status_code == 403

    listing = admin.get("/portal/tokens")
    assert listing.status_code == 200
    assert secret not in listing.text and "lb_" not in listing.text
    assert "CI export" in listing.text and '<span class="badge">GET</span>' in listing.text
    row = listing.text.split("CI export", 1)[1].split("</tr>", 1)[0]
    assert "POST" not in row and "UTC" in row
    with project.session() as session:
        stored = [t.token_hash for t in tokens.list_tokens(session, project.project_id)]
    assert secret not in stored and tokens.hash_token(secret) in stored


def test_revoking_a_token_stops_it(site: Site, project: Project) -> None:
    admin = site.signed_in(Role.OWNER)
    _, secret = _issue(admin, "Chatbot", ["GET", "POST", "PUT", "DELETE"])
    token_id = _id_of(project, "Chatbot")
    assert (
        project.client.get("/v2/ProjectVersions", headers={"api_token": secret}).status_code == 200
    )

    answer = _revoke(admin, token_id)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/portal/tokens?done=revoked"
    refused = project.client.get("/v2/ProjectVersions", headers={"api_token": secret})
    assert refused.status_code == 401
    page = admin.get("/portal/tokens?done=revoked").text
    assert "The token is revoked" in page and "Chatbot" not in page
    assert _revoke(admin, token_id).status_code == 404
    assert _revoke(admin, "x" * 100).status_code == 404


def test_another_projects_token_cannot_be_revoked(site: Site, project: Project) -> None:
    foreign_secret, _ = project.other_project()
    with project.session() as session:
        caller = tokens.authenticate(session, foreign_secret)
        assert caller is not None
        foreign_id = caller.token_id
    admin = site.signed_in(Role.ADMIN)
    assert "Someone else" not in admin.get("/portal/tokens").text
    answer = _revoke(admin, foreign_id)
    assert answer.status_code == 404
    still = project.client.get("/v2/ProjectVersions", headers={"api_token": foreign_secret})
    assert still.status_code == 200


def test_bad_input_is_refused_next_to_the_field(site: Site, project: Project) -> None:
    admin = site.signed_in(Role.ADMIN)
    before = admin.get("/portal/tokens").text.count("<tr>")
    answer, secret = _issue(admin, "   ", ["GET"])
    assert answer.status_code == 400 and not secret
    assert 'aria-invalid="true"' in answer.text
    assert "token-name-problem" in answer.text
    answer, secret = _issue(admin, "x" * 201, ["GET"])
    assert answer.status_code == 400 and "at most 200" in answer.text
    answer, secret = _issue(admin, "No methods", [])
    assert answer.status_code == 400 and not secret
    assert "Choose at least one method" in answer.text
    assert 'value="No methods"' in answer.text
    answer, secret = _issue(admin, "Odd", ["PATCH"])
    assert answer.status_code == 400 and not secret
    assert admin.get("/portal/tokens").text.count("<tr>") == before


def test_names_are_escaped(site: Site, project: Project) -> None:
    admin = site.signed_in(Role.ADMIN)
    answer, secret = _issue(admin, "<script>alert(1)</script>", ["GET"])
    assert secret
    for html in (answer.text, admin.get("/portal/tokens").text):
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.OWNER, True),
        (Role.ADMIN, True),
        (Role.EDITOR, False),
        (Role.DRAFT_WRITER, False),
        (Role.READER, False),
    ],
    ids=lambda value: value.slug if isinstance(value, Role) else str(value),
)
def test_only_administrators_manage_tokens(
    site: Site, project: Project, role: Role, allowed: bool
) -> None:
    me = site.signed_in(role)
    page = me.get("/portal/tokens")
    token_id = _id_of(project, "admin") if allowed else ""
    answer = me.client.post(
        "/portal/tokens",
        data={"csrf_token": me.csrf("/account"), "name": "Mine", "methods": ["GET"]},
        follow_redirects=False,
    )
    if allowed:
        assert page.status_code == 200 and answer.status_code == 200
        assert SECRET.search(answer.text)
        assert token_id and f"/portal/tokens/{token_id}/revoke" in page.text
        return
    assert page.status_code == 403 and "Your role does not allow this" in page.text
    assert answer.status_code == 403
    if role != Role.READER:
        assert 'href="/portal/tokens"' not in me.get("/portal").text
