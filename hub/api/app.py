"""The FastAPI application factory."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute

from hub.api import (
    caching,
    docs_page,
    errors,
    guards,
    openapi,
    redirects,
    request_ids,
    routes_audit,
    routes_duplicates,
    routes_exchange,
    routes_fiches,
    routes_keys,
    routes_notices,
    routes_ops,
    routes_proposals,
    routes_schemas,
    source_limits,
)
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.audit import refusals
from hub.services.audit import trail as audit
from hub.web.app import create_console
from hub.web.failures import Failures


def _operation_id(route: APIRoute) -> str:
    """The route's function name: short, stable ids for generated clients (`push_fiches`)."""
    return route.name


def create_app(settings: Settings | None = None, *, hub: Hub | None = None) -> FastAPI:
    """The hub's HTTP app. `hub` overrides the wiring (tests); otherwise it is
    built from `settings` (or the environment)."""
    hub = hub or Hub.from_settings(settings or Settings.from_env())

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        refusals.close_all(hub)  # refusals counted in open windows are logged, not lost
        audit.sign_at_stop(hub)  # and signed over with the rest, not left unprotected

    app = FastAPI(
        lifespan=lifespan,
        title="capactif-hub",
        version="1",
        description="Échange de fiches projet entre les membres d'un réseau d'appui aux "
        "porteurs de projet. Authentification et signature : docs/protocol.md. Toute "
        "opération peut aussi répondre, avant d'être reconnue, 400 malformed_request (requête "
        "HTTP/1.1 illisible), 431 headers_too_large ou 408 request_timeout (en-têtes ou corps "
        "qui cessent d'arriver, corps trop lent), dans la même enveloppe d'erreur.",
        generate_unique_id_function=_operation_id,
        dependencies=[Depends(guards.unsigned_query_only)],
        docs_url=None,  # docs_page: FastAPI's pages load third-party code
        redoc_url=None,
    )
    app.state.hub = hub
    errors.install(app)
    openapi.install(app)
    docs_page.install(app)
    guards.install(app)
    app.include_router(routes_fiches.router)
    app.include_router(routes_schemas.router)
    app.include_router(routes_keys.router)
    app.include_router(routes_exchange.router)
    app.include_router(routes_audit.router)
    app.include_router(routes_duplicates.router)
    routes_ops.install(app)
    app.add_middleware(source_limits.SourceLimitMiddleware, limits=hub.rate_limits)
    app.include_router(routes_proposals.router)
    app.include_router(routes_notices.router)
    app.mount("/console", create_console(hub))
    # A streamed export the store fails once under way ends without its end line, the
    # connection kept, rather than the connection cut (docs/protocol.md).
    app.add_middleware(Failures, answer=None)
    app.add_middleware(redirects.SameOriginRedirects)
    app.add_middleware(caching.NoStore)
    # Installed last, so outermost: every answer, those refused before any route (guards,
    # rate limit) included, carries the request id the partner matches to its logs.
    request_ids.install(app)

    return app
