"""create_app(settings) -> the FastAPI application with every router mounted."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI

from lorebase import __version__, ops
from lorebase.api import blobs, media
from lorebase.api.fastpath import ApiFastPath
from lorebase.api.limits import DRIVE_UPLOAD_BYTES, BodyLimits
from lorebase.api.paths import CanonicalPaths
from lorebase.api.ratelimit import RateLimiter, RateLimits
from lorebase.api.v2 import (
    articles,
    categories,
    drive,
    errors,
    feedback,
    merge_codes,
    project_exchange,
    projects,
)
from lorebase.api.v2.response_cache import ResponseCache
from lorebase.api.v3 import errors as v3_errors
from lorebase.api.v3 import exchange as v3_exchange
from lorebase.api.v3 import projects as v3_projects
from lorebase.auth.throttle import SignInThrottle
from lorebase.db.engine import transaction
from lorebase.jobs.worker import start_embedded_workers
from lorebase.kb import page_bodies
from lorebase.runtime import make_runtime
from lorebase.settings import Settings
from lorebase.web import accounts as web_accounts
from lorebase.web import feedback as web_feedback
from lorebase.web import pages as web_pages
from lorebase.web import reader as web_reader
from lorebase.web import team as web_team
from lorebase.web.fastpath import ReaderFastPath
from lorebase.web.portal import drive as portal_drive
from lorebase.web.portal import editor as portal_editor
from lorebase.web.portal import exchange as portal_exchange
from lorebase.web.portal import merge_codes as portal_merge_codes
from lorebase.web.portal import search as portal_search
from lorebase.web.portal import tokens as portal_tokens
from lorebase.web.portal import tree as portal_tree

ROUTERS = (
    # First: the other routers' /{id}/{langCode} templates would take its paths.
    feedback.router,
    projects.router,
    categories.router,
    articles.router,
    merge_codes.router,
    drive.router,
    project_exchange.router,
    v3_projects.router,
    v3_exchange.router,
)
# The browser's pages: case-sensitive paths of their own, sessions instead of tokens.
BROWSER_ROUTERS = (
    web_accounts.router,
    web_team.router,
    portal_tree.router,
    portal_editor.router,
    portal_merge_codes.router,
    portal_drive.router,
    portal_tokens.router,
    portal_exchange.router,
    portal_search.router,
)
ROUTE_TEMPLATES = [
    route.path for router in ROUTERS for route in router.routes if hasattr(route, "path")
]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    # Here, not in `serve`: with several processes each one builds its app (and its logging).
    ops.configure_logging(settings.log_format)
    runtime = make_runtime(settings)
    engine = runtime.engine

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Published bodies not ready to read (after an upgrade, or a renderer change) get a
        # job, which this server's workers or another host's take.
        with transaction(runtime.session_factory) as session:
            page_bodies.enqueue_for_unready(session)
        # Embedded job workers live as long as the server; `--workers 0` runs none.
        pool = (
            start_embedded_workers(
                engine,
                settings.workers,
                lease=timedelta(seconds=settings.job_lease_seconds),
                runtime=runtime,
            )
            if settings.workers > 0
            else None
        )
        try:
            yield
        finally:
            if pool is not None:
                await asyncio.to_thread(pool.stop)
            if runtime.lookup_engine is not engine:
                runtime.lookup_engine.dispose()

    app = FastAPI(
        lifespan=lifespan,
        # /docs is the reader site's (Document360's article addresses).
        docs_url="/api/docs",
        redoc_url="/api/redoc",
        title="Lorebase",
        version=__version__,
        description=(
            "Self-hosted knowledge base speaking the Document360 Customer API v2. "
            "Routes tagged 'Lorebase extension' are not part of Document360's API."
        ),
    )
    app.state.settings = settings
    app.state.runtime = runtime
    app.state.engine = engine
    app.state.session_factory = runtime.session_factory
    app.state.read_session_factory = runtime.read_session_factory
    app.state.response_cache = ResponseCache()
    errors.install(app)
    v3_errors.install(app)
    # First in the routing: a load balancer probes these many times a second, and routes are
    # matched in order.
    ops.install(app, runtime)
    # Then the API, which integrations call most: routes are tried one after the other, and
    # every API path starts /v2/{literal} or /v3/projects, which no page of the browser's
    # matches. Literal routes (bulk*, versions, settings…) are declared before the {id}
    # templates in each router, so they win; see api-reference.md §1.3.
    for router in ROUTERS:
        app.include_router(router)
    # Before the reader site: its /{workspace}/search would take /portal/search (a workspace
    # cannot be reached at /portal; the portal's addresses win).
    for router in BROWSER_ROUTERS:
        app.include_router(router)
    web_reader.install(app, settings.site_base_path)
    app.include_router(blobs.router)
    app.include_router(media.router)
    app.state.signin_throttle = SignInThrottle(
        settings.signin_attempts_per_account,
        settings.signin_attempts_per_address,
        settings.redis_url,
    )
    web_pages.install(app, settings.site_base_path)
    app.include_router(web_feedback.router, prefix=settings.site_base_path)

    # Last: a path of one segment names a workspace of the reader site.
    web_reader.install_fallback(app, settings.site_base_path)

    app.add_middleware(CanonicalPaths, templates=ROUTE_TEMPLATES)
    # Outside the routing: a public page already rendered costs one stamp lookup.
    app.add_middleware(ReaderFastPath, runtime=runtime, pages=app.state.reader_kept_pages)
    # The same for the API's cached reads, with the caller's token checked in the same lookup.
    app.add_middleware(ApiFastPath, runtime=runtime)
    if settings.rate_limit != "off":
        # Outermost but for the body limits: a refused request costs one counter update.
        app.add_middleware(
            RateLimits, limiter=RateLimiter(settings.rate_limit, settings.redis_url or None)
        )
    app.add_middleware(
        BodyLimits,
        max_bytes=settings.max_body_bytes,
        max_depth=settings.max_json_depth,
        client_timeout=settings.client_timeout,
        # An import ZIP may be as large as the import cap, plus the multipart framing.
        max_upload_bytes=max(settings.import_max_bytes, DRIVE_UPLOAD_BYTES) + (1 << 20),
    )
    # Outermost: every answer, refusals included, gets a request id and is counted.
    app.add_middleware(ops.Observed, access=settings.log_format == "json")
    return app
