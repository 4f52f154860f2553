"""The request-authentication dependency: bounded body, token and signature checks."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from hub.api.bodies import UNPARSED, Refused, checked_if_json
from hub.api.guards import (
    checks_the_query_itself,
    declared_body_only,
    declared_query_only,
    reads_a_body,
)
from hub.api.signatures import raw_target
from hub.app_state import hub_of
from hub.errors import MalformedRequest, PayloadTooLarge, UnsupportedEncoding, UnsupportedMediaType
from hub.services.accounts import credentials
from hub.services.accounts.auth import (
    Caller,
    PendingNonce,
    authenticate,
    authenticate_deferring_nonce,
    has_credentials,
    nonce_kept,
    refuse_without_credentials,
)
from hub.services.accounts.signatures import combined_headers
from hub.services.ops.rate_limits import kind_of


@dataclasses.dataclass(frozen=True)
class Authenticated:
    caller: Caller
    body: bytes
    nonce: PendingNonce | None = None  # set with `keep_nonce` (the push): the route remembers it
    source: str = "-"  # the client address
    # The body as a gate checked it (`authenticated_by_body`), or its `Refused` 400.
    document: Any = UNPARSED


async def read_bounded_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and _declared_size(declared) > limit:
        raise body_too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise body_too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _declared_size(declared: str) -> int:
    """The Content-Length in 0-9 digits (« ² » passed `isdigit` and made `int` fail: a
    500); a length past 18 digits is past any limit."""
    if not (declared.isascii() and declared.isdigit()):
        raise MalformedRequest("En-tête Content-Length invalide : un nombre d'octets en chiffres 0-9.",
                               "Invalid Content-Length header: a number of bytes in digits 0-9.")
    digits = declared.lstrip("0") or "0"  # leading zeros are allowed (RFC 9110 8.6)
    return int(digits) if len(digits) <= 18 else 2**63


def body_too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"Corps de requête trop volumineux (maximum {limit} octets) : découpez le lot.",
        f"Request body too large (maximum {limit} bytes): split the batch.",
    )


@checks_the_query_itself
async def authenticated(request: Request) -> Authenticated:
    """FastAPI dependency: the authenticated member and the exact body it signed; then
    the query's parameters (undeclared or repeated ones refused, `hub.api.guards`)."""
    return await _signed(request)


def is_signed(call: object) -> bool:
    """Whether a dependency is `authenticated` or one made by `authenticated_if` or
    `authenticated_by_body`: its route is signed (the contract says so, hub.api.openapi)."""
    return call is authenticated or call in _GATED


def authenticated_as(gate: Callable[[Caller], object]) -> Callable[[Request], Awaitable[Authenticated]]:
    """`authenticated` for a route only some callers may call: `gate` (raising Forbidden)
    passes before the query is checked, so that such a caller is told 403, not 422."""
    return authenticated_if(lambda caller, _request: gate(caller))


def authenticated_if(
        gate: Callable[[Caller, Request], object]) -> Callable[[Request], Awaitable[Authenticated]]:
    """`authenticated_as` for a route whose 403 depends on what the request asks (a
    member named in the query): `gate` reads the raw request, before the query's checks
    and the parameters' validation."""
    def by_request(caller: Caller, request: Request, _body: bytes) -> Any:
        gate(caller, request)
        return UNPARSED
    return _gated(by_request)


def authenticated_by_body(gate: Callable[[Caller, Any], object], *, keep_nonce: bool = False,
                          ) -> Callable[[Request], Awaitable[Authenticated]]:
    """`authenticated_if` for a route whose 403 depends on what its body names (the member
    of a pushed fiche or of a consent, a porteur to erase): `gate` reads the body parsed
    as JSON read one way (not called when it is not: not JSON, too deep, a name twice,
    which the route refuses), before the query's checks and before the route checks the
    body, so that a caller naming what it may not is told 403, never a 400 or 422 about
    the rest. The checked parse, or its refusal, is kept for the route
    (`Authenticated.document`): the body is parsed and checked once.
    `keep_nonce`: the route remembers the nonce (`_checked`)."""
    def by_body(caller: Caller, _request: Request, body: bytes) -> Any:
        document = checked_if_json(body)
        if not isinstance(document, Refused):
            gate(caller, document)
        return document
    return _gated(by_body, keep_nonce)


# A gate raises Forbidden, and answers the body as it checked it (UNPARSED, Refused).
_Gate = Callable[[Caller, Request, bytes], Any]
_GATED: set[Callable[..., object]] = set()


def _gated(gate: _Gate, keep_nonce: bool = False) -> Callable[[Request], Awaitable[Authenticated]]:
    @checks_the_query_itself
    async def gated(request: Request) -> Authenticated:
        return await _signed(request, gate, keep_nonce)
    _GATED.add(gated)
    return gated


async def _signed(request: Request, gate: _Gate | None = None,
                  keep_nonce: bool = False) -> Authenticated:
    hub = hub_of(request)
    await _refused_by_headers(request)
    body = await read_bounded_body(request, hub.settings.max_body_bytes)
    return await run_in_threadpool(_checked, request, body, gate, keep_nonce)


async def _refused_by_headers(request: Request) -> None:
    """What the headers alone refuse, before the body is read: reading it is what tells a
    client that sent `Expect: 100-continue` to send it (`100 Continue`), and a request
    refused on its headers gets its final answer at once (RFC 9110 10.1.1). A declared
    length past the bound (413), then, for a body announced (a Content-Length above 0, or
    chunked), a type or encoding other than plain JSON (415) on an operation that reads
    one (another's is refused whatever its type, hub.api.guards), then no token (401,
    counted as a refused authentication)."""
    limit = hub_of(request).settings.max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None and _declared_size(declared) > limit:
        raise body_too_large(limit)
    announced = (declared is not None and _declared_size(declared) > 0) or \
        "transfer-encoding" in request.headers
    if announced and reads_a_body(request):
        require_plain_json(request.headers.get("content-type"),
                           request.headers.get("content-encoding"))
    headers = combined_headers(request.headers.items())
    if announced and not has_credentials(headers):
        await run_in_threadpool(refuse_without_credentials, hub_of(request), headers,
                                client_address(request))


def _checked(request: Request, body: bytes, gate: _Gate | None,
             keep_nonce: bool) -> Authenticated:
    """The signature, then the caller's purpose (a DPO credential), rate limit, role
    (`gate`) and query, in that order (a 401 before a 429, a 403 before a 422). With
    `keep_nonce` (the push: one write turn on SQLite instead of two) the route remembers
    the nonce in its own transaction, inside `nonce_kept(hub, auth.nonce, auth.source)`;
    a check failing here remembers it."""
    hub, source = hub_of(request), client_address(request)
    arguments = (hub, combined_headers(request.headers.items()), request.method,
                 raw_target(request), body, source, request.url.scheme)
    if not keep_nonce:
        caller = authenticate(*arguments)
        return Authenticated(caller, body, document=_after_signature(request, caller, body, gate))
    caller, nonce = authenticate_deferring_nonce(*arguments)
    with nonce_kept(hub, nonce, source):
        document = _after_signature(request, caller, body, gate)
    return Authenticated(caller, body, nonce, source, document)


def _after_signature(request: Request, caller: Caller, body: bytes, gate: _Gate | None) -> Any:
    hub = hub_of(request)
    if caller.dpo_scope is not None:  # one purpose per credential (hub.services.accounts.credentials)
        credentials.require_purpose(hub, caller, request.method, request.url.path)
    hub.rate_limits.check(kind_of(request.method, request.url.path), caller.member_id)
    document = UNPARSED if gate is None else gate(caller, request, body)
    declared_query_only(request)
    declared_body_only(request, body)
    return document


def require_plain_json(content_type: str | None, content_encoding: str | None) -> None:
    """A body is JSON in UTF-8, sent as it is (docs/protocol.md): declared otherwise it is
    a 415, never read as JSON whatever its label. No Content-Type is taken as JSON."""
    if content_encoding is not None and content_encoding.strip().lower() not in ("", "identity"):
        raise UnsupportedEncoding(
            "Corps compressé (Content-Encoding) : le hub lit les corps tels qu'envoyés ; "
            "envoyez le JSON sans compression.",
            "Compressed body (Content-Encoding): the hub reads bodies as sent; send the JSON "
            "uncompressed.")
    if content_type is None:
        return
    media, _, parameters = content_type.partition(";")
    media = media.strip().lower()
    named = [(name.strip().lower(), value.strip().strip('"').lower()) for name, _, value in
             (p.partition("=") for p in parameters.split(";")) if name.strip()]
    charset = next((value for name, value in named if name == "charset"), "utf-8")
    repeated = len({name for name, _ in named}) < len(named)  # which one holds is not said
    is_json = media == "application/json" or (media.startswith("application/")
                                              and media.endswith("+json"))
    if not is_json or charset not in ("utf-8", "utf8") or repeated:
        raise UnsupportedMediaType(
            "Corps déclaré autrement qu'en JSON UTF-8 : envoyez-le avec "
            "« Content-Type: application/json ».",
            "Body declared as something other than UTF-8 JSON: send it with "
            "'Content-Type: application/json'.")


def client_address(request: Request) -> str:
    """The peer's address (behind a reverse proxy: configure uvicorn's --forwarded-allow-ips
    so that this is the client's and not the proxy's)."""
    return request.client.host if request.client else "-"
