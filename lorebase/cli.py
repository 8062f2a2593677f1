"""The `lorebase` command: serve, migrate, token, user, demo."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.table import Table

from lorebase.auth import tokens
from lorebase.bootstrap import ensure_project
from lorebase.db.engine import make_engine, make_session_factory, migrate, transaction
from lorebase.kb import workspaces
from lorebase.kb.errors import KbError
from lorebase.settings import Settings

app = typer.Typer(no_args_is_help=True, help="Lorebase: a self-hosted Document360-compatible KB.")
token_app = typer.Typer(no_args_is_help=True, help="Manage API tokens.")
user_app = typer.Typer(no_args_is_help=True, help="Manage team accounts.")
app.add_typer(token_app, name="token")
app.add_typer(user_app, name="user")
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


def _prepare(settings: Settings) -> tuple[str, object]:
    """Migrate the database and create the starter project if the database is empty."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.resolved_database_url()
    migrate(url)
    factory = make_session_factory(make_engine(url, pooled=False))
    with transaction(factory) as session:
        first = ensure_project(session)
    return url, first


def _fail(message: str) -> None:
    err.print(f"[red]error:[/red] {message}")
    raise typer.Exit(2)


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
) -> None:
    """Start the API server (migrations are applied first)."""
    settings = _settings(data_dir, database_url, host=host, port=port, workers=workers)
    _, first = _prepare(settings)
    if first is not None:
        err.print("[bold green]Created a new project with workspace v1 (English).[/bold green]")
        err.print("Admin API token (shown once, keep it safe):")
        print(first.admin_token, flush=True)  # type: ignore[attr-defined]
    for key, value in (
        ("LOREBASE_DATA_DIR", str(settings.data_dir)),
        ("LOREBASE_DATABASE_URL", settings.database_url),
        ("LOREBASE_WORKERS", str(settings.workers)),
    ):
        if value:
            os.environ[key] = value
    err.print(f"Lorebase listening on http://{settings.host}:{settings.port}")
    uvicorn.run(
        "lorebase.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        timeout_keep_alive=5,
    )


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
    url, _ = _prepare(settings)
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
    _, first = _prepare(_settings(data_dir, database_url))
    if first is not None:
        err.print("Created a new project. Admin API token (shown once):")
        print(first.admin_token)  # type: ignore[attr-defined]


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
    url, _ = _prepare(_settings(data_dir, database_url))
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
    url, _ = _prepare(_settings(data_dir, database_url))
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
    url, _ = _prepare(_settings(data_dir, database_url))
    factory = make_session_factory(make_engine(url, pooled=False))
    try:
        with transaction(factory) as session:
            revoked = tokens.revoke_token(session, token)
            err.print(f"Revoked token {revoked.name} ({revoked.id}).")
    except KbError as error:
        _fail(error.message)


@user_app.command("create")
def user_create(
    email: Annotated[str, typer.Option("--email")],
    first_name: Annotated[str, typer.Option("--first-name")],
    last_name: Annotated[str, typer.Option("--last-name")] = "",
    role: Annotated[int, typer.Option(help="1 admin, 2 editor, 3 draft writer, 4 reader")] = 2,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Add a team account; prints its id (use it as user_id in write requests)."""
    url, _ = _prepare(_settings(data_dir, database_url))
    factory = make_session_factory(make_engine(url, pooled=False))
    try:
        with transaction(factory) as session:
            project = workspaces.default_project(session)
            assert project is not None
            user = workspaces.create_user(
                session,
                project.id,
                email=email,
                first_name=first_name,
                last_name=last_name,
                role=role,
            )
    except KbError as error:
        _fail(error.message)
    print(user.id)


@user_app.command("list")
def user_list(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """List team accounts."""
    url, _ = _prepare(_settings(data_dir, database_url))
    factory = make_session_factory(make_engine(url, pooled=False))
    with transaction(factory) as session:
        table = Table("id", "name", "email", "role")
        for u in workspaces.users(session, workspaces.default_project(session).id):  # type: ignore[union-attr]
            table.add_row(
                u.id,
                f"{u.first_name} {u.last_name}".strip(),
                u.email,
                workspaces.ROLE_NAMES.get(u.role, str(u.role)),
            )
    Console().print(table)


@app.command()
def demo(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Load a small sample knowledge base (two languages, drafts and published revisions)."""
    from lorebase.demo import load_demo

    url, _ = _prepare(_settings(data_dir, database_url))
    factory = make_session_factory(make_engine(url, pooled=False))
    with transaction(factory) as session:
        project = workspaces.default_project(session)
        assert project is not None
        summary = load_demo(session, project.id)
    err.print(f"[green]Loaded the demo:[/green] {summary}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
