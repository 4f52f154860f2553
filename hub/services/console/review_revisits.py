"""Doubtful pairs are what the meeting should discuss: a pair set aside ("À revoir en
réunion", the decision `unknown`) or judged "Personnes différentes" stays listed and
can be reopened (back in the queue; a "different" judgement is forgotten, so the
pair may be merged after all). Each reopening is logged, naming the account."""

from __future__ import annotations

from typing import Any

from hub.bootstrap import Hub
from hub.errors import NotFound
from hub.services.accounts.sessions import ConsoleSession
from hub.services.audit import trail as audit
from hub.services.console.parcours import collect

REVISITABLE = ("unknown", "different")


def revisitable(hub: Hub, session: ConsoleSession, limit: int = 100) -> list[dict[str, Any]]:
    with hub.uow() as uow:
        rows = uow.revisits.decided(REVISITABLE, limit)
    ids = sorted({p for r in rows for p in (r.porteur_id, r.candidate_porteur_id)})
    names = {p.porteur_id: p.name for p in collect(hub, session.member, ids) if p.fiches}
    return [{"id": r.id, "statut": r.status, "probabilite": r.probability,
             "decide_le": r.decided_at,
             "noms": [names.get(r.porteur_id), names.get(r.candidate_porteur_id)]}
            for r in rows]


def reopen(hub: Hub, session: ConsoleSession, item_id: int) -> None:
    with hub.uow() as uow:
        row = uow.revisits.reopen(item_id, REVISITABLE)
        if row is None:
            raise NotFound("Aucun doublon « à revoir » ou « personnes différentes » sous ce "
                           "numéro.", "No set-aside or different item under this number.")
        uow.commit()
    audit.record(hub, [audit.event(hub, "review_reopen", session.member, user=session.user_id,
                                   porteur_id=row.candidate_porteur_id)])
