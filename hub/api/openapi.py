"""The OpenAPI 3.1 document: component schemas built from `schemas/*.json` (one source of
truth), the security scheme, and the error envelope on every status an operation answers.

Routes declare what is theirs (`responses=errors(403, 404)`, `openapi_extra=body("Fiche")`);
what every signed operation may answer (400, 401, 403, 413, 429, 503, and 415 with a body, 422
for any undeclared query parameter, 404 with path parameters) is added here, from the route's own
dependencies.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.routing import Route

import schemas
from hub.api.auth import is_signed
from hub.api.models import (
    COMPONENT,
    ConsentLookup,
    Decision,
    ErasureAnswer,
    ErasureRequest,
    ErrorEnvelope,
    FicheWithdrawals,
    ReferentAnswer,
    Subscriptions,
    Unmerge,
)
from hub.errors import every_error_class

_REF = "#/components/schemas/"
_ERRORS_BY_STATUS = {
    400: "Corps ou paramètre invalide (malformed_body, bad_request, …).",
    401: "Authentification refusée : jeton, signature RFC 9421, Content-Digest, horodatage ou "
         "nonce (authentication_failed, bad_signature, content_digest_mismatch, stale_request, "
         "replayed_request, legacy_signature_retired).",
    403: "Authentifié, mais ce rôle ou ce membre n'y a pas droit.",
    404: "Inconnu, ou invisible pour l'appelant (même réponse) ; route_not_found pour un chemin "
         "qu'aucune opération ne sert.",
    409: "Conflit avec l'état présent (déjà fait, déjà effacé, …).",
    410: "Données effacées (data_erased).",
    413: "Corps de requête trop volumineux (payload_too_large).",
    415: "Corps déclaré autrement qu'en JSON (Content-Type, unsupported_media_type) ou "
         "compressé (Content-Encoding, unsupported_encoding) : envoyez du JSON UTF-8 tel quel.",
    429: "Trop de requêtes de ce membre ou de cette adresse (rate_limited, too_many_refusals) : "
         "attendez le délai de l'en-tête Retry-After.",
    422: "Paramètre de chemin ou de requête d'un type ou hors des bornes attendues, ou "
         "paramètre de requête que l'opération ne déclare pas ou donné deux fois (invalid_parameter ; "
         "« erreurs » nomme chaque paramètre et la règle, jamais la valeur ; unknown_parameter "
         "pour un paramètre non déclaré, repeated_parameter pour un paramètre répété) ; "
         "revision_required : une décision same ou different sur un doublon qui ne nomme pas "
         "sa « revision » (lisez-la par GET /v1/duplicates/{id}).",
    503: "Stockage ou file de messages indisponible : réessayez plus tard.",
}


def _codes_of(status: int) -> str:
    """The codes of this status a `/v1` answer may hold (docs/protocol.md, "Error codes")."""
    codes = sorted(cls.code for cls in every_error_class()
                   if cls.status == status and cls.answered_by_api)
    return f" Codes de ce statut : {', '.join(f'`{code}`' for code in codes)}." if codes else ""


ERRORS = {status: text + _codes_of(status) for status, text in _ERRORS_BY_STATUS.items()}
# (component name, schema file, JSON pointer inside it)
_FROM_FILES = [
    ("Fiche", "fiche", ""),
    ("Consentement", "consent", ""),
    ("Notice", "notice", ""),
    ("NoticeSoumission", "notice_submission", ""),
    ("Abonnement", "network", "/properties/membres/items/properties/abonnements/items"),
]
_REQUEST_MODELS: list[type[BaseModel]] = [ErasureRequest, Subscriptions, Decision, Unmerge,
                                           ReferentAnswer, ConsentLookup, ErasureAnswer,
                                           FicheWithdrawals]
SECURITY: list[dict[str, list[str]]] = [{"jetonMembre": [], "signatureRfc9421": []}]


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: the error envelope on each status it may answer."""
    return {status: {"model": ErrorEnvelope, "description": ERRORS[status]} for status in statuses}


def body(component: str | type[BaseModel], *, array_of: str | None = None) -> dict[str, Any]:
    """`openapi_extra=` declaring the JSON body a route reads itself (signed raw bytes)."""
    name = component if isinstance(component, str) else component.__name__
    schema: dict[str, Any] = {"$ref": _REF + name}
    if array_of:
        schema = {"type": "object", "required": [array_of], "additionalProperties": False,
                  "properties": {array_of: {"type": "array", "minItems": 1, "maxItems": 1000,
                                            "items": schema}}}
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


def install(app: FastAPI) -> None:
    # FastAPI's documented way to replace the generated document is to assign app.openapi.
    app.openapi = functools.partial(_document, app)  # type: ignore[method-assign]
    # FastAPI serves the document on a Starlette route, which answers HEAD with GET: no
    # other route does (405, docs/protocol.md), and neither does this one.
    for route in app.router.routes:
        if isinstance(route, Route) and route.path == app.openapi_url and route.methods:
            route.methods.discard("HEAD")


def _document(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    document = get_openapi(title=app.title, version=app.version, openapi_version="3.1.0",
                           description=app.description, routes=app.routes)
    components = document.setdefault("components", {})
    found = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        found.pop(name, None)
    found.update(json_schema_components())
    for model in _REQUEST_MODELS:
        found.update(_model_components(model))
    components["securitySchemes"] = _SECURITY_SCHEMES
    for route in _api_routes(app.routes):
        for method in route.methods or ():
            operation = document["paths"].get(route.path_format, {}).get(method.lower())
            if operation is not None:
                _complete(operation, route)
    app.openapi_schema = _resolve_markers(document)
    return app.openapi_schema


def _api_routes(routes: Iterable[Any]) -> Iterable[APIRoute]:
    """Every documented route, included routers too (FastAPI keeps those as branches)."""
    for route in routes:
        if isinstance(route, APIRoute) and route.include_in_schema:
            yield route
        elif hasattr(route, "original_router"):
            yield from _api_routes(route.original_router.routes)


def _resolve_markers(node: Any) -> Any:
    if isinstance(node, dict):
        if set(node) == {COMPONENT}:
            return {"$ref": _REF + node[COMPONENT]}
        return {key: _resolve_markers(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve_markers(item) for item in node]
    return node


def json_schema_components() -> dict[str, Any]:
    """Components from `schemas/*.json`: `$defs` hoisted to `<Name>_<def>`, refs rewritten."""
    found: dict[str, Any] = {}
    for name, file, pointer in _FROM_FILES:
        source = copy.deepcopy(schemas.load_schema(file))
        definitions = source.pop("$defs", {})
        target = _at(source, pointer)
        for key in ("$schema", "$id"):
            target.pop(key, None)
        _title_into_description(target)
        found[name] = _rewrite(target, name)
        for def_name, definition in definitions.items():
            found[f"{name}_{def_name}"] = _rewrite(definition, name)
    found["EnregistrementConsentement"] = _consent_record(found["Consentement"])
    return found


def _title_into_description(schema: dict[str, Any]) -> None:
    """Generators name classes after `title` (accents and all): the component's name is
    clearer, so the title goes into the description."""
    title = schema.pop("title", None)
    if title:
        schema["description"] = f"{title}. {schema.get('description', '')}".strip()


def _at(document: dict[str, Any], pointer: str) -> dict[str, Any]:
    for part in filter(None, pointer.split("/")):
        document = document[part]
    return document


def _rewrite(node: Any, prefix: str) -> Any:
    if isinstance(node, dict):
        return {k: (re.sub(r"^#/\$defs/", f"{_REF}{prefix}_", v) if k == "$ref" else _rewrite(v, prefix))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_rewrite(item, prefix) for item in node]
    return node


def _consent_record(consent: dict[str, Any]) -> dict[str, Any]:
    """A recorded consent as the API shows it: the submission plus what the hub adds."""
    record = copy.deepcopy(consent)
    record["description"] = ("Consentement enregistré : le consentement soumis, avec son identifiant, "
                             "son statut et son historique.")
    record["required"] = sorted({*record.get("required", []), "id", "statut", "enregistre_le"})
    record["properties"].update({
        "id": {"type": "string"},
        "statut": {"enum": ["active", "withdrawn", "expired"]},
        "enregistre_le": {"type": "string", "format": "date-time"},
        "historique": {"type": "array", "items": {"type": "object", "properties": {
            "etat": {"type": "string"}, "le": {"type": "string", "format": "date-time"},
            "par": {"type": "string"}}}},
        "avis_envoyes": {"type": "array", "items": {"type": "string"}},
    })
    record["properties"].setdefault("membres_destinataires", {"type": "array", "items": {"type": "string"}})
    record["properties"]["preuve"] = _answered_proof(record["properties"]["preuve"])
    return record


def _answered_proof(submitted: dict[str, Any]) -> dict[str, Any]:
    """The proof as answered: to the collector, as submitted, or, once its fiche is erased,
    forgotten (a text proof may name the porteur): an empty `valeur` and `effacee: true`;
    to any other reader, its type alone (the evidence of collection is the collector's)."""
    forgotten = {"type": "object", "required": ["type", "valeur", "effacee"],
                 "additionalProperties": False,
                 "description": "Preuve oubliée avec la fiche effacée (son texte pouvait nommer le porteur).",
                 "properties": {"type": submitted["properties"]["type"], "valeur": {"const": ""},
                                "effacee": {"const": True}}}
    type_only = {"type": "object", "required": ["type"], "additionalProperties": False,
                 "description": "Preuve telle que la lit un autre membre que celui qui a "
                                "recueilli le consentement : son type seul.",
                 "properties": {"type": submitted["properties"]["type"]}}
    return {"oneOf": [submitted, forgotten, type_only]}


def _model_components(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema(ref_template=_REF + "{model}")
    found = schema.pop("$defs", {})
    found[model.__name__] = schema
    return found


def _complete(operation: dict[str, Any], route: APIRoute) -> None:
    responses = operation.setdefault("responses", {})
    statuses: list[int] = []
    if _is_signed(route):
        operation["security"] = SECURITY
        statuses += [401, 403, 413, 429, 503]  # 403: a DPO credential outside the audit
        statuses.append(400)  # a body sent to an operation that reads none (hub.api.guards)
        if "requestBody" in operation:
            statuses.append(415)  # the body's declared type or encoding
    else:
        operation["security"] = []
        if route.path.startswith("/v1/"):
            statuses.append(429)  # the per-address limit applies before any authentication
    statuses.append(422)  # a query parameter it does not declare, or one out of type or bounds
    if any(p.get("in") == "path" for p in operation.get("parameters", [])):
        statuses.append(404)  # a value holding `/` (%2F) names no operation: route_not_found
    for status in statuses:
        responses.setdefault(str(status), _error_response(status))
    if "422" in responses:
        responses["422"] = _error_response(422)
    for waiting in ("429", "503"):  # 503: the store's outages (the probes' "not ready": none)
        if waiting in responses and (waiting == "429" or route.path.startswith("/v1/")):
            responses[waiting]["headers"] = _RETRY_AFTER
    if "201" in responses:
        responses["201"]["headers"] = _LOCATION


_RETRY_AFTER = {"Retry-After": {
    "description": "Secondes à attendre avant de réessayer.",
    "schema": {"type": "integer", "minimum": 0}}}
_LOCATION = {"Location": {
    "description": "Chemin où le créateur relit la ressource créée (GET).",
    "schema": {"type": "string", "format": "uri-reference"}}}


def _error_response(status: int) -> dict[str, Any]:
    return {"description": ERRORS[status],
            "content": {"application/json": {"schema": {"$ref": _REF + "ErrorEnvelope"}}}}


def _is_signed(route: APIRoute) -> bool:
    return any(is_signed(dep.call) for dep in _dependencies(route.dependant.dependencies))


def _dependencies(found: Iterable[Any]) -> Iterable[Any]:
    for dependency in found:
        yield dependency
        yield from _dependencies(dependency.dependencies)


_SECURITY_SCHEMES = {
    "jetonMembre": {
        "type": "http", "scheme": "bearer", "bearerFormat": "<membre>.<secret>",
        "description": "Le jeton d'API du membre (capactif members load) ; « dpo:<membre>.<secret> » "
                       "pour un identifiant de DPO.",
    },
    "signatureRfc9421": {
        "type": "apiKey", "in": "header", "name": "Signature",
        "description": "Signature RFC 9421 (Ed25519) : en-têtes Signature-Input, Signature et "
                       "Content-Digest (RFC 9530), couvrant @method, @path, @query (cible brute) et "
                       "content-digest ; paramètres created, nonce, keyid. Voir docs/protocol.md "
                       "et ses vecteurs de test.",
    },
}


def answer(model: type[BaseModel], *error_statuses: int, status: int = 200,
           description: str = "Réponse") -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: its typed answer, then the error envelope on each status."""
    return {status: {"model": model, "description": description}, **errors(*error_statuses)}
