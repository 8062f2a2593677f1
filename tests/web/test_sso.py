"""Single sign-on (OpenID Connect) end to end: Lorebase in a TestClient, a real provider on
loopback (tests/web/oidc_provider.py), and the browser's round trip followed by hand:
GET /account/signin/sso -> the provider's /authorize -> the callback -> a session."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from joserfc import jwt
from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from lorebase.app import create_app
from lorebase.auth.roles import Role
from lorebase.db.models import BrowserSession, User, utcnow
from lorebase.kb import workspaces
from lorebase.settings import Settings
from lorebase.web.accounts import _seal
from tests.conftest import Project
from tests.web import oidc_provider
from tests.web.conftest import Browser
from tests.web.oidc_provider import OidcProvider, OidcUser, running_provider

TESTSERVER = "http://testserver"
CALLBACK_PATH = "/account/signin/sso/callback"
CALLBACK = TESTSERVER + CALLBACK_PATH
SESSION = "lorebase_session"
ATTEMPT = "lorebase_sso"
ALICE = OidcUser(sub="alice-123", email="alice@example.test", name="Alice Liddell")


# The provider: one server for the module (each one costs a thread and a port), reset per test.


@pytest.fixture(scope="module")
def shared_provider() -> Iterator[OidcProvider]:
    with running_provider(redirect_uris=[CALLBACK], user=ALICE) as running:
        yield running


@pytest.fixture
def provider(shared_provider: OidcProvider) -> OidcProvider:
    shared_provider.user = replace(ALICE)
    shared_provider.fault = None
    shared_provider.redirect_uris = [CALLBACK]
    shared_provider.requests.clear()
    return shared_provider


# Lorebase with single sign-on, on the `project` fixture's database (bootstrapped there with
# ensure_project, with its admin token). Settings are built anew, not model_copy'd, so that
# their validators run (the issuer's trailing slash, the role's slug, public_base_url).


@dataclass
class SsoSite:
    project: Project
    app: FastAPI
    clients: list[TestClient] = field(default_factory=list)

    def browser(self) -> Browser:
        client = TestClient(self.app, base_url=TESTSERVER)
        self.clients.append(client)
        return Browser(client)


def sso_settings(base: Settings, provider: OidcProvider | None, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": base.data_dir,
        "database_url": base.database_url,
        "workers": 0,
        "public_base_url": TESTSERVER,
    }
    if provider is not None:
        values |= {
            "oidc_issuer": provider.issuer,
            "oidc_client_id": provider.client_id,
            "oidc_client_secret": provider.client_secret,
        }
    return Settings(**(values | overrides))


@pytest.fixture
def make_site(project: Project, provider: OidcProvider) -> Iterator[Callable[..., SsoSite]]:
    built: list[SsoSite] = []

    def make(**overrides: Any) -> SsoSite:
        site = SsoSite(project, create_app(sso_settings(project.settings, provider, **overrides)))
        built.append(site)
        return site

    yield make
    for site in built:
        for client in site.clients:
            client.close()
        site.app.state.engine.dispose()


@pytest.fixture
def sso_site(make_site: Callable[..., SsoSite]) -> SsoSite:
    return make_site()


# The round trip, and what the database holds.


@dataclass
class Flow:
    start: Any
    authorize: httpx.Response
    callback_url: str
    attempt_cookie: str
    response: Any


def leave_for_provider(browser: Browser, next: str | None = None) -> Any:
    query = "?" + urlencode({"next": next}) if next is not None else ""
    return browser.get("/account/signin/sso" + query)


def sign_in_by_sso(browser: Browser, provider: OidcProvider, next: str | None = None) -> Flow:
    start = leave_for_provider(browser, next)
    assert start.status_code == 303, start.text
    location = start.headers["location"]
    assert location.startswith(provider.issuer + "/authorize?")
    attempt_cookie = browser.client.cookies.get(ATTEMPT)
    assert attempt_cookie
    authorize = httpx.get(location, follow_redirects=False, timeout=10)
    assert authorize.status_code == 302, authorize.text
    back = urlsplit(authorize.headers["location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == CALLBACK
    callback_url = f"{back.path}?{back.query}"
    return Flow(start, authorize, callback_url, attempt_cookie, browser.get(callback_url))


def account_row(project: Project, email: str) -> dict[str, Any] | None:
    with project.session() as session:
        user = session.scalars(
            select(User).where(
                User.project_id == project.project_id, func.lower(User.email) == email.lower()
            )
        ).first()
        if user is None:
            return None
        return {
            "id": user.id,
            "email": user.email,
            "role": user.role,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "sso_subject": user.sso_subject,
            "password_hash": user.password_hash,
        }


def account_count(project: Project) -> int:
    with project.session() as session:
        return int(session.scalar(select(func.count()).select_from(User)) or 0)


def session_count(project: Project) -> int:
    with project.session() as session:
        return int(session.scalar(select(func.count()).select_from(BrowserSession)) or 0)


def add_account(project: Project, email: str, role: Role = Role.EDITOR) -> str:
    """An account without a password (no Argon2 to wait for): it signs in by SSO only."""
    with project.session() as session:
        return workspaces.create_user(
            session, project.project_id, email=email, first_name=email.split("@")[0], role=role
        ).id


def assert_signed_in(flow: Flow, target: str = "/account") -> None:
    assert flow.response.status_code == 303, flow.response.text
    assert flow.response.headers["location"] == target
    assert flow.response.cookies.get(SESSION)


def assert_refused(response: Any, *, status: int = 400, says: str = "") -> None:
    """The sign-in page again, with the reason in its problem paragraph, and no session."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert '<p class="problem" role="alert">' in response.text
    assert 'action="/account/signin"' in response.text
    if says:
        assert says in response.text
    assert SESSION not in response.cookies


def account_page(browser: Browser) -> str:
    page = browser.get("/account")
    assert page.status_code == 200, page.headers.get("location")
    return str(page.text)


# 1. Matching an existing account.


def test_leaving_for_the_provider_asks_for_a_code_with_pkce_nonce_and_state(
    sso_site: SsoSite, provider: OidcProvider
) -> None:
    answer = leave_for_provider(sso_site.browser())

    assert answer.status_code == 303
    query = {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["location"]).query).items()}
    assert query["client_id"] == provider.client_id
    assert query["redirect_uri"] == CALLBACK
    assert query["response_type"] == "code"
    assert "openid" in query["scope"].split()
    assert query["code_challenge_method"] == "S256"
    assert query["code_challenge"] and query["state"] and query["nonce"]
    cookie = next(h for h in answer.headers.get_list("set-cookie") if h.startswith(ATTEMPT))
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()


def test_a_verified_email_of_an_existing_account_signs_in_as_that_account(
    sso_site: SsoSite, provider: OidcProvider
) -> None:
    project = sso_site.project
    user_id = add_account(project, "Alice@Example.test", Role.DRAFT_WRITER)
    accounts_before = account_count(project)
    browser = sso_site.browser()

    flow = sign_in_by_sso(browser, provider)

    assert_signed_in(flow)
    page = account_page(browser)
    assert "Alice@Example.test" in page
    assert "Draft writer" in page
    assert "<td>sso</td>" in page
    row = account_row(project, "alice@example.test")
    assert row is not None
    assert row["id"] == user_id
    assert row["role"] == Role.DRAFT_WRITER
    assert row["sso_subject"] == f"{provider.issuer}|{ALICE.sub}"
    assert account_count(project) == accounts_before
    # The attempt is over: its cookie is dropped.
    assert ATTEMPT not in browser.client.cookies


def test_the_remembered_subject_signs_in_even_after_the_email_changes_at_the_provider(
    sso_site: SsoSite, provider: OidcProvider
) -> None:
    project = sso_site.project
    user_id = add_account(project, ALICE.email)
    # Someone else already has the new address: the subject, not the email, decides.
    add_account(project, "alice.new@example.test", Role.ADMIN)
    assert_signed_in(sign_in_by_sso(sso_site.browser(), provider))
    accounts_before = account_count(project)

    provider.user = replace(ALICE, email="alice.new@example.test")
    browser = sso_site.browser()
    assert_signed_in(sign_in_by_sso(browser, provider))

    page = account_page(browser)
    assert ALICE.email in page
    assert "Editor" in page
    assert account_count(project) == accounts_before
    row = account_row(project, ALICE.email)
    assert row is not None and row["id"] == user_id


def test_an_email_linked_to_another_identity_is_refused(
    sso_site: SsoSite, provider: OidcProvider
) -> None:
    project = sso_site.project
    add_account(project, ALICE.email)
    assert_signed_in(sign_in_by_sso(sso_site.browser(), provider))
    sessions_before = session_count(project)

    provider.user = replace(ALICE, sub="mallory-666")
    flow = sign_in_by_sso(sso_site.browser(), provider)

    assert_refused(flow.response, says="linked to another single sign-on identity")
    assert session_count(project) == sessions_before
    row = account_row(project, ALICE.email)
    assert row is not None and row["sso_subject"] == f"{provider.issuer}|{ALICE.sub}"


def test_signing_in_again_ends_the_browsers_previous_session(
    sso_site: SsoSite, provider: OidcProvider
) -> None:
    add_account(sso_site.project, ALICE.email)
    browser = sso_site.browser()
    first = sign_in_by_sso(browser, provider).response.cookies[SESSION]

    second = sign_in_by_sso(browser, provider).response.cookies[SESSION]

    assert first != second
    stale = TestClient(sso_site.app, base_url=TESTSERVER, cookies={SESSION: first})
    sso_site.clients.append(stale)
    assert stale.get("/account", follow_redirects=False).status_code == 303
    assert "<td>sso</td>" in account_page(browser)


# 2. Accounts made on first sign-in.


def test_an_unknown_verified_email_gets_a_reader_account_listed_by_the_api(
    sso_site: SsoSite, provider: OidcProvider
) -> None:
    project = sso_site.project
    browser = sso_site.browser()

    assert_signed_in(sign_in_by_sso(browser, provider))

    page = account_page(browser)
    assert ALICE.email in page
    assert "Alice Liddell" in page
    assert "Reader" in page
    row = account_row(project, ALICE.email)
    assert row is not None
    assert row["role"] == Role.READER
    assert (row["first_name"], row["last_name"]) == ("Alice", "Liddell")
    assert row["password_hash"] is None
    assert row["sso_subject"] == f"{provider.issuer}|{ALICE.sub}"
    teams = project.get("/v2/Teams", params={"take": 100})
    assert teams.status_code == 200, teams.text
    listed = {person["email_id"]: person for person in teams.json()["result"]}
    assert listed[ALICE.email]["portal_role"] == "Reader"
    assert listed[ALICE.email]["user_id"] == row["id"]
    assert listed[ALICE.email]["last_login_at"] is not None


def test_new_accounts_get_the_configured_default_role(
    make_site: Callable[..., SsoSite], provider: OidcProvider
) -> None:
    # The title form is accepted and read as the role's slug.
    site = make_site(oidc_default_role="Editor")
    browser = site.browser()

    assert_signed_in(sign_in_by_sso(browser, provider))

    assert "Editor" in account_page(browser)
    row = account_row(site.project, ALICE.email)
    assert row is not None and row["role"] == Role.EDITOR
    teams = site.project.get("/v2/Teams", params={"take": 100}).json()["result"]
    assert {p["email_id"]: p["portal_role"] for p in teams}[ALICE.email] == "Editor"


# 3. No accounts made when that is switched off.


def test_an_unknown_email_is_refused_when_accounts_are_not_created(
    make_site: Callable[..., SsoSite], provider: OidcProvider
) -> None:
    site = make_site(oidc_create_accounts=False)
    accounts_before = account_count(site.project)
    browser = site.browser()

    flow = sign_in_by_sso(browser, provider)

    assert_refused(flow.response, says="ask an administrator to add you")
    assert ALICE.email in flow.response.text
    assert browser.session_cookie is None
    assert account_count(site.project) == accounts_before
    assert account_row(site.project, ALICE.email) is None
    assert session_count(site.project) == 0


def test_a_known_email_still_signs_in_when_accounts_are_not_created(
    make_site: Callable[..., SsoSite], provider: OidcProvider
) -> None:
    site = make_site(oidc_create_accounts=False)
    add_account(site.project, ALICE.email)

    assert_signed_in(sign_in_by_sso(site.browser(), provider))


# 4. What the provider says that must not sign anyone in.

FAULT_MESSAGES = {
    "bad_signature": "ID token was not valid",
    "wrong_audience": "ID token was not valid",
    "wrong_issuer": "ID token was not valid",
    "wrong_nonce": "ID token was not valid",
    "expired": "ID token was not valid",
    "no_email": "did not share an email address",
    "token_error": "answer could not be used",
}


@pytest.mark.parametrize("fault", sorted(FAULT_MESSAGES))
def test_a_faulty_provider_answer_signs_no_one_in(
    sso_site: SsoSite, provider: OidcProvider, fault: str
) -> None:
    project = sso_site.project
    add_account(project, ALICE.email)
    provider.fault = fault
    browser = sso_site.browser()

    flow = sign_in_by_sso(browser, provider)

    assert_refused(flow.response, says=FAULT_MESSAGES[fault])
    assert browser.session_cookie is None
    assert session_count(project) == 0
    row = account_row(project, ALICE.email)
    assert row is not None and row["sso_subject"] is None
    assert browser.get("/account").status_code == 303


def test_an_unverified_email_signs_no_one_in(sso_site: SsoSite, provider: OidcProvider) -> None:
    add_account(sso_site.project, ALICE.email)
    provider.user = replace(ALICE, email_verified=False)
    browser = sso_site.browser()

    flow = sign_in_by_sso(browser, provider)

    assert_refused(flow.response, says="has not verified this email address")
    assert browser.session_cookie is None
    assert session_count(sso_site.project) == 0


def test_an_unverified_unknown_email_creates_no_account(
    sso_site: SsoSite, provider: OidcProvider
) -> None:
    provider.user = replace(ALICE, email_verified=False)

    assert_refused(sign_in_by_sso(sso_site.browser(), provider).response)

    assert account_row(sso_site.project, ALICE.email) is None


def test_a_refusal_at_the_provider_signs_no_one_in(
    sso_site: SsoSite, provider: OidcProvider
) -> None:
    provider.user = None
    browser = sso_site.browser()

    flow = sign_in_by_sso(browser, provider)

    assert "error=access_denied" in flow.callback_url
    assert_refused(flow.response, says="The sign-in provider refused: access_denied.")
    assert browser.session_cookie is None
    assert account_count(sso_site.project) == 1  # the owner only


# 5. Forged, missing and replayed attempts.


def test_a_callback_with_another_state_is_refused(
    sso_site: SsoSite, provider: OidcProvider
) -> None:
    add_account(sso_site.project, ALICE.email)
    browser = sso_site.browser()
    start = leave_for_provider(browser)
    authorize = httpx.get(start.headers["location"], follow_redirects=False, timeout=10)
    back = urlsplit(authorize.headers["location"])
    params = {k: v[0] for k, v in parse_qs(back.query).items()}
    params["state"] = "forged-" + params["state"]

    answer = browser.get(f"{back.path}?{urlencode(params)}")

    assert_refused(answer, says="did not start here")
    assert browser.session_cookie is None
    assert session_count(sso_site.project) == 0


def test_a_callback_in_a_browser_that_did_not_start_the_attempt_is_refused(
    sso_site: SsoSite, provider: OidcProvider
) -> None:
    # Login CSRF: the attacker's code and state, pushed to a victim's browser.
    add_account(sso_site.project, ALICE.email)
    attacker = sso_site.browser()
    start = leave_for_provider(attacker)
    authorize = httpx.get(start.headers["location"], follow_redirects=False, timeout=10)
    back = urlsplit(authorize.headers["location"])
    victim = sso_site.browser()

    answer = victim.get(f"{back.path}?{back.query}")

    assert_refused(answer, says="did not start here")
    assert victim.session_cookie is None
    assert session_count(sso_site.project) == 0


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda sealed: sealed[:-1] + ("0" if sealed[-1] != "0" else "1"), id="mac"),
        pytest.param(lambda sealed: "e30" + sealed[sealed.index(".") :], id="body"),
        pytest.param(lambda sealed: sealed.split(".")[0], id="unsigned"),
        pytest.param(lambda sealed: "garbage", id="garbage"),
    ],
)
def test_a_tampered_attempt_cookie_is_refused(
    sso_site: SsoSite, provider: OidcProvider, tamper: Callable[[str], str]
) -> None:
    add_account(sso_site.project, ALICE.email)
    browser = sso_site.browser()
    start = leave_for_provider(browser)
    sealed = browser.client.cookies[ATTEMPT]
    authorize = httpx.get(start.headers["location"], follow_redirects=False, timeout=10)
    back = urlsplit(authorize.headers["location"])
    browser.client.cookies.set(ATTEMPT, tamper(sealed), domain="testserver.local")

    answer = browser.get(f"{back.path}?{back.query}")

    assert_refused(answer, says="did not start here")
    assert browser.session_cookie is None
    assert session_count(sso_site.project) == 0


def test_an_expired_attempt_is_refused(sso_site: SsoSite, provider: OidcProvider) -> None:
    add_account(sso_site.project, ALICE.email)
    browser = sso_site.browser()
    start = leave_for_provider(browser)
    authorize = httpx.get(start.headers["location"], follow_redirects=False, timeout=10)
    back = urlsplit(authorize.headers["location"])
    state = parse_qs(back.query)["state"][0]
    # Sealed with the server's own key, as the server would have, but ten minutes gone.
    expired = _seal(
        sso_site.app.state.runtime.secret,
        {"state": state, "nonce": "n", "verifier": "v", "next": "/account", "expires": 1},
    )
    browser.client.cookies.set(ATTEMPT, expired, domain="testserver.local")

    answer = browser.get(f"{back.path}?{back.query}")

    assert_refused(answer, says="did not start here")
    assert session_count(sso_site.project) == 0


def test_a_used_code_cannot_be_replayed(sso_site: SsoSite, provider: OidcProvider) -> None:
    add_account(sso_site.project, ALICE.email)
    flow = sign_in_by_sso(sso_site.browser(), provider)
    assert_signed_in(flow)
    sessions_after_first = session_count(sso_site.project)

    # The same callback and the same (still valid) attempt cookie, from another browser.
    replay = TestClient(sso_site.app, base_url=TESTSERVER, cookies={ATTEMPT: flow.attempt_cookie})
    sso_site.clients.append(replay)
    answer = replay.get(flow.callback_url, follow_redirects=False)

    assert_refused(answer, says="answer could not be used")
    assert SESSION not in replay.cookies
    assert session_count(sso_site.project) == sessions_after_first


# 6. Disabled accounts.


def test_a_disabled_account_cannot_sign_in_by_sso(
    sso_site: SsoSite, provider: OidcProvider
) -> None:
    project = sso_site.project
    user_id = add_account(project, ALICE.email)
    with project.session() as session:
        user = session.get(User, user_id)
        user.disabled_at = utcnow()
    browser = sso_site.browser()

    flow = sign_in_by_sso(browser, provider)

    assert_refused(flow.response, says="This account is disabled")
    assert browser.session_cookie is None
    assert session_count(project) == 0


def test_a_linked_account_disabled_later_cannot_sign_in_by_sso(
    sso_site: SsoSite, provider: OidcProvider
) -> None:
    project = sso_site.project
    user_id = add_account(project, ALICE.email)
    browser = sso_site.browser()
    assert_signed_in(sign_in_by_sso(browser, provider))
    with project.session() as session:
        user = session.get(User, user_id)
        user.disabled_at = utcnow()

    again = sso_site.browser()
    flow = sign_in_by_sso(again, provider)

    assert_refused(flow.response, says="This account is disabled")
    assert again.session_cookie is None
    # The session from before the account was disabled is no good either.
    assert browser.get("/account").status_code == 303


# 7. Where the browser lands.


@pytest.mark.parametrize("target", ["/account", "/account?notice=welcome"])
def test_a_same_origin_next_is_kept_through_the_round_trip(
    sso_site: SsoSite, provider: OidcProvider, target: str
) -> None:
    add_account(sso_site.project, ALICE.email)

    flow = sign_in_by_sso(sso_site.browser(), provider, next=target)

    assert_signed_in(flow, target)


def test_a_protected_page_leads_through_the_sso_button_and_back_to_itself(
    sso_site: SsoSite, provider: OidcProvider
) -> None:
    add_account(sso_site.project, ALICE.email)
    browser = sso_site.browser()
    to_sign_in = browser.get("/account?notice=welcome")
    assert to_sign_in.status_code == 303
    sign_in_page = browser.get(to_sign_in.headers["location"])
    assert 'href="/account/signin/sso?next=/account%3Fnotice%3Dwelcome"' in sign_in_page.text

    flow = sign_in_by_sso(browser, provider, next="/account?notice=welcome")

    assert_signed_in(flow, "/account?notice=welcome")
    assert "You are signed in." in browser.get(flow.response.headers["location"]).text


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "account"]
)
def test_an_off_site_next_ends_on_the_account_page(
    sso_site: SsoSite, provider: OidcProvider, target: str
) -> None:
    add_account(sso_site.project, ALICE.email)

    flow = sign_in_by_sso(sso_site.browser(), provider, next=target)

    assert_signed_in(flow, "/account")


# 8. The button and the routes, with and without SSO configured.


def test_without_sso_the_routes_are_404_pages_and_there_is_no_button(project: Project) -> None:
    browser = Browser(project.client)

    for path in ("/account/signin/sso?next=/account", CALLBACK_PATH + "?code=x&state=y"):
        answer = browser.get(path)
        assert answer.status_code == 404, path
        assert answer.headers["content-type"].startswith("text/html")
        assert "Single sign-on is not set up on this server" in answer.text
        assert ATTEMPT not in answer.cookies
    sign_in_page = browser.get("/account/signin")
    assert sign_in_page.status_code == 200
    assert "/account/signin/sso" not in sign_in_page.text
    assert "Sign in with" not in sign_in_page.text


def test_with_sso_the_sign_in_page_offers_the_button(
    sso_site: SsoSite, make_site: Callable[..., SsoSite]
) -> None:
    page = sso_site.browser().get("/account/signin?next=/account")

    assert page.status_code == 200
    assert "Sign in with single sign-on" in page.text
    assert 'href="/account/signin/sso?next=/account"' in page.text
    named = make_site(oidc_name="Example ID").browser().get("/account/signin")
    assert "Sign in with Example ID" in named.text


# 9. A provider that cannot be reached.


def test_a_provider_that_is_down_gives_a_502_sign_in_page(project: Project) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens there any more.
    settings = sso_settings(
        project.settings,
        None,
        oidc_issuer=f"http://127.0.0.1:{port}",
        oidc_client_id="lorebase-test",
    )
    app = create_app(settings)
    try:
        with TestClient(app, base_url=TESTSERVER) as client:
            answer = client.get("/account/signin/sso?next=/account", follow_redirects=False)
            assert_refused(answer, status=502, says="could not be reached")
            assert ATTEMPT not in answer.cookies
            # The form is still there to sign in with a password, keeping next.
            assert 'name="next" value="/account"' in answer.text
    finally:
        app.state.engine.dispose()


# Known bugs, kept as strict expected failures: each turns into an XPASS failure once fixed.


class SlashIssuerProvider(OidcProvider):
    """A provider whose issuer identifier ends in "/", as Auth0's do (https://tenant.auth0.com/):
    the discovery document and every ID token's `iss` carry the slash."""

    async def _discovery(self, request: Request) -> Response:
        document = json.loads(bytes((await super()._discovery(request)).body))
        return JSONResponse({**document, "issuer": self.issuer + "/"})

    def _id_token(self, grant: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer + "/",
            "sub": grant.user.sub,
            "aud": grant.client_id,
            "exp": now + 300,
            "iat": now,
            "nonce": grant.nonce,
            "name": grant.user.name,
            "email": grant.user.email,
            "email_verified": grant.user.email_verified,
        }
        return jwt.encode({"alg": "RS256", "typ": "JWT", "kid": self._kid}, claims, self._key)


def test_an_issuer_with_a_trailing_slash_signs_in(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(oidc_provider, "OidcProvider", SlashIssuerProvider)
    with running_provider(redirect_uris=[CALLBACK], user=ALICE) as slashed:
        # The issuer as the provider's documentation gives it, slash included.
        settings = sso_settings(project.settings, slashed, oidc_issuer=slashed.issuer + "/")
        app = create_app(settings)
        try:
            with TestClient(app, base_url=TESTSERVER) as client:
                flow = sign_in_by_sso(Browser(client), slashed)
                assert_signed_in(flow)
        finally:
            app.state.engine.dispose()


def test_a_long_name_at_the_provider_still_creates_an_account(
    sso_site: SsoSite, provider: OidcProvider
) -> None:
    provider.user = replace(ALICE, name="Bartholomew" * 12 + " " + "Quackenbush" * 12)
    browser = sso_site.browser()

    assert_signed_in(sign_in_by_sso(browser, provider))

    row = account_row(sso_site.project, ALICE.email)
    assert row is not None
    assert 0 < len(row["first_name"]) <= 100 and len(row["last_name"]) <= 100
