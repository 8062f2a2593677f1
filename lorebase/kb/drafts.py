"""Writing in the portal: the latest revision of an article or a category page opened as a
draft, saved only on top of the revision the author started from, published, unpublished,
forked and restored; the revision history and the text of any revision.

Articles and category pages keep revisions the same way (kb.revisions); this module speaks
for both so the editor has one shape to work with. The API's own routes stay in articles.py
and categories.py: the rules below add to them (the stale-draft check, unpublishing) and
call them for the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import update
from sqlalchemy.orm import Session

from lorebase.db.models import ArticleRevision, CategoryRevision, utcnow
from lorebase.kb import articles, categories, merge_codes, workspaces
from lorebase.kb.content import render_with_values
from lorebase.kb.errors import Conflict, Invalid, NotFound
from lorebase.kb.revisions import article_revisions, category_revisions, revision_status
from lorebase.kb.settings import current_settings
from lorebase.render.page import finish_html

Kind = Literal["article", "category"]
KINDS: tuple[Kind, ...] = ("article", "category")
# The bodies the portal edits as text; WYSIWYG (1) and Block (2) bodies are shown read-only.
MARKDOWN = 0
CONTENT_MAX = 2_000_000


@dataclass(frozen=True)
class Draft:
    """One language of an article or category page as its editor shows it."""

    kind: Kind
    item_id: str
    workspace_id: str
    lang: str
    title: str
    content: str
    content_type: int
    version_number: int
    public_version: int
    latest_version: int
    # What a save must send back: the latest revision as the author saw it (stamp()).
    stamp: str
    modified_at: datetime
    hidden: bool
    parent_id: str | None
    slug: str
    settings: dict[str, Any]
    # The language has no revision of its own yet: the text is the default language's.
    starting: bool

    @property
    def status(self) -> int:
        return revision_status(self.latest_version, self.public_version)

    @property
    def editable(self) -> bool:
        return self.content_type == MARKDOWN


class StaleDraft(Conflict):
    """A save based on an older revision than the current one: nothing was written."""

    def __init__(self, current: Draft) -> None:
        super().__init__(
            "Someone saved this page after you opened it. Nothing was overwritten: compare "
            "the two versions and choose."
        )
        self.current = current


@dataclass(frozen=True)
class RevisionLine:
    version_number: int
    title: str
    status: int
    base_version: int
    created_by: str | None
    created_at: datetime
    modified_at: datetime
    published_at: datetime | None


def stamp(rev: ArticleRevision | CategoryRevision) -> str:
    """The identity of a revision's state: its number and when it last changed."""
    return f"{rev.version_number}:{rev.modified_at.isoformat()}"


def _check_kind(kind: str) -> Kind:
    if kind not in KINDS:
        raise NotFound("No such kind of page.")
    return kind


def open_draft(session: Session, project_id: str, kind: str, item_id: str, lang: str) -> Draft:
    """The latest revision of `lang`, or of the default language when `lang` has none yet."""
    item: Any
    if _check_kind(kind) == "article":
        located = articles.locate(session, project_id, item_id)
        scope, item = located.scope, located.article
        store: Any = article_revisions
        content_type = item.content_type or 0
        parent_id = item.category_id
    else:
        found = categories.locate(session, project_id, item_id)
        scope, item = found.scope, found.category
        if item.category_type not in (categories.PAGE, categories.INDEX):
            raise Invalid("This category is a folder: it has no page to write.")
        store = category_revisions
        content_type = item.content_type or 0
        parent_id = item.parent_id
    code = scope.language(lang)
    read = store.read(session, item.id, code, scope.default_language, published=False)
    if read is None or read.translation.latest_version == 0:
        raise NotFound("This page has no text in this workspace yet.")
    tr, rev = read.translation, read.revision
    content = (rev.content if content_type == MARKDOWN else rev.html_content or rev.content) or ""
    return Draft(
        kind=kind,  # type: ignore[arg-type]
        item_id=item.id,
        workspace_id=scope.id,
        lang=code,
        title=rev.title,
        content=content,
        content_type=content_type,
        version_number=rev.version_number,
        public_version=0 if read.is_fall_back_content else tr.public_version,
        latest_version=tr.latest_version,
        stamp="" if read.is_fall_back_content else stamp(rev),
        modified_at=rev.modified_at,
        hidden=item.hidden,
        parent_id=parent_id,
        slug=tr.slug,
        settings=current_settings(tr),
        starting=read.is_fall_back_content,
    )


def save_draft(
    session: Session,
    project_id: str,
    kind: str,
    item_id: str,
    lang: str,
    *,
    title: str,
    content: str,
    base: str,
    user_id: str,
) -> Draft:
    """Save `title` and `content` as the latest draft of `lang`, if the latest revision is
    still the one the author opened (`base`, from Draft.stamp); StaleDraft if not. A new
    language starts from the default language's text (base "")."""
    if len(content) > CONTENT_MAX:
        raise Invalid(f"The text is longer than {CONTENT_MAX:,} characters.")
    current = open_draft(session, project_id, kind, item_id, lang)
    if not current.editable:
        raise Invalid("This page is written in the WYSIWYG or Block editor; it is read-only here.")
    articles.check_title(title)
    latest: ArticleRevision | CategoryRevision | None
    if kind == "article":
        located = articles.locate_for_write(session, project_id, item_id)
        tr = articles.translation_for_write(session, located, current.lang)  # takes the lock
        latest = article_revisions.revision(session, item_id, tr.language_code, tr.latest_version)
    else:
        category = categories.locate_for_write(session, project_id, item_id)
        tr_page = categories.page_translation(session, category, current.lang, create=True)
        category_revisions.lock(session, tr_page)
        latest = category_revisions.revision(
            session, item_id, tr_page.language_code, tr_page.latest_version
        )
    if latest is not None and not current.starting and base != stamp(latest):
        # Read again under the lock: what the author is shown is what is now stored.
        raise StaleDraft(open_draft(session, project_id, kind, item_id, lang))
    if kind == "article":
        articles.update_article(
            session,
            project_id,
            item_id,
            current.lang,
            fields={"title": title, "content": content},
        )
    else:
        categories.save_page_content(
            session,
            project_id,
            item_id,
            current.lang,
            changes={"title": title, "content": content},
            version_number=None,
            translation_option=None,
            updated_by=user_id,
        )
    return open_draft(session, project_id, kind, item_id, lang)


def publish(
    session: Session,
    project_id: str,
    kind: str,
    item_id: str,
    lang: str,
    *,
    version_number: int,
    user_id: str,
    message: str | None = None,
) -> None:
    if _check_kind(kind) == "article":
        articles.publish_article(
            session,
            project_id,
            item_id,
            lang,
            version_number=version_number,
            user_id=user_id,
            message=message,
        )
    else:
        categories.publish_page(
            session, project_id, item_id, lang, version_number, user_id, message
        )


def unpublish(session: Session, project_id: str, kind: str, item_id: str, lang: str) -> None:
    """Take `lang` off the site: no revision is public any more; the revisions stay."""
    if _check_kind(kind) == "article":
        located = articles.locate_for_write(session, project_id, item_id)
        tr: Any = articles.existing_translation(session, located, lang)
        article_revisions.lock(session, tr)
        workspace_id = located.scope.id
        model: Any = ArticleRevision
        owner = ArticleRevision.article_id
    else:
        found = categories.locate_for_write(session, project_id, item_id)
        tr = categories.page_translation(session, found, found.scope.language(lang), create=False)
        category_revisions.lock(session, tr)
        workspace_id = found.scope.id
        model = CategoryRevision
        owner = CategoryRevision.category_id
    if not tr.public_version:
        raise Invalid("This language is not published.")
    session.execute(
        update(model)
        .where(
            owner == item_id,
            model.language_code == tr.language_code,
            model.version_number == tr.public_version,
        )
        .values(ready_html=None, ready_facts=None, ready_renderer=None)
    )
    tr.public_version = 0
    tr.modified_at = utcnow()
    session.flush()
    if kind == "article":
        articles.reindex(session, located, tr)
    workspaces.touch(session, workspace_id)


def restore(
    session: Session,
    project_id: str,
    kind: str,
    item_id: str,
    lang: str,
    *,
    version_number: int,
    user_id: str,
) -> None:
    """A new latest draft with the text of `version_number` (forking is restoring the
    published revision)."""
    draft = open_draft(session, project_id, kind, item_id, lang)
    if draft.starting:
        raise Invalid("This language has no revisions of its own yet.")
    if kind == "article":
        articles.fork_article(
            session,
            project_id,
            item_id,
            lang=draft.lang,
            version_number=version_number,
            user_id=user_id,
        )
    else:
        categories.fork_page(session, project_id, item_id, draft.lang, version_number, user_id)


def history(
    session: Session, project_id: str, kind: str, item_id: str, lang: str
) -> list[RevisionLine]:
    """The revisions of `lang`, newest first."""
    draft = open_draft(session, project_id, kind, item_id, lang)
    if draft.starting:
        return []
    store: Any = article_revisions if kind == "article" else category_revisions
    return [
        RevisionLine(
            rev.version_number,
            rev.title,
            revision_status(rev.version_number, draft.public_version),
            rev.base_version,
            rev.created_by,
            rev.created_at,
            rev.modified_at,
            rev.published_at,
        )
        for rev in sorted(
            store.revisions(session, item_id, draft.lang),
            key=lambda r: r.version_number,
            reverse=True,
        )
    ]


def revision_text(
    session: Session, project_id: str, kind: str, item_id: str, lang: str, number: int
) -> tuple[str, str]:
    """(title, text) of one revision of `lang`."""
    draft = open_draft(session, project_id, kind, item_id, lang)
    store: Any = article_revisions if kind == "article" else category_revisions
    rev = store.revision(session, item_id, draft.lang, number)
    if rev is None or draft.starting:
        raise NotFound(f"This page has no version {number} in {draft.lang}.")
    text = rev.content if draft.content_type == MARKDOWN else rev.html_content or rev.content
    return rev.title, text or ""


def preview(session: Session, workspace_id: str, lang: str, content_type: int, text: str) -> str:
    """The HTML a reader would see for `text`: the publishing pipeline (cmark, sanitising,
    merge codes with the language's values)."""
    if len(text) > CONTENT_MAX:
        raise Invalid(f"The text is longer than {CONTENT_MAX:,} characters.")
    values = merge_codes.values_for(session, workspace_id, lang)
    if content_type == MARKDOWN:
        _, html = render_with_values(MARKDOWN, text, None, values)
    else:
        _, html = render_with_values(content_type, None, text, values)
    return finish_html(html or "")
