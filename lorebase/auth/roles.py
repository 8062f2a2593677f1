"""Document360's portal roles and the one table of what each may do in the browser."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Role(IntEnum):
    """The values are Document360's `UserAccess` numbers, as /v2/Teams reports them."""

    ADMIN = 1
    EDITOR = 2
    DRAFT_WRITER = 3
    READER = 4
    OWNER = 7

    @property
    def slug(self) -> str:
        return self.name.lower().replace("_", "-")

    @property
    def title(self) -> str:
        return {7: "Owner", 1: "Administrator", 2: "Editor", 3: "Draft writer", 4: "Reader"}[
            self.value
        ]

    @classmethod
    def from_name(cls, text: str) -> Role:
        """A role from its slug, its title or its number ("draft-writer", "Editor", "2")."""
        wanted = text.strip().lower().replace(" ", "-").replace("_", "-")
        aliases = {"administrator": "admin"}
        wanted = aliases.get(wanted, wanted)
        for role in cls:
            if wanted in (role.slug, str(role.value)):
                return role
        names = ", ".join(role.slug for role in cls)
        raise ValueError(f"Unknown role {text!r}; use one of {names}.")


class Permission(StrEnum):
    READ_SITE = "read the knowledge base, private ones included"
    ENTER_PORTAL = "open the authoring portal"
    WRITE_DRAFTS = "write drafts"
    PUBLISH = "publish and unpublish"
    ORGANISE = "create, move and delete categories"
    MANAGE_MERGE_CODES = "manage variables, snippets and the glossary"
    MANAGE_TEAM = "manage team accounts and their roles"
    MANAGE_OWNERS = "make and unmake owners"
    MANAGE_TOKENS = "manage API tokens"
    MANAGE_PROJECT = "change project settings, import and export"


_AUTHOR = {Permission.READ_SITE, Permission.ENTER_PORTAL, Permission.WRITE_DRAFTS}
_EDITOR = _AUTHOR | {Permission.PUBLISH, Permission.ORGANISE, Permission.MANAGE_MERGE_CODES}
_ADMIN = _EDITOR | {Permission.MANAGE_TEAM, Permission.MANAGE_TOKENS, Permission.MANAGE_PROJECT}

# Document360's roles: a draft writer writes but cannot publish or reorganise; an editor
# publishes; an administrator runs the project; only an owner hands out ownership.
PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: frozenset(_ADMIN | {Permission.MANAGE_OWNERS}),
    Role.ADMIN: frozenset(_ADMIN),
    Role.EDITOR: frozenset(_EDITOR),
    Role.DRAFT_WRITER: frozenset(_AUTHOR),
    Role.READER: frozenset({Permission.READ_SITE}),
}


def allows(role: int, permission: Permission) -> bool:
    try:
        return permission in PERMISSIONS[Role(role)]
    except ValueError:
        return False
