"""Projects, workspaces (project versions), their languages and team accounts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, bindparam, func, select, update
from sqlalchemy.orm import Session

from lorebase.db.models import Article, Category, Language, Project, ProjectVersion, User
from lorebase.kb.errors import Invalid, NotFound
from lorebase.kb.slugs import slugify

OWNER_ROLE = 7
ROLE_NAMES = {1: "Administrator", 2: "Editor", 3: "Draft writer", 4: "Reader", 7: "Owner"}


@dataclass(frozen=True)
class WorkspaceScope:
    """A workspace the caller may touch, with its languages resolved once per request."""

    workspace: ProjectVersion
    languages: list[Language]

    @property
    def id(self) -> str:
        return self.workspace.id

    @property
    def default_language(self) -> str:
        for language in self.languages:
            if language.is_default:
                return language.code
        return self.languages[0].code if self.languages else "en"

    def language(self, code: str | None) -> str:
        """The enabled language matching `code` (case-insensitive); default when empty."""
        if not code:
            return self.default_language
        wanted = code.lower()
        for language in self.languages:
            if language.code.lower() == wanted:
                return language.code
        raise Invalid("Language code not found")

    def has_language(self, code: str) -> bool:
        return any(language.code.lower() == code.lower() for language in self.languages)


def workspaces(session: Session, project_id: str) -> list[ProjectVersion]:
    return list(
        session.scalars(
            select(ProjectVersion)
            .where(ProjectVersion.project_id == project_id)
            .order_by(ProjectVersion.position, ProjectVersion.created_at)
        )
    )


def languages_of(session: Session, workspace_ids: list[str]) -> dict[str, list[Language]]:
    found: dict[str, list[Language]] = {wid: [] for wid in workspace_ids}
    if not workspace_ids:
        return found
    rows = session.scalars(
        select(Language)
        .where(Language.project_version_id.in_(workspace_ids))
        .order_by(Language.is_default.desc(), Language.code)
    )
    for language in rows:
        found[language.project_version_id].append(language)
    return found


_WORKSPACE_LANGUAGES = (
    select(Language)
    .where(Language.project_version_id == bindparam("workspace_id"))
    .order_by(Language.is_default.desc(), Language.code)
)


def scope_of(session: Session, workspace: ProjectVersion) -> WorkspaceScope:
    languages = session.scalars(_WORKSPACE_LANGUAGES, {"workspace_id": workspace.id})
    return WorkspaceScope(workspace, list(languages))


def find_workspace(session: Session, project_id: str, workspace_id: str) -> WorkspaceScope | None:
    workspace = session.get(ProjectVersion, workspace_id)
    if workspace is None or workspace.project_id != project_id:
        return None
    return scope_of(session, workspace)


def get_workspace(
    session: Session, project_id: str, workspace_id: str, message: str
) -> WorkspaceScope:
    scope = find_workspace(session, project_id, workspace_id)
    if scope is None:
        raise NotFound(message)
    return scope


def workspace_named(session: Session, project_id: str, slug_or_id: str) -> ProjectVersion:
    """The project's workspace with this id or slug (as an operator types it on the CLI)."""
    found = session.scalars(
        select(ProjectVersion)
        .where(
            ProjectVersion.project_id == project_id,
            (ProjectVersion.id == slug_or_id) | (ProjectVersion.slug == slug_or_id),
        )
        # An id beats a slug that happens to spell another workspace's id.
        .order_by((ProjectVersion.id == slug_or_id).desc(), ProjectVersion.position)
    ).first()
    if found is None:
        raise NotFound(f"No workspace with the id or slug {slug_or_id!r} in this project.")
    return found


def touch(session: Session, workspace_id: str) -> None:
    """Record that the workspace's content changed (invalidates cached trees everywhere).

    The UPDATE also holds the workspace's row until commit, and every writer of a workspace
    touches it first, before it reads what it will decide on (`articles.locate_for_write`,
    `categories.locate_for_write`, the creators, merge codes, imports into an existing
    workspace). So on PostgreSQL the writers of one workspace go one after the other, as
    SQLite's do anyway: a slug, a merge-code name or the next position is chosen knowing
    what the previous writer chose, and rows are always taken in one order — the workspace,
    then its items — so two writers never wait for each other (no deadlock)."""
    _bump(session, ProjectVersion.id == workspace_id)


def touch_holding(
    session: Session, project_id: str, model: type[Article] | type[Category], item_id: str
) -> None:
    """`touch` the workspace of an item (`model` row `item_id`), found in the same statement.

    A writer of an existing item takes the workspace this way, before it loads the item: on
    PostgreSQL a writer that loaded the item first and then waited for the workspace would
    decide on what it read before the previous writer committed (an item that writer had just
    deleted was updated anyway: StaleDataError, a 500). An unknown item, or one of another
    project, touches nothing; the caller's lookup then answers not found."""
    item_workspace = (
        select(model.project_version_id).where(model.id == item_id).correlate(None)
    ).scalar_subquery()
    _bump(session, ProjectVersion.id == item_workspace, ProjectVersion.project_id == project_id)


def _bump(session: Session, *where: ColumnElement[bool]) -> None:
    session.execute(
        update(ProjectVersion).where(*where).values(content_stamp=ProjectVersion.content_stamp + 1)
    )


def create_project(
    session: Session, name: str, *, workspace_name: str = "v1", language: str = "en"
) -> Project:
    project = Project(name=name)
    session.add(project)
    session.flush()
    workspace = ProjectVersion(
        project_id=project.id,
        version_code_name=workspace_name,
        slug=slugify(workspace_name),
        is_main_version=True,
    )
    session.add(workspace)
    session.flush()
    add_language(session, workspace.id, language, is_default=True)
    return project


LANGUAGE_NAMES = {
    "en": "English",
    "fr": "French",
    "de": "German",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "ja": "Japanese",
    "zh": "Chinese",
    "ar": "Arabic",
    "he": "Hebrew",
}
RTL_LANGUAGES = {"ar", "he", "fa", "ur"}


def add_language(
    session: Session, workspace_id: str, code: str, *, is_default: bool = False
) -> Language:
    base = code.split("-")[0].lower()
    name = LANGUAGE_NAMES.get(base, code)
    language = Language(
        project_version_id=workspace_id,
        code=code,
        name=name,
        display_name=name,
        country_flag_code=code.split("-")[-1].lower() if "-" in code else base,
        is_default=is_default,
        enable_rtl=base in RTL_LANGUAGES,
    )
    session.add(language)
    touch(session, workspace_id)
    session.flush()
    return language


def users(session: Session, project_id: str) -> list[User]:
    return list(
        session.scalars(
            select(User).where(User.project_id == project_id).order_by(User.created_at, User.email)
        )
    )


def find_user(session: Session, project_id: str, user_id: str | None) -> User | None:
    if not user_id:
        return None
    user = session.get(User, user_id)
    if user is None or user.project_id != project_id:
        return None
    return user


def require_user(session: Session, project_id: str, user_id: str | None) -> User:
    """Write routes name the acting team account; it must belong to the project."""
    user = find_user(session, project_id, user_id)
    if user is None:
        raise Invalid(f"The user with id '{user_id}' does not exist in your project.")
    return user


def create_user(
    session: Session,
    project_id: str,
    *,
    email: str,
    first_name: str,
    last_name: str = "",
    role: int = 2,
) -> User:
    if role not in ROLE_NAMES:
        raise Invalid(f"Unknown role {role}; use one of {sorted(ROLE_NAMES)}.")
    email = email.strip()
    # People sign in with their email in whatever case they type it: one account per address.
    taken = session.scalar(
        select(User.id).where(
            User.project_id == project_id, func.lower(User.email) == email.lower()
        )
    )
    if taken:
        raise Invalid(f"A team account with the email {email} already exists.")
    user = User(
        project_id=project_id,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
        unique_user_name=slugify(f"{first_name} {last_name}".strip() or email),
    )
    session.add(user)
    session.flush()
    return user


def default_project(session: Session) -> Project | None:
    return session.scalars(select(Project).order_by(Project.created_at)).first()


def find_project(session: Session, project_id: str | None) -> Project:
    """The named project, or the first one when no id is given."""
    project = session.get(Project, project_id) if project_id else default_project(session)
    if project is None:
        raise NotFound(f"No project with id {project_id}.")
    return project


def set_privacy(session: Session, project_id: str | None, private: bool) -> Project:
    """Private projects hand out media only through signed, expiring URLs (formats.md §5)."""
    project = find_project(session, project_id)
    project.is_private = private
    return project


_ARTICLE_STAMP = (
    select(ProjectVersion.id, ProjectVersion.content_stamp)
    .join(Article, Article.project_version_id == ProjectVersion.id)
    .where(Article.id == bindparam("item_id"), ProjectVersion.project_id == bindparam("project_id"))
)
_CATEGORY_STAMP = (
    select(ProjectVersion.id, ProjectVersion.content_stamp)
    .join(Category, Category.project_version_id == ProjectVersion.id)
    .where(
        Category.id == bindparam("item_id"), ProjectVersion.project_id == bindparam("project_id")
    )
)
_WORKSPACE_STAMP = select(ProjectVersion.id, ProjectVersion.content_stamp).where(
    ProjectVersion.id == bindparam("item_id"), ProjectVersion.project_id == bindparam("project_id")
)
STAMP_QUERIES = {
    "article": _ARTICLE_STAMP,
    "category": _CATEGORY_STAMP,
    "workspace": _WORKSPACE_STAMP,
}


def item_stamp(session: Session, project_id: str, kind: str, item_id: str) -> int | None:
    """Content stamp of the workspace holding an article, category or workspace of the
    project; None when there is no such item in the project."""
    found = item_workspace(session, project_id, kind, item_id)
    return None if found is None else found[1]


def item_workspace(
    session: Session, project_id: str, kind: str, item_id: str
) -> tuple[str, int] | None:
    """The id and content stamp of the workspace holding an article, category or workspace
    of the project; None when there is no such item in the project."""
    row = session.execute(
        STAMP_QUERIES[kind], {"item_id": item_id, "project_id": project_id}
    ).first()
    return None if row is None else (row.id, int(row.content_stamp))
