"""Browser sessions on a cluster: two `lorebase serve` processes (as behind a load balancer)
on one database with one LOREBASE_SECRET_KEY. A session started on one is honoured by the
other, and whatever ends it (sign-out, a disabled account, its end of life) ends it on both at
the next request: nothing about sessions is kept in a process."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, create_engine, func, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from lorebase.auth import accounts
from lorebase.auth.sessions import hash_session_id
from lorebase.db.models import BrowserSession, utcnow
from lorebase.kb import workspaces
from lorebase.web.visitor import csrf_token_for
from tests.conftest import BACKENDS, PG_URL
from tests.e2e.test_live_server import LOREBASE, free_port

# Every test of a backend shares its two servers; together they stay well under this.
pytestmark = pytest.mark.timeout(60)

PASSWORD = "correct horse battery staple"
IDLE_MINUTES = 30
WRONG_CREDENTIALS = "The email or the password is not right."
CSRF_INPUT = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
SIGN_IN_AGAIN = "/account/signin?next=%2Faccount"


def csrf_of(html: str) -> str:
    found = CSRF_INPUT.search(html)
    assert found, f"the page has no CSRF field:\n{html[:500]}"
    return found.group(1)


class Node:
    """One `lorebase serve --workers 0`, its output kept in a file."""

    def __init__(self, name: str, folder: Path, env: dict[str, str]) -> None:
        self.name = name
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        # Each node has a data folder of its own, as on its own machine: what they share is
        # the database and the secret in the environment, not a secret.key file.
        data_dir = folder / name
        data_dir.mkdir()
        self.log_path = folder / f"{name}.log"
        args = ["serve", "--port", str(self.port), "--workers", "0", "--data-dir", str(data_dir)]
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                [*LOREBASE, *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"{self.name} died:\n{self.log()}"
            try:
                if httpx.get(f"{self.base}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError(f"{self.name} did not answer /health within 30 s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class Cluster:
    a: Node
    b: Node
    database_url: str
    secret: str
    env: dict[str, str]
    folder: Path
    engine: Engine

    def add_account(self, email: str) -> str:
        with Session(self.engine) as session, session.begin():
            project = workspaces.find_project(session, None)
            user = workspaces.create_user(
                session, project.id, email=email, first_name=email.split("@")[0]
            )
            hashed = accounts.new_password_hash(user, PASSWORD)
            accounts.store_password(session, user.id, hashed, keep_session=None)
            return user.id

    def sessions_of(self, user_id: str) -> int:
        with Session(self.engine) as session:
            query = select(func.count()).where(BrowserSession.user_id == user_id)
            return session.scalar(query.select_from(BrowserSession)) or 0

    def set_session_times(self, user_id: str, **times: object) -> None:
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(BrowserSession).where(BrowserSession.user_id == user_id).values(**times)
            )

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*LOREBASE, *args, "--data-dir", str(self.folder / "cli")],
            capture_output=True,
            text=True,
            timeout=60,
            env=self.env,
            check=False,
        )


@pytest.fixture(scope="module", params=BACKENDS)
def cluster(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    folder = tmp_path_factory.mktemp("cluster")
    admin: Engine | None = None
    if request.param == "sqlite":
        (folder / "shared").mkdir()
        url = f"sqlite:///{folder / 'shared' / 'lorebase.sqlite3'}"
    else:
        # A database of its own, empty: the nodes migrate it and make the project.
        admin = create_engine(make_url(PG_URL), isolation_level="AUTOCOMMIT", poolclass=NullPool)
        name = f"lorebase_cluster_{uuid.uuid4().hex[:10]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    secret = secrets.token_hex(32)
    env = {
        **os.environ,
        "LOREBASE_DATABASE_URL": url,
        "LOREBASE_SECRET_KEY": secret,
        "LOREBASE_SESSION_IDLE_MINUTES": str(IDLE_MINUTES),
    }
    env.pop("LOREBASE_DATA_DIR", None)
    # Started together, as an orchestrator starts API nodes: they take turns to set up.
    a, b = Node("a", folder, env), Node("b", folder, env)
    engine = create_engine(url, poolclass=NullPool)
    try:
        a.wait_until_up()
        b.wait_until_up()
        yield Cluster(a, b, url, secret, env, folder, engine)
    finally:
        a.stop()
        b.stop()
        engine.dispose()
        if admin is not None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    for node in (a, b):
        assert "Traceback" not in node.log(), f"{node.name}:\n{node.log()}"


def sign_in(client: httpx.Client, node: Node, email: str, *, form_from: Node | None = None) -> str:
    """Sign in on `node` with the form of `form_from` (default: the same node); the raw session
    id the browser then holds."""
    form = client.get(f"{(form_from or node).base}/account/signin")
    assert form.status_code == 200, form.text
    answer = client.post(
        f"{node.base}/account/signin",
        data={"csrf_token": csrf_of(form.text), "email": email, "password": PASSWORD},
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/account"
    raw = client.cookies.get("lorebase_session")
    assert raw
    return raw


def account_page(node: Node, raw: str) -> httpx.Response:
    """GET /account on `node` with only this session cookie, as a browser holding it sends."""
    return httpx.get(f"{node.base}/account", cookies={"lorebase_session": raw}, timeout=10)


def assert_signed_in(cluster: Cluster, raw: str, email: str) -> None:
    for node in (cluster.a, cluster.b):
        page = account_page(node, raw)
        assert page.status_code == 200, f"{node.name}: {page.status_code}"
        assert email in page.text


def assert_refused(cluster: Cluster, raw: str) -> None:
    for node in (cluster.a, cluster.b):
        page = account_page(node, raw)
        assert page.status_code == 303, f"{node.name} still honours the session"
        assert page.headers["location"] == SIGN_IN_AGAIN


def test_a_session_from_one_node_works_on_the_other_until_signed_out(cluster: Cluster) -> None:
    user_id = cluster.add_account("ann@example.com")
    with httpx.Client(timeout=10) as browser:
        raw = sign_in(browser, cluster.a, "ann@example.com")
        # The browser's own jar sends it to B as well (one host, as behind a balancer).
        on_b = browser.get(f"{cluster.b.base}/account")
        assert on_b.status_code == 200 and "ann@example.com" in on_b.text
        assert_signed_in(cluster, raw, "ann@example.com")

        token = csrf_of(browser.get(f"{cluster.a.base}/account").text)
        out = browser.post(f"{cluster.a.base}/account/signout", data={"csrf_token": token})
        assert out.status_code == 303
        assert out.headers["location"] == "/account/signin?notice=signed-out"
    # The signed-out cookie, kept (a copy, a second tab), is dead on B's next request too.
    assert_refused(cluster, raw)
    assert cluster.sessions_of(user_id) == 0


def test_disabling_the_account_with_the_cli_signs_it_out_on_both_nodes(cluster: Cluster) -> None:
    user_id = cluster.add_account("dora@example.com")
    with httpx.Client(timeout=10) as browser, httpx.Client(timeout=10) as other:
        raw = sign_in(browser, cluster.a, "dora@example.com")
        again = sign_in(other, cluster.b, "dora@example.com")
        assert_signed_in(cluster, raw, "dora@example.com")
        assert_signed_in(cluster, again, "dora@example.com")

        disabled = cluster.cli("user", "disable", "dora@example.com")
        assert disabled.returncode == 0, disabled.stderr

        for node in (cluster.a, cluster.b):
            refused = browser.get(f"{node.base}/account")
            assert refused.status_code == 303, node.name
            assert refused.headers["location"] == SIGN_IN_AGAIN
        assert_refused(cluster, again)
        assert cluster.sessions_of(user_id) == 0

        for node in (cluster.a, cluster.b):
            form = browser.get(f"{node.base}/account/signin")
            answer = browser.post(
                f"{node.base}/account/signin",
                data={
                    "csrf_token": csrf_of(form.text),
                    "email": "dora@example.com",
                    "password": PASSWORD,
                },
            )
            assert answer.status_code == 400 and WRONG_CREDENTIALS in answer.text, node.name


def test_an_expired_or_idle_session_is_refused_on_both_nodes(cluster: Cluster) -> None:
    user_id = cluster.add_account("eve@example.com")
    with httpx.Client(timeout=10) as browser:
        raw = sign_in(browser, cluster.a, "eve@example.com")
    assert_signed_in(cluster, raw, "eve@example.com")
    # Past its absolute end (LOREBASE_SESSION_MAX_DAYS after sign-in).
    cluster.set_session_times(user_id, expires_at=utcnow() - timedelta(seconds=1))
    assert_refused(cluster, raw)

    with httpx.Client(timeout=10) as browser:
        raw = sign_in(browser, cluster.b, "eve@example.com")
    # Idle a little less than LOREBASE_SESSION_IDLE_MINUTES: still good, and the visit counts.
    cluster.set_session_times(user_id, last_seen_at=utcnow() - timedelta(minutes=IDLE_MINUTES - 1))
    assert account_page(cluster.a, raw).status_code == 200
    assert account_page(cluster.b, raw).status_code == 200
    with Session(cluster.engine) as session:
        seen = session.scalar(
            select(BrowserSession.last_seen_at).where(BrowserSession.user_id == user_id)
        )
    assert seen is not None and utcnow() - seen < timedelta(minutes=1)
    # Idle longer than that: refused everywhere.
    cluster.set_session_times(user_id, last_seen_at=utcnow() - timedelta(minutes=IDLE_MINUTES + 1))
    assert_refused(cluster, raw)


def test_a_csrf_token_from_one_node_is_accepted_by_the_other(cluster: Cluster) -> None:
    cluster.add_account("fay@example.com")
    with httpx.Client(timeout=10) as browser:
        # Signed out: the token is bound to the visitor cookie A set, and signed with the
        # shared secret, so B computes the same one and takes A's sign-in form.
        from_a = csrf_of(browser.get(f"{cluster.a.base}/account/signin").text)
        from_b = csrf_of(browser.get(f"{cluster.b.base}/account/signin").text)
        visitor = browser.cookies.get("lorebase_visitor")
        assert visitor and from_a == from_b
        assert from_a == csrf_token_for(cluster.secret.encode(), "visitor:" + visitor)
        raw = sign_in(browser, cluster.b, "fay@example.com", form_from=cluster.a)

        # Signed in: the token of A's account page, bound to the session, works on B. A token
        # made with another secret does not.
        token = csrf_of(browser.get(f"{cluster.a.base}/account").text)
        assert token == csrf_token_for(cluster.secret.encode(), "session:" + hash_session_id(raw))
        forged = csrf_token_for(b"another secret", "session:" + hash_session_id(raw))
        refused = browser.post(f"{cluster.b.base}/account/signout", data={"csrf_token": forged})
        assert refused.status_code == 403 and "This form has expired" in refused.text
        assert_signed_in(cluster, raw, "fay@example.com")

        out = browser.post(f"{cluster.b.base}/account/signout", data={"csrf_token": token})
        assert out.status_code == 303
        assert out.headers["location"] == "/account/signin?notice=signed-out"
    assert_refused(cluster, raw)
