"""Brute force and account enumeration: sign-in attempts counted per account and per address
(shared through Redis across processes), the same answer and about the same time for an
unknown email as for a wrong password."""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from lorebase.app import create_app
from lorebase.settings import Settings
from tests.conftest import Project
from tests.web.conftest import PASSWORD, Browser, Site

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def open_app(project: Project) -> Iterator[list[TestClient]]:
    """Extra app instances on the project's database (each its own process, in effect)."""
    made: list[TestClient] = []
    yield made
    for client in made:
        client.close()
        client.app.state.engine.dispose()  # type: ignore[attr-defined]


def browser_on(
    made: list[TestClient], settings: Settings, address: str = "testclient", **changes: object
) -> Browser:
    app = create_app(settings.model_copy(update=changes))
    client = TestClient(app, client=(address, 50000))
    made.append(client)
    return Browser(client)


def test_the_attempt_after_the_allowed_failures_is_refused_even_with_the_right_password(
    site: Site,
) -> None:
    site.add_account("ada@example.com")
    browser = site.browser()
    for _ in range(5):
        assert browser.sign_in("ada@example.com", "wrong guess number one").status_code == 400
    refused = browser.sign_in("ada@example.com", PASSWORD)
    assert refused.status_code == 429
    assert "Too many sign-in attempts" in refused.text
    assert 0 < int(refused.headers["retry-after"]) <= 15 * 60
    assert refused.headers.get("set-cookie", "").find("lorebase_session") == -1
    # Another account from the same address is not locked by it.
    site.add_account("bob@example.com")
    assert site.browser().sign_in("bob@example.com").status_code == 303


def test_a_successful_sign_in_resets_the_account_count(site: Site) -> None:
    site.add_account("ada@example.com")
    browser = site.browser()
    for _ in range(4):
        browser.sign_in("ada@example.com", "wrong guess number one")
    assert browser.sign_in("ada@example.com").status_code == 303
    other = site.browser()
    for _ in range(4):
        assert other.sign_in("ada@example.com", "wrong guess number two").status_code == 400
    assert other.sign_in("ada@example.com").status_code == 303


def test_unknown_emails_are_throttled_like_known_ones(site: Site) -> None:
    browser = site.browser()
    for _ in range(5):
        assert browser.sign_in("nobody@example.com", "wrong guess number one").status_code == 400
    assert browser.sign_in("nobody@example.com", "wrong guess number one").status_code == 429


def test_one_address_guessing_many_accounts_is_refused(project: Project, open_app) -> None:
    browser = browser_on(open_app, project.settings, signin_attempts_per_address="3/15 minutes")
    for n in range(3):
        assert browser.sign_in(f"person{n}@example.com", "wrong guess").status_code == 400
    assert browser.sign_in("person9@example.com", "wrong guess").status_code == 429


def test_attempts_are_counted_across_processes_through_redis(project: Project, open_app) -> None:
    # A fresh address per run: Redis outlives the test.
    address = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    options = {"redis_url": REDIS_URL, "signin_attempts_per_account": "4/15 minutes"}
    first = browser_on(open_app, project.settings, address, **options)
    second = browser_on(open_app, project.settings, address, **options)
    email = f"{uuid.uuid4().hex}@example.com"
    for browser in (first, second, first, second):
        assert browser.sign_in(email, "wrong guess").status_code == 400
    assert first.sign_in(email, "wrong guess").status_code == 429
    assert second.sign_in(email, "wrong guess").status_code == 429


def test_an_unknown_email_costs_about_as_long_as_a_wrong_password(
    project: Project, site: Site, open_app
) -> None:
    """Timing, by medians of alternating attempts: an unknown email runs the same Argon2
    verification as a wrong password (~0.1 s). Without it the unknown email would answer in
    about a millisecond, a hundred times faster; the bounds are wide for noisy machines."""
    site.add_account("ada@example.com")
    browser = browser_on(
        open_app,
        project.settings,
        signin_attempts_per_account="1000/minute",
        signin_attempts_per_address="1000/minute",
    )
    browser.sign_in("warm@example.com", "warm up the hasher")
    known, unknown = [], []
    for n in range(7):
        for email, times in (("ada@example.com", known), (f"nobody{n}@example.com", unknown)):
            started = time.perf_counter()
            assert browser.sign_in(email, "not the password at all").status_code == 400
            times.append(time.perf_counter() - started)
    ratio = statistics.median(unknown) / statistics.median(known)
    assert 0.5 < ratio < 2.0, (known, unknown)
