"""Map every error to the hub's envelope `{"error": {...}}`: the HubError family with one
handler, and the answers FastAPI and Starlette would otherwise give in their own shape
(422 parameter errors, 404 unknown routes, 405 with an incomplete Allow). No answer
echoes the input: parameter errors name the parameter and the rule, never the value."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import Match, Mount
from starlette.types import Scope

from hub.errors import HubError, InvalidParameter, MalformedRequest, MethodNotAllowed, RouteNotFound
from hub.services.ops import health

log = logging.getLogger(__name__)

_WHOLE = ("nombre entier de {ge} à {le} attendu (chiffres 0-9 seuls)",
          "a whole number from {ge} to {le} is expected (digits 0-9 alone)")
_RULES = {
    "int_parsing": _WHOLE,
    "int_type": _WHOLE,
    "int_from_float": _WHOLE,
    "bool_parsing": ("true ou false attendu", "true or false is expected"),
    "enum": ("valeur hors de la liste autorisée ({expected})",
             "value not in the allowed list ({expected})"),
    "string_pattern_mismatch": ("identifiant au format {pattern} attendu",
                                "an identifier matching {pattern} is expected"),
    "string_too_long": ("valeur trop longue (au plus {max_length} caractères)",
                        "value too long (at most {max_length} characters)"),
    "greater_than_equal": ("valeur trop petite (minimum {ge})", "value too small (minimum {ge})"),
    "less_than_equal": ("valeur trop grande (maximum {le})", "value too large (maximum {le})"),
    "literal_error": ("valeur hors de la liste autorisée ({expected})",
                      "value not in the allowed list ({expected})"),
    "missing": ("paramètre obligatoire absent", "required parameter missing"),
    "timezone_aware": ("date-heure RFC 3339 avec décalage attendue (ex. 2026-12-03T10:00:00+01:00)",
                       "an RFC 3339 date-time with an offset is expected (e.g. 2026-12-03T10:00:00+01:00)"),
}
_DATETIME = ("date-heure RFC 3339 avec décalage, entre 1970 et 9000, attendue",
             "an RFC 3339 date-time with an offset, between 1970 and 9000, is expected")
OTHER_HTTP_ERROR = "http_{status}"  # a framework refusal no handler above maps
_GENERIC = ("valeur non conforme à la déclaration de l'opération (voir /docs)",
            "value does not match the operation's declaration (see /docs)")


def install(app: FastAPI) -> None:
    @app.exception_handler(HubError)
    async def _hub_error(_request: Request, exc: HubError) -> JSONResponse:
        if exc.status >= 500:
            log.warning("hub error %s", exc.for_the_log())
        return _answer(exc, getattr(exc, "headers", None))  # Retry-After of a 429 or 503

    @app.exception_handler(ClientDisconnect)
    async def _client_gone(_request: Request, _exc: ClientDisconnect) -> JSONResponse:
        # The client's doing (a cut connection, or a framing refused below the app): the
        # answer reaches no one, and it is no error of the hub's.
        return _answer(MalformedRequest("Connexion fermée avant la fin du corps de la requête.",
                                         "Connection closed before the request body ended."))

    @app.exception_handler(RequestValidationError)
    async def _invalid_parameter(request: Request, exc: RequestValidationError) -> JSONResponse:
        route = request.scope.get("route")
        return _answer(InvalidParameter(
            [_field_error(e, declared_bounds(route, e.get("loc", ()))) for e in exc.errors()][:20]))

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 405:
            allowed = allowed_methods(app, request.scope)
            return _answer(MethodNotAllowed(
                f"Méthode non permise sur ce chemin : utilisez {', '.join(allowed)}.",
                f"Method not allowed on this path: use {', '.join(allowed)}."),
                headers={"Allow": ", ".join(allowed)})
        if exc.status_code == 404:
            return _answer(RouteNotFound("Aucune opération à cette adresse : voir /docs.",
                                         "No operation at this address: see /docs."))
        error = HubError("Requête refusée.", "Request refused.")
        code = OTHER_HTTP_ERROR.format(status=exc.status_code)
        return JSONResponse({"error": {**error.to_dict(), "code": code}},  # OTHER_HTTP_ERROR
                            status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        return unexpected_answer(exc)


def unexpected_answer(exc: Exception) -> JSONResponse:
    """The answer to an error no handler maps: a database outage's 503, else a 500 that
    never echoes the exception (it may hold personal data from a payload)."""
    outage = health.outage_of(exc)
    if outage is not None:  # a database outage outside a unit of work
        log.warning("hub error %s", outage.for_the_log(type(exc).__name__))
        return _answer(outage, outage.headers)
    log.error("unexpected error: %s", type(exc).__name__)
    error = HubError("Erreur interne du hub.", "Internal hub error.")
    return JSONResponse({"error": error.to_dict()}, status_code=500)


def allowed_methods(app: FastAPI, scope: Scope) -> list[str]:
    """Every method some route of `app` fully answers on this path (Starlette names only
    the first route that matched the path, so a GET + DELETE path announced one of them).
    Asks each route with each method through `BaseRoute.matches`, which nested routers
    answer too."""
    routes = [route for route in app.router.routes if not isinstance(route, Mount)]
    return [method for method in _METHODS
            if any(route.matches({**scope, "method": method})[0] == Match.FULL for route in routes)]


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def _field_error(error: dict[str, Any], bounds: Mapping[str, object]) -> dict[str, str]:
    """The rule `error` broke, in the words of the parameter's type: a whole number's
    bounds come from its declaration (a type error carries none)."""
    where = ".".join(str(part) for part in error.get("loc", ()))
    kind = str(error.get("type", ""))
    shown = ("ge", "le", "expected", "pattern", "max_length")
    context = {**bounds, **{k: v for k, v in (error.get("ctx") or {}).items() if k in shown}}
    if kind in _RULES:
        fr, en = _RULES[kind]
    elif "datetime" in kind:
        fr, en = _DATETIME
    else:
        fr, en = _GENERIC
    return {"path": where, "code": kind or "invalid",
            "message_fr": fr.format_map(_Blank(context)), "message_en": en.format_map(_Blank(context))}


def declared_bounds(route: object, loc: Sequence[object]) -> dict[str, object]:
    """The `ge`/`le` a route declares for the parameter at `loc` (`("query", "after")`),
    read from its dependant tree (sub-dependencies declare parameters too)."""
    dependant = getattr(route, "dependant", None)
    if dependant is None or len(loc) != 2:
        return {}
    found: dict[str, object] = {}
    for field in _parameters(dependant, str(loc[0])):
        if field.alias == loc[1]:
            for rule in field.field_info.metadata:
                found.update({k: getattr(rule, k) for k in ("ge", "le") if hasattr(rule, k)})
    return found


def _parameters(dependant: Any, where: str) -> Iterator[Any]:
    yield from getattr(dependant, f"{where}_params", ())
    for sub in dependant.dependencies:
        yield from _parameters(sub, where)


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "?"


def _answer(error: HubError, headers: Mapping[str, str] | None = None, *,
            operator: bool = False) -> JSONResponse:
    """The envelope, with the message meant for the operator (`error.public` set) only
    when `operator` (the details of `/healthz`): partners are told `public`."""
    return JSONResponse({"error": error.to_dict() if operator else error.public_dict()},
                        status_code=error.status, headers=dict(headers) if headers else None)


def answer_of(error: HubError, *, operator: bool = False) -> JSONResponse:
    """`error` in the envelope, with its headers (Retry-After), as the handler answers it."""
    return _answer(error, getattr(error, "headers", None), operator=operator)
