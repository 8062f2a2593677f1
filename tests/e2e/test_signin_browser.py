"""Browser sign-in in real Chromium against a real `lorebase serve`: the sign-in form, the
session cookie, signing out (here and everywhere), the owner's first-start link, keyboard use,
and axe-core on every account page in light and dark colours and at phone width.

One server (SQLite, its own data folder) serves the whole module; every test opens browser
contexts of its own, and the accounts each test signs in with are its own where a test ends
sessions, so the tests do not depend on their order.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from lorebase.auth import accounts
from lorebase.auth.roles import Role
from lorebase.db.engine import make_engine, make_session_factory, transaction
from lorebase.kb import workspaces
from tests.e2e.axe import axe_violations, describe
from tests.e2e.test_live_server import LOREBASE, free_port

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "violet lantern orbits the quiet harbour"
OWNER_EMAIL = "owner@lorebase.local"
ADMIN_EMAIL = "ada.admin@example.com"
EDITOR_EMAIL = "eddie.editor@example.com"  # signs out everywhere: nobody else uses it
TYPIST_EMAIL = "kim.keyboard@example.com"
WRONG_CREDENTIALS = "The email or the password is not right."
# Playwright waits this long (ms) for an element or a navigation: a page of this server
# answers in milliseconds, and a failure must not cost 30 s.
WAIT_MS = 10_000
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@dataclass
class LiveSite:
    base: str
    # The owner's one-time link, as `lorebase serve` printed it on its first start.
    owner_link: str

    def url(self, path: str) -> str:
        return self.base + path


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _add_account(database_url: str, email: str, role: Role) -> None:
    """An account with a password, written straight to the database (as `user create` does)."""
    engine = make_engine(database_url, pooled=False)
    try:
        with transaction(make_session_factory(engine)) as session:
            project = workspaces.find_project(session, None)
            user = workspaces.create_user(
                session, project.id, email=email, first_name=email.split("@")[0], role=int(role)
            )
            hashed = accounts.new_password_hash(user, PASSWORD)
            accounts.store_password(session, user.id, hashed, keep_session=None)
    finally:
        engine.dispose()


def _create_accounts(site_env: dict[str, str], folder: Path) -> None:
    """The administrator through `lorebase user create --password-stdin`, as an operator makes
    one; meanwhile the editor and the reader directly (a CLI process costs seconds)."""
    command = ["user", "create", "--email", ADMIN_EMAIL, "--role", "admin", "--password-stdin"]
    with (
        open(folder / "user-create.out", "w+") as out,
        open(folder / "user-create.err", "w+") as err,
    ):
        created = subprocess.Popen(
            [*LOREBASE, *command], stdin=subprocess.PIPE, stdout=out, stderr=err, env=site_env
        )
        assert created.stdin is not None
        created.stdin.write((PASSWORD + "\n").encode())
        created.stdin.close()
        _add_account(site_env["LOREBASE_DATABASE_URL"], EDITOR_EMAIL, Role.EDITOR)
        _add_account(site_env["LOREBASE_DATABASE_URL"], TYPIST_EMAIL, Role.READER)
        code = created.wait(timeout=60)
        out.seek(0)
        err.seek(0)
        printed, complaints = out.read(), err.read()
    assert code == 0, f"lorebase user create failed:\n{printed}{complaints}"
    assert re.fullmatch(r"\S+\n", printed), printed  # the new account's id, only


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    """`lorebase serve` started on an empty SQLite database (its first start: it prints the
    owner's one-time link), with an administrator (made by `lorebase user create
    --password-stdin`), an editor and a reader, all with the password PASSWORD."""
    folder = tmp_path_factory.mktemp("signin-browser")
    data_dir = folder / "data"
    data_dir.mkdir()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    database_url = f"sqlite:///{data_dir / 'lorebase.sqlite3'}"
    env = {
        **os.environ,
        "LOREBASE_DATABASE_URL": database_url,
        "LOREBASE_DATA_DIR": str(data_dir),
        "LOREBASE_PUBLIC_BASE_URL": base,
        "LOREBASE_WORKERS": "0",
    }
    for key in ("LOREBASE_OIDC_ISSUER", "LOREBASE_OIDC_CLIENT_ID", "LOREBASE_REDIS_URL"):
        env.pop(key, None)
    log_path = folder / "serve.log"
    # Output goes to files, never to unread pipes that could fill and stall the server.
    with open(log_path, "wb") as log, open(folder / "serve.out", "wb") as out:
        process = subprocess.Popen(
            [*LOREBASE, "serve", "--host", "127.0.0.1", "--port", str(port)],
            stdout=out,
            stderr=log,
            env=env,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"lorebase serve died:\n{log_path.read_text()}"
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"no /health in 60 s:\n{log_path.read_text()}"
            time.sleep(0.1)
        # The link is printed on stderr before the server listens: it is in the log by now.
        printed = log_path.read_text()
        assert "open this one-time link to sign in and choose a password" in " ".join(
            printed.split()
        ), printed
        links = re.findall(re.escape(base) + r"/account/link/[A-Za-z0-9_-]+", printed)
        assert len(links) == 1, printed
        _create_accounts(env, folder)
        yield LiveSite(base, links[0])
    finally:
        _stop(process)
    log_text = log_path.read_text(errors="replace")
    assert "Traceback" not in log_text, log_text


def new_context(browser: Browser, **options: Any) -> BrowserContext:
    """A fresh browser (no cookies). CSP is bypassed only so that axe can be injected."""
    context = browser.new_context(**{"bypass_csp": True, "viewport": DESKTOP, **options})
    context.set_default_timeout(WAIT_MS)
    return context


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Fill and send the sign-in form (the page must show it), as a person would."""
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def signed_in(page: Page, site: LiveSite, email: str, password: str = PASSWORD) -> None:
    page.goto(site.url("/account/signin"))
    sign_in(page, email, password)
    expect(page).to_have_url(site.url("/account"))


def expect_sign_in_form(page: Page, site: LiveSite, query: str = "?next=%2Faccount") -> None:
    """The page is the sign-in form, at /account/signin with `query`."""
    expect(page).to_have_url(site.url("/account/signin" + query))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_label("Email")).to_be_visible()
    expect(page.get_by_label("Password")).to_be_visible()


def session_cookie(context: BrowserContext) -> Any:
    found = [c for c in context.cookies() if c["name"] == "lorebase_session"]
    return found[0] if found else None


def fact(page: Page, term: str) -> str:
    """The value shown next to `term` in the account page's facts list."""
    return page.locator(f"dl.facts dt:text-is('{term}') + dd").inner_text()


def test_signing_in_in_a_browser_lands_on_the_account_with_an_httponly_lax_cookie(
    chromium: Browser,
    site: LiveSite,
) -> None:
    context = new_context(chromium)
    page = context.new_page()
    try:
        page.goto(site.url("/account"))
        expect_sign_in_form(page, site)
        expect(page).to_have_title(re.compile(r"^Sign in · "))
        assert session_cookie(context) is None

        sign_in(page, ADMIN_EMAIL)

        expect(page).to_have_url(site.url("/account"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
        assert fact(page, "Email") == ADMIN_EMAIL
        assert fact(page, "Role") == "Administrator"
        this_browser = page.locator("table.sessions tbody tr[aria-current='true']")
        expect(this_browser).to_contain_text("(this browser)")
        expect(this_browser).to_contain_text("password")
        # The header offers the portal (where an administrator finds the team) and signing out.
        header = page.get_by_role("navigation", name="Account")
        expect(header.get_by_role("link", name="Portal")).to_be_visible()
        expect(header.get_by_role("button", name="Sign out", exact=True)).to_be_visible()

        cookie = session_cookie(context)
        assert cookie is not None, context.cookies()
        assert cookie["httpOnly"] is True, cookie
        assert cookie["sameSite"] == "Lax", cookie
        assert cookie["secure"] is False, cookie  # plain http: a Secure cookie would be lost
        assert cookie["path"] == "/", cookie
        assert cookie["domain"] == "127.0.0.1", cookie
        assert len(cookie["value"]) >= 32, cookie
        # Kept across browser restarts, for the session's 14 days.
        assert cookie["expires"] > time.time() + 13.9 * 86400, cookie
        # Scripts in the page cannot read it.
        assert "lorebase_session" not in page.evaluate("document.cookie")
        assert cookie["value"] not in page.evaluate("document.cookie")
    finally:
        context.close()


def test_a_wrong_password_is_refused_and_the_form_keeps_the_email(
    chromium: Browser,
    site: LiveSite,
) -> None:
    context = new_context(chromium)
    page = context.new_page()
    try:
        page.goto(site.url("/account/signin"))
        page.get_by_label("Email").fill(ADMIN_EMAIL)
        page.get_by_label("Password").fill("not the password at all")
        with page.expect_response(
            lambda r: r.url == site.url("/account/signin") and r.request.method == "POST"
        ) as answer:
            page.get_by_role("button", name="Sign in", exact=True).click()
        assert answer.value.status == 400

        expect(page.get_by_role("alert")).to_have_text(WRONG_CREDENTIALS)
        expect(page.get_by_label("Email")).to_have_value(ADMIN_EMAIL)
        expect(page.get_by_label("Password")).to_have_value("")
        # With the email kept, the cursor waits in the password field.
        expect(page.get_by_label("Password")).to_be_focused()
        assert session_cookie(context) is None

        # The corrected password signs in from the same form.
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page).to_have_url(site.url("/account"))
        assert fact(page, "Email") == ADMIN_EMAIL
    finally:
        context.close()


def test_the_header_sign_out_button_ends_the_session(
    chromium: Browser,
    site: LiveSite,
) -> None:
    context = new_context(chromium)
    page = context.new_page()
    try:
        signed_in(page, site, ADMIN_EMAIL)
        assert session_cookie(context) is not None

        page.get_by_role("navigation", name="Account").get_by_role(
            "button", name="Sign out", exact=True
        ).click()

        expect_sign_in_form(page, site, "?notice=signed-out")
        expect(page.get_by_role("status")).to_have_text("You are signed out.")
        expect(page.get_by_role("navigation", name="Account")).to_have_count(0)
        assert session_cookie(context) is None

        page.goto(site.url("/account"))
        expect_sign_in_form(page, site)
    finally:
        context.close()


def test_signing_out_everywhere_ends_the_session_of_another_browser(
    chromium: Browser,
    site: LiveSite,
) -> None:
    laptop = new_context(chromium)
    phone = new_context(chromium, viewport=PHONE)
    try:
        on_laptop = laptop.new_page()
        on_phone = phone.new_page()
        signed_in(on_phone, site, EDITOR_EMAIL)
        signed_in(on_laptop, site, EDITOR_EMAIL)
        # The laptop lists both sessions, its own marked.
        expect(on_laptop.locator("table.sessions tbody tr")).to_have_count(2)
        expect(on_laptop.locator("table.sessions tbody tr[aria-current='true']")).to_have_count(1)
        # An editor has no team page.
        expect(on_laptop.get_by_role("link", name="Team")).to_have_count(0)

        on_laptop.get_by_role("button", name="Sign out everywhere").click()

        expect_sign_in_form(on_laptop, site, "?notice=everywhere")
        expect(on_laptop.get_by_role("status")).to_have_text("You are signed out on every browser.")
        assert session_cookie(laptop) is None
        # The phone still holds its cookie, which no longer opens anything.
        assert session_cookie(phone) is not None
        on_phone.goto(site.url("/account"))
        expect_sign_in_form(on_phone, site)
        expect(on_phone.get_by_role("navigation", name="Account")).to_have_count(0)
    finally:
        laptop.close()
        phone.close()


def test_the_owner_link_printed_on_first_start_signs_in_to_choose_a_password(
    chromium: Browser,
    site: LiveSite,
) -> None:
    context = new_context(chromium)
    page = context.new_page()
    try:
        answer = page.goto(site.owner_link)
        assert answer is not None and answer.status == 200
        expect(page.get_by_role("heading", level=1)).to_have_text("Sign in with a one-time link")
        # Opening the link does not use it (mail scanners open links): the button does.
        page.get_by_role("button", name="Sign in", exact=True).click()

        expect(page).to_have_url(site.url("/account?notice=welcome"))
        expect(page.get_by_role("status")).to_have_text(
            "You are signed in. Choose a password to sign in with next time."
        )
        assert fact(page, "Email") == OWNER_EMAIL
        assert fact(page, "Role") == "Owner"
        expect(page.get_by_role("heading", name="Choose a password")).to_be_visible()
        expect(page.get_by_label("Current password")).to_have_count(0)

        page.get_by_label(re.compile(r"^New password \(")).fill(NEW_PASSWORD)
        page.get_by_label("New password again").fill(NEW_PASSWORD)
        page.get_by_role("button", name="Save password").click()

        expect(page).to_have_url(site.url("/account?notice=password"))
        expect(page.get_by_role("status")).to_contain_text("Your password is saved")
        expect(page.get_by_role("heading", name="Change your password")).to_be_visible()

        page.get_by_role("button", name="Sign out", exact=True).click()
        expect(page.get_by_role("status")).to_have_text("You are signed out.")
        signed_in(page, site, OWNER_EMAIL, NEW_PASSWORD)
        assert fact(page, "Role") == "Owner"
        # Signed in with the password now: changing it again asks for the current one.
        expect(page.get_by_label("Current password")).to_be_visible()

        # The link served once.
        used = page.goto(site.owner_link)
        assert used is not None and used.status == 400
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "This sign-in link cannot be used"
        )
    finally:
        context.close()


def test_the_sign_in_form_works_with_the_keyboard_alone(
    chromium: Browser,
    site: LiveSite,
) -> None:
    context = new_context(chromium)
    page = context.new_page()
    try:
        page.goto(site.url("/account"))
        expect_sign_in_form(page, site)
        # The email field has the focus on arrival.
        expect(page.get_by_label("Email")).to_be_focused()
        page.keyboard.type(TYPIST_EMAIL)
        page.keyboard.press("Tab")
        expect(page.get_by_label("Password")).to_be_focused()
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Tab")
        expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_focused()
        page.keyboard.press("Enter")

        expect(page).to_have_url(site.url("/account"))
        assert fact(page, "Email") == TYPIST_EMAIL
        assert fact(page, "Role") == "Reader"

        # Enter in the password field sends the form too.
        page.get_by_role("button", name="Sign out", exact=True).focus()
        page.keyboard.press("Enter")
        expect(page.get_by_role("status")).to_have_text("You are signed out.")
        expect(page.get_by_label("Email")).to_be_focused()
        page.keyboard.type(TYPIST_EMAIL)
        page.keyboard.press("Tab")
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        expect(page).to_have_url(site.url("/account"))
    finally:
        context.close()


VIEWS = {
    "light": {"color_scheme": "light"},
    "dark": {"color_scheme": "dark"},
    # Contrast does not change with the width, nor the layout with the colours.
    "phone": {"color_scheme": "light", "viewport": PHONE, "is_mobile": True},
}


@pytest.mark.parametrize("view", list(VIEWS))
def test_the_account_pages_have_no_accessibility_violations(
    chromium: Browser,
    site: LiveSite,
    view: str,
) -> None:
    """axe-core's WCAG 2.x A and AA rules, on each page and state a person meets."""
    found: dict[str, list[dict[str, Any]]] = {}
    context = new_context(chromium, **VIEWS[view])
    page = context.new_page()

    # site.css's --bg in this colour scheme: axe must judge the page as people see it.
    dark = VIEWS[view]["color_scheme"] == "dark"
    background = "rgb(15, 20, 25)" if dark else "rgb(255, 255, 255)"

    def check(name: str) -> None:
        page.wait_for_load_state("load")
        shown = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert shown == background, f"{name}: site.css is not applied ({shown})"
        found[name] = axe_violations(page)

    try:
        page.goto(site.url("/account/signin"))
        check("sign-in form")

        # An unknown address per view: the per-account throttle never trips.
        page.get_by_label("Email").fill(f"nobody-{view}@example.com")
        page.get_by_label("Password").fill("not the password at all")
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page.get_by_role("alert")).to_have_text(WRONG_CREDENTIALS)
        check("sign-in form, wrong password")

        # The browser lost its cookies (cleared, expired) while the form was open.
        context.clear_cookies()
        with page.expect_response(
            lambda r: r.url == site.url("/account/signin") and r.request.method == "POST"
        ) as answer:
            sign_in(page, ADMIN_EMAIL)
        assert answer.value.status == 403
        expect(page.get_by_role("heading", level=1)).to_have_text("This form has expired")
        check("This form has expired")

        signed_in(page, site, ADMIN_EMAIL)
        check("account")

        page.get_by_role("link", name="Portal").click()
        page.get_by_role("navigation", name="Portal").get_by_role("link", name="Team").click()
        expect(page).to_have_url(site.url("/portal/team"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Team")
        expect(page.get_by_label(re.compile(r"^Role of "))).to_have_count(3)
        check("team")

        page.get_by_role("button", name=re.compile(r"^Sign-in link for kim")).click()
        expect(page.get_by_role("status")).to_contain_text(
            f"One-time sign-in link for {TYPIST_EMAIL}"
        )
        check("team, with a sign-in link shown")
    finally:
        context.close()

    failing = {name: violations for name, violations in found.items() if violations}
    assert not failing, "\n".join(
        f"{view} / {name}: {describe(violations)}" for name, violations in failing.items()
    )
