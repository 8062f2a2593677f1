"""The command-line contract scripts rely on: what each command prints and exits with."""

from __future__ import annotations

import os
from pathlib import Path

from tests.e2e.test_live_server import run_cli


def env_for(database_url: str) -> dict[str, str]:
    return {**os.environ, "LOREBASE_DATABASE_URL": database_url}


def test_token_create_prints_only_the_token(tmp_path: Path, database_url: str) -> None:
    result = run_cli(
        "token",
        "create",
        "--data-dir",
        str(tmp_path),
        "--name",
        "deploy",
        env=env_for(database_url),
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    # First use of an empty database bootstraps it; stdout still carries one token only.
    assert len(lines) == 1 and lines[0].startswith("lb_")


def test_token_create_rejects_unknown_methods(tmp_path: Path, database_url: str) -> None:
    result = run_cli(
        "token",
        "create",
        "--data-dir",
        str(tmp_path),
        "--name",
        "x",
        "--methods",
        "GET,PATCH",
        env=env_for(database_url),
    )
    assert result.returncode == 2
    assert "PATCH" in result.stderr and result.stdout == ""


def test_token_list_shows_names_and_never_values(tmp_path: Path, database_url: str) -> None:
    env = env_for(database_url)
    secret = run_cli(
        "token", "create", "--data-dir", str(tmp_path), "--name", "reporting", env=env
    ).stdout.strip()
    listed = run_cli("token", "list", "--data-dir", str(tmp_path), env=env)
    assert listed.returncode == 0
    assert "reporting" in listed.stdout and secret not in listed.stdout


def test_user_create_prints_an_id_usable_as_user_id(tmp_path: Path, database_url: str) -> None:
    env = env_for(database_url)
    created = run_cli(
        "user",
        "create",
        "--data-dir",
        str(tmp_path),
        "--email",
        "ann@example.com",
        "--first-name",
        "Ann",
        env=env,
    )
    assert created.returncode == 0, created.stderr
    user_id = created.stdout.strip()
    listed = run_cli("user", "list", "--data-dir", str(tmp_path), env=env)
    assert user_id in listed.stdout and "ann@example.com" in listed.stdout
    duplicate = run_cli(
        "user",
        "create",
        "--data-dir",
        str(tmp_path),
        "--email",
        "ann@example.com",
        "--first-name",
        "Ann",
        env=env,
    )
    assert duplicate.returncode == 2 and "already exists" in duplicate.stderr


def test_demo_loads_a_two_language_knowledge_base(tmp_path: Path, database_url: str) -> None:
    result = run_cli("demo", "--data-dir", str(tmp_path), env=env_for(database_url))
    assert result.returncode == 0, result.stderr
    assert "Loaded the demo" in result.stderr


def test_project_privacy_switches_the_setting(tmp_path: Path, database_url: str) -> None:
    from sqlalchemy import select

    from lorebase.db.engine import make_engine, make_session_factory, transaction
    from lorebase.db.models import Project

    env = env_for(database_url)
    made = run_cli("project", "privacy", "private", "--data-dir", str(tmp_path), env=env)
    assert made.returncode == 0, made.stderr
    assert "is now private" in made.stderr
    factory = make_session_factory(make_engine(database_url, pooled=False))
    with transaction(factory) as session:
        assert session.scalars(select(Project.is_private)).one() is True
    wrong = run_cli("project", "privacy", "secret", "--data-dir", str(tmp_path), env=env)
    assert wrong.returncode == 2 and "private" in wrong.stderr
