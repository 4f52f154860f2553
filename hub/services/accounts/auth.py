"""Authenticate a member's request: API token, Ed25519 signature (RFC 9421, or the former
scheme during its transition: hub.services.accounts.signatures), freshness, replay. `target` is
the RAW request target, exactly as on the request line."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping

from consent.api import as_utc
from hub.bootstrap import Hub
from hub.domain.http_signatures import RequestLine
from hub.domain.protocol import is_fresh
from hub.errors import AuthenticationFailed, BadSignature, ReplayedRequest, StaleRequest
from hub.keys import load_public_key, verify
from hub.services.accounts.signatures import presented_signature
from hub.services.audit import refusals
from hub.services.audit import trail as audit
from hub.store.records import Auditor, Member

_DPO_PREFIX = "dpo:"  # a DPO credential's token: dpo:<member>.<secret> (hub.services.accounts.dpo)


@dataclasses.dataclass(frozen=True)
class Caller:
    """The authenticated member behind a request."""

    member_id: str
    name: str
    kind: str
    role: str
    dpo_scope: str | None = None  # set when the member's DPO credential was used (hub.services.accounts.dpo)


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def authenticate(
    hub: Hub, headers: Mapping[str, str], method: str, target: str, body: bytes,
    source: str = "-", scheme: str = "http",
) -> Caller:
    """The calling member, or an AuthenticationFailed subclass saying what is wrong.
    Refusals are counted per `source` (the client address) and never believed: a refusal
    is logged in a member's name only once that member's token checked out
    (hub.services.audit.refusals); a source past the limit gets TooManyRefusals (429)."""
    now = hub.clock()
    refusals.close_windows(hub, now)
    refusals.check_source(hub.refusals, source, hub.settings.auth_refusal_limit, now)
    token_holder: list[Caller] = []
    try:
        return _authenticate(hub, headers, method, target, body, token_holder, scheme)
    except AuthenticationFailed:
        hub.refusals.add(source, now)
        if token_holder:
            holder = token_holder[0]
            audit.record(hub, [audit.event(hub, "login", holder.member_id, outcome="denied",
                                           user="dpo" if holder.dpo_scope else None)])
        raise


def _authenticate(
    hub: Hub, headers: Mapping[str, str], method: str, target: str, body: bytes,
    token_holder: list[Caller], scheme: str = "http",
) -> Caller:
    member_id, secret = _bearer(headers.get("authorization", ""))
    as_dpo = member_id.startswith(_DPO_PREFIX)
    now = hub.clock()
    request = RequestLine(method, scheme, target, headers, body)
    signed = presented_signature(hub.settings, request, member_id, now)
    member_id = member_id.removeprefix(_DPO_PREFIX)
    if not is_fresh(signed.created, int(now.timestamp()), hub.settings.signature_max_skew_s):
        raise StaleRequest(
            "Horodatage de la requête hors de la fenêtre admise : vérifiez l'horloge du système.",
            "Request timestamp outside the accepted window: check the system clock.",
        )
    with hub.uow() as uow:
        member = uow.members.get(member_id)
        holder = uow.auditors.get(member_id) if as_dpo and member else member
        public_key = _public_key_of(holder, token_hash(secret), now)
        if public_key is None or member is None or not member.active:
            raise AuthenticationFailed(
                "Identifiants inconnus ou erronés.", "Unknown or wrong credentials."
            )
        caller = Caller(member.id, member.name, member.kind, member.role,
                        holder.scope if isinstance(holder, Auditor) else None)
        token_holder.append(caller)  # from here on, a refusal is attributable
        if not verify(load_public_key(public_key), signed.signature, signed.message):
            raise BadSignature(
                "La signature de la requête ne correspond pas à la clé du membre.",
                "The request signature does not match the member's key.",
            )
        if not uow.nonces.remember(member_id, signed.nonce, now):
            raise ReplayedRequest(
                "Requête déjà reçue (nonce réutilisé) : signez chaque envoi avec un nonce neuf.",
                "Request already received (nonce reused): sign every send with a fresh nonce.",
            )
        uow.commit()
        return caller


def _public_key_of(holder: Member | Auditor | None, presented: str,
                   now: dt.datetime) -> str | None:
    """The public key of the credential whose token was presented: the current one, or
    the one a rotation replaced while its overlap lasts (hub.services.accounts.members.rotate);
    a DPO credential has no overlap."""
    if holder is None:
        return None
    if holder.token_hash and hmac.compare_digest(holder.token_hash, presented):
        return str(holder.public_key)
    if isinstance(holder, Auditor):
        return None
    previous, until = holder.previous_token_hash, holder.previous_valid_until
    if previous and until is not None and now < as_utc(until) and \
            hmac.compare_digest(previous, presented):
        return str(holder.previous_public_key)
    return None


def _bearer(value: str) -> tuple[str, str]:
    scheme, _, token = value.partition(" ")
    member_id, _, secret = token.strip().partition(".")
    if scheme.lower() != "bearer" or not member_id or not secret:
        raise AuthenticationFailed(
            "En-tête Authorization absent ou mal formé : attendu « Bearer <membre>.<secret> ».",
            "Missing or malformed Authorization header: expected 'Bearer <member>.<secret>'.",
        )
    return member_id, secret
