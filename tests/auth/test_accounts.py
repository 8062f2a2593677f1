"""Password rules and hashing, roles, and reader groups."""

from __future__ import annotations

import pytest

from lorebase.auth import readers
from lorebase.auth.passwords import (
    MAX_LENGTH,
    MEMORY_KIB,
    TIME_COST,
    check_new_password,
    hash_password,
    verify_password,
)
from lorebase.auth.roles import PERMISSIONS, Permission, Role, allows
from lorebase.kb import workspaces
from lorebase.kb.errors import Invalid, NotFound
from lorebase.settings import Settings
from tests.conftest import Project


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short", "at least 12 characters"),
        ("123qweasdzxc", "most common"),
        ("password12345", "too easy to guess"),
        ("aaaaaaaaaaaaaaaa", "too easy to guess"),
        ("owner@lorebase.local", "too easy to guess"),
        ("x" * (MAX_LENGTH + 1), "at most"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(password: str, reason: str) -> None:
    with pytest.raises(Invalid, match=reason):
        check_new_password(password, email="owner@lorebase.local", name="Owner")


@pytest.mark.parametrize(
    "password", ["correct horse battery staple", "Tr0ub4dor&3xyz!", "Überraschung über grüne Äpfel"]
)
def test_reasonable_passwords_are_accepted(password: str) -> None:
    check_new_password(password, email="ada@example.com", name="Ada")


def test_hashes_are_argon2id_with_the_chosen_parameters_and_verify() -> None:
    stored = hash_password("correct horse battery staple")
    assert stored.startswith("$argon2id$") and f"m={MEMORY_KIB},t={TIME_COST}" in stored
    assert verify_password("correct horse battery staple", stored) == (True, None)
    assert verify_password("Correct horse battery staple", stored) == (False, None)
    assert verify_password("anything", None) == (False, None)
    assert verify_password("anything", "not a hash at all") == (False, None)


def test_the_permission_table_follows_document360s_roles() -> None:
    assert PERMISSIONS[Role.OWNER] > PERMISSIONS[Role.ADMIN] > PERMISSIONS[Role.EDITOR]
    assert PERMISSIONS[Role.EDITOR] > PERMISSIONS[Role.DRAFT_WRITER] > PERMISSIONS[Role.READER]
    assert allows(Role.EDITOR, Permission.PUBLISH)
    assert not allows(Role.DRAFT_WRITER, Permission.PUBLISH)
    assert not allows(Role.ADMIN, Permission.MANAGE_OWNERS)
    assert PERMISSIONS[Role.READER] == {Permission.READ_SITE}
    assert not allows(99, Permission.READ_SITE)


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("owner", Role.OWNER),
        ("Administrator", Role.ADMIN),
        ("draft writer", Role.DRAFT_WRITER),
        ("draft_writer", Role.DRAFT_WRITER),
        ("4", Role.READER),
        ("2", Role.EDITOR),
    ],
)
def test_roles_are_named_as_people_write_them(text: str, role: Role) -> None:
    assert Role.from_name(text) is role


def test_an_unknown_role_name_says_which_exist() -> None:
    with pytest.raises(ValueError, match="draft-writer"):
        Role.from_name("wizard")
    with pytest.raises(ValueError, match="Unknown role"):
        Settings(oidc_default_role="wizard")


def test_reader_groups_narrow_a_reader_to_their_workspaces(project: Project) -> None:
    with project.session() as session:
        reader = workspaces.create_user(
            session, project.project_id, email="r@example.com", first_name="R", role=4
        )
        editor = workspaces.create_user(
            session, project.project_id, email="e@example.com", first_name="E", role=2
        )
        assert readers.readable_workspaces(session, reader.id, Role.READER) is None
        group = readers.create_group(
            session, project.project_id, "Partners", [project.workspace_id]
        )
        readers.add_member(session, group, reader)
        readers.add_member(session, group, reader)
        assert readers.readable_workspaces(session, reader.id, Role.READER) == {
            project.workspace_id
        }
        assert readers.readable_workspaces(session, editor.id, Role.EDITOR) is None
        with pytest.raises(Invalid, match="already exists"):
            readers.create_group(session, project.project_id, "Partners", [project.workspace_id])
        with pytest.raises(NotFound, match="No workspace"):
            readers.create_group(session, project.project_id, "Other", ["nope"])
        with pytest.raises(Invalid, match="at least one workspace"):
            readers.create_group(session, project.project_id, "Empty", [])


def test_settings_refuse_half_configured_single_sign_on() -> None:
    with pytest.raises(ValueError, match="LOREBASE_OIDC_CLIENT_ID"):
        Settings(oidc_issuer="https://id.example.com")
    with pytest.raises(ValueError, match="5/15 minutes"):
        Settings(signin_attempts_per_account="often")
