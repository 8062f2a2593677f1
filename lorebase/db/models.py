"""SQLAlchemy models for everything a knowledge base holds.

Articles and page/index categories keep one row per language (`*Translation`) with the
denormalised state that list routes need (title, public and latest revision numbers), and one
row per revision (`*Revision`) with the bodies. Lists never touch revision bodies.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC: SQLite has no time zones and PostgreSQL's
    `timestamp without time zone` keeps comparisons simple on both."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


IdColumn = String(64)


class Project(Base):
    __tablename__ = "projects"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    # Private projects get signed, expiring media URLs (Document360's SAS tokens).
    is_private: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    """A team account: write routes name one in `user_id` / `updated_by`."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("project_id", "email"),
        UniqueConstraint("sso_subject", name="uq_users_sso_subject"),
    )

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str] = mapped_column(String(320))
    # Document360's UserAccess: 1 administrator, 2 editor, 3 draft writer, 4 reader, 7 owner.
    role: Mapped[int] = mapped_column(Integer, default=2)
    unique_user_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    # Argon2id in PHC string form; None: the account signs in only by link or single sign-on.
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    password_changed_at: Mapped[datetime | None] = mapped_column(default=None)
    # A disabled account keeps its content attribution but cannot sign in; its sessions end.
    disabled_at: Mapped[datetime | None] = mapped_column(default=None)
    # `issuer|sub` of the single sign-on identity this account was matched to, once.
    sso_subject: Mapped[str | None] = mapped_column(String(400), default=None)


class BrowserSession(Base):
    """A signed-in browser. The cookie carries a random id; only its SHA-256 is stored, so a
    copy of the database hands out no sessions."""

    __tablename__ = "browser_sessions"
    __table_args__ = (
        Index("ix_browser_sessions_user", "user_id"),
        # The purge of ended sessions (at each sign-in) finds them by index, not by a scan.
        Index("ix_browser_sessions_expires", "expires_at"),
        Index("ix_browser_sessions_last_seen", "last_seen_at"),
    )

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The absolute end; the idle end is last_seen_at + the idle timeout of the settings.
    expires_at: Mapped[datetime] = mapped_column()
    # How the browser signed in: password, link or sso.
    method: Mapped[str] = mapped_column(String(20))
    client_address: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")


class SignInLink(Base):
    """A one-time sign-in link (first start, a forgotten password); only its hash is stored."""

    __tablename__ = "sign_in_links"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class ReaderGroup(Base):
    """Readers who may read some workspaces of a private project (Document360's reader groups).
    A reader in no group reads the whole project."""

    __tablename__ = "reader_groups"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReaderGroupWorkspace(Base):
    __tablename__ = "reader_group_workspaces"

    group_id: Mapped[str] = mapped_column(
        ForeignKey("reader_groups.id", ondelete="CASCADE"), primary_key=True
    )
    project_version_id: Mapped[str] = mapped_column(
        ForeignKey("project_versions.id", ondelete="CASCADE"), primary_key=True
    )


class ReaderGroupMember(Base):
    __tablename__ = "reader_group_members"
    __table_args__ = (Index("ix_reader_group_members_user", "user_id"),)

    group_id: Mapped[str] = mapped_column(
        ForeignKey("reader_groups.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    # SHA-256 of the token: tokens are long random strings, so a fast hash is enough and
    # lets us look the token up by index.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    methods: Mapped[str] = mapped_column(String(40), default="GET,POST,PUT,DELETE")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class ProjectVersion(Base):
    """A workspace (Document360 still calls it a project version in v2)."""

    __tablename__ = "project_versions"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    version_number: Mapped[float] = mapped_column(Float, default=1.0)
    base_version_number: Mapped[float] = mapped_column(Float, default=0.0)
    version_code_name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200))
    is_main_version: Mapped[bool] = mapped_column(Boolean, default=True)
    is_beta: Mapped[bool] = mapped_column(Boolean, default=False)
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)
    is_deprecated: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    version_type: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Bumped by every write to the workspace's content: cached tree responses are keyed on
    # it, so a cache on any node is invalidated by a write on any other node.
    content_stamp: Mapped[int] = mapped_column(Integer, default=0)


class Language(Base):
    __tablename__ = "languages"
    __table_args__ = (UniqueConstraint("project_version_id", "code"),)

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    project_version_id: Mapped[str] = mapped_column(
        ForeignKey("project_versions.id", ondelete="CASCADE")
    )
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    display_name: Mapped[str] = mapped_column(String(100), default="")
    country_flag_code: Mapped[str | None] = mapped_column(String(20), default=None)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    enable_rtl: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)


class Category(Base):
    __tablename__ = "categories"
    __table_args__ = (Index("ix_categories_pv_parent", "project_version_id", "parent_id"),)

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    project_version_id: Mapped[str] = mapped_column(
        ForeignKey("project_versions.id", ondelete="CASCADE")
    )
    parent_id: Mapped[str | None] = mapped_column(
        ForeignKey("categories.id", ondelete="CASCADE"), default=None
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    # CategoryType: 0 Folder, 1 Page, 2 Index.
    category_type: Mapped[int] = mapped_column(Integer, default=0)
    # ArticleContentType of the page body: 0 Markdown, 1 WYSIWYG, 2 Block; None for folders.
    content_type: Mapped[int | None] = mapped_column(Integer, default=None)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    icon: Mapped[str | None] = mapped_column(String(500), default=None)
    created_by: Mapped[str | None] = mapped_column(IdColumn, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(default=utcnow)


class CategoryTranslation(Base):
    __tablename__ = "category_translations"

    category_id: Mapped[str] = mapped_column(
        ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True
    )
    language_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(500))
    slug: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Revision numbers of the page body; both 0 for folders.
    public_version: Mapped[int] = mapped_column(Integer, default=0)
    latest_version: Mapped[int] = mapped_column(Integer, default=0)
    translation_option: Mapped[int] = mapped_column(Integer, default=0)
    modified_at: Mapped[datetime] = mapped_column(default=utcnow)


class CategoryRevision(Base):
    __tablename__ = "category_revisions"
    __table_args__ = (UniqueConstraint("category_id", "language_code", "version_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    category_id: Mapped[str] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"))
    language_code: Mapped[str] = mapped_column(String(20))
    version_number: Mapped[int] = mapped_column(Integer)
    base_version: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(500))
    content: Mapped[str | None] = mapped_column(Text, default=None)
    html_content: Mapped[str | None] = mapped_column(Text, default=None)
    block_content: Mapped[str | None] = mapped_column(Text, default=None)
    created_by: Mapped[str | None] = mapped_column(IdColumn, default=None)
    publish_message: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    # The body made ready to read (kb.page_bodies), kept while this revision is the published
    # one; deferred: only the reader site asks for it.
    ready_html: Mapped[str | None] = mapped_column(Text, default=None, deferred=True)
    ready_facts: Mapped[dict[str, Any] | None] = mapped_column(
        JSON(none_as_null=True), default=None, deferred=True
    )
    ready_renderer: Mapped[int | None] = mapped_column(Integer, default=None, deferred=True)


class Article(Base):
    __tablename__ = "articles"
    __table_args__ = (Index("ix_articles_pv_category", "project_version_id", "category_id"),)

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    project_version_id: Mapped[str] = mapped_column(
        ForeignKey("project_versions.id", ondelete="CASCADE")
    )
    category_id: Mapped[str | None] = mapped_column(
        ForeignKey("categories.id", ondelete="CASCADE"), default=None
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    content_type: Mapped[int | None] = mapped_column(Integer, default=0)
    article_type: Mapped[int | None] = mapped_column(Integer, default=0)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    is_shared: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str | None] = mapped_column(IdColumn, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(default=utcnow)


class ArticleTranslation(Base):
    __tablename__ = "article_translations"

    article_id: Mapped[str] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    language_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    # Title of the latest revision, kept here so lists never read revision bodies.
    title: Mapped[str] = mapped_column(String(500))
    slug: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text, default=None)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    public_version: Mapped[int] = mapped_column(Integer, default=0)
    latest_version: Mapped[int] = mapped_column(Integer, default=1)
    translation_option: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(default=utcnow)


class ArticleRevision(Base):
    __tablename__ = "article_revisions"
    __table_args__ = (UniqueConstraint("article_id", "language_code", "version_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[str] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    language_code: Mapped[str] = mapped_column(String(20))
    version_number: Mapped[int] = mapped_column(Integer)
    base_version: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(500))
    content: Mapped[str | None] = mapped_column(Text, default=None)
    html_content: Mapped[str | None] = mapped_column(Text, default=None)
    created_by: Mapped[str | None] = mapped_column(IdColumn, default=None)
    publish_message: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    # The body made ready to read (kb.page_bodies), kept while this revision is the published
    # one; deferred: only the reader site asks for it.
    ready_html: Mapped[str | None] = mapped_column(Text, default=None, deferred=True)
    ready_facts: Mapped[dict[str, Any] | None] = mapped_column(
        JSON(none_as_null=True), default=None, deferred=True
    )
    ready_renderer: Mapped[int | None] = mapped_column(Integer, default=None, deferred=True)


class WorkspaceChange(Base):
    """The change feed of a workspace's category tree: the category or article `item_id`
    changed (or went) in the write that took content stamp `stamp`.

    One row per item, moved up to the newest stamp by each write, so a reader that kept the
    tree at stamp S reads exactly the items to read again: `stamp > S`. Kind "workspace"
    (item_id: the workspace) means "build it all again" (bulk writes, languages). Written by
    `lorebase.kb.changes` in the writer's own transaction; read by `lorebase.kb.tree`.
    """

    __tablename__ = "workspace_changes"
    __table_args__ = (Index("ix_workspace_changes_stamp", "project_version_id", "stamp"),)

    project_version_id: Mapped[str] = mapped_column(
        ForeignKey("project_versions.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # category|article|workspace
    item_id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    stamp: Mapped[int] = mapped_column(Integer)


class MergeCodeEntry(Base):
    """A variable, snippet or glossary term of a workspace, global or for one language.

    One table for the three kinds: they share naming rules, scoping and lookup, and differ
    only in which of `value` / `definition` / `is_html` they use.
    """

    __tablename__ = "merge_codes"
    __table_args__ = (
        UniqueConstraint("project_version_id", "kind", "name", "language_code"),
        Index("ix_merge_codes_lookup", "project_version_id", "kind"),
    )

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    project_version_id: Mapped[str] = mapped_column(
        ForeignKey("project_versions.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(20))  # variable | snippet | glossary
    name: Mapped[str] = mapped_column(String(100))
    # "" means global (all languages): NULL would escape the unique constraint.
    language_code: Mapped[str] = mapped_column(String(20), default="")
    value: Mapped[str] = mapped_column(Text, default="")
    definition: Mapped[str] = mapped_column(Text, default="")
    is_html: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(default=utcnow)


class SearchEntry(Base):
    """The searchable text of one article language, as latest and as published revision.

    `title` and `body` are what readers see of it; `title_terms` and `terms` (title and body)
    are its index terms as lorebase.kb.search.analysis makes them, space-separated, in order.
    The database only looks terms up: on SQLite in an FTS5 table over the two term columns and
    `scope` (a term naming workspace, language and kind), on PostgreSQL in tsvector columns
    generated from them (migration 0006), so both find the same entries for the same terms
    and the ranking, done in Python, is the same.
    """

    __tablename__ = "search_entries"
    __table_args__ = (
        UniqueConstraint("article_id", "language_code", "kind"),
        Index("ix_search_entries_scope", "project_version_id", "language_code", "kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[str] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    project_version_id: Mapped[str] = mapped_column(IdColumn)
    language_code: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(10))  # latest | published
    version_number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(String(32), default="")
    title_terms: Mapped[str] = mapped_column(Text, default="")
    terms: Mapped[str] = mapped_column(Text, default="")
    term_count: Mapped[int] = mapped_column(Integer, default=0)


class VocabularyWord(Base):
    """The vocabulary of one workspace language: every word its search entries have held, as
    written (folded) and as indexed (its term), for typo tolerance: a query word is matched to
    the words within one or two edits of it, and looked up by their terms.

    Words are added, never removed: a word no entry holds any more matches nothing, and the
    vocabulary is tiny next to the entries. `id` only grows, so the highest one tells a cached
    copy of the vocabulary that it is stale.
    """

    __tablename__ = "search_vocabulary"
    __table_args__ = (
        UniqueConstraint("project_version_id", "language_code", "word"),
        Index("ix_search_vocabulary_scope", "project_version_id", "language_code", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_version_id: Mapped[str] = mapped_column(
        ForeignKey("project_versions.id", ondelete="CASCADE")
    )
    language_code: Mapped[str] = mapped_column(String(20))
    word: Mapped[str] = mapped_column(String(200))
    term: Mapped[str] = mapped_column(String(200))


class ArticleFeedback(Base):
    """A reader's answer to "Was this article helpful?" on one language of an article.

    Anonymous: no account, no address is kept. `comment` is plain text as the reader typed it
    (at most 1,000 characters, see lorebase.kb.feedback); it is never rendered as HTML.
    """

    __tablename__ = "article_feedback"
    __table_args__ = (
        Index("ix_article_feedback_article", "article_id", "created_at"),
        # The export of a workspace's feedback, and the cascade when a workspace is deleted.
        Index("ix_article_feedback_workspace", "project_version_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_version_id: Mapped[str] = mapped_column(
        ForeignKey("project_versions.id", ondelete="CASCADE")
    )
    article_id: Mapped[str] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    language_code: Mapped[str] = mapped_column(String(20))
    helpful: Mapped[bool] = mapped_column(Boolean)
    # One of lorebase.kb.feedback.FEEDBACK_REASONS' slugs; None when helpful or not given.
    reason: Mapped[str | None] = mapped_column(String(100), default=None)
    comment: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SearchMiss(Base):
    """How often readers searched a workspace language for `query` and found nothing.

    One row per folded query (see lorebase.kb.feedback.fold_query), counted up in place by
    INSERT … ON CONFLICT DO UPDATE, so concurrent searches never lose a count.
    """

    __tablename__ = "search_misses"

    project_version_id: Mapped[str] = mapped_column(
        ForeignKey("project_versions.id", ondelete="CASCADE"), primary_key=True
    )
    language_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    query: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=1)
    last_searched_at: Mapped[datetime] = mapped_column(default=utcnow)


class SlugHistory(Base):
    """A slug an article or category translation had before it was renamed: the reader site
    answers the old URL with a permanent redirect to the new one.

    No foreign key (the item is an article or a category, by `kind`): lookups join the item,
    so the rows of a deleted item are never followed.
    """

    __tablename__ = "slug_history"
    __table_args__ = (Index("ix_slug_history_slug", "language_code", "slug"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(10))  # "article" or "category"
    item_id: Mapped[str] = mapped_column(IdColumn)
    language_code: Mapped[str] = mapped_column(String(20))
    slug: Mapped[str] = mapped_column(String(500))  # lower-cased
    replaced_at: Mapped[datetime] = mapped_column(default=utcnow)


class Job(Base):
    """A durable background job (export, import): claimed by workers under a renewable lease.

    `status` uses the API's words: Queued, InProgress, Completed, Error. A worker owns a job
    while `lease_owner` names it and `lease_expires_at` is in the future; a job whose lease ran
    out is taken over by another worker (bounded by `max_attempts`). See `lorebase.jobs`.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_claim", "status", "lease_expires_at", "created_at"),
        Index("ix_jobs_project", "project_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(20), default="Queued")
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    # The job log: [{"type": 0 error | 1 warning | 2 info, "message": str}, ...]
    messages: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    lease_owner: Mapped[str | None] = mapped_column(String(200), default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    result_key: Mapped[str | None] = mapped_column(String(1000), default=None)
    # What the task reports besides its artifact (an import's counts, an export's summary).
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DriveFolder(Base):
    """A folder of the project's Drive (media library); `parent_id` None is a top folder."""

    __tablename__ = "drive_folders"
    __table_args__ = (Index("ix_drive_folders_project_parent", "project_id", "parent_id"),)

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    parent_id: Mapped[str | None] = mapped_column(
        ForeignKey("drive_folders.id", ondelete="CASCADE"), default=None
    )
    title: Mapped[str] = mapped_column(String(500))
    position: Mapped[int] = mapped_column(Integer, default=0)
    folder_color: Mapped[str | None] = mapped_column(String(7), default=None)
    icon: Mapped[str | None] = mapped_column(String(500), default=None)
    is_starred: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_by: Mapped[str | None] = mapped_column(IdColumn, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DriveFile(Base):
    """A media file: metadata here, the bytes in the blob store under `blob_key`.

    `content_type` is sniffed from the bytes at upload, never taken from the file name.
    """

    __tablename__ = "drive_files"
    __table_args__ = (
        Index("ix_drive_files_project_folder", "project_id", "folder_id"),
        Index("ix_drive_files_project_updated", "project_id", "updated_at"),
    )

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    folder_id: Mapped[str | None] = mapped_column(
        ForeignKey("drive_folders.id", ondelete="CASCADE"), default=None
    )
    file_name: Mapped[str] = mapped_column(String(500))
    title: Mapped[str] = mapped_column(String(500))
    content_type: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    blob_key: Mapped[str] = mapped_column(String(1000))
    width: Mapped[int | None] = mapped_column(Integer, default=None)
    height: Mapped[int | None] = mapped_column(Integer, default=None)
    alternative_text: Mapped[str | None] = mapped_column(Text, default=None)
    is_starred: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_by: Mapped[str | None] = mapped_column(IdColumn, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DriveTag(Base):
    """A Drive tag of the project; files share tags by name."""

    __tablename__ = "drive_tags"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DriveFileTag(Base):
    __tablename__ = "drive_file_tags"

    file_id: Mapped[str] = mapped_column(
        ForeignKey("drive_files.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[str] = mapped_column(
        ForeignKey("drive_tags.id", ondelete="CASCADE"), primary_key=True
    )


class DriveTask(Base):
    """The status of a Drive file deletion, for `GET /v2/Drive/Folders/DeleteFile/Status/{id}`.

    `status` is Document360's BackgroundTaskStatus: 0 Queued … 3 Completed, 4 Error.
    """

    __tablename__ = "drive_tasks"

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    status: Mapped[int] = mapped_column(Integer, default=0)
    is_complete: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MirrorSource(Base):
    """A live Document360-compatible project that `lorebase mirror` copies into a project.

    `watermark` is the greatest source `modified_at` of the last run that finished: what a
    later run reports as "changed since". See `lorebase.mirror`.
    """

    __tablename__ = "mirror_sources"
    __table_args__ = (UniqueConstraint("project_id", "source_url"),)

    id: Mapped[str] = mapped_column(IdColumn, primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    source_url: Mapped[str] = mapped_column(String(1000))
    watermark: Mapped[datetime | None] = mapped_column(default=None)
    # running | finished | interrupted | failed: a run that died (kill -9) stays "running".
    last_outcome: Mapped[str] = mapped_column(String(20), default="running")
    last_started_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_finished_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MirrorItem(Base):
    """One item copied from a mirror source, as it was at the source when copied.

    Written in the same transaction as the item's rows, so after any interruption it says
    exactly what the target holds: an item whose `fingerprint` still matches the source's is
    not fetched again. `language_code` is "" for items without languages (team members,
    Drive files).
    """

    __tablename__ = "mirror_items"
    __table_args__ = (Index("ix_mirror_items_workspace", "source_id", "project_version_id"),)

    source_id: Mapped[str] = mapped_column(
        ForeignKey("mirror_sources.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)  # article | category | …
    item_id: Mapped[str] = mapped_column(IdColumn, primary_key=True)
    language_code: Mapped[str] = mapped_column(String(20), primary_key=True, default="")
    project_version_id: Mapped[str | None] = mapped_column(IdColumn, default=None)
    fingerprint: Mapped[str] = mapped_column(String(200))
    modified_at: Mapped[datetime | None] = mapped_column(default=None)
    copied_at: Mapped[datetime] = mapped_column(default=utcnow)
