"""Erasure (GDPR art. 17) by crypto-shredding, and a member's removal of its own fiche.

Each member is controller of its own fiches: a member's request erases its own fiches of
the porteur, and asks the other owners to erase theirs (hub.services.privacy.
owner_requests, answered in hub.services.privacy.erasure_requests); the coordination's
request erases every fiche of the porteur (the network's decision).

Erasing destroys the data keys of the fiches concerned: their versions, and every
delivery that disclosed their fields, become unreadable wherever a copy lies. What
remains is pseudonymous: porteur and fiche ids and the audit trail (not the versions'
statistics: one person's amounts and project beside the fiche's ids). Deliveries that
have not left are cancelled; every member that received (or may have received) the
data gets an `erased` notice asking it to delete its copy, tracked like a withdrawal
(pending, acknowledged, overdue): the requester too when it was sent some, or was sent
the porteur's other fiches (no longer served to it since), and an owner in whose name
the coordination erased (a confirmation in the console).

A member removing its own fiche (`DELETE /v1/fiches/...`: the record was deleted in its
own system) is not an erasure requested by the porteur: the notice and the answer say
`motif: retrait_par_le_membre`, and the fiche id is freed (the removed row is renamed
`~retrait~PK`), so the member may push that fiche again later as a new fiche. An erasure
requested by the porteur (`motif: demande_du_porteur`) refuses any later version.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
import secrets
from collections.abc import Callable, Sequence
from typing import Any

import schemas
from consent.api import NoticeKind, as_utc
from hub.bootstrap import Hub
from hub.domain.fiches import MAX_WITHDRAWALS
from hub.errors import AlreadyErased, BadRequest, Forbidden, NotFound, StoreUnavailable
from hub.journal import fiche_digest
from hub.keyring import bucket_of
from hub.services.accounts.auth import Caller
from hub.services.audit import trail as audit
from hub.services.delivery.deliveries import discloses_to
from hub.services.delivery.notices import add_notices
from hub.services.matching.forgetting import forget_identities
from hub.services.privacy import ack_status, erasure_retries, owner_requests
from hub.services.privacy.discretion import (
    named_by_fiches,
    named_to_owner,
    named_to_owner_of_any,
    told_of,
)
from hub.services.privacy.key_rotation import final_erasure
from hub.services.privacy.need_to_know import NETWORK_DPO, audits, sources_for
from hub.store.records import Erasure
from hub.store.uow import UnitOfWork

PORTEUR, FICHE = "porteur", "fiche"
ERASED = "erased"
_REASONS = {  # scope -> (motif, what the notified members read)
    PORTEUR: ("demande_du_porteur", "Le porteur a demandé l'effacement de ses données : "
              "supprimez celles que vous avez reçues et accusez réception."),
    FICHE: ("retrait_par_le_membre", "Le membre a retiré cette fiche du réseau (elle a été "
            "supprimée dans son propre système) ; ce n'est pas une demande du porteur : "
            "supprimez les données reçues de cette fiche et accusez réception."),
}
_COORDINATION = "coordination"


def require_may_name_porteur(caller: Caller, body: Any) -> None:
    """403 for a member (not the coordination) naming a porteur by id (`porteur_id`),
    whatever else the body holds: decided from the body as sent, before its other checks."""
    if isinstance(body, dict) and "porteur_id" in body and caller.role != _COORDINATION:
        raise Forbidden("Seule la coordination efface un porteur par son identifiant ; "
                        "un membre nomme l'une de ses fiches.",
                        "Only the coordination erases a porteur by id; a member names "
                        "one of its fiches.")


def request_erasure(hub: Hub, caller: Caller, body: Any) -> dict[str, Any]:
    """Erase a porteur's data: named by one of the caller's fiches (`fiche_id`), or by its
    id (`porteur_id`, coordination only); a member's own fiches at once, the other owners
    asked. `reference` (the request in the member's own system, which may name the
    person) is checked, then not kept: not even a digest, which a guess could be checked
    against."""
    require_may_name_porteur(caller, body)
    if not isinstance(body, dict) or len({"fiche_id", "porteur_id"} & body.keys()) != 1:
        raise BadRequest(
            "Le corps doit être {\"fiche_id\": ...} (une de vos fiches) ou, pour la "
            "coordination, {\"porteur_id\": ...}, avec éventuellement \"reference\".",
            "The body must be {\"fiche_id\": ...} (one of your fiches) or, for the "
            "coordination, {\"porteur_id\": ...}, optionally with \"reference\".")
    reference = body.get("reference")
    if reference is not None and (not isinstance(reference, str) or not 1 <= len(reference) <= 200):
        raise BadRequest("« reference » doit être un texte de 1 à 200 caractères.",
                         "'reference' must be a text of 1 to 200 characters.")
    named = "fiche_id" if "fiche_id" in body else "porteur_id"
    again = erasure_retries.retry_key(hub, caller.member_id, named, body[named])
    for _ in range(_ATTEMPTS):
        target = _fiches_to_erase(hub, caller, body)
        if not target.erased:
            # by this request, unfinished: answered again
            made = erasure_retries.answered_again(hub, again, target.concerned)
            if made is None:
                raise AlreadyErased("Les données de ce porteur sont déjà effacées.",
                                    "This porteur's data is already erased.")
            return made
        asked = owner_requests.plan(hub, caller.member_id, target.porteur_id, target.others)
        try:
            answer = _erase(hub, caller, PORTEUR, target.porteur_id, target.erased,
                            listed=target.listed, then=functools.partial(
                                owner_requests.ask, asked=asked, others=target.others,
                                secret=hub.pseudonym_key, consents=hub.consents),
                            events=owner_requests.audited(hub, caller.member_id,
                                                          target.porteur_id, target.others,
                                                          asked),
                            retry=(again, target.concerned))
        except _FichesMoved:
            continue  # a merge or a worker gave the porteur another fiche: list them again
        if target.others:
            hub.publisher.request_dispatch_safely()  # the notices to the owners asked
        return answer
    raise _FichesMoved.unavailable()


@dataclasses.dataclass(frozen=True)
class _Target:
    """The porteur named by an erasure request: all its fiches (`listed`), those the
    caller's erasure covers (`concerned`: its own, or every one for the coordination),
    those of them erased now (`erased`: none, the porteur's data already erased), and the
    other owners' fiches not erased yet (`others`: their owners are asked)."""

    porteur_id: str | None
    listed: list[Any]
    concerned: list[int]
    erased: list[Any]
    others: list[Any]


def _fiches_to_erase(hub: Hub, caller: Caller, body: dict[str, Any]) -> _Target:
    with hub.uow() as uow:
        if "porteur_id" in body:  # the coordination's (require_may_name_porteur)
            porteur_id = body["porteur_id"]
            listed = uow.fiches.of_porteur(porteur_id) if isinstance(porteur_id, str) else []
            if not listed:
                raise NotFound("Porteur inconnu.", "Unknown porteur.")
        else:
            own = _own_fiche(uow, caller, body["fiche_id"])
            porteur_id = own.porteur_id
            listed = uow.fiches.of_porteur(porteur_id) if porteur_id else [own]
        erased = uow.keys.erased(f.id for f in listed)
    # The coordination decides for the network; a member, as controller of its own
    # fiches only (GDPR art. 17), erases those and asks the other owners (art. 17(2)).
    concerned = listed if caller.role == _COORDINATION else \
        [f for f in listed if f.member_id == caller.member_id]
    mine = [f for f in concerned if f.id not in erased]
    others = [f for f in listed if f.id not in erased and f not in mine] if mine else []
    return _Target(porteur_id, listed, [f.id for f in concerned], mine, others)


def confirmed_erasure(hub: Hub, owner: Caller, porteur_id: str | None, fiches: list[Any],
                      listed: list[Any], check: Callable[..., list[dict[str, Any]]],
                      actor: tuple[str, str | None] | None) -> dict[str, Any]:
    """The owner's `fiches` of the porteur erased on its confirmation of another member's
    request (or the coordination's, `actor`, for it); `check` runs in the erasing
    transaction (the request still waits); the transaction erasing the last fiche the
    request named settles it."""
    try:
        return _erase(hub, owner, PORTEUR, porteur_id, fiches, listed=listed,
                      then=check, actor=actor)
    except _FichesMoved:
        raise _FichesMoved.unavailable() from None


def delete_fiche(hub: Hub, caller: Caller, member_id: str, fiche_id: str) -> dict[str, Any]:
    """The owning member removes one fiche from the network (e.g. the record was deleted in
    its own system): that fiche alone is erased, the porteur's other fiches stay, and the
    fiche id is free to be pushed again."""
    if member_id != caller.member_id:
        raise Forbidden("Un membre ne supprime que ses propres fiches.",
                        "A member deletes only its own fiches.")
    again = erasure_retries.retry_key(hub, caller.member_id, "delete", fiche_id)
    for _ in range(_ATTEMPTS):
        try:
            with hub.uow() as uow:
                fiche = _own_fiche(uow, caller, fiche_id)
                if uow.keys.erased([fiche.id]):
                    raise AlreadyErased("Cette fiche est déjà effacée.",
                                        "This fiche is already erased.")
        except (NotFound, AlreadyErased) as refused:
            # by this request, unfinished: what it finds (the fiche removed, or erased) from it
            found = [fiche.id] if isinstance(refused, AlreadyErased) else []
            made = erasure_retries.answered_again(hub, again, found)
            if made is None:
                raise
            return made
        try:
            return _erase(hub, caller, FICHE, fiche.porteur_id, [fiche], retry=(again, [fiche.id]))
        except _FichesMoved:
            continue  # erased, removed or moved since it was read: read it again
    raise _FichesMoved.unavailable()


# A fiche id as the fiche schema has it: any other text names no fiche of the caller and
# is refused rather than repeated back.
_FICHE_ID = re.compile(schemas.load_schema("fiche")["properties"]["fiche_id"]["pattern"], re.ASCII)
_STATUS_ERASED, _STATUS_REFUSED = "effacee", "refusee"


def withdraw_fiches(hub: Hub, caller: Caller, member_id: str, body: Any) -> dict[str, Any]:
    """The owning member removes several of its fiches at once (`{"fiche_ids": [...]}`, 1
    to `MAX_WITHDRAWALS`, a repeated id answered once): those it holds and not erased are
    erased together, as `delete_fiche` erases one (one erasure: one rotation per bucket,
    one journal entry, one transaction; each recipient one notice naming the fiches it
    was sent), each id answered on its own: `effacee`, or `refusee` with the error the
    single DELETE answers (`not_found`: unknown, or another member's, alike;
    `already_erased`)."""
    if member_id != caller.member_id:
        raise Forbidden("Un membre ne supprime que ses propres fiches.",
                        "A member deletes only its own fiches.")
    named = _withdrawal_ids(body)
    # the same ids in any order are the same request ("An answer lost", as `delete_fiche`)
    again = erasure_retries.retry_key(hub, caller.member_id, "withdrawals", "\n".join(sorted(named)))
    for _ in range(_ATTEMPTS):
        with hub.uow() as uow:
            rows = {i: uow.fiches.porteur_of(caller.member_id, i) for i in named}
            held = {i: row for i, row in rows.items() if row is not None}
            erased = uow.keys.erased(row.id for row in held.values())
        fiches = [row for row in held.values() if row.id not in erased]
        if not fiches:  # nothing left to erase: this request's erasure, if it made one
            made = erasure_retries.answered_again(hub, again, erased)
            if made is not None:
                return _in_order_sent(made, named)
        try:
            done = _erase(hub, caller, FICHE, _one_porteur(fiches), fiches,
                          retry=(again, [f.id for f in fiches] + sorted(erased)),
                          kept=functools.partial(_withdrawn, named, held, erased)
                          ) if fiches else None
        except _FichesMoved:
            continue  # one erased, removed or moved since it was read: read them again
        return _withdrawn(named, held, erased, done)
    raise _FichesMoved.unavailable()


def _withdrawal_ids(body: Any) -> list[str]:
    ids = body.get("fiche_ids") if isinstance(body, dict) and set(body) == {"fiche_ids"} else None
    if (not isinstance(ids, list) or not 1 <= len(ids) <= MAX_WITHDRAWALS
            or not all(isinstance(i, str) and _FICHE_ID.fullmatch(i) for i in ids)):
        raise BadRequest(
            f"Le corps doit être {{\"fiche_ids\": [...]}} : de 1 à {MAX_WITHDRAWALS} "
            "identifiants de vos fiches (ceux du schéma des fiches).",
            f"The body must be {{\"fiche_ids\": [...]}}: 1 to {MAX_WITHDRAWALS} ids of "
            "your fiches (as the fiche schema has them).")
    return list(dict.fromkeys(ids))


def _one_porteur(fiches: list[Any]) -> str | None:
    """The porteur the erasure names: the fiches' own when they share one, else none
    (each notice names its fiches)."""
    porteurs = {f.porteur_id for f in fiches}
    return porteurs.pop() if len(porteurs) == 1 else None


def _in_order_sent(answer: dict[str, Any], named: list[str]) -> dict[str, Any]:
    """A kept answer to a batch sent again, its results in the order of this request
    (the same ids in any order are the same request; each result answers its id)."""
    by_id = {result["fiche_id"]: result for result in answer.get("resultats", ())}
    if set(by_id) != set(named):
        return answer
    return {**answer, "resultats": [by_id[fiche_id] for fiche_id in named]}


def _withdrawn(named: list[str], held: dict[str, Any], erased: set[int],
               done: dict[str, Any] | None) -> dict[str, Any]:
    unknown = NotFound("Vous n'avez pas de fiche portant cet identifiant.",
                       "You have no fiche with this id.")
    gone = AlreadyErased("Cette fiche est déjà effacée.", "This fiche is already erased.")
    results = []
    for fiche_id in named:
        row = held.get(fiche_id)
        refused = unknown if row is None else gone if row.id in erased else None
        results.append({"fiche_id": fiche_id, "statut": _STATUS_ERASED} if refused is None
                       else {"fiche_id": fiche_id, "statut": _STATUS_REFUSED,
                             "error": refused.to_dict()})
    answer = {"effacees": sum(r["statut"] == _STATUS_ERASED for r in results),
              "refusees": sum(r["statut"] == _STATUS_REFUSED for r in results),
              "resultats": results}
    if done is None:
        return {**answer, "effacement": None, "livraisons_annulees": 0, "avis_envoyes": [],
                "termine": True, "reste": None}
    # `termine` and `reste` are known after the commit only: not in the answer kept
    return {**answer, **{k: done[k] for k in (
        "effacement", "livraisons_annulees", "avis_envoyes", "termine", "reste") if k in done}}


def read_erasure(hub: Hub, caller: Caller, erasure_id: str) -> dict[str, Any]:
    """The request and the acknowledgements, on need-to-know: the requester and DPOs
    covering it see what the requester may know (every notice when the coordination named
    the porteur; otherwise the members it sent data to, and the owners asked it may be
    told of), a notified or asked member its own lines."""
    with hub.uow() as uow:
        row = uow.erasures.get(erasure_id)
        requester = row is not None and caller.dpo_scope is None and \
            caller.member_id == row.requested_by
        # Read for an unknown id too (and the notices below): an answer's time must not
        # tell another member that an erasure exists (docs/protocol.md, "Need-to-know").
        asked = uow.erasure_requests.of_erasure(erasure_id)
        if row is not None and (requester or audits(caller, row.requested_by)):
            shown, erased = _known_to_requester(uow, row, caller)
            asked = [a for a in asked if caller.dpo_scope == NETWORK_DPO or a.named_to_requester]
        else:
            shown, erased = {caller.member_id}, None
            asked = [a for a in asked if a.owner_id == caller.member_id]
    acks = [a for a in hub.consents.acks(erasure_id) if a.kind == NoticeKind.ERASURE]
    if row is None or (erased is None and not asked and
                       caller.member_id not in {a.recipient_id for a in acks}):
        raise NotFound("Aucun effacement ne porte cet identifiant.", "No erasure has this id.")
    if erased is not None and caller.dpo_scope != NETWORK_DPO:  # privacy.discretion
        shown = told_of([a for a in acks if shown is None or a.recipient_id in shown],
                        lambda undecided: named_to_owner(hub, row.requested_by, row.porteur_id,
                                                         undecided))
    now, delay = hub.clock(), hub.settings.notice_ack_delay
    answer: dict[str, Any] = {
        "effacement": row.id, "portee": row.scope, "porteur_id": row.porteur_id,
        "demande_le": as_utc(row.requested_at).isoformat(),
        "avis": [{"membre": a.recipient_id, "statut": status}
                 for a, status in ack_status.statuses(hub, acks)
                 if shown is None or a.recipient_id in shown],
        "demandes": owner_requests.lines(asked, row, now, delay, owner_requests.unreached(
            hub, row.id, ack_status.members_left(hub)))}
    if erased is not None:
        answer |= {"demande_par": row.requested_by, "fiches_effacees": erased}
    elif any(a.requester_named for a in asked):  # an owner asked, told who asked
        answer["demande_par"] = row.requested_by
    return answer


def _known_to_requester(uow: UnitOfWork, row: Erasure,
                        caller: Caller) -> tuple[set[str] | None, int]:
    """(members whose notices the requester may see, None for all; fiches it may count)."""
    if row.scope == FICHE or row.porteur_id is None or caller.dpo_scope == NETWORK_DPO:
        return None, row.fiches
    if _requested_as_coordination(uow, row):  # the notices as decided (`told_of`)
        return None, row.fiches if row.fiches_told is None else row.fiches_told
    own = [f.id for f in uow.fiches.of_porteur(row.porteur_id) if f.member_id == row.requested_by]
    received = uow.deliveries.data_recipients(own, with_cancelled=True)
    # what the erasure erased (its own fiches: a member's erasure erases no other), not
    # its fiches of the porteur now (a later one linked to the porteur is not erased)
    return set().union(*received.values(), {row.requested_by}), row.fiches


def _requested_as_coordination(uow: UnitOfWork, row: Erasure) -> bool:
    member = uow.members.get(row.requested_by)
    return member is not None and member.role == _COORDINATION


def acknowledge(hub: Hub, caller: Caller, erasure_id: str) -> dict[str, Any]:
    """A notified member confirms it deleted what it had received."""
    ack = hub.consents.acknowledge(erasure_id, caller.member_id, hub.clock(), NoticeKind.ERASURE)
    return {"effacement": erasure_id, "membre": caller.member_id,
            "statut": ack.status(hub.clock(), hub.settings.notice_ack_delay).value}


def _own_fiche(uow: UnitOfWork, caller: Caller, fiche_id: Any) -> Any:
    row = uow.fiches.porteur_of(caller.member_id, fiche_id) if isinstance(fiche_id, str) else None
    if row is None:
        raise NotFound("Vous n'avez pas de fiche portant cet identifiant.",
                       "You have no fiche with this id.")
    return row


def _record_within(hub: Hub, uow: UnitOfWork, erasure_id: str, notified: list[str],
                   named: set[str] | None, now: dt.datetime) -> None:
    """The notices sent, in the erasure's transaction (the requester told of `named`)."""
    hub.consents.notices_sent_within(
        uow.connection, erasure_id, {m: named is None or m in named for m in notified}, now,
        NoticeKind.ERASURE)


def _journal(hub: Hub, uow: UnitOfWork, erasure: ErasureRecord, fiches: list[Any],
             named: list[str], *, owner_told: bool = False) -> None:
    """Before the commit: a restore from an older backup records this erasure again, with
    the notified members the requester is told of (`named`) and how many of the fiches
    the coordination asking is told of (`fiches_told`): both decided before the erasure,
    which a restore cannot decide again once the fiches are erased; tells again the owner
    the coordination confirmed for (`owner_told`); and asks again the other owners it
    asked (owner_requests.replay). Each fiche, its own and those of the
    owners asked, by its key and a keyed digest of its owner and id: a key the restored
    store holds under another fiche is skipped. With the generations its rotation gave
    its buckets: killed before the commit, its rotation is judged never committed and
    the restore leaves the erasure undone (hub.store.key_replay)."""
    if hub.store_keys.journal is not None:
        erasure_id, now = erasure.id, erasure.requested_at
        pks = [f.id for f in fiches]
        buckets = {str(bucket_of(pk)) for pk in pks}
        rotation = {str(b): g for b, g in uow.keys.generations().items() if str(b) in buckets}
        requests = uow.erasure_requests.of_erasure(erasure_id)
        asked_refs = uow.key_replays.fiche_refs(sorted({pk for r in requests for pk in r.fiche_pks}))
        digests = _digests(hub, [*fiches, *asked_refs])
        asked = [{"owner_id": r.owner_id, "named_to_requester": r.named_to_requester,
                  "requester_named": r.requester_named, "fiche_pks": r.fiche_pks,
                  "fiches": {str(pk): digests[str(pk)] for pk in r.fiche_pks
                             if str(pk) in digests}}
                 for r in requests]
        hub.store_keys.journal.erasure({
            "id": erasure_id, "scope": erasure.scope, "porteur_id": erasure.porteur_id,
            "fiche_pks": pks, "fiches": {str(pk): digests[str(pk)] for pk in pks},
            "rotation": rotation, "requested_by": erasure.requested_by, "at": now.isoformat(),
            "named": sorted(named), **({"asked": asked} if asked else {}),
            **({} if erasure.fiches_told is None else {"fiches_told": erasure.fiches_told}),
            **({"owner_told": True} if owner_told else {})})


def _digests(hub: Hub, fiches: list[Any]) -> dict[str, str]:
    return {str(f.id): fiche_digest(hub.pseudonym_key, f.member_id, f.fiche_id) for f in fiches}


@dataclasses.dataclass(frozen=True)
class ErasureRecord:
    """One erasure as the store keeps it (and as the recovery journal replays it)."""

    id: str
    scope: str
    porteur_id: str | None
    requested_by: str
    requested_at: dt.datetime
    reference_sha256: str | None = None
    fiches_told: int | None = None  # of `fiches`, those the requester is told of (None: all)


@dataclasses.dataclass(frozen=True)
class Recorded:
    """What `record_erasure` did: who was notified, who had received each fiche, and the
    pending deliveries cancelled (of the fiches the requester is told of, and in all)."""

    notified: list[str]
    received: dict[int, set[str]]
    cancelled_own: int
    cancelled: int


def record_erasure(uow: Any, erasure: ErasureRecord, fiches: list[Any], now: dt.datetime, *,
                   secret: bytes, replayed: bool = False,
                   told: set[int] | None = None, owner_told: bool = False) -> Recorded:
    """The bookkeeping of an erasure whose data keys are destroyed, the same when it is
    made and when a restore replays it: matching forgotten, pending deliveries cancelled,
    removed fiches retired, every member concerned notified, the erasure recorded.
    `fiches` are rows with `id`, `member_id` and `fiche_id`; `told`, those the requester
    is told of (None: its own); `owner_told`: the coordination erased them in their
    owner's name (a confirmation in the console), so the owner, the requester, is told
    too."""
    pks = [f.id for f in fiches]
    reason, request = _REASONS[erasure.scope]
    if replayed:
        request = request.removesuffix(".") + " (avis renvoyé après une restauration)."
    uow.matching.forget(pks, now)
    why = "fiche_removed" if erasure.scope == FICHE else "data_erased"
    own = [f.id for f in fiches if f.member_id == erasure.requested_by] if told is None \
        else [pk for pk in pks if pk in told]
    cancelled_own = uow.deliveries.cancel_pending(own, why)
    cancelled = cancelled_own + uow.deliveries.cancel_pending([pk for pk in pks if pk not in own], why)
    uow.fiches.forget_receipts(pks)  # the versions' unkeyed content hashes
    uow.erasure_requests.forget_precisions(pks)  # a refusal's text may name the person
    if erasure.scope == FICHE:
        uow.fiches.retire(pks)
    # The console's index held keyed digests of the identities: gone now, not at the
    # next console request (the next refresh rebuilds what other fiches still show).
    held = [erasure.porteur_id] if erasure.scope == PORTEUR else \
        [getattr(f, "porteur_id", None) for f in fiches]
    porteurs = sorted({p for p in held if p is not None})
    if porteurs:
        uow.porteur_index.marks(lock=True)  # before its rows: a refresh takes them in this order
        uow.porteur_index.forget(porteurs)
    # Whoever was sent data of these fiches (a delivery being sent right now may have
    # left: its recipient counts too; one that erased its own data of the porteur since
    # too, GDPR art. 19), and the fiches' other owners; each notice names only the
    # fiches its recipient owns or was sent. The requester too, as any recipient, when it
    # was sent data of the erased fiches, or of the porteur's others, which its erasure at
    # the porteur's request withholds from it since (`withheld`); and an owner the
    # coordination confirmed for in the console.
    received = uow.deliveries.data_recipients(pks, with_cancelled=True)
    sent = uow.deliveries.data_delivery_ids(pks)
    withheld = _withheld_from_requester(uow, erasure, pks)
    concerned = set().union(*received.values()) | {f.member_id for f in fiches}
    if not (owner_told or withheld or any(erasure.requested_by in r for r in received.values())):
        concerned.discard(erasure.requested_by)
    members = [m for m in uow.members.active() if m.id in concerned]
    notified = add_notices(uow, members, event=ERASED, subject=erasure.id,
                           porteur_id=erasure.porteur_id, fiche_pk=pks[0], now=now,
                           secret=secret,
                           document=lambda member_id: {
                               "effacement": erasure.id, "portee": erasure.scope,
                               "motif": reason,
                               "sources": sources_for(member_id, fiches, received, sent,
                                                      porteurs=erasure.porteur_id is None) +
                               (withheld if member_id == erasure.requested_by else []),
                               "demande": request,
                               "accuse_reception": f"/v1/erasures/{erasure.id}/ack"})
    uow.erasures.add({**dataclasses.asdict(erasure), "fiches": len(pks)})
    return Recorded(notified, received, cancelled_own, cancelled)


def _withheld_from_requester(uow: Any, erasure: ErasureRecord,
                             pks: list[int]) -> list[dict[str, Any]]:
    """The porteur's other fiches, not erased, that the requester of an erasure at the
    porteur's request was sent, with the deliveries of them made for it: no longer served
    to it (`Deliveries._forgotten`: the person asked it to forget them), its notice asks
    it to delete them (a removal of one fiche withholds nothing)."""
    if erasure.scope != PORTEUR or erasure.porteur_id is None:
        return []
    others = [f for f in uow.fiches.of_porteur(erasure.porteur_id) if f.id not in pks]
    erased = uow.keys.erased(f.id for f in others)
    others = [f for f in others if f.id not in erased]
    sent = uow.deliveries.data_delivery_ids([f.id for f in others])
    return [{"membre": f.member_id, "fiche_id": f.fiche_id,
             "livraisons": sent[(f.id, erasure.requested_by)]}
            for f in others if (f.id, erasure.requested_by) in sent]


class _FichesMoved(Exception):
    """The porteur's fiches changed between their listing and the erasing transaction."""

    @staticmethod
    def unavailable() -> StoreUnavailable:
        return StoreUnavailable(
            "Les fiches de ce porteur changent en ce moment (fusions) : réessayez.",
            "This porteur's fiches are changing right now (merges): try again.")


_ATTEMPTS = 3


def _hold_fiches(uow: UnitOfWork, porteur_id: str, pks: list[int]) -> None:
    """Until the commit, no merge, separation or worker moves a fiche into or out of the
    porteur (`Porteurs.lock`); `_FichesMoved` if one did since `pks` were listed (the
    fiche brought in would stay, readable and indexed, in a porteur erased)."""
    uow.porteurs.lock(porteur_id)
    if {f.id for f in uow.fiches.of_porteur(porteur_id)} != set(pks):
        raise _FichesMoved


def _hold_fiche(uow: UnitOfWork, porteur_id: str | None, fiche: Any) -> None:
    """Until the commit, the fiche stays in the porteur under its id; `_FichesMoved` if,
    since it was read, another erasure (the porteur's, or another DELETE) renamed it, a
    merge or separation moved it, or the worker processed it (`porteur_id` None: then
    read again, the erasure erases the porteur the worker resolved, and tells the members
    it routed the fiche to, naming that porteur). A worker transaction under way holds
    the lock of moves shared: this one waits for its commit, and one starting later finds
    the fiche erased (docs/privacy.md, "An erasure racing the worker")."""
    if porteur_id is not None:
        uow.porteurs.lock(porteur_id)
    else:  # not processed yet: no porteur to hold, then no other erasure or move at all
        uow.porteurs.lock_moves()
    now = uow.fiches.porteur_of(fiche.member_id, fiche.fiche_id)
    if now is None or now.id != fiche.id or now.porteur_id != porteur_id:
        raise _FichesMoved


def _named_before_erasure(hub: Hub, caller: Caller, porteur_ids: list[str | None],
                          told: set[int]) -> set[str]:
    """The members the requester may be told of (privacy.discretion) for one of the
    porteurs at least (several: a batch withdrawal), the coordination as a member: its
    erasure reaches every fiche of the person, its answer names only the members it may
    know hold or follow the person."""
    with hub.uow() as uow:
        everyone = {m.id for m in uow.members.all()}
    if caller.role == _COORDINATION:
        return set().union(*(named_by_fiches(hub, caller.member_id, p, everyone, told)
                             for p in porteur_ids))
    return named_to_owner_of_any(hub, caller.member_id, porteur_ids, everyone)


def _told_fiches(hub: Hub, caller: Caller, fiches: list[Any]) -> set[int]:
    """The fiches the requester is told were erased: its own, and for the coordination
    also those the consent + policy gate opens to it (one kept under a consent leaving
    it out, counted, would tell that a member holds a fiche of the person)."""
    own = {f.id for f in fiches if f.member_id == caller.member_id}
    if caller.role != _COORDINATION:
        return own
    with hub.uow() as uow:
        heads = uow.matching.fiche_heads([f.id for f in fiches if f.id not in own])
    now = hub.clock()
    return own | {pk for pk, head in heads.items()
                  if discloses_to(hub, [head], caller.member_id, caller.role, now)}


def _erase(hub: Hub, caller: Caller, scope: str, porteur_id: str | None, fiches: list[Any],
           *, listed: list[Any] | None = None,
           then: Callable[[UnitOfWork, ErasureRecord, dt.datetime], list[dict[str, Any]]]
           | None = None, actor: tuple[str, str | None] | None = None,
           events: Sequence[Any] = (),
           retry: tuple[str | None, list[int]] | None = None,
           kept: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> dict[str, Any]:
    """Erase `fiches` (of `porteur_id`, whose fiches were `listed`); `then` runs in the
    same transaction (asks the other owners, or settles the request being confirmed) and
    answers the requests the caller may see. The answer (as `kept` makes it the caller's)
    is kept in the same transaction under `retry` (the request's key, the fiches it
    names) for the same request again."""
    now = hub.clock()
    by = f"console:{actor[1]}" if actor is not None and actor[1] else caller.member_id
    pks = [f.id for f in fiches]
    # Whom and which fiches the requester is told of, decided while the fiches can still
    # be read (kept with each notice and the erasure: `read_erasure` answers the same).
    told = _told_fiches(hub, caller, fiches)
    porteurs = [porteur_id] if scope == PORTEUR else sorted(
        {f.porteur_id for f in fiches}, key=lambda p: p or "")
    named = _named_before_erasure(hub, caller, porteurs, told)
    erasure = ErasureRecord("eff_" + secrets.token_hex(12), scope, porteur_id, caller.member_id,
                            now, fiches_told=len(told) if caller.role == _COORDINATION else None)
    # A consent's proof given as text may name the porteur: its SHA-256 only, first (the
    # store's own transaction: SQLite lets one writer at a time). Failing, nothing is
    # erased yet and the caller asks again; after, the erasure below purges the freed
    # pages that held it. Never a fiche erased with its proof left in clear.
    hub.consents.forget_proofs((f.member_id, f.fiche_id) for f in fiches)
    try:  # the memory forgets even if a later step fails (workers: `forget_if_erased`)
        # old KEKs destroyed, WAL purged on exit
        with final_erasure(hub) as finish, hub.uow() as uow:
            every = [f.id for f in listed or fiches]
            if scope == PORTEUR and porteur_id is not None:
                _hold_fiches(uow, porteur_id, every)
            else:  # fiches removed, or a porteur named by a fiche not processed yet
                for fiche in sorted(fiches, key=lambda f: (f.porteur_id or "", f.id)):
                    _hold_fiche(uow, fiche.porteur_id, fiche)
            if uow.keys.erased(pks):  # erased meanwhile (two requests, two answers at once)
                raise _FichesMoved
            if scope == FICHE or not set(every) <= set(pks) | uow.keys.erased(every):
                uow.meeting.reanchor(pks)  # the porteur stays: the notes move to another fiche
            else:
                uow.meeting.forget(porteur_id, pks)
            uow.keys.destroy(pks, now, erasure=erasure.id)
            done = record_erasure(uow, erasure, fiches, now, secret=hub.pseudonym_key, told=told,
                                  owner_told=actor is not None)
            named.add(caller.member_id)  # its own notice, if it was sent one
            requests = then(uow, erasure, now) if then is not None else []
            owner_requests.settle_erased(uow, pks, erasure.id, by, now)
            _journal(hub, uow, erasure, fiches, [m for m in done.notified if m in named],
                     owner_told=actor is not None)
            _record_within(hub, uow, erasure.id, done.notified, named, now)
            member, user = actor or (caller.member_id, None)
            # with the erasure, never after it: a process killed in between left an
            # erasure done without its event and its notices unacknowledgeable
            hub.audit.append_within(uow.connection, [
                audit.event(hub, "erasure", member, user=user, porteur_id=held_by,
                            fiches=[(f.member_id, f.fiche_id) for f in of_porteur])
                for held_by, of_porteur in _by_porteur(porteur_id, fiches)] + [*events])
            answer = _answer(erasure, fiches, done, named, told, requests)
            if retry is not None:
                erasure_retries.keep_within(uow, retry[0], erasure.id,
                                            answer if kept is None else kept(answer),
                                            retry[1], now)
            uow.commit()
    finally:
        forget_identities(hub)
    if done.notified:
        hub.publisher.request_dispatch_safely()
    return erasure_retries.told(answer, finish.old_keys_left)


def _by_porteur(porteur_id: str | None, fiches: list[Any]) -> list[tuple[str | None, list[Any]]]:
    """The erased fiches by porteur, for the access log: all under `porteur_id` when the
    erasure names one, else each under its own (a batch spanning porteurs: each porteur's
    trail shows the erasure of its fiches)."""
    if porteur_id is not None:
        return [(porteur_id, fiches)]
    grouped: dict[str | None, list[Any]] = {}
    for fiche in fiches:
        grouped.setdefault(getattr(fiche, "porteur_id", None), []).append(fiche)
    return sorted(grouped.items(), key=lambda item: item[0] or "")


def _answer(erasure: ErasureRecord, fiches: list[Any], done: Recorded, named: set[str],
            told: set[int], requests: list[dict[str, Any]]) -> dict[str, Any]:
    """What the caller is told of the erasure (`termine` aside: known after the commit):
    of the fiches it is told of (`told`), the members it may know were sent them or hold
    one (`named`); nothing of the others' fiches."""
    shown = [f for f in fiches if f.id in told]
    concerned = set().union(*(done.received[f.id] for f in shown)) | {f.member_id for f in shown}
    return {
        "effacement": erasure.id, "portee": erasure.scope, "motif": _REASONS[erasure.scope][0],
        "porteur_id": erasure.porteur_id, "fiches_effacees": len(shown),
        "livraisons_annulees": done.cancelled_own,
        "avis_envoyes": sorted(m for m in done.notified
                               if m == erasure.requested_by or m in concerned & named),
        "demandes": requests}
