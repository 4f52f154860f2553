"""Which recipients of its own fiche or consent a member is told of (avis_envoyes of a
deletion, an erasure or a withdrawal, acks, the erasure's status, its DPO's fiche
report). Routing sends a fiche to the members already following its porteur: naming
such a member would tell the owner who else follows the person, though that member's
own consent may exclude the owner's role. So a recipient is named (and counted) only
when naming it teaches the owner nothing it may not already see: it holds no fiche of
the porteur, or it has subscriptions (it may have been chosen for them), or one of its
fiches about the porteur discloses something to the owner's role under its own consent
(the gate used for the notices). The coordination and the network's DPO see every
recipient; the notices themselves still go to all.

The same gate, without the subscription rule, says which other owners of a porteur's
fiches a member's erasure request may name (`mutual_naming`): to the requester, the
owners asked; to each owner asked, the requester (docs/privacy.md, "Erasure requests")."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from hub.bootstrap import Hub
from hub.services.audit import trail as audit
from hub.services.delivery.deliveries import discloses_to

COORDINATION = "coordination"


def named_to_owner(hub: Hub, owner: str, porteur_id: str | None,
                   recipients: Iterable[str]) -> set[str]:
    """The `recipients` of `owner`'s fiche or consent about `porteur_id` it may be told of."""
    recipients = set(recipients)
    with hub.uow() as uow:
        member = uow.members.get(owner)
        if porteur_id is None or member is None or member.role == COORDINATION:
            return recipients
        # A subscriber may have been chosen for its subscription: naming it or not would
        # tell whether it holds a fiche of the porteur, so it is always named.
        subscribers = {row.member_id for row in uow.deliveries.subscriptions()}
        pks = [row.id for row in uow.fiches.of_porteur(porteur_id)
               if row.member_id in recipients - subscribers - {owner}]
        heads = list(uow.matching.fiche_heads(pks).values())
    now = hub.clock()
    followers = {head.member_id for head in heads}
    return {m for m in recipients if m not in followers or discloses_to(
        hub, [h for h in heads if h.member_id == m], owner, member.role, now)}


def mutual_naming(hub: Hub, member_id: str, porteur_id: str,
                  owners: Iterable[str]) -> tuple[set[str], set[str]]:
    """(the `owners` of fiches of `porteur_id` that `member_id` may be told hold one, the
    owners that may be told `member_id` holds one): a viewer is told of a holder when one
    of the holder's fiches about the porteur discloses something to the viewer's role
    under its own consent (subscriptions do not count here: an owner was not chosen, it
    holds a fiche); the coordination is told of every one. Erased fiches disclose
    nothing, so this is decided before an erasure, and kept."""
    owners = set(owners)
    with hub.uow() as uow:
        members = {m.id: m for m in uow.members.active()}
        pks = [row.id for row in uow.fiches.of_porteur(porteur_id)
               if row.member_id in owners | {member_id}]
        heads = list(uow.matching.fiche_heads(pks).values())
    now = hub.clock()

    def told(viewer: str, holder: str) -> bool:
        member = members.get(viewer)
        if member is None:  # left the network: told nothing more
            return False
        return member.role == COORDINATION or discloses_to(
            hub, [h for h in heads if h.member_id == holder], viewer, member.role, now)

    return ({o for o in owners if told(member_id, o)},
            {o for o in owners if told(o, member_id)})


def named_for_consent(hub: Hub, record: Any, recipients: Iterable[str]) -> set[str]:
    """`named_to_owner` for the collector of consent `record`; none when its fiche is gone
    (removed by its member: its porteur is no longer known here)."""
    with hub.uow() as uow:
        fiche = uow.fiches.porteur_of(record.member_id, record.fiche_id)
    if fiche is None:
        return set()
    return named_to_owner(hub, record.member_id, fiche.porteur_id, recipients)


def fiche_report(hub: Hub, actor: str, member_id: str, fiche_id: str, *,
                 user: str | None = None) -> dict[str, Any]:
    """The member's (or its DPO's) report on one of its fiches (audit.fiche_report), naming
    only the recipients it may know follow the porteur."""
    report = audit.fiche_report(hub, actor, member_id, fiche_id, user=user)
    with hub.uow() as uow:
        row = uow.fiches.porteur_of(member_id, fiche_id)
    named = named_to_owner(hub, member_id, row.porteur_id if row else None,
                           (r["membre"] for r in report["destinataires"]))
    return {**report, "destinataires": [r for r in report["destinataires"]
                                        if r["membre"] in named]}
