"""Sign-in and session benchmark: what a password sign-in costs, and what being signed in
costs every browser request.

The issue's targets: one sign-in takes about 50-100 ms on this machine (the Argon2id
parameters of `lorebase.auth.passwords` are chosen for it), and checking the browser session
adds at most 0.3 ms to a request. In the same run, on a database holding --sessions browser
sessions (10,000 by default, of one account per ten sessions) and as many API tokens, it
measures:

1. Argon2id: `verify_password` of the right password against its stored hash, median of
   --verify-runs calls (wall and CPU time), in this process; then the whole sign-in through
   HTTP: `POST /account/signin` with the form fields and the CSRF token of the sign-in page,
   answered 303 with a new session (median of --signins, after one warm-up sign-in). Both are
   held to the 50-100 ms band; the round trip's ratio to `verify_password` shows the share
   of Argon2 in it.
2. The session check, in this process: the block `current_visitor` runs for every request
   with a session cookie (`check_session`: one autocommit lookup on the lookup engine), on
   engines made as the server makes its own (`make_engine`, `make_lookup_engine`), against a
   read session opened, `authenticate`, rolled back and closed: the block
   around `lorebase.auth.tokens.authenticate`, the lookup the API does for every request, on
   a table of as many tokens; calls alternate between the two, --lookups of each, over a
   sample of 1,000 sessions and tokens. The bare lookups on an open read session are shown
   too. Target: the session check's median <= 0.3 ms.
3. The session check through HTTP, on one keep-alive connection with pre-encoded requests
   (`bench.reads.RawConnection`), --page-requests of each of four GETs, in blocks of 25
   taking turns in a rotating order, with the server's CPU time (every thread's, from
   /proc/<pid>/task/*/schedstat, to the nanosecond) read around each block:
   - `GET /account/signin/sso` with single sign-on off, signed in and anonymous: the same
     "not set up" page, with no other database work (the header shows the account when
     signed in), so the difference is what being signed in costs a request: the session
     check in its real surroundings, plus rendering the signed-in header (the account's name,
     the sign-out form). Shown as the difference of the median latencies and of the server's
     CPU time per request, without a target: the header is the page's, not the check's;
   - `GET /account` (signed in) against `GET /account/signin` (anonymous), the two account
     pages: the account page also reads the account and lists its sessions, so this
     difference is larger than the session check and only shown.

Why both, in-process and through the server: the in-process figure times the very code a
request runs, on the same kind of engine, to a few microseconds, call for call against the
token check the API does; it is that code's cost with warm CPU caches, in a tight loop, and
the median latency of a ~1-2 ms HTTP request on a 2-core machine shared by client and server
moves by more than the whole check between runs. The server's CPU time per request of the
same page, signed in or not, is what being signed in costs in a real request (measured here:
about twice the in-process figure on SQLite, as the request's other work has pushed
SQLAlchemy's code and data out of the caches), and unlike a latency it does not count the
waits of a busy machine. Argon2 is timed in-process for the same reason, the sign-in over
HTTP because the issue's figure is what a person waits for. Argon2 over 64 MiB is bound by
memory bandwidth: other work on the machine moves it by tens of percent (the load average is
printed at the end); run twice before concluding.

    .venv/bin/python -m bench.accounts
    .venv/bin/python -m bench.accounts --database-url postgresql+psycopg://postgres@127.0.0.1/postgres
    .venv/bin/python -m bench.accounts --smoke        # CI: 100 sessions, a few calls of each

With a PostgreSQL URL a scratch database is created on that server and dropped at the end.
The server is `lorebase serve` (`bench.reads.running_server`: the caller's LOREBASE_*
variables dropped, `bench.reads.UNLIMITED` set). Only successful sign-ins are sent, which
the sign-in throttle never counts. A figure off its target is reported (FAIL) and the exit
status is 0: a benchmark reports, it does not gate. A sign-in or a page answered otherwise
than expected, or a seeded session or token not found, measured nothing: exit status 1.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import httpx
from sqlalchemy import insert

if __package__ in (None, ""):  # run as `python bench/accounts.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate import scratch_database
from bench.reads import RawConnection, Server, cpu_seconds, memory_mb, request_bytes, running_server
from bench.report import (
    RESULT_HEADS,
    SCRATCH_DATABASE_HELP,
    engine_name,
    exit_status,
    say,
    table_lines,
    verdict,
)
from lorebase.auth.passwords import (
    MEMORY_KIB,
    PARALLELISM,
    TIME_COST,
    hash_password,
    verify_password,
)
from lorebase.auth.roles import Role
from lorebase.auth.sessions import check_session, find_session, hash_session_id
from lorebase.auth.tokens import authenticate, hash_token
from lorebase.bootstrap import prepare_database
from lorebase.db.engine import make_engine, make_lookup_engine, make_session_factory, transaction
from lorebase.db.models import ApiToken, BrowserSession, User, new_id, utcnow
from lorebase.kb import workspaces
from lorebase.settings import Settings
from lorebase.web.visitor import SESSION_COOKIE, VISITOR_COOKIE

SIGN_IN_BAND_MS = (50.0, 100.0)
SESSION_TARGET_MS = 0.3
EMAIL = "bench.signin@example.com"
NAME = "Bench Signin"
PASSWORD = "benchmark: correct horse battery staple"
# A visitor id as a browser that is not signed in keeps it (16-64 characters): the sign-in
# form's CSRF token is bound to it, and no new one is set on every answer.
VISITOR_ID = "bench-visitor-0123456789abcdef"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
SAMPLE = 1000
WARMUP = 50
IDLE = timedelta(minutes=Settings.model_fields["session_idle_minutes"].default)
MAX_DAYS = Settings.model_fields["session_max_days"].default

# The sizes (each an option: --sessions, --verify-runs, ...): full, and --smoke for CI.
FULL = {
    "sessions": 10_000,
    "verify_runs": 30,
    "signins": 20,
    "lookups": 5_000,
    "page_requests": 1500,
}
SMOKE = {"sessions": 100, "verify_runs": 3, "signins": 3, "lookups": 200, "page_requests": 20}


# --- the database ------------------------------------------------------------------------------


@dataclass
class Seeded:
    accounts: int
    sessions: int
    tokens: int
    session_ids: list[str]  # raw ids (cookie values) of a sample of the sessions
    token_secrets: list[str]  # raw secrets of a sample of the tokens
    hash_ms: float  # one hash_password of the benchmark account's password
    seconds: float


def seed_database(url: str, sessions: int, rng_seed: int = 0) -> Seeded:
    """The first project (as `lorebase serve` would create it), the benchmark's account with
    its password, and `sessions` live browser sessions of `sessions // 10` other accounts and
    as many API tokens, inserted in bulk."""
    started = time.perf_counter()
    rng = random.Random(rng_seed)
    prepare_database(url)
    engine = make_engine(url, pooled=False)
    try:
        with transaction(make_session_factory(engine)) as session:
            project = workspaces.default_project(session)
            if project is None:
                raise RuntimeError("prepare_database made no project")
            user = workspaces.create_user(
                session,
                project.id,
                email=EMAIL,
                first_name=NAME.split()[0],
                last_name=NAME.split()[1],
                role=int(Role.EDITOR),
            )
            hashing = time.perf_counter()
            user.password_hash = hash_password(PASSWORD)
            hash_ms = (time.perf_counter() - hashing) * 1000
            now = utcnow()
            people = [
                {
                    "id": new_id(),
                    "project_id": project.id,
                    "first_name": f"Person{i}",
                    "last_name": "Bench",
                    "email": f"person{i}@example.com",
                    "role": int(Role.EDITOR),
                    "unique_user_name": f"person{i}-bench",
                    "created_at": now,
                }
                for i in range(max(1, sessions // 10))
            ]
            session.execute(insert(User), people)
            session_ids, rows = [], []
            for i in range(sessions):
                raw = secrets.token_urlsafe(32)
                session_ids.append(raw)
                created = now - timedelta(minutes=rng.uniform(60, (MAX_DAYS - 1) * 24 * 60))
                rows.append(
                    {
                        "id_hash": hash_session_id(raw),
                        "user_id": people[i % len(people)]["id"],
                        "created_at": created,
                        # Seen within the last hour: every one of them is live.
                        "last_seen_at": now - timedelta(minutes=rng.uniform(0, 60)),
                        "expires_at": created + timedelta(days=MAX_DAYS),
                        "method": "password",
                        "client_address": f"10.0.{i // 250 % 256}.{i % 250}",
                        "user_agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Firefox/133.0",
                    }
                )
            session.execute(insert(BrowserSession), rows)
            token_secrets, tokens = [], []
            for i in range(sessions):
                raw = "lb_" + secrets.token_urlsafe(32)
                token_secrets.append(raw)
                tokens.append(
                    {
                        "id": new_id(),
                        "project_id": project.id,
                        "name": f"bench {i}",
                        "token_hash": hash_token(raw),
                        "methods": "GET,POST,PUT,DELETE",
                        "created_at": now,
                        "last_used_at": now,
                    }
                )
            session.execute(insert(ApiToken), tokens)
    finally:
        engine.dispose()
    return Seeded(
        accounts=len(people) + 1,
        sessions=sessions,
        tokens=sessions,
        session_ids=rng.sample(session_ids, min(SAMPLE, sessions)),
        token_secrets=rng.sample(token_secrets, min(SAMPLE, sessions)),
        hash_ms=hash_ms,
        seconds=time.perf_counter() - started,
    )


# --- in-process measurements -------------------------------------------------------------------


@dataclass
class Argon2Result:
    wall_ms: list[float]
    cpu_ms: list[float]


def measure_argon2(runs: int) -> Argon2Result:
    """`verify_password` of the right password, as a sign-in runs it (after one untimed call:
    pwdlib and argon2 are imported and warmed)."""
    stored = hash_password(PASSWORD)
    verify_password(PASSWORD, stored)
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        matches, rehashed = verify_password(PASSWORD, stored)
        cpu.append((time.process_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
        if not matches or rehashed is not None:
            raise RuntimeError("verify_password did not accept the password it hashed")
    return Argon2Result(wall, cpu)


@dataclass
class LookupResult:
    session_check_ms: list[float]  # as current_visitor runs it: open, find_session, close
    token_check_ms: list[float]  # the same block around authenticate
    find_session_ms: list[float]  # the bare lookup on an open read session
    authenticate_ms: list[float]


def _alternating(
    calls: int, first: Callable[[int], object], second: Callable[[int], object]
) -> tuple[list[float], list[float]]:
    """Time `first(i)` and `second(i)` `calls` times each, alternating which goes first, so
    that a drift of a shared machine touches both alike."""
    timed: tuple[list[float], list[float]] = ([], [])
    pair = (first, second)
    for i in range(calls):
        order = (0, 1) if i % 2 == 0 else (1, 0)
        for which in order:
            started = time.perf_counter_ns()
            pair[which](i)
            timed[which].append((time.perf_counter_ns() - started) / 1e6)
    return timed


def measure_lookups(url: str, seeded: Seeded, calls: int) -> LookupResult:
    engine = make_engine(url)  # pooled, as the server's (lorebase.runtime.make_runtime)
    lookup_engine = make_lookup_engine(engine)
    readers = make_session_factory(engine, writer=False)
    session_ids, tokens = seeded.session_ids, seeded.token_secrets

    def session_check(i: int) -> object:
        # lorebase.web.visitor.current_visitor, with a session cookie.
        return check_session(lookup_engine, session_ids[i % len(session_ids)], idle=IDLE)

    def token_check(i: int) -> object:
        reader = readers()
        try:
            return authenticate(reader, tokens[i % len(tokens)])
        finally:
            reader.rollback()
            reader.close()

    try:
        for i in range(max(WARMUP, len(session_ids))):
            if session_check(i) is None:
                raise RuntimeError("find_session did not find a live seeded session")
            if token_check(i) is None:
                raise RuntimeError("authenticate did not find a seeded token")
        session_checks, token_checks = _alternating(calls, session_check, token_check)
        reader = readers()
        try:
            find_bare, auth_bare = _alternating(
                calls,
                lambda i: find_session(reader, session_ids[i % len(session_ids)], idle=IDLE),
                lambda i: authenticate(reader, tokens[i % len(tokens)]),
            )
        finally:
            reader.rollback()
            reader.close()
    finally:
        if lookup_engine is not engine:
            lookup_engine.dispose()
        engine.dispose()
    return LookupResult(session_checks, token_checks, find_bare, auth_bare)


# --- through HTTP ------------------------------------------------------------------------------


@dataclass
class HttpResult:
    signin_ms: list[float]
    signin_server_cpu_ms: float  # per sign-in
    pages: dict[str, list[float]]
    page_server_cpu_ms: dict[str, float]  # per request
    page_bytes: dict[str, int]
    rss_peak_mb: float


def server_cpu_ms(pid: int) -> float:
    """CPU time of the live threads of the server process and its children, to the nanosecond
    (/proc/<pid>/task/<tid>/schedstat; /proc/<pid>/stat counts 10 ms ticks). A thread that
    ends takes its time with it: for page requests, which run on the event loop and the
    thread pool's long-lived threads."""
    total, queue = 0, [pid]
    while queue:
        current = queue.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                total += int((task / "schedstat").read_text().split()[0])
                queue += [int(c) for c in (task / "children").read_text().split()]
            except (FileNotFoundError, ProcessLookupError):
                pass  # a thread that ended meanwhile
    return total / 1e6


PAGES = {
    # label: (path, signed in, expected status)
    "sso page, signed in": ("/account/signin/sso", True, 404),
    "sso page, anonymous": ("/account/signin/sso", False, 404),
    "GET /account, signed in": ("/account", True, 200),
    "GET /account/signin, anonymous": ("/account/signin", False, 200),
}
# Pages are requested in blocks of this many (the server's CPU time read around each block),
# the four pages taking turns, in a rotating order.
BLOCK = 25


def measure_http(server: Server, signins: int, page_requests: int) -> HttpResult:
    anonymous = f"{VISITOR_COOKIE}={VISITOR_ID}"
    # The sign-in page's CSRF token (bound to the visitor cookie), and a first sign-in that
    # gives the session cookie of the signed-in requests below; httpx, as these are not timed.
    with httpx.Client(
        base_url=server.base_url, cookies={VISITOR_COOKIE: VISITOR_ID}, timeout=60
    ) as client:
        page = client.get("/account/signin")
        if page.status_code != 200:
            raise RuntimeError(f"GET /account/signin: HTTP {page.status_code}: {page.text[:300]}")
        found = CSRF_INPUT.search(page.text)
        if found is None:
            raise RuntimeError("the sign-in page has no csrf_token field")
        form = {"csrf_token": found.group(1), "email": EMAIL, "password": PASSWORD}
        first = client.post("/account/signin", data={**form, "next": "/account"})
        raw_session = first.cookies.get(SESSION_COOKIE)
        if first.status_code != 303 or not raw_session:
            raise RuntimeError(
                f"the first sign-in was refused: HTTP {first.status_code}: {first.text[:500]}"
            )
    signed_in = f"{SESSION_COOKIE}={raw_session}"
    # Without the session cookie each sign-in starts a session and ends none, the visitor
    # cookie (so the CSRF token) stays the same.
    post = request_bytes(
        server,
        "/account/signin",
        {"Cookie": anonymous, "Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
        body=urlencode({**form, "next": "/account"}).encode(),
    )
    connection = RawConnection(server)
    try:
        signin_ms = []
        # Argon2's lanes run in threads that end with each verification: counted only by the
        # process's own total (/proc/<pid>/stat, 10 ms ticks; ample for ~0.1-0.2 s each).
        cpu_before = cpu_seconds(server.pid)
        for _ in range(signins):
            elapsed, status, body = connection.get(post)
            if status != 303:
                raise RuntimeError(f"POST /account/signin: HTTP {status}: {body[:500]!r}")
            signin_ms.append(elapsed)
        signin_cpu = (cpu_seconds(server.pid) - cpu_before) * 1000 / signins
        requests = {
            label: request_bytes(server, path, {"Cookie": signed_in if signed else anonymous})
            for label, (path, signed, _) in PAGES.items()
        }
        page_bytes: dict[str, int] = {}
        for label, request in requests.items():
            for _ in range(WARMUP):
                _, status, body = connection.get(request)
            path, signed, expected = PAGES[label]
            if status != expected:
                raise RuntimeError(f"GET {path} ({label}): HTTP {status}: {body[:500]!r}")
            # The signed-in pages must show the account (the session was honoured), the
            # anonymous ones must not.
            if (NAME.encode() in body) != signed:
                raise RuntimeError(f"GET {path} ({label}) did not show the expected visitor")
            page_bytes[label] = len(body)
        pages: dict[str, list[float]] = {label: [] for label in PAGES}
        cpu = dict.fromkeys(PAGES, 0.0)
        labels = list(PAGES)
        block = min(BLOCK, page_requests)
        for n in range(-(-page_requests // block)):
            for k in range(len(labels)):
                label = labels[(n + k) % len(labels)]
                cpu_before = server_cpu_ms(server.pid)
                for _ in range(block):
                    elapsed, status, body = connection.get(requests[label])
                    if status != PAGES[label][2]:
                        raise RuntimeError(f"{label}: HTTP {status}: {body[:500]!r}")
                    pages[label].append(elapsed)
                cpu[label] += server_cpu_ms(server.pid) - cpu_before
    finally:
        connection.close()
    return HttpResult(
        signin_ms,
        signin_cpu,
        pages,
        {label: cpu[label] / len(pages[label]) for label in PAGES},
        page_bytes,
        memory_mb(server.pid, "VmHWM"),
    )


# --- report ------------------------------------------------------------------------------------


def _in_band(ms: float) -> bool:
    return SIGN_IN_BAND_MS[0] <= ms <= SIGN_IN_BAND_MS[1]


def _quartiles(values: list[float]) -> str:
    q = statistics.quantiles(values, n=4) if len(values) > 1 else [values[0]] * 3
    return f"p25 {q[0]:.3f} / p50 {q[1]:.3f} / p75 {q[2]:.3f} ms"


def report(
    engine: str,
    seeded: Seeded,
    argon2: Argon2Result,
    lookups: LookupResult,
    http: HttpResult,
    load: tuple[float, float, float],
) -> str:
    median = statistics.median
    verify = median(argon2.wall_ms)
    verify_cpu = median(argon2.cpu_ms)
    signin = median(http.signin_ms)
    check, token = median(lookups.session_check_ms), median(lookups.token_check_ms)
    bare_find, bare_auth = median(lookups.find_session_ms), median(lookups.authenticate_ms)
    pages = {label: median(ms) for label, ms in http.pages.items()}
    sso_signed, sso_anon = pages["sso page, signed in"], pages["sso page, anonymous"]
    account, signin_page = pages["GET /account, signed in"], pages["GET /account/signin, anonymous"]
    rounds = len(http.pages["sso page, anonymous"])
    cpu = http.page_server_cpu_ms
    cpu_signed, cpu_anon = cpu["sso page, signed in"], cpu["sso page, anonymous"]
    band = f"{SIGN_IN_BAND_MS[0]:g}-{SIGN_IN_BAND_MS[1]:g} ms"
    target = f"<= {SESSION_TARGET_MS:g} ms"
    rows = [
        (
            f"Argon2id verify_password (in-process), median of {len(argon2.wall_ms)}",
            f"{verify:.1f} ms",
            f"CPU {verify_cpu:.1f} ms (t={TIME_COST}, m={MEMORY_KIB // 1024} MiB, p={PARALLELISM})",
            "",
            band,
            verdict(_in_band(verify)),
        ),
        (
            f"sign-in round trip (POST /account/signin, 303), median of {len(http.signin_ms)}",
            f"{signin:.1f} ms",
            f"verify_password {verify:.1f} ms",
            f"{signin / verify:.2f}x",
            band,
            verdict(_in_band(signin)),
        ),
        (
            f"session check per request (in-process, as current_visitor), median of "
            f"{len(lookups.session_check_ms):,}",
            f"{check:.3f} ms",
            f"token check, same block {token:.3f} ms",
            f"{check / token:.2f}x",
            target,
            verdict(check <= SESSION_TARGET_MS),
        ),
        (
            "find_session on an open read session (bare lookup)",
            f"{bare_find:.3f} ms",
            f"authenticate {bare_auth:.3f} ms",
            f"{bare_find / bare_auth:.2f}x",
            "",
            "",
        ),
        (
            f"HTTP, same page signed in - anonymous (sso page), medians of {rounds:,}",
            f"{sso_signed - sso_anon:.3f} ms",
            f"anonymous {sso_anon:.3f} ms",
            f"{sso_signed / sso_anon:.2f}x",
            "",
            "",
        ),
        (
            f"HTTP, same page: server CPU per request signed in - anonymous, of {rounds:,}",
            f"{cpu_signed - cpu_anon:.3f} ms",
            f"anonymous {cpu_anon:.3f} ms CPU",
            f"{cpu_signed / cpu_anon:.2f}x",
            "",
            "",
        ),
        (
            "HTTP, GET /account (signed in) - GET /account/signin (anonymous)",
            f"{account - signin_page:.3f} ms",
            f"/account/signin {signin_page:.3f} ms",
            f"{account / signin_page:.2f}x",
            "",
            "",
        ),
    ]
    lines = [
        f"Lorebase sign-in and session benchmark: {engine}, {seeded.sessions:,} browser sessions "
        f"of {seeded.accounts:,} accounts, {seeded.tokens:,} API tokens "
        f"(seeded in {seeded.seconds:.1f} s)",
        "",
        *table_lines(RESULT_HEADS, rows, strip=True),
        "",
        f"Argon2 verification in {band}: {verdict(_in_band(verify))}",
        f"sign-in round trip in {band}: {verdict(_in_band(signin))}",
        f"session check {target}: {verdict(check <= SESSION_TARGET_MS)}",
        "",
        "details:",
        f"  hash_password (seeding, once): {seeded.hash_ms:.1f} ms",
        f"  verify_password wall: {_quartiles(argon2.wall_ms)}; "
        f"min {min(argon2.wall_ms):.1f}, max {max(argon2.wall_ms):.1f} ms",
        f"  sign-in round trip: {_quartiles(http.signin_ms)}; "
        f"min {min(http.signin_ms):.1f}, max {max(http.signin_ms):.1f} ms; "
        f"server CPU {http.signin_server_cpu_ms:.1f} ms per sign-in",
        f"  session check (open, find_session, close): {_quartiles(lookups.session_check_ms)}",
        f"  token check (open, authenticate, close): {_quartiles(lookups.token_check_ms)}",
        f"  find_session, open session: {_quartiles(lookups.find_session_ms)}",
        f"  authenticate, open session: {_quartiles(lookups.authenticate_ms)}",
    ]
    for label, ms in http.pages.items():
        lines.append(
            f"  {label:<31} {_quartiles(ms)}; server CPU {cpu[label]:.3f} ms/request "
            f"({http.page_bytes[label]:,} bytes)"
        )
    lines.append(f"  server peak RSS (VmHWM): {http.rss_peak_mb:.1f} MB")
    lines.append(
        f"  load average (1 min) at the start / the end: {load[0]:.2f} / {os.getloadavg()[0]:.2f}"
        f" ({os.cpu_count()} cores)"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help=SCRATCH_DATABASE_HELP)
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="the CI size: " + ", ".join(f"{k.replace('_', '-')} {v}" for k, v in SMOKE.items()),
    )
    for name, value in FULL.items():
        parser.add_argument(
            f"--{name.replace('_', '-')}",
            type=int,
            help=f"default {value:,} (smoke: {SMOKE[name]})",
        )
    args = parser.parse_args(argv)
    sizes = {name: getattr(args, name) or (SMOKE if args.smoke else FULL)[name] for name in FULL}
    return exit_status("accounts", lambda: run(args.database_url, **sizes))


def run(
    database_url: str | None,
    *,
    sessions: int,
    verify_runs: int,
    signins: int,
    lookups: int,
    page_requests: int,
) -> int:
    started, load = time.perf_counter(), os.getloadavg()
    with (
        scratch_database(database_url) as url,
        tempfile.TemporaryDirectory(prefix="lorebase-bench-data-") as data,
    ):
        engine = engine_name(url)
        say(f"seeding {sessions:,} sessions and tokens ({engine})...")
        seeded = seed_database(url, sessions)
        say(f"  done in {seeded.seconds:.1f} s; Argon2, {verify_runs} verifications...")
        argon2 = measure_argon2(verify_runs)
        say(f"session and token lookups, {lookups:,} of each...")
        lookup = measure_lookups(url, seeded, lookups)
        say("starting the server...")
        with running_server(url, Path(data), "cli") as server:
            say(f"HTTP: {signins} sign-ins, {page_requests:,} requests of each page...")
            http = measure_http(server, signins, page_requests)
    print(report(engine, seeded, argon2, lookup, http, load))
    print(f"\nwall time of the whole run: {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
