"""The account commands as an operator runs them: `lorebase user create/password/signin-link/
disable/enable/list` and `lorebase reader-group`, checked through the browser pages a person
then uses (sign-in form, one-time link, account page).

Commands run in this process through typer's runner (a process costs a second of imports, and
these tests run dozens); those whose output a terminal or a log would keep run as real
processes, with the password on a piped stdin."""

from __future__ import annotations

import os
import re
import subprocess
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool
from typer.testing import CliRunner

from lorebase.app import create_app
from lorebase.cli import app as cli_app
from lorebase.db.models import Base, ProjectVersion, ReaderGroup, ReaderGroupMember, User
from lorebase.settings import Settings
from tests.e2e.test_live_server import LOREBASE

PASSWORD = "correct horse battery staple"
OTHER_PASSWORD = "violet kettle drums at dawn"
WRONG_CREDENTIALS = "The email or the password is not right."
DEAD_LINK = "This sign-in link cannot be used"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
LINK = re.compile(r"https?://\S+/account/link/[A-Za-z0-9_-]+")
SIGN_IN_AGAIN = "/account/signin?next=%2Faccount"


def csrf_of(html: str) -> str:
    found = CSRF_INPUT.search(html)
    assert found, f"the page has no CSRF field:\n{html[:500]}"
    return found.group(1)


class Browser:
    """A browser of its own (cookie jar) on the app, filling in forms as a person would."""

    def __init__(self, app: FastAPI) -> None:
        self.client = TestClient(app)

    def get(self, path: str) -> Any:
        return self.client.get(path, follow_redirects=False)

    def submit(self, form_page: str, action: str, data: dict[str, str] | None = None) -> Any:
        """POST `action` with the CSRF token of the form on `form_page`."""
        page = self.get(form_page)
        assert page.status_code == 200, page.text
        fields = {"csrf_token": csrf_of(page.text), **(data or {})}
        return self.client.post(action, data=fields, follow_redirects=False)

    def sign_in(self, email: str, password: str = PASSWORD) -> Any:
        return self.submit(
            "/account/signin", "/account/signin", {"email": email, "password": password}
        )

    def is_signed_in_as(self, email: str) -> bool:
        answer = self.get("/account")
        if answer.status_code == 303:
            assert answer.headers["location"] == SIGN_IN_AGAIN
            return False
        assert answer.status_code == 200, answer.text
        assert email in answer.text
        return True


@dataclass
class Lorebase:
    """A data folder and database the commands run on; the app is made after the first
    command has set the database up, as `lorebase serve` would find it."""

    settings: Settings
    outputs: list[str] = field(default_factory=list)
    browsers: list[Browser] = field(default_factory=list)
    _app: FastAPI | None = None
    _engine: Engine | None = None

    @property
    def url(self) -> str:
        return self.settings.resolved_database_url()

    def cli(
        self, *args: str, stdin: str = "", process: bool = False
    ) -> subprocess.CompletedProcess[str]:
        """One `lorebase` command, its stdin a pipe (never a terminal), as in a script: in this
        process (typer's runner, fast) or, with `process`, as a process of its own."""
        argv = [*args, "--data-dir", str(self.settings.data_dir)]
        env = {"LOREBASE_DATABASE_URL": self.url}
        if process:
            result = subprocess.run(
                [*LOREBASE, *argv],
                input=stdin,
                capture_output=True,
                text=True,
                timeout=60,
                env={**os.environ, **env},
                check=False,
            )
        else:
            ran = CliRunner().invoke(cli_app, argv, input=stdin, env=env)
            # Ended by an exit code, never by an uncaught exception (a traceback).
            assert ran.exception is None or isinstance(ran.exception, SystemExit), "".join(
                traceback.format_exception(ran.exception)
            )
            result = subprocess.CompletedProcess(argv, ran.exit_code, ran.stdout, ran.stderr)
        self.outputs += [result.stdout, result.stderr]
        return result

    def create(
        self, email: str, *options: str, password: str | None = PASSWORD, process: bool = False
    ) -> str:
        args = ["user", "create", "--email", email, *options]
        if password is not None:
            args.append("--password-stdin")
        stdin = f"{password}\n" if password is not None else ""
        made = self.cli(*args, stdin=stdin, process=process)
        assert made.returncode == 0, made.stderr
        return made.stdout.strip()

    def browser(self) -> Browser:
        if self._app is None:
            self._app = create_app(self.settings)
        opened = Browser(self._app)
        self.browsers.append(opened)
        return opened

    def signed_in(self, email: str, password: str = PASSWORD) -> Browser:
        opened = self.browser()
        answer = opened.sign_in(email, password)
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == "/account"
        assert opened.is_signed_in_as(email)
        return opened

    def db(self) -> Session:
        if self._engine is None:
            self._engine = create_engine(self.url, poolclass=NullPool)
        return Session(self._engine)

    def user(self, email: str) -> User | None:
        with self.db() as session:
            return session.scalars(select(User).where(User.email == email)).first()

    def close(self) -> None:
        for opened in self.browsers:
            opened.client.close()
        if self._app is not None:
            self._app.state.engine.dispose()
        if self._engine is not None:
            self._engine.dispose()


@pytest.fixture
def lb(settings: Settings) -> Iterator[Lorebase]:
    made = Lorebase(settings)
    yield made
    made.close()


def test_user_created_with_a_password_from_stdin_signs_in_with_it(lb: Lorebase) -> None:
    made = lb.cli(
        "user",
        "create",
        "--email",
        "ann@example.com",
        "--first-name",
        "Ann",
        "--password-stdin",
        stdin=f"{PASSWORD}\nthe second line is not read\n",
        process=True,
    )
    assert made.returncode == 0, made.stderr
    lines = made.stdout.splitlines()
    assert len(lines) == 1 and lb.user("ann@example.com").id == lines[0]  # type: ignore[union-attr]

    browser = lb.browser()
    signed_in = browser.sign_in("ann@example.com")
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/account"
    assert browser.is_signed_in_as("ann@example.com")
    # The email is matched without regard to case; the password exactly.
    assert lb.browser().sign_in("ANN@Example.com").status_code == 303
    refused = lb.browser().sign_in("ann@example.com", PASSWORD.upper())
    assert refused.status_code == 400 and WRONG_CREDENTIALS in refused.text


def test_a_weak_password_is_refused_with_the_reason_and_makes_no_account(lb: Lorebase) -> None:
    for password, reason in (
        ("password12345", "too easy to guess"),
        ("short words", "at least 12 characters"),
        ("", "at least 12 characters"),
    ):
        made = lb.cli(
            "user", "create", "--email", "weak@example.com", "--password-stdin", stdin=password
        )
        assert made.returncode == 2, (password, made.stdout, made.stderr)
        assert reason in made.stderr, made.stderr
        assert made.stdout == ""
        assert lb.user("weak@example.com") is None
    # Nothing was half-made: the same email can be used once the password is good.
    lb.create("weak@example.com")
    assert lb.browser().sign_in("weak@example.com").status_code == 303


def test_an_email_that_differs_only_in_case_is_the_same_account(lb: Lorebase) -> None:
    """Sign-in and every `lorebase user … EMAIL` command find accounts without regard to
    case: two accounts whose emails differ only in case could not be told apart."""
    lb.create("bob@example.com")
    again = lb.cli("user", "create", "--email", "Bob@Example.com")
    assert again.returncode == 2 and "already exists" in again.stderr, again.stdout


def test_user_password_sets_the_password_and_ends_every_session(lb: Lorebase) -> None:
    lb.create("cleo@example.com")
    laptop, phone = lb.signed_in("cleo@example.com"), lb.signed_in("cleo@example.com")

    weak = lb.cli("user", "password", "cleo@example.com", stdin="password12345\n")
    assert weak.returncode == 2 and "too easy to guess" in weak.stderr
    # A refused password changes nothing: the sessions and the old password still work.
    assert laptop.is_signed_in_as("cleo@example.com")

    changed = lb.cli("user", "password", "cleo@example.com", stdin=f"{OTHER_PASSWORD}\n")
    assert changed.returncode == 0, changed.stderr
    assert "Password set for cleo@example.com" in changed.stderr and changed.stdout == ""
    assert not laptop.is_signed_in_as("cleo@example.com")
    assert not phone.is_signed_in_as("cleo@example.com")
    old = lb.browser().sign_in("cleo@example.com", PASSWORD)
    assert old.status_code == 400 and WRONG_CREDENTIALS in old.text
    assert lb.signed_in("cleo@example.com", OTHER_PASSWORD)

    unknown = lb.cli("user", "password", "nobody@example.com", stdin=f"{OTHER_PASSWORD}\n")
    assert unknown.returncode == 2
    assert "No team account with the email nobody@example.com" in unknown.stderr


def test_signin_link_signs_in_once(lb: Lorebase) -> None:
    # The first command on the empty database sets it up and shows the owner's link.
    lb.create("dan@example.com", password=None)
    first_start = lb.outputs[1]
    assert "owner@lorebase.local" in first_start
    owner_link = LINK.search(first_start)
    assert owner_link, first_start

    issued = lb.cli("user", "signin-link", "DAN@example.com")
    assert issued.returncode == 0, issued.stderr
    lines = issued.stdout.splitlines()
    assert len(lines) == 1 and LINK.fullmatch(lines[0]), issued.stdout
    path = urlsplit(lines[0]).path

    browser = lb.browser()
    shown = browser.get(path)
    assert shown.status_code == 200
    assert re.search(r"<button[^>]*>\s*Sign in\s*</button>", shown.text), shown.text
    used = browser.submit(path, path)
    assert used.status_code == 303 and used.headers["location"] == "/account?notice=welcome"
    account = browser.get("/account")
    assert "dan@example.com" in account.text and "Choose a password" in account.text

    other = lb.browser()
    assert other.get(path).status_code == 400
    again = other.submit("/account/signin", path)
    assert again.status_code == 400 and DEAD_LINK in again.text
    assert not other.is_signed_in_as("dan@example.com")

    owner = lb.browser()
    owner_path = urlsplit(owner_link.group(0)).path
    assert owner.submit(owner_path, owner_path).status_code == 303
    assert owner.is_signed_in_as("owner@lorebase.local")

    unknown = lb.cli("user", "signin-link", "nobody@example.com")
    assert unknown.returncode == 2 and unknown.stdout == ""
    assert "No team account with the email nobody@example.com" in unknown.stderr


def test_disable_ends_sessions_and_signing_in_fails_like_a_wrong_password(lb: Lorebase) -> None:
    lb.create("eve@example.com")
    browser = lb.signed_in("eve@example.com")
    link = lb.cli("user", "signin-link", "eve@example.com").stdout.strip()

    disabled = lb.cli("user", "disable", "eve@example.com")
    assert disabled.returncode == 0, disabled.stderr
    assert "eve@example.com is disabled" in disabled.stderr
    assert not browser.is_signed_in_as("eve@example.com")

    # The right password of a disabled account and a wrong one get the very same page.
    stranger = lb.browser()
    right = stranger.sign_in("eve@example.com", PASSWORD)
    wrong = stranger.sign_in("eve@example.com", OTHER_PASSWORD)
    assert right.status_code == wrong.status_code == 400
    assert WRONG_CREDENTIALS in right.text and right.text == wrong.text
    assert PASSWORD not in right.text
    # A link issued before the account was disabled does not sign it in, nor can a new one
    # be issued.
    path = urlsplit(link).path
    assert stranger.submit("/account/signin", path).status_code == 400
    refused = lb.cli("user", "signin-link", "eve@example.com")
    assert refused.returncode == 2 and "disabled" in refused.stderr and refused.stdout == ""

    enabled = lb.cli("user", "enable", "eve@example.com")
    assert enabled.returncode == 0, enabled.stderr
    assert "eve@example.com is enabled" in enabled.stderr
    assert lb.signed_in("eve@example.com")

    # The operator cannot lock the project out: its only owner stays enabled.
    last_owner = lb.cli("user", "disable", "owner@lorebase.local")
    assert last_owner.returncode == 2 and "at least one owner" in last_owner.stderr
    unknown = lb.cli("user", "enable", "nobody@example.com")
    assert unknown.returncode == 2 and "nobody@example.com" in unknown.stderr


def test_role_is_given_by_name_or_number_and_an_unknown_one_is_refused(lb: Lorebase) -> None:
    for email, role, number in (
        ("admin@example.com", "admin", 1),
        ("reader@example.com", "4", 4),
        ("writer@example.com", "Draft writer", 3),
    ):
        lb.create(email, "--role", role, password=None)
        assert lb.user(email).role == number, role  # type: ignore[union-attr]
    for role in ("wizard", "9"):
        refused = lb.cli("user", "create", "--email", "wiz@example.com", "--role", role)
        assert refused.returncode == 2 and refused.stdout == ""
        assert f"Unknown role '{role}'" in refused.stderr, refused.stderr
        for name in ("owner", "admin", "editor", "draft-writer", "reader"):
            assert name in refused.stderr
        assert lb.user("wiz@example.com") is None


def test_user_list_shows_how_each_account_signs_in(lb: Lorebase) -> None:
    """A script reads the listing through a pipe: every id and email whole, one row each."""
    ids = {
        "pat.with.password@example.com": lb.create("pat.with.password@example.com"),
        "lin.with.link@example.com": lb.create("lin.with.link@example.com", password=None),
        "dis.abled@example.com": lb.create("dis.abled@example.com"),
    }
    assert lb.cli("user", "disable", "dis.abled@example.com").returncode == 0
    listed = lb.cli("user", "list")
    assert listed.returncode == 0, listed.stderr
    assert "sign-in" in listed.stdout
    rows = {
        email: next((line for line in listed.stdout.splitlines() if email in line), "")
        for email in [*ids, "owner@lorebase.local"]
    }
    assert all(rows.values()), f"emails cut short:\n{listed.stdout}"
    for email, user_id in ids.items():
        assert user_id in rows[email], f"id cut short:\n{listed.stdout}"
    assert "password" in rows["pat.with.password@example.com"]
    assert "link/SSO" in rows["lin.with.link@example.com"]
    assert "disabled" in rows["dis.abled@example.com"]
    assert "link/SSO" in rows["owner@lorebase.local"]


def test_reader_group_commands_name_what_they_do_not_know(lb: Lorebase) -> None:
    lb.create("rita@example.com", "--role", "reader", password=None)
    with lb.db() as session:
        workspace = session.scalars(select(ProjectVersion.id)).one()

    unknown_workspace = lb.cli("reader-group", "create", "Partners", "--workspace", "nope")
    assert unknown_workspace.returncode == 2 and unknown_workspace.stdout == ""
    assert "No workspace with id nope" in unknown_workspace.stderr
    with lb.db() as session:
        assert session.scalars(select(ReaderGroup)).all() == []

    created = lb.cli("reader-group", "create", "Partners", "--workspace", workspace)
    assert created.returncode == 0, created.stderr
    group_id = created.stdout.strip()

    unknown_email = lb.cli("reader-group", "add", "Partners", "nobody@example.com")
    assert unknown_email.returncode == 2
    assert "No team account with the email nobody@example.com" in unknown_email.stderr
    unknown_group = lb.cli("reader-group", "add", "Nobody", "rita@example.com")
    assert (
        unknown_group.returncode == 2 and "No reader group named 'Nobody'" in unknown_group.stderr
    )

    added = lb.cli("reader-group", "add", "Partners", "rita@example.com")
    assert added.returncode == 0, added.stderr
    with lb.db() as session:
        members = session.execute(select(ReaderGroupMember.group_id, User.email).join(User)).all()
    assert [tuple(row) for row in members] == [(group_id, "rita@example.com")]


def test_the_password_is_never_shown_nor_stored_in_clear(lb: Lorebase) -> None:
    # Real processes: what a terminal or a log would show of them.
    lb.create("gil@example.com", process=True)
    changed = lb.cli("user", "password", "gil@example.com", stdin=OTHER_PASSWORD, process=True)
    assert changed.returncode == 0, changed.stderr
    assert lb.signed_in("gil@example.com", OTHER_PASSWORD)
    assert lb.browser().sign_in("gil@example.com", PASSWORD).status_code == 400
    assert lb.cli("user", "list", process=True).returncode == 0

    for password in (PASSWORD, OTHER_PASSWORD):
        for output in lb.outputs:
            assert password not in output
    with lb.db() as session:
        stored = session.scalars(select(User.password_hash).where(User.email == "gil@example.com"))
        assert stored.one().startswith("$argon2id$")  # type: ignore[union-attr]
        if lb.url.startswith("postgresql"):
            # Every row of every table, as PostgreSQL writes it out.
            rows = [
                str(value)
                for table in Base.metadata.sorted_tables
                for value in session.scalars(text(f'SELECT t::text FROM "{table.name}" t'))
            ]
            stored_text = "\n".join(rows).encode()
        else:
            path = Path(lb.url.removeprefix("sqlite:///"))
            # The app still holds connections: the latest writes may sit in the WAL.
            files = [path, Path(f"{path}-wal"), Path(f"{path}-journal")]
            stored_text = b"".join(f.read_bytes() for f in files if f.exists())
    assert b"gil@example.com" in stored_text  # the right bytes were read
    for password in (PASSWORD, OTHER_PASSWORD):
        assert password.encode() not in stored_text
        assert password.encode("utf-16-le") not in stored_text
