"""Renamed slugs: the reader site answers an article's or category's old URL with a permanent
redirect to where it lives now, and forgets nothing across several renames."""

from __future__ import annotations

from typing import Any

from tests.conftest import Project


def _category(project: Project, name: str, category_type: int = 0) -> str:
    response = project.post(
        "/v2/Categories",
        json={
            "name": name,
            "project_version_id": project.workspace_id,
            "category_type": category_type,
        },
    )
    assert response.status_code == 200, response.text
    category_id: str = response.json()["data"]["id"]
    return category_id


def _published_article(project: Project, title: str, category_id: str) -> str:
    response = project.post(
        "/v2/Articles",
        json={
            "title": title,
            "category_id": category_id,
            "project_version_id": project.workspace_id,
            "user_id": project.owner_id,
            "content": f"# {title}\n\nBody of {title}.",
        },
    )
    assert response.status_code == 200, response.text
    article_id: str = response.json()["data"]["id"]
    published = project.post(
        f"/v2/Articles/{article_id}/en/publish",
        json={"user_id": project.owner_id, "version_number": 1},
    )
    assert published.status_code == 200, published.text
    return article_id


def _rename(project: Project, path: str, slug: str) -> None:
    response = project.put(path, json={"slug": slug})
    assert response.status_code == 200, response.text


def _get(project: Project, path: str) -> Any:
    return project.client.get(path, follow_redirects=False)


def test_an_article_s_old_slug_redirects_permanently_to_its_new_url(project: Project) -> None:
    guides = _category(project, "Guides")
    article_id = _published_article(project, "Install the agent", guides)
    assert _get(project, "/docs/install-the-agent").status_code == 200

    _rename(project, f"/v2/Articles/{article_id}/en/settings", "installing")

    old = _get(project, "/docs/install-the-agent")
    assert old.status_code == 301
    assert old.headers["location"] == "/docs/installing"
    assert _get(project, "/docs/installing").status_code == 200
    assert _get(project, "/docs/install-the-agent.md").headers["location"] == "/docs/installing.md"


def test_every_former_slug_of_an_article_leads_to_its_current_url(project: Project) -> None:
    guides = _category(project, "Guides")
    article_id = _published_article(project, "First name", guides)
    _rename(project, f"/v2/Articles/{article_id}/en/settings", "second-name")
    _rename(project, f"/v2/Articles/{article_id}/en/settings", "third-name")

    for old in ("/docs/first-name", "/docs/second-name", "/docs/en/first-name"):
        response = _get(project, old)
        assert response.status_code == 301, old
        assert response.headers["location"] == "/docs/third-name"


def test_a_slug_taken_over_by_another_article_shows_that_article(project: Project) -> None:
    guides = _category(project, "Guides")
    first = _published_article(project, "Shared name", guides)
    _rename(project, f"/v2/Articles/{first}/en/settings", "moved-away")
    _published_article(project, "Shared name", guides)

    response = _get(project, "/docs/shared-name")
    assert response.status_code == 200
    assert "Body of Shared name" in response.text


def test_a_category_s_old_slug_redirects_to_its_new_url(project: Project) -> None:
    guides = _category(project, "Guides")
    _published_article(project, "Inside", guides)
    assert _get(project, "/docs/en/category/guides").status_code == 200

    _rename(project, f"/v2/Categories/{guides}/en/settings", "handbooks")

    response = _get(project, "/docs/en/category/guides")
    assert response.status_code == 301
    assert response.headers["location"] == "/docs/en/category/handbooks"


def test_an_unknown_slug_with_no_history_is_a_themed_not_found_page(project: Project) -> None:
    response = _get(project, "/docs/never-existed")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert 'role="search"' in response.text
