"""/v2/Categories: creating, reading, moving and deleting categories, and the category tree."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conformance.official import assert_conforms

TREE = "/v2/ProjectVersions/{projectVersionId}/categories"


# --- helpers --------------------------------------------------------------------------------


def create_category(
    project: Any,
    name: str,
    *,
    parent: str | None = None,
    category_type: int | str | None = None,
    **extra: Any,
) -> str:
    body: dict[str, Any] = {"name": name, "project_version_id": project.workspace_id, **extra}
    if parent is not None:
        body["parent_category_id"] = parent
    if category_type is not None:
        body["category_type"] = category_type
    response = project.post("/v2/Categories", json=body)
    assert_conforms(response, "POST", "/v2/Categories")
    assert response.status_code == 200, response.text
    category_id: str = response.json()["data"]["id"]
    return category_id


def create_article(project: Any, category_id: str, title: str) -> str:
    response = project.post(
        "/v2/Articles",
        json={
            "title": title,
            "content": f"Body of {title}",
            "category_id": category_id,
            "project_version_id": project.workspace_id,
            "user_id": project.owner_id,
        },
    )
    assert_conforms(response, "POST", "/v2/Articles")
    assert response.status_code == 200, response.text
    article_id: str = response.json()["data"]["id"]
    return article_id


def get_category(project: Any, category_id: str, **params: Any) -> Any:
    response = project.get(f"/v2/Categories/{category_id}", params=params)
    assert_conforms(response, "GET", "/v2/Categories/{categoryId}")
    return response


def category_data(project: Any, category_id: str, **params: Any) -> dict[str, Any]:
    response = get_category(project, category_id, **params)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def tree(project: Any, **params: Any) -> list[dict[str, Any]]:
    response = project.get(f"/v2/ProjectVersions/{project.workspace_id}/categories", params=params)
    assert_conforms(response, "GET", TREE)
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def find(nodes: list[dict[str, Any]], category_id: str) -> dict[str, Any] | None:
    for node in nodes:
        if node["id"] == category_id:
            return node
        found = find(node["child_categories"] or [], category_id)
        if found is not None:
            return found
    return None


def names(nodes: list[dict[str, Any]]) -> list[str]:
    return [n["name"] for n in nodes]


def update(project: Any, category_id: str, body: Any = None, **kw: Any) -> Any:
    if body is not None:
        kw["json"] = body
    response = project.put(f"/v2/Categories/{category_id}", **kw)
    assert_conforms(response, "PUT", "/v2/Categories/{categoryId}")
    return response


def error_of(response: Any) -> str:
    description: str = response.json()["errors"][0]["description"]
    return description


def chain(project: Any, depth: int, prefix: str = "Level") -> list[str]:
    """`depth` nested folders, level 1 at the top."""
    ids: list[str] = []
    for level in range(1, depth + 1):
        ids.append(create_category(project, f"{prefix} {level}", parent=ids[-1] if ids else None))
    return ids


# --- create -------------------------------------------------------------------------------


def test_created_folder_is_returned_as_category_simple_data(project):
    response = project.post(
        "/v2/Categories",
        json={"name": "Guides", "project_version_id": project.workspace_id},
    )
    assert_conforms(response, "POST", "/v2/Categories")
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["errors"] == []
    data = body["data"]
    assert data["name"] == "Guides"
    assert data["order"] == 0
    node = category_data(project, data["id"])
    assert node["category_type"] == 0
    assert node["parent_category_id"] is None
    # Folders have no body: no status, no content type.
    assert node["status"] is None
    assert node["content_type"] is None
    assert node["slug"] == "guides"


@pytest.mark.parametrize(
    ("given", "expected"),
    [(0, 0), (1, 1), (2, 2), ("page", 1), ("Index", 2), ("FOLDER", 0), ("1", 1)],
)
def test_category_type_is_accepted_as_integer_or_name(project, given, expected):
    category_id = create_category(project, "Typed", category_type=given)
    node = category_data(project, category_id)
    assert node["category_type"] == expected
    if expected == 0:
        assert node["status"] is None
    else:
        # Page and Index categories start with a draft Markdown body.
        assert node["status"] == 0
        assert node["content_type"] == 0


def test_page_created_with_content_has_that_content_as_version_one(project):
    category_id = create_category(
        project, "Welcome", category_type="page", content="# Hello", user_id=project.owner_id
    )
    response = project.get(f"/v2/Categories/{category_id}/content/en")
    assert_conforms(response, "GET", "/v2/Categories/{categoryId}/content/{langCode}")
    page = response.json()["category"]
    assert page["title"] == "Welcome"
    assert page["content"] == "# Hello"
    assert page["version_number"] == 1
    assert page["created_by"] == project.owner_id


def test_category_created_with_parent_is_listed_under_it(project):
    parent = create_category(project, "Parent")
    child = create_category(project, "Child", parent=parent)
    node = category_data(project, child)
    assert node["parent_category_id"] == parent
    assert [c["id"] for c in category_data(project, parent)["child_categories"]] == [child]
    roots = tree(project)
    assert names(roots) == ["Parent"]
    assert names(roots[0]["child_categories"]) == ["Child"]


def test_new_categories_go_to_the_end_of_their_parent(project):
    parent = create_category(project, "Parent")
    ids = [create_category(project, f"C{i}", parent=parent) for i in range(3)]
    children = category_data(project, parent)["child_categories"]
    assert [c["id"] for c in children] == ids
    assert [c["order"] for c in children] == [0, 1, 2]


def test_order_on_create_inserts_at_that_position_among_siblings(project):
    for name in ("A", "B", "C"):
        create_category(project, name)
    response = project.post(
        "/v2/Categories",
        json={"name": "D", "project_version_id": project.workspace_id, "order": 1},
    )
    assert_conforms(response, "POST", "/v2/Categories")
    assert response.json()["data"]["order"] == 1
    roots = tree(project)
    assert names(roots) == ["A", "D", "B", "C"]
    assert [n["order"] for n in roots] == [0, 1, 2, 3]


def test_sibling_names_get_distinct_slugs(project):
    first = create_category(project, "Setup")
    second = create_category(project, "Setup")
    assert category_data(project, first)["slug"] == "setup"
    assert category_data(project, second)["slug"] != "setup"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"project_version_id": "WS"}, "The Name field is required."),
        ({"name": "", "project_version_id": "WS"}, "The Name field is required."),
        ({"name": "   ", "project_version_id": "WS"}, "The Name field is required."),
        ({"name": "Guides"}, "The ProjectVersionId field is required."),
        ({"name": "Guides", "project_version_id": ""}, "The ProjectVersionId field is required."),
        (
            {"name": "Guides", "project_version_id": "no-such-workspace"},
            "The supplied project version id no-such-workspace does not exist in your project",
        ),
    ],
)
def test_create_refuses_missing_or_unknown_fields_with_documented_text(project, body, message):
    body = dict(body)  # parameters are shared between database runs
    if body.get("project_version_id") == "WS":
        body["project_version_id"] = project.workspace_id
    response = project.post("/v2/Categories", json=body)
    assert_conforms(response, "POST", "/v2/Categories")
    assert response.status_code == 400
    assert error_of(response) == message
    assert tree(project) == []


def test_create_refuses_a_workspace_of_another_project(project):
    _, other_workspace = project.other_project()
    response = project.post(
        "/v2/Categories", json={"name": "Guides", "project_version_id": other_workspace}
    )
    assert_conforms(response, "POST", "/v2/Categories")
    assert response.status_code == 400
    assert error_of(response) == (
        f"The supplied project version id {other_workspace} does not exist in your project"
    )


def test_create_refuses_an_unknown_parent(project):
    response = project.post(
        "/v2/Categories",
        json={
            "name": "Orphan",
            "project_version_id": project.workspace_id,
            "parent_category_id": "no-such-category",
        },
    )
    assert_conforms(response, "POST", "/v2/Categories")
    assert response.status_code == 400
    assert error_of(response) == (
        "Unable to find specified parent category with an id no-such-category."
    )
    assert tree(project) == []


def test_create_refuses_a_parent_from_another_project(project):
    other_token, other_workspace = project.other_project()
    created = project.client.post(
        "/v2/Categories",
        headers={"api_token": other_token},
        json={"name": "Theirs", "project_version_id": other_workspace},
    )
    assert created.status_code == 200
    theirs = created.json()["data"]["id"]
    response = project.post(
        "/v2/Categories",
        json={
            "name": "Mine",
            "project_version_id": project.workspace_id,
            "parent_category_id": theirs,
        },
    )
    assert_conforms(response, "POST", "/v2/Categories")
    assert response.status_code == 400
    assert tree(project) == []


def test_create_refuses_a_user_that_is_not_in_the_project(project):
    response = project.post(
        "/v2/Categories",
        json={
            "name": "Guides",
            "project_version_id": project.workspace_id,
            "user_id": "stranger",
        },
    )
    assert_conforms(response, "POST", "/v2/Categories")
    assert response.status_code == 400
    assert error_of(response) == "The user with id 'stranger' does not exist in your project."
    assert tree(project) == []


@pytest.mark.parametrize(
    ("body", "mentions"),
    [
        ({"name": 123}, ["name"]),
        ({"name": ["Guides"]}, ["name"]),
        (
            {"name": "Guides", "category_type": "bogus"},
            ["category_type", "folder", "page", "index"],
        ),
        ({"name": "Guides", "category_type": 7}, ["category_type", "0", "1", "2"]),
        ({"name": "Guides", "order": "first"}, ["order"]),
        ({"name": "Guides", "content_type": "rtf"}, ["content_type", "markdown"]),
    ],
)
def test_create_with_wrongly_typed_fields_is_a_400_not_a_500(project, body, mentions):
    body = {"project_version_id": project.workspace_id, **body}
    response = project.post("/v2/Categories", json=body)
    assert_conforms(response, "POST", "/v2/Categories")
    assert response.status_code == 400
    message = error_of(response).lower()
    for word in mentions:
        assert word.lower() in message
    assert tree(project) == []


@pytest.mark.parametrize("raw", [b"", b"[]", b"not json", b'"Guides"'])
def test_create_with_a_body_that_is_not_an_object_is_a_400(project, raw):
    response = project.client.post(
        "/v2/Categories",
        content=raw,
        headers={**project.headers, "content-type": "application/json"},
    )
    assert_conforms(response, "POST", "/v2/Categories")
    assert response.status_code == 400


# --- GET one category -----------------------------------------------------------------------


def test_get_category_lists_articles_and_children_exactly_one_level_deep(project):
    """The seed-003 example: children come with their articles, grandchildren do not."""
    category = create_category(project, "Category name", category_type=2)
    first = create_article(project, category, "New article 1")
    second = create_article(project, category, "New article 2")
    child = create_category(project, "Child category name", parent=category, category_type=2)
    third = create_article(project, child, "New article 3")
    fourth = create_article(project, child, "New article 4")
    grandchild = create_category(project, "Grandchild", parent=child)
    create_article(project, grandchild, "Deep article")

    data = category_data(project, category)

    assert data["id"] == category
    assert data["name"] == "Category name"
    assert data["project_version_id"] == project.workspace_id
    assert data["parent_category_id"] is None
    assert data["category_type"] == 2
    assert [a["id"] for a in data["articles"]] == [first, second]
    assert [a["title"] for a in data["articles"]] == ["New article 1", "New article 2"]
    article = data["articles"][0]
    assert article["slug"] == "new-article-1"
    assert article["language_code"] == "en"
    assert article["public_version"] == 0
    assert article["latest_version"] == 1
    assert article["status"] == 0
    (child_node,) = data["child_categories"]
    assert child_node["id"] == child
    assert child_node["name"] == "Child category name"
    assert child_node["parent_category_id"] == category
    assert [a["id"] for a in child_node["articles"]] == [third, fourth]
    assert child_node["child_categories"] == []


def test_get_category_of_a_leaf_has_empty_lists(project):
    category = create_category(project, "Leaf")
    data = category_data(project, category)
    assert data["articles"] == []
    assert data["child_categories"] == []


def test_get_category_children_follow_their_order(project):
    parent = create_category(project, "Parent")
    ids = [create_category(project, name, parent=parent) for name in ("A", "B", "C")]
    update(project, ids[2], {"order": 0})
    children = category_data(project, parent)["child_categories"]
    assert names(children) == ["C", "A", "B"]


def test_get_category_with_lang_code_returns_that_translation(project):
    project.add_language("fr")
    category = create_category(project, "Guides")
    assert update(project, category, {"name": "Guides FR", "language": "fr"}).status_code == 200
    assert category_data(project, category, langCode="fr")["name"] == "Guides FR"
    assert category_data(project, category, langCode="FR")["name"] == "Guides FR"
    assert category_data(project, category, langCode="en")["name"] == "Guides"
    assert category_data(project, category)["name"] == "Guides"


def test_get_category_in_a_language_without_translation_falls_back_to_default(project):
    project.add_language("fr")
    category = create_category(project, "Guides")
    assert category_data(project, category, langCode="fr")["name"] == "Guides"


def test_get_category_with_unknown_language_is_a_400(project):
    category = create_category(project, "Guides")
    response = get_category(project, category, langCode="xx")
    assert response.status_code == 400
    assert error_of(response) == "Language code not found"


def test_get_unknown_category_is_a_404_with_documented_text(project):
    response = get_category(project, "5b291e6b-fa40-4ab9-941e-f8fffc23b3761")
    assert response.status_code == 404
    assert (
        error_of(response) == "Cannot find category with id 5b291e6b-fa40-4ab9-941e-f8fffc23b3761"
    )


def test_category_of_another_project_is_a_404_that_reveals_nothing(project):
    other_token, other_workspace = project.other_project()
    created = project.client.post(
        "/v2/Categories",
        headers={"api_token": other_token},
        json={"name": "Secret plans", "project_version_id": other_workspace},
    )
    assert created.status_code == 200
    theirs = created.json()["data"]["id"]
    unknown = get_category(project, "no-such-category")

    response = get_category(project, theirs)

    assert response.status_code == 404
    assert error_of(response) == f"Cannot find category with id {theirs}"
    assert "Secret" not in response.text
    assert other_workspace not in response.text
    # Same shape as an id that exists nowhere.
    assert response.json()["errors"][0].keys() == unknown.json()["errors"][0].keys()
    # Writes are refused the same way, and leave their category intact.
    renamed = update(project, theirs, {"name": "Mine now"})
    assert renamed.status_code == 404
    deleted = project.delete(f"/v2/Categories/{theirs}")
    assert_conforms(deleted, "DELETE", "/v2/Categories/{categoryId}")
    assert deleted.status_code == 404
    still = project.client.get(f"/v2/Categories/{theirs}", headers={"api_token": other_token})
    assert still.status_code == 200
    assert still.json()["data"]["name"] == "Secret plans"


def test_tree_of_another_projects_workspace_is_a_404(project):
    _, other_workspace = project.other_project()
    response = project.get(f"/v2/ProjectVersions/{other_workspace}/categories")
    assert_conforms(response, "GET", TREE)
    assert response.status_code == 404


# --- the workspace tree -----------------------------------------------------------------------


def test_tree_nests_every_level_with_articles(project):
    ids = chain(project, 4)
    article = create_article(project, ids[3], "Deep")
    roots = tree(project)
    node = roots[0]
    for level in range(1, 4):
        assert node["name"] == f"Level {level}"
        (node,) = node["child_categories"]
    assert node["name"] == "Level 4"
    assert node["child_categories"] == []
    assert [a["id"] for a in node["articles"]] == [article]


def test_tree_exclude_articles_omits_them(project):
    category = create_category(project, "Guides")
    create_article(project, category, "Intro")
    assert [a["title"] for a in tree(project)[0]["articles"]] == ["Intro"]
    assert [a["title"] for a in tree(project, excludeArticles="false")[0]["articles"]] == ["Intro"]
    assert not tree(project, excludeArticles="true")[0]["articles"]


def test_tree_shows_the_translation_of_the_requested_language(project):
    project.add_language("fr")
    parent = create_category(project, "Guides")
    child = create_category(project, "Install", parent=parent)
    assert update(project, parent, {"name": "Guides FR", "language": "fr"}).status_code == 200

    french = tree(project, langCode="fr")
    assert names(french) == ["Guides FR"]
    # A child without its own French name shows the default language's.
    assert names(french[0]["child_categories"]) == ["Install"]
    assert names(tree(project)) == ["Guides"]
    assert names(tree(project, langCode="en")) == ["Guides"]
    # The French rename did not touch the English name.
    assert category_data(project, child)["name"] == "Install"


def test_tree_with_unknown_language_is_a_400(project):
    create_category(project, "Guides")
    response = project.get(
        f"/v2/ProjectVersions/{project.workspace_id}/categories", params={"langCode": "xx"}
    )
    assert_conforms(response, "GET", TREE)
    assert response.status_code == 400
    assert error_of(response) == "Language code not found"


def test_tree_includes_descriptions_only_when_asked(project):
    category = create_category(project, "Guides")
    response = project.put(
        f"/v2/Categories/{category}/en/updateDescription",
        params={"description": "All the guides"},
    )
    assert_conforms(response, "PUT", "/v2/Categories/{categoryId}/{langCode}/updateDescription")
    assert response.status_code == 200

    assert tree(project)[0]["description"] is None
    assert tree(project, includeCategoryDescription="false")[0]["description"] is None
    assert tree(project, includeCategoryDescription="true")[0]["description"] == "All the guides"


def test_description_is_per_language_and_deprecated_route_uses_default(project):
    project.add_language("fr")
    category = create_category(project, "Guides")
    response = project.put(
        f"/v2/Categories/{category}/updateDescription", params={"description": "English words"}
    )
    assert_conforms(response, "PUT", "/v2/Categories/{categoryId}/updateDescription")
    assert response.status_code == 200
    response = project.put(
        f"/v2/Categories/{category}/fr/updateDescription", params={"description": "Mots"}
    )
    assert response.status_code == 200
    assert tree(project, includeCategoryDescription=True)[0]["description"] == "English words"
    french = tree(project, includeCategoryDescription=True, langCode="fr")
    assert french[0]["description"] == "Mots"


def test_update_description_of_unknown_category_or_language_is_refused(project):
    category = create_category(project, "Guides")
    response = project.put("/v2/Categories/nope/en/updateDescription", params={"description": "x"})
    assert_conforms(response, "PUT", "/v2/Categories/{categoryId}/{langCode}/updateDescription")
    assert response.status_code == 404
    assert error_of(response) == "Category not found"
    response = project.put(
        f"/v2/Categories/{category}/xx/updateDescription", params={"description": "x"}
    )
    assert_conforms(response, "PUT", "/v2/Categories/{categoryId}/{langCode}/updateDescription")
    assert response.status_code == 400
    response = project.put("/v2/Categories/nope/updateDescription", params={"description": "x"})
    assert_conforms(response, "PUT", "/v2/Categories/{categoryId}/updateDescription")
    assert response.status_code == 404
    assert error_of(response) == "Category not found"
    assert tree(project, includeCategoryDescription=True)[0]["description"] is None


def test_tree_lists_siblings_in_order(project):
    for name in ("A", "B", "C", "D"):
        create_category(project, name)
    roots = tree(project)
    assert names(roots) == ["A", "B", "C", "D"]
    assert [n["order"] for n in roots] == [0, 1, 2, 3]
    update(project, roots[3]["id"], {"order": 1})
    roots = tree(project)
    assert names(roots) == ["A", "D", "B", "C"]
    assert [n["order"] for n in roots] == [0, 1, 2, 3]


def test_tree_of_unknown_workspace_is_a_404(project):
    response = project.get("/v2/ProjectVersions/no-such-workspace/categories")
    assert_conforms(response, "GET", TREE)
    assert response.status_code == 404


def test_tree_reflects_each_write_immediately(project):
    """The tree is cached per workspace; every write must show in the next read."""
    category = create_category(project, "Guides")
    assert names(tree(project)) == ["Guides"]
    update(project, category, {"name": "Manuals"})
    assert names(tree(project)) == ["Manuals"]
    update(project, category, {"hidden": True})
    assert tree(project)[0]["hidden"] is True
    project.delete(f"/v2/Categories/{category}")
    assert tree(project) == []


# --- PUT /v2/Categories/{id} ----------------------------------------------------------------


def test_rename_returns_the_new_name_and_shows_everywhere(project):
    category = create_category(project, "Guides")
    response = update(project, category, {"name": "Manuals"})
    assert response.status_code == 200
    data = response.json()["data"]
    assert data == {"id": category, "name": "Manuals", "order": 0, "icon": None}
    assert category_data(project, category)["name"] == "Manuals"
    assert names(tree(project)) == ["Manuals"]


def test_hide_and_unhide(project):
    category = create_category(project, "Guides")
    assert update(project, category, {"hidden": True}).status_code == 200
    assert category_data(project, category)["hidden"] is True
    assert update(project, category, {"hidden": False}).status_code == 200
    assert category_data(project, category)["hidden"] is False


def test_icon_is_stored_and_returned(project):
    category = create_category(project, "Guides")
    response = update(project, category, {"icon": "📜"})
    assert response.json()["data"]["icon"] == "📜"
    assert category_data(project, category)["icon"] == "📜"
    # Changing something else keeps the icon.
    update(project, category, {"name": "Scrolls"})
    assert category_data(project, category)["icon"] == "📜"


def test_move_under_another_parent(project):
    first = create_category(project, "First")
    second = create_category(project, "Second")
    existing = create_category(project, "Existing", parent=second)
    moved = create_category(project, "Moved", parent=first)
    article = create_article(project, moved, "Travels along")

    response = update(project, moved, {"parent_category_id": second})

    assert response.status_code == 200
    assert category_data(project, first)["child_categories"] == []
    children = category_data(project, second)["child_categories"]
    # Without an order the moved category goes to the end of its new parent.
    assert [c["id"] for c in children] == [existing, moved]
    assert [c["order"] for c in children] == [0, 1]
    assert [a["id"] for a in children[1]["articles"]] == [article]
    assert category_data(project, moved)["parent_category_id"] == second


def test_move_with_order_puts_it_at_that_position_in_the_new_parent(project):
    source = create_category(project, "Source")
    target = create_category(project, "Target")
    a = create_category(project, "A", parent=target)
    b = create_category(project, "B", parent=target)
    moved = create_category(project, "Moved", parent=source)
    response = update(project, moved, {"parent_category_id": target, "order": 1})
    assert response.json()["data"]["order"] == 1
    children = category_data(project, target)["child_categories"]
    assert [c["id"] for c in children] == [a, moved, b]
    assert [c["order"] for c in children] == [0, 1, 2]


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        (0, ["D", "A", "B", "C"]),
        (2, ["A", "B", "D", "C"]),
        (3, ["A", "B", "C", "D"]),
        (99, ["A", "B", "C", "D"]),
    ],
)
def test_reorder_puts_the_category_at_that_position_among_siblings(project, order, expected):
    parent = create_category(project, "Parent")
    ids = {n: create_category(project, n, parent=parent) for n in ("A", "B", "C", "D")}
    response = update(project, ids["D"], {"order": order})
    assert response.status_code == 200
    children = category_data(project, parent)["child_categories"]
    assert names(children) == expected
    assert [c["order"] for c in children] == [0, 1, 2, 3]
    assert response.json()["data"]["order"] == expected.index("D")


def test_reorder_moving_down(project):
    for name in ("A", "B", "C"):
        create_category(project, name)
    update(project, tree(project)[0]["id"], {"order": 2})
    assert names(tree(project)) == ["B", "C", "A"]


def test_rename_in_another_language_keeps_the_default_name(project):
    project.add_language("fr")
    category = create_category(project, "Guides")
    response = update(project, category, {"name": "Guides FR", "language": "fr"})
    assert response.status_code == 200
    assert response.json()["data"]["name"] == "Guides FR"
    assert category_data(project, category)["name"] == "Guides"


def test_rename_in_unknown_language_is_refused(project):
    category = create_category(project, "Guides")
    response = update(project, category, {"name": "Guides XX", "language": "xx"})
    assert response.status_code == 400
    assert error_of(response) == "Language code not found"
    assert category_data(project, category)["name"] == "Guides"


@pytest.mark.parametrize("kw", [{"json": {}}, {}, {"content": b""}])
def test_update_without_a_body_is_refused(project, kw):
    category = create_category(project, "Guides")
    if "content" in kw:
        response = project.client.put(
            f"/v2/Categories/{category}",
            headers={**project.headers, "content-type": "application/json"},
            **kw,
        )
        assert_conforms(response, "PUT", "/v2/Categories/{categoryId}")
    else:
        response = update(project, category, **kw)
    assert response.status_code == 400
    assert error_of(response) == "A non-empty request body is required."


def test_update_with_only_unknown_properties_is_refused_as_empty(project):
    category = create_category(project, "Guides")
    response = update(project, category, {"colour": "red"})
    assert response.status_code == 400
    assert error_of(response) == "A non-empty request body is required."


@pytest.mark.parametrize("parent", [None, ""])
def test_null_or_empty_parent_is_the_documented_object_reference_error(project, parent):
    parent_id = create_category(project, "Parent")
    category = create_category(project, "Child", parent=parent_id)
    response = update(project, category, {"name": "Renamed", "parent_category_id": parent})
    assert response.status_code == 400
    assert error_of(response) == "Object reference not set to an instance of an object."
    node = category_data(project, category)
    assert node["name"] == "Child"
    assert node["parent_category_id"] == parent_id


def test_move_to_unknown_parent_is_a_400_and_nothing_changes(project):
    category = create_category(project, "Guides")
    response = update(project, category, {"parent_category_id": "no-such-category", "name": "X"})
    assert response.status_code == 400
    assert error_of(response) == (
        "Unable to find specified parent category with an id no-such-category."
    )
    node = category_data(project, category)
    assert node["name"] == "Guides"
    assert node["parent_category_id"] is None


def test_update_of_unknown_category_is_a_404(project):
    response = update(project, "no-such-category", {"name": "X"})
    assert response.status_code == 404
    assert error_of(response) == "Category not found"


@pytest.mark.parametrize(
    "body", [{"name": 5}, {"hidden": "sometimes"}, {"order": "first"}, {"name": ""}]
)
def test_update_with_bad_values_is_a_400(project, body):
    category = create_category(project, "Guides")
    response = update(project, category, body)
    assert response.status_code == 400
    assert category_data(project, category)["name"] == "Guides"


def test_moving_a_category_under_itself_or_its_descendant_is_refused(project):
    top = create_category(project, "Top")
    middle = create_category(project, "Middle", parent=top)
    bottom = create_category(project, "Bottom", parent=middle)
    before = tree(project)

    for target in (top, middle, bottom):
        response = update(project, top, {"parent_category_id": target})
        assert response.status_code == 400, target

    response = update(project, middle, {"parent_category_id": bottom, "name": "Renamed"})
    assert response.status_code == 400
    assert tree(project) == before
    assert category_data(project, top)["parent_category_id"] is None
    assert category_data(project, middle)["name"] == "Middle"


def test_categories_nest_at_most_seven_levels(project):
    ids = chain(project, 7)
    before = tree(project)
    response = project.post(
        "/v2/Categories",
        json={
            "name": "Level 8",
            "project_version_id": project.workspace_id,
            "parent_category_id": ids[-1],
        },
    )
    assert_conforms(response, "POST", "/v2/Categories")
    assert response.status_code == 400
    assert "7" in error_of(response)
    assert tree(project) == before
    assert category_data(project, ids[-1])["child_categories"] == []


def test_moving_a_subtree_beyond_seven_levels_is_refused(project):
    ids = chain(project, 6)
    subtree = create_category(project, "Subtree")
    leaf = create_category(project, "Subtree leaf", parent=subtree)
    before = tree(project)

    response = update(project, subtree, {"parent_category_id": ids[5]})

    assert response.status_code == 400
    assert tree(project) == before
    assert category_data(project, subtree)["parent_category_id"] is None
    assert category_data(project, ids[5])["child_categories"] == []
    assert category_data(project, leaf)["parent_category_id"] == subtree


def test_moving_a_subtree_to_exactly_seven_levels_is_allowed(project):
    ids = chain(project, 6)
    single = create_category(project, "Single")
    assert update(project, single, {"parent_category_id": ids[5]}).status_code == 200
    subtree = create_category(project, "Subtree")
    create_category(project, "Subtree leaf", parent=subtree)
    assert update(project, subtree, {"parent_category_id": ids[4]}).status_code == 200
    assert category_data(project, subtree)["parent_category_id"] == ids[4]


# --- DELETE ---------------------------------------------------------------------------------


def test_delete_removes_the_category_its_descendants_and_their_articles(project):
    keep = create_category(project, "Keep")
    kept_article = create_article(project, keep, "Kept")
    top = create_category(project, "Top")
    child = create_category(project, "Child", parent=top, category_type="page")
    grandchild = create_category(project, "Grandchild", parent=child)
    top_article = create_article(project, top, "Top article")
    child_article = create_article(project, child, "Child article")
    deep_article = create_article(project, grandchild, "Deep article")

    response = project.delete(f"/v2/Categories/{top}")

    assert_conforms(response, "DELETE", "/v2/Categories/{categoryId}")
    assert response.status_code == 200
    assert response.json()["success"] is True
    for gone in (top, child, grandchild):
        assert get_category(project, gone).status_code == 404
    for gone in (top_article, child_article, deep_article):
        article = project.get(f"/v2/Articles/{gone}/en")
        assert_conforms(article, "GET", "/v2/Articles/{articleId}/{langCode}")
        assert article.status_code == 404
    assert names(tree(project)) == ["Keep"]
    assert project.get(f"/v2/Articles/{kept_article}/en").status_code == 200
    listed = project.get(f"/v2/ProjectVersions/{project.workspace_id}/articles")
    assert [a["id"] for a in listed.json()["data"]] == [kept_article]


def test_delete_unknown_category_is_a_404(project):
    response = project.delete("/v2/Categories/no-such-category")
    assert_conforms(response, "DELETE", "/v2/Categories/{categoryId}")
    assert response.status_code == 404
    assert error_of(response) == "Category not found"


def test_delete_twice_is_a_404_the_second_time(project):
    category = create_category(project, "Guides")
    assert project.delete(f"/v2/Categories/{category}").status_code == 200
    response = project.delete(f"/v2/Categories/{category}")
    assert_conforms(response, "DELETE", "/v2/Categories/{categoryId}")
    assert response.status_code == 404


# --- updateCategoryType -----------------------------------------------------------------------


def change_type(project: Any, category_id: str, **params: Any) -> Any:
    response = project.put(f"/v2/Categories/{category_id}/updateCategoryType", params=params)
    assert_conforms(response, "PUT", "/v2/Categories/{categoryId}/updateCategoryType")
    return response


def test_folder_turned_into_page_gets_content(project):
    category = create_category(project, "Guides")
    no_content = project.get(f"/v2/Categories/{category}/content/en")
    assert_conforms(no_content, "GET", "/v2/Categories/{categoryId}/content/{langCode}")
    assert no_content.status_code == 400

    response = change_type(project, category, categoryType=1, userId=project.owner_id)

    assert response.status_code == 200
    assert response.json()["success"] is True
    node = category_data(project, category)
    assert node["category_type"] == 1
    assert node["status"] == 0
    assert node["content_type"] == 0
    content = project.get(f"/v2/Categories/{category}/content/en")
    assert_conforms(content, "GET", "/v2/Categories/{categoryId}/content/{langCode}")
    assert content.status_code == 200
    page = content.json()["category"]
    assert page["title"] == "Guides"
    assert page["version_number"] == 1
    assert page["latest_version"] == 1
    assert page["content_type"] == "Markdown"


def test_category_type_query_accepts_names(project):
    category = create_category(project, "Guides")
    assert (
        change_type(project, category, categoryType="Index", userId=project.owner_id).status_code
        == 200
    )
    assert category_data(project, category)["category_type"] == 2
    assert (
        change_type(project, category, categoryType="folder", userId=project.owner_id).status_code
        == 200
    )
    node = category_data(project, category)
    assert node["category_type"] == 0
    assert node["status"] is None
    assert node["content_type"] is None


def test_page_turned_into_folder_and_back_keeps_its_content(project):
    category = create_category(project, "Guides", category_type=1, content="Kept body")
    assert (
        change_type(project, category, categoryType=0, userId=project.owner_id).status_code == 200
    )
    assert (
        change_type(project, category, categoryType=1, userId=project.owner_id).status_code == 200
    )
    content = project.get(f"/v2/Categories/{category}/content/en")
    assert content.json()["category"]["content"] == "Kept body"


@pytest.mark.parametrize("user", ["stranger", None])
def test_update_category_type_with_bad_user_is_refused(project, user):
    category = create_category(project, "Guides")
    params: dict[str, Any] = {"categoryType": 1}
    if user is not None:
        params["userId"] = user
    response = change_type(project, category, **params)
    assert response.status_code == 400
    assert error_of(response) == (
        "The UserId field is required."
        if user is None
        else "The user with id 'stranger' does not exist in your project."
    )
    assert category_data(project, category)["category_type"] == 0


@pytest.mark.parametrize("category_type", ["bogus", "7", "-1", None])
def test_update_category_type_with_bad_type_is_refused(project, category_type):
    category = create_category(project, "Guides")
    params: dict[str, Any] = {"userId": project.owner_id}
    if category_type is not None:
        params["categoryType"] = category_type
    response = change_type(project, category, **params)
    assert response.status_code == 400
    assert "categorytype" in error_of(response).lower().replace(" ", "").replace("_", "")
    assert category_data(project, category)["category_type"] == 0


def test_update_category_type_of_unknown_category_is_a_404(project):
    response = change_type(project, "nope", categoryType=1, userId=project.owner_id)
    assert response.status_code == 404


# --- settings ---------------------------------------------------------------------------------


def test_settings_start_with_defaults(project):
    category = create_category(project, "Guides")
    for path, template in (
        (
            f"/v2/Categories/{category}/en/settings",
            "/v2/Categories/{categoryId}/{langCode}/settings",
        ),
        (f"/v2/Categories/{category}/settings", "/v2/Categories/{categoryId}/settings"),
    ):
        response = project.get(path)
        assert_conforms(response, "GET", template)
        assert response.status_code == 200
        data = response.json()["data"]
        assert data["slug"] == "guides"
        assert data["tags"] == []
        assert data["related_articles"] == []
        assert data["allow_comments"] is True
        assert data["exclude_from_search"] is False


@pytest.mark.parametrize("lang_in_path", [True, False])
def test_put_settings_stores_them_and_returns_related_articles_as_objects(project, lang_in_path):
    category = create_category(project, "Guides")
    article = create_article(project, category, "Related one")
    if lang_in_path:
        path, template = (
            f"/v2/Categories/{category}/en/settings",
            "/v2/Categories/{categoryId}/{langCode}/settings",
        )
    else:
        path, template = (
            f"/v2/Categories/{category}/settings",
            "/v2/Categories/{categoryId}/settings",
        )
    body = {
        "slug": "All The Guides",
        "seo_title": "Guides | Acme",
        "description": "Every guide we have",
        "tags": ["howto", "setup"],
        "related_articles": [article],
        "allow_comments": False,
        "status_indicator": 1,
    }
    response = project.put(path, json=body)

    assert_conforms(response, "PUT", template)
    assert response.status_code == 200
    # The official 200 schema (GetCategorySettingsResponse), not the `data: null` example.
    data = response.json()["data"]
    assert response.json()["success"] is True
    assert data["slug"] == "all-the-guides"
    assert data["seo_title"] == "Guides | Acme"
    assert data["description"] == "Every guide we have"
    assert data["tags"] == ["howto", "setup"]
    assert data["allow_comments"] is False
    assert data["status_indicator"] == 1
    assert data["related_articles"] == [
        {"id": article, "title": "Related one", "hidden": False, "slug": "related-one"}
    ]
    again = project.get(f"/v2/Categories/{category}/en/settings")
    assert again.json()["data"] == data
    assert category_data(project, category)["slug"] == "all-the-guides"


def test_put_settings_keeps_what_was_not_sent(project):
    category = create_category(project, "Guides")
    project.put(f"/v2/Categories/{category}/en/settings", json={"tags": ["a"]})
    response = project.put(f"/v2/Categories/{category}/en/settings", json={"seo_title": "T"})
    data = response.json()["data"]
    assert data["tags"] == ["a"]
    assert data["seo_title"] == "T"


@pytest.mark.parametrize("kw", [{"json": {}}, {}])
def test_put_settings_without_body_is_refused(project, kw):
    category = create_category(project, "Guides")
    for path, template in (
        (
            f"/v2/Categories/{category}/en/settings",
            "/v2/Categories/{categoryId}/{langCode}/settings",
        ),
        (f"/v2/Categories/{category}/settings", "/v2/Categories/{categoryId}/settings"),
    ):
        response = project.put(path, **kw)
        assert_conforms(response, "PUT", template)
        assert response.status_code == 400
        assert error_of(response) == "A non-empty request body is required."


def test_put_settings_with_unknown_related_article_is_refused(project):
    category = create_category(project, "Guides")
    response = project.put(
        f"/v2/Categories/{category}/en/settings",
        json={"related_articles": ["no-such-article"], "seo_title": "Changed"},
    )
    assert_conforms(response, "PUT", "/v2/Categories/{categoryId}/{langCode}/settings")
    assert response.status_code == 400
    assert "no-such-article" in error_of(response)
    settings = project.get(f"/v2/Categories/{category}/en/settings").json()["data"]
    assert settings["seo_title"] is None


def test_settings_of_unknown_category_is_a_404(project):
    response = project.get("/v2/Categories/nope/en/settings")
    assert_conforms(response, "GET", "/v2/Categories/{categoryId}/{langCode}/settings")
    assert response.status_code == 404
    assert error_of(response) == "Category not found"
    response = project.get("/v2/Categories/nope/settings")
    assert_conforms(response, "GET", "/v2/Categories/{categoryId}/settings")
    assert response.status_code == 404
    response = project.put("/v2/Categories/nope/en/settings", json={"seo_title": "x"})
    assert_conforms(response, "PUT", "/v2/Categories/{categoryId}/{langCode}/settings")
    assert response.status_code == 404
    # Sic: the documented text has a leading dot.
    assert error_of(response) == ".Category not found"


def test_settings_are_per_language(project):
    project.add_language("fr")
    category = create_category(project, "Guides")
    project.put(f"/v2/Categories/{category}/fr/settings", json={"seo_title": "Les guides"})
    french = project.get(f"/v2/Categories/{category}/fr/settings").json()["data"]
    english = project.get(f"/v2/Categories/{category}/en/settings").json()["data"]
    assert french["seo_title"] == "Les guides"
    assert english["seo_title"] is None
    response = project.get(f"/v2/Categories/{category}/xx/settings")
    assert_conforms(response, "GET", "/v2/Categories/{categoryId}/{langCode}/settings")
    assert response.status_code == 400


# --- bulk create ------------------------------------------------------------------------------


def bulk_create(project: Any, items: Any) -> Any:
    response = project.post("/v2/Categories/bulkcreate", json=items)
    assert_conforms(response, "POST", "/v2/Categories/bulkcreate")
    return response


def test_bulk_create_returns_a_result_per_item(project):
    parent = create_category(project, "Parent")
    response = bulk_create(
        project,
        [
            {"name": "New Category 1", "project_version_id": project.workspace_id},
            {
                "name": "New Category 2",
                "project_version_id": project.workspace_id,
                "parent_category_id": parent,
                "category_type": "page",
                "content": "Body",
            },
        ],
    )
    assert response.status_code == 200
    results = response.json()["data"]
    assert [r["success"] for r in results] == [True, True]
    assert [r["details"] for r in results] == [
        "Successfully created category New Category 1",
        "Successfully created category New Category 2",
    ]
    first, second = (r["category_id"] for r in results)
    assert category_data(project, first)["name"] == "New Category 1"
    node = category_data(project, second)
    assert node["parent_category_id"] == parent
    assert node["category_type"] == 1
    assert names(tree(project)) == ["Parent", "New Category 1"]


def test_bulk_create_items_with_the_same_name_get_distinct_slugs(project):
    response = bulk_create(
        project,
        [
            {"name": "Same", "project_version_id": project.workspace_id},
            {"name": "Same", "project_version_id": project.workspace_id},
        ],
    )
    assert response.status_code == 200
    slugs = [category_data(project, r["category_id"])["slug"] for r in response.json()["data"]]
    assert len(set(slugs)) == 2


FAILED_BAD = "Failed to create category Bad\r\nError: "


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        # Missing fields are reported bare, as the spec's examples for this route show.
        ({"name": "Bad"}, "The ProjectVersionId field is required."),
        ({"project_version_id": "WS"}, "The Name field is required."),
        ({"name": "", "project_version_id": "WS"}, "The Name field is required."),
        # A failing item is named, its reason after CRLF (api-reference.md §3.2).
        (
            {"name": "Bad", "project_version_id": "nowhere"},
            FAILED_BAD + "The supplied project version id nowhere does not exist in your project",
        ),
        (
            {"name": "Bad", "project_version_id": "WS", "parent_category_id": "nope"},
            FAILED_BAD + "Unable to find specified parent category with an id nope.",
        ),
        (
            {"name": "Bad", "project_version_id": "WS", "user_id": "stranger"},
            FAILED_BAD + "The user with id 'stranger' does not exist in your project.",
        ),
    ],
)
def test_bulk_create_with_one_invalid_item_creates_nothing(project, bad, message):
    bad = dict(bad)  # parameters are shared between database runs
    existing = create_category(project, "Existing")
    before = tree(project)
    if bad.get("project_version_id") == "WS":
        bad["project_version_id"] = project.workspace_id
    items = [
        {"name": "Good 1", "project_version_id": project.workspace_id},
        {
            "name": "Good 2",
            "project_version_id": project.workspace_id,
            "parent_category_id": existing,
        },
        bad,
    ]
    response = bulk_create(project, items)
    assert response.status_code == 400
    assert error_of(response) == message
    assert tree(project) == before
    assert category_data(project, existing)["child_categories"] == []


@pytest.mark.parametrize(
    ("bad", "mentions"),
    [({"category_type": "bogus"}, "category type"), ({"name": 42}, "name")],
)
def test_bulk_create_with_a_wrongly_typed_item_creates_nothing(project, bad, mentions):
    items = [
        {"name": "Good", "project_version_id": project.workspace_id},
        {"name": "Bad", "project_version_id": project.workspace_id, **bad},
    ]
    response = bulk_create(project, items)
    assert response.status_code == 400
    assert mentions in error_of(response).lower()
    assert tree(project) == []


def test_bulk_create_nesting_beyond_seven_levels_creates_nothing(project):
    ids = chain(project, 7)
    before = tree(project)
    response = bulk_create(
        project,
        [
            {
                "name": "Fine",
                "project_version_id": project.workspace_id,
                "parent_category_id": ids[0],
            },
            {
                "name": "Bad",
                "project_version_id": project.workspace_id,
                "parent_category_id": ids[6],
            },
        ],
    )
    assert response.status_code == 400
    assert error_of(response).startswith(FAILED_BAD)
    assert tree(project) == before


def test_bulk_create_with_an_empty_list_is_refused(project):
    response = bulk_create(project, [])
    assert response.status_code == 400
    assert tree(project) == []


@pytest.mark.parametrize("body", [{"name": "x"}, "x", None])
def test_bulk_create_with_a_body_that_is_not_a_list_is_a_400(project, body):
    response = bulk_create(project, body)
    assert response.status_code == 400
    assert tree(project) == []


# --- paths ------------------------------------------------------------------------------------


def test_paths_are_case_insensitive(project):
    category = create_category(project, "Guides", category_type="page", content="Body")
    response = project.get(f"/v2/categories/{category}")
    assert_conforms(response, "GET", "/v2/Categories/{categoryId}")
    assert response.status_code == 200
    assert response.json()["data"]["name"] == "Guides"
    response = project.get(f"/V2/CATEGORIES/{category}/CONTENT/en")
    assert_conforms(response, "GET", "/v2/Categories/{categoryId}/content/{langCode}")
    assert response.status_code == 200
    assert response.json()["category"]["content"] == "Body"
    response = project.get(f"/v2/projectversions/{project.workspace_id}/CATEGORIES")
    assert_conforms(response, "GET", TREE)
    assert names(response.json()["data"]) == ["Guides"]
    response = project.put(f"/v2/CATEGORIES/{category}", json={"name": "Manuals"})
    assert_conforms(response, "PUT", "/v2/Categories/{categoryId}")
    assert response.status_code == 200
    response = project.post(
        "/v2/categories/BULKCREATE",
        json=[{"name": "Bulk", "project_version_id": project.workspace_id}],
    )
    assert_conforms(response, "POST", "/v2/Categories/bulkcreate")
    assert response.status_code == 200
    assert names(tree(project)) == ["Manuals", "Bulk"]


def test_token_without_put_cannot_update(project):
    category = create_category(project, "Guides")
    token = project.token_for("GET")
    response = project.client.put(
        f"/v2/Categories/{category}", headers={"api_token": token}, json={"name": "X"}
    )
    assert_conforms(response, "PUT", "/v2/Categories/{categoryId}")
    assert response.status_code == 403
    assert category_data(project, category)["name"] == "Guides"
    response = project.client.get(f"/v2/Categories/{category}")
    assert_conforms(response, "GET", "/v2/Categories/{categoryId}")
    assert response.status_code == 401


def test_names_and_icons_longer_than_their_column_are_refused_alike_on_every_database(project):
    too_long = "x" * 501
    response = project.post(
        "/v2/Categories", json={"name": too_long, "project_version_id": project.workspace_id}
    )
    assert_conforms(response, "POST", "/v2/Categories")
    assert response.status_code == 400
    assert error_of(response) == "The field Name must be a string with a maximum length of 500."
    category = create_category(project, "Guides")
    for body, field in (({"name": too_long}, "Name"), ({"icon": too_long}, "Icon")):
        response = project.put(f"/v2/Categories/{category}", json=body)
        assert_conforms(response, "PUT", "/v2/Categories/{categoryId}")
        assert response.status_code == 400
        assert error_of(response) == (
            f"The field {field} must be a string with a maximum length of 500."
        )
    assert [c["name"] for c in tree(project)] == ["Guides"]
