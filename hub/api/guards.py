"""Refuse, before any route runs, what no parameter may hold: a NUL character in the
path or the query (PostgreSQL text cannot store or compare it; no id or filter of the
contract contains one), answered 422 `invalid_parameter` in the envelope; and an encoded
slash (`%2F`) in the path, answered 404 `route_not_found`: routes are matched on the
decoded path, where it would be a separator, so `/v1/erasures/1%2Fack` reached the
acknowledgement of erasure 1 and `/v1/erasures/%2F` was redirected to `/v1/erasures`.
No id of the contract holds a slash: such a path names no resource.

And a query parameter the operation does not declare is refused (422 `invalid_parameter`,
`unknown_parameter`), not ignored: a misspelt `?afer=120` read the feed from its start,
and the partner believed it filtered. A parameter given twice is refused too
(`repeated_parameter`): no parameter of the contract is a list, and a proxy or a cache
may read the first value where the hub read the last. Likewise a body sent to an operation
that reads none is refused (400 `malformed_body`), not ignored.
A signed operation checks its query only once the signature, the source's lockout and the
caller's role have passed (`hub.api.auth`), so that a 401, 429 or 403 is never turned into
a 422 and such a request is still counted as a refused authentication; the app-wide
dependency checks the unsigned operations (schemas, hub keys). The operations routes
(`/livez`, `/healthz`, `/readyz`, `/metrics`) take no parameter and ignore any: a monitor's
cache-buster (`?_=<time>`) must not take a healthy node down."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from urllib.parse import unquote_plus

import orjson
from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from hub.errors import InvalidParameter, MalformedBody, RouteNotFound


def install(app: FastAPI) -> None:
    @app.middleware("http")
    async def refuse_encoded_slashes(request: Request, call_next: Any) -> Any:
        if b"%2f" not in request.scope.get("raw_path", b"").lower():
            return await call_next(request)
        error = RouteNotFound("Aucune opération à cette adresse : une barre oblique encodée "
                              "(%2F) ne fait partie d'aucun identifiant.",
                              "No operation at this address: an encoded slash (%2F) is part "
                              "of no identifier.")
        return JSONResponse({"error": error.to_dict()}, status_code=error.status)

    @app.middleware("http")
    async def refuse_nul_characters(request: Request, call_next: Any) -> Any:
        where = _nul_in(request.scope.get("path", ""), request.scope.get("query_string", b""))
        if where is None:
            return await call_next(request)
        error = InvalidParameter([{
            "path": where, "code": "nul_character",
            "message_fr": "Caractère NUL (%00) interdit dans les paramètres.",
            "message_en": "NUL character (%00) not allowed in parameters."}])
        return JSONResponse({"error": error.to_dict()}, status_code=error.status)


def _nul_in(path: str, query: bytes) -> str | None:
    if "\x00" in path:
        return "path"
    if b"%00" in query or b"\x00" in query or "\x00" in unquote_plus(query.decode("latin-1")):
        return "query"
    return None


_NAMEABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")


F = TypeVar("F", bound=Callable[..., Any])
_NOT_HERE: set[Callable[..., Any]] = set()  # dependencies and endpoints the app-wide check skips


def checks_the_query_itself(call: F) -> F:
    """Marks a dependency that calls `declared_query_only` after its own checks: the
    app-wide dependency leaves the routes using it alone."""
    _NOT_HERE.add(call)
    return call


def ignores_the_query(endpoint: F) -> F:
    """Marks an operations endpoint: it takes no parameter and ignores any."""
    _NOT_HERE.add(endpoint)
    return endpoint


def unsigned_query_only(request: Request) -> None:
    """The app-wide dependency: `declared_query_only` for a route neither signed (checked
    after its signature) nor an operations route."""
    route = request.scope.get("route")
    if isinstance(route, APIRoute) and not _query_of(route).checked_elsewhere:
        declared_query_only(request)


def declared_query_only(request: Request) -> None:
    """Refuse a query parameter the operation does not declare. The error names a
    parameter only when its name has the shape of one (`limit`, `page`): anything else
    (`jean.dupont@…=1`) is reported as `query`, as no answer repeats what was sent."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    names = [name for name, _value in request.query_params.multi_items()]  # each occurrence
    if not names:
        return
    declared = _query_of(route).declared
    problems = [_problem(name, "unknown_parameter", _UNKNOWN) for name in dict.fromkeys(names)
                if name not in declared]
    problems += [_problem(name, "repeated_parameter", _REPEATED) for name in dict.fromkeys(names)
                 if name in declared and names.count(name) > 1]
    if problems:
        raise InvalidParameter(problems[:20])


def declared_body_only(request: Request, body: bytes) -> None:
    """Refuse a body sent to an operation that reads none (400 `malformed_body`): it would
    be ignored while the request is carried out (`{"delivery_id": ...}` on the replay
    replayed every dead delivery), whatever its declared type. Nothing, spaces or `{}`
    (what HTTP libraries send for JSON with nothing in it) is no body."""
    if not body.strip() or reads_a_body(request) or _empty_object(body):
        return
    raise MalformedBody(
        "Cette opération ne lit aucun corps : retirez-le ; ses paramètres se donnent dans le "
        "chemin ou la chaîne de requête (voir /docs).",
        "This operation takes no body: remove it; its parameters go in the path or the "
        "query string (see /docs).")


def reads_a_body(request: Request) -> bool:
    """Whether the request's operation reads a body (declares one in the contract)."""
    route = request.scope.get("route")
    return not isinstance(route, APIRoute) or "requestBody" in (route.openapi_extra or {})


def _empty_object(body: bytes) -> bool:
    try:
        return orjson.loads(body) == {}
    except orjson.JSONDecodeError:
        return False


@dataclasses.dataclass(frozen=True)
class _RouteQuery:
    declared: frozenset[str]  # the parameters the operation declares
    checked_elsewhere: bool  # signed (checked after the signature) or an operations route


def _query_of(route: APIRoute) -> _RouteQuery:
    """What a route's dependants say of its query, worked out at its first request and kept
    on the route (routes are not hashable: no dictionary can key them)."""
    known = route.__dict__.get("_capactif_query")
    if known is None:
        dependants = list(_dependants([route.dependant]))
        known = _RouteQuery(
            frozenset(field.alias for d in dependants for field in d.query_params),
            any(d.call in _NOT_HERE for d in dependants))
        route.__dict__["_capactif_query"] = known
    return known


def _dependants(dependants: Iterable[Dependant]) -> Iterable[Dependant]:
    for dependant in dependants:
        yield dependant
        yield from _dependants(dependant.dependencies)


_UNKNOWN = ("Paramètre non déclaré par cette opération (voir /docs).",
            "Parameter not declared by this operation (see /docs).")
_REPEATED = ("Paramètre donné plusieurs fois : donnez-le une seule fois.",
             "Parameter given more than once: give it once.")


def _problem(name: str, code: str, messages: tuple[str, str]) -> dict[str, str]:
    return {"path": f"query.{name}" if _NAMEABLE.fullmatch(name) else "query", "code": code,
            "message_fr": messages[0], "message_en": messages[1]}
