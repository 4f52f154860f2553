"""What a complete answer to an access request (GDPR art. 15) needs beyond the access
log: the person's name as the members recorded it, the sources (which member
collected which fiche, when last updated, under which consent, until when kept), and
whether the hub knows this id at all. Reading the names for the report is itself an
access event (`porteur_view` by the DPO, field names only)."""

from __future__ import annotations

from typing import Any

import orjson

from hub.bootstrap import Hub
from hub.errors import HubError
from hub.services.accounts.sessions import ConsoleSession
from hub.services.audit import trail as audit

_NAME_FIELDS = ["porteur.nom", "porteur.prenom"]


def person_and_sources(hub: Hub, session: ConsoleSession, porteur_id: str) -> dict[str, Any]:
    with hub.uow() as uow:
        known = uow.fiche_reads.porteur_known(porteur_id)
        rows = uow.fiche_reads.current(porteur_id) if known else []
    names, sources = [], []
    for row in rows:
        fiche = orjson.loads(row.payload)
        identity = fiche.get("porteur") or {}
        name = " ".join(p for p in (identity.get("prenom"), identity.get("nom")) if p)
        if name and name not in names:
            names.append(name)
        sources.append({"membre": row.member_id, "fiche_id": row.fiche_id,
                        "mis_a_jour_le": fiche.get("mis_a_jour_le"), **_consent(hub, row, fiche)})
    if rows:
        audit.record(hub, [audit.event(
            hub, "porteur_view", session.member, user=session.user_id, porteur_id=porteur_id,
            fiches=[(r.member_id, r.fiche_id) for r in rows], fields=_NAME_FIELDS)])
    return {"connu": known, "noms": names, "sources": sources}


def _consent(hub: Hub, row: Any, fiche: dict[str, Any]) -> dict[str, Any]:
    reference = (fiche.get("consentement") or {}).get("reference")
    try:
        record = hub.consents.consent_for_fiche(row.member_id, row.fiche_id, reference)
    except HubError:
        record = None
    if record is None:
        return {"finalites": [], "conserve_jusqu_au": None, "consentement": None}
    return {"finalites": sorted(record.purposes), "conserve_jusqu_au": record.expires_at,
            "consentement": record.id}
