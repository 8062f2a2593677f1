"""/v2/Articles: per-language revisions, publishing, settings and bulk operations."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from lorebase.api.deps import CallerDep, SessionDep, SettingsDep
from lorebase.api.media import signed_content
from lorebase.api.v2 import requests as rq
from lorebase.api.v2 import shapes
from lorebase.api.v2.cached import cached_read
from lorebase.api.v2.categories import MAX_BULK
from lorebase.api.v2.common import AppendSas, ForDisplay, LangQuery, Published, version_list
from lorebase.api.v2.envelope import ok
from lorebase.kb import articles as kb
from lorebase.kb.categories import article_summary, related_articles
from lorebase.kb.content import article_view
from lorebase.kb.errors import Invalid, KbError, NotFound
from lorebase.kb.revisions import RevisionMissing, article_revisions
from lorebase.kb.settings import current_settings
from lorebase.settings import Settings

router = APIRouter(prefix="/v2/Articles", tags=["Articles"])


def _bulk_items(items: list[Any]) -> None:
    if not items:
        raise Invalid("A non-empty request body is required.")
    if len(items) > MAX_BULK:
        raise Invalid(f"At most {MAX_BULK} items can be sent in one bulk request.")


def _bulk_failure(prefix: str, error: KbError) -> Invalid:
    return Invalid(f"{prefix}\r\nError: {error.message}")


def public_url(settings: Settings, workspace_slug: str, lang: str, slug: str) -> str:
    """Where the article would live on a Document360-style site: /<workspace>/docs/<lang>/<slug>."""
    return f"{settings.public_base_url.rstrip('/')}/{workspace_slug}/docs/{lang}/{slug}"


# --- bulk routes first ----------------------------------------------------------------------


@router.delete("/bulkdelete-article-versions")
def bulk_delete_versions(
    caller: CallerDep,
    session: SessionDep,
    article_id: Annotated[str, Query(alias="articleId")],
    lang_code: Annotated[str, Query(alias="langCode")],
    numbers: Annotated[list[int], Query(alias="articleVersionNumbers")],
) -> Response:
    # A number sent twice names one revision: delete it once instead of failing on the repeat.
    numbers = list(dict.fromkeys(numbers))
    for number in numbers:
        kb.delete_version(
            session,
            caller.project_id,
            article_id,
            lang_code,
            number,
            missing_version="Invalid Article Version",
        )
    session.commit()
    listed = ",".join(str(n) for n in numbers)
    return ok(article_id=article_id, data=f"Deleted article version(s) are {listed}")


@router.delete("/bulkdelete")
def bulk_delete(
    caller: CallerDep,
    session: SessionDep,
    article_ids: Annotated[list[str], Query(alias="articleIds")],
) -> Response:
    _bulk_items(article_ids)
    results = []
    # An id listed twice is one article: delete it once rather than fail on the repeat.
    for article_id in dict.fromkeys(article_ids):
        try:
            kb.delete_article(session, caller.project_id, article_id)
        except KbError as error:
            raise _bulk_failure(
                f"Failed to delete article with an id {article_id}", error
            ) from None
        results.append(
            {
                "article_id": article_id,
                "success": True,
                "details": f"Successfully deleted article with an id {article_id}",
            }
        )
    session.commit()
    return ok(data=results)


@router.post("/bulkcreate")
def bulk_create(caller: CallerDep, session: SessionDep, body: list[rq.CreateArticle]) -> Response:
    _bulk_items(body)
    # The official bulk 400 for a missing title is the bare field text, not an item failure.
    for item in body:
        kb.check_title(item.title)
    results = []
    for item in body:
        try:
            article, _ = _create(session, caller.project_id, item, workspace_word="workspace")
        except KbError as error:
            raise _bulk_failure(f"Failed to create article {item.title}", error) from None
        results.append(
            {
                "article_id": article.id,
                "success": True,
                "details": f"Successfully created article {item.title}",
            }
        )
    session.commit()
    return ok(data=results)


@router.put("/bulkupdate")
def bulk_update(
    caller: CallerDep, session: SessionDep, body: list[rq.BulkUpdateArticle] | None = None
) -> Response:
    _bulk_items(body or [])
    if any(not item.article_id for item in body or []):
        raise Invalid("The ArticleId field is required.")
    results = []
    for item in body or []:
        fields = item.given()
        article_id = fields.pop("article_id")
        lang = fields.pop("lang_code", None)
        try:
            kb.update_article(session, caller.project_id, article_id, lang, fields=fields)
        except KbError as error:
            raise _bulk_failure(
                f"Failed to update article with an id {article_id}", error
            ) from None
        results.append(
            {
                "article_id": article_id,
                "success": True,
                "details": f"Successfully updated article with an id {article_id}",
            }
        )
    session.commit()
    return ok(data=results)


@router.post("/bulkpublish/{langCode}")
def bulk_publish(
    caller: CallerDep, session: SessionDep, langCode: str, body: list[rq.BulkPublishArticle]
) -> Response:
    _bulk_items(body)
    # Field checks come first and unprefixed, as ASP.NET model validation answers before any
    # item is processed (the official texts: "The ArticleId field is required." etc.).
    checked = []
    for item in body:
        if not item.article_id:
            raise Invalid("The ArticleId field is required.")
        version = rq.required_version(item.version_number)
        checked.append((item.article_id, version, rq.required_user(item.user_id), item))
    results = []
    for article_id, version, user_id, item in checked:
        try:
            kb.publish_article(
                session,
                caller.project_id,
                article_id,
                langCode,
                version_number=version,
                user_id=user_id,
                message=item.publish_message,
            )
        except KbError as error:
            raise _bulk_failure(
                f"Failed to publish article with an id {article_id}", error
            ) from None
        results.append(
            {
                "article_id": item.article_id,
                "success": True,
                "details": f"Successfully published article with an id {item.article_id}",
            }
        )
    session.commit()
    return ok(data=results)


# --- one article ------------------------------------------------------------------------------


def _create(
    session: Session,
    project_id: str,
    item: rq.CreateArticle,
    workspace_word: str = "project version",
) -> Any:
    return kb.create_article(
        session,
        project_id,
        title=item.title,
        project_version_id=item.project_version_id,
        user_id=item.user_id,
        content=item.content,
        category_id=item.category_id,
        order=item.order,
        content_type=item.content_type,
        article_type=item.article_type,
        workspace_word=workspace_word,
    )


@router.post("")
def create_article(caller: CallerDep, session: SessionDep, body: rq.CreateArticle) -> Response:
    article, tr = _create(session, caller.project_id, body)
    session.commit()
    return ok(data=shapes.article_summary(article_summary(article, tr)))


@router.delete("/{articleId}")
def delete_article(caller: CallerDep, session: SessionDep, articleId: str) -> Response:
    kb.delete_article(session, caller.project_id, articleId)
    session.commit()
    return ok()


def _versions(session: Session, project_id: str, article_id: str, lang: str | None) -> Response:
    located = kb.locate(session, project_id, article_id)
    tr = kb.existing_translation(session, located, lang)
    revisions = article_revisions.revisions(session, article_id, tr.language_code)
    summaries, names = version_list(session, revisions, tr.public_version)
    return ok(data=[shapes.version_summary(s, names) for s in summaries])


@router.get("/{articleId}/versions", deprecated=True)
def versions_default_language(caller: CallerDep, session: SessionDep, articleId: str) -> Response:
    return _versions(session, caller.project_id, articleId, None)


@router.get("/{articleId}/versions/{versionNumber}", deprecated=True)
def get_version_default_language(
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    articleId: str,
    versionNumber: int,
    for_display: ForDisplay = False,
    append_sas: AppendSas = True,
) -> Response:
    response = ok(
        data=_read(
            session,
            caller.project_id,
            articleId,
            None,
            published=False,
            for_display=for_display,
            version_number=versionNumber,
        )
    )
    return signed_content(request, session, caller.project_id, response, append_sas)


def _settings(
    session: Session, project_id: str, article_id: str, lang: str | None, settings: Settings | None
) -> dict[str, Any]:
    located = kb.locate(session, project_id, article_id)
    code = located.scope.language(lang)
    tr = article_revisions.translation(session, article_id, code) or kb.existing_translation(
        session, located, None
    )
    values = current_settings(tr)
    body = shapes.settings(
        values,
        related_articles(
            session,
            values["related_articles"] or [],
            [code, located.scope.default_language],
        ),
        with_content_type=None,
    )
    if settings is not None:
        body = {"url": public_url(settings, located.scope.workspace.slug, code, tr.slug), **body}
    return body


def _update_settings(
    session: Session,
    project_id: str,
    article_id: str,
    lang: str | None,
    body: rq.UpdateSettings | None,
    settings: Settings,
) -> Response:
    given = body.given() if body else {}
    if not given:
        raise Invalid("A non-empty request body is required.")
    kb.update_settings(session, project_id, article_id, lang, given)
    session.commit()
    return ok(
        data=_settings(session, project_id, article_id, lang, settings),
        information=["Article settings updated successfully"],
    )


@router.get("/{articleId}/settings", deprecated=True)
def settings_default_language(caller: CallerDep, session: SessionDep, articleId: str) -> Response:
    return ok(data=_settings(session, caller.project_id, articleId, None, None))


@router.put("/{articleId}/settings", deprecated=True)
def update_settings_default_language(
    caller: CallerDep,
    session: SessionDep,
    settings: SettingsDep,
    articleId: str,
    body: Annotated[rq.UpdateSettings | None, Body()] = None,
) -> Response:
    return _update_settings(session, caller.project_id, articleId, None, body, settings)


@router.put("/{articleId}/fork")
def fork(
    caller: CallerDep,
    session: SessionDep,
    articleId: str,
    body: Annotated[rq.Fork | None, Body()] = None,
) -> Response:
    if body is None:
        raise Invalid("A non-empty request body is required.")
    if body.version_number is None:
        raise Invalid("The VersionNumber field is required.")
    rev = kb.fork_article(
        session,
        caller.project_id,
        articleId,
        lang=body.lang_code,
        version_number=body.version_number,
        user_id=body.user_id,
    )
    session.commit()
    tr = article_revisions.translation(session, articleId, rev.language_code)
    summaries, names = version_list(session, [rev], tr.public_version if tr else 0)
    return ok(data=shapes.version_summary(summaries[0], names))


@router.put("/{articleId}/updateDescription", deprecated=True)
def update_description_default_language(
    caller: CallerDep,
    session: SessionDep,
    articleId: str,
    description: Annotated[str | None, Query()] = None,
) -> Response:
    kb.update_description(session, caller.project_id, articleId, None, description)
    session.commit()
    return ok()


def _publish(
    session: Session,
    project_id: str,
    article_id: str,
    lang: str | None,
    body: rq.Publish | None,
) -> Response:
    if body is None:
        raise Invalid("A non-empty request body is required.")
    version = rq.required_version(body.version_number)
    located = kb.publish_article(
        session,
        project_id,
        article_id,
        lang,
        version_number=version,
        user_id=rq.required_user(body.user_id),
        message=body.publish_message,
    )
    session.commit()
    tr = kb.existing_translation(session, located, lang)
    # Declared CreateArticleResponse: the summary in `data`. The official example puts the
    # public `url` at the top level instead, which that schema forbids; we follow the schema.
    return ok(data=shapes.article_summary(article_summary(located.article, tr)))


@router.post("/{articleId}/publish", deprecated=True)
def publish_default_language(
    caller: CallerDep,
    session: SessionDep,
    settings: SettingsDep,
    articleId: str,
    body: Annotated[rq.Publish | None, Body()] = None,
) -> Response:
    return _publish(session, caller.project_id, articleId, None, body)


@router.delete("/{articleId}/version/{versionNumber}", deprecated=True)
def delete_version_default_language(
    caller: CallerDep, session: SessionDep, articleId: str, versionNumber: int
) -> Response:
    kb.delete_version(session, caller.project_id, articleId, None, versionNumber)
    session.commit()
    return ok()


# --- per language -------------------------------------------------------------------------------


def _read(
    session: Session,
    project_id: str,
    article_id: str,
    lang: str | None,
    *,
    published: bool,
    for_display: bool,
    version_number: int | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    located = kb.locate(session, project_id, article_id)
    scope = located.scope
    code = scope.language(lang)
    try:
        found = article_revisions.read(
            session,
            article_id,
            code,
            scope.default_language,
            published=published,
            version_number=version_number,
        )
    except RevisionMissing:
        raise NotFound(kb.NOT_FOUND) from None
    if found is None:
        raise NotFound(kb.NOT_FOUND)
    view = article_view(
        session,
        scope,
        located.article,
        found.translation,
        found.revision,
        fallback=found.is_fall_back_content,
        for_display=for_display,
    )
    if version_number is not None:
        return shapes.article_content(view, by_version=True)
    url = (
        public_url(settings, scope.workspace.slug, view.language_code, view.slug)
        if settings
        else None
    )
    return shapes.article_content(view, url=url)


@router.get("/{articleId}/{langCode}")
def get_article(
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    settings: SettingsDep,
    articleId: str,
    langCode: str,
    for_display: ForDisplay = False,
    published: Published = False,
    append_sas: AppendSas = True,
) -> Response:
    response = cached_read(
        request,
        session,
        caller.project_id,
        "article",
        articleId,
        (langCode.lower(), published, for_display),
        lambda: {
            "data": _read(
                session,
                caller.project_id,
                articleId,
                langCode,
                published=published,
                for_display=for_display,
                settings=settings,
            )
        },
    )
    return signed_content(request, session, caller.project_id, response, append_sas)


# Not in the official document, whose /v2/Articles/{articleId} is DELETE only: production
# Document360 clients (an LLM framework's Document360 reader, a search engine's connector) read
# articles with GET /v2/Articles/{articleId}?langCode=… and the service answers them, so
# Lorebase does too, as the language route does (an empty code is the default language).
@router.get("/{articleId}")
def get_article_default_language(
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    settings: SettingsDep,
    articleId: str,
    lang: LangQuery = None,
    for_display: ForDisplay = False,
    published: Published = False,
    append_sas: AppendSas = True,
) -> Response:
    return get_article(
        request,
        caller,
        session,
        settings,
        articleId,
        lang or "",
        for_display,
        published,
        append_sas,
    )


@router.put("/{articleId}/{langCode}")
def update_article(
    caller: CallerDep,
    session: SessionDep,
    articleId: str,
    langCode: str,
    body: Annotated[rq.UpdateArticle | None, Body()] = None,
) -> Response:
    fields = body.given() if body else {}
    located, tr, _ = kb.update_article(
        session, caller.project_id, articleId, langCode, fields=fields
    )
    session.commit()
    # The declared schema (CreateArticleResponse) carries the article summary; the official
    # example shows a whole article, which that schema forbids. We follow the schema.
    return ok(data=shapes.article_summary(article_summary(located.article, tr)))


@router.get("/{articleId}/{langCode}/versions")
def versions(caller: CallerDep, session: SessionDep, articleId: str, langCode: str) -> Response:
    return _versions(session, caller.project_id, articleId, langCode)


@router.get("/{articleId}/{langCode}/versions/{versionNumber}")
def get_version(
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    articleId: str,
    langCode: str,
    versionNumber: int,
    for_display: ForDisplay = False,
    append_sas: AppendSas = True,
) -> Response:
    response = ok(
        data=_read(
            session,
            caller.project_id,
            articleId,
            langCode,
            published=False,
            for_display=for_display,
            version_number=versionNumber,
        )
    )
    return signed_content(request, session, caller.project_id, response, append_sas)


@router.delete("/{articleId}/{langCode}/version/{versionNumber}")
def delete_version(
    caller: CallerDep, session: SessionDep, articleId: str, langCode: str, versionNumber: int
) -> Response:
    kb.delete_version(session, caller.project_id, articleId, langCode, versionNumber)
    session.commit()
    return ok()


@router.get("/{articleId}/{langCode}/settings")
def settings(caller: CallerDep, session: SessionDep, articleId: str, langCode: str) -> Response:
    return ok(data=_settings(session, caller.project_id, articleId, langCode, None))


@router.put("/{articleId}/{langCode}/settings")
def update_settings(
    caller: CallerDep,
    session: SessionDep,
    settings: SettingsDep,
    articleId: str,
    langCode: str,
    body: Annotated[rq.UpdateSettings | None, Body()] = None,
) -> Response:
    return _update_settings(session, caller.project_id, articleId, langCode, body, settings)


@router.post("/{articleId}/{langCode}/publish")
def publish(
    caller: CallerDep,
    session: SessionDep,
    settings: SettingsDep,
    articleId: str,
    langCode: str,
    body: Annotated[rq.Publish | None, Body()] = None,
) -> Response:
    return _publish(session, caller.project_id, articleId, langCode, body)


@router.put("/{articleId}/{langCode}/updateDescription")
def update_description(
    caller: CallerDep,
    session: SessionDep,
    articleId: str,
    langCode: str,
    description: Annotated[str | None, Query()] = None,
) -> Response:
    kb.update_description(session, caller.project_id, articleId, langCode, description)
    session.commit()
    return ok()
