"""Media through export and import: Drive files go to Media/ in the ZIP, come back as Drive
files of the importing project, and bodies point at the new files (same bytes)."""

from __future__ import annotations

import io
import zipfile
from typing import Any
from urllib.parse import urlsplit

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
