"""Document360's revision rules, shared by articles and page/index categories.

Per item and language there is a translation row (public and latest revision numbers) and
numbered revisions. Saving over the published revision creates a new draft revision; fork
copies any revision into a new draft; publishing moves `public_version`. Revision status is
derived: 3 (Published) for the public revision, 0 (Draft) for every other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import bindparam, delete, func, inspect, select
from sqlalchemy.orm import Session

from lorebase.db.models import (
    Article,
    ArticleRevision,
    ArticleTranslation,
    Category,
    CategoryRevision,
    CategoryTranslation,
    utcnow,
)

DRAFT = 0
PUBLISHED = 3

Tr = TypeVar("Tr", ArticleTranslation, CategoryTranslation)
Rev = TypeVar("Rev", ArticleRevision, CategoryRevision)


class RevisionMissing(Exception):
    def __init__(self, version_number: int) -> None:
        super().__init__(version_number)
        self.version_number = version_number


class AlreadyPublished(Exception):
    pass


class LastRevision(Exception):
    pass


class PublishedRevision(Exception):
    pass


@dataclass(frozen=True)
class RevisionRead(Generic[Tr, Rev]):
    translation: Tr
    revision: Rev
    is_fall_back_content: bool


def revision_status(version_number: int, public_version: int) -> int:
    return PUBLISHED if public_version and version_number == public_version else DRAFT


def translation_status(translation: ArticleTranslation | CategoryTranslation) -> int:
    """An item reads as Published while its latest revision is the public one."""
    return revision_status(translation.latest_version, translation.public_version)


class RevisionStore(Generic[Tr, Rev]):
    def __init__(
        self,
        item_model: type[Article | Category],
        translation_model: type[Tr],
        revision_model: type[Rev],
        owner: str,
    ):
        self.item_model = item_model
        self.translation_model: type[Tr] = translation_model
        self.revision_model: type[Rev] = revision_model
        self.owner = owner  # name of the foreign-key column: article_id / category_id
        # Built once: reading one revision is on the hot path of every content GET.
        self._one_translation: Any = select(translation_model).where(
            getattr(translation_model, owner) == bindparam("owner_id"),
            translation_model.language_code == bindparam("lang"),
        )
        self._one_revision: Any = select(revision_model).where(
            getattr(revision_model, owner) == bindparam("owner_id"),
            revision_model.language_code == bindparam("lang"),
            revision_model.version_number == bindparam("number"),
        )

    def _owner_of(self, model: type[Any]) -> Any:
        return getattr(model, self.owner)

    def lock_item(self, session: Session, owner_id: str) -> bool:
        """Hold the item's row (article or category) until commit.

        Every change to an item's revisions (save, fork, publish, delete, a new language, the
        search rows) decides on what it reads of the translation — `public_version`,
        `latest_version`, whether the language exists yet. Two writers that both decided on
        what they read before either committed would, on PostgreSQL, give two revisions one
        number, edit a revision the other had just published, or both start one language.
        Holding the item's row makes the second writer wait and read the first one's result.
        The API's writers hold their workspace already (`workspaces.touch`, taken first), so
        this is the store's own guarantee for any caller, in the one lock order: workspace,
        item, never a translation first. `FOR NO KEY UPDATE` (key_share) does not wait for
        transactions that merely insert rows pointing at the item. SQLite writers are one at
        a time already (`BEGIN IMMEDIATE`, lorebase.db.engine); FOR UPDATE is not rendered
        there. Pending changes are flushed first, as the item's own update takes the row.
        Returns False when this transaction held the row already (one PUT locks its article
        for the revision and again for the search rows: the second time costs nothing)."""
        held = _held_items(session)
        if owner_id in held:
            return False
        session.flush()
        model = self.item_model
        session.execute(
            select(model.id).where(model.id == owner_id).with_for_update(key_share=True)
        )
        held.add(owner_id)
        # Translations loaded before the lock are read again when next used: what another
        # writer committed meanwhile. Once the row is held, nobody else changes them.
        for loaded in list(session.identity_map.values()):
            if isinstance(loaded, self.translation_model):
                identity = inspect(loaded).identity
                if identity is not None and identity[0] == owner_id:
                    session.expire(loaded)
        return True

    def lock(self, session: Session, tr: Tr) -> None:
        """`lock_item` for the translation's item (which reads the translation afresh)."""
        self.lock_item(session, getattr(tr, self.owner))

    def translation(self, session: Session, owner_id: str, lang: str) -> Tr | None:
        params = {"owner_id": owner_id, "lang": lang}
        return session.scalars(self._one_translation, params).first()

    def translations(self, session: Session, owner_id: str) -> list[Tr]:
        model = self.translation_model
        return list(session.scalars(select(model).where(self._owner_of(model) == owner_id)))

    def revision(self, session: Session, owner_id: str, lang: str, number: int) -> Rev | None:
        params = {"owner_id": owner_id, "lang": lang, "number": number}
        return session.scalars(self._one_revision, params).first()

    def revisions(self, session: Session, owner_id: str, lang: str) -> list[Rev]:
        model = self.revision_model
        return list(
            session.scalars(
                select(model)
                .where(self._owner_of(model) == owner_id, model.language_code == lang)
                .order_by(model.version_number)
            )
        )

    def start(
        self,
        session: Session,
        owner_id: str,
        lang: str,
        *,
        translation: dict[str, Any],
        revision: dict[str, Any],
    ) -> tuple[Tr, Rev]:
        """First revision of a new item or of a new language of an item."""
        now = utcnow()
        tr = self.translation_model(
            **{self.owner: owner_id},
            language_code=lang,
            public_version=0,
            latest_version=1,
            modified_at=now,
            **translation,
        )
        rev = self.revision_model(
            **{self.owner: owner_id},
            language_code=lang,
            version_number=1,
            base_version=0,
            created_at=now,
            modified_at=now,
            **revision,
        )
        session.add_all([tr, rev])
        session.flush()
        return tr, rev

    def save(
        self,
        session: Session,
        tr: Tr,
        *,
        version_number: int | None,
        changes: dict[str, Any],
        author_id: str | None,
    ) -> Rev:
        """Apply `changes` to a revision; a published revision is never edited in place."""
        self.lock(session, tr)
        owner_id = getattr(tr, self.owner)
        target = version_number or tr.latest_version
        rev = self.revision(session, owner_id, tr.language_code, target)
        if rev is None:
            raise RevisionMissing(target)
        if target == tr.public_version:
            rev = self._copy(session, tr, rev, author_id)
        now = utcnow()
        for key, value in changes.items():
            setattr(rev, key, value)
        rev.modified_at = now
        tr.modified_at = now
        session.flush()
        return rev

    def fork(self, session: Session, tr: Tr, version_number: int, author_id: str | None) -> Rev:
        self.lock(session, tr)
        owner_id = getattr(tr, self.owner)
        rev = self.revision(session, owner_id, tr.language_code, version_number)
        if rev is None:
            raise RevisionMissing(version_number)
        return self._copy(session, tr, rev, author_id)

    def _copy(self, session: Session, tr: Tr, source: Rev, author_id: str | None) -> Rev:
        """A new draft revision from `source`; the caller holds the item's lock (`lock`), so the
        next number is `latest_version + 1` as just read."""
        now = utcnow()
        number = tr.latest_version + 1
        copy = self.revision_model(
            **{self.owner: getattr(tr, self.owner)},
            language_code=tr.language_code,
            version_number=number,
            base_version=source.version_number,
            title=source.title,
            content=source.content,
            html_content=source.html_content,
            created_by=author_id or source.created_by,
            created_at=now,
            modified_at=now,
        )
        if isinstance(source, CategoryRevision) and isinstance(copy, CategoryRevision):
            copy.block_content = source.block_content
        session.add(copy)
        tr.latest_version = number
        tr.modified_at = now
        session.flush()
        return copy

    def publish(self, session: Session, tr: Tr, version_number: int, message: str | None) -> Rev:
        self.lock(session, tr)
        owner_id = getattr(tr, self.owner)
        rev = self.revision(session, owner_id, tr.language_code, version_number)
        if rev is None:
            raise RevisionMissing(version_number)
        if tr.public_version == version_number:
            raise AlreadyPublished
        now = utcnow()
        tr.public_version = version_number
        tr.modified_at = now
        rev.published_at = now
        rev.publish_message = message
        session.flush()
        return rev

    def delete_revision(self, session: Session, tr: Tr, version_number: int) -> None:
        self.lock(session, tr)
        owner_id = getattr(tr, self.owner)
        rev = self.revision(session, owner_id, tr.language_code, version_number)
        if rev is None:
            raise RevisionMissing(version_number)
        model = self.revision_model
        count = session.scalar(
            select(func.count())
            .select_from(model)
            .where(self._owner_of(model) == owner_id, model.language_code == tr.language_code)
        )
        if count == 1:
            raise LastRevision
        if version_number == tr.public_version:
            raise PublishedRevision
        session.delete(rev)
        session.flush()
        tr.latest_version = (
            session.scalar(
                select(func.max(model.version_number)).where(
                    self._owner_of(model) == owner_id, model.language_code == tr.language_code
                )
            )
            or 0
        )
        tr.modified_at = utcnow()

    def delete_language(self, session: Session, owner_id: str, lang: str) -> None:
        for model in (self.revision_model, self.translation_model):
            session.execute(
                delete(model).where(self._owner_of(model) == owner_id, model.language_code == lang)
            )

    def read(
        self,
        session: Session,
        owner_id: str,
        lang: str,
        default_lang: str,
        *,
        published: bool,
        version_number: int | None = None,
    ) -> RevisionRead[Tr, Rev] | None:
        """The revision to show for `lang`, falling back to the default language."""
        tr = self.translation(session, owner_id, lang)
        fallback = False
        if tr is None and lang != default_lang:
            tr = self.translation(session, owner_id, default_lang)
            fallback = True
        if tr is None:
            return None
        if version_number is not None:
            number = version_number
        elif published and tr.public_version:
            number = tr.public_version
        else:
            # Document360 serves the latest revision when nothing is published yet.
            number = tr.latest_version
        rev = self.revision(session, owner_id, tr.language_code, number)
        if rev is None:
            if version_number is not None:
                raise RevisionMissing(version_number)
            return None
        return RevisionRead(tr, rev, fallback)


article_revisions: RevisionStore[ArticleTranslation, ArticleRevision] = RevisionStore(
    Article, ArticleTranslation, ArticleRevision, "article_id"
)
category_revisions: RevisionStore[CategoryTranslation, CategoryRevision] = RevisionStore(
    Category, CategoryTranslation, CategoryRevision, "category_id"
)


def _held_items(session: Session) -> set[str]:
    """The ids of the items whose rows the session's current transaction holds (ids are
    unique across articles and categories). Kept with the transaction: a new one holds none."""
    transaction = session.get_transaction()
    kept = session.info.get("held_items")
    if kept is None or kept[0] is not transaction:
        kept = session.info["held_items"] = (transaction, set())
    return cast(set[str], kept[1])
