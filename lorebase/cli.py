"""The `lorebase` command: serve, worker, migrate, token, user, demo, export, import,
feedback, mirror."""

from __future__ import annotations

import io
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any, NoReturn
from urllib.parse import urljoin

import httpx
import typer
import uvicorn
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from lorebase.auth import accounts, readers, tokens
from lorebase.auth.roles import Role
from lorebase.bootstrap import OWNER_EMAIL, prepare_database
from lorebase.db.engine import make_engine, make_session_factory, transaction
from lorebase.db.models import Job, new_id
from lorebase.jobs import queue
from lorebase.kb import feedback, workspaces
from lorebase.kb.errors import KbError
from lorebase.serving import serve_processes, uvicorn_config
from lorebase.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from lorebase.db.models import Project
    from lorebase.runtime import Runtime

# A crash's traceback never lists local variables: they hold tokens, passwords in database
# URLs and signing keys, and the traceback ends up in terminals and CI logs.
app = typer.Typer(
    no_args_is_help=True,
    help="Lorebase: a self-hosted Document360-compatible KB.",
    pretty_exceptions_show_locals=False,
)
token_app = typer.Typer(no_args_is_help=True, help="Manage API tokens.")
user_app = typer.Typer(no_args_is_help=True, help="Manage team accounts.")
project_app = typer.Typer(no_args_is_help=True, help="Project settings.")
reader_group_app = typer.Typer(
    no_args_is_help=True, help="Reader groups: readers of a private project limited to workspaces."
)
app.add_typer(token_app, name="token")
app.add_typer(user_app, name="user")
app.add_typer(project_app, name="project")
feedback_app = typer.Typer(
    no_args_is_help=True,
    help="What readers said: article feedback and searches that found nothing.",
)
app.add_typer(reader_group_app, name="reader-group")
app.add_typer(feedback_app, name="feedback")
err = Console(stderr=True)

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Data folder (LOREBASE_DATA_DIR).")
]
DatabaseUrl = Annotated[
    str | None, typer.Option("--database-url", help="Database URL (LOREBASE_DATABASE_URL).")
]


def _settings(
    data_dir: Path | None = None, database_url: str | None = None, **extra: object
) -> Settings:
    overrides: dict[str, object] = {k: v for k, v in extra.items() if v is not None}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    if database_url is not None:
        overrides["database_url"] = database_url
    return Settings(**overrides)  # type: ignore[arg-type]


def _prepare(settings: Settings, *, token_to_stdout: bool = False) -> str:
    """Migrate the database and create the starter project if the database is empty.

    Whichever command finds the database empty creates the project and shows its admin token,
    once: on stdout for `serve` and `migrate`, on stderr for commands whose stdout is their
    own answer (a script reading `token create`'s output gets only its token).
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.resolved_database_url()
    first = prepare_database(url)
    if first is not None:
        err.print("[bold green]Created a new project with workspace v1 (English).[/bold green]")
        err.print("Admin API token (shown once, keep it safe):")
        if token_to_stdout:
            print(first.admin_token, flush=True)
        else:
            err.print(first.admin_token, markup=False, highlight=False, soft_wrap=True)
        link = accounts.sign_in_link_url(settings.public_base_url, first.owner_link)
        err.print(
            f"Owner {escape(OWNER_EMAIL)}: open this one-time link to sign in and choose a "
            "password (valid 24 hours; or run `lorebase user password "
            f"{escape(OWNER_EMAIL)}`):"
        )
        err.print(link, markup=False, highlight=False, soft_wrap=True)
    return url


def _fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind (LOREBASE_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (LOREBASE_PORT).")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Embedded worker threads for background jobs (LOREBASE_WORKERS, default 2); "
            "0 runs none, for a scaled-out setup with separate `lorebase worker` processes."
        ),
    ] = None,
    processes: Annotated[
        int | None,
        typer.Option(
            min=0,
            max=256,
            help="Server processes sharing the port, one core each (LOREBASE_PROCESSES); "
            "default 0 = one per CPU core. Each runs its own embedded workers.",
        ),
    ] = None,
) -> None:
    """Start the API server (migrations are applied first)."""
    settings = _settings(
        data_dir, database_url, host=host, port=port, workers=workers, processes=processes
    )
    _prepare(settings, token_to_stdout=True)
    count = settings.processes or os.cpu_count() or 1
    # The app builds its own Settings from the environment: host and port too, or the
    # download and article URLs it reports would name the default port.
    for key, value in (
        ("LOREBASE_HOST", settings.host),
        ("LOREBASE_PORT", str(settings.port)),
        ("LOREBASE_DATA_DIR", str(settings.data_dir)),
        ("LOREBASE_DATABASE_URL", settings.database_url),
        ("LOREBASE_WORKERS", str(settings.workers)),
        ("LOREBASE_CLIENT_TIMEOUT", str(settings.client_timeout)),
    ):
        if value:
            os.environ[key] = value
    if count > 1:
        # prometheus-client's multi-process mode: each process writes its samples under
        # this folder, and /metrics adds them up. Emptied at start: the files of a previous
        # run would count again.
        metrics_dir = settings.data_dir / "metrics"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir.resolve())
    err.print(
        f"Lorebase listening on http://{settings.host}:{settings.port}"
        + (f" ({count} processes)" if count > 1 else "")
    )
    err.print(
        f"  the knowledge base: http://{settings.host}:{settings.port}{settings.site_base_path}/"
    )
    config = uvicorn_config("lorebase.app:create_app", factory=True)
    if count > 1:
        serve_processes(count, settings.host, settings.port, config)
    else:
        uvicorn.run(host=settings.host, port=settings.port, **config)


@app.command()
def worker(
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, max=64, help="Worker threads.")
    ] = 1,
) -> None:
    """Run background jobs in the foreground until SIGTERM/SIGINT (scaled-out workers)."""
    import signal
    import threading

    from lorebase.jobs.worker import start_workers
    from lorebase.runtime import make_runtime

    settings = _settings(data_dir, database_url)
    url = _prepare(settings)
    stop = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        err.print(f"Received signal {signum}: finishing the current jobs, then stopping.")
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    runtime = make_runtime(settings, make_engine(url))
    pool = start_workers(
        runtime.session_factory,
        concurrency,
        daemon=False,
        lease=timedelta(seconds=settings.job_lease_seconds),
        runtime=runtime,
    )
    err.print(
        f"Lorebase worker running {concurrency} thread(s) on {url.split('@')[-1]}",
        markup=False,
        soft_wrap=True,
    )
    while not stop.wait(0.5):
        if not any(thread.is_alive() for thread in pool.threads):
            break
    pool.stop_event.set()
    pool.stop()
    err.print("Lorebase worker stopped.")


@app.command("migrate")
def migrate_command(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Apply database migrations and create the starter project if needed."""
    _prepare(_settings(data_dir, database_url), token_to_stdout=True)


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option("--name", help="A name to recognise the token by.")],
    methods: Annotated[str, typer.Option(help="Allowed methods.")] = "GET,POST,PUT,DELETE",
    project: Annotated[
        str | None, typer.Option(help="Project id (default: the first project).")
    ] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create a token for the project; prints only the token on stdout."""
    url = _prepare(_settings(data_dir, database_url))
    factory = make_session_factory(make_engine(url, pooled=False))
    try:
        with transaction(factory) as session:
            target = workspaces.find_project(session, project)
            issued = tokens.issue_token(session, target.id, name, methods)
    except KbError as error:
        _fail(error.message)
    print(issued.secret)


@token_app.command("list")
def token_list(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """List tokens (never their values: only hashes are stored)."""
    url = _prepare(_settings(data_dir, database_url))
    factory = make_session_factory(make_engine(url, pooled=False))
    with transaction(factory) as session:
        table = Table("id", "name", "methods", "created", "last used", "revoked")
        for t in tokens.list_tokens(session):
            table.add_row(
                t.id,
                t.name,
                t.methods,
                f"{t.created_at:%Y-%m-%d %H:%M}",
                f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "-",
                f"{t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "-",
            )
    Console().print(table)


@token_app.command("revoke")
def token_revoke(
    token: Annotated[str, typer.Argument(help="Token id or name.")],
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Revoke a token; the next request that uses it gets 401."""
    url = _prepare(_settings(data_dir, database_url))
    factory = make_session_factory(make_engine(url, pooled=False))
    try:
        with transaction(factory) as session:
            revoked = tokens.revoke_token(session, token)
            err.print(f"Revoked token {revoked.name} ({revoked.id}).")
    except KbError as error:
        _fail(error.message)


@project_app.command("privacy")
def project_privacy(
    visibility: Annotated[
        str,
        typer.Argument(
            help="'private': media only through signed, expiring URLs (appendSASToken); "
            "'public': media URLs work for anyone who has them."
        ),
    ],
    project: Annotated[
        str | None, typer.Option(help="Project id (default: the first project).")
    ] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Make the project's media private or public."""
    if visibility not in ("private", "public"):
        _fail("Say 'private' or 'public'.")
    url = _prepare(_settings(data_dir, database_url))
    factory = make_session_factory(make_engine(url, pooled=False))
    try:
        with transaction(factory) as session:
            changed = workspaces.set_privacy(session, project, visibility == "private")
            err.print(f"Project {changed.name} ({changed.id}) is now {visibility}.")
    except KbError as error:
        _fail(error.message)


@contextmanager
def _in_project(settings: Settings, *, writer: bool = True) -> Iterator[tuple[Session, Project]]:
    """A transaction on the prepared database and its first project, for a command that
    changes it (or, `writer=False`, only reads it: no write lock on SQLite); a domain error
    ends the command with its message and nothing written."""
    url = _prepare(settings)
    factory = make_session_factory(make_engine(url, pooled=False), writer=writer)
    try:
        with transaction(factory) as session:
            yield session, workspaces.find_project(session, None)
    except KbError as error:
        _fail(error.message)


def _read_password(from_stdin: bool) -> str:
    """A password from standard input (a script: its first line), or typed twice at a
    terminal without echo. Never an argument: those show in `ps` and shell history."""
    import getpass

    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("New password: ")
    if getpass.getpass("Again: ") != first:
        _fail("The two passwords differ; nothing was changed.")
    return first


def _role(text: str) -> Role:
    try:
        return Role.from_name(text)
    except ValueError as error:
        _fail(str(error))


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option("--email")],
    first_name: Annotated[str, typer.Option("--first-name")] = "",
    last_name: Annotated[str, typer.Option("--last-name")] = "",
    role: Annotated[
        str, typer.Option(help="owner, admin, editor, draft-writer or reader (or 7, 1, 2, 3, 4)")
    ] = "editor",
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin", help="Read the account's password from the first line of stdin."
        ),
    ] = False,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Add a team account; prints its id (use it as user_id in write requests)."""
    chosen = _role(role)
    with _in_project(_settings(data_dir, database_url)) as (session, project):
        user = workspaces.create_user(
            session,
            project.id,
            email=email,
            first_name=first_name or email.split("@")[0],
            last_name=last_name,
            role=int(chosen),
        )
        if password_stdin:
            hashed = accounts.new_password_hash(user, _read_password(True))
            accounts.store_password(session, user.id, hashed, keep_session=None)
    print(user.id)


@user_app.command("password")
def user_password(
    email: Annotated[str, typer.Argument(help="The account's email.")],
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Set an account's password from stdin (or typed twice); its sessions end."""
    with _in_project(_settings(data_dir, database_url)) as (session, project):
        user = accounts.require_account(session, project.id, email)
        hashed = accounts.new_password_hash(user, _read_password(False))
        accounts.store_password(session, user.id, hashed, keep_session=None)
    err.print(f"Password set for {escape(user.email)}; their browser sessions were ended.")


@user_app.command("signin-link")
def user_signin_link(
    email: Annotated[str, typer.Argument(help="The account's email.")],
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Print a one-time sign-in link for the account (a forgotten password), valid 24 hours."""
    settings = _settings(data_dir, database_url)
    with _in_project(settings) as (session, project):
        user = accounts.require_account(session, project.id, email)
        if user.disabled_at is not None:
            raise KbError(f"{user.email} is disabled; `lorebase user enable` it first.")
        raw = accounts.issue_sign_in_link(session, user)
    print(accounts.sign_in_link_url(settings.public_base_url, raw))


def _set_disabled(
    email: str, disabled: bool, data_dir: Path | None, database_url: str | None
) -> None:
    with _in_project(_settings(data_dir, database_url)) as (session, project):
        user = accounts.require_account(session, project.id, email)
        # The server's operator acts as an owner would.
        if disabled:
            accounts.disable_account(session, Role.OWNER, "", user)
        else:
            accounts.enable_account(session, Role.OWNER, "", user)
    err.print(f"{escape(user.email)} is {'disabled' if disabled else 'enabled'}.")


@user_app.command("disable")
def user_disable(
    email: Annotated[str, typer.Argument(help="The account's email.")],
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Stop an account from signing in; its browser sessions end at their next request."""
    _set_disabled(email, True, data_dir, database_url)


@user_app.command("enable")
def user_enable(
    email: Annotated[str, typer.Argument(help="The account's email.")],
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Let a disabled account sign in again."""
    _set_disabled(email, False, data_dir, database_url)


@user_app.command("list")
def user_list(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """List team accounts."""
    url = _prepare(_settings(data_dir, database_url))
    factory = make_session_factory(make_engine(url, pooled=False))
    with transaction(factory) as session:
        table = Table("name", "email", "role", "sign-in")
        # Ids whole: scripts and people copy them into `user_id`.
        table.add_column("id", no_wrap=True)
        for u in workspaces.users(session, workspaces.find_project(session, None).id):
            how = "disabled" if u.disabled_at else "password" if u.password_hash else "link/SSO"
            table.add_row(
                f"{u.first_name} {u.last_name}".strip(),
                u.email,
                workspaces.ROLE_NAMES.get(u.role, str(u.role)),
                how,
                u.id,
            )
    # Piped into a script, the table is as wide as it needs to be rather than 80 columns.
    Console(width=None if sys.stdout.isatty() else 200).print(table)


@reader_group_app.command("create")
def reader_group_create(
    name: Annotated[str, typer.Argument(help="The group's name.")],
    workspace: Annotated[
        list[str], typer.Option("--workspace", help="A workspace id the group reads (repeat).")
    ],
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create a reader group that reads only the given workspaces of a private project."""
    with _in_project(_settings(data_dir, database_url)) as (session, project):
        group = readers.create_group(session, project.id, name, workspace)
    print(group.id)


@reader_group_app.command("add")
def reader_group_add(
    name: Annotated[str, typer.Argument(help="The group's name.")],
    email: Annotated[str, typer.Argument(help="A reader's email.")],
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Put a reader in a group: they then read only the group's workspaces."""
    with _in_project(_settings(data_dir, database_url)) as (session, project):
        readers.add_member(
            session,
            readers.find_group(session, project.id, name),
            accounts.require_account(session, project.id, email),
        )
    err.print(f"{escape(email)} now reads through the group {escape(name)}.")


Workspace = Annotated[
    str | None,
    typer.Option("--workspace", help="A workspace's id or slug (default: every workspace)."),
]


@feedback_app.command("export")
def feedback_export(
    output: Annotated[
        str, typer.Option("--output", "-o", help="The CSV file to write; '-' for stdout.")
    ] = "-",
    workspace: Workspace = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Write every "Was this article helpful?" answer as CSV, oldest first."""
    target = None if output == "-" else Path(output)
    if target is not None:
        _check_output(target)
    with _in_project(_settings(data_dir, database_url), writer=False) as (session, project):
        workspace_id = (
            workspaces.workspace_named(session, project.id, workspace).id if workspace else None
        )
        if target is None:
            written = feedback.write_feedback_csv(
                session, project.id, sys.stdout, workspace_id=workspace_id
            )
            sys.stdout.flush()
        else:
            with (
                _staged(target) as staged,
                io.TextIOWrapper(staged, encoding="utf-8", newline="") as text,
            ):
                written = feedback.write_feedback_csv(
                    session, project.id, text, workspace_id=workspace_id
                )
    where = "" if target is None else f" to {escape(str(target))}"
    err.print(f"Wrote {written} answer{'s' if written != 1 else ''}{where}.")


@feedback_app.command("misses")
def feedback_misses(
    workspace: Workspace = None,
    lang: Annotated[str | None, typer.Option("--lang", help="One language's searches.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="Rows per workspace.")] = 100,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """List the searches readers made that found nothing, the most repeated first."""
    table = Table("workspace", "language", "query", "count", "last searched (UTC)")
    with _in_project(_settings(data_dir, database_url), writer=False) as (session, project):
        chosen = (
            [workspaces.workspace_named(session, project.id, workspace)]
            if workspace
            else workspaces.workspaces(session, project.id)
        )
        for space in chosen:
            for miss in feedback.search_misses(session, space.id, lang, limit):
                table.add_row(
                    escape(space.slug),
                    escape(miss.language_code),
                    escape(miss.query),
                    str(miss.count),
                    f"{miss.last_searched_at:%Y-%m-%d %H:%M}",
                )
    if not table.row_count:
        err.print("No search has come back empty yet.")
        return
    Console(width=None if sys.stdout.isatty() else 200).print(table)


@app.command()
def demo(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Load a small sample knowledge base (two languages, drafts and published revisions)."""
    from lorebase.demo import load_demo

    url = _prepare(_settings(data_dir, database_url))
    factory = make_session_factory(make_engine(url, pooled=False))
    with transaction(factory) as session:
        project = workspaces.default_project(session)
        assert project is not None
        summary = load_demo(session, project.id)
    err.print(f"[green]Loaded the demo:[/green] {summary}")


# --------------------------------------------------------------------------- export, import
# Local mode queues the job exactly as `POST /v2/Project/Export|Import` does (lorebase.exchange
# .service) and runs it in this process with the task a worker would run; remote mode calls
# those routes. Progress goes to stderr, the summary or import log to stdout.

RemoteUrl = Annotated[
    str | None,
    typer.Option(
        "--url",
        envvar="LOREBASE_URL",
        help="Base URL of a running Lorebase server: work through its API instead of a local "
        "database.",
    ),
]
RemoteToken = Annotated[
    str | None,
    typer.Option("--token", envvar="LOREBASE_TOKEN", help="API token of the project, for --url."),
]
ProjectOption = Annotated[
    str | None,
    typer.Option(help="Project id, in local mode (default: the first project)."),
]

POLL_SECONDS = 0.25
REMOTE_POLL_SECONDS = 1.0
CHUNK = 1024 * 1024
# The formats the v2 export route makes (`export_type`); the others are v3-only.
V2_EXPORT_TYPES = {"json": 0, "html": 1}
# Who an import is recorded as when --import-by is left out: the owner, else an administrator.
IMPORTER_ROLES = (workspaces.OWNER_ROLE, 1)
LOG_STYLES = {
    queue.MESSAGE_ERROR: ("error", "red"),
    queue.MESSAGE_WARNING: ("warning", "yellow"),
    queue.MESSAGE_INFO: ("info", "dim"),
}


def _parse_when(option: str, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        _fail(f"{option} {value!r} is not an ISO 8601 date or date-time (e.g. 2024-05-01).")


def _check_mode(
    url: str | None,
    token: str | None,
    *,
    data_dir: Path | None,
    database_url: str | None,
    project: str | None,
) -> bool:
    """True for remote mode; refuses option mixes that would silently be ignored."""
    if url is None:
        return False
    if not token:
        _fail("--url needs --token (or LOREBASE_TOKEN): an API token of the remote project.")
    if data_dir is not None or database_url is not None:
        _fail("--data-dir and --database-url are for local mode; leave them out with --url.")
    if project is not None:
        _fail("--project is for local mode; remotely the token chooses the project.")
    return True


def _check_output(output: Path) -> None:
    if output.is_dir():
        _fail(f"--output {output} is a folder; name the ZIP file to write.")
    if not output.parent.is_dir():
        _fail(f"--output {output}: the folder {output.parent} does not exist.")


def _human_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    amount = size / 1024
    for unit in ("KB", "MB"):
        if amount < 1024:
            return f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{amount:.1f} GB"


@contextmanager
def _staged(output: Path) -> Iterator[IO[bytes]]:
    """A file next to `output` that replaces it only once completely written."""
    handle, name = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as staged:
            yield staged
        # mkstemp's private 0600 is for the staging only: the result gets the usual mode.
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(name, 0o666 & ~mask)
        os.replace(name, output)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def _job_progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )


@contextmanager
def _local_runtime(data_dir: Path | None, database_url: str | None) -> Iterator[Runtime]:
    from lorebase.runtime import make_runtime

    settings = _settings(data_dir, database_url)
    url = _prepare(settings)
    # The worker logs a failed job as a warning; here the command reports it itself.
    logging.getLogger("lorebase.jobs.worker").setLevel(logging.ERROR)
    runtime = make_runtime(settings, make_engine(url))
    try:
        yield runtime
    finally:
        runtime.engine.dispose()


def _read_job(runtime: Runtime, job_id: str) -> Job:
    with runtime.read_session_factory() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def _run_here(runtime: Runtime, job_id: str, label: str) -> Job:
    """Run the queued job `job_id` in a thread of this process, as a worker would, showing its
    progress; returns the ended job. A server's worker may claim the job first (same
    database): then its progress is followed instead."""
    from lorebase.jobs.worker import new_worker_id, run_job

    lease = timedelta(seconds=runtime.settings.job_lease_seconds)
    worker_id = new_worker_id("cli")
    stop = threading.Event()
    claimed = queue.claim_job(runtime.session_factory, job_id, worker_id, lease)
    runner: threading.Thread | None = None
    if claimed is None:
        err.print("A server worker took the job; following its progress.")
    else:
        runner = threading.Thread(
            target=run_job,
            args=(runtime.session_factory, worker_id, claimed),
            kwargs={"lease": lease, "stop": stop, "runtime": runtime},
            name="lorebase-cli-job",
            daemon=True,
        )
        runner.start()
    try:
        with _job_progress() as progress:
            task = progress.add_task(label, total=None)
            while True:
                if runner is not None:
                    runner.join(POLL_SECONDS)
                else:
                    time.sleep(POLL_SECONDS)
                job = _read_job(runtime, job_id)
                if job.progress_total:
                    progress.update(task, total=job.progress_total, completed=job.progress_done)
                if job.status in (queue.COMPLETED, queue.ERROR):
                    return job
                if runner is not None and not runner.is_alive():
                    _fail(f"the job stopped without an outcome (status {job.status}).", 1)
    except KeyboardInterrupt:
        if runner is None:
            raise
        # The task stops at its next progress point and hands the job back to the queue;
        # it is then ended here, so that no server worker picks it up later by surprise.
        err.print("Interrupted: stopping the job (nothing is kept)...")
        stop.set()
        runner.join()
        if queue.claim_job(runtime.session_factory, job_id, worker_id, lease) is not None:
            queue.fail(runtime.session_factory, job_id, worker_id, "Interrupted from the CLI.")
        raise typer.Exit(130) from None


def _print_summary(out: Console, rows: list[tuple[str, object]]) -> None:
    for name, value in rows:
        out.print(f"{name + ':':<16}{escape(str(value))}")


def _stdout() -> Console:
    # Never wrapped nor cut: the summary is read by scripts as much as by people.
    return Console(highlight=False, soft_wrap=True)


def _print_import_log(log: dict[str, Any] | None, error: str | None) -> None:
    if log is None:
        return
    out = _stdout()
    _print_summary(
        out,
        [
            ("new workspaces", log["new_versions"]),
            ("categories", log["categories"]),
            ("articles", log["articles"]),
            ("languages", log["languages"]),
        ],
    )
    for entry in log["messages"]:
        word, colour = LOG_STYLES.get(entry["message_type"], LOG_STYLES[queue.MESSAGE_INFO])
        if word == "error" and entry["message"] == error:
            continue  # printed once, as the reason the import failed
        out.print(f"[{colour}]{word}:[/{colour}] {escape(str(entry['message']))}")


# --------------------------------------------------------------------------- remote mode


class _Remote:
    """The export and import routes of a Lorebase server, with errors as CLI messages."""

    def __init__(self, url: str, token: str) -> None:
        self.base = url.rstrip("/") + "/"
        self.client = httpx.Client(
            base_url=self.base,
            headers={"api_token": token},
            timeout=httpx.Timeout(60.0, connect=10.0),
        )

    def call(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        try:
            response = self.client.request(method, path, **kw)
        except httpx.HTTPError as exc:
            _fail(f"cannot reach {self.base}: {exc}", 1)
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.is_error:
            _fail(
                f"{self.base} answered {response.status_code} {response.reason_phrase}: "
                f"{_description(body) or response.text[:200] or 'no details'}",
                2 if response.status_code == 400 else 1,
            )
        if not isinstance(body, dict):
            _fail(f"{self.base} did not answer with JSON: is it a Lorebase server?", 1)
        return body

    def poll(self, path: str, label: str, **kw: Any) -> dict[str, Any]:
        """GET `path` until the job's status is final (v2 Completed/Error, v3
        Completed/Failed), with a spinner; v3's `data` envelope is unwrapped."""
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            TextColumn("[bold]{task.fields[status]}"),
            TimeElapsedColumn(),
            console=err,
        ) as progress:
            task = progress.add_task(label, status="")
            while True:
                body = self.call("GET", path, **kw)
                if isinstance(body.get("data"), dict):
                    body = body["data"]
                progress.update(task, status=body.get("status"))
                if body.get("status") in ("Completed", "Error", "Failed"):
                    return body
                time.sleep(REMOTE_POLL_SECONDS)

    def download(self, url: str, output: Path) -> int:
        """Fetch the signed `url` to `output` with a byte progress bar; returns the size."""
        # The signed URL is its own credential and may name another host (an S3 bucket):
        # the API token is not sent with it.
        address = urljoin(self.base, url)
        try:
            with (
                httpx.stream("GET", address, timeout=60.0, follow_redirects=True) as response,
                Progress(
                    TextColumn("Downloading"),
                    BarColumn(),
                    DownloadColumn(),
                    TransferSpeedColumn(),
                    console=err,
                ) as progress,
            ):
                if response.is_error:
                    _fail(f"the download answered {response.status_code}: {address}", 1)
                length = response.headers.get("content-length")
                task = progress.add_task("", total=int(length) if length else None)
                with _staged(output) as out:
                    for chunk in response.iter_bytes(CHUNK):
                        out.write(chunk)
                        progress.advance(task, len(chunk))
        except httpx.HTTPError as exc:
            _fail(f"the download from {address} failed: {exc}", 1)
        return output.stat().st_size

    def default_importer(self) -> str:
        people = self.call("GET", "v2/Teams", params={"take": 1000}).get("result") or []
        for person in people:
            if person.get("portal_role") in [workspaces.ROLE_NAMES[r] for r in IMPORTER_ROLES]:
                return str(person["user_id"])
        _fail("the project has no owner or administrator: give --import-by USER_ID.")


def _description(body: Any) -> str | None:
    """errors[0].description of a v2 envelope (or a v3 problem's detail)."""
    if not isinstance(body, dict):
        return None
    detail = body.get("detail")  # v3 problems also list errors[], with `message`
    if detail:
        return str(detail)
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return str(errors[0].get("description") or "") or None
    return None


# --------------------------------------------------------------------------- export


@app.command("export")
def export_command(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The ZIP file to write (replaced if present).")
    ],
    workspace: Annotated[
        list[str] | None,
        typer.Option("--workspace", help="Export only this workspace id (repeatable)."),
    ] = None,
    language: Annotated[
        list[str] | None,
        typer.Option("--language", help="Export only this language code (repeatable)."),
    ] = None,
    category: Annotated[
        list[str] | None,
        typer.Option(
            "--category", help="Export only this category and what is under it (repeatable)."
        ),
    ] = None,
    exclude_media: Annotated[
        bool, typer.Option("--exclude-media", help="Leave the Drive's media files out.")
    ] = False,
    modified_after: Annotated[
        str | None,
        typer.Option(help="Only articles changed at or after this ISO 8601 date-time."),
    ] = None,
    modified_before: Annotated[
        str | None,
        typer.Option(help="Only articles changed at or before this ISO 8601 date-time."),
    ] = None,
    export_format: Annotated[
        str,
        typer.Option(
            "--format",
            help="json (Document360's JSON ZIP), html (offline site), markdown, or pdf "
            "(one PDF per workspace and language, in a ZIP).",
        ),
    ] = "json",
    project: ProjectOption = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    url: RemoteUrl = None,
    token: RemoteToken = None,
) -> None:
    """Export the project as a ZIP: Document360's JSON layout by default (the job of
    POST /v2/Project/Export), or an offline HTML site, Markdown files or PDFs."""
    from lorebase.exchange.formats import supported_formats

    remote = _check_mode(url, token, data_dir=data_dir, database_url=database_url, project=project)
    _check_output(output)
    export_format = export_format.strip().lower()
    if export_format not in supported_formats():
        _fail(
            f"--format {export_format!r} is not supported; use one of: "
            f"{', '.join(supported_formats())}."
        )
    after = _parse_when("--modified-after", modified_after)
    before = _parse_when("--modified-before", modified_before)
    # A listed workspace narrows selected categories too: that is the "Version" entity.
    entity = "Version" if workspace else "Category" if category else "Project"
    if remote and export_format not in V2_EXPORT_TYPES:
        assert url is not None and token is not None
        _export_remote_v3(_Remote(url, token), output, export_format, workspace, language)
        return
    if remote:
        assert url is not None and token is not None
        _export_remote(
            _Remote(url, token),
            output,
            {
                "entity": entity,
                "version_id": workspace or [],
                "selected_languages": [{"code": code} for code in language or []],
                "selected_categories": [{"id": ident} for ident in category or []],
                "exclude_media_files": exclude_media,
                "filter_by_article_modified_at": {
                    "after": after.isoformat() if after else None,
                    "before": before.isoformat() if before else None,
                },
                "export_type": V2_EXPORT_TYPES[export_format],
            },
        )
        return
    with _local_runtime(data_dir, database_url) as runtime:
        _export_local(
            runtime,
            output,
            project,
            entity=entity,
            version_ids=workspace,
            languages=[{"code": code} for code in language or []],
            categories=[{"id": ident} for ident in category or []],
            exclude_media=exclude_media,
            modified_after=after,
            modified_before=before,
            export_format=export_format,
        )


def _export_local(
    runtime: Runtime, output: Path, project: str | None, *, export_format: str, **request: Any
) -> None:
    from lorebase.exchange import service

    try:
        with transaction(runtime.session_factory) as session:
            target = workspaces.find_project(session, project)
            options = service.export_options(
                session, target.id, export_type=service.JSON_ZIP, **request
            )
            options.format = export_format
            # The machine's administrator is not held to the API's daily export quota.
            job_id = service.start_export(session, target.id, options, daily_limit=0).id
            project_name = target.name
    except KbError as error:
        _fail(error.message)
    job = _run_here(runtime, job_id, f"Exporting {project_name}")
    if job.status != queue.COMPLETED or not job.result_key:
        _fail(f"the export failed: {job.error or 'no reason recorded'}", 1)
    with runtime.blobs.open_reader(job.result_key) as source, _staged(output) as out:
        shutil.copyfileobj(source, out, CHUNK)
    counts = job.result or {}
    _print_summary(
        _stdout(),
        [
            ("project", project_name),
            ("workspaces", counts.get("workspaces", 0)),
            ("categories", counts.get("categories", 0)),
            ("articles", counts.get("articles", 0)),
            ("media files", counts.get("media", 0)),
            ("size", _human_size(output.stat().st_size)),
            ("written to", output),
        ],
    )


def _export_remote(remote: _Remote, output: Path, body: dict[str, Any]) -> None:
    started = remote.call("POST", "v2/Project/Export", json=body)
    export_id = started.get("id")
    if not export_id:
        _fail(f"{remote.base} did not return an export id.", 1)
    status = remote.poll(f"v2/Project/Export/{export_id}", "Exporting")
    if status.get("status") != "Completed" or not status.get("download_url"):
        _fail(f"the export {export_id} ended in {status.get('status')} on {remote.base}.", 1)
    size = remote.download(str(status["download_url"]), output)
    try:
        with zipfile.ZipFile(output) as archive:
            files = len(archive.infolist())
    except zipfile.BadZipFile:
        _fail(f"the downloaded file {output} is not a ZIP archive.", 1)
    _print_summary(
        _stdout(),
        [
            ("export id", export_id),
            ("files in ZIP", files),
            ("size", _human_size(size)),
            ("written to", output),
        ],
    )


def _export_remote_v3(
    remote: _Remote,
    output: Path,
    export_format: str,
    workspace: list[str] | None,
    language: list[str] | None,
) -> None:
    """Markdown and PDF exist only in the v3 API, whose exports take one workspace and at
    most one language."""
    if not workspace or len(workspace) != 1 or (language and len(language) > 1):
        _fail(
            f"--format {export_format} with --url exports one workspace: give exactly one "
            "--workspace (and at most one --language)."
        )
    bearer = {"Authorization": f"Bearer {remote.client.headers['api_token']}"}
    projects = remote.call("GET", "v3/projects", headers=bearer).get("data") or []
    if not projects:
        _fail(f"{remote.base} lists no project for this token.", 1)
    base = f"v3/projects/{projects[0]['id']}/exports"
    body: dict[str, Any] = {"project_version_id": workspace[0], "format": export_format}
    if language:
        body["lang_code"] = language[0]
    started = remote.call("POST", base, json=body, headers=bearer).get("data") or {}
    export_id = started.get("id")
    if not export_id:
        _fail(f"{remote.base} did not return an export id.", 1)
    status = remote.poll(f"{base}/{export_id}", "Exporting", headers=bearer)
    if status.get("status") != "Completed" or not status.get("download_url"):
        _fail(f"the export {export_id} ended in {status.get('status')} on {remote.base}.", 1)
    size = remote.download(str(status["download_url"]), output)
    _print_summary(
        _stdout(),
        [("export id", export_id), ("size", _human_size(size)), ("written to", output)],
    )


# --------------------------------------------------------------------------- import


@app.command("import")
def import_command(
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            metavar="FILE.zip",
            help="The export ZIP to import.",
        ),
    ],
    import_by: Annotated[
        str | None,
        typer.Option(
            "--import-by",
            help="Id of the team member the import is recorded as (default: the project's "
            "owner, or else its first administrator).",
        ),
    ] = None,
    publish: Annotated[
        bool, typer.Option("--publish", help="Publish the imported articles (default: drafts).")
    ] = False,
    project: ProjectOption = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    url: RemoteUrl = None,
    token: RemoteToken = None,
) -> None:
    """Import a Document360 (or Lorebase) export ZIP, all or nothing (POST /v2/Project/Import)."""
    remote = _check_mode(url, token, data_dir=data_dir, database_url=database_url, project=project)
    if not zipfile.is_zipfile(file):
        _fail(f"{file} is not a ZIP archive (a Document360 or Lorebase export ZIP).")
    if remote:
        assert url is not None and token is not None
        _import_remote(_Remote(url, token), file, import_by, publish)
        return
    with _local_runtime(data_dir, database_url) as runtime:
        _import_local(runtime, file, project, import_by, publish)


def _import_local(
    runtime: Runtime, file: Path, project: str | None, import_by: str | None, publish: bool
) -> None:
    from lorebase.exchange import service
    from lorebase.exchange.tasks import upload_key

    try:
        with transaction(runtime.session_factory) as session:
            target = workspaces.find_project(session, project)
            user_id = import_by or _default_importer(session, target.id)
            service.check_importer(session, target.id, user_id)
            project_id, project_name = target.id, target.name
    except KbError as error:
        _fail(error.message)
    # Stored where the HTTP route stores an upload, under the id its job will have.
    job_id = new_id()
    key = upload_key(project_id, job_id)
    with file.open("rb") as source, runtime.blobs.open_writer(key) as out:
        shutil.copyfileobj(source, out, CHUNK)
    try:
        with transaction(runtime.session_factory) as session:
            service.start_import(
                session, project_id, user_id=user_id, publish=publish, upload_key=key, job_id=job_id
            )
    except BaseException:
        runtime.blobs.delete(key)
        raise
    try:
        job = _run_here(runtime, job_id, f"Importing into {project_name}")
    except typer.Exit:
        runtime.blobs.delete(key)  # the job was stopped before it could drop its upload
        raise
    _print_import_log(service.import_log(job), job.error)
    if job.status != queue.COMPLETED:
        _fail(f"the import failed: {job.error or 'no reason recorded'}", 1)


def _default_importer(session: Session, project_id: str) -> str:
    people = [u for u in workspaces.users(session, project_id) if u.role in IMPORTER_ROLES]
    people.sort(key=lambda u: IMPORTER_ROLES.index(u.role))
    if not people:
        _fail("the project has no owner or administrator: give --import-by USER_ID.")
    return people[0].id


def _import_remote(remote: _Remote, file: Path, import_by: str | None, publish: bool) -> None:
    user_id = import_by or remote.default_importer()
    size = file.stat().st_size
    with err.status(f"Uploading {file.name} ({_human_size(size)})"), file.open("rb") as source:
        started = remote.call(
            "POST",
            "v2/Project/Import",
            files={"file": (file.name, source, "application/zip")},
            data={"publish_article": "true" if publish else "false", "import_by": user_id},
            timeout=httpx.Timeout(600.0, connect=10.0),
        )
    import_id = started.get("id")
    if not import_id:
        _fail(f"{remote.base} did not return an import id.", 1)
    status = remote.poll(f"v2/Project/Import/{import_id}", "Importing")
    log = status.get("import_documentation_log")
    errors = [
        str(m.get("message"))
        for m in (log or {}).get("messages", [])
        if m.get("message_type") == queue.MESSAGE_ERROR
    ]
    reason = errors[-1] if errors else None
    _print_import_log(log, reason if status.get("status") == "Error" else None)
    if status.get("status") != "Completed":
        _fail(f"the import failed: {reason or 'no reason given by the server'}", 1)


# --------------------------------------------------------------------------- mirror


@app.command("mirror")
def mirror_command(
    source: Annotated[
        str,
        typer.Option(
            "--from", help="Base URL of the source's v2 API, e.g. https://apihub.document360.io."
        ),
    ],
    token: Annotated[
        str,
        typer.Option("--token", envvar="LOREBASE_MIRROR_TOKEN", help="API token of the source."),
    ],
    project_versions: Annotated[
        list[str] | None,
        typer.Option(
            "--project-version", help="Workspace id or slug to mirror (repeat; default: all)."
        ),
    ] = None,
    languages: Annotated[
        str | None,
        typer.Option(
            "--languages", help="Language codes to mirror, comma-separated (default: all)."
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="Also read again what the source modified at or after this date, even if it "
            "looks copied.",
        ),
    ] = None,
    prune: Annotated[
        bool, typer.Option("--prune", help="Delete what the source no longer has.")
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Read the trees, print counts and the time it would take."),
    ] = False,
    rate: Annotated[
        str,
        typer.Option(
            "--rate",
            help="The source's request budget until it says otherwise (Document360: 100/minute).",
        ),
    ] = "100/minute",
    copy_settings: Annotated[
        bool,
        typer.Option(
            "--settings/--no-settings",
            help="Read tags, SEO fields and related articles (one more request per item language).",
        ),
    ] = True,
    project: ProjectOption = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Copy a live Document360 project into Lorebase through its API, keeping its ids.

    Resumable (run it again after an interruption) and incremental (a later run reads only what
    changed at the source)."""
    from lorebase.mirror.client import RateBudget, SourceError
    from lorebase.mirror.run import NOT_COPIED, Mirror, MirrorOptions
    from lorebase.mirror.writer import WriteRefused

    try:
        budget = RateBudget.parse(rate)
    except ValueError as exc:
        _fail(f"--rate: {exc}.")
    options = MirrorOptions(
        source_url=source,
        token=token,
        rate=budget,
        workspaces=tuple(project_versions or ()),
        languages=tuple(c.strip() for c in (languages or "").split(",") if c.strip()),
        since=_aware(_parse_when("--since", since)),
        prune=prune,
        settings=copy_settings,
    )
    out = _stdout()
    with _local_runtime(data_dir, database_url) as runtime:
        with transaction(runtime.session_factory) as session:
            try:
                project_id = workspaces.find_project(session, project).id
            except KbError as error:
                _fail(error.message)
        mirror = Mirror(
            options,
            runtime.session_factory,
            project_id,
            runtime.blobs,
            runtime.settings.public_base_url,
        )
        try:
            with err.status(f"Reading the trees of {escape(mirror.source_url)}"):
                plan = mirror.plan()
            eta = mirror.eta()
            _print_summary(
                out,
                [
                    ("Source", mirror.source_url),
                    ("Last watermark", plan.watermark.isoformat() if plan.watermark else "-"),
                    ("Workspaces", ", ".join(w.workspace.slug for w in plan.workspaces)),
                    ("Categories", plan.categories),
                    ("Articles", f"{plan.articles} ({plan.article_languages} article languages)"),
                    ("Team members", len(plan.team)),
                    ("Drive files", len(plan.files)),
                    ("Unchanged", plan.unchanged),
                    (
                        "To copy",
                        f"{len(plan.tasks)} item languages, {plan.task_requests} requests "
                        f"(the plan took {plan.plan_requests})",
                    ),
                    ("Gone at source", len(plan.deleted)),
                    ("Estimated time", _duration(eta)),
                ],
            )
            if dry_run:
                return
            with Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("ETA {task.fields[eta]}"),
                console=err,
            ) as progress:
                bar = progress.add_task("Mirroring", total=len(plan.tasks), eta=_duration(eta))

                def advance(item: object, done: int, total: int) -> None:
                    progress.update(bar, completed=done, eta=_duration(mirror.eta()))

                report = mirror.run(plan, advance)
        except SourceError as error:
            _fail(error.message, 1)
        except WriteRefused as error:
            _fail(str(error), 1)
        except KeyboardInterrupt:
            err.print("Interrupted: what was copied is kept; run the same command to continue.")
            raise typer.Exit(130) from None
        finally:
            mirror.close()
    requests = sum(report.requests.values())
    per_language = requests / report.articles if report.articles else 0.0
    _print_summary(
        out,
        [
            ("Copied", f"{report.articles} article languages, {report.categories} category "
             f"languages, {report.files} Drive files, {report.team} team members"),
            ("Vanished", len(report.vanished)),
            ("Deleted", f"{len(report.deleted)}" + (f" ({report.pruned} removed)" if prune else
                        " (kept; --prune removes them)" if report.deleted else "")),
            ("Requests", f"{requests} ({per_language:.2f} per article language copied), "
             f"{report.refused} refused (429), {report.retried} retried"),
            ("Time", f"{_duration(report.seconds)} (rate limit: {_duration(report.lower_bound)})"),
            ("Watermark", report.watermark.isoformat() if report.watermark else "-"),
        ],
    )  # fmt: skip
    for key in report.deleted:
        out.print(f"deleted at the source: {key[0]} {key[1]} ({key[2]})", markup=False)
    for url in report.files_missing:
        out.print(f"media not downloadable: {url}", markup=False)
    for (kind, name), count in sorted(report.merge_codes.items()):
        out.print(f"unresolved merge code: {{{{{kind}.{name}}}}} ({count}x)", markup=False)
    for what in NOT_COPIED:
        out.print(f"not copied: {what}", markup=False)


def _aware(when: datetime | None) -> datetime | None:
    """A date without a time zone is UTC, as the source's times are."""
    return when.replace(tzinfo=UTC) if when is not None and when.tzinfo is None else when


def _duration(exact: float) -> str:
    seconds = round(exact)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def main() -> None:
    app()


if __name__ == "__main__":
    main()
