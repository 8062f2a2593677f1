"""GET /v2/ProjectVersions/{id}/{langCode}?searchQuery=…: full-text search of articles.

Runs on SQLite (FTS5) and PostgreSQL (tsvector) alike; the conftest parametrises both.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.conformance.official import assert_conforms

SEARCH = "/v2/ProjectVersions/{projectVersionId}/{langCode}"


class KB:
    """A small knowledge base built through the API."""

    def __init__(self, project: Any) -> None:
        self.project = project
        created = project.post(
            "/v2/Categories", json={"name": "Docs", "project_version_id": project.workspace_id}
        )
        assert created.status_code == 200, created.text
        self.category_id = created.json()["data"]["id"]

    def article(self, title: str, content: str = "", *, publish: bool = True) -> str:
        created = self.project.post(
            "/v2/Articles",
            json={
                "title": title,
                "content": content,
                "category_id": self.category_id,
                "project_version_id": self.project.workspace_id,
                "user_id": self.project.owner_id,
            },
        )
        assert created.status_code == 200, created.text
        article_id: str = created.json()["data"]["id"]
        if publish:
            self.publish(article_id, 1)
        return article_id

    def publish(self, article_id: str, version: int, lang: str = "en") -> None:
        response = self.project.post(
            f"/v2/Articles/{article_id}/{lang}/publish",
            json={"user_id": self.project.owner_id, "version_number": version},
        )
        assert response.status_code == 200, response.text

    def edit(self, article_id: str, lang: str = "en", **fields: Any) -> None:
        response = self.project.put(f"/v2/Articles/{article_id}/{lang}", json=fields)
        assert response.status_code == 200, response.text

    def search(self, query: str, lang: str = "en", **params: Any) -> dict[str, Any]:
        response = self.project.get(
            f"/v2/ProjectVersions/{self.project.workspace_id}/{lang}",
            params={"searchQuery": query, **params},
        )
        assert response.status_code == 200, response.text
        assert_conforms(response, "GET", SEARCH)
        assert response.json()["success"] is True
        data: dict[str, Any] = response.json()["data"]
        return data

    def found(self, query: str, lang: str = "en", **params: Any) -> list[str]:
        return [hit["article_id"] for hit in self.search(query, lang, **params)["hits"]]


@pytest.fixture
def kb(project: Any) -> KB:
    return KB(project)


# --- matching and ranking -------------------------------------------------------------------


def test_a_word_from_the_body_finds_the_article_with_its_hit_fields(kb):
    article_id = kb.article("Installing", "Run the **installer** on a fresh machine.")
    data = kb.search("installer")
    assert data["nb_hits"] == 1 and data["page"] == 0 and data["nb_pages"] == 1
    assert data["hits_per_page"] == 10
    assert data["query"] == "installer"
    (hit,) = data["hits"]
    assert hit["article_id"] == article_id
    assert hit["title"] == "Installing"
    assert hit["category_id"] == kb.category_id
    assert hit["version"] == 1
    assert hit["is_draft"] is False
    assert hit["lang_code"] == "en"
    assert hit["slug"] == "installing"
    assert "installer" in hit["_snippet_result"]["content"]["value"]
    assert "**" not in hit["content"]


def test_a_title_match_ranks_above_a_body_only_match(kb):
    body_only = kb.article("General notes", "Something about kubernetes in passing.")
    in_title = kb.article("Kubernetes", "Deploying clusters.")
    assert kb.found("kubernetes") == [in_title, body_only]


def test_articles_with_every_word_come_before_those_with_fewer(kb):
    some = kb.article("Storage", "Object storage only.")
    both = kb.article("Backups", "Nightly backups to object storage.")
    assert kb.found("nightly storage") == [both, some]


def test_a_word_that_matches_nothing_does_not_empty_the_results(kb):
    article_id = kb.article("Backups", "Nightly backups.")
    assert kb.found("backups zzyzzx") == [article_id]


def test_matching_ignores_case(kb):
    article_id = kb.article("Café Menu", "Crème BRÛLÉE")
    assert kb.found("MENU") == [article_id]
    assert kb.found("café crème brûlée") == [article_id]
    assert kb.found("CAFÉ") == [article_id]


def test_matching_ignores_accents(kb):
    article_id = kb.article("Café menu", "Crème brûlée")
    assert kb.found("CAFE") == [article_id]
    assert kb.found("creme brulee") == [article_id]


def test_the_last_word_matches_as_a_prefix(kb):
    article_id = kb.article("Configuration", "Configure the configurator.")
    assert kb.found("config") == [article_id]
    assert kb.found("configuration") == [article_id]
    assert kb.found("configure configur") == [article_id]


def test_only_the_last_word_is_a_prefix(kb):
    guide = kb.article("Config guide", "A short guide.")
    configuration = kb.article("Configuration guide", "The long one.")
    # "config" is not the last word: it matches "config" only, and the article that holds
    # it and "guide" comes first; the other has "guide" only.
    assert kb.found("config guide") == [guide, configuration]
    # As the last word it is a prefix of both; the exact word still comes first.
    assert kb.found("guide config") == [guide, configuration]


# --- what readers type: inflections, typos, questions -----------------------------------------


def test_other_inflections_of_a_word_find_the_article(kb):
    metrics = kb.article("Import Metrics", "Bring numbers in from a file.")
    library = kb.article("Library", "Where the fonts live.")
    assert kb.found("import metric") == [metrics]
    assert kb.found("importing metrics") == [metrics]
    assert kb.found("libraries") == [library]


def test_a_typo_in_a_long_enough_word_is_forgiven(kb):
    metrics = kb.article("Import Metrics", "Bring numbers in from a file.")
    kb.article("Layers", "Stacking order.")
    assert kb.found("Imoprt Metrics") == [metrics]  # two letters swapped: one typo
    assert kb.found("import metrcs") == [metrics]  # a letter missing
    assert kb.found("impotr metrcs") == [metrics]  # one typo in each word
    # Four letters allow no typo (Meilisearch's defaults: 1 from 5 letters, 2 from 9).
    assert kb.found("layr") == []
    assert kb.found("stackign") != []  # eight letters: one typo


def test_two_typos_are_forgiven_from_nine_letters(kb):
    article_id = kb.article("Configuration", "Settings.")
    assert kb.found("cnofiguraiton") == [article_id]  # 13 letters, two swaps
    assert kb.found("stetings") == [article_id]  # 8 letters, one swap
    assert kb.found("sttenigs") == []  # 8 letters, two typos: too many


def test_typo_free_matches_rank_above_typos(kb):
    with_typo = kb.article("Layer masks", "Masks hide parts of a layer.")
    exact = kb.article("Player masks", "Masks for players.")
    assert kb.found("player masks") == [exact, with_typo]


def test_a_question_finds_the_article_its_title_names(kb):
    target = kb.article("Import Metrics", "Bring numbers in from a file.")
    kb.article("How to do anything", "How do I do it? You do it like this, I think.")
    kb.article("Metrics overview", "Which metrics there are; import them later.")
    assert kb.found("how do I import metrics")[0] == target
    assert kb.found("where can I find import metrics")[0] == target


def test_a_query_of_stop_words_only_still_finds_them(kb):
    article_id = kb.article("How to", "What it is about.")
    assert kb.found("how to") == [article_id]


def test_ranking_tiers_exact_title_phrase_all_in_title_all_words_fewer(kb):
    fewer = kb.article("Export", "Only one of the two words.")
    all_words = kb.article("Preferences", "Export settings and colour profiles.")
    all_in_title = kb.article("Colour settings for export", "Options.")
    phrase = kb.article("Export colour settings", "Options.")
    exact = kb.article("Export colour", "Options.")
    assert kb.found("export colour") == [exact, phrase, all_in_title, all_words, fewer]


def test_an_exact_title_beats_a_longer_title_that_holds_it(kb):
    longer = kb.article("Import Metrics from a spreadsheet", "import metrics import metrics")
    exact = kb.article("Import Metrics", "Numbers.")
    assert kb.found("import metrics") == [exact, longer]


def test_french_words_are_stemmed_as_french(kb, project):
    project.add_language("fr")
    article_id = kb.article("Creations", "English text.")
    kb.edit(article_id, lang="fr", title="Création de calques", content="Les créations.")
    kb.publish(article_id, 1, lang="fr")
    assert kb.found("créations", lang="fr") == [article_id]
    assert kb.found("creation calque", lang="fr") == [article_id]


def test_german_compounds_and_cjk_text_are_searchable(kb, project):
    compound = kb.article("Benutzerverwaltung", "Die Benutzerverwaltung regelt Rechte.")
    japanese = kb.article("検索について", "日本語の全文検索を説明します。")
    assert kb.found("benutzer") == [compound]  # typed as a prefix
    assert kb.found("Benutzerverwaltung") == [compound]
    assert kb.found("全文検索") == [japanese]
    assert kb.found("検索") == [japanese]


# --- highlighting -----------------------------------------------------------------------------


def test_hits_carry_the_title_and_a_snippet_with_the_matched_words_marked(kb):
    body = "Start here. " + "Filler words go on. " * 30 + "Then import your metrics from a file."
    kb.article("Import Metrics", body)
    (hit,) = kb.search("imoprt metric")["hits"]
    title = hit["_highlight_result"]["title"]
    assert title == {
        "value": "<em>Import</em> <em>Metrics</em>",
        "match_level": "full",
        "fully_highlighted": True,
        "matched_words": ["imoprt", "metric"],
    }
    snippet = hit["_snippet_result"]["content"]
    assert "<em>import</em> your <em>metrics</em>" in snippet["value"]
    assert snippet["value"].startswith("…")
    assert snippet["match_level"] == "full"


def test_highlighted_text_is_escaped(kb):
    kb.article("<b>Bold</b> & bright", "Use <script>alert(1)</script> carefully & bright.")
    (hit,) = kb.search("bright")["hits"]
    assert hit["_highlight_result"]["title"]["value"] == (
        "&lt;b&gt;Bold&lt;/b&gt; &amp; <em>bright</em>"
    )
    assert "<script>" not in hit["_snippet_result"]["content"]["value"]
    assert hit["_highlight_result"]["title"]["match_level"] == "full"


def test_a_partial_match_says_so(kb):
    kb.article("Export", "Export everything.")
    (hit,) = kb.search("export zzyzzx")["hits"]
    assert hit["_highlight_result"]["title"]["match_level"] == "partial"
    assert hit["_highlight_result"]["title"]["matched_words"] == ["export"]


def _category(project: Any, name: str, order: int, parent: str | None = None) -> str:
    response = project.post(
        "/v2/Categories",
        json={
            "name": name,
            "project_version_id": project.workspace_id,
            "parent_category_id": parent,
            "order": order,
        },
    )
    assert response.status_code == 200, response.text
    category_id: str = response.json()["data"]["id"]
    return category_id


def _listed(kb: KB, query: str | None, per_page: int, **params: Any) -> list[dict[str, Any]]:
    """Every page of a query's results, in order, checked page by page."""
    hits: list[dict[str, Any]] = []
    page = 0
    while True:
        search = {"page": page, "hitsPerPage": per_page, **params}
        if query is not None:
            search["searchQuery"] = query
        response = kb.project.get(
            f"/v2/ProjectVersions/{kb.project.workspace_id}/en", params=search
        )
        assert response.status_code == 200, response.text
        assert_conforms(response, "GET", SEARCH)
        data = response.json()["data"]
        hits += data["hits"]
        page += 1
        if page >= data["nb_pages"]:
            assert data["nb_hits"] == len(hits)
            return hits


def test_an_empty_or_missing_query_lists_every_published_article_in_tree_order(kb, project):
    """An Algolia-shaped search: the empty query matches every record (clients page through a
    whole workspace this way)."""
    project.add_language("fr")
    # Created out of order on purpose: the listing follows the tree, not creation. The
    # fixture's "Docs" category comes first; "Later" is asked for a place after "First".
    later = _category(project, "Later", 5)
    first = _category(project, "First", 1)
    nested = _category(project, "Nested", 0, parent=first)
    kb.category_id = later
    last = kb.article("Last", "Body of Last")
    kb.category_id = first
    one, two = kb.article("One", "Body of One"), kb.article("Two", "Body of Two")
    kb.category_id = nested
    deep = kb.article("Deep", "Body of Deep")
    kb.category_id = later
    draft = kb.article("Draft only", publish=False)
    french = kb.article("Traduit", "Corps")
    kb.edit(french, "fr", title="Traduit", content="Corps")  # a French draft: not in English

    for query in ("", None, "   ", "!!!"):
        for per_page in (1, 3, 100):
            hits = _listed(kb, query, per_page)
            assert [h["article_id"] for h in hits] == [one, two, deep, last, french], query
    hit = hits[0]
    assert (hit["title"], hit["lang_code"], hit["is_draft"]) == ("One", "en", False)
    assert hit["_snippet_result"]["content"] == {"value": "Body of One", "match_level": "none"}

    with_drafts = [h["article_id"] for h in _listed(kb, "", 2, includeDrafts="true")]
    assert with_drafts == [one, two, deep, last, draft, french]


def test_a_word_query_still_highlights_its_match(kb):
    kb.article("Anything", "Some text")
    (hit,) = kb.search("text")["hits"]
    assert hit["_snippet_result"]["content"]["match_level"] == "full"


# --- published content by default -----------------------------------------------------------


def test_a_draft_only_article_is_not_found_until_it_is_published(kb):
    article_id = kb.article("Roadmap", "Secret plans", publish=False)
    assert kb.found("roadmap") == []
    kb.publish(article_id, 1)
    assert kb.found("roadmap") == [article_id]


def test_the_published_revision_is_searched_not_a_newer_draft(kb):
    article_id = kb.article("Pricing", "The plan costs seven dollars.")
    kb.edit(article_id, content="The plan costs nine dollars.")  # a new draft (version 2)
    assert kb.found("seven") == [article_id]
    assert kb.found("nine") == []
    (hit,) = kb.search("seven")["hits"]
    assert hit["version"] == 1 and "seven" in hit["content"]
    kb.publish(article_id, 2)
    assert kb.found("nine") == [article_id]
    assert kb.found("seven") == []


def test_include_drafts_searches_the_latest_revisions(kb):
    draft = kb.article("Roadmap", "Secret plans", publish=False)
    published = kb.article("Pricing", "Plans cost money.")
    kb.edit(published, content="Plans are free now.")
    found = kb.found("plans", includeDrafts="true")
    assert sorted(found) == sorted([draft, published])
    assert kb.found("free", includeDrafts="true") == [published]
    hits = {h["article_id"]: h for h in kb.search("plans", includeDrafts="true")["hits"]}
    assert hits[draft]["is_draft"] is True and hits[draft]["version"] == 1
    assert hits[published]["is_draft"] is True and hits[published]["version"] == 2
    assert kb.found("plans") == [published]


def test_a_deleted_article_disappears_from_results(kb, project):
    keep = kb.article("Alpha guide", "widgets")
    gone = kb.article("Beta guide", "widgets")
    assert sorted(kb.found("widgets")) == sorted([keep, gone])
    response = project.delete(f"/v2/Articles/{gone}")
    assert response.status_code == 200
    assert kb.found("widgets") == [keep]
    assert kb.found("widgets", includeDrafts="true") == [keep]


def test_a_deleted_category_takes_its_articles_out_of_results(kb, project):
    kb.article("Gamma", "gizmos")
    assert project.delete(f"/v2/Categories/{kb.category_id}").status_code == 200
    assert kb.found("gizmos") == []


# --- pagination -------------------------------------------------------------------------------


def test_pages_are_zero_based_and_report_totals(kb):
    ids = {kb.article(f"Widget {n}", "widget manual") for n in range(7)}
    first = kb.search("widget", hitsPerPage=3)
    assert (first["nb_hits"], first["nb_pages"], first["page"], first["hits_per_page"]) == (
        7,
        3,
        0,
        3,
    )
    second = kb.search("widget", hitsPerPage=3, page=1)
    last = kb.search("widget", hitsPerPage=3, page=2)
    beyond = kb.search("widget", hitsPerPage=3, page=3)
    assert [len(p["hits"]) for p in (first, second, last, beyond)] == [3, 3, 1, 0]
    assert beyond["nb_hits"] == 7 and beyond["page"] == 3
    seen = [h["article_id"] for p in (first, second, last) for h in p["hits"]]
    assert len(seen) == 7 and set(seen) == ids


def test_the_default_page_size_is_ten(kb):
    for n in range(12):
        kb.article(f"Gadget {n}", "gadget")
    data = kb.search("gadget")
    assert len(data["hits"]) == 10 and data["nb_hits"] == 12 and data["nb_pages"] == 2


# --- languages --------------------------------------------------------------------------------


def test_results_are_filtered_by_language(kb, project):
    project.add_language("fr")
    article_id = kb.article("Cheese", "A guide to cheese.")
    kb.edit(article_id, lang="fr", title="Fromage", content="Un guide du fromage.")
    kb.publish(article_id, 1, lang="fr")
    assert kb.found("fromage", lang="fr") == [article_id]
    assert kb.found("fromage", lang="en") == []
    assert kb.found("cheese", lang="fr") == []
    (hit,) = kb.search("fromage", lang="fr")["hits"]
    assert hit["lang_code"] == "fr" and hit["title"] == "Fromage"


def test_a_language_code_is_matched_without_regard_to_case(kb, project):
    article_id = kb.article("Cheese", "A guide to cheese.")
    assert kb.found("cheese", lang="EN") == [article_id]


def test_an_unknown_language_is_a_400(project):
    response = project.get(
        f"/v2/ProjectVersions/{project.workspace_id}/xx", params={"searchQuery": "x"}
    )
    assert response.status_code == 400
    assert_conforms(response, "GET", SEARCH)
    assert response.json()["errors"][0]["description"] == "Invalid Language code"


def test_a_language_of_another_workspace_is_unknown_here(project):
    project.add_language("fr")
    other_token, other_workspace = project.other_project()
    response = project.client.get(
        f"/v2/ProjectVersions/{other_workspace}/fr",
        params={"searchQuery": "x"},
        headers={"api_token": other_token},
    )
    assert response.status_code == 400
    assert_conforms(response, "GET", SEARCH)


def test_another_projects_articles_are_never_found(kb, project):
    kb.article("Confidential", "classified material")
    other_token, other_workspace = project.other_project()
    response = project.client.get(
        f"/v2/ProjectVersions/{other_workspace}/en",
        params={"searchQuery": "classified"},
        headers={"api_token": other_token},
    )
    assert response.status_code == 200
    assert_conforms(response, "GET", SEARCH)
    assert response.json()["data"]["hits"] == []


# --- hostile queries ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '"unbalanced',
        "a AND b",
        "AND",
        "OR NOT",
        "NEAR(a b)",
        "*",
        "a*",
        "title:admin",
        "col:",
        "(a | b) & !c",
        "a:* & b",
        "'; DROP TABLE articles; --",
        "\\",
        "_",
        "__init__",
        "über straße",
        "日本語の検索",
        "emoji 🎉 party",
        "a" * 500,
        "x " * 200,
        "-minus +plus ^caret",
        "\u0000",
    ],
)
def test_query_syntax_is_taken_as_plain_words_never_a_500(kb, query):
    article_id = kb.article("AND OR NOT", "a b c über straße 日本語の検索 emoji 🎉 party")
    data = kb.search(query)
    assert data["nb_hits"] in (0, 1)
    if query == "a AND b":
        assert [h["article_id"] for h in data["hits"]] == [article_id]


@hypothesis_settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(query=st.text(max_size=40))
def test_any_text_query_is_answered_without_error(kb, query):
    if not hasattr(kb, "seeded"):
        kb.article("Seed article", "Plain words: alpha beta gamma, ünïcödé & <b>tags</b>.")
        kb.seeded = True
    data = kb.search(query)
    assert data["nb_hits"] >= len(data["hits"])


def test_merge_codes_are_searched_and_shown_resolved_and_follow_their_values(kb, project):
    variable = project.post(
        "/v2/Variables",
        json={"project_version_id": project.workspace_id, "name": "Product", "value": "Acme"},
    )
    assert variable.status_code == 200, variable.text
    article_id = kb.article("Installing {{variable.Product}}", "Run {{variable.Product}} setup.")
    (hit,) = kb.search("acme")["hits"]
    assert hit["article_id"] == article_id
    assert hit["title"] == "Installing Acme"
    assert hit["_snippet_result"]["content"]["value"] == "Run <em>Acme</em> setup."
    assert kb.found("variable product") == []

    renamed = project.put(
        f"/v2/Variables/{variable.json()['data']['id']}", json={"value": "Zenith"}
    )
    assert renamed.status_code == 200, renamed.text
    assert kb.found("zenith") == [article_id]
    assert kb.found("acme") == []


def test_only_the_first_ten_words_of_a_query_count(kb):
    article_id = kb.article("Alpha beta", "gamma delta")
    words = ["alpha"] + ["zzyzzx"] * 9 + ["beta"] * 50
    (hit,) = kb.search(" ".join(words))["hits"]
    assert hit["article_id"] == article_id
    assert hit["_highlight_result"]["title"]["matched_words"] == ["alpha"]


def test_the_form_the_reader_typed_ranks_above_other_forms_of_the_word(kb):
    singular = kb.article("Layer", "One.")
    plural = kb.article("Layers", "Many.")
    assert kb.found("layers") == [plural, singular]
    assert kb.found("layer") == [singular, plural]


def test_a_prefix_longer_than_the_stem_still_completes_the_word(kb):
    # "gett" begins "getting", whose term is "get": no term begins with "gett".
    article_id = kb.article("Getting started", "Begin here.")
    (hit,) = kb.search("gett")["hits"]
    assert hit["article_id"] == article_id
    assert hit["_highlight_result"]["title"]["value"] == "<em>Getting</em> started"
    assert kb.found("started gett") == [article_id]
