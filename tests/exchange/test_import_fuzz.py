"""Hypothesis-generated archives for the importer: any bytes, any ZIP of odd names and contents,
and Document360-shaped exports with wrong types and shapes. Every archive is either imported or
refused with `ArchiveError`/`ImportRejected` and a message — never another exception — and a
refused import leaves the project as it was. Bounded for CI (a fixed number of examples, no
shrinking past them). The hand-made nasty archives (bombs, traversal, symlinks, entry counts,
truncation) are in test_jsonzip_reader.py and test_jsonzip_importer.py."""

from __future__ import annotations

import io
import json
import warnings
import zipfile
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from lorebase.db.models import Article, Category
from lorebase.exchange.formats import open_archive
from lorebase.exchange.jsonzip.importer import ImportRejected, import_export
from lorebase.exchange.jsonzip.reader import ArchiveError

CAPS = {"max_total_bytes": 1 << 24, "max_ratio": 200}
FUZZ = settings(
    max_examples=100,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)

# JSON values of any shape, small.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
names = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=40
) | st.sampled_from(
    [
        "v1/v1_categories_articles.json",
        "v1/articles/a.json",
        "v1/categories/c.json",
        "lorebase-manifest.json",
        "lorebase-markdown.json",
        "Media/x.png",
        "../evil.json",
        "/abs.json",
        "C:/drive.json",
        "v1/",
    ]
)
node = st.fixed_dictionaries(
    {},
    optional={
        "Id": json_values,
        "Title": json_values,
        "Order": json_values,
        "CategoryType": json_values,
        "Path": json_values,
        "Languages": json_values,
        "Articles": st.lists(
            st.fixed_dictionaries({}, optional={"Id": json_values, "Path": json_values}),
            max_size=3,
        ),
        "SubCategories": json_values,
    },
)
index = st.fixed_dictionaries(
    {},
    optional={
        "Slug": json_values,
        "Languages": json_values,
        "Categories": st.lists(node, max_size=3),
        "Articles": json_values,
    },
)
article_file = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "Code": json_values,
            "Title": json_values,
            "Slug": json_values,
            "Content": json_values,
            "ContentType": json_values,
            "Revisions": json_values,
            "PublicVersion": json_values,
            "LatestVersion": json_values,
        },
    ),
    max_size=3,
)


def _zip(entries: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    # Duplicate names are part of the fuzz; zipfile warns about each.
    with warnings.catch_warnings(), zipfile.ZipFile(out, "w") as archive:
        warnings.simplefilter("ignore", UserWarning)
        for name, data in entries:
            try:
                archive.writestr(name, data)
            except (ValueError, UnicodeEncodeError, IndexError):
                continue  # zipfile itself cannot write such a name
    return out.getvalue()


def _counts(project: Any) -> tuple[int, int]:
    with project.session() as session:
        return (
            session.scalar(select(func.count()).select_from(Category)) or 0,
            session.scalar(select(func.count()).select_from(Article)) or 0,
        )


def _import_or_refuse(project: Any, data: bytes) -> None:
    before = _counts(project)
    try:
        with project.session() as session, open_archive(io.BytesIO(data), **CAPS) as opened:
            import_export(session, project.project_id, opened, publish=False, user_id=None)
    except (ArchiveError, ImportRejected) as refused:
        assert str(refused).strip(), "a refusal without a reason"
        assert _counts(project) == before, "a refused import left rows behind"


def test_any_bytes(project):
    @FUZZ
    @given(st.binary(max_size=2000))
    def check(data: bytes) -> None:
        _import_or_refuse(project, data)

    check()


def test_any_zip_of_odd_names_and_contents(project):
    @FUZZ
    @given(st.lists(st.tuples(names, st.binary(max_size=300)), max_size=6))
    def check(entries: list[tuple[str, bytes]]) -> None:
        _import_or_refuse(project, _zip(entries))

    check()


def test_document360_shaped_exports_with_wrong_shapes(project):
    @FUZZ
    @given(index, st.lists(article_file, max_size=3), st.sampled_from(["v1", "ws.2", "Ünï"]))
    def check(tree: dict[str, Any], files: list[Any], folder: str) -> None:
        entries = [
            (
                f"{folder}/{folder.replace('.', '-')}_categories_articles.json",
                json.dumps(tree).encode(),
            )
        ]
        entries += [
            (f"{folder}/articles/a{i}.json", json.dumps(f).encode()) for i, f in enumerate(files)
        ]
        _import_or_refuse(project, _zip(entries))

    check()
