"""Browser-side fixtures: accounts with passwords and roles, and browsers (test clients with
cookie jars of their own) that read CSRF tokens off the pages like a person's browser would."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lorebase.auth import accounts
from lorebase.auth.roles import Role
from lorebase.kb import workspaces
from tests.conftest import Project

PASSWORD = "correct horse battery staple"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def csrf_of(html: str) -> str:
    found = CSRF_INPUT.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


@dataclass
class Browser:
    client: TestClient

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, follow_redirects=False, **kw)

    def csrf(self, path: str = "/account/signin") -> str:
        return csrf_of(self.client.get(path).text)

    def post_form(
        self, path: str, data: dict[str, str] | None = None, *, token_from: str = ""
    ) -> Any:
        """POST a form the way the page's own form would, with the page's CSRF token."""
        token = self.csrf(token_from or _form_page(path))
        return self.client.post(
            path, data={"csrf_token": token, **(data or {})}, follow_redirects=False
        )

    def sign_in(self, email: str, password: str = PASSWORD, next: str = "") -> Any:
        return self.post_form(
            "/account/signin", {"email": email, "password": password, "next": next}
        )

    @property
    def session_cookie(self) -> str | None:
        return self.client.cookies.get("lorebase_session")


def _form_page(path: str) -> str:
    if path.startswith("/portal/team"):
        return "/portal/team"
    if path.startswith("/account/link/"):
        return path
    if path == "/account/signin":
        return path
    return "/account"


@dataclass
class Site:
    """The project's browser side: make accounts, open browsers."""

    project: Project
    clients: list[TestClient] = field(default_factory=list)

    def add_account(
        self, email: str, role: Role = Role.EDITOR, password: str | None = PASSWORD
    ) -> str:
        with self.project.session() as session:
            user = workspaces.create_user(
                session,
                self.project.project_id,
                email=email,
                first_name=email.split("@")[0],
                role=int(role),
            )
            if password is not None:
                accounts.store_password(
                    session, user.id, accounts.new_password_hash(user, password), keep_session=None
                )
            return user.id

    def browser(self, **options: Any) -> Browser:
        client = TestClient(self.project.client.app, **options)
        self.clients.append(client)
        return Browser(client)

    def signed_in(self, role: Role = Role.EDITOR, email: str = "") -> Browser:
        email = email or f"{role.slug}@example.com"
        self.add_account(email, role)
        browser = self.browser()
        answer = browser.sign_in(email)
        assert answer.status_code == 303, answer.text
        return browser


@pytest.fixture
def site(project: Project) -> Iterator[Site]:
    built = Site(project)
    yield built
    for client in built.clients:
        client.close()
