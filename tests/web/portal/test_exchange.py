"""The portal's import and export screens: a ZIP imported through the form and an export started
in each light format, run by a real worker loop; the job page's progress, log, download and its
htmx polling that stops once the job ends; failures with their reason; bad forms; roles."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from lorebase.auth.roles import Role
from lorebase.db.models import Article, ProjectVersion
from lorebase.exchange import history, service
from lorebase.kb import articles, categories, workspaces
from tests.api.v2.test_project_exchange import drain
from tests.conftest import Project
from tests.exchange.roundtrip import export_bytes
from tests.exchange.test_jsonzip_writer import build_kb
from tests.web.conftest import Browser, Site, csrf_of

EXCHANGE = "/portal/exchange"
JOB_LINK = re.compile(r"^/portal/exchange/jobs/([0-9a-zA-Z-]+)$")


def _export_zip(project: Project) -> bytes:
    """A JSON export ZIP of another project: one category with one article, whose title and
    text need escaping."""
    with project.session() as session:
        source = workspaces.create_project(session, "Elsewhere")
        workspace = workspaces.workspaces(session, source.id)[0]
        author = workspaces.create_user(session, source.id, email="a@x.io", first_name="A")
        category = categories.create_category(
            session,
            source.id,
            name="Imported <i>guides</i>",
            project_version_id=workspace.id,
            parent_category_id=None,
            category_type=0,
            user_id=author.id,
            lang=None,
        )
        articles.create_article(
            session,
            source.id,
            title="Brought <script>alert(1)</script> over",
            project_version_id=workspace.id,
            user_id=author.id,
            content="Text from **elsewhere**",
            category_id=category.id,
        )
    with project.session() as session:
        return export_bytes(session, source.id)


def _articles_in_site_project(project: Project) -> int:
    with project.session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(Article)
                .join(ProjectVersion, ProjectVersion.id == Article.project_version_id)
                .where(ProjectVersion.project_id == project.project_id)
            )
            or 0
        )


def _upload(browser: Browser, data: bytes, **fields: str) -> Any:
    token = csrf_of(browser.get(EXCHANGE).text)
    return browser.client.post(
        f"{EXCHANGE}/import",
        data={"csrf_token": token, **fields},
        files={"file": ("export.zip", data, "application/zip")},
        follow_redirects=False,
    )


def _export(browser: Browser, **fields: str) -> Any:
    token = csrf_of(browser.get(EXCHANGE).text)
    return browser.client.post(
        f"{EXCHANGE}/export", data={"csrf_token": token, **fields}, follow_redirects=False
    )


def _job_of(answer: Any) -> str:
    assert answer.status_code == 303, answer.text
    found = JOB_LINK.match(answer.headers["location"])
    assert found, answer.headers["location"]
    return found.group(1)


def _download_href(html: str) -> str:
    found = re.search(r'<a class="button" href="([^"]+)">Download the export</a>', html)
    assert found, "the page offers no download"
    return found.group(1).replace("&amp;", "&")


def test_an_uploaded_export_is_imported_and_its_page_shows_the_log(
    site: Site, project: Project
) -> None:
    admin = site.signed_in(Role.ADMIN)
    page = admin.get(EXCHANGE)
    assert page.status_code == 200
    assert 'enctype="multipart/form-data"' in page.text
    before = _articles_in_site_project(project)

    job_id = _job_of(_upload(admin, _export_zip(project), publish="true"))
    waiting = admin.get(f"{EXCHANGE}/jobs/{job_id}").text
    assert "Queued" in waiting and "Waiting for a worker" in waiting
    assert 'hx-trigger="every 1s"' in waiting

    assert drain(project) >= 1
    done = admin.get(f"{EXCHANGE}/jobs/{job_id}")
    assert done.status_code == 200
    assert "Completed" in done.text and "The import is complete." in done.text
    assert "hx-trigger" not in done.text
    assert re.search(r"<dt>Articles</dt><dd>1</dd>", done.text), done.text
    log = done.text[done.text.index('class="exchange-log"') :]
    assert "Info:" in log
    assert "<script>alert" not in done.text
    assert _articles_in_site_project(project) == before + 1

    listing = admin.get(EXCHANGE).text
    assert f'href="/portal/exchange/jobs/{job_id}"' in listing
    assert "Uploaded ZIP · articles published" in listing


@pytest.mark.parametrize("format", ["json", "markdown", "html"])
def test_an_export_started_in_the_form_offers_a_download_that_works(
    site: Site, project: Project, format: str
) -> None:
    build_kb(project)
    owner = site.signed_in(Role.OWNER)
    job_id = _job_of(_export(owner, format=format, scope="project"))
    assert "Download the export" not in owner.get(f"{EXCHANGE}/jobs/{job_id}").text
    assert drain(project) == 1

    page = owner.get(f"{EXCHANGE}/jobs/{job_id}").text
    assert "Completed" in page and "The export is complete." in page
    assert re.search(r"<dt>Articles</dt><dd>\d+</dd>", page)
    href = urlsplit(_download_href(page))
    answer = owner.client.get(f"{href.path}?{href.query}")
    assert answer.status_code == 200, answer.text
    assert "attachment" in answer.headers["content-disposition"]
    names = zipfile.ZipFile(io.BytesIO(answer.content)).namelist()
    if format == "json":
        assert any(n.endswith("_categories_articles.json") for n in names), names
    elif format == "markdown":
        assert any(n.endswith(".md") for n in names), names
    else:
        assert "index.html" in names


def test_a_workspace_export_in_one_language(site: Site, project: Project) -> None:
    build_kb(project)
    admin = site.signed_in(Role.ADMIN)
    page = admin.get(EXCHANGE).text
    assert f'<option value="{project.workspace_id}">' in page
    answer = _export(
        admin,
        format="json",
        scope="version",
        workspace=project.workspace_id,
        language="fr",
        after="2000-01-01",
        exclude_media="true",
    )
    job_id = _job_of(answer)
    drain(project)
    page = admin.get(f"{EXCHANGE}/jobs/{job_id}").text
    assert "Completed" in page
    assert "JSON ZIP · workspace" in page and "· fr" in page


def test_the_status_fragment_polls_while_the_job_runs_and_stops_once_it_ends(
    site: Site, project: Project
) -> None:
    admin = site.signed_in(Role.ADMIN)
    job_id = _job_of(_export(admin, format="json", scope="project"))
    fragment = admin.get(f"{EXCHANGE}/jobs/{job_id}/status", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="job-status"')
    assert "<html" not in fragment.text
    assert f'hx-get="/portal/exchange/jobs/{job_id}/status"' in fragment.text
    assert 'hx-trigger="every 1s"' in fragment.text
    assert 'hx-swap="outerHTML"' in fragment.text
    assert "<progress" in fragment.text and "Waiting for a worker" in fragment.text

    drain(project)
    finished = admin.get(f"{EXCHANGE}/jobs/{job_id}/status", headers={"HX-Request": "true"})
    assert finished.status_code == 200
    assert "hx-trigger" not in finished.text and "hx-get" not in finished.text
    assert re.search(r'<progress id="job-progress" max="(\d+)" value="\1"', finished.text)
    assert "Done" in finished.text and "Download the export" in finished.text


def test_a_failed_import_shows_the_reason(site: Site, project: Project) -> None:
    admin = site.signed_in(Role.ADMIN)
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("readme.txt", "no index <b>here</b>")
    job_id = _job_of(_upload(admin, broken.getvalue()))
    drain(project)
    page = admin.get(f"{EXCHANGE}/jobs/{job_id}").text
    assert "Failed" in page
    assert re.search(r'<p class="problem" role="alert">The import failed: [^<]*No index file', page)
    assert 'class="exchange-failed"><strong>Error:</strong>' in page
    assert "hx-trigger" not in page
    assert "Download the export" not in page


@pytest.mark.parametrize(
    ("kind", "fields", "field", "message"),
    [
        ("import", {}, "import-file", "Choose the export ZIP"),
        ("import", {"source_url": "ftp://example.com/a.zip"}, "import-url", "http"),
        ("import", {"source_url": "http://127.0.0.1/a.zip"}, "import-url", "private"),
        ("import", {"source_url": "x" * 3000}, "import-url", "longer than"),
        ("export", {}, "export-format", "Choose a format"),
        ("export", {"format": "docx"}, "export-format", "Choose a format"),
        ("export", {"format": "json", "scope": "galaxy"}, "export-scope", "Choose what"),
        ("export", {"format": "json", "scope": "version"}, "export-workspace", "workspace"),
        (
            "export",
            {"format": "json", "scope": "version", "workspace": "nope"},
            "export-workspace",
            "does not exist",
        ),
        ("export", {"format": "pdf", "scope": "category"}, "export-category", "category"),
        (
            "export",
            {"format": "json", "scope": "category", "category": "x\x00" * 40},
            "export-category",
            "Unable to find",
        ),
        ("export", {"format": "json", "language": "tlh"}, "export-language", "tlh"),
        ("export", {"format": "json", "after": "yesterday"}, "export-after", "2024-05-31"),
        (
            "export",
            {"format": "json", "after": "2024-02-01", "before": "2024-01-01"},
            "export-after",
            "later",
        ),
    ],
)
def test_a_refused_form_says_why_next_to_the_field(
    site: Site, project: Project, kind: str, fields: dict[str, str], field: str, message: str
) -> None:
    admin = site.signed_in(Role.ADMIN)
    token = csrf_of(admin.get(EXCHANGE).text)
    answer = admin.client.post(
        f"{EXCHANGE}/{kind}", data={"csrf_token": token, **fields}, follow_redirects=False
    )
    assert answer.status_code == 400, answer.text
    problem = re.search(rf'<p id="{field}-problem" class="field-problem">([^<]*)</p>', answer.text)
    assert problem and message in problem.group(1), answer.text
    assert f'aria-describedby="{field}-problem"' in answer.text or re.search(
        rf'id="{field}"[^>]*aria-describedby="[^"]*{field}-problem"', answer.text
    )
    assert "<script>" not in answer.text.split("</main>")[0].split("<main")[1]
    with project.session() as session:
        assert history.recent_jobs(session, project.project_id) == []


def test_an_upload_that_is_not_a_zip_is_refused_at_once(site: Site, project: Project) -> None:
    admin = site.signed_in(Role.ADMIN)
    answer = _upload(admin, b"%PDF-1.7 <script>x</script>", publish="true")
    assert answer.status_code == 400
    assert 'id="import-file" name="file" type="file"' in answer.text
    assert 'aria-invalid="true"' in answer.text
    assert "not a ZIP archive" in answer.text
    assert 'name="publish" type="checkbox" value="true" checked' in answer.text
    assert list(project.client.app.state.runtime.blobs.list("imports/")) == []


def test_a_job_of_another_project_or_an_unknown_id_is_not_found(
    site: Site, project: Project
) -> None:
    with project.session() as session:
        other = workspaces.create_project(session, "Someone else's KB")
        options = service.export_options(
            session,
            other.id,
            entity="Project",
            version_ids=None,
            languages=None,
            categories=None,
            exclude_media=False,
            modified_after=None,
            modified_before=None,
            export_type=0,
        )
        foreign = service.start_export(session, other.id, options, daily_limit=0).id
    admin = site.signed_in(Role.ADMIN)
    for job_id in (foreign, "sometoken", "x" * 500, "a%00b", "%E2%80%AE<b>"):
        for suffix in ("", "/status"):
            answer = admin.get(f"{EXCHANGE}/jobs/{job_id}{suffix}")
            assert answer.status_code == 404, (job_id, suffix)
            # An id with a NUL is refused by the path check before the job is looked up.
            expected = "holds characters no page has" if "%00" in job_id else "No such job"
            assert expected in answer.text, (job_id, suffix)
    assert foreign not in admin.get(EXCHANGE).text


@pytest.mark.parametrize("role", [Role.EDITOR, Role.DRAFT_WRITER, Role.READER])
def test_only_administrators_import_and_export(site: Site, project: Project, role: Role) -> None:
    admin = site.signed_in(Role.ADMIN)
    job_id = _job_of(_export(admin, format="json", scope="project"))
    someone = site.signed_in(role)
    token = someone.csrf("/account")
    for path in (EXCHANGE, f"{EXCHANGE}/jobs/{job_id}", f"{EXCHANGE}/jobs/{job_id}/status"):
        answer = someone.get(path)
        assert answer.status_code == 403, path
        assert "Your role does not allow this" in answer.text
    for path, data in (
        (f"{EXCHANGE}/export", {"format": "json", "scope": "project"}),
        (f"{EXCHANGE}/import", {"source_url": "https://example.com/a.zip"}),
    ):
        answer = someone.client.post(
            path, data={"csrf_token": token, **data}, follow_redirects=False
        )
        assert answer.status_code == 403, path
    if role != Role.READER:
        assert 'href="/portal/exchange"' not in someone.get("/portal").text
    assert 'href="/portal/exchange"' in admin.get("/portal").text
    assert drain(project) == 1  # only the administrator's export was queued
