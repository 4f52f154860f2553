"""Need-to-know for what surrounds the fiches (docs/protocol.md, "Need-to-know").

A member learns of a fiche, a consent or a member's relation with a porteur only when
the hub sent it something under it: the rules below decide who may read a consent, its
acknowledgements and an erasure, and which sources a notice may name to its recipient.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from consent.api import HUB_ACTOR, ConsentRecord
from hub.services.accounts.auth import Caller
from hub.store.uow import UnitOfWork

NETWORK_DPO, MEMBER_DPO = "reseau", "membre"  # hub.services.accounts.dpo's scopes


def sent_under(uow: UnitOfWork, record: ConsentRecord | None,
               member_id: str) -> tuple[bool, str | None]:
    """(whether `member_id` is the collector or was sent data under the consent and may
    still be served it, the porteur of the consent's fiche). A member that erased its data
    of the porteur at the porteur's request is no longer served what it was sent before
    (hub.store.delivery_repository's `_forgotten`): it reads the consent no more than the
    data. For no consent (an unknown id), False after the same statements: an answer's
    time must not tell that a consent exists, nor that its fiche is still held."""
    owner, fiche_id = (record.member_id, record.fiche_id) if record else ("", "")
    fiche = uow.fiches.porteur_of(owner, fiche_id)
    pk = fiche.id if fiche else 0  # no fiche's
    served = pk in uow.deliveries.still_served(member_id, [pk])
    return record is not None and (owner == member_id or served), \
        fiche.porteur_id if fiche else None


def consent_document(record: ConsentRecord, now: Any, *, reader: str, sent: bool,
                     actors: set[str]) -> dict[str, Any]:
    """The consent as `reader` sees it, on every path that shows one to a member (a read,
    a list, a withdrawal's answer, a consent posted again, the receipt the collector
    signs): a member the consent names but that was never sent data under it does not
    learn which fiche (nor which reference) it covers; the proof's value (the evidence of
    collection, a text that may name the person) is the collector's alone, every other
    reader reads its type; a change of its history made by anyone not in `actors` reads
    without `par` (`actors_told`)."""
    document = record.as_document(now)
    if not sent:
        for hidden in _FICHE_REFERENCES:
            document.pop(hidden, None)
    if reader != record.member_id:
        document["preuve"] = {"type": document["preuve"]["type"]}
    for change in document["historique"]:
        if change["par"] not in actors:
            del change["par"]
    return document


def actors_told(reader: str, record: ConsentRecord,
                named_to_collector: Callable[[set[str]], set[str]]) -> set[str]:
    """Whose changes of the consent `reader` is told the author of (`par`): its own; the
    collector also those of the members privacy.discretion names to it
    (`named_to_collector`). Every other change reads the same whoever made it (the
    collector, the hub, another member), so that a change without `par` does not tell that
    a third member made it: a member that withdrew the consent relayed the porteur's
    request, it was sent data under it or is named by it, a relation with the person that
    the other readers may not learn (docs/privacy.md, "who withdrew a consent")."""
    told = {reader}
    others = {change.by for change in record.history} - {reader, HUB_ACTOR}
    if reader == record.member_id and others:
        told |= named_to_collector(others)
    return told


_FICHE_REFERENCES = ("fiche_id", "reference")


def audits(caller: Caller, member_id: str) -> bool:
    """True when the caller is a DPO whose scope covers `member_id`'s records."""
    return caller.dpo_scope == NETWORK_DPO or (
        caller.dpo_scope == MEMBER_DPO and caller.member_id == member_id)


def knows_porteur(uow: UnitOfWork, member_id: str, porteur_id: str,
                  fiches: Iterable[Any]) -> bool:
    """The member owns one of the porteur's fiches or was sent something about it."""
    return any(f.member_id == member_id for f in fiches) or \
        member_id in uow.deliveries.recipients_of_porteur(porteur_id)


def sources_for(recipient_id: str, fiches: list[Any], received: dict[int, set[str]],
                sent: Mapping[tuple[int, str], list[str]], *,
                porteurs: bool = False) -> list[dict[str, Any]]:
    """The fiches a notice may name to `recipient_id`: its own and those it was sent, each
    with the ids of the deliveries of it made for `recipient_id` (`sent`, by (fiche pk,
    recipient)): what the notice reaches, none of what a later delivery brings. With
    `porteurs` (a notice naming no porteur: a batch spanning several), each with its
    porteur's id, which the recipient's own fiche or its delivery told it."""
    return [{"membre": f.member_id, "fiche_id": f.fiche_id,
             "livraisons": sent.get((f.id, recipient_id), []),
             **({"porteur_id": getattr(f, "porteur_id", None)} if porteurs else {})}
            for f in fiches
            if f.member_id == recipient_id or recipient_id in received.get(f.id, ())]
