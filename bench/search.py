"""Search benchmark: known-item queries through the search route, against tantivy and bm25s.

Issue 12 ("Search that finds what readers mean"). A query set is generated, seeded, from the
published English articles of a corpus: for each kind about 250 queries, each naming exactly
one right article (the exact title, the title with one typo, a question built on it, another
inflection of one of its words, four rare words of one paragraph of its body, the title with
its last word cut to a prefix). The corpus is the real Document360 export beside the repository
(`../shared/fixtures/...`, imported with `lorebase import --publish`), or a generated workspace
when there is none. In the same run, on the same corpus and the same queries, it measures:

- Lorebase through `GET /v2/ProjectVersions/{id}/en?searchQuery=...&hitsPerPage=10` of a
  `lorebase serve` (one keep-alive connection, sequential requests, like a reader typing);
- tantivy (BM25, English stemming, each word of 5+ letters also as a fuzzy term of distance 1,
  words OR-ed, title boosted 2x) and bm25s (PyStemmer English stems, English stop words, the
  title twice in the indexed text), in this process;

and reports success@1, success@10, MRR@10 and the zero-result rate per kind and overall, then
the route's p50/p99 latency on a generated workspace of 10,000 articles. Targets (the issue):
MRR@10 >= 0.80 overall and >= tantivy's on every kind, zero results < 2 %, body-word and prefix
success@10 >= 0.95, p50 <= 20 ms on SQLite and <= 40 ms on PostgreSQL.

    .venv/bin/python -m bench.search
    .venv/bin/python -m bench.search --database-url postgresql+psycopg://postgres@127.0.0.1/postgres

With a PostgreSQL URL scratch databases are created on that server and dropped at the end. A
figure off its target is reported (FAIL) and the exit status is 0: a benchmark reports, it does
not gate. When no query was answered, or the route answered anything but 200, the benchmark
measured nothing: exit status 1.
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

import bm25s
import orjson
import Stemmer
import tantivy
from sqlalchemy import and_, func, select

if __package__ in (None, ""):  # run as `python bench/search.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate import generate_workspace, scratch_database
from bench.reads import RawConnection, Server, running_server, server_environment
from bench.report import engine_name, exit_status, percentile, say, table_lines, verdict
from lorebase.bootstrap import prepare_database
from lorebase.db.engine import make_engine, make_session_factory
from lorebase.db.models import Article, ArticleRevision, ArticleTranslation

FIXTURE = (
    Path(__file__).resolve().parent.parent.parent
    / "shared"
    / "fixtures"
    / "document360-export-vexy-lines-2025-03-12.zip"
)
LANGUAGE = "en"
HITS_PER_PAGE = 10
KINDS = (
    "exact title",
    "one typo",
    "a question",
    "other inflection",
    "body words",
    "typed prefix",
)
MRR_TARGET = 0.80
ZERO_RESULT_TARGET = 0.02
RECALL_TARGET = 0.95  # success@10 of body-word and typed-prefix queries
RECALL_KINDS = ("body words", "typed prefix")
P50_TARGET_MS = {"SQLite": 20.0, "PostgreSQL": 40.0}
WARMUP_QUERIES = 50

# --- the corpus ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CorpusArticle:
    """One published article language, as the search route sees it."""

    id: str
    title: str
    body: str  # Markdown (or HTML) of the published revision
    hidden: bool

    @property
    def text(self) -> str:
        """What the baselines index besides the title: the body without HTML tags."""
        return html.unescape(_TAG.sub(" ", self.body))


def published_articles(database_url: str, workspace_id: str) -> list[CorpusArticle]:
    """Every article of the workspace with a published English revision, that revision's title
    and body, ordered by id."""
    engine = make_engine(database_url, pooled=False)
    try:
        with make_session_factory(engine)() as session:
            rows = session.execute(
                select(
                    Article.id,
                    Article.hidden,
                    ArticleRevision.title,
                    ArticleRevision.content,
                    ArticleRevision.html_content,
                )
                .join(ArticleTranslation, ArticleTranslation.article_id == Article.id)
                .join(
                    ArticleRevision,
                    and_(
                        ArticleRevision.article_id == Article.id,
                        ArticleRevision.language_code == ArticleTranslation.language_code,
                        ArticleRevision.version_number == ArticleTranslation.public_version,
                    ),
                )
                .where(
                    Article.project_version_id == workspace_id,
                    ArticleTranslation.language_code == LANGUAGE,
                    ArticleTranslation.public_version > 0,
                )
            ).all()
    finally:
        engine.dispose()
    # Sorted here, not by the database: PostgreSQL orders text by its collation, SQLite by
    # bytes, and the same corpus must give the same query set on both.
    return sorted(
        (
            CorpusArticle(id, title, content or html_content or "", bool(hidden))
            for id, hidden, title, content, html_content in rows
        ),
        key=lambda article: article.id,
    )


def _fullest_workspace(database_url: str) -> str:
    """The workspace the import filled (the one with the most articles)."""
    engine = make_engine(database_url, pooled=False)
    try:
        with make_session_factory(engine)() as session:
            counted = session.execute(
                select(Article.project_version_id, func.count())
                .group_by(Article.project_version_id)
                .order_by(func.count().desc())
            ).first()
    finally:
        engine.dispose()
    if counted is None:
        raise RuntimeError("the import wrote no article")
    return str(counted[0])


@dataclass
class ImportedFixture:
    admin_token: str
    workspace_id: str
    seconds: float
    archive_ids: set[str]


def _archive_article_ids(path: Path) -> set[str]:
    from lorebase.exchange.jsonzip.reader import CategoryData, open_export

    ids: set[str] = set()

    def visit(categories: list[CategoryData]) -> None:
        for category in categories:
            ids.update(a.id for a in category.articles)
            visit(category.children)

    with open_export(path) as opened:
        for ws in opened.archive.workspaces:
            ids.update(a.id for a in ws.articles)
            visit(ws.categories)
    return ids


def import_fixture(database_url: str, data_dir: Path, path: Path) -> ImportedFixture:
    """First start on the empty database, then `lorebase import FILE --publish` as a user runs
    it (the import job, in that process), with the benchmark's server settings."""
    first = prepare_database(database_url)
    if first is None:
        raise RuntimeError(f"{database_url} already holds a project; give an empty one")
    command = [
        *(sys.executable, "-m", "lorebase.cli", "import", str(path), "--publish"),
        *("--database-url", database_url, "--data-dir", str(data_dir)),
    ]
    started = time.perf_counter()
    done = subprocess.run(
        command,
        env=server_environment(),
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"lorebase import failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return ImportedFixture(
        admin_token=first.admin_token,
        workspace_id=_fullest_workspace(database_url),
        seconds=seconds,
        archive_ids=_archive_article_ids(path),
    )


# --- words --------------------------------------------------------------------------------------

_TAG = re.compile(r"<[^>]+>")
# Letters and digits, as the full-text tokenizers split them (FTS5's unicode61 and PostgreSQL's
# parser both treat `_` as a separator, unlike `\w`).
_WORD = re.compile(r"[^\W_]+")
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_IMAGE = re.compile(r"!\[[^\]]*\](\([^)]*\)|\[[^\]]*\])")
_LINK_DEFINITION = re.compile(r"^\[[^\]]+\]:")
_ATTRIBUTES = re.compile(r"\{[^}]*\}")
_INLINE_CODE = re.compile(r"`[^`]*`")
_URL = re.compile(r"https?://\S+")
_STOP_WORDS = """
    a about above after again all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further
    had has have having he her here hers him his how i if in into is it its itself just me more
    most my no nor not now of off on once only or other our out over own same she should so some
    such than that the their them then there these they this those through to too under until up
    very was we were what when where which while who whom why will with would you your yours
    yourself"""
STOP_WORDS = frozenset(_STOP_WORDS.split())
_QUESTION_WORDS = "how what where why when which who can is does do are"
QUESTION_WORDS = frozenset(_QUESTION_WORDS.split())
_STEMMER = Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def stem(word: str) -> str:
    return str(_STEMMER.stemWord(word.lower()))


def title_key(title: str) -> tuple[str, ...]:
    """What a title says once case and inflection are set aside: two articles whose titles
    share it cannot be told apart by a query built on either title."""
    return tuple(stem(w) for w in words(title))


def prose_paragraphs(markdown: str) -> list[str]:
    """The paragraphs of running text of a body, without code, tables, headings, images, link
    targets or URLs: where a reader would pick words to remember an article by."""
    paragraphs: list[str] = []
    current: list[str] = []
    in_code = False
    for line in markdown.splitlines():
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            in_code = not in_code
            continue
        if (
            in_code
            or not stripped
            or stripped.startswith(("|", "#"))
            or _LINK_DEFINITION.match(stripped)
        ):
            if current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        current.append(stripped)
    if current:
        paragraphs.append(" ".join(current))
    cleaned = []
    for paragraph in paragraphs:
        text = _IMAGE.sub(" ", paragraph)
        text = _LINK_TARGET.sub("] ", text)
        text = _INLINE_CODE.sub(" ", _ATTRIBUTES.sub(" ", text))
        text = html.unescape(_TAG.sub(" ", _URL.sub(" ", text)))
        cleaned.append(text)
    return cleaned


def within_one_edit(a: str, b: str) -> bool:
    """Damerau-Levenshtein (optimal string alignment) distance of a and b <= 1."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        i = diffs[0]
        return len(diffs) == 2 and diffs[1] == i + 1 and a[i] == b[i + 1] and a[i + 1] == b[i]
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long[i]:
        i += 1
    return short[i:] == long[i + 1 :]


def _with_case_of(original: str, replacement: str) -> str:
    return replacement[:1].upper() + replacement[1:] if original[:1].isupper() else replacement


# --- the query set ------------------------------------------------------------------------------


@dataclass(frozen=True)
class KnownItemQuery:
    kind: str
    query: str
    article_id: str
    title: str


class CorpusIndex:
    """What the query generator needs to know about the whole corpus: its vocabulary, each
    word's documents, and the articles' title keys."""

    def __init__(self, articles: Sequence[CorpusArticle]) -> None:
        self.articles = list(articles)
        self.postings: dict[str, set[int]] = defaultdict(set)
        for n, article in enumerate(self.articles):
            for word in {w.lower() for w in words(f"{article.title} {article.text}")}:
                self.postings[word].add(n)
        self.vocabulary = frozenset(self.postings)
        self.keys = [title_key(a.title) for a in self.articles]
        self.key_counts = Counter(self.keys)
        # Titles by (length, position, the stems at every other position): the titles that a
        # one-word change at that position could be confused with.
        self.by_position: dict[tuple[int, int, tuple[str, ...]], list[int]] = defaultdict(list)
        for n, key in enumerate(self.keys):
            for i in range(len(key)):
                self.by_position[(len(key), i, key[:i] + key[i + 1 :])].append(n)

    def single_title(self, n: int) -> bool:
        return bool(self.keys[n]) and self.key_counts[self.keys[n]] == 1

    def document_frequency(self, word: str) -> int:
        return len(self.postings.get(word, ()))

    def typo_confusable(self, n: int, position: int, typo: str) -> bool:
        """Another title differs from article n's only at `position`, by a word within one edit
        of the typo: the typo would describe both."""
        key = self.keys[n]
        others = self.by_position.get((len(key), position, key[:position] + key[position + 1 :]))
        for other in others or ():
            if other == n:
                continue
            if within_one_edit(typo.lower(), words(self.articles[other].title)[position].lower()):
                return True
        return False

    def prefix_confusable(self, n: int, complete: list[str], prefix: str) -> bool:
        """Another title starts with the same complete words and a word beginning with the
        prefix: the typed text would describe both."""
        stems = tuple(stem(w) for w in complete)
        for other, key in enumerate(self.keys):
            if other == n or len(key) <= len(stems) or key[: len(stems)] != stems:
                continue
            if words(self.articles[other].title)[len(stems)].lower().startswith(prefix.lower()):
                return True
        return False

    def containing_all(self, vocabulary: Iterable[str]) -> set[int]:
        sets = sorted((self.postings.get(w, set()) for w in vocabulary), key=len)
        return set.intersection(*sets) if sets else set()


def _typo(word: str, rng: random.Random) -> str:
    """One edit of `word`: a transposition of two neighbours, a substitution, a deletion or an
    insertion, each equally likely, at a uniformly chosen place (so the first letter is hit no
    more often than any other)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    operation = rng.choice(("transpose", "substitute", "delete", "insert"))
    if operation == "transpose":
        i = rng.randrange(len(word) - 1)
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if operation == "substitute":
        i = rng.randrange(len(word))
        letter = rng.choice([c for c in letters if c != word[i].lower()])
        return word[:i] + (letter.upper() if word[i].isupper() else letter) + word[i + 1 :]
    if operation == "delete":
        i = rng.randrange(len(word))
        return word[:i] + word[i + 1 :]
    i = rng.randrange(len(word) + 1)
    return word[:i] + rng.choice(letters) + word[i:]


def inflections(word: str) -> list[str]:
    """Other forms of a lower-case English word by simple rules: plural <-> singular, -ing and
    -ed <-> base form. Candidates only; the caller keeps the ones the corpus uses."""
    w = word
    if len(w) < 3 or not w.isalpha():
        return []
    if w.endswith("ies") and len(w) > 4:
        return [w[:-3] + "y"]
    if w.endswith(("sses", "shes", "ches", "xes", "zes")):
        return [w[:-2]]
    if w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return [w[:-1]]
    if w.endswith("ing") and len(w) > 5:
        base = w[:-3]
        forms = [base, base + "e"]
        if base[-1] == base[-2]:
            forms.append(base[:-1])
        return forms
    if w.endswith("ied") and len(w) > 4:
        return [w[:-3] + "y"]
    if w.endswith("ed") and len(w) > 4:
        base = w[:-2]
        forms = [base, w[:-1]]
        if base[-1] == base[-2]:
            forms.append(base[:-1])
        return forms
    if w.endswith(("s", "x", "z", "ch", "sh")):
        plural = w + "es"
    elif w.endswith("y") and w[-2] not in "aeiou":
        plural = w[:-1] + "ies"
    else:
        plural = w + "s"
    gerund = (w[:-1] if w.endswith("e") and not w.endswith("ee") else w) + "ing"
    return [plural, gerund]


class QueryMaker:
    """Builds the queries of each kind for one article, or None when the article gives none.

    With `single_answer` (the quality set) a query must describe its article alone: articles
    whose title key is shared are left out, and so are typos, prefixes and body words that
    would describe another article as well. Without it (the latency set) anything goes."""

    def __init__(self, corpus: CorpusIndex, *, single_answer: bool) -> None:
        self.corpus = corpus
        self.single_answer = single_answer

    def exact_title(self, n: int, rng: random.Random) -> str | None:
        return self.corpus.articles[n].title.strip() or None

    def one_typo(self, n: int, rng: random.Random) -> str | None:
        title = self.corpus.articles[n].title
        spans = [m for m in _WORD.finditer(title) if len(m.group()) >= 5 and m.group().isalpha()]
        if not spans:
            return None
        position_of = {m.start(): i for i, m in enumerate(_WORD.finditer(title))}
        chosen = rng.choice(spans)
        for _ in range(20):
            typo = _typo(chosen.group(), rng)
            # An edit that makes another word of the corpus is no typo a search can see.
            if typo.lower() in self.corpus.vocabulary:
                continue
            position = position_of[chosen.start()]
            if self.single_answer and self.corpus.typo_confusable(n, position, typo):
                continue
            return title[: chosen.start()] + typo + title[chosen.end() :]
        return None

    def question(self, n: int, rng: random.Random) -> str | None:
        # As a reader types it: lower case, no Markdown emphasis, no closing mark.
        title = self.corpus.articles[n].title.lower().replace("*", "").replace("`", "")
        title = " ".join(title.rstrip("?.!").split())
        found = words(title)
        if not found:
            return None
        if title.startswith("how to "):
            return "how do i " + title.removeprefix("how to ")
        first = found[0]
        if first in QUESTION_WORDS:
            return None  # already a question: the exact-title kind has it
        how = ("how do i ", "how to ")
        if first.endswith("ing"):
            bases = [b for b in inflections(first) if b in self.corpus.vocabulary]
            if bases:
                return rng.choice(how) + bases[0] + title[len(first) :]
        if self._verb(first):
            return rng.choice(how) + title
        return rng.choice(("what is ", "where can i find ")) + title

    def _verb(self, word: str) -> bool:
        """The corpus also writes the word with -ing or -ed: a title that starts with it is an
        instruction ("Import metrics"), asked about with "how"."""
        stem_ = word[:-1] if word.endswith("e") else word
        forms = (stem_ + "ing", word + "ed", word + "d")
        return word not in STOP_WORDS and any(f in self.corpus.vocabulary for f in forms)

    def other_inflection(self, n: int, rng: random.Random) -> str | None:
        title = self.corpus.articles[n].title
        choices = []
        for match in _WORD.finditer(title):
            word = match.group().lower()
            if word in STOP_WORDS:
                continue
            for form in inflections(word):
                if form != word and form in self.corpus.vocabulary:
                    choices.append((match, form))
        if not choices:
            return None
        match, form = rng.choice(choices)
        return title[: match.start()] + _with_case_of(match.group(), form) + title[match.end() :]

    def body_words(self, n: int, rng: random.Random, count: int = 4) -> str | None:
        article = self.corpus.articles[n]
        in_title = {w.lower() for w in words(article.title)}
        in_title |= {stem(w) for w in in_title}
        paragraphs = prose_paragraphs(article.body)
        rng.shuffle(paragraphs)
        for paragraph in paragraphs:
            candidates: list[str] = []
            for word in (w.lower() for w in words(paragraph)):
                if (
                    len(word) >= 3
                    and word.isalpha()
                    and word not in STOP_WORDS
                    and word not in in_title
                    and stem(word) not in in_title
                    and word not in candidates
                ):
                    candidates.append(word)
            if len(candidates) < count:
                continue
            rarest = sorted(candidates, key=self.corpus.document_frequency)[:count]
            if self.single_answer and self.corpus.containing_all(rarest) != {n}:
                continue
            return " ".join(w for w in candidates if w in rarest)
        return None

    def typed_prefix(self, n: int, rng: random.Random) -> str | None:
        title = self.corpus.articles[n].title
        found = list(_WORD.finditer(title))
        if not found or len(found[-1].group()) < 4:
            return None
        last = found[-1]
        complete = [m.group() for m in found[:-1]]
        shortest = rng.randint(3, len(last.group()) - 1)
        # Longer prefixes when a short one would also describe another title.
        for length in range(shortest, len(last.group())):
            prefix = last.group()[:length]
            if self.single_answer and self.corpus.prefix_confusable(n, complete, prefix):
                continue
            return title[: last.start()] + prefix
        return None

    def maker(self, kind: str) -> Callable[[int, random.Random], str | None]:
        return {
            "exact title": self.exact_title,
            "one typo": self.one_typo,
            "a question": self.question,
            "other inflection": self.other_inflection,
            "body words": self.body_words,
            "typed prefix": self.typed_prefix,
        }[kind]


def known_item_queries(
    corpus: CorpusIndex,
    per_kind: int,
    seed: int,
    *,
    single_answer: bool = True,
) -> list[KnownItemQuery]:
    """Up to `per_kind` queries of each kind, each for one article drawn (seeded, per kind) from
    the visible published articles, in a seeded order that mixes the kinds (a drift of the
    machine touches every kind alike); the same corpus and seed give the same set."""
    maker = QueryMaker(corpus, single_answer=single_answer)
    eligible = [
        n
        for n, article in enumerate(corpus.articles)
        if not article.hidden and (corpus.single_title(n) or not single_answer)
    ]
    queries: list[KnownItemQuery] = []
    for kind in KINDS:
        rng = random.Random(f"{seed}/{kind}")
        order = eligible[:]
        rng.shuffle(order)
        made = 0
        seen: set[str] = set()
        for n in order:
            if made == per_kind:
                break
            text = maker.maker(kind)(n, rng)
            if not text or not words(text) or text.lower() in seen:
                continue
            seen.add(text.lower())
            article = corpus.articles[n]
            queries.append(KnownItemQuery(kind, text, article.id, article.title))
            made += 1
    random.Random(f"{seed}/order").shuffle(queries)
    return queries


def warmup_queries(corpus: CorpusIndex, count: int = WARMUP_QUERIES) -> list[str]:
    """Titles with their words reversed: they read the same index pages as the measured
    queries without repeating any of them (a search that caches answers would otherwise time
    its cache)."""
    sample = random.Random("warm-up").sample(corpus.articles, min(count, len(corpus.articles)))
    return [" ".join(reversed(words(a.title))) for a in sample if words(a.title)]


# --- the engines --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    article_ids: list[str]  # best first, at most HITS_PER_PAGE
    ms: float
    error: str = ""


class SearchEngine(Protocol):
    name: str

    def search(self, query: str) -> Answer: ...


class LorebaseRoute:
    """The search route of a running server, over one keep-alive connection."""

    name = "Lorebase"

    def __init__(self, server: Server, token: str, workspace_id: str) -> None:
        self.connection = RawConnection(server)
        self.head = (
            f"Host: {server.base_url.removeprefix('http://')}\r\napi_token: {token}\r\n\r\n"
        ).encode()
        self.path = f"/v2/ProjectVersions/{workspace_id}/{LANGUAGE}"

    def search(self, query: str) -> Answer:
        target = f"{self.path}?searchQuery={quote(query)}&page=0&hitsPerPage={HITS_PER_PAGE}"
        ms, status, body = self.connection.get(f"GET {target} HTTP/1.1\r\n".encode() + self.head)
        if status != 200:
            return Answer([], ms, f"HTTP {status} for {query!r}: {body[:300]!r}")
        hits = orjson.loads(body)["data"]["hits"]
        return Answer([h["article_id"] for h in hits], ms)

    def close(self) -> None:
        self.connection.close()


class TantivyBaseline:
    """tantivy as its user would set it up for a search box: title and body as text fields
    with its English stemming tokenizer, BM25; each query word a term in both fields (title
    boosted 2x), words of 5+ letters also as a fuzzy term of distance 1 (a transposition
    costs 1), all OR-ed. tantivy scores a fuzzy match as a constant, so the exact term is kept
    beside it to keep BM25's weighting of the words that match as typed."""

    name = "tantivy"

    def __init__(self, articles: Sequence[CorpusArticle]) -> None:
        started = time.perf_counter()
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("title", tokenizer_name="en_stem")
        builder.add_text_field("body", tokenizer_name="en_stem")
        builder.add_integer_field("doc", stored=True)
        self.schema = builder.build()
        index = tantivy.Index(self.schema)
        # One indexing thread: with several, documents land in segments in a varying order,
        # and equal scores then rank differently from run to run.
        writer = index.writer(heap_size=128_000_000, num_threads=1)
        for n, article in enumerate(articles):
            writer.add_document(tantivy.Document(title=article.title, body=article.text, doc=n))
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        self.searcher = index.searcher()
        self.ids = [a.id for a in articles]
        # The query side of tantivy's built-in `en_stem`: the fuzzy query takes its term as is.
        self.analyzer = (
            tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.remove_long(40))
            .filter(tantivy.Filter.lowercase())
            .filter(tantivy.Filter.stemmer("english"))
            .build()
        )
        self.seconds = time.perf_counter() - started

    def search(self, query: str) -> Answer:
        started = time.perf_counter()
        make = tantivy.Query
        clauses = []
        for term in self.analyzer.analyze(query):
            for field_name, boost in (("title", 2.0), ("body", 1.0)):
                exact = make.term_query(self.schema, field_name, term)
                clauses.append((tantivy.Occur.Should, make.boost_query(exact, boost)))
                if len(term) >= 5:
                    fuzzy = make.fuzzy_term_query(self.schema, field_name, term, distance=1)
                    clauses.append((tantivy.Occur.Should, make.boost_query(fuzzy, boost)))
        ids: list[str] = []
        if clauses:
            found = self.searcher.search(make.boolean_query(clauses), HITS_PER_PAGE, count=False)
            ids = [self.ids[self.searcher.doc(address)["doc"][0]] for _, address in found.hits]
        return Answer(ids, (time.perf_counter() - started) * 1000)


class Bm25sBaseline:
    """bm25s with PyStemmer's English stemmer and its English stop words; the title is written
    twice in the indexed text to weight it."""

    name = "bm25s"

    def __init__(self, articles: Sequence[CorpusArticle]) -> None:
        started = time.perf_counter()
        self.stemmer = Stemmer.Stemmer("english")
        texts = [f"{a.title} {a.title} {a.text}" for a in articles]
        tokens = bm25s.tokenize(texts, stopwords="en", stemmer=self.stemmer, show_progress=False)
        self.retriever = bm25s.BM25()
        self.retriever.index(tokens, show_progress=False)
        self.vocabulary = tokens.vocab
        self.ids = [a.id for a in articles]
        self.seconds = time.perf_counter() - started

    def search(self, query: str) -> Answer:
        started = time.perf_counter()
        tokens = bm25s.tokenize(
            [query], stopwords="en", stemmer=self.stemmer, return_ids=False, show_progress=False
        )[0]
        known = [t for t in tokens if t in self.vocabulary]
        ids: list[str] = []
        if known:
            k = min(HITS_PER_PAGE, len(self.ids))
            documents, scores = self.retriever.retrieve([known], k=k, show_progress=False)
            ids = [self.ids[d] for d, s in zip(documents[0], scores[0], strict=True) if s > 0]
        return Answer(ids, (time.perf_counter() - started) * 1000)


# --- measurement --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    kind: str
    rank: int | None  # 1-based place of the right article among the hits, None if absent
    zero: bool  # no hit at all
    ms: float
    error: str = ""


@dataclass
class Figures:
    """success@1, success@10, MRR@10 and the zero-result rate of some outcomes."""

    queries: int
    success_1: float
    success_10: float
    mrr_10: float
    zero: float

    @classmethod
    def of(cls, outcomes: Sequence[Outcome]) -> Figures | None:
        if not outcomes:
            return None
        n = len(outcomes)
        ranks = [o.rank for o in outcomes]
        return cls(
            queries=n,
            success_1=sum(r == 1 for r in ranks) / n,
            success_10=sum(r is not None and r <= HITS_PER_PAGE for r in ranks) / n,
            mrr_10=sum(1 / r for r in ranks if r is not None and r <= HITS_PER_PAGE) / n,
            zero=sum(o.zero for o in outcomes) / n,
        )


@dataclass
class EngineRun:
    name: str
    outcomes: list[Outcome] = field(default_factory=list)

    def figures(self, kind: str | None = None) -> Figures | None:
        return Figures.of([o for o in self.outcomes if kind is None or o.kind == kind])

    @property
    def errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.error]


def run_queries(engine: SearchEngine, queries: Sequence[KnownItemQuery]) -> EngineRun:
    run = EngineRun(engine.name)
    for query in queries:
        answer = engine.search(query.query)
        ids = answer.article_ids[:HITS_PER_PAGE]
        rank = ids.index(query.article_id) + 1 if query.article_id in ids else None
        run.outcomes.append(Outcome(query.kind, rank, not ids, answer.ms, answer.error))
    return run


# --- report -------------------------------------------------------------------------------------


@dataclass
class Corpus:
    """Where the quality figures were measured."""

    description: str
    articles: int
    note: str = ""


@dataclass
class Latency:
    articles: int
    categories: int
    generated_s: float
    run: EngineRun


def _rate(value: float) -> str:
    return f"{value:.3f}"


def report(engine: str, quality: Quality, latency: Latency) -> str:
    corpus, queries, runs = quality.corpus, quality.queries, quality.runs
    ours, tantivy_run = runs[0], runs[1]
    counts = Counter(q.kind for q in queries)
    lines = [
        f"Lorebase search benchmark: {engine}, {corpus.description}: {corpus.articles:,} "
        f"published English articles, {len(queries):,} known-item queries; latency at "
        f"{latency.articles:,} generated articles",
    ]
    if corpus.note:
        lines.append(corpus.note)
    lines += [
        "queries per kind: " + ", ".join(f"{kind} {counts[kind]}" for kind in KINDS),
        "",
    ]
    heads = ("figure", "kind", "queries", *(r.name for r in runs))
    rows: list[tuple[str, ...]] = []
    metrics: tuple[tuple[str, Callable[[Figures], float]], ...] = (
        ("success@10", lambda f: f.success_10),
        ("MRR@10", lambda f: f.mrr_10),
        ("success@1", lambda f: f.success_1),
        ("zero results", lambda f: f.zero),
    )
    for label, value in metrics:
        for kind in (*KINDS, None):
            found = [r.figures(kind) for r in runs]
            first = found[0]
            rows.append(
                (
                    label,
                    kind or "overall",
                    f"{first.queries:,}" if first else "0",
                    *(_rate(value(f)) if f else "n/a" for f in found),
                )
            )
        rows.append(("",) * len(heads))
    lines += table_lines(heads, rows, right_from=2, strip=True)
    lines.append("latency of one query (ms)                  p50      p99  queries")
    for run, where in (
        (ours, "the route, quality corpus"),
        *((r, "in this process") for r in runs[1:]),
    ):
        times = [o.ms for o in run.outcomes]
        lines.append(
            f"  {run.name + ', ' + where:<38} {percentile(times, 0.5):8.2f} "
            f"{percentile(times, 0.99):8.2f}  {len(times):,}"
        )
    timed = [o.ms for o in latency.run.outcomes]
    p50, p99 = percentile(timed, 0.5), percentile(timed, 0.99)
    lines.append(
        f"  {f'Lorebase, the route, {latency.articles:,} articles':<38} {p50:8.2f} {p99:8.2f}  "
        f"{len(timed):,}"
    )
    lines.append(
        "baselines built in "
        + ", ".join(f"{name} {s:.1f} s" for name, s in quality.baseline_seconds.items())
        + f"; latency workspace ({latency.categories:,} categories, {latency.articles:,} "
        f"articles) generated in {latency.generated_s:.1f} s"
    )

    # Targets.
    checks: list[tuple[str, str, str]] = []
    overall = ours.figures()
    assert overall is not None
    checks.append(
        (
            f"overall MRR@10 >= {MRR_TARGET:.2f}",
            _rate(overall.mrr_10),
            verdict(overall.mrr_10 >= MRR_TARGET),
        )
    )
    for kind in KINDS:
        mine, theirs = ours.figures(kind), tantivy_run.figures(kind)
        if mine is None or theirs is None:
            checks.append((f"MRR@10 >= tantivy's: {kind}", "no queries", "n/a"))
            continue
        checks.append(
            (
                f"MRR@10 >= tantivy's: {kind}",
                f"{_rate(mine.mrr_10)} vs {_rate(theirs.mrr_10)}",
                verdict(mine.mrr_10 >= theirs.mrr_10),
            )
        )
    checks.append(
        (
            f"zero-result rate < {ZERO_RESULT_TARGET:.0%}",
            f"{overall.zero:.1%}",
            verdict(overall.zero < ZERO_RESULT_TARGET),
        )
    )
    for kind in RECALL_KINDS:
        mine = ours.figures(kind)
        if mine is None:
            checks.append((f"success@10 >= {RECALL_TARGET:.2f}: {kind}", "no queries", "n/a"))
            continue
        checks.append(
            (
                f"success@10 >= {RECALL_TARGET:.2f}: {kind}",
                _rate(mine.success_10),
                verdict(mine.success_10 >= RECALL_TARGET),
            )
        )
    target_ms = P50_TARGET_MS[engine]
    checks.append(
        (
            f"latency p50 at {latency.articles:,} articles <= {target_ms:g} ms ({engine})",
            f"{p50:.1f} ms",
            verdict(p50 <= target_ms),
        )
    )
    lines += ["", *table_lines(("target", "value", "result"), checks, rule=False, strip=True)]
    return "\n".join(lines)


def dump_queries(path: Path, queries: Sequence[KnownItemQuery]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for q in queries:
            record = {
                "kind": q.kind,
                "query": q.query,
                "article_id": q.article_id,
                "title": q.title,
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


# --- main ---------------------------------------------------------------------------------------


@dataclass
class Quality:
    """The known-item queries of one corpus through the route and both baselines."""

    corpus: Corpus
    queries: list[KnownItemQuery]
    runs: list[EngineRun]  # Lorebase, tantivy, bm25s
    baseline_seconds: dict[str, float]


def measure_quality(
    server: Server,
    token: str,
    workspace_id: str,
    corpus: CorpusIndex,
    description: Corpus,
    queries: list[KnownItemQuery],
) -> Quality:
    """The same queries through the route and both baselines built on the same articles."""
    if not queries:
        raise RuntimeError(f"no known-item query could be made from {description.description}")
    say("building the baselines...")
    tantivy_engine = TantivyBaseline(corpus.articles)
    bm25s_engine = Bm25sBaseline(corpus.articles)
    route = LorebaseRoute(server, token, workspace_id)
    try:
        for text in warmup_queries(corpus):
            route.search(text)
        say(f"sending {len(queries):,} queries to the route and both baselines...")
        runs = [run_queries(engine, queries) for engine in (route, tantivy_engine, bm25s_engine)]
    finally:
        route.close()
    seconds = {"tantivy": tantivy_engine.seconds, "bm25s": bm25s_engine.seconds}
    return Quality(description, queries, runs, seconds)


def measure_latency(
    server: Server, token: str, workspace_id: str, corpus: CorpusIndex, per_kind: int, seed: int
) -> EngineRun:
    """The route's latency, one query at a time after a warm-up, over queries of every kind
    made from the workspace (a query may fit several articles: only the time counts)."""
    queries = known_item_queries(corpus, per_kind, seed, single_answer=False)
    route = LorebaseRoute(server, token, workspace_id)
    try:
        for text in warmup_queries(corpus):
            route.search(text)
        say(f"latency: {len(queries):,} queries through the route...")
        return run_queries(route, queries)
    finally:
        route.close()


def fixture_quality(args: argparse.Namespace) -> Quality:
    """Import the real export into a scratch database and measure the query set made from it."""
    with (
        scratch_database(args.database_url) as url,
        tempfile.TemporaryDirectory(prefix="lorebase-bench-search-") as data,
    ):
        say(f"importing {args.fixture.name} ({engine_name(url)})...")
        imported = import_fixture(url, Path(data), args.fixture)
        articles = published_articles(url, imported.workspace_id)
        say(f"  {len(articles):,} published articles in {imported.seconds:.1f} s")
        kept = len(imported.archive_ids & {a.id for a in articles})
        description = Corpus(
            f"{args.fixture.name} (imported by `lorebase import --publish` in "
            f"{imported.seconds:.1f} s)",
            len(articles),
            f"article ids: {kept:,} of the archive's {len(imported.archive_ids):,} kept by the "
            "import (the query set names Document360's ids)",
        )
        corpus = CorpusIndex(articles)
        queries = known_item_queries(corpus, args.queries_per_kind, args.seed)
        with running_server(url, Path(data), "cli") as server:
            return measure_quality(
                server, imported.admin_token, imported.workspace_id, corpus, description, queries
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        help="PostgreSQL server URL (scratch databases are created there and dropped); "
        "default: SQLite in a temp directory",
    )
    parser.add_argument(
        "--corpus",
        choices=("auto", "fixture", "generated"),
        default="auto",
        help="where quality is measured: the real export (--fixture), the generated latency "
        "workspace, or the export when it is there (auto, the default)",
    )
    parser.add_argument("--fixture", type=Path, default=FIXTURE, help="a Document360 export ZIP")
    parser.add_argument("--queries-per-kind", type=int, default=250)
    parser.add_argument("--latency-articles", type=int, default=10000)
    parser.add_argument("--latency-categories", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--dump-queries", type=Path, help="write the known-item query set here as JSON lines"
    )
    args = parser.parse_args(argv)
    if args.corpus == "fixture" and not args.fixture.exists():
        parser.error(f"--corpus fixture: no file at {args.fixture}")
    return exit_status("search", lambda: run(args))


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    quality: Quality | None = None
    if args.corpus == "fixture" or (args.corpus == "auto" and args.fixture.exists()):
        quality = fixture_quality(args)
    with (
        scratch_database(args.database_url) as url,
        tempfile.TemporaryDirectory(prefix="lorebase-bench-search-") as data,
    ):
        engine = engine_name(url)
        say(
            f"generating {args.latency_categories:,} categories and {args.latency_articles:,} "
            f"articles ({engine})..."
        )
        ws = generate_workspace(
            url,
            categories=args.latency_categories,
            articles=args.latency_articles,
            seed=args.seed,
        )
        say(f"  done in {ws.seconds:.1f} s")
        corpus = CorpusIndex(published_articles(url, ws.workspace_id))
        with running_server(url, Path(data), "cli") as server:
            if quality is None:
                why = (
                    "--corpus generated" if args.fixture.exists() else f"no file at {args.fixture}"
                )
                description = Corpus(
                    f"generated workspace (bench/generate.py, seed {args.seed}; the latency "
                    "workspace)",
                    len(corpus.articles),
                    f"fixture: not used ({why}). Generated bodies repeat pooled paragraphs: few "
                    "or no body-word queries name one article here.",
                )
                queries = known_item_queries(corpus, args.queries_per_kind, args.seed)
                quality = measure_quality(
                    server, ws.admin_token, ws.workspace_id, corpus, description, queries
                )
            timed = measure_latency(
                server, ws.admin_token, ws.workspace_id, corpus, args.queries_per_kind, args.seed
            )
    latency = Latency(args.latency_articles, args.latency_categories, ws.seconds, timed)
    if args.dump_queries:
        dump_queries(args.dump_queries, quality.queries)
    print(report(engine, quality, latency))
    if args.dump_queries:
        print(f"query set written to {args.dump_queries}")
    print(f"\nwall time of the whole run: {time.perf_counter() - started:.1f} s")
    errors = quality.runs[0].errors + timed.errors
    if errors:
        raise RuntimeError(
            f"{len(errors):,} queries failed through the route; first: {errors[0].error}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
