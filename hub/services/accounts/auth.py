"""Authenticate a member's request: API token, Ed25519 signature (RFC 9421, or the former
scheme during its transition: hub.services.accounts.signatures), freshness, replay. `target` is
the RAW request target, exactly as on the request line."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import hmac
from collections.abc import Iterator, Mapping

from consent.api import as_utc
from hub.bootstrap import Hub
from hub.domain.http_signatures import RequestLine
from hub.domain.protocol import is_fresh
from hub.errors import AuthenticationFailed, BadSignature, HubError, ReplayedRequest, StaleRequest
from hub.keys import load_public_key, verify
from hub.services.accounts.signatures import presented_signature
from hub.services.audit import refusals
from hub.services.audit import trail as audit
from hub.store.deadlines import unanswered
from hub.store.records import Auditor, Member
from hub.store.uow import UnitOfWork

_DPO_PREFIX = "dpo:"  # a DPO credential's token: dpo:<member>.<secret> (hub.services.accounts.dpo)


@dataclasses.dataclass(frozen=True)
class Caller:
    """The authenticated member behind a request."""

    member_id: str
    name: str
    kind: str
    role: str
    dpo_scope: str | None = None  # set when the member's DPO credential was used (hub.services.accounts.dpo)


@dataclasses.dataclass(frozen=True)
class PendingNonce:
    """A signed request's nonce found unseen but not remembered yet: the operation remembers
    it in its own transaction (`remember_within`), one write where there were two (on
    SQLite, one turn among the writers: each waited for the worker's transaction under
    way). `nonce_kept` remembers it alone when the operation fails before."""

    caller: Caller
    nonce: str
    seen_at: dt.datetime

    def remember_within(self, uow: UnitOfWork) -> None:
        """Remember the nonce in `uow`'s transaction, first (a concurrent request signed
        with it waits there on PostgreSQL); ReplayedRequest when one was remembered first."""
        if not uow.nonces.remember(self.caller.member_id, self.nonce, self.seen_at):
            raise _replayed()


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
    caller, _nonce = _checked(hub, headers, method, target, body, source, scheme, defer=False)
    return caller


def authenticate_deferring_nonce(
    hub: Hub, headers: Mapping[str, str], method: str, target: str, body: bytes,
    source: str = "-", scheme: str = "http",
) -> tuple[Caller, PendingNonce]:
    """`authenticate` for an operation that remembers the nonce in its own transaction
    (the push): here the nonce is only found unseen, in a read that takes no writer's
    turn. Run the operation inside `nonce_kept`."""
    caller, nonce = _checked(hub, headers, method, target, body, source, scheme, defer=True)
    assert nonce is not None
    return caller, nonce


@contextlib.contextmanager
def nonce_kept(hub: Hub, pending: PendingNonce, source: str) -> Iterator[None]:
    """Around an operation remembering `pending` in its transaction. A replay met there is
    refused like any (counted for `source`, logged in the member's name); an operation
    failing otherwise has the nonce remembered alone, as when it was remembered before
    the operation: a replay of a refused request is refused too (unless the database
    answered nothing: it would neither remember it nor answer sooner)."""
    try:
        yield
    except ReplayedRequest:
        _refused(hub, source, hub.clock(), [pending.caller])
        raise
    except Exception as exc:
        # The operation's error is the one to tell. A database that answered nothing
        # (stopped, hung) would keep this write waiting a connect timeout more before the
        # 503, and would not remember the nonce either.
        if not unanswered(exc):
            with contextlib.suppress(HubError), hub.uow() as uow:
                uow.nonces.remember(pending.caller.member_id, pending.nonce, pending.seen_at)
                uow.commit()
        raise


def has_credentials(headers: Mapping[str, str]) -> bool:
    """Whether the request presents a token of the expected form (`Bearer <member>.<secret>`),
    which its headers alone tell: without one no signature can pass."""
    try:
        _bearer(headers.get("authorization", ""))
    except AuthenticationFailed:
        return False
    return True


def refuse_without_credentials(hub: Hub, headers: Mapping[str, str], source: str = "-") -> None:
    """`authenticate`'s refusal of a request presenting no token (`has_credentials`), made
    before its body is read, so that the client is not told to send a body only to be
    refused; counted for `source` the same (a source past the limit gets TooManyRefusals).
    Does nothing for a request presenting one: `authenticate` checks it with its body."""
    if has_credentials(headers):
        return
    with _counted(hub, source, []):
        _bearer(headers.get("authorization", ""))


def _checked(
    hub: Hub, headers: Mapping[str, str], method: str, target: str, body: bytes,
    source: str, scheme: str, *, defer: bool,
) -> tuple[Caller, PendingNonce | None]:
    token_holder: list[Caller] = []
    with _counted(hub, source, token_holder):
        checked = _authenticate(hub, headers, method, target, body, token_holder, scheme, defer)
    return checked


@contextlib.contextmanager
def _counted(hub: Hub, source: str, token_holder: list[Caller]) -> Iterator[None]:
    """A source past the refusal limit refused first; an authentication refused within
    counted for `source` (and logged in the member's name once its token checked out)."""
    now = hub.clock()
    refusals.close_windows(hub, now)
    refusals.check_source(hub.refusals, source, hub.settings.auth_refusal_limit, now)
    try:
        yield
    except AuthenticationFailed:
        _refused(hub, source, now, token_holder)
        raise


def _refused(hub: Hub, source: str, now: dt.datetime, token_holder: list[Caller]) -> None:
    hub.refusals.add(source, now)
    if token_holder:
        holder = token_holder[0]
        audit.record(hub, [audit.event(hub, "login", holder.member_id, outcome="denied",
                                       user="dpo" if holder.dpo_scope else None)])


def _off_the_clock(offset: int, window: int) -> StaleRequest:
    """How far and which way the signature's time is off the hub's clock, and the window."""
    way_fr, way_en = ("en avance sur", "ahead of") if offset > 0 else ("en retard sur", "behind")
    return StaleRequest(
        f"Horodatage de la signature (created) {abs(offset)} s {way_fr} l'horloge du hub "
        f"(écart admis : {window} s) : mettez le système à l'heure (NTP) et signez chaque "
        "requête au moment de l'envoyer.",
        f"Signature time (created) {abs(offset)} s {way_en} the hub's clock (accepted: "
        f"{window} s either way): set the system clock (NTP) and sign each request when it "
        "is sent.")


def _authenticate(
    hub: Hub, headers: Mapping[str, str], method: str, target: str, body: bytes,
    token_holder: list[Caller], scheme: str, defer: bool,
) -> tuple[Caller, PendingNonce | None]:
    member_id, secret = _bearer(headers.get("authorization", ""))
    as_dpo = member_id.startswith(_DPO_PREFIX)
    now = hub.clock()
    request = RequestLine(method, scheme, target, headers, body)
    signed = presented_signature(hub.settings, request, member_id, now)
    member_id = member_id.removeprefix(_DPO_PREFIX)
    if not is_fresh(signed.created, int(now.timestamp()), hub.settings.signature_max_skew_s):
        raise _off_the_clock(signed.created - int(now.timestamp()), hub.settings.signature_max_skew_s)
    with hub.read_uow() if defer else hub.uow() as uow:
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
        if defer:
            if uow.nonces.seen(member_id, signed.nonce):
                raise _replayed()
            return caller, PendingNonce(caller, signed.nonce, now)
        if not uow.nonces.remember(member_id, signed.nonce, now):
            raise _replayed()
        uow.commit()
        return caller, None


def _replayed() -> ReplayedRequest:
    return ReplayedRequest(
        "Requête déjà reçue (nonce réutilisé) : signez chaque envoi avec un nonce neuf.",
        "Request already received (nonce reused): sign every send with a fresh nonce.",
    )


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
