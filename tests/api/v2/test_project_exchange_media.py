"""Media through export and import: Drive files go to Media/ in the ZIP, come back as Drive
files of the importing project, and bodies point at the new files (same bytes)."""

from __future__ import annotations

import io
import threading
import zipfile
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from lorebase.jobs.queue import claim_next_job
from lorebase.jobs.worker import registered_kinds, run_job
from tests.api.v2.test_drive import new_file, new_folder, png
from tests.api.v2.test_project_exchange import drain, exported
from tests.exchange.test_jsonzip_writer import article, category


def media_path(url: str) -> str:
    return urlsplit(url).path


def test_media_round_trip_rewrites_urls_to_the_importing_project(project):
    folder = new_folder(project, "Images")
    image = png(4, 4)
    file_url = new_file(project, folder, "diagram.png", image)["file_url"]
    guides = category(project, "Guides")
    article(project, guides, "Drawing", f"See ![diagram]({file_url}) here.")

    archive = exported(project, {"entity": "Project", "exclude_media_files": False})
    assert archive.read("Media/Images/diagram.png") == image
    without = exported_without_media(project)
    assert not [n for n in without.namelist() if n.startswith("Media/")]

    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w") as copy:
        for name in archive.namelist():
            copy.writestr(name, archive.read(name))
    token, workspace_id = project.other_project()
    owner = _owner_of_other(project, token)
    response = project.client.post(
        "/v2/Project/Import",
        headers={"api_token": token},
        files={"file": ("kb.zip", raw.getvalue(), "application/zip")},
        data={"import_by": owner, "publish_article": "true"},
    )
    assert response.status_code == 200, response.text
    drain(project)
    status = project.client.get(
        f"/v2/Project/Import/{response.json()['id']}", headers={"api_token": token}
    ).json()
    assert status["status"] == "Completed", status

    articles = project.client.get(
        f"/v2/ProjectVersions/{workspace_id}/articles", headers={"api_token": token}
    ).json()["data"]
    imported = project.client.get(
        f"/v2/Articles/{articles[0]['id']}/en", headers={"api_token": token}
    ).json()["data"]
    new_url = next(
        part.split(")")[0] for part in imported["content"].split("](")[1:] if "diagram" in part
    )
    assert media_path(new_url) != media_path(file_url)  # the other project's own file
    served = project.client.get(media_path(new_url))
    assert served.status_code == 200
    assert served.content == image
    assert served.headers["content-type"] == "image/png"


def exported_without_media(project: Any) -> zipfile.ZipFile:
    # The daily quota (2) is spent by the first export and this one.
    return exported(project, {"entity": "Project", "exclude_media_files": True})


def _owner_of_other(project: Any, token: str) -> str:
    from lorebase.auth.tokens import authenticate
    from lorebase.kb import workspaces

    with project.session() as session:
        caller = authenticate(session, token)
        assert caller is not None
        user = workspaces.create_user(
            session, caller.project_id, email="importer@example.com", first_name="Imp"
        )
        return user.id


def test_an_import_stopped_half_way_leaves_database_and_blob_store_as_before(project):
    folder = new_folder(project, "Images")
    file_url = new_file(project, folder, "diagram.png", png(2, 2))["file_url"]
    guides = category(project, "Guides")
    article(project, guides, "Drawing", f"![d]({file_url})")
    archive = exported(project, {"entity": "Project"})
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w") as copy:
        for name in archive.namelist():
            copy.writestr(name, archive.read(name))
    blobs = project.client.app.state.runtime.blobs
    media_before = sorted(blobs.list("media/"))
    response = project.post(
        "/v2/Project/Import",
        files={"file": ("kb.zip", raw.getvalue(), "application/zip")},
        data={"import_by": project.owner_id},
    )
    import_id = response.json()["id"]

    # A worker asked to stop while importing: the job goes back to the queue untouched.
    runtime = project.client.app.state.runtime
    job = claim_next_job(runtime.session_factory, "w1", registered_kinds(), timedelta(seconds=60))
    stop = threading.Event()
    stop.set()
    run_job(
        runtime.session_factory, "w1", job, lease=timedelta(seconds=60), stop=stop, runtime=runtime
    )
    assert project.get(f"/v2/Project/Import/{import_id}").json()["status"] == "Queued"
    assert sorted(blobs.list("media/")) == media_before
    assert (
        len(project.get("/v2/ProjectVersions/" + project.workspace_id + "/articles").json()["data"])
        == 1
    )

    # The next worker runs it to the end.
    drain(project)
    assert project.get(f"/v2/Project/Import/{import_id}").json()["status"] == "Completed"
    assert len(sorted(blobs.list("media/"))) == len(media_before) + 1
