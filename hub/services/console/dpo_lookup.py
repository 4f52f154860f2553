"""The DPO's first step on an access request: from what the person gives (name, birth
date, e-mail) to the hub's porteur id(s), through keyed digests of every fiche's own
identity (`hub.services.console.porteur_index`), whether or not the coordination may see the
fiches. Logged as a `search` by the DPO (the fields looked into, never the values);
the answer names only ids and the members holding a fiche, never an identity."""

from __future__ import annotations

from typing import Any

from hub.bootstrap import Hub
from hub.domain.search_terms import query_terms, searched_fields
from hub.errors import BadRequest
from hub.services.accounts.sessions import ConsoleSession
from hub.services.audit import trail as audit
from hub.services.console import porteur_index

MAX_MATCHES = 20


def find_person(hub: Hub, session: ConsoleSession, text: str) -> dict[str, Any]:
    terms = query_terms(text)
    if not terms:
        raise BadRequest("Indiquez le nom et le prénom, la date de naissance (JJ/MM/AAAA) "
                         "ou l'adresse e-mail que la personne a donnés.",
                         "Nothing searchable was given.")
    porteur_index.refresh(hub)
    digests = [porteur_index.search_digest(hub, t, porteur_index.DPO) for t in terms]
    with hub.uow() as uow:
        found = uow.porteur_index.holding_all(digests, MAX_MATCHES)
        total = uow.porteur_index.count_holding_all(digests) if len(found) == MAX_MATCHES \
            else len(found)
        holders = uow.porteur_index.fiche_holders(found)
    audit.record(hub, [audit.event(hub, "search", session.member, user=session.user_id,
                                   fields=searched_fields(terms),
                                   outcome="allowed")])
    return {"porteurs": [{"porteur_id": p, "membres": holders.get(p, [])}
                         for p in found],
            "total": total, "trop": total > len(found), "criteres": len(terms)}
