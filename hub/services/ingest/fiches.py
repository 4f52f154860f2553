"""Reading fiches back."""

from __future__ import annotations

from typing import Any

import orjson

from hub.bootstrap import Hub
from hub.errors import DataErased, Forbidden, NotFound
from hub.services.accounts.auth import Caller
from hub.services.audit import trail as audit


def read_own_fiche(hub: Hub, caller: Caller, member_id: str, fiche_id: str) -> dict[str, Any]:
    """The current version of a fiche, for the member that owns it."""
    if member_id != caller.member_id:
        raise Forbidden(
            "Seul le membre propriétaire lit ses fiches par cette route ; les autres membres "
            "reçoivent les fiches par leur flux.",
            "Only the owning member reads its fiches by this route; other members receive "
            "fiches through their feed.",
        )
    with hub.uow() as uow:
        row = uow.fiches.get(member_id, fiche_id)
    if row is None:
        raise NotFound("Fiche inconnue.", "Unknown fiche.")
    if row.payload is None:
        raise DataErased("Cette fiche a été effacée à la demande du porteur.",
                         "This fiche was erased at the porteur's request.")
    document = orjson.loads(row.payload)
    audit.record(hub, [audit.event(hub, "api_read", caller.member_id, porteur_id=row.porteur_id,
                                   fiches=[(member_id, fiche_id)], fields=("$",))])
    return {
        "membre": row.member_id,
        "fiche_id": row.fiche_id,
        "version": row.current_version,
        "porteur_id": row.porteur_id,
        "processed": row.processed_version == row.current_version,
        "fiche": document,
    }
