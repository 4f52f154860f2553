"""Joining the porteurs a new fiche linked together, once the worker's transaction is
committed.

A fiche linking to several porteurs that may be one person with it (`OnlineMatcher.
resolve_new`, `hub.domain.matching.chains`) is linked to the best, with a review item
against each other one: that much commits with the batch, so nothing is lost if the
worker stops before joining them. Then each item still open is decided here, under the
lock of moves (`Porteurs.lock_moves`: the workers' transactions under way finish first,
no coordinator moves fiches meanwhile), as a coordinator's `same` would be: the other
porteur merged into the fiche's (`merges.merge`, its members notified, the merge
audited), if every fiche of the two porteurs, read again, may still be one person
(`may_be_one`) and no fiche of one was judged different from a fiche of the other.
Otherwise (a fiche added or merged meanwhile that says another person, a coordinator's
judgement meanwhile) the item waits for a coordinator. No pair judgement is recorded:
the hub decided, not a person, and retraining learns from people's judgements only.
"""

from __future__ import annotations

from collections.abc import Iterable

from hub.bootstrap import Hub
from hub.domain.matching.chains import may_be_one
from hub.services.audit import trail as audit
from hub.services.matching import merges
from hub.services.matching.online import matching_model

ACTOR = "rapprochement"  # the merge events' and audit entries' actor: the hub's matching


def join_chains(hub: Hub, fiche_pks: Iterable[int]) -> int:
    """Decide the open items of these fiches (`resolve_new`'s `chains`); returns how many
    porteurs were merged."""
    joined = 0
    for fiche_pk in fiche_pks:
        with hub.uow() as uow:
            items = uow.matching.open_items_of(fiche_pk)
        joined += sum(_join(hub, item_id) for item_id in items)
    return joined


def _join(hub: Hub, item_id: int) -> bool:
    now = hub.clock()
    with hub.uow() as uow:
        uow.porteurs.lock_moves()
        item = uow.matching.review_item(item_id)
        if item is None or item.status != "open" or item.porteur_id == item.candidate_porteur_id:
            return False
        sides = [item.porteur_id, item.candidate_porteur_id]
        fiches = uow.matching.fiches_of(sides)
        held = uow.matching.records_of_porteurs(sides)
        if uow.matching.judged_different(*(fiches[side] for side in sides)) or \
                not may_be_one([r.record for r in held], matching_model(hub)) or \
                not uow.matching.close_review(item_id, "same", ACTOR, now):
            return False
        change = merges.merge(hub, uow, item.porteur_id, item.candidate_porteur_id, actor=ACTOR,
                              item_id=item_id, now=now)
        uow.commit()
    audit.record(hub, [audit.event(hub, "merge", ACTOR, porteur_id=item.porteur_id,
                                   fiches=change.moved)])
    if change.notified:
        hub.publisher.request_dispatch_safely()
    return True
