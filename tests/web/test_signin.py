"""Signing in and out in a browser: sessions, cookies, fixation, expiry, redirects, passwords."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from lorebase.auth.passwords import MEMORY_KIB
from lorebase.auth.roles import Role
from lorebase.db.models import BrowserSession, User, utcnow
from tests.web.conftest import PASSWORD, Site, csrf_of


def test_a_person_signs_in_and_sees_their_account(site: Site) -> None:
    site.add_account("ada@example.com", Role.EDITOR)
    browser = site.browser()
    answer = browser.sign_in("ADA@example.com")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/account"
    page = browser.get("/account")
    assert page.status_code == 200
    assert "ada@example.com" in page.text and "Editor" in page.text
    assert "(this browser)" in page.text


def test_an_anonymous_visitor_is_sent_to_sign_in_and_back(site: Site) -> None:
    site.add_account("ada@example.com")
    browser = site.browser()
    answer = browser.get("/account?notice=password")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/account/signin?next=%2Faccount%3Fnotice%3Dpassword"
    form = browser.client.get(answer.headers["location"]).text
    assert 'name="next" value="/account?notice=password"' in form
    signed_in = browser.sign_in("ada@example.com", next="/account?notice=password")
    assert signed_in.headers["location"] == "/account?notice=password"


def test_the_session_cookie_is_httponly_lax_and_secure_over_https(site: Site) -> None:
    site.add_account("ada@example.com")
    plain = site.browser().sign_in("ada@example.com").headers["set-cookie"]
    assert "lorebase_session=" in plain
    assert "HttpOnly" in plain and "SameSite=lax" in plain and "Secure" not in plain
    secure = site.browser(base_url="https://testserver")
    answer = secure.sign_in("ada@example.com")
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie


def test_signing_in_issues_a_new_session_id_whatever_the_browser_had(site: Site) -> None:
    """Session fixation: an id planted in the browser is never adopted, and a browser that
    signs in again gets a new id while the old one stops working."""
    site.add_account("ada@example.com")
    site.add_account("eve@example.com")
    browser = site.browser()
    browser.client.cookies.set(
        "lorebase_session", "planted-by-an-attacker-0123456789", domain="testserver.local"
    )
    browser.sign_in("ada@example.com")
    first = browser.session_cookie
    assert first and first != "planted-by-an-attacker-0123456789"
    browser.sign_in("eve@example.com")
    second = browser.session_cookie
    assert second and second != first
    stale = site.browser()
    stale.client.cookies.set("lorebase_session", first, domain="testserver.local")
    assert stale.get("/account").status_code == 303
    assert "eve@example.com" in browser.get("/account").text


def test_only_a_hash_of_the_session_id_is_stored(site: Site) -> None:
    site.add_account("ada@example.com")
    browser = site.browser()
    browser.sign_in("ada@example.com")
    with site.project.session() as session:
        stored = session.scalars(select(BrowserSession.id_hash)).all()
    assert stored and browser.session_cookie not in stored


def test_signing_out_ends_the_session_on_the_server(site: Site) -> None:
    site.add_account("ada@example.com")
    browser = site.browser()
    browser.sign_in("ada@example.com")
    cookie = browser.session_cookie
    answer = browser.post_form("/account/signout")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/account/signin?notice=signed-out"
    replay = site.browser()
    replay.client.cookies.set("lorebase_session", cookie, domain="testserver.local")
    assert replay.get("/account").status_code == 303


def test_sign_out_everywhere_ends_every_session_of_the_account(site: Site) -> None:
    site.add_account("ada@example.com")
    site.add_account("bob@example.com")
    laptop, phone, other = site.browser(), site.browser(), site.browser()
    laptop.sign_in("ada@example.com")
    phone.sign_in("ada@example.com")
    other.sign_in("bob@example.com")
    assert laptop.post_form("/account/sessions/end-all").status_code == 303
    assert laptop.get("/account").status_code == 303
    assert phone.get("/account").status_code == 303
    assert other.get("/account").status_code == 200


@pytest.mark.parametrize("moment", ["idle", "absolute"])
def test_expired_sessions_are_refused(site: Site, moment: str) -> None:
    site.add_account("ada@example.com")
    browser = site.browser()
    browser.sign_in("ada@example.com")
    assert browser.get("/account").status_code == 200
    settings = site.project.settings
    past = utcnow() - timedelta(seconds=1)
    values = (
        {"last_seen_at": past - timedelta(minutes=settings.session_idle_minutes)}
        if moment == "idle"
        else {"expires_at": past}
    )
    with site.project.session() as session:
        session.execute(update(BrowserSession).values(**values))
    answer = browser.get("/account")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/account/signin")


def test_a_disabled_account_is_signed_out_at_its_next_request(site: Site) -> None:
    site.add_account("ada@example.com")
    browser = site.browser()
    browser.sign_in("ada@example.com")
    with site.project.session() as session:
        session.execute(
            update(User).where(User.email == "ada@example.com").values(disabled_at=utcnow())
        )
    assert browser.get("/account").status_code == 303
    assert browser.sign_in("ada@example.com").status_code == 400


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "/%0d%0aSet-Cookie:x=y",
        "javascript:alert(1)",
        "http:/evil.example",
        "/\tevil",
        "evil.example",
        "",
    ],
)
def test_next_never_leaves_the_site(site: Site, target: str) -> None:
    site.add_account("ada@example.com")
    answer = site.browser().sign_in("ada@example.com", next=target)
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\"))
    assert "\r" not in location and "\n" not in location
    if target in ("", "https://evil.example/", "//evil.example/"):
        assert location == "/account"


def test_an_unknown_email_and_a_wrong_password_get_the_same_answer(site: Site) -> None:
    site.add_account("ada@example.com")
    browser = site.browser()
    wrong = browser.sign_in("ada@example.com", "not the password at all")
    unknown = browser.sign_in("nobody@example.com", "not the password at all")
    assert wrong.status_code == unknown.status_code == 400
    strip = lambda page: page.replace("ada@example.com", "X").replace("nobody@example.com", "X")  # noqa: E731
    assert strip(wrong.text).replace(csrf_of(wrong.text), "") == strip(unknown.text).replace(
        csrf_of(unknown.text), ""
    )
    assert "The email or the password is not right." in wrong.text
    no_password = site.add_account("link-only@example.com", password=None)
    assert no_password
    assert browser.sign_in("link-only@example.com", "anything at all 1234").status_code == 400


def test_changing_the_password_needs_the_current_one_and_ends_other_sessions(site: Site) -> None:
    site.add_account("ada@example.com")
    laptop, phone = site.browser(), site.browser()
    laptop.sign_in("ada@example.com")
    phone.sign_in("ada@example.com")
    new = "a much better passphrase for ada"
    refused = laptop.post_form(
        "/account/password",
        {"current_password": "wrong wrong wrong", "new_password": new, "confirm_password": new},
    )
    assert refused.status_code == 400 and "The current password is not right." in refused.text
    weak = laptop.post_form(
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": "password12345",
            "confirm_password": "password12345",
        },
    )
    assert weak.status_code == 400 and "too easy to guess" in weak.text
    short = laptop.post_form(
        "/account/password",
        {"current_password": PASSWORD, "new_password": "short", "confirm_password": "short"},
    )
    assert short.status_code == 400 and "at least 12 characters" in short.text
    done = laptop.post_form(
        "/account/password",
        {"current_password": PASSWORD, "new_password": new, "confirm_password": new},
    )
    assert done.status_code == 303 and done.headers["location"] == "/account?notice=password"
    assert laptop.get("/account").status_code == 200
    assert phone.get("/account").status_code == 303
    assert site.browser().sign_in("ada@example.com", PASSWORD).status_code == 400
    assert site.browser().sign_in("ada@example.com", new).status_code == 303


def test_a_hash_made_with_older_parameters_is_upgraded_at_sign_in(site: Site) -> None:
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    old = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8192, parallelism=1),)).hash(PASSWORD)
    site.add_account("ada@example.com", password=None)
    with site.project.session() as session:
        session.execute(
            update(User).where(User.email == "ada@example.com").values(password_hash=old)
        )
    assert site.browser().sign_in("ada@example.com").status_code == 303
    with site.project.session() as session:
        stored = session.scalar(select(User.password_hash).where(User.email == "ada@example.com"))
    assert stored != old and f"m={MEMORY_KIB}" in stored and stored.startswith("$argon2id$")


def test_a_one_time_link_signs_in_once_and_lets_the_person_choose_a_password(site: Site) -> None:
    from lorebase.auth import accounts

    user_id = site.add_account("new@example.com", password=None)
    with site.project.session() as session:
        raw = accounts.issue_sign_in_link(session, session.get(User, user_id))
    browser = site.browser()
    assert "Sign in" in browser.get(f"/account/link/{raw}").text
    answer = browser.post_form(f"/account/link/{raw}")
    assert answer.status_code == 303 and answer.headers["location"] == "/account?notice=welcome"
    page = browser.get("/account").text
    assert "Choose a password" in page and "current_password" not in page
    chosen = "my own fresh passphrase here"
    done = browser.post_form(
        "/account/password", {"new_password": chosen, "confirm_password": chosen}
    )
    assert done.status_code == 303
    assert site.browser().sign_in("new@example.com", chosen).status_code == 303
    again = site.browser()
    assert again.get(f"/account/link/{raw}").status_code == 400
    assert again.post_form(f"/account/link/{raw}", token_from="/account/signin").status_code == 400
    assert again.get("/account/link/" + "x" * 500).status_code == 400


def test_passwords_never_reach_the_database_or_the_pages(site: Site) -> None:
    site.add_account("ada@example.com")
    browser = site.browser()
    browser.sign_in("ada@example.com", "typo in the passphrase here")
    browser.sign_in("ada@example.com")
    page = browser.get("/account").text
    assert PASSWORD not in page
    with site.project.session() as session:
        rows = session.execute(select(User.password_hash, User.email)).all()
    assert all(PASSWORD not in str(row) for row in rows)
    url = site.project.settings.resolved_database_url()
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        import pathlib

        for name in (path, path + "-wal"):
            file = pathlib.Path(name)
            if file.exists():
                data = file.read_bytes()
                assert PASSWORD.encode() not in data
                assert b"typo in the passphrase here" not in data


def test_the_api_lists_accounts_without_their_secrets(site: Site) -> None:
    site.add_account("ada@example.com", Role.DRAFT_WRITER)
    body = site.project.get("/v2/Teams").json()
    assert "ada@example.com" in str(body["result"])
    user_id = next(p["user_id"] for p in body["result"] if "ada@example.com" in str(p))
    member = site.project.get(f"/v2/Teams/{user_id}").json()
    assert member["result"]["portal_role"]["role_name"] == "Draft writer"
    text = str(body) + str(member)
    assert "argon2" not in text and "password" not in text.lower()


def test_sessions_are_still_checked_after_the_database_dropped_every_connection(
    site: Site,
) -> None:
    """PostgreSQL restarted (or a proxy cut idle connections): the session lookups' pool has
    no pre-ping, so a dead connection fails once and is replaced."""
    if not site.project.settings.resolved_database_url().startswith("postgresql"):
        pytest.skip("SQLite has no connections to drop")
    from sqlalchemy import text

    site.add_account("ada@example.com")
    browser = site.browser()
    browser.sign_in("ada@example.com")
    assert browser.get("/account").status_code == 200
    with site.project.session() as session:
        session.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    assert browser.get("/account").status_code == 200
    assert "ada@example.com" in browser.get("/account").text
