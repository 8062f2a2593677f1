"""Adding a team member from the portal's team page: a one-time sign-in link shown once."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from lorebase.auth import accounts
from lorebase.auth.roles import Role
from tests.conftest import Project
from tests.web.conftest import Site


def test_an_administrator_adds_a_member_who_signs_in_through_the_link(
    site: Site, project: Project
) -> None:
    admin = site.signed_in(Role.ADMIN)
    answer = admin.post_form(
        "/portal/team", {"email": "kim@example.com", "name": "Kim Lee", "role": "draft-writer"}
    )
    assert answer.status_code == 200, answer.text
    assert "The account is added." in answer.text
    link = re.search(r'<code class="secret">([^<]+)</code>', answer.text)
    assert link, answer.text
    with project.session() as session:
        kim = accounts.find_account(session, project.project_id, "kim@example.com")
        assert kim is not None
        assert (kim.first_name, kim.last_name, kim.role) == ("Kim", "Lee", Role.DRAFT_WRITER)
    newcomer = site.browser()
    opened = newcomer.get(urlsplit(link.group(1)).path)
    assert opened.status_code == 200, opened.text

    again = admin.post_form("/portal/team", {"email": "KIM@example.com", "role": "editor"})
    assert again.status_code == 400 and "already exists" in again.text
    bad = admin.post_form("/portal/team", {"email": "not an address", "role": "editor"})
    assert bad.status_code == 400 and "email address" in bad.text
    owner = admin.post_form("/portal/team", {"email": "o@example.com", "role": "owner"})
    assert owner.status_code == 400 and "Only an owner" in owner.text
    odd = admin.post_form("/portal/team", {"email": "x@example.com", "role": "king"})
    assert odd.status_code == 400 and "Unknown role" in odd.text


def test_an_editor_cannot_add_members(site: Site) -> None:
    editor = site.signed_in(Role.EDITOR)
    token = editor.csrf("/account")
    answer = editor.client.post(
        "/portal/team",
        data={"csrf_token": token, "email": "x@example.com"},
        follow_redirects=False,
    )
    assert answer.status_code == 403


def test_no_sign_in_link_for_oneself_an_owner_a_disabled_or_an_unknown_account(
    site: Site,
) -> None:
    admin = site.signed_in(Role.ADMIN, "admin@example.com")
    me_id = next(
        p["user_id"]
        for p in site.project.get("/v2/Teams").json()["result"]
        if p["email_id"] == "admin@example.com"
    )
    own = admin.post_form(f"/portal/team/{me_id}/signin-link")
    assert own.status_code == 400 and "your account page" in own.text
    owner = admin.post_form(f"/portal/team/{site.project.owner_id}/signin-link")
    assert owner.status_code == 400 and "Only an owner" in owner.text
    editor = site.add_account("ed@example.com", Role.EDITOR)
    assert admin.post_form(f"/portal/team/{editor}/disable").status_code == 303
    disabled = admin.post_form(f"/portal/team/{editor}/signin-link")
    assert disabled.status_code == 400 and "Enable the account first." in disabled.text
    assert "/account/link/" not in disabled.text
    assert admin.post_form(f"/portal/team/{'x' * 80}/signin-link").status_code == 404
