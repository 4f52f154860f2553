"""`GET /v1/porteurs/{id}`: a porteur as the caller may see it, and nothing more.

The caller sees its own fiches linked to the porteur (current version) and what was
delivered to it about the porteur (as its feed shows it, consent checked again now).
It never sees other members' fiches it did not receive, nor who else follows the
porteur. DPO credentials serve the audit only (403). A porteur the caller holds no
fiche of and received nothing about is 404, exactly like an unknown id, so porteur ids
are not an oracle.
"""

from __future__ import annotations

from typing import Any

import orjson

from hub.bootstrap import Hub
from hub.errors import NotFound
from hub.services.accounts.auth import Caller
from hub.services.audit import trail as audit
from hub.services.delivery.feed import delivery_items
from hub.services.privacy.information_notices import require_member_credential
from hub.store.records import StoredFiche

MAX_DELIVERIES = 500


def porteur_for(hub: Hub, caller: Caller, porteur_id: str) -> dict[str, Any]:
    require_member_credential(caller)
    with hub.uow() as uow:
        own = uow.fiches.of_porteur(porteur_id, caller.member_id)
        fiches = [uow.fiches.get(row.member_id, row.fiche_id) for row in own]
        delivered = uow.deliveries.delivered_about(caller.member_id, porteur_id, MAX_DELIVERIES)
        sources = uow.fiches.sources_of(
            (r.fiche_pk, r.fiche_version) for r in delivered
            if r.fiche_pk is not None and r.fiche_version is not None)
    if not own and not delivered:
        raise NotFound("Porteur inconnu.", "Unknown porteur.")
    items = delivery_items(hub, caller, delivered, sources)
    audit.record(hub, [audit.event(
        hub, "porteur_view", caller.member_id, porteur_id=porteur_id,
        fiches=[(row.member_id, row.fiche_id) for row in own]
        + [(s.member_id, s.fiche_id) for s in sources.values()],
        fields=sorted({f for r, i in zip(delivered, items, strict=True) if not i.get("retire")
                       for f in r.fields} | ({"$"} if own else set())))])
    return {"porteur_id": porteur_id, "fiches": [_own(row) for row in fiches if row is not None],
            "livraisons": items, "livraisons_tronquees": len(delivered) == MAX_DELIVERIES}


def _own(row: StoredFiche) -> dict[str, Any]:
    return {"membre": row.member_id, "fiche_id": row.fiche_id, "version": row.current_version,
            "efface": row.payload is None,
            "fiche": {} if row.payload is None else orjson.loads(row.payload)}
