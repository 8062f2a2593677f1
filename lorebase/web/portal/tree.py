"""The portal's documentation tree: categories and articles in the order the API reports them,
reordered and moved by drag and drop or the "Move…" dialog each row opens; categories created,
renamed, retyped, hidden and deleted; articles created."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from lorebase.auth.roles import Permission
from lorebase.auth.sessions import SignedIn
from lorebase.kb import articles, categories
from lorebase.kb.errors import Invalid, KbError, NotFound
from lorebase.kb.views import CategoryNode
from lorebase.web.pages import redirect
from lorebase.web.portal.desk import Desk, open_desk, portal_page, reading, writing
from lorebase.web.visitor import BROWSER_GUARDS, BrowserError, Requirement, Visitor, VisitorDep

router = APIRouter(include_in_schema=False, dependencies=BROWSER_GUARDS)
Author = Annotated[SignedIn, Depends(Requirement(Permission.ENTER_PORTAL))]
Writer = Annotated[SignedIn, Depends(Requirement(Permission.WRITE_DRAFTS))]
Organiser = Annotated[SignedIn, Depends(Requirement(Permission.ORGANISE))]

CATEGORY_TYPES = {0: "Folder", 1: "Page", 2: "Index"}
DONE = {
    "created": "The category is created.",
    "renamed": "The name is saved.",
    "moved": "The category is moved.",
    "hidden": "The category is hidden from readers.",
    "shown": "The category is shown to readers again.",
    "retyped": "The category type is changed.",
    "deleted": "The category and everything in it are deleted.",
    "article-deleted": "The article is deleted.",
}


@dataclass(frozen=True)
class ParentChoice:
    """A place in the "Move…" and "New…" forms: a category, indented by its depth."""

    id: str
    label: str
    depth: int


def flatten(nodes: list[CategoryNode], depth: int = 0) -> list[ParentChoice]:
    found: list[ParentChoice] = []
    for node in nodes:
        found.append(ParentChoice(node.id, node.name, depth))
        found.extend(flatten(node.children, depth + 1))
    return found


def _find(nodes: list[CategoryNode], category_id: str) -> CategoryNode | None:
    pending = list(nodes)
    while pending:
        node = pending.pop()
        if node.id == category_id:
            return node
        pending.extend(node.children)
    return None


def _tree(request: Request, me: SignedIn, ws: str, lang: str) -> tuple[Desk, list[CategoryNode]]:
    with reading(request) as session:
        desk = open_desk(session, me.project_id, ws, lang)
        roots = categories.workspace_tree(
            session, desk.scope, desk.lang, include_articles=False, include_description=False
        )
    return desk, roots


@router.get("/portal")
def tree(
    request: Request,
    visitor: VisitorDep,
    me: Author,
    ws: str = "",
    lang: str = "",
    done: str = "",
) -> Response:
    desk, roots = _tree(request, me, ws, lang)
    return portal_page(
        request,
        visitor,
        me,
        "portal/tree.html",
        title="Documentation",
        section="tree",
        desk=desk,
        roots=roots,
        types=CATEGORY_TYPES,
        notice=DONE.get(done, ""),
    )


@router.get("/portal/tree/{category_id}/articles")
def category_articles(
    request: Request, visitor: VisitorDep, me: Author, category_id: str, lang: str = ""
) -> Response:
    """The articles of one category, in order: the fragment a branch loads when opened."""
    with reading(request) as session:
        try:
            node = categories.category_with_children(
                session, me.project_id, category_id[:64], lang[:20] or None
            )
        except (NotFound, Invalid):
            return HTMLResponse('<p class="problem">This category no longer exists.</p>', 404)
        desk = open_desk(session, me.project_id, node.project_version_id, lang)
    return portal_page(
        request,
        visitor,
        me,
        "portal/tree_articles.html",
        title="Articles",
        section="tree",
        desk=desk,
        node=node,
    )


def _move_dialog(
    request: Request,
    visitor: VisitorDep,
    me: SignedIn,
    desk: Desk,
    *,
    kind: str,
    item_id: str,
    label: str,
    places: list[ParentChoice],
    place: str,
    position: int,
) -> HTMLResponse:
    return portal_page(
        request,
        visitor,
        me,
        "portal/move_dialog.html",
        title=f"Move {label}",
        section="tree",
        desk=desk,
        kind=kind,
        item_id=item_id,
        label=label,
        places=places,
        place=place,
        position=position,
    )


# The "Move…" dialog's form, fetched when a row's button is pressed: one dialog in the tree
# page and no form per row keeps a tree of thousands of rows small. It posts to the move
# handlers below, with their permission.
@router.get("/portal/categories/{category_id}/move")
def category_move_dialog(
    request: Request,
    visitor: VisitorDep,
    me: Organiser,
    category_id: str,
    ws: str = "",
    lang: str = "",
) -> Response:
    desk, roots = _tree(request, me, ws, lang)
    node = _find(roots, category_id[:64])
    if node is None:
        return HTMLResponse('<p class="problem">This category no longer exists.</p>', 404)
    inside = {choice.id for choice in flatten([node])}
    siblings = (
        (_find(roots, node.parent_category_id) or node).children
        if node.parent_category_id
        else roots
    )
    return _move_dialog(
        request,
        visitor,
        me,
        desk,
        kind="categories",
        item_id=node.id,
        label=node.name,
        places=[choice for choice in flatten(roots) if choice.id not in inside],
        place=node.parent_category_id or "",
        position=1 + next((i for i, s in enumerate(siblings) if s.id == node.id), 0),
    )


@router.get("/portal/articles/{article_id}/move")
def article_move_dialog(
    request: Request,
    visitor: VisitorDep,
    me: Organiser,
    article_id: str,
    ws: str = "",
    lang: str = "",
) -> Response:
    desk, roots = _tree(request, me, ws, lang)
    with reading(request) as session:
        try:
            located = articles.locate(session, me.project_id, article_id[:64])
            if located.scope.id != desk.workspace_id:
                # As a category is looked for in the desk's tree only: another workspace's
                # article would be offered this one's categories, none of which it may enter.
                raise NotFound("The article is not in this workspace.")
            home = categories.category_with_children(
                session, me.project_id, located.article.category_id or "", desk.lang
            )
        except (NotFound, Invalid):
            return HTMLResponse('<p class="problem">This article no longer exists.</p>', 404)
    neighbours = home.articles or []
    index = next((i for i, a in enumerate(neighbours) if a.id == located.article.id), None)
    return _move_dialog(
        request,
        visitor,
        me,
        desk,
        kind="articles",
        item_id=located.article.id,
        label="the article" if index is None else neighbours[index].title,
        places=flatten(roots),
        place=home.id,
        position=1 if index is None else index + 1,
    )


# --- categories ---------------------------------------------------------------------------


def _category_page(
    request: Request,
    visitor: VisitorDep,
    me: SignedIn,
    ws: str,
    lang: str,
    category_id: str | None,
    *,
    status: int = 200,
    problem: str = "",
    field: str = "",
    notice: str = "",
    parent_id: str = "",
) -> HTMLResponse:
    """A category's own screen (rename, move, type, visibility, delete, add inside), or the
    "New category" form when `category_id` is None."""
    desk, roots = _tree(request, me, ws, lang)
    node = _find(roots, category_id) if category_id else None
    if category_id and node is None:
        raise BrowserError(
            404, "No such category", "It may have been deleted.", back=("/portal", "Portal")
        )
    parents = flatten(roots)
    if node is not None:
        inside = {choice.id for choice in flatten([node])}
        parents = [choice for choice in parents if choice.id not in inside]
    position = 0
    if node is not None:
        siblings = (
            (_find(roots, node.parent_category_id) or node).children
            if (node.parent_category_id)
            else roots
        )
        position = next((i for i, s in enumerate(siblings) if s.id == node.id), 0)
    return portal_page(
        request,
        visitor,
        me,
        "portal/category.html",
        title=node.name if node else "New category",
        section="tree",
        desk=desk,
        status=status,
        node=node,
        parents=parents,
        parent_id=parent_id,
        position=position + 1,
        types=CATEGORY_TYPES,
        problem=problem,
        field=field,
        notice=notice,
    )


@router.get("/portal/categories/new")
def new_category(
    request: Request,
    visitor: VisitorDep,
    me: Organiser,
    ws: str = "",
    lang: str = "",
    parent: str = "",
) -> Response:
    return _category_page(request, visitor, me, ws, lang, None, parent_id=parent[:64])


@router.post("/portal/categories")
def create_category(
    request: Request,
    visitor: VisitorDep,
    me: Organiser,
    ws: str = Form(""),
    lang: str = Form(""),
    name: str = Form(""),
    parent: str = Form(""),
    category_type: int = Form(0),
) -> Response:
    try:
        with writing(request) as session:
            desk = open_desk(session, me.project_id, ws, lang)
            if category_type not in CATEGORY_TYPES:
                raise Invalid("Choose Folder, Page or Index.")
            category = categories.create_category(
                session,
                me.project_id,
                name=name.strip(),
                project_version_id=desk.workspace_id,
                parent_category_id=parent or None,
                category_type=category_type,
                user_id=me.user_id,
                lang=desk.lang,
            )
            target = f"/portal/categories/{category.id}{desk.query(done='created')}"
    except KbError as error:
        return _category_page(
            request,
            visitor,
            me,
            ws,
            lang,
            None,
            status=400,
            problem=error.message,
            field="name" if "Name" in error.message else "",
            parent_id=parent,
        )
    return redirect(visitor, target)


@router.get("/portal/categories/{category_id}")
def category(
    request: Request,
    visitor: VisitorDep,
    me: Author,
    category_id: str,
    ws: str = "",
    lang: str = "",
    done: str = "",
) -> Response:
    return _category_page(
        request, visitor, me, ws, lang, category_id[:64], notice=DONE.get(done, "")
    )


@dataclass(frozen=True)
class CategoryChange:
    """A form posted to change one category: who, where, and the category's id."""

    request: Request
    visitor: Visitor
    me: SignedIn
    ws: str
    lang: str
    category_id: str

    def run(self, done: str, change: Callable[[Session, Desk], object]) -> Response:
        """Run `change(session, desk)`; back to the category's screen (or the tree after a
        delete), or to its form with why not."""
        htmx = bool(self.request.headers.get("hx-request"))
        try:
            with writing(self.request) as session:
                desk = open_desk(session, self.me.project_id, self.ws, self.lang)
                change(session, desk)
        except NotFound:
            raise BrowserError(
                404, "No such category", "It may have been deleted.", back=("/portal", "Portal")
            ) from None
        except KbError as error:
            if htmx:
                return HTMLResponse(error.message, 400)
            return _category_page(
                self.request,
                self.visitor,
                self.me,
                self.ws,
                self.lang,
                self.category_id,
                status=400,
                problem=error.message,
            )
        if htmx:
            return Response(status_code=204)
        if done == "deleted":
            return redirect(self.visitor, f"/portal{desk.query(done=done)}")
        return redirect(
            self.visitor, f"/portal/categories/{self.category_id}{desk.query(done=done)}"
        )


def _category_change(
    request: Request,
    visitor: VisitorDep,
    me: Organiser,
    category_id: str,
    ws: str = Form(""),
    lang: str = Form(""),
) -> CategoryChange:
    return CategoryChange(request, visitor, me, ws, lang, category_id[:64])


Changing = Annotated[CategoryChange, Depends(_category_change)]


@router.post("/portal/categories/{category_id}/rename")
def rename_category(it: Changing, name: str = Form("")) -> Response:
    return it.run(
        "renamed",
        lambda session, desk: categories.update_category(
            session, it.me.project_id, it.category_id, name=name.strip(), language=desk.lang
        ),
    )


def _index(position: str) -> int:
    """The 1-based position a person types, as the 0-based index the domain takes."""
    try:
        number = int(position)
    except ValueError:
        raise Invalid("The position must be a whole number, 1 for the first place.") from None
    if number < 1:
        raise Invalid("The position must be 1 or more.")
    return number - 1


@router.post("/portal/categories/{category_id}/move")
def move_category(it: Changing, parent: str = Form(""), position: str = Form("1")) -> Response:
    return it.run(
        "moved",
        lambda session, _desk: categories.move_category(
            session,
            it.me.project_id,
            it.category_id,
            parent_id=parent[:64] or None,
            index=_index(position),
        ),
    )


@router.post("/portal/categories/{category_id}/visibility")
def category_visibility(it: Changing, hidden: str = Form("")) -> Response:
    hide = hidden == "true"
    return it.run(
        "hidden" if hide else "shown",
        lambda session, _desk: categories.update_category(
            session, it.me.project_id, it.category_id, hidden=hide
        ),
    )


@router.post("/portal/categories/{category_id}/type")
def category_type(it: Changing, category_type: int = Form(0)) -> Response:
    return it.run(
        "retyped",
        lambda session, _desk: categories.update_category_type(
            session, it.me.project_id, it.category_id, category_type, it.me.user_id
        ),
    )


@router.post("/portal/categories/{category_id}/delete")
def delete_category(it: Changing) -> Response:
    return it.run(
        "deleted",
        lambda session, _desk: categories.delete_category(
            session, it.me.project_id, it.category_id
        ),
    )


# --- articles -----------------------------------------------------------------------------


def _new_article_page(
    request: Request,
    visitor: VisitorDep,
    me: SignedIn,
    ws: str,
    lang: str,
    *,
    category_id: str = "",
    status: int = 200,
    problem: str = "",
    field: str = "",
    title_text: str = "",
) -> HTMLResponse:
    desk, roots = _tree(request, me, ws, lang)
    return portal_page(
        request,
        visitor,
        me,
        "portal/new_article.html",
        title="New article",
        section="tree",
        desk=desk,
        status=status,
        parents=flatten(roots),
        category_id=category_id,
        problem=problem,
        field=field,
        title_text=title_text,
    )


@router.get("/portal/articles/new")
def new_article(
    request: Request,
    visitor: VisitorDep,
    me: Writer,
    ws: str = "",
    lang: str = "",
    category: str = "",
) -> Response:
    return _new_article_page(request, visitor, me, ws, lang, category_id=category[:64])


@router.post("/portal/articles")
def create_article(
    request: Request,
    visitor: VisitorDep,
    me: Writer,
    ws: str = Form(""),
    lang: str = Form(""),
    title: str = Form(""),
    category: str = Form(""),
) -> Response:
    try:
        if not category:
            raise Invalid("Choose the category the article belongs in.")
        with writing(request) as session:
            desk = open_desk(session, me.project_id, ws, lang)
            article, _ = articles.create_article(
                session,
                me.project_id,
                title=title.strip(),
                project_version_id=desk.workspace_id,
                user_id=me.user_id,
                content="",
                category_id=category[:64],
                lang=desk.lang,
            )
            target = f"/portal/articles/{article.id}/{desk.lang}{desk.query()}"
    except KbError as error:
        return _new_article_page(
            request,
            visitor,
            me,
            ws,
            lang,
            category_id=category,
            status=400,
            problem=error.message,
            field="category" if "category" in error.message else "title",
            title_text=title,
        )
    return redirect(visitor, target)


@router.post("/portal/articles/{article_id}/move")
def move_article(
    request: Request,
    visitor: VisitorDep,
    me: Organiser,
    article_id: str,
    ws: str = Form(""),
    lang: str = Form(""),
    category: str = Form(""),
    position: str = Form("1"),
) -> Response:
    try:
        with writing(request) as session:
            desk = open_desk(session, me.project_id, ws, lang)
            articles.move_article(
                session,
                me.project_id,
                article_id[:64],
                category_id=category[:64],
                index=_index(position),
            )
    except NotFound:
        raise BrowserError(404, "No such article", "It may have been deleted.") from None
    except KbError as error:
        if request.headers.get("hx-request"):
            return HTMLResponse(error.message, 400)
        raise BrowserError(400, "The article was not moved", error.message) from None
    if request.headers.get("hx-request"):
        return Response(status_code=204)
    return redirect(visitor, f"/portal/articles/{article_id}/{desk.lang}{desk.query(done='moved')}")
