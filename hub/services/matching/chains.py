"""Joining the porteurs a new fiche linked together, once the worker's transaction is
committed.

A fiche linking to several porteurs that may be one person with it (`OnlineMatcher.
resolve_new`, `hub.domain.matching.chains`) is linked to the best, with a review item
against each other one: that much commits with the batch, so nothing is lost if the
worker stops before joining them. Then each item still open is decided here, under the
lock of moves, waited for a quarter of a second at most (`Porteurs.lock_moves_within`:
the worker transactions under way finish first, no coordinator moves fiches or judges a
pair `different` meanwhile; still busy, the item waits for a coordinator), as a
coordinator's `same` would be: the other porteur merged into the fiche's
(`merges.merge`, its members notified, the merge audited), if every fiche of the two
porteurs, read again, may still be one person (`may_be_one`: two members' fiches not by
their names alone) and no fiche of one was judged different from a fiche of the other.
Otherwise (a fiche added or merged meanwhile that says another person, a coordinator's
judgement or separation meanwhile: the fiche no longer linked by the worker where the
item says) the item waits for a coordinator.
No pair judgement is recorded: the hub decided, not a person, and retraining learns
from people's judgements only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from hub.bootstrap import Hub
from hub.domain import actors
from hub.domain.matching.chains import may_be_one
from hub.domain.matching.cross_member import flagged
from hub.errors import StoreUnavailable
from hub.services.audit import trail as audit
from hub.services.matching import merges
from hub.services.matching.online import matching_model

ACTOR = actors.MATCHING  # the merge events' and audit entries' actor: the hub's matching
log = logging.getLogger(__name__)
# How long a join waits for the lock of moves (the workers' transactions under way to
# finish): the workers starting meanwhile wait behind it, so at most this long; past it
# the item is left for a coordinator.
JOIN_LOCK_WAIT_MS = 250


def join_chains(hub: Hub, fiche_pks: Iterable[int]) -> int:
    """Decide the open items of these fiches (`resolve_new`'s `chains`); returns how many
    porteurs were merged. A store failure on one item leaves that item open for a
    coordinator and the others are still decided: the worker's batch is committed and
    its task goes on."""
    joined = 0
    for fiche_pk in fiche_pks:
        try:
            with hub.uow() as uow:
                items = uow.matching.open_items_of(fiche_pk)
        except StoreUnavailable:
            log.warning("chain join: open items of fiche %s unread, left for a coordinator",
                        fiche_pk)
            continue
        for item_id in items:
            try:
                joined += _join(hub, item_id)
            except StoreUnavailable:
                log.warning("chain join: review item %s left open (store error)", item_id)
    return joined


def _join(hub: Hub, item_id: int) -> bool:
    """Merge the item's porteurs when, under the lock of moves, the item is as the worker
    left it: its fiche linked by the worker (`auto`: not separated, merged nor moved
    since) and held by the item's porteur, its candidate fiche held by the candidate
    porteur, and every fiche of the two may be one person, none judged apart. The lock
    is waited for `JOIN_LOCK_WAIT_MS` at most: a bridge pauses the workers no longer, and
    a lock still busy leaves the item for a coordinator. A flagged item
    (`cross_member.flagged`) is never joined: a chained fiche's own items are never
    flagged, but a later version of it processed in the same transaction opens its items
    (`OnlineMatcher.refresh`) before the join reads them all."""
    now = hub.clock()
    with hub.uow() as uow:
        if not uow.porteurs.lock_moves_within(JOIN_LOCK_WAIT_MS):
            return False
        item = uow.matching.review_item(item_id)
        if item is None or item.status != "open" or item.porteur_id == item.candidate_porteur_id \
                or flagged(item.explanation):
            return False
        sides = [item.porteur_id, item.candidate_porteur_id]
        fiches = uow.matching.fiches_of(sides)
        if item.fiche_pk not in fiches[item.porteur_id] or \
                item.candidate_fiche_pk not in fiches[item.candidate_porteur_id] or \
                uow.matching.link_method(item.fiche_pk) != "auto":
            return False
        held = uow.matching.records_of_porteurs(sides)
        members = uow.matching.members_of(r.fiche_pk for r in held)
        if uow.matching.judged_different(*(fiches[side] for side in sides)) or \
                not may_be_one([r.record for r in held], matching_model(hub),
                               [members.get(r.fiche_pk) for r in held]) or \
                not uow.matching.close_review(item_id, "same", ACTOR, now):
            return False
        change = merges.merge(hub, uow, item.porteur_id, item.candidate_porteur_id, actor=ACTOR,
                              item_id=item_id, now=now)
        bridge = uow.matching.fiche_heads([item.fiche_pk]).get(item.fiche_pk)
        uow.commit()
    listed = ((bridge.member_id, bridge.fiche_id),) if bridge is not None else ()
    audit.record(hub, [audit.event(hub, "merge", ACTOR, porteur_id=item.porteur_id,
                                   fiches=listed + change.moved)])
    if change.notified:
        hub.publisher.request_dispatch_safely()
    return True

