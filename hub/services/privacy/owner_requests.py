"""A member's erasure request put to the other owners of the porteur's fiches.

Each member is controller of its own fiches: a member's `POST /v1/erasures` erases its
own at once, and asks every other owner (GDPR art. 17(2), 19) with an
`erasure_requested` notice, tracked like the other notices (pending, then overdue),
which the owner answers (`hub.services.privacy.erasure_requests`). Who may learn what
is decided here, when the request is made (docs/privacy.md, "Erasure requests"): the
requester is told of an owner asked, and an owner of the requester, only when one of
the other's fiches about the porteur discloses something to it (`mutual_naming`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from typing import Any

from consent.api import ConsentRegistry, NoticeKind, as_utc
from hub.bootstrap import Hub
from hub.journal import fiche_digest
from hub.services.audit import trail as audit
from hub.services.delivery.notices import add_notices, notice_key
from hub.services.privacy.ack_status import LEFT
from hub.services.privacy.discretion import mutual_naming
from hub.store.erasure_repository import CONFIRMED, DECLINED, PENDING
from hub.store.records import Erasure, ErasureRequest
from hub.store.uow import UnitOfWork

EVENT = "erasure_requested"
OVERDUE = "overdue"
_ASK = ("Le porteur a demandé à un membre du réseau l'effacement de ses données. Vous êtes "
        "responsable de vos propres fiches : confirmez l'effacement, ou refusez en donnant le "
        "motif (article 17.3 du RGPD) ; si vous refusez, informez vous-même le porteur de ce "
        "motif (article 12.4). Sans réponse, la coordination du réseau peut confirmer.")


@dataclasses.dataclass(frozen=True)
class Asked:
    """The owners to ask, and who may be named to whom (decided before the erasure)."""

    owners: list[str]
    named_to_requester: set[str]
    requester_named_to: set[str]


def plan(hub: Hub, requester: str, porteur_id: str | None, others: list[Any]) -> Asked:
    """`others`: the other owners' fiches of the porteur not erased yet."""
    owners = sorted({f.member_id for f in others})
    if porteur_id is None or not owners:
        return Asked([], set(), set())
    return Asked(owners, *mutual_naming(hub, requester, porteur_id, owners))


def ask(uow: UnitOfWork, erasure: Any, now: dt.datetime, *, asked: Asked,
        others: list[Any], secret: bytes, consents: ConsentRegistry | None = None,
        replayed: bool = False) -> list[dict[str, Any]]:
    """In the erasing transaction: one request per owner (one who left the network too:
    the coordination may confirm for it) and a notice to each active one, tracked in
    `consents` (when given) in the same transaction: a process killed right after the
    commit leaves no owner asked whose notice no acknowledgement follows. Answers the
    lines the requester may see."""
    if not replayed:  # an owner whose fiches its own request erased meanwhile is not asked
        erased = uow.keys.erased(f.id for f in others)
        others = [f for f in others if f.id not in erased]
        asked = dataclasses.replace(asked, owners=sorted(
            set(asked.owners) & {f.member_id for f in others}))
    if not asked.owners:
        return []
    uow.erasure_requests.add_many([{
        "erasure_id": erasure.id, "owner_id": owner,
        "named_to_requester": owner in asked.named_to_requester,
        "requester_named": owner in asked.requester_named_to,
        "fiche_pks": [f.id for f in others if f.member_id == owner]} for owner in asked.owners])
    members = [m for m in uow.members.active() if m.id in asked.owners]
    active = {m.id for m in members}
    add_notices(uow, members, event=EVENT, subject=erasure.id, porteur_id=erasure.porteur_id,
                fiche_pk=None, now=now, secret=secret, document=lambda member_id: {
                    "effacement": erasure.id, "motif": "demande_du_porteur",
                    "sources": [{"membre": f.member_id, "fiche_id": f.fiche_id}
                                for f in others if f.member_id == member_id],
                    **({"demande_par": erasure.requested_by}
                       if member_id in asked.requester_named_to else {}),
                    "demande": _ASK, "reponse": f"/v1/erasures/{erasure.id}/answer"})
    if consents is not None:
        consents.notices_sent_within(uow.connection, erasure.id, dict.fromkeys(sorted(active)),
                                     now, NoticeKind.ERASURE_REQUEST)
    return [{"membre": o, "statut": PENDING if o in active else LEFT} for o in asked.owners
            if o in asked.named_to_requester]


def replay(uow: UnitOfWork, erasure: Any, entry: dict[str, Any], now: dt.datetime,
           secret: bytes) -> list[str]:
    """A restore from an older backup: the requests the journal's erasure `entry` made are
    made again (pending: an answer given after the backup is asked again, except a
    confirmation, whose own erasure is replayed and confirms it); the active owners
    asked, whose notices go again with the same idempotency key. A fiche the restored
    store holds under a key the entry names but with another owner or id than the one
    asked (its keyed digest differs) is not asked for, nor an owner whose every fiche is
    such a one."""
    rows = [row for row in (_still_the_same(uow, r, secret) for r in entry.get("asked") or [])
            if row["fiche_pks"]]
    if not rows:
        return []
    others = uow.key_replays.fiche_refs(sorted({pk for r in rows for pk in r["fiche_pks"]}))
    ask(uow, erasure, now, others=others, replayed=True, secret=secret, asked=Asked(
        [r["owner_id"] for r in rows],
        {r["owner_id"] for r in rows if r["named_to_requester"]},
        {r["owner_id"] for r in rows if r["requester_named"]}))
    active = {m.id for m in uow.members.active()}
    return [r["owner_id"] for r in rows if r["owner_id"] in active]


def _still_the_same(uow: UnitOfWork, row: dict[str, Any], secret: bytes) -> dict[str, Any]:
    """`row` but the fiches the store holds under another owner or id than the ones asked
    (a key the copy lacks stays, as before; an entry of an earlier release has no
    digests: every fiche, as before)."""
    digests = row.get("fiches")
    if digests is None:
        return row
    held = {ref.id: fiche_digest(secret, ref.member_id, ref.fiche_id)
            for ref in uow.key_replays.fiche_refs(row["fiche_pks"])}
    same = [pk for pk in row["fiche_pks"]
            if held.get(pk, digests.get(str(pk))) == digests.get(str(pk))]
    return {**row, "fiche_pks": same}


def audited(hub: Hub, requester: str, porteur_id: str | None, others: list[Any],
            asked: Asked) -> list[Any]:
    """The access events of the asking (pseudonymous references), written with the
    erasure's own event: the requester's names only the fiches of the owners it may be
    told of (its DPO reads it: the others are neither named nor counted there); each
    owner asked has its own `erasure_request_received`, naming its fiches, so the network
    DPO sees every one."""
    def refs(owners: set[str]) -> list[tuple[str, str]]:
        return [(f.member_id, f.fiche_id) for f in others if f.member_id in owners]

    told = refs(asked.named_to_requester)
    return ([audit.event(hub, "erasure_request", requester, porteur_id=porteur_id, fiches=told)]
            if told else []) + [
        audit.event(hub, "erasure_request_received", owner, porteur_id=porteur_id,
                    fiches=refs({owner})) for owner in asked.owners]


def settle_erased(uow: UnitOfWork, fiche_pks: list[int], erasure_id: str, by: str,
                  now: dt.datetime) -> list[ErasureRequest]:
    """In the transaction erasing `fiche_pks` (by any route: an answer, the owner's own
    request, the coordination's, a `DELETE`, a restore replaying it): a pending request
    is confirmed once every fiche it named is erased, wherever a merge or a separation
    has put them; one naming a fiche still readable stays pending."""
    rows = uow.erasure_requests.pending_naming(fiche_pks)
    erased = uow.keys.erased({pk for r in rows for pk in r.fiche_pks})
    done = [r for r in rows if set(r.fiche_pks) <= erased]
    for row in done:
        uow.erasure_requests.settle(row.erasure_id, row.owner_id, {
            "status": CONFIRMED, "answered_at": now, "answered_by": by,
            "done_erasure_id": erasure_id})
    return done


def lines(rows: Iterable[ErasureRequest], erasure: Erasure, now: dt.datetime,
          delay: dt.timedelta, left: set[str]) -> list[dict[str, Any]]:
    """The requests as `GET /v1/erasures/{id}` shows them (the caller's choice of rows).
    An owner that left the network (`left`: the members no longer active, and those
    never sent this request, asked while they were out and readmitted since) cannot
    answer: its request reads `left`, never waited for nor counted late; the
    coordination confirms for it in the console, or it is followed up outside the hub."""
    return [_line(row, erasure, now, delay, left) for row in rows]


def unreached(hub: Hub, erasure_id: str, left: set[str]) -> set[str]:
    """`left`, and the owners this request's notice was never sent to (out of the network
    when it was made, readmitted since: nothing put it to them). A notice counts as sent
    when it is tracked or when its delivery was committed with the request (both commit
    together; a store written by an earlier release, which tracked the notice after the
    commit, may hold a delivery never tracked: its owner was asked all the same)."""
    sent = {a.recipient_id for a in hub.consents.acks(erasure_id)
            if a.kind == NoticeKind.ERASURE_REQUEST}
    with hub.uow() as uow:
        asked = {r.owner_id for r in uow.erasure_requests.of_erasure(erasure_id)
                 if r.status == PENDING} - sent
        return left | (asked - _notified(uow, hub.pseudonym_key, erasure_id, asked))


def _notified(uow: UnitOfWork, secret: bytes, erasure_id: str, owners: set[str]) -> set[str]:
    """The `owners` whose notice of this request was committed with it (`ask` writes one
    delivery per active owner, under its stable notice key)."""
    keys = {notice_key(secret, owner, erasure_id, EVENT): owner for owner in owners}
    return {keys[key] for key in uow.deliveries.existing_keys(sorted(keys))}


def _line(row: ErasureRequest, erasure: Erasure, now: dt.datetime,
          delay: dt.timedelta, left: set[str]) -> dict[str, Any]:
    status = row.status
    if status == PENDING and row.owner_id in left:
        status = LEFT
    elif status == PENDING and now >= as_utc(erasure.requested_at) + delay:
        status = OVERDUE
    line: dict[str, Any] = {"membre": row.owner_id, "statut": status}
    if row.status == DECLINED:
        line["motif"] = row.motif
        if row.precision:
            line["precision"] = row.precision
    return line

