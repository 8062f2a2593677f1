"""/v2/Drive: folders, uploads (type sniffed from the bytes, 40 MB cap), file metadata, move,
copy, delete with its task status, tags, search, the media of an article; the /media route;
signed media URLs for private projects, in Drive reads and in article/category content."""

from __future__ import annotations

import struct
import time
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import update

from lorebase.api.limits import DRIVE_UPLOAD_BYTES
from lorebase.db.models import Project
from lorebase.kb import drive
from tests.conformance.official import assert_conforms

FOLDERS = "/v2/Drive/Folders"
FOLDER = "/v2/Drive/Folders/{folderId}"
UPLOAD = "/v2/Drive/Folders/Files"
FILE = "/v2/Drive/Folders/{folderId}/{fileId}"
COPY = "/v2/Drive/Folders/{folderId}/{fileId}/Copy"
TAGS = "/v2/Drive/Folders/{folderId}/{fileId}/Tags"
TAGS_DELETE = "/v2/Drive/Folders/{folderId}/{fileId}/Tags/Bulkdelete"
STATUS = "/v2/Drive/Folders/DeleteFile/Status/{taskId}"
SEARCH = "/v2/Drive/Search"
MEDIA_FILES = "/v2/Drive/MediaFiles/{projectVersionId}/{articleId}/{langCode}"
MISSING = "00000000-0000-0000-0000-000000000000"


def png(width: int = 3, height: int = 2) -> bytes:
    """A real, valid RGB PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def error_of(response: Any) -> str:
    description: str = response.json()["errors"][0]["description"]
    return description


def new_folder(project: Any, title: str = "Images", parent: str | None = None) -> str:
    response = project.post(
        FOLDERS, json={"title": title, "parent_folder_id": parent, "user_id": project.owner_id}
    )
    assert_conforms(response, "POST", FOLDERS)
    assert response.status_code == 200, response.text
    folder_id: str = response.json()["data"]["media_folder_id"]
    return folder_id


def upload(project: Any, folder_id: str, *files: tuple[str, bytes]) -> Any:
    response = project.post(
        UPLOAD,
        params={"DriveFolderId": folder_id, "UserId": project.owner_id},
        files=[("files", (name, data, "text/plain")) for name, data in files],
    )
    assert_conforms(response, "POST", UPLOAD)
    return response


def new_file(
    project: Any, folder_id: str, name: str = "logo.png", data: bytes | None = None
) -> Any:
    response = upload(project, folder_id, (name, data if data is not None else png()))
    assert response.status_code == 200, response.text
    return response.json()["data"][0]


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def make_private(project: Any) -> None:
    with project.session() as session:
        session.execute(
            update(Project).where(Project.id == project.project_id).values(is_private=True)
        )


# --- folders --------------------------------------------------------------------------------


def test_folders_are_created_nested_and_listed_as_a_tree(project: Any) -> None:
    docs = new_folder(project, "Docs")
    images = new_folder(project, "Images", parent=docs)
    new_file(project, images)

    response = project.get(FOLDERS)
    assert_conforms(response, "GET", FOLDERS)
    [root] = response.json()["data"]
    assert root["id"] == docs and root["title"] == "Docs" and root["parent_folder_id"] is None
    [child] = root["sub_folders"]
    assert child["id"] == images and child["parent_folder_id"] == docs
    assert child["items_count"] == 1 and root["items_count"] == 1


def test_folder_list_needs_a_token(project: Any) -> None:
    response = project.client.get(FOLDERS)
    assert_conforms(response, "GET", FOLDERS)
    assert response.status_code == 401


def test_folder_create_refuses_a_missing_title_and_an_unknown_parent(project: Any) -> None:
    response = project.post(FOLDERS, json={"title": " ", "user_id": project.owner_id})
    assert_conforms(response, "POST", FOLDERS)
    assert response.status_code == 400
    assert error_of(response) == "The Title field is required."

    response = project.post(FOLDERS, json={"title": "X", "parent_folder_id": MISSING})
    assert_conforms(response, "POST", FOLDERS)
    assert response.status_code == 404
    assert error_of(response) == "Folder not found"


def test_folder_update_changes_name_order_colour_and_star(project: Any) -> None:
    folder_id = new_folder(project)
    response = project.put(
        FOLDERS,
        params={"folderId": folder_id},
        json={"name": "Screenshots", "order": 4, "folder_color": "#8852F5", "is_starred": True},
    )
    assert_conforms(response, "PUT", FOLDERS)
    data = response.json()["data"]
    assert data["media_folder_title"] == "Screenshots"
    assert data["order"] == 4 and data["folder_color"] == "#8852F5" and data["is_starred"]


def test_folder_update_refuses_a_bad_colour_and_an_unknown_folder(project: Any) -> None:
    folder_id = new_folder(project)
    response = project.put(FOLDERS, params={"folderId": folder_id}, json={"folder_color": "red"})
    assert_conforms(response, "PUT", FOLDERS)
    assert response.status_code == 400
    assert "hexadecimal" in error_of(response)

    response = project.put(FOLDERS, params={"folderId": MISSING}, json={"name": "X"})
    assert_conforms(response, "PUT", FOLDERS)
    assert response.status_code == 404


def test_folder_read_pages_its_files(project: Any) -> None:
    folder_id = new_folder(project)
    sub = new_folder(project, "Sub", parent=folder_id)
    for name in ("a.png", "b.png", "c.png"):
        new_file(project, folder_id, name)

    response = project.get(f"{FOLDERS}/{folder_id}", params={"pageNo": 1, "take": 2})
    assert_conforms(response, "GET", FOLDER)
    data = response.json()["data"]
    assert [f["file_name"] for f in data["files"]] == ["c.png"]
    assert data["files_count"] == 3 and data["items_count"] == 1
    assert [s["id"] for s in data["sub_folders"]] == [sub]
    assert data["files"][0]["size"] == str(len(png()))


def test_folder_read_refuses_an_unknown_folder_and_a_bad_page(project: Any) -> None:
    response = project.get(f"{FOLDERS}/{MISSING}")
    assert_conforms(response, "GET", FOLDER)
    assert response.status_code == 404

    folder_id = new_folder(project)
    response = project.get(f"{FOLDERS}/{folder_id}", params={"take": 0})
    assert_conforms(response, "GET", FOLDER)
    assert response.status_code == 400


def test_folder_delete_removes_sub_folders_files_and_their_blobs(project: Any) -> None:
    folder_id = new_folder(project)
    sub = new_folder(project, "Sub", parent=folder_id)
    file = new_file(project, sub)
    blob_path = path_of(file["file_url"])
    assert project.client.get(blob_path).status_code == 200

    response = project.delete(f"{FOLDERS}/{folder_id}")
    assert_conforms(response, "DELETE", FOLDER)
    assert response.json()["information"][0]["description"] == "Deleted folder successfully"
    assert project.get(FOLDERS).json()["data"] == []
    assert project.client.get(blob_path).status_code == 404
    assert not list(project.client.app.state.runtime.blobs.list("media/"))

    response = project.delete(f"{FOLDERS}/{folder_id}")
    assert_conforms(response, "DELETE", FOLDER)
    assert response.status_code == 404


# --- uploads --------------------------------------------------------------------------------


def test_upload_sniffs_the_type_from_the_bytes_not_the_name(project: Any) -> None:
    folder_id = new_folder(project)
    response = upload(project, folder_id, ("notes.txt", png(5, 7)), ("readme.png", b"hello\n"))
    assert response.status_code == 200, response.text
    image, text = response.json()["data"]
    assert image["file_type"] == "Image" and image["file_name"] == "notes.txt"
    assert image["media_folder_id"] == folder_id and image["updated_by"] == project.owner_id
    assert text["file_type"] == "Document"

    served = project.client.get(path_of(image["file_url"]))
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["cache-control"].startswith("public")
    assert served.content == png(5, 7)
    assert (
        project.client.get(path_of(text["file_url"]))
        .headers["content-type"]
        .startswith("text/plain")
    )

    details = project.get(f"{FOLDERS}/{folder_id}/{image['id']}").json()["data"]
    assert (details["width"], details["height"]) == ("5", "7")


def test_upload_refuses_a_file_over_40_mb(project: Any, tmp_path: Path) -> None:
    folder_id = new_folder(project)
    path = tmp_path / "huge.bin"
    with path.open("wb") as fh:
        fh.truncate(DRIVE_UPLOAD_BYTES + 1)  # a sparse file: streamed from disk, not built
    with path.open("rb") as big:
        response = project.post(
            UPLOAD,
            params={"DriveFolderId": folder_id, "UserId": project.owner_id},
            files=[("files", ("huge.bin", big, "application/octet-stream"))],
        )
    assert_conforms(response, "POST", UPLOAD)
    assert response.status_code == 400
    assert "larger than 40 MB" in error_of(response)
    assert not list(project.client.app.state.runtime.blobs.list("media/"))


def test_upload_refuses_an_unknown_folder_user_or_no_files(project: Any) -> None:
    response = upload(project, MISSING, ("a.png", png()))
    assert response.status_code == 404

    folder_id = new_folder(project)
    response = project.post(
        UPLOAD,
        params={"DriveFolderId": folder_id, "UserId": MISSING},
        files=[("files", ("a.png", png(), "image/png"))],
    )
    assert_conforms(response, "POST", UPLOAD)
    assert response.status_code == 400 and "does not exist" in error_of(response)

    response = project.post(
        UPLOAD,
        params={"DriveFolderId": folder_id, "UserId": project.owner_id},
        files=[("other", ("a.png", png(), "image/png"))],
    )
    assert_conforms(response, "POST", UPLOAD)
    assert response.status_code == 400 and error_of(response) == "The Files field is required."


# --- one file -------------------------------------------------------------------------------


def test_file_read_shows_metadata_and_tags(project: Any) -> None:
    folder_id = new_folder(project)
    file = new_file(project, folder_id, "diagram.png")
    project.post(
        f"{FOLDERS}/{folder_id}/{file['id']}/Tags",
        params={"userId": project.owner_id},
        json=["Diagrams"],
    )
    response = project.get(f"{FOLDERS}/{folder_id}/{file['id']}")
    assert_conforms(response, "GET", FILE)
    data = response.json()["data"]
    assert data["title"] == "diagram" and data["parent_folder_id"] == folder_id
    assert [t["tag_name"] for t in data["tags"]] == ["Diagrams"]
    assert data["thumbnail_url"] == data["file_url"]


def test_file_read_refuses_unknown_ids_and_other_projects(project: Any) -> None:
    folder_id = new_folder(project)
    file = new_file(project, folder_id)
    response = project.get(f"{FOLDERS}/{folder_id}/{MISSING}")
    assert_conforms(response, "GET", FILE)
    assert response.status_code == 404

    other_token, _ = project.other_project()
    response = project.client.get(
        f"{FOLDERS}/{folder_id}/{file['id']}", headers={"api_token": other_token}
    )
    assert_conforms(response, "GET", FILE)
    assert response.status_code == 404
    response = project.client.get(f"{FOLDERS}/{folder_id}", headers={"api_token": other_token})
    assert response.status_code == 404
    assert project.client.get(FOLDERS, headers={"api_token": other_token}).json()["data"] == []
    # Nor is the file served under the other project's id.
    *_, fid, name = urlsplit(file["file_url"]).path.rsplit("/", 3)
    assert project.client.get(f"/media/{MISSING}/{fid}/{name}").status_code == 404


def test_file_move_and_its_errors(project: Any) -> None:
    source, target = new_folder(project, "A"), new_folder(project, "B")
    file = new_file(project, source)
    response = project.put(f"{FOLDERS}/{target}/{file['id']}")
    assert_conforms(response, "PUT", FILE)
    assert response.json()["information"][0]["description"] == "File has been moved successfully"
    assert project.get(f"{FOLDERS}/{target}").json()["data"]["files_count"] == 1
    assert project.get(f"{FOLDERS}/{source}").json()["data"]["files_count"] == 0

    response = project.put(f"{FOLDERS}/{MISSING}/{file['id']}")
    assert_conforms(response, "PUT", FILE)
    assert response.status_code == 404 and error_of(response) == "Folder not found"


def test_file_copy_makes_a_new_file_with_its_own_blob(project: Any) -> None:
    source, target = new_folder(project, "A"), new_folder(project, "B")
    file = new_file(project, source, data=png(4, 4))
    response = project.post(f"{FOLDERS}/{target}/{file['id']}/Copy")
    assert_conforms(response, "POST", COPY)
    [copy] = project.get(f"{FOLDERS}/{target}").json()["data"]["files"]
    assert copy["id"] != file["id"] and copy["file_name"] == file["file_name"]

    project.delete(f"{FOLDERS}/{source}/{file['id']}")
    served = project.client.get(path_of(copy["file_url"]))
    assert served.status_code == 200 and served.content == png(4, 4)

    response = project.post(f"{FOLDERS}/{target}/{MISSING}/Copy")
    assert_conforms(response, "POST", COPY)
    assert response.status_code == 404


def test_file_delete_reports_a_completed_task_and_removes_the_blob(project: Any) -> None:
    folder_id = new_folder(project)
    file = new_file(project, folder_id)
    response = project.delete(f"{FOLDERS}/{folder_id}/{file['id']}")
    assert_conforms(response, "DELETE", FILE)
    task_id = response.json()["task_id"]

    status = project.get(f"/v2/Drive/Folders/DeleteFile/Status/{task_id}")
    assert_conforms(status, "GET", STATUS)
    assert status.json()["task_status"] == {"task_id": task_id, "is_complete": True, "status": 3}
    assert project.client.get(path_of(file["file_url"])).status_code == 404

    response = project.delete(f"{FOLDERS}/{folder_id}/{file['id']}")
    assert_conforms(response, "DELETE", FILE)
    assert response.status_code == 404
    response = project.get(f"/v2/Drive/Folders/DeleteFile/Status/{MISSING}")
    assert_conforms(response, "GET", STATUS)
    assert response.status_code == 404


def test_tags_are_added_and_bulk_deleted(project: Any) -> None:
    folder_id = new_folder(project)
    file = new_file(project, folder_id)
    url = f"{FOLDERS}/{folder_id}/{file['id']}/Tags"
    response = project.post(url, params={"userId": project.owner_id}, json=["b", "a", "a"])
    assert_conforms(response, "POST", TAGS)
    tags = project.get(f"{FOLDERS}/{folder_id}/{file['id']}").json()["data"]["tags"]
    assert [t["tag_name"] for t in tags] == ["a", "b"]

    response = project.post(
        f"{url}/Bulkdelete", params={"userId": project.owner_id}, json=[tags[0]["id"]]
    )
    assert_conforms(response, "POST", TAGS_DELETE)
    remaining = project.get(f"{FOLDERS}/{folder_id}/{file['id']}").json()["data"]["tags"]
    assert [t["tag_name"] for t in remaining] == ["b"]


def test_tag_routes_refuse_bad_input(project: Any) -> None:
    folder_id = new_folder(project)
    file = new_file(project, folder_id)
    url = f"{FOLDERS}/{folder_id}/{file['id']}/Tags"
    response = project.post(url, params={"userId": project.owner_id}, json=[" "])
    assert_conforms(response, "POST", TAGS)
    assert response.status_code == 400
    response = project.post(url, params={"userId": MISSING}, json=["x"])
    assert response.status_code == 400

    response = project.post(f"{url}/Bulkdelete", params={"userId": project.owner_id}, json=["x"])
    assert_conforms(response, "POST", TAGS_DELETE)
    assert response.status_code == 400 and "no tag with id 'x'" in error_of(response)


# --- search and the media of an article -----------------------------------------------------


def test_search_filters_by_keyword_images_and_tags(project: Any) -> None:
    folder_id = new_folder(project)
    logo = new_file(project, folder_id, "Logo.png")
    new_file(project, folder_id, "logo-notes.txt", b"plain text")
    new_file(project, folder_id, "other.png")
    project.post(
        f"{FOLDERS}/{folder_id}/{logo['id']}/Tags",
        params={"userId": project.owner_id},
        json=["brand"],
    )

    response = project.get(SEARCH, params={"searchKeyword": "logo"})
    assert_conforms(response, "GET", SEARCH)
    data = response.json()["data"]
    assert data["count"] == 2
    assert {f["file_name"] for f in data["all_files"]} == {"Logo.png", "logo-notes.txt"}

    images = project.get(SEARCH, params={"searchKeyword": "logo", "allowImagesOnly": True})
    assert [f["id"] for f in images.json()["data"]["all_files"]] == [logo["id"]]
    tagged = project.get(SEARCH, params={"filterTags": ["brand"]}).json()["data"]
    assert [f["id"] for f in tagged["all_files"]] == [logo["id"]]
    assert len(tagged["all_files"][0]["tag_ids"]) == 1
    paged = project.get(SEARCH, params={"take": 1, "pageNo": 1}).json()["data"]
    assert paged["count"] == 3 and len(paged["all_files"]) == 1


def test_search_refuses_a_negative_page(project: Any) -> None:
    response = project.get(SEARCH, params={"pageNo": -1})
    assert_conforms(response, "GET", SEARCH)
    assert response.status_code == 400


def _article_with(project: Any, content: str) -> str:
    category = project.post(
        "/v2/Categories", json={"name": "Guides", "project_version_id": project.workspace_id}
    ).json()["data"]["id"]
    response = project.post(
        "/v2/Articles",
        json={
            "title": "With media",
            "category_id": category,
            "project_version_id": project.workspace_id,
            "user_id": project.owner_id,
            "content": content,
        },
    )
    assert response.status_code == 200, response.text
    article_id: str = response.json()["data"]["id"]
    return article_id


def test_media_files_of_an_article(project: Any) -> None:
    folder_id = new_folder(project)
    file = new_file(project, folder_id)
    gone = new_file(project, folder_id, "gone.png")
    body = f"![a]({file['file_url']}) ![b]({gone['file_url']}) ![c]({file['file_url']})"
    article_id = _article_with(project, body)
    project.delete(f"{FOLDERS}/{folder_id}/{gone['id']}")

    url = f"/v2/Drive/MediaFiles/{project.workspace_id}/{article_id}/en"
    response = project.get(url)
    assert_conforms(response, "GET", MEDIA_FILES)
    assert response.json()["article_id"] == article_id
    assert response.json()["file_urls"] == [file["file_url"]]

    response = project.get(f"/v2/Drive/MediaFiles/{project.workspace_id}/{MISSING}/en")
    assert_conforms(response, "GET", MEDIA_FILES)
    assert response.status_code == 404


# --- private projects: signed media URLs ----------------------------------------------------


def test_private_media_needs_a_valid_unexpired_signature(project: Any) -> None:
    folder_id = new_folder(project)
    file = new_file(project, folder_id)
    make_private(project)
    unsigned = path_of(file["file_url"])
    refused = project.client.get(unsigned)
    assert refused.status_code == 403 and refused.json()["success"] is False

    settings = project.settings
    secret, base = settings.resolved_secret(), settings.public_base_url
    fresh = drive.sign_media_urls(file["file_url"], base, secret, 60, time.time())
    served = project.client.get(path_of(fresh))
    assert served.status_code == 200 and served.content == png()
    assert served.headers["cache-control"].startswith("private")

    expired = drive.sign_media_urls(file["file_url"], base, secret, 60, time.time() - 120)
    assert project.client.get(path_of(expired)).status_code == 403
    forged = fresh[:-4] + ("0000" if not fresh.endswith("0000") else "1111")
    assert project.client.get(path_of(forged)).status_code == 403


def test_drive_reads_sign_file_urls_only_when_asked_in_a_private_project(project: Any) -> None:
    folder_id = new_folder(project)
    file = new_file(project, folder_id)
    url = f"{FOLDERS}/{folder_id}/{file['id']}"
    assert (
        "sig=" not in project.get(url, params={"appendSASToken": True}).json()["data"]["file_url"]
    )
    make_private(project)
    assert "sig=" not in project.get(url).json()["data"]["file_url"]
    signed = project.get(url, params={"appendSASToken": True}).json()["data"]["file_url"]
    assert "se=" in signed and "sig=" in signed
    assert project.client.get(path_of(signed)).status_code == 200


def test_article_and_category_reads_sign_media_in_private_projects(project: Any) -> None:
    folder_id = new_folder(project)
    file = new_file(project, folder_id)
    article_id = _article_with(project, f"![logo]({file['file_url']})")
    read = f"/v2/Articles/{article_id}/en"

    public = project.get(read).json()["data"]
    assert file["file_url"] + ")" in public["content"]
    make_private(project)

    first = project.get(read)
    assert_conforms(first, "GET", "/v2/Articles/{articleId}/{langCode}")
    content = first.json()["data"]["content"]
    [signed] = [u for u in content.split("(")[1:]]
    signed_url = signed.split(")")[0]
    assert "se=" in signed_url and "sig=" in signed_url
    assert project.client.get(path_of(signed_url)).status_code == 200
    assert "sig=" in first.json()["data"]["html_content"]
    # The response cache kept the unsigned body: asking without SAS tokens shows no signature.
    unsigned = project.get(read, params={"appendSASToken": False}).json()["data"]
    assert "sig=" not in unsigned["content"] and "sig=" not in unsigned["html_content"]

    category = project.post(
        "/v2/Categories",
        json={
            "name": "Page",
            "project_version_id": project.workspace_id,
            "category_type": 1,
            "content": f"![logo]({file['file_url']})",
        },
    ).json()["data"]["id"]
    page = project.get(f"/v2/Categories/{category}/content/en")
    assert "sig=" in page.json()["category"]["content"]


def test_svg_is_served_as_a_download(project: Any) -> None:
    folder_id = new_folder(project)
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script/></svg>'
    file = new_file(project, folder_id, "pic.png", svg)
    assert file["file_type"] == "Image"
    served = project.client.get(path_of(file["file_url"]))
    assert served.headers["content-type"] == "image/svg+xml"
    assert served.headers["content-disposition"].startswith("attachment")
