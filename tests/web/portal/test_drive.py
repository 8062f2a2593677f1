"""The portal's Drive: files uploaded through the API listed with previews and Markdown;
uploads through the form and through the editor's paste/drop route (JSON), with the API's
limits; folders created, renamed and deleted; files moved and deleted; roles; escaping."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from lorebase.api.limits import DRIVE_UPLOAD_BYTES
from lorebase.auth.roles import Role
from tests.api.v2.test_drive import make_private, path_of, png
from tests.conftest import Project
from tests.web.conftest import Browser, Site

FOLDERS = "/v2/Drive/Folders"
PASTE = "/portal/drive/upload"


def _folder(project: Project, title: str, parent: str | None = None) -> str:
    body = {"title": title, "parent_folder_id": parent, "user_id": project.owner_id}
    answer = project.post(FOLDERS, json=body)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["data"]["media_folder_id"])


def _api_upload(project: Project, folder: str, name: str, data: bytes) -> dict[str, Any]:
    answer = project.post(
        f"{FOLDERS}/Files",
        params={"DriveFolderId": folder, "UserId": project.owner_id},
        files=[("files", (name, data, "application/octet-stream"))],
    )
    assert answer.status_code == 200, answer.text
    uploaded: dict[str, Any] = answer.json()["data"][0]
    return uploaded


def _api_folder_files(project: Project, folder: str) -> list[str]:
    answer = project.get(f"{FOLDERS}/{folder}")
    assert answer.status_code == 200, answer.text
    return [f["file_name"] for f in answer.json()["data"]["files"]]


def _api_search(project: Project, keyword: str) -> list[str]:
    answer = project.get("/v2/Drive/Search", params={"searchKeyword": keyword})
    assert answer.status_code == 200, answer.text
    return [f["file_name"] for f in answer.json()["data"]["all_files"]]


def _token(browser: Browser) -> str:
    return browser.csrf("/portal/drive")


def _post(browser: Browser, path: str, data: dict[str, str] | None = None, **kw: Any) -> Any:
    return browser.client.post(
        path, data={"csrf_token": _token(browser), **(data or {})}, follow_redirects=False, **kw
    )


def _paste(browser: Browser, name: str, data: bytes, folder: str = "") -> Any:
    return browser.client.post(
        PASTE,
        headers={"X-CSRF-Token": _token(browser)},
        data={"folder": folder} if folder else {},
        files={"file": (name, data, "image/png")},
        follow_redirects=False,
    )


def test_the_drive_lists_files_uploaded_through_the_api(site: Site, project: Project) -> None:
    images = _folder(project, "Images")
    logo = _api_upload(project, images, "logo.png", png(5, 7))
    _api_upload(project, images, "notes.txt", b"plain words")
    editor = site.signed_in(Role.EDITOR)

    page = editor.get(f"/portal/drive?folder={images}")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    html = page.text
    assert "logo.png" in html and "notes.txt" in html
    assert "Image" in html and "Document" in html and "11 bytes" in html
    # The thumbnail is fetched from this origin; the snippet carries the canonical URL.
    media = path_of(logo["file_url"])
    assert f'<img class="drive-thumb" src="{media}"' in html
    assert 'width="5" height="7"' in html
    assert f'value="![logo]({logo["file_url"]})"' in html
    assert html.count('class="snippet"') == 1  # text files get no Markdown image
    assert editor.get(media).content == png(5, 7)

    everything = editor.get("/portal/drive").text
    assert "All files" in everything and "logo.png" in everything and "Images" in everything
    found = editor.get("/portal/drive?q=LOGO").text
    assert "logo.png" in found and "notes.txt" not in found
    assert "No file name matches" in editor.get("/portal/drive?q=nothing-like-it").text


def test_a_private_project_shows_signed_previews_and_canonical_markdown(
    site: Site, project: Project
) -> None:
    images = _folder(project, "Images")
    logo = _api_upload(project, images, "logo.png", png())
    make_private(project)
    editor = site.signed_in(Role.EDITOR)
    html = editor.get(f"/portal/drive?folder={images}").text
    preview = re.search(r'<img class="drive-thumb" src="([^"]+)"', html)
    assert preview
    signed = preview.group(1).replace("&amp;", "&")
    assert "se=" in signed and "sig=" in signed
    assert editor.get(signed).content == png()
    assert editor.get(path_of(logo["file_url"])).status_code == 403
    assert f'value="![logo]({logo["file_url"]})"' in html


def test_uploading_through_the_form(site: Site, project: Project) -> None:
    images = _folder(project, "Images")
    writer = site.signed_in(Role.DRAFT_WRITER)
    files = [
        ("file", ("chart.png", png(), "image/png")),
        ("file", ("readme.txt", b"hello", "text/plain")),
    ]
    answer = _post(writer, "/portal/drive/files", {"folder": images}, files=files)
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == f"/portal/drive?folder={images}&done=uploaded"
    assert sorted(_api_folder_files(project, images)) == ["chart.png", "readme.txt"]
    page = writer.get(answer.headers["location"]).text
    assert "The files are uploaded." in page and "chart.png" in page

    # At the top level (outside every folder): found by the API's search.
    answer = _post(writer, "/portal/drive/files", files=[("file", ("top.png", png(), "image/png"))])
    assert answer.status_code == 303
    assert _api_search(project, "top") == ["top.png"]

    # Nothing chosen, an empty file, an unknown folder.
    nothing = [("file", ("", b"", "application/octet-stream"))]
    answer = _post(writer, "/portal/drive/files", {"folder": images}, files=nothing)
    assert answer.status_code == 400
    assert "Choose a file to upload." in answer.text
    assert 'aria-invalid="true"' in answer.text and 'id="upload-problem"' in answer.text
    empty = [("file", ("empty.png", b"", "image/png"))]
    answer = _post(writer, "/portal/drive/files", {"folder": images}, files=empty)
    assert answer.status_code == 400 and "The file &#39;empty.png&#39; is empty." in answer.text
    answer = _post(writer, "/portal/drive/files", {"folder": "x" * 80}, files=files)
    assert answer.status_code == 404 and "No such folder" in answer.text
    assert _post(writer, "/portal/drive/files", {"file": "text"}).status_code == 400


def test_pasting_an_image_stores_it_and_answers_its_markdown(site: Site, project: Project) -> None:
    writer = site.signed_in(Role.DRAFT_WRITER)
    answer = _paste(writer, "screen shot [1].png", png(4, 4))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert set(body) == {"id", "url", "name", "markdown"}
    assert body["name"] == "screen shot [1].png"
    assert body["url"].startswith(project.settings.public_base_url + "/media/")
    assert body["markdown"] == f"![screen shot \\[1\\]]({body['url']})"
    assert " " not in body["url"] and "(" not in body["url"]
    assert writer.get(path_of(body["url"])).content == png(4, 4)
    assert _api_search(project, "screen shot") == ["screen shot [1].png"]

    images = _folder(project, "Pasted")
    answer = _paste(writer, "in-folder.png", png(), folder=images)
    assert answer.status_code == 200, answer.text
    assert _api_folder_files(project, images) == ["in-folder.png"]


def test_the_paste_route_refuses_what_is_not_an_image(
    site: Site, project: Project, tmp_path: Path
) -> None:
    writer = site.signed_in(Role.DRAFT_WRITER)
    refusals = {
        "notes.png": b"just text",
        "drawing.png": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "empty.png": b"",
    }
    for name, data in refusals.items():
        answer = _paste(writer, name, data)
        assert answer.status_code == 400, name
        assert answer.headers["content-type"] == "application/json"
        assert set(answer.json()) == {"error"}
    assert "is not an image" in _paste(writer, "notes.png", b"just text").json()["error"]
    assert _paste(writer, "empty.png", b"").json()["error"] == "The file 'empty.png' is empty."
    no_file = writer.client.post(
        PASTE, headers={"X-CSRF-Token": _token(writer)}, data={"folder": ""}
    )
    assert no_file.status_code == 400 and no_file.json() == {"error": "Choose a file to upload."}
    unknown = _paste(writer, "a.png", png(), folder="0" * 36)
    assert unknown.status_code == 404 and unknown.json() == {"error": "Folder not found"}

    huge = tmp_path / "huge.png"
    with huge.open("wb") as fh:
        fh.write(png())
        fh.truncate(DRIVE_UPLOAD_BYTES + 1)
    with huge.open("rb") as big:
        answer = writer.client.post(
            PASTE,
            headers={"X-CSRF-Token": _token(writer)},
            files={"file": ("huge.png", big, "image/png")},
        )
    assert answer.status_code == 400
    assert answer.json()["error"] == (
        "The file 'huge.png' is larger than 40 MB, Drive's limit for one file."
    )
    assert _api_search(project, "") == []
    assert not list(project.client.app.state.runtime.blobs.list("media/"))
    # Without the page's CSRF token nothing is stored.
    forged = writer.client.post(PASTE, files={"file": ("a.png", png(), "image/png")})
    assert forged.status_code == 403


def test_folders_are_created_renamed_and_deleted(site: Site, project: Project) -> None:
    editor = site.signed_in(Role.EDITOR)
    answer = _post(editor, "/portal/drive/folders", {"name": "  "})
    assert answer.status_code == 400
    assert "The Title field is required." in answer.text
    assert 'id="new-folder" name="name"' in answer.text
    assert 'aria-describedby="new-folder-problem"' in answer.text

    answer = _post(editor, "/portal/drive/folders", {"name": "Guides"})
    assert answer.status_code == 303
    guides = re.search(r"folder=([^&]+)", answer.headers["location"])
    assert guides
    guides_id = guides.group(1)
    answer = _post(editor, "/portal/drive/folders", {"name": "Screens", "parent": guides_id})
    assert answer.status_code == 303
    (top,) = project.get(FOLDERS).json()["data"]
    assert top["title"] == "Guides" and [c["title"] for c in top["sub_folders"]] == ["Screens"]
    inner = top["sub_folders"][0]["id"]
    page = editor.get(f"/portal/drive?folder={guides_id}").text
    assert "Screens" in page and "Delete Guides" in page

    path = f"/portal/drive/folders/{inner}/rename"
    assert _post(editor, path, {"name": ""}).status_code == 400
    assert _post(editor, path, {"name": "Screenshots"}).status_code == 303
    assert project.get(FOLDERS).json()["data"][0]["sub_folders"][0]["title"] == "Screenshots"
    missing = _post(editor, "/portal/drive/folders/nope/rename", {"name": "X"})
    assert missing.status_code == 404

    file = _api_upload(project, inner, "shot.png", png())
    answer = _post(editor, f"/portal/drive/folders/{guides_id}/delete")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/portal/drive?done=folder-deleted"
    assert project.get(FOLDERS).json()["data"] == []
    assert editor.get(path_of(file["file_url"])).status_code == 404
    assert _post(editor, f"/portal/drive/folders/{guides_id}/delete").status_code == 404
    assert editor.get(f"/portal/drive?folder={guides_id}").status_code == 404


def test_files_are_moved_and_deleted(site: Site, project: Project) -> None:
    first = _folder(project, "First")
    second = _folder(project, "Second")
    file = _api_upload(project, first, "move-me.png", png())
    editor = site.signed_in(Role.EDITOR)
    answer = _post(editor, f"/portal/drive/files/{file['id']}/move", {"folder": second})
    assert answer.status_code == 303
    assert _api_folder_files(project, second) == ["move-me.png"]
    assert (
        _post(editor, f"/portal/drive/files/{file['id']}/move", {"folder": ""}).status_code == 400
    )
    answer = _post(editor, f"/portal/drive/files/{file['id']}/move", {"folder": "nope"})
    assert answer.status_code == 404 and "No such folder" in answer.text

    answer = _post(editor, f"/portal/drive/files/{file['id']}/delete", {"folder": second})
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/portal/drive?folder={second}&done=file-deleted"
    assert _api_folder_files(project, second) == []
    assert editor.get(path_of(file["file_url"])).status_code == 404
    assert _post(editor, f"/portal/drive/files/{file['id']}/delete").status_code == 404


@pytest.mark.parametrize(
    ("role", "browse", "delete"),
    [
        (Role.OWNER, True, True),
        (Role.ADMIN, True, True),
        (Role.EDITOR, True, True),
        (Role.DRAFT_WRITER, True, False),
        (Role.READER, False, False),
    ],
    ids=lambda value: value.slug if isinstance(value, Role) else str(value),
)
def test_who_may_browse_upload_and_delete(
    site: Site, project: Project, role: Role, browse: bool, delete: bool
) -> None:
    folder = _folder(project, "Images")
    file = _api_upload(project, folder, "logo.png", png())
    me = site.signed_in(role)
    page = me.get(f"/portal/drive?folder={folder}")
    token = me.csrf("/account")
    paste = me.client.post(
        PASTE, headers={"X-CSRF-Token": token}, files={"file": ("p.png", png(), "image/png")}
    )
    if not browse:
        assert page.status_code == 403 and "Your role does not allow this" in page.text
        assert paste.status_code == 403
        return
    assert page.status_code == 200
    assert ('action="/portal/drive/files/' + file["id"] + '/delete"' in page.text) is delete
    assert ("Delete Images" in page.text) is delete
    assert paste.status_code == 200
    answer = me.client.post(
        f"/portal/drive/files/{file['id']}/delete",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == (303 if delete else 403)


def test_names_are_escaped(site: Site, project: Project) -> None:
    folder = _folder(project, "<script>alert('folder')</script>")
    _api_upload(project, folder, "<img src=x onerror=alert(1)>.png", png())
    editor = site.signed_in(Role.EDITOR)
    for path in (f"/portal/drive?folder={folder}", "/portal/drive", "/portal/drive?q=img"):
        html = editor.get(path).text
        assert "<script>alert(" not in html
        assert "<img src=x" not in html
        assert "&lt;img src=x onerror=alert(1)&gt;.png" in html
    assert "&lt;script&gt;alert(&#39;folder&#39;)&lt;/script&gt;" in html
    found = editor.get("/portal/drive?q=%3Cscript%3E").text
    assert "Files matching “&lt;script&gt;”" in found and "<script>" not in found
