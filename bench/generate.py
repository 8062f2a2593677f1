"""A large, realistic workspace written straight into a fresh database, for the benchmarks.

The first start goes through the real code (migrations, `ensure_project`); the content is then
bulk-inserted into the model tables rather than sent through 10,000 API calls, keeping the
invariants the domain relies on: each translation's `latest_version` / `public_version` name
revisions that exist, sibling positions run 0..n-1, slugs are unique per language, and every
article language has its `search_entries` rows (latest, and published when there is one).

    python -m bench.generate                      # SQLite file in a new temp directory
    python -m bench.generate --database-url postgresql+psycopg://postgres@127.0.0.1/kb
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

if __package__ in (None, ""):  # run as `python bench/generate.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import engine_name, say, workspace_arguments
from lorebase.bootstrap import ensure_project
from lorebase.db.engine import make_engine, make_session_factory, migrate, transaction
from lorebase.db.models import (
    Article,
    ArticleRevision,
    ArticleTranslation,
    Category,
    CategoryRevision,
    CategoryTranslation,
    SearchEntry,
)
from lorebase.exchange.jsonzip.importer import analyze_bulk_load
from lorebase.kb import merge_codes, page_bodies, workspaces
from lorebase.kb.search.index import IndexedText, add_vocabulary, entry_row, indexed, plain_text
from lorebase.kb.slugs import slugify

FOLDER, PAGE, INDEX = 0, 1, 2
MAX_DEPTH = 7  # Document360: a top-level category and six levels below it.
SECOND_LANGUAGE = "fr"
# Share of items with a second-language translation.
TRANSLATED_SHARE = 0.15
INSERT_CHUNK = 2000

# --- text ---------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


ENGLISH_WORDS = {
    "nouns": _words(
        "account api token webhook workspace category article project version release "
        "integration dashboard report invoice user team role permission backup export import "
        "template widget sidebar theme domain certificate proxy cache queue worker job schedule "
        "notification email password login session database index search filter tag label "
        "comment feedback analytics metric chart policy plan subscription license key secret "
        "endpoint request response header payload schema field record attachment image video "
        "folder page snippet variable glossary language translation locale redirect link "
        "browser device mobile desktop server cluster node region storage bucket upload"
    ),
    "verbs": _words(
        "configure enable disable create delete update rename move publish archive restore "
        "export import invite remove assign review approve schedule monitor migrate connect "
        "sync verify rotate reset customise embed share track filter sort translate upload"
    ),
    "adjectives": _words(
        "custom default private public shared advanced basic secure automatic manual "
        "scheduled global local primary secondary external internal legacy new daily "
        "weekly hidden visible active inactive bulk single multiple regional"
    ),
    "fillers": _words(
        "the a an your this each every when after before while if then so that with "
        "without from to into on in for by of and or but also only always never "
        "usually can should must may will is are was be"
    ),
    "titles": (
        "How to {verb} {a_noun}",
        "{Adjective} {noun} settings",
        "Troubleshooting {noun} {noun2}",
        "{Noun} reference",
        "Getting started with {noun}s",
        "{Verb} {noun}s for your {noun2}",
        "Understanding {adjective} {noun}s",
        "FAQ: {noun}s and {noun2}s",
        "Best practices for {adjective} {noun}s",
        "{Noun} {noun2} limits",
    ),
    "categories": (
        "{Noun}s",
        "{Adjective} {noun}s",
        "{Noun} {noun2}s",
        "{Noun} and {noun2}",
        "Managing {noun}s",
    ),
    "headings": (
        "Overview",
        "Before you begin",
        "Prerequisites",
        "Steps",
        "Examples",
        "Limits",
        "Troubleshooting",
        "Related topics",
        "Permissions",
        "What happens next",
    ),
    "note": "Note",
}
FRENCH_WORDS = {
    "nouns": _words(
        "compte jeton espace catégorie article projet version intégration tableau rapport "
        "facture utilisateur équipe rôle permission sauvegarde modèle thème domaine certificat "
        "notification courriel session index recherche filtre étiquette commentaire analyse "
        "abonnement licence clé point requête réponse champ fichier image dossier page langue"
    ),
    "verbs": _words(
        "configurer activer désactiver créer supprimer modifier renommer déplacer publier "
        "archiver restaurer exporter importer inviter attribuer vérifier traduire partager"
    ),
    "adjectives": _words(
        "personnalisé privé public partagé avancé simple sécurisé automatique manuel global "
        "local principal externe interne nouveau quotidien masqué visible actif"
    ),
    "fillers": _words(
        "le la les un une votre ce cette chaque quand après avant si alors avec sans de à "
        "dans pour par et ou mais aussi toujours jamais peut doit est sont"
    ),
    "titles": (
        "Comment {verb} un {noun}",
        "Paramètres de {noun} {adjective}",
        "Dépannage : {noun} et {noun2}",
        "Référence {noun}",
        "Premiers pas avec {noun}",
    ),
    "categories": ("{Noun}", "{Noun} {adjective}", "{Noun} et {noun2}", "Gérer {noun}"),
    "headings": ("Présentation", "Prérequis", "Étapes", "Exemples", "Limites", "Dépannage"),
    "note": "Remarque",
}


class TextWriter:
    """Markdown in the shape authors write: headings, paragraphs, lists, code, tables.

    Bodies are assembled from pools of pre-written blocks so that 10,000 of them take a
    second, not a minute; the pools are large enough that no two articles read the same.
    """

    def __init__(self, rng: random.Random, vocab: dict[str, Any]) -> None:
        self.rng = rng
        self.v = vocab
        self._plain: dict[str, str] = {}
        self.paragraphs = [self._paragraph() for _ in range(600)]
        self.blocks = (
            [self._list(ordered=False) for _ in range(150)]
            + [self._list(ordered=True) for _ in range(150)]
            + [self._code() for _ in range(120)]
            + [self._table() for _ in range(120)]
            + [self._note() for _ in range(80)]
        )

    def _fill(self, template: str) -> str:
        rng, v = self.rng, self.v
        noun, noun2 = rng.sample(v["nouns"], 2)
        adjective, verb = rng.choice(v["adjectives"]), rng.choice(v["verbs"])
        a_noun = ("an " if noun[0] in "aeiou" else "a ") + noun
        return template.format(
            noun=noun,
            noun2=noun2,
            adjective=adjective,
            verb=verb,
            a_noun=a_noun,
            Noun=noun.capitalize(),
            Adjective=adjective.capitalize(),
            Verb=verb.capitalize(),
        )

    def title(self) -> str:
        return self._fill(self.rng.choice(self.v["titles"]))

    def category_name(self) -> str:
        return self._fill(self.rng.choice(self.v["categories"]))

    def sentence(self) -> str:
        rng, v = self.rng, self.v
        words = []
        for _ in range(rng.randint(2, 4)):
            words += rng.choices(v["fillers"], k=rng.randint(1, 3))
            words.append(rng.choice(v["nouns"] + v["verbs"] + v["adjectives"]))
        if rng.random() < 0.2:
            words[rng.randrange(len(words))] = f"**{rng.choice(v['nouns'])}**"
        if rng.random() < 0.1:
            words.append(f"[{rng.choice(v['nouns'])}](https://docs.example.com/{words[-1]})")
        return " ".join(words).capitalize() + "."

    def _paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(3, 6)))

    def _list(self, *, ordered: bool) -> str:
        items = [self.sentence() for _ in range(self.rng.randint(3, 6))]
        marks = [f"{i}." for i in range(1, len(items) + 1)] if ordered else ["-"] * len(items)
        return "\n".join(f"{m} {item}" for m, item in zip(marks, items, strict=True))

    def _code(self) -> str:
        rng, v = self.rng, self.v
        lines = []
        language = rng.choice(("bash", "python", "json"))
        for _ in range(rng.randint(3, 8)):
            noun, verb = rng.choice(v["nouns"]), rng.choice(v["verbs"])
            if language == "bash":
                lines.append(f"acme {noun} {verb} --id {rng.getrandbits(32):08x}")
            elif language == "python":
                lines.append(f'client.{verb}_{noun}(id="{rng.getrandbits(32):08x}")')
            else:
                lines.append(f'  "{noun}": "{verb}",')
        if language == "json":
            lines = ["{", *lines, '  "ok": true', "}"]
        return f"```{language}\n" + "\n".join(lines) + "\n```"

    def _table(self) -> str:
        rng, v = self.rng, self.v
        columns = rng.sample(v["nouns"], 3)
        rows = [
            f"| {rng.choice(v['adjectives'])} | {rng.randint(1, 500)} | {rng.choice(v['verbs'])} |"
            for _ in range(rng.randint(3, 6))
        ]
        head = "| " + " | ".join(c.capitalize() for c in columns) + " |"
        return "\n".join([head, "|---|--:|---|", *rows])

    def _note(self) -> str:
        return f"> **{self.v['note']}:** {self.sentence()}"

    def markdown(self, title: str, size: int) -> list[str]:
        """The blocks of a body of about `size` characters; join them with `body()`."""
        rng = self.rng
        parts = [f"# {title}", rng.choice(self.paragraphs)]
        length = sum(len(p) for p in parts)
        headings = self.v["headings"]
        while length < size:
            section = [
                f"## {rng.choice(headings)}",
                rng.choice(self.paragraphs),
                rng.choice(self.blocks),
            ]
            if rng.random() < 0.5:
                section.append(rng.choice(self.paragraphs))
            parts += section
            length += sum(len(p) + 2 for p in section)
        return parts

    def addendum(self) -> list[str]:
        """What a newer draft adds to the published text."""
        return [f"## {self.rng.choice(self.v['headings'])}", self.rng.choice(self.paragraphs)]

    def plain(self, parts: list[str]) -> str:
        """`kb.search.index.plain_text` of `body(parts)`, from cached per-block results.

        Blocks are separated by blank lines, which plain_text folds into one space, so the
        text of the whole is the texts of the blocks joined by spaces (pinned by a check in
        `generate_workspace`). Cached because plain_text costs ~0.4 ms per 4 KB body.
        """
        texts = []
        for part in parts:
            found = self._plain.get(part)
            if found is None:
                found = self._plain[part] = plain_text(part)
            if found:
                texts.append(found)
        return " ".join(texts)


def body(parts: list[str]) -> str:
    return "\n\n".join(parts) + "\n"


class _Slugs:
    """Unique slugs per language without the quadratic probing of repeated titles."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, str], int] = {}

    def __call__(self, lang: str, name: str) -> str:
        base = slugify(name)
        n = self.seen.get((lang, base), 0)
        self.seen[(lang, base)] = n + 1
        return base if n == 0 else f"{base}-{n}"


# --- the workspace ------------------------------------------------------------------------


@dataclass(frozen=True)
class GeneratedWorkspace:
    database_url: str
    admin_token: str
    project_id: str
    workspace_id: str
    owner_id: str
    # Random samples (for request mixes), not the whole lists.
    category_ids: list[str]
    article_ids: list[str]
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def engine(self) -> str:
        return engine_name(self.database_url)


@dataclass
class _Rows:
    categories: list[dict[str, Any]] = field(default_factory=list)
    category_translations: list[dict[str, Any]] = field(default_factory=list)
    category_revisions: list[dict[str, Any]] = field(default_factory=list)
    articles: list[dict[str, Any]] = field(default_factory=list)
    article_translations: list[dict[str, Any]] = field(default_factory=list)
    article_revisions: list[dict[str, Any]] = field(default_factory=list)
    search_entries: list[dict[str, Any]] = field(default_factory=list)
    # language → the (word, term) pairs of its search entries: the workspace's vocabulary.
    vocabulary: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    workspace_id: str = ""

    def in_insert_order(self) -> list[tuple[type[Any], list[dict[str, Any]]]]:
        return [
            (Category, self.categories),
            (CategoryTranslation, self.category_translations),
            (CategoryRevision, self.category_revisions),
            (Article, self.articles),
            (ArticleTranslation, self.article_translations),
            (ArticleRevision, self.article_revisions),
            (SearchEntry, self.search_entries),
        ]


def _revision_plan(rng: random.Random, all_public: bool = False) -> tuple[int, int]:
    """(latest_version, public_version): published, published with a newer draft, or draft.
    With `all_public`, what would have been a draft only is published (same draws)."""
    roll = rng.random()
    if roll < 0.6:
        return 1, 1
    if roll < 0.8:
        return 2, 1
    return (1, 1) if all_public else (1, 0)


class _Builder:
    def __init__(
        self,
        rng: random.Random,
        workspace_id: str,
        owner_id: str,
        article_bytes: int,
        all_public: bool = False,
    ) -> None:
        self.rng = rng
        self.all_public = all_public
        self.workspace_id = workspace_id
        self.owner_id = owner_id
        self.article_bytes = article_bytes
        self.writers = {
            "en": TextWriter(rng, ENGLISH_WORDS),
            SECOND_LANGUAGE: TextWriter(rng, FRENCH_WORDS),
        }
        self.slugs = {"category": _Slugs(), "article": _Slugs()}
        self.rows = _Rows(workspace_id=workspace_id)
        self.start = datetime.now(UTC) - timedelta(days=365)

    def _moment(self, after: datetime | None = None) -> datetime:
        origin = after or self.start
        span = (datetime.now(UTC) - origin).total_seconds()
        return origin + timedelta(seconds=self.rng.uniform(0, max(span, 1.0)) * 0.9)

    def _revisions(
        self,
        owner: dict[str, Any],
        lang: str,
        title: str,
        parts: list[str],
        latest: int,
        public: int,
        created: datetime,
    ) -> tuple[list[dict[str, Any]], list[list[str]]]:
        """Revisions 1..latest (later ones extend the first) and the blocks of each."""
        writer = self.writers[lang]
        revisions, versions = [], []
        for number in range(1, latest + 1):
            made = created if number == 1 else self._moment(created)
            version = parts if number == 1 else parts + writer.addendum()
            versions.append(version)
            revisions.append(
                {
                    **owner,
                    "language_code": lang,
                    "version_number": number,
                    "base_version": number - 1,
                    "title": title,
                    "content": body(version),
                    "html_content": None,
                    "created_by": self.owner_id,
                    "created_at": made,
                    "modified_at": made,
                    "published_at": made if number == public else None,
                }
            )
        return revisions, versions

    def categories(self, count: int) -> list[dict[str, Any]]:
        rng, rows = self.rng, self.rows
        roots = max(1, min(count, round(count**0.5 / 2.5)))
        depth: dict[str, int] = {}
        children: dict[str | None, int] = defaultdict(int)
        nestable: list[str] = []
        for i in range(count):
            parent = None if i < roots else rng.choice(nestable)
            level = 1 if parent is None else depth[parent] + 1
            if parent is None:
                kind = INDEX if rng.random() < 0.15 else FOLDER
            else:
                roll = rng.random()
                kind = FOLDER if roll < 0.6 else PAGE if roll < 0.95 else INDEX
            created = self._moment()
            category_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            category: dict[str, Any] = {
                "id": category_id,
                "project_version_id": self.workspace_id,
                "parent_id": parent,
                "position": children[parent],
                "category_type": kind,
                "content_type": None if kind == FOLDER else 0,
                # Drawn either way: `all_public` changes no other draw of the same seed.
                "hidden": rng.random() < 0.02 and not self.all_public,
                "icon": None,
                "created_by": self.owner_id,
                "created_at": created,
                "modified_at": self._moment(created),
            }
            children[parent] += 1
            depth[category_id] = level
            if level < MAX_DEPTH:
                nestable.append(category_id)
            rows.categories.append(category)
            languages = ["en"] + ([SECOND_LANGUAGE] if rng.random() < TRANSLATED_SHARE else [])
            for lang in languages:
                self._category_language(category, lang)
        return rows.categories

    def _category_language(self, category: dict[str, Any], lang: str) -> None:
        writer = self.writers[lang]
        name = writer.category_name()
        latest, public = (0, 0)
        if category["category_type"] != FOLDER:
            latest, public = _revision_plan(self.rng, self.all_public)
            revisions, _ = self._revisions(
                {"category_id": category["id"], "block_content": None},
                lang,
                name,
                writer.markdown(name, self.article_bytes // 2),
                latest,
                public,
                category["created_at"],
            )
            self.rows.category_revisions += revisions
        self.rows.category_translations.append(
            {
                "category_id": category["id"],
                "language_code": lang,
                "name": name,
                "slug": self.slugs["category"](lang, name),
                "description": writer.sentence() if self.rng.random() < 0.3 else None,
                "settings": {},
                "public_version": public,
                "latest_version": latest,
                "translation_option": 0,
                "modified_at": category["modified_at"],
            }
        )

    def articles(self, count: int, categories: Sequence[dict[str, Any]]) -> None:
        rng = self.rng
        # Uneven, as in real knowledge bases: a few categories hold many articles.
        weights = [rng.expovariate(1.0) for _ in categories]
        homes = rng.choices(categories, weights=weights, k=count) if categories else []
        positions: dict[str | None, int] = defaultdict(int)
        for home in homes:
            created = self._moment(home["created_at"])
            article = {
                "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "project_version_id": self.workspace_id,
                "category_id": home["id"],
                "position": positions[home["id"]],
                "content_type": 0,
                "article_type": 0,
                "hidden": rng.random() < 0.03 and not self.all_public,
                "is_shared": False,
                "created_by": self.owner_id,
                "created_at": created,
                "modified_at": self._moment(created),
            }
            positions[home["id"]] += 1
            self.rows.articles.append(article)
            languages = ["en"] + ([SECOND_LANGUAGE] if rng.random() < TRANSLATED_SHARE else [])
            for lang in languages:
                self._article_language(article, lang)

    def _article_language(self, article: dict[str, Any], lang: str) -> None:
        writer = self.writers[lang]
        title = writer.title()
        latest, public = _revision_plan(self.rng, self.all_public)
        revisions, versions = self._revisions(
            {"article_id": article["id"]},
            lang,
            title,
            writer.markdown(title, self.article_bytes),
            latest,
            public,
            article["created_at"],
        )
        self.rows.article_revisions += revisions
        self.rows.article_translations.append(
            {
                "article_id": article["id"],
                "language_code": lang,
                "title": title,
                "slug": self.slugs["article"](lang, title),
                "description": None,
                "settings": {},
                "public_version": public,
                "latest_version": latest,
                "translation_option": 0,
                "created_at": article["created_at"],
                "modified_at": revisions[-1]["modified_at"],
            }
        )
        # The same rows `kb.search.index.index_article_language` keeps for an article language.
        wanted = {"latest": latest, **({"published": public} if public else {})}
        texts: dict[int, tuple[str, IndexedText]] = {}
        for kind, number in wanted.items():
            revision = revisions[number - 1]
            if number not in texts:
                plain = writer.plain(versions[number - 1])
                texts[number] = plain, indexed(revision["title"], plain, lang)
                self.rows.vocabulary.setdefault(lang, set()).update(texts[number][1].words)
            plain, analysed = texts[number]
            self.rows.search_entries.append(
                entry_row(
                    article_id=article["id"],
                    workspace_id=self.workspace_id,
                    language_code=lang,
                    kind=kind,
                    version_number=number,
                    title=revision["title"],
                    body=plain,
                    text=analysed,
                )
            )


def _check_search_text(rows: _Rows, sample: int = 50) -> None:
    """The search rows hold exactly what `kb.search.index.plain_text` makes of the revision."""
    wanted = {
        (e["article_id"], e["language_code"], e["version_number"]): e["body"]
        for e in rows.search_entries[:sample]
    }
    for revision in rows.article_revisions:
        key = (revision["article_id"], revision["language_code"], revision["version_number"])
        if key in wanted and plain_text(revision["content"]) != wanted[key]:
            raise AssertionError(f"search text of {key} differs from plain_text(content)")


def _insert(session: Session, rows: _Rows) -> dict[str, int]:
    counts = {}
    for model, batch in rows.in_insert_order():
        # Core inserts of the models' tables: the ORM's bulk path regroups rows by which
        # nullable columns are None and would run thousands of small batches.
        with _full_text_rebuilt_after(session) if model is SearchEntry else nullcontext():
            for start in range(0, len(batch), INSERT_CHUNK):
                session.execute(insert(model.__table__), batch[start : start + INSERT_CHUNK])
        counts[model.__tablename__] = len(batch)
    for lang, words in rows.vocabulary.items():
        add_vocabulary(session, rows.workspace_id, lang, words)
    return counts


@contextmanager
def _full_text_rebuilt_after(session: Session) -> Iterator[None]:
    """Load search rows without incremental full-text indexing, then index them in one go.

    DESIGN.md: bulk-load first, then rebuild. On SQLite the FTS5 insert trigger is dropped and
    the index rebuilt (20,000 rows of 4 KB: ~8.5 s through the trigger, ~4 s as a rebuild); on
    PostgreSQL the GIN index is dropped and created again. Both are put back from their own
    stored SQL, in the same transaction.
    """
    if session.get_bind().dialect.name != "sqlite":
        indexes = session.execute(
            text(
                "SELECT indexname, indexdef FROM pg_indexes "
                "WHERE tablename = 'search_entries' AND indexdef ILIKE '%USING gin%'"
            )
        ).all()
        for name, _ in indexes:
            session.execute(text(f'DROP INDEX "{name}"'))
        yield
        for _, sql in indexes:
            session.execute(text(sql))
        return
    triggers = session.execute(
        text(
            "SELECT name, sql FROM sqlite_master "
            "WHERE type = 'trigger' AND tbl_name = 'search_entries'"
        )
    ).all()
    on_insert = [(name, sql) for name, sql in triggers if "AFTER INSERT" in sql.upper()]
    for name, _ in on_insert:
        session.execute(text(f'DROP TRIGGER "{name}"'))
    yield
    if on_insert:
        session.execute(text("INSERT INTO search_fts(search_fts) VALUES ('rebuild')"))
    for _, sql in on_insert:
        session.execute(text(sql))


def generate_workspace(
    database_url: str,
    *,
    categories: int = 1000,
    articles: int = 10000,
    article_bytes: int = 4096,
    seed: int = 0,
    sample: int = 200,
    all_public: bool = False,
) -> GeneratedWorkspace:
    """Migrate the empty database at `database_url`, create the first project, and fill its
    workspace with `categories` categories (up to seven levels) and `articles` articles.

    With `all_public`, every category and article is visible and every translation published
    (the same content otherwise, the draft-only ones published as v1): every article is a page
    of the sitemap."""
    started = time.perf_counter()
    migrate(database_url)
    engine = make_engine(database_url, pooled=False)
    try:
        with transaction(make_session_factory(engine)) as session:
            first = ensure_project(session)
            if first is None:
                raise RuntimeError(f"{database_url} already holds a project; give an empty one")
            workspace = workspaces.workspaces(session, first.project_id)[0]
            workspaces.add_language(session, workspace.id, SECOND_LANGUAGE)
            builder = _Builder(
                random.Random(seed), workspace.id, first.owner_id, article_bytes, all_public
            )
            category_rows = builder.categories(categories)
            builder.articles(articles, category_rows)
            _check_search_text(builder.rows)
            counts = _insert(session, builder.rows)
            analyze_bulk_load(session)  # as an import does
            # Published bodies ready to read, as the `page_bodies` job leaves them after an import.
            values_of = functools.cache(
                lambda code: merge_codes.values_for(session, workspace.id, code)
            )
            while page_bodies.make_unready_ready(session, workspace.id, values_of):
                pass
            workspaces.touch(session, workspace.id)
    finally:
        engine.dispose()
    pick = random.Random(seed + 1)
    category_ids = [c["id"] for c in builder.rows.categories]
    article_ids = [a["id"] for a in builder.rows.articles]
    return GeneratedWorkspace(
        database_url=database_url,
        admin_token=first.admin_token,
        project_id=first.project_id,
        workspace_id=workspace.id,
        owner_id=first.owner_id,
        category_ids=pick.sample(category_ids, min(sample, len(category_ids))),
        article_ids=pick.sample(article_ids, min(sample, len(article_ids))),
        counts=counts,
        seconds=time.perf_counter() - started,
    )


def generate_as_asked(
    database_url: str, args: argparse.Namespace, sample: int = 200
) -> GeneratedWorkspace:
    """The workspace of the options `bench.report.workspace_arguments` adds, said on stderr,
    with `sample` ids of each kind for request mixes."""
    say(f"generating the workspace ({engine_name(database_url)})...")
    return generate_workspace(
        database_url,
        categories=args.categories,
        articles=args.articles,
        seed=args.seed,
        sample=sample,
        all_public=getattr(args, "all_public", False),
    )


@contextmanager
def scratch_workspace(
    args: argparse.Namespace, prefix: str, sample: int = 200
) -> Iterator[tuple[GeneratedWorkspace, Path]]:
    """The workspace the options ask for (`generate_as_asked`) in a scratch database
    (`scratch_database(args.database_url)`), and a temporary folder named with `prefix`; both
    removed afterwards."""
    with (
        scratch_database(args.database_url) as url,
        tempfile.TemporaryDirectory(prefix=prefix) as folder,
    ):
        yield generate_as_asked(url, args, sample), Path(folder)


@contextmanager
def scratch_database(server_url: str | None = None) -> Iterator[str]:
    """A fresh database URL, removed afterwards.

    Without `server_url`: an SQLite file in a new temporary directory. With a PostgreSQL URL:
    a new database named `lorebase_bench_<random>` on that server (the URL's own database is
    only used to create and drop it). An SQLite URL is used as given and kept.
    """
    if not server_url:
        with tempfile.TemporaryDirectory(prefix="lorebase-bench-") as folder:
            yield f"sqlite:///{Path(folder) / 'lorebase.sqlite3'}"
        return
    if server_url.startswith("sqlite"):
        yield server_url
        return
    admin = make_url(server_url)
    name = f"lorebase_bench_{uuid.uuid4().hex[:10]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield admin.set(database=name).render_as_string(hide_password=False)
        finally:
            with engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    workspace_arguments(
        parser,
        database_url_help="An empty database to fill (default: an SQLite file in a new temp "
        "directory, kept)",
    )
    parser.add_argument("--article-bytes", type=int, default=4096)
    parser.add_argument(
        "--all-public",
        action="store_true",
        help="every category and article visible and published (no draft-only, none hidden)",
    )
    args = parser.parse_args(argv)
    url = args.database_url
    if not url:
        folder = Path(tempfile.mkdtemp(prefix="lorebase-bench-"))
        url = f"sqlite:///{folder / 'lorebase.sqlite3'}"
    generated = generate_workspace(
        url,
        categories=args.categories,
        articles=args.articles,
        article_bytes=args.article_bytes,
        seed=args.seed,
        all_public=args.all_public,
    )
    summary = {
        "database_url": generated.database_url,
        "admin_token": generated.admin_token,
        "workspace_id": generated.workspace_id,
        "counts": generated.counts,
        "seconds": round(generated.seconds, 2),
    }
    print(json.dumps(summary, indent=2))
    print(
        f"serve it: LOREBASE_DATABASE_URL='{generated.database_url}' lorebase serve",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
