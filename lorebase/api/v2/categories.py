"""/v2/Categories: the category tree, page content, revisions, settings, bulk operations."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from lorebase.api.deps import CallerDep, SessionDep
from lorebase.api.media import signed_content
from lorebase.api.v2 import requests as rq
from lorebase.api.v2 import shapes
from lorebase.api.v2.cached import cached_read
from lorebase.api.v2.common import AppendSas, ForDisplay, LangQuery, Published, version_list
from lorebase.api.v2.envelope import ok
from lorebase.kb import categories as kb
from lorebase.kb.content import category_view
from lorebase.kb.errors import Invalid, KbError
from lorebase.kb.revisions import RevisionMissing, category_revisions

router = APIRouter(prefix="/v2/Categories", tags=["Categories"])
MAX_BULK = 500


def _bulk_items(items: list[Any]) -> None:
    if not items:
        raise Invalid("A non-empty request body is required.")
    if len(items) > MAX_BULK:
        raise Invalid(f"At most {MAX_BULK} items can be sent in one bulk request.")


def _bulk_failure(prefix: str, error: KbError) -> Invalid:
    # Document360 joins the item and the reason with CRLF (api-reference.md §3.2).
    return Invalid(f"{prefix}\r\nError: {error.message}")


# --- bulk routes first: they would otherwise match the {categoryId} templates ----------------


@router.post("/bulkcreate")
def bulk_create(caller: CallerDep, session: SessionDep, body: list[rq.AddCategory]) -> Response:
    _bulk_items(body)
    # Missing fields are model validation in Document360: reported bare, before any item is
    # processed (spec examples for this route); failures of one item carry its name.
    for item in body:
        if not item.project_version_id:
            raise Invalid("The ProjectVersionId field is required.")
        if not item.name or not item.name.strip():
            raise Invalid("The Name field is required.")
    results = []
    for item in body:
        try:
            category = _create(session, caller.project_id, item)
        except KbError as error:
            raise _bulk_failure(f"Failed to create category {item.name}", error) from None
        results.append(
            {
                "category_id": category.id,
                "success": True,
                "details": f"Successfully created category {item.name}",
            }
        )
    session.commit()
    return ok(data=results)


@router.put("/bulkupdateContent")
def bulk_update_content(
    caller: CallerDep, session: SessionDep, body: list[rq.BulkUpdateCategoryContent]
) -> Response:
    _bulk_items(body)
    checked = []
    for item in body:
        if not item.category_id:
            raise Invalid("The CategoryId field is required.")
        checked.append((item.category_id, item))
    results = []
    for category_id, item in checked:
        try:
            _save_content(session, caller.project_id, category_id, item.lang_code, item)
        except KbError as error:
            raise _bulk_failure(
                f"Failed to update category with an id {category_id}", error
            ) from None
        results.append(
            {
                "category_id": category_id,
                "success": True,
                "details": f"Successfully updated category with an id {category_id}",
            }
        )
    session.commit()
    return ok(data=results)


@router.delete("/bulkdelete-category-versions")
def bulk_delete_versions(
    caller: CallerDep,
    session: SessionDep,
    category_id: Annotated[str, Query(alias="categoryId")],
    lang_code: Annotated[str, Query(alias="langCode")],
    numbers: Annotated[list[int], Query(alias="categoryVersionNumbers")],
) -> Response:
    if not numbers:
        raise Invalid("The CategoryVersionNumbers field is required.")
    for number in numbers:
        kb.delete_page_version(session, caller.project_id, category_id, lang_code, number)
    session.commit()
    listed = ",".join(str(n) for n in numbers)
    return ok(category_id=category_id, data=f"Deleted category version(s) are {listed}")


@router.post("/bulkpublish/{langCode}")
def bulk_publish(
    caller: CallerDep, session: SessionDep, langCode: str, body: list[rq.BulkPublishCategory]
) -> Response:
    _bulk_items(body)
    # Required fields and ranges are checked for every item first and reported bare, as the
    # spec's examples for this route show; a failure of one item names the item.
    checked = []
    for item in body:
        if not item.category_id:
            raise Invalid("The CategoryId field is required.")
        user_id = rq.required_user(item.user_id)
        version_number = rq.required_version(item.version_number)
        checked.append((item.category_id, user_id, version_number, item.publish_message))
    results = []
    for category_id, user_id, version_number, message in checked:
        try:
            kb.publish_page(
                session, caller.project_id, category_id, langCode, version_number, user_id, message
            )
        except KbError as error:
            raise _bulk_failure(
                f"Failed to publish category with an id {category_id}", error
            ) from None
        results.append(
            {"category_id": category_id, "success": True, "details": "Bulk Publish Success"}
        )
    session.commit()
    return ok(data=results)


# --- single category ----------------------------------------------------------------------


def _create(session: Session, project_id: str, item: rq.AddCategory) -> Any:
    return kb.create_category(
        session,
        project_id,
        name=item.name,
        project_version_id=item.project_version_id,
        order=item.order,
        parent_category_id=item.parent_category_id,
        content=item.content,
        category_type=item.category_type if item.category_type is not None else kb.FOLDER,
        user_id=item.user_id,
        content_type=item.content_type,
    )


@router.post("")
def create_category(caller: CallerDep, session: SessionDep, body: rq.AddCategory) -> Response:
    category = _create(session, caller.project_id, body)
    session.commit()
    return ok(
        data=shapes.category_simple(category.id, body.name or "", category.position, category.icon)
    )


@router.get("/{categoryId}")
def get_category(
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    categoryId: str,
    lang: LangQuery = None,
) -> Response:
    def build() -> dict[str, Any]:
        node = kb.category_with_children(session, caller.project_id, categoryId, lang)
        return {"data": shapes.category_node(node, depth=1)}

    variant = ("children", (lang or "").lower())
    return cached_read(request, session, caller.project_id, "category", categoryId, variant, build)


@router.put("/{categoryId}")
def update_category(
    caller: CallerDep,
    session: SessionDep,
    categoryId: str,
    body: Annotated[rq.UpdateCategory | None, Body()] = None,
) -> Response:
    given = body.given() if body else {}
    if not given:
        raise Invalid("A non-empty request body is required.")
    category, tr = kb.update_category(session, caller.project_id, categoryId, **given)
    session.commit()
    return ok(data=shapes.category_simple(category.id, tr.name, category.position, category.icon))


@router.delete("/{categoryId}")
def delete_category(caller: CallerDep, session: SessionDep, categoryId: str) -> Response:
    kb.delete_category(session, caller.project_id, categoryId)
    session.commit()
    return ok()


# --- page content -------------------------------------------------------------------------


def _page(
    session: Session,
    project_id: str,
    category_id: str,
    lang: str | None,
    *,
    published: bool,
    for_display: bool,
    version_number: int | None = None,
) -> dict[str, Any]:
    located = kb.locate(session, project_id, category_id)
    scope = located.scope
    code = scope.language(lang)
    if located.category.category_type == kb.FOLDER:
        raise Invalid("Only Page and Index categories have content; this one is a Folder.")
    try:
        found = category_revisions.read(
            session,
            category_id,
            code,
            scope.default_language,
            published=published,
            version_number=version_number,
        )
    except RevisionMissing as missing:
        raise Invalid(kb.version_missing(category_id, code, missing.version_number)) from None
    if found is None:
        raise Invalid(kb.version_missing(category_id, code, version_number or 1))
    view = category_view(
        session,
        scope,
        located.category,
        found.translation,
        found.revision,
        fallback=found.is_fall_back_content,
        for_display=for_display,
    )
    return shapes.category_content(view)


@router.get("/{categoryId}/content/{langCode}")
def get_content(
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    categoryId: str,
    langCode: str,
    for_display: ForDisplay = False,
    published: Published = False,
    append_sas: AppendSas = True,
) -> Response:
    def build() -> dict[str, Any]:
        page = _page(
            session,
            caller.project_id,
            categoryId,
            langCode,
            published=published,
            for_display=for_display,
        )
        return {"category": page}

    variant = ("content", langCode.lower(), published, for_display)
    response = cached_read(
        request, session, caller.project_id, "category", categoryId, variant, build
    )
    return signed_content(request, session, caller.project_id, response, append_sas)


def _save_content(
    session: Session,
    project_id: str,
    category_id: str,
    lang: str | None,
    body: rq.UpdateCategoryContent,
) -> Any:
    changes = {
        key: value
        for key, value in body.given().items()
        if key in ("title", "content", "html_content", "block_content") and value is not None
    }
    if "title" in changes and not str(changes["title"]).strip():
        raise Invalid("The Title field is required.")
    located, tr, rev = kb.save_page_content(
        session,
        project_id,
        category_id,
        lang or "",
        changes=changes,
        version_number=body.version_number,
        translation_option=body.translation_option,
        updated_by=body.updated_by,
    )
    return category_view(
        session, located.scope, located.category, tr, rev, fallback=False, for_display=False
    )


@router.put("/{categoryId}/content/{langCode}")
def update_content(
    caller: CallerDep,
    session: SessionDep,
    categoryId: str,
    langCode: str,
    body: Annotated[rq.UpdateCategoryContent | None, Body()] = None,
) -> Response:
    if body is None or not body.given():
        raise Invalid("A non-empty request body is required.")
    view = _save_content(session, caller.project_id, categoryId, langCode, body)
    session.commit()
    return ok(data=shapes.category_content_saved(view))


# --- revisions ----------------------------------------------------------------------------


def _versions(session: Session, project_id: str, category_id: str, lang: str | None) -> Response:
    located = kb.locate(session, project_id, category_id)
    code = located.scope.language(lang)
    tr = category_revisions.translation(session, category_id, code)
    revisions = category_revisions.revisions(session, category_id, code) if tr else []
    summaries, names = version_list(session, revisions, tr.public_version if tr else 0)
    return ok(versions=[shapes.version_summary(s, names) for s in summaries])


@router.get("/{categoryId}/versions", deprecated=True)
def versions_default_language(caller: CallerDep, session: SessionDep, categoryId: str) -> Response:
    return _versions(session, caller.project_id, categoryId, None)


@router.get("/{categoryId}/versions/{langCode}/{versionNumber}")
def get_version(
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    categoryId: str,
    langCode: str,
    versionNumber: int,
    for_display: ForDisplay = False,
    append_sas: AppendSas = True,
) -> Response:
    response = ok(
        category=_page(
            session,
            caller.project_id,
            categoryId,
            langCode,
            published=False,
            for_display=for_display,
            version_number=versionNumber,
        )
    )
    return signed_content(request, session, caller.project_id, response, append_sas)


@router.get("/{categoryId}/versions/{versionNumber}", deprecated=True)
def get_version_default_language(
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    categoryId: str,
    versionNumber: int,
    for_display: ForDisplay = False,
    append_sas: AppendSas = True,
) -> Response:
    response = ok(
        category=_page(
            session,
            caller.project_id,
            categoryId,
            None,
            published=False,
            for_display=for_display,
            version_number=versionNumber,
        )
    )
    return signed_content(request, session, caller.project_id, response, append_sas)


# Official path, no slash before "versions" (api-reference.md §1.3).
@router.get("/{categoryId}/{langCode}versions")
def versions(caller: CallerDep, session: SessionDep, categoryId: str, langCode: str) -> Response:
    return _versions(session, caller.project_id, categoryId, langCode)


@router.delete("/{categoryId}/version/{versionNumber}", deprecated=True)
def delete_version_default_language(
    caller: CallerDep, session: SessionDep, categoryId: str, versionNumber: int
) -> Response:
    kb.delete_page_version(session, caller.project_id, categoryId, None, versionNumber)
    session.commit()
    return ok()


@router.delete("/{categoryId}/{langCode}/version/{versionNumber}")
def delete_version(
    caller: CallerDep, session: SessionDep, categoryId: str, langCode: str, versionNumber: int
) -> Response:
    kb.delete_page_version(session, caller.project_id, categoryId, langCode, versionNumber)
    session.commit()
    return ok()


@router.put("/{categoryId}/fork")
def fork(
    caller: CallerDep,
    session: SessionDep,
    categoryId: str,
    body: Annotated[rq.Fork | None, Body()] = None,
) -> Response:
    if body is None:
        raise Invalid("A non-empty request body is required.")
    if body.version_number is None:
        raise Invalid("The VersionNumber field is required.")
    user_id = rq.required_user(body.user_id)
    tr, rev = kb.fork_page(
        session, caller.project_id, categoryId, body.lang_code, body.version_number, user_id
    )
    session.commit()
    summaries, names = version_list(session, [rev], tr.public_version)
    return ok(data=shapes.version_summary(summaries[0], names))


def _publish(
    session: Session, project_id: str, category_id: str, lang: str | None, body: rq.Publish | None
) -> Response:
    if body is None:
        raise Invalid("A non-empty request body is required.")
    kb.publish_page(
        session,
        project_id,
        category_id,
        lang,
        rq.required_version(body.version_number),
        rq.required_user(body.user_id),
        body.publish_message,
    )
    session.commit()
    return ok()


@router.post("/{categoryId}/publish", deprecated=True)
def publish_default_language(
    caller: CallerDep,
    session: SessionDep,
    categoryId: str,
    body: Annotated[rq.Publish | None, Body()] = None,
) -> Response:
    return _publish(session, caller.project_id, categoryId, None, body)


@router.post("/{categoryId}/{langCode}/publish")
def publish(
    caller: CallerDep,
    session: SessionDep,
    categoryId: str,
    langCode: str,
    body: Annotated[rq.Publish | None, Body()] = None,
) -> Response:
    return _publish(session, caller.project_id, categoryId, langCode, body)


# --- settings, type, description ------------------------------------------------------------


def _settings_view(session: Session, project_id: str, category_id: str, lang: str | None) -> Any:
    located, values = kb.settings_of(session, project_id, category_id, lang)
    scope = located.scope
    related = kb.related_articles(
        session,
        values.get("related_articles") or [],
        [scope.language(lang), scope.default_language],
    )
    return shapes.settings(values, related, with_content_type=located.category.content_type or 0)


@router.get("/{categoryId}/settings", deprecated=True)
def settings_default_language(caller: CallerDep, session: SessionDep, categoryId: str) -> Response:
    return ok(data=_settings_view(session, caller.project_id, categoryId, None))


def _update_settings(
    session: Session,
    project_id: str,
    category_id: str,
    lang: str | None,
    body: rq.UpdateSettings | None,
) -> Response:
    given = body.given() if body else {}
    if not given:
        raise Invalid("A non-empty request body is required.")
    kb.update_settings(session, project_id, category_id, lang, given)
    session.commit()
    return ok(data=_settings_view(session, project_id, category_id, lang))


@router.put("/{categoryId}/settings")
def update_settings_default_language(
    caller: CallerDep,
    session: SessionDep,
    categoryId: str,
    body: Annotated[rq.UpdateSettings | None, Body()] = None,
) -> Response:
    return _update_settings(session, caller.project_id, categoryId, None, body)


@router.get("/{categoryId}/{langCode}/settings")
def settings(caller: CallerDep, session: SessionDep, categoryId: str, langCode: str) -> Response:
    return ok(data=_settings_view(session, caller.project_id, categoryId, langCode))


@router.put("/{categoryId}/{langCode}/settings")
def update_settings(
    caller: CallerDep,
    session: SessionDep,
    categoryId: str,
    langCode: str,
    body: Annotated[rq.UpdateSettings | None, Body()] = None,
) -> Response:
    return _update_settings(session, caller.project_id, categoryId, langCode, body)


@router.put("/{categoryId}/updateCategoryType")
def update_category_type(
    caller: CallerDep,
    session: SessionDep,
    categoryId: str,
    category_type: Annotated[rq.CategoryType, Query(alias="categoryType")] = None,
    user_id: Annotated[str | None, Query(alias="userId")] = None,
) -> Response:
    if category_type is None:
        raise Invalid("The CategoryType field is required.")
    rq.required_user(user_id)
    kb.update_category_type(session, caller.project_id, categoryId, category_type, user_id)
    session.commit()
    return ok()


@router.put("/{categoryId}/updateDescription", deprecated=True)
def update_description_default_language(
    caller: CallerDep,
    session: SessionDep,
    categoryId: str,
    description: Annotated[str | None, Query()] = None,
) -> Response:
    kb.update_description(session, caller.project_id, categoryId, None, description)
    session.commit()
    return ok()


@router.put("/{categoryId}/{langCode}/updateDescription")
def update_description(
    caller: CallerDep,
    session: SessionDep,
    categoryId: str,
    langCode: str,
    description: Annotated[str | None, Query()] = None,
) -> Response:
    kb.update_description(session, caller.project_id, categoryId, langCode, description)
    session.commit()
    return ok()
