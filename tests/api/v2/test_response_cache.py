"""The response cache: served only while the workspace's content stamp is unchanged."""

from lorebase.api.v2.response_cache import ResponseCache
from tests.conformance.official import assert_conforms

TREE = "/v2/ProjectVersions/{projectVersionId}/categories"


def test_a_body_is_served_only_for_the_stamp_it_was_built_at():
    cache = ResponseCache()
    cache.put(("ws", "en"), 3, b"tree-at-3")
    assert cache.get(("ws", "en"), 3) == b"tree-at-3"
    assert cache.get(("ws", "en"), 4) is None
    assert cache.get(("ws", "fr"), 3) is None


def test_the_cache_evicts_the_least_recently_used_beyond_its_byte_budget():
    cache = ResponseCache(max_entries=10, max_bytes=10)
    cache.put("a", 1, b"12345")
    cache.put("b", 1, b"12345")
    assert cache.get("a", 1) == b"12345"  # a is now the most recently used
    cache.put("c", 1, b"12345")
    assert cache.get("b", 1) is None
    assert cache.get("a", 1) == b"12345" and cache.get("c", 1) == b"12345"


def test_every_kind_of_write_shows_in_the_next_tree_read(project):
    path = f"/v2/ProjectVersions/{project.workspace_id}/categories"
    created = project.post(
        "/v2/Categories", json={"name": "Guides", "project_version_id": project.workspace_id}
    ).json()["data"]
    assert [c["name"] for c in project.get(path).json()["data"]] == ["Guides"]

    project.put(f"/v2/Categories/{created['id']}", json={"name": "Handbook"})
    assert [c["name"] for c in project.get(path).json()["data"]] == ["Handbook"]

    article = project.post(
        "/v2/Articles",
        json={
            "title": "Install",
            "category_id": created["id"],
            "project_version_id": project.workspace_id,
            "user_id": project.owner_id,
        },
    ).json()["data"]
    (node,) = project.get(path).json()["data"]
    assert [a["title"] for a in node["articles"]] == ["Install"]

    project.put(f"/v2/Articles/{article['id']}/en", json={"title": "Installing"})
    response = project.get(path)
    assert_conforms(response, "GET", TREE)
    assert [a["title"] for a in response.json()["data"][0]["articles"]] == ["Installing"]

    project.delete(f"/v2/Categories/{created['id']}")
    assert project.get(path).json()["data"] == []
