"""The console: server-rendered French pages for coordinators, DPOs and administrators,
mounted under `/console` on the hub's app. Errors become French pages, never JSON
and never an echo of what was typed."""

from __future__ import annotations

import logging
import urllib.parse
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from hub.bootstrap import Hub
from hub.errors import HubError, SessionRequired
from hub.services.ops import health
from hub.web import (
    routes_admin,
    routes_auth,
    routes_coordination,
    routes_dpo,
    routes_duplicates,
    routes_erasures,
)
from hub.web.failures import Failures
from hub.web.pages import HEADERS, render
from hub.web.security import PREFIX, SESSION_COOKIE, clear_cookie, page_left

log = logging.getLogger(__name__)
_STATIC = Path(__file__).resolve().parent / "static"
_TITLES = {400: "Demande incorrecte", 401: "Connexion nécessaire", 403: "Accès refusé",
           404: "Page introuvable", 409: "Conflit", 429: "Trop d'essais",
           500: "Erreur du hub", 503: "Service indisponible"}


def create_console(hub: Hub) -> FastAPI:
    console = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    console.state.hub = hub
    console.mount("/static", StaticFiles(directory=_STATIC), name="static")
    for module in (routes_auth, routes_coordination, routes_duplicates, routes_erasures,
                   routes_dpo, routes_admin):
        console.include_router(module.router)
    _install_errors(console)
    console.add_middleware(Failures, answer=_failure_page)
    return console


def _install_errors(console: FastAPI) -> None:
    @console.exception_handler(SessionRequired)
    async def _sign_in(request: Request, _exc: SessionRequired) -> Response:
        """To the sign-in page, which says when a session ended (and that a form sent
        after its end was not recorded) and leads back to the page left."""
        query = {}
        if request.url.path == PREFIX + "/deconnexion":  # signing out: done either way
            query["sortie"] = "1"
        elif page := page_left(request):
            query["suite"] = page
        if request.cookies.get(SESSION_COOKIE) and "sortie" not in query:
            query["fin"] = "action" if request.method == "POST" else "session"
        target = PREFIX + "/connexion" + ("?" + urllib.parse.urlencode(query) if query else "")
        response = RedirectResponse(target, status_code=303, headers=HEADERS)
        clear_cookie(response, request, SESSION_COOKIE)
        return response

    @console.exception_handler(HubError)
    async def _hub_error(request: Request, exc: HubError) -> Response:
        return _hub_error_page(request, exc)

    @console.exception_handler(ClientDisconnect)
    async def _client_gone(request: Request, _exc: ClientDisconnect) -> Response:
        # A form cut off by its sender: the page reaches no one, and it is no error of the hub's.
        return _error_page(request, 400, "Formulaire interrompu avant sa fin : renvoyez-le.")

    @console.exception_handler(RequestValidationError)
    async def _bad_parameter(request: Request, _exc: RequestValidationError) -> Response:
        return _error_page(request, 400, "Adresse ou formulaire mal formé : revenez à la page "
                                         "précédente et recommencez.")

    @console.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        return _error_page(request, exc.status_code, _TITLES.get(exc.status_code, "Erreur"))


def _failure_page(request: Request, exc: Exception) -> Response:
    """The page of an error no handler maps (`Failures`): a store down or answering too
    late, met outside a unit of work (the access log, the consent registry read the store
    directly), is its 503 page, as the API answers it; anything else the 500 page."""
    outage = health.outage_of(exc)
    if outage is not None:
        return _hub_error_page(request, outage, cause=type(exc).__name__)
    log.error("unexpected console error: %s", type(exc).__name__)
    return _error_page(request, 500, "Erreur interne du hub. Réessayez plus tard.")


def _hub_error_page(request: Request, exc: HubError, cause: str | None = None) -> Response:
    """The hub's error as a page, with its headers (the Retry-After of a 503 or a 429, as
    the API sends it)."""
    if exc.status >= 500:
        log.warning("console error %s", exc.for_the_log(cause))
    response = _error_page(request, exc.status, str(exc.public_dict()["message_fr"]))
    response.headers.update(getattr(exc, "headers", None) or {})
    return response


def _error_page(request: Request, status: int, message: str) -> Response:
    return render(request, "erreur.html", status=status, title=_TITLES.get(status, "Erreur"),
                  message=message, code=status)
