"""Which recipients of its own fiche or consent a member is told of (avis_envoyes of a
deletion, an erasure or a withdrawal, acks, the erasure's status, its DPO's fiche
report). Routing sends a fiche to the members already following its porteur (holding a
fiche of it, or sent something about it): naming such a member would tell the owner
who else follows the person, though that member's own consent may exclude the owner's
role; and leaving out a member the owner knows receives its fiche would tell it just as
much. So a recipient is named exactly when naming it teaches the owner nothing it may
not already see:

- the owner's fiche would have gone to it anyway: its subscription matches the fiche
  (not any subscription: one that does not match is no reason), or the fiche names its
  structure as the porteur's referent;
- or one of its own fiches about the porteur discloses something to the owner's role
  under its own consent (the gate used for the notices).

The coordination and the network's DPO see every recipient; the notices themselves
still go to all. A notice's answer is decided when it is sent and kept with it
(`NoticeAck.named`), so that it does not change once the fiche is gone (`told_of`).

The same gate, without the subscription rule, says which other owners of a porteur's
fiches a member's erasure request may name (`mutual_naming`): to the requester, the
owners asked; to each owner asked, the requester (docs/privacy.md, "Erasure requests")."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from typing import Any

import orjson

from consent.api import NoticeAck
from hub.bootstrap import Hub
from hub.domain.routing import Subscription, referent_structure
from hub.services.audit import trail as audit
from hub.services.delivery.deliveries import bounded_subscriptions, discloses_to

COORDINATION = "coordination"


def named_to_owner(hub: Hub, owner: str, porteur_id: str | None,
                   recipients: Iterable[str]) -> set[str]:
    """The `recipients` of `owner`'s fiche or consent about `porteur_id` it may be told of,
    as the owner's fiches about the porteur stand now (none once they are erased)."""
    return _named(hub, owner, [porteur_id], recipients, coordination_told_all=True)


def named_to_owner_of_any(hub: Hub, owner: str, porteur_ids: Iterable[str | None],
                          recipients: Iterable[str]) -> set[str]:
    """`named_to_owner` for several porteurs at once (the fiches of a batch withdrawal): the
    recipients it may be told of for one of them at least, read in one transaction."""
    return _named(hub, owner, porteur_ids, recipients, coordination_told_all=True)


def named_by_fiches(hub: Hub, owner: str, porteur_id: str | None,
                    recipients: Iterable[str], seen: set[int]) -> set[str]:
    """`named_to_owner` by the fiches alone, for the coordination too, the fiches it sees
    (`seen`) counting as its own: its erasure's answer names a member only when a fiche
    it sees would have gone there anyway, or one of that member's fiches discloses
    something to it (docs/privacy.md, "an erasure asked by the coordination")."""
    return _named(hub, owner, [porteur_id], recipients, coordination_told_all=False, seen=seen)


def _named(hub: Hub, owner: str, porteur_ids: Iterable[str | None], recipients: Iterable[str],
           *, coordination_told_all: bool, seen: AbstractSet[int] = frozenset()) -> set[str]:
    """The `recipients` named for one of `porteur_ids` at least, each porteur judged by
    its own fiches."""
    recipients = set(recipients)
    porteurs = sorted({p for p in porteur_ids if p is not None})
    with hub.uow() as uow:
        member = uow.members.get(owner)
        if coordination_told_all and member is not None and member.role == COORDINATION:
            return recipients
        if not porteurs or member is None:
            return set()
        active = {m.id: m for m in uow.members.active()}
        subscriptions = bounded_subscriptions(uow, active, recipients)
        held = {p: [row.id for row in uow.fiches.of_porteur(p)
                    if row.member_id in recipients | {owner} or row.id in seen]
                for p in porteurs}
        heads = uow.matching.fiche_heads([pk for pks in held.values() for pk in pks])
    now = hub.clock()
    named: set[str] = set()
    for pks in held.values():
        found = [heads[pk] for pk in pks if pk in heads]
        own = [orjson.loads(h.payload) for h in found
               if (h.member_id == owner or h.id in seen) and h.payload]
        anyway = _chosen_anyway(own, subscriptions)
        named |= {m for m in recipients - named if m in anyway or discloses_to(
            hub, [h for h in found if h.member_id == m], owner, member.role, now)}
    return named


def _chosen_anyway(fiches: list[Any], subscriptions: list[Subscription]) -> set[str]:
    """Who routing would send these fiches to whoever follows the porteur."""
    referents = {referent_structure(fiche) for fiche in fiches}
    matching = {s.member for s in subscriptions if any(s.matches(f) for f in fiches)}
    return matching | {r for r in referents if r is not None}


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


def told_of(acks: Iterable[NoticeAck], decide: Callable[[set[str]], set[str]]) -> set[str]:
    """The recipients of these notices their subject's owner is told of: as decided when
    each was sent, or by `decide` now for a notice sent before that was kept."""
    acks = list(acks)
    undecided = {a.recipient_id for a in acks if a.named is None}
    decided_now = decide(undecided) if undecided else set()
    return {a.recipient_id for a in acks if a.named or a.recipient_id in decided_now}


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
