"""The XSS judge of the injection tests (tests/exchange/test_injection_fuzz.py, `live_script`)
over every portal screen of a knowledge base whose every name and body is hostile: what an
author or a script typed never comes back to an author's browser as live script, nor as a
value htmx would act on."""

from __future__ import annotations

import io
import random
import re
import zipfile
from collections.abc import Iterator
from typing import Any

from markupsafe import escape

from lorebase.auth.roles import Role
from lorebase.db.models import ProjectVersion
from tests.api.v2.test_project_exchange import drain
from tests.conftest import Project
from tests.exchange.roundtrip import export_bytes
from tests.exchange.test_injection_fuzz import (
    SCRIPT_PAYLOADS,
    SEED,
    build_hostile_site_kb,
    live_script,
)
from tests.web.conftest import Browser, Site, csrf_of

WORKSPACE_NAME = "Docs " + SCRIPT_PAYLOADS[0] + SCRIPT_PAYLOADS[16]
PORTAL_SCRIPTS = frozenset(
    {
        "/_lorebase/assets/theme.js",
        "/_lorebase/portal/vendor/htmx.min.js",
        "/_lorebase/portal/vendor/Sortable.min.js",
        "/_lorebase/portal/portal.js",
        "/_lorebase/portal/tree.js",
        "/_lorebase/portal/editor.js",
    }
)
PORTAL_STYLESHEETS = frozenset({"/_lorebase/assets/site.css", "/_lorebase/portal/portal.css"})
PORTAL_ICONS = frozenset({"/_lorebase/assets/favicon.svg"})
HX_ATTRIBUTE = re.compile(r'\s(hx-[a-z-]+)="([^"]*)"')
# What our own templates put in htmx attributes: paths, CSS selectors, triggers, and the one
# JSON header object of the layout.
SAFE_HX_VALUE = re.compile(r"^[\w\s/.?=&;:#,\-%{}\"\[\]]*$")


# The portal's own forms post to this site; the judge forbids forms because a knowledge base's
# content must never bring one (the preview, pure content, is judged without this allowance).
OWN_FORM = re.compile(
    r"^forbidden element <form (class='[\w -]+' )?(method='(post|get)' )?action='(/[^/][^']*|)'"
)


def judged(html: str, where: str, *, forms_allowed: bool = True) -> None:
    problems = live_script(
        html, scripts=PORTAL_SCRIPTS, stylesheets=PORTAL_STYLESHEETS, icons=PORTAL_ICONS
    )
    if forms_allowed:
        problems = [problem for problem in problems if not OWN_FORM.match(problem)]
    assert problems == [], where
    for name, value in HX_ATTRIBUTE.findall(html):
        assert "javascript:" not in value.lower() and "js:" not in value, (where, name, value)
        assert SAFE_HX_VALUE.match(value.replace("&#34;", '"').replace("&quot;", '"')), (
            where,
            name,
            value,
        )


def tree_items(nodes: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for node in nodes:
        yield "category", node
        for article in node.get("articles") or []:
            yield "article", article
        yield from tree_items(node.get("child_categories") or [])


def _get(browser: Browser, path: str) -> str:
    answer = browser.get(path)
    assert answer.status_code in (200, 400), (path, answer.status_code)
    return str(answer.text)


def test_no_portal_screen_lets_hostile_text_run(site: Site, project: Project) -> None:
    build_hostile_site_kb(project, random.Random(SEED))
    owner = site.signed_in(Role.OWNER, "boss@example.com")
    ws = project.workspace_id
    tree = project.get(f"/v2/ProjectVersions/{ws}/categories?include_category_description=true")
    assert tree.status_code == 200, tree.text
    items = list(tree_items(tree.json()["data"]))
    assert len(items) > 20

    screens = [
        f"/portal?ws={ws}&lang=en",
        f"/portal?ws={ws}&lang=fr",
        "/portal/categories/new",
        "/portal/articles/new",
        "/portal/variables",
        "/portal/snippets",
        "/portal/glossary",
        "/portal/variables?lang=fr",
        "/portal/drive",
        "/portal/tokens",
        "/portal/team",
    ]
    for payload in SCRIPT_PAYLOADS[:4]:
        screens.append("/portal/search?q=" + payload)
        screens.append(f"/portal/drive?q={payload}")
    for kind, item in items:
        if kind == "category":
            screens.append(f"/portal/categories/{item['id']}")
            screens.append(f"/portal/tree/{item['id']}/articles?lang=fr")
            if item["category_type"] in (1, 2):
                screens.append(f"/portal/categories/{item['id']}/en/edit")
                screens.append(f"/portal/categories/{item['id']}/en/edit/history")
        else:
            base = f"/portal/articles/{item['id']}"
            screens += [f"{base}/en", f"{base}/fr", f"{base}/en/history"]
            screens += [f"{base}/fr/translate", f"{base}/en/compare?left=1&right=1"]
    for path in screens:
        answer = owner.get(path)
        assert answer.status_code in (200, 400), (path, answer.status_code)
        judged(answer.text, path)

    # What comes back from the forms: the preview of hostile text, the conflict screen showing
    # it, and a form refused with it.
    article = next(
        item for kind, item in items if kind == "article" and item["content_type"] in (0, None)
    )
    path = f"/portal/articles/{article['id']}/en"
    token = csrf_of(owner.get(path).text)
    for payload in SCRIPT_PAYLOADS:
        preview = owner.client.post(
            f"{path}/preview", data={"content": payload}, headers={"X-CSRF-Token": token}
        )
        assert preview.status_code == 200
        judged(preview.text, f"preview of {payload!r}", forms_allowed=False)
        conflict = owner.client.post(
            f"{path}/save",
            data={"csrf_token": token, "title": payload, "content": payload, "base": "stale"},
            follow_redirects=False,
        )
        assert conflict.status_code == 409
        judged(conflict.text, f"conflict with {payload!r}")
        refused = owner.client.post(
            "/portal/categories",
            data={"csrf_token": token, "name": payload * 100, "category_type": "0"},
            follow_redirects=False,
        )
        assert refused.status_code == 400
        judged(refused.text, f"refused category {payload!r}")


def _job_id(answer: Any, where: str) -> str:
    assert answer.status_code == 303, (where, answer.status_code, answer.text[:500])
    found = re.match(r"^/portal/exchange/jobs/([0-9a-zA-Z-]+)$", answer.headers["location"])
    assert found, (where, answer.headers["location"])
    return found.group(1)


def _judge_job(browser: Browser, job_id: str, where: str) -> str:
    page = browser.get(f"/portal/exchange/jobs/{job_id}")
    assert page.status_code == 200, (where, page.status_code)
    judged(page.text, f"{where}: job page")
    fragment = browser.get(f"/portal/exchange/jobs/{job_id}/status", headers={"HX-Request": "true"})
    assert fragment.status_code == 200, (where, fragment.status_code)
    judged(fragment.text, f"{where}: status fragment")
    return str(page.text)


def test_no_exchange_or_merge_code_screen_lets_hostile_text_run(
    site: Site, project: Project
) -> None:
    build_hostile_site_kb(project, random.Random(SEED))
    ws = project.workspace_id
    # The workspace's name is what an export's description shows: make sure it is hostile.
    with project.session() as session:
        session.get(ProjectVersion, ws).version_code_name = WORKSPACE_NAME
    owner = site.signed_in(Role.OWNER, "boss@example.com")
    tree = project.get(f"/v2/ProjectVersions/{ws}/categories").json()["data"]
    category = next(item for kind, item in tree_items(tree) if kind == "category")
    exchange = owner.get("/portal/exchange")
    assert exchange.status_code == 200
    judged(exchange.text, "/portal/exchange")
    token = csrf_of(exchange.text)

    def post(path: str, data: dict[str, str], **kw: Any) -> Any:
        return owner.client.post(
            path, data={"csrf_token": token, **data}, follow_redirects=False, **kw
        )

    # Exports whose description carries the hostile workspace name and languages, queued then
    # finished; an import of the hostile knowledge base itself, whose log names what it met;
    # an import that fails on a hostile file name.
    with project.session() as session:
        hostile_zip = export_bytes(session, project.project_id)
    broken = io.BytesIO()
    folder = SCRIPT_PAYLOADS[6]
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr(f"{folder}/{folder}_categories_articles.json", SCRIPT_PAYLOADS[0])
    jobs = {
        "workspace export": _job_id(
            post(
                "/portal/exchange/export",
                {"format": "json", "scope": "version", "workspace": ws, "language": "fr"},
            ),
            "workspace export",
        ),
        "category export": _job_id(
            post(
                "/portal/exchange/export",
                {"format": "html", "scope": "category", "category": category["id"]},
            ),
            "category export",
        ),
        "hostile import": _job_id(
            post(
                "/portal/exchange/import",
                {"publish": "true"},
                files={"file": (SCRIPT_PAYLOADS[0] + ".zip", hostile_zip, "application/zip")},
            ),
            "hostile import",
        ),
        "broken import": _job_id(
            post(
                "/portal/exchange/import",
                {},
                files={"file": ("x.zip", broken.getvalue(), "application/zip")},
            ),
            "broken import",
        ),
    }
    for where, job_id in jobs.items():
        _judge_job(owner, job_id, f"{where} (queued)")
    assert drain(project) >= len(jobs)
    pages = {where: _judge_job(owner, job_id, where) for where, job_id in jobs.items()}
    assert "Completed" in pages["workspace export"] and "Failed" in pages["broken import"]
    # The hostile text did reach these screens, escaped.
    assert str(escape(WORKSPACE_NAME)) in pages["workspace export"]
    assert str(escape(f"The file '{folder}/{folder}_")) in pages["broken import"]
    judged(owner.get("/portal/exchange").text, "/portal/exchange with finished jobs")

    # Forms refused with hostile fields, and an import from a hostile address (left queued:
    # no worker fetches it).
    for payload in SCRIPT_PAYLOADS[:6] + SCRIPT_PAYLOADS[20:24]:
        for path, data in (
            ("/portal/exchange/export", {"format": payload}),
            ("/portal/exchange/export", {"format": "json", "scope": payload}),
            (
                "/portal/exchange/export",
                {"format": "json", "scope": "category", "category": payload},
            ),
            ("/portal/exchange/export", {"format": "json", "language": payload[:20]}),
            ("/portal/exchange/export", {"format": "json", "after": payload}),
            (
                "/portal/exchange/export",
                {"format": "json", "scope": "version", "workspace": payload},
            ),
            ("/portal/exchange/import", {"source_url": payload}),
        ):
            answer = post(path, data)
            assert answer.status_code == 400, (path, data, answer.status_code)
            judged(answer.text, f"refused {path} {data!r}")
    address = "https://example.com/a.zip?x=" + SCRIPT_PAYLOADS[0] + "&y=" + SCRIPT_PAYLOADS[7]
    answer = post("/portal/exchange/import", {"source_url": address})
    if answer.status_code == 303:
        _judge_job(owner, _job_id(answer, "address import"), "address import")
    else:
        assert answer.status_code == 400, answer.status_code
        judged(answer.text, "refused address import")

    # Each variable, snippet and glossary term's edit page, in both languages, with hostile
    # values; then sent back with hostile names and values (refused or saved).
    saved = 0
    for section, route, value_key in (
        ("variables", "Variables", "value"),
        ("snippets", "Snippets", "content"),
        ("glossary", "Glossary", "term"),
    ):
        for payload in SCRIPT_PAYLOADS[:3]:
            body: dict[str, Any] = {"project_version_id": ws, "name": f"{section}{len(payload)}"}
            body[value_key] = payload if section != "variables" else payload[:100]
            if section == "glossary":
                body["definition"] = payload
            if section == "snippets":
                body["is_html"] = len(payload) % 2 == 0
            assert project.post(f"/v2/{route}", json=body).status_code == 200
        listed = project.get(f"/v2/{route}", params={"projectVersionId": ws}).json()["data"]
        assert listed
        for entry in listed:
            path = f"/portal/{section}/{entry['id']}"
            for suffix in ("", "?lang=fr", "?lang=" + SCRIPT_PAYLOADS[0]):
                answer = owner.get(path + suffix)
                assert answer.status_code in (200, 400), (path + suffix, answer.status_code)
                judged(answer.text, path + suffix)
            if entry is not listed[0]:
                continue  # one entry of each kind is enough to send hostile forms back
            for payload in (SCRIPT_PAYLOADS[0], SCRIPT_PAYLOADS[7], SCRIPT_PAYLOADS[16]):
                for name in (payload[:50], entry["name"]):
                    data = {"name": name, "value": payload, "definition": payload, "lang": "fr"}
                    if section == "snippets":
                        data["is_html"] = "true"
                    answer = post(path, data)
                    assert answer.status_code in (303, 400), (path, answer.status_code)
                    if answer.status_code == 400:
                        judged(answer.text, f"refused {path} with {name!r}")
                    saved += answer.status_code == 303
                    page = owner.get(path)
                    assert page.status_code == 200
                    judged(page.text, f"{path} after {payload!r}")
        judged(owner.get(f"/portal/{section}?lang=fr").text, f"/portal/{section}")
    assert saved > 0  # hostile values were stored, and their pages judged
