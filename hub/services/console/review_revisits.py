"""Doubtful pairs are what the meeting should discuss: a pair set aside ("À revoir en
réunion", the decision `unknown`) or judged "Personnes différentes" stays listed and
can be reopened (back in the queue; a "different" judgement is forgotten, so the
pair may be merged after all). Each reopening is logged, naming the account. Each pair
is told as the queue tells it (`duplicates.told_items`): no probability unless its
explanation is told whole, and no name for a side the coordination may not see (the
person's name beside the pair would say that a member holds a fiche of her)."""

from __future__ import annotations

from typing import Any

from hub.bootstrap import Hub
from hub.errors import NotFound
from hub.services.accounts.sessions import ConsoleSession
from hub.services.audit import trail as audit
from hub.services.console.parcours import collect
from hub.services.matching import duplicates
from hub.services.matching.review_reopenings import REOPENABLE, journal_reopening

REVISITABLE = REOPENABLE
PER_PAGE = 50


def revisitable(hub: Hub, session: ConsoleSession, page: int = 1,
                per_page: int = PER_PAGE) -> dict[str, Any]:
    """Page `page` (from 1; past the last, the last) of the pairs to revisit, most
    recently decided first, with how many there are: the oldest stays reachable."""
    reader = duplicates.queue_reader(hub, session.member)  # a pair neither side of which it
    with hub.uow() as uow:  # may see is neither listed nor counted, as in the queue
        total = uow.revisits.count_decided(REVISITABLE, reader)
        pages = max(1, -(-total // per_page))
        page = min(max(1, page), pages)
        rows = uow.revisits.decided(REVISITABLE, per_page, (page - 1) * per_page, reader)
        items_of = uow.matching.reviews_by_id(r.id for r in rows)
    told = duplicates.told_items(hub, items_of, session.member)
    ids = sorted({p for r in rows for p in (r.porteur_id, r.candidate_porteur_id)})
    names = {p.porteur_id: p.name for p in collect(hub, session.member, ids) if p.fiches}
    items = [{"id": r.id, "statut": r.status, "probabilite": told[r.id].probability,
              "decide_le": r.decided_at, "noms": [
                  names.get(porteur) if open_side else None for porteur, open_side in
                  zip((r.porteur_id, r.candidate_porteur_id), told[r.id].consultable,
                      strict=True)]}
             for r in rows]
    return {"items": items, "page": page, "pages": pages, "total": total}


def reopen(hub: Hub, session: ConsoleSession, item_id: int) -> None:
    reader = duplicates.queue_reader(hub, session.member)
    with hub.uow() as uow:  # one it may not know of: as a number that does not exist
        row = uow.revisits.reopen(item_id, REVISITABLE, reader)
        if row is None:
            raise NotFound("Aucun doublon « à revoir » ou « personnes différentes » sous ce "
                           "numéro.", "No set-aside or different item under this number.")
        # a restore from an older copy reopens it again, before a later decision on it
        journal_reopening(hub, uow, item_id, session.member, session.user_id, hub.clock())
        uow.commit()
    audit.record(hub, [audit.event(hub, "review_reopen", session.member, user=session.user_id,
                                   porteur_id=row.candidate_porteur_id)])
