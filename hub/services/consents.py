"""Consents through the API: record, read (collector and relying members), withdraw
with its fan-out to every member that received the porteur's data, receipts, acks."""

from __future__ import annotations

import datetime as dt
from typing import Any

from consent.model import ConsentRecord, NoticeKind
from consent.receipts import build_receipt, sign_receipt
from hub.bootstrap import Hub
from hub.errors import ConsentNotFound, Forbidden, NotFound
from hub.services import audit
from hub.services.auth import Caller
from hub.services.notices import add_notices


def record_consent(hub: Hub, caller: Caller, submission: Any) -> dict[str, Any]:
    record = hub.consents.record(submission, caller.member_id)
    audit.record(hub, [audit.event(hub, "consent_change", caller.member_id,
                                   fiches=[(record.member_id, record.fiche_id)])])
    return record.as_document(hub.clock())


def read_consent(hub: Hub, caller: Caller, consent_id: str) -> dict[str, Any]:
    record = _visible(hub, caller, consent_id)
    return record.as_document(hub.clock())


def consent_receipt(hub: Hub, caller: Caller, consent_id: str) -> dict[str, Any]:
    """The signed consent receipt to hand to the porteur (collector only)."""
    record = hub.consents.get(consent_id)
    if record.member_id != caller.member_id:
        raise Forbidden("Seul le membre qui a recueilli le consentement en remet le reçu.",
                        "Only the collecting member hands out the receipt.")
    return sign_receipt(build_receipt(record, hub.clock()), hub.hub_key.private_key,
                        kid=hub.hub_key.key_id)


def porteur_consents(hub: Hub, caller: Caller, porteur_id: str) -> list[dict[str, Any]]:
    with hub.uow() as uow:
        fiche_rows = uow.fiches.of_porteur(porteur_id)
        relying = uow.deliveries.recipients_of_porteur(porteur_id)
    owners = {row.member_id for row in fiche_rows}
    if caller.member_id not in owners | relying:
        raise NotFound("Porteur inconnu.", "Unknown porteur.")
    records = hub.consents.for_porteur((row.member_id, row.fiche_id) for row in fiche_rows)
    return [r.as_document(hub.clock()) for r in records]


def withdraw_consent(hub: Hub, caller: Caller, consent_id: str) -> dict[str, Any]:
    """Record the withdrawal (effective at once), cancel what has not left, and send a
    withdrawal notice to every member that received the porteur's data."""
    _visible(hub, caller, consent_id)
    now = hub.clock()
    if hub.store_keys.journal is not None:  # replayed by a restore from an older backup
        hub.store_keys.journal.withdrawal(consent_id, caller.member_id, now.isoformat(), "withdrawal")
    record = hub.consents.withdraw(consent_id, caller.member_id, now)
    notified = _fan_out(hub, record, "withdrawn", NoticeKind.WITHDRAWAL, now)
    audit.record(hub, [audit.event(hub, "consent_change", caller.member_id,
                                   fiches=[(record.member_id, record.fiche_id)])])
    document = record.as_document(now)
    document["avis_envoyes"] = sorted(notified)
    return document


def replay_withdrawal(hub: Hub, consent_id: str, member_id: str, at: dt.datetime) -> str | None:
    """A restore: withdraw again a consent the restored copy still holds as given."""
    try:
        if hub.consents.get(consent_id).withdrawn:
            return None
    except ConsentNotFound:
        return None  # recorded after the copy: gone with it (its fiches are too)
    record = hub.consents.withdraw(consent_id, member_id, at)
    _fan_out(hub, record, "withdrawn", NoticeKind.WITHDRAWAL, hub.clock())
    return consent_id


def expire_due(hub: Hub) -> int:
    """Apply expiry like a withdrawal: notices to every member that received the data."""
    now = hub.clock()
    expired = hub.consents.expire_due(now)
    for record in expired:
        _fan_out(hub, record, "withdrawn", NoticeKind.EXPIRY, now)
    return len(expired)


def acknowledge_notice(hub: Hub, caller: Caller, consent_id: str) -> dict[str, Any]:
    ack = hub.consents.acknowledge(consent_id, caller.member_id, hub.clock(), NoticeKind.WITHDRAWAL)
    return {"consentement": consent_id, "membre": caller.member_id,
            "statut": ack.status(hub.clock(), hub.settings.notice_ack_delay).value}


def acknowledgements(hub: Hub, caller: Caller, consent_id: str) -> list[dict[str, Any]]:
    _visible(hub, caller, consent_id)
    now = hub.clock()
    delay = hub.settings.notice_ack_delay
    return [{"membre": a.recipient_id, "statut": a.status(now, delay).value}
            for a in hub.consents.acks(consent_id)]


def _fan_out(hub: Hub, record: ConsentRecord, event: str, kind: NoticeKind,
             now: dt.datetime) -> set[str]:
    with hub.uow() as uow:
        fiche = uow.fiches.porteur_of(record.member_id, record.fiche_id)
        if fiche is None or fiche.porteur_id is None:
            uow.commit()
            return set()
        uow.deliveries.cancel_pending([fiche.id], "consent_withdrawn")
        # A delivery being sent right now may have left: its recipient gets the notice too.
        recipients = uow.deliveries.recipients_of_porteur(
            fiche.porteur_id, with_cancelled=True) - {record.member_id}
        members = [m for m in uow.members.all() if m.id in recipients]
        add_notices(uow, members, event=event, subject=record.id, porteur_id=fiche.porteur_id,
                    fiche_pk=fiche.id, now=now, document={
                        "source": {"membre": record.member_id, "fiche_id": record.fiche_id},
                        "consentement": record.id,
                        "demande": "Supprimez les données reçues sur ce porteur et accusez "
                                   "réception.",
                        "accuse_reception": f"/v1/consents/{record.id}/ack"})
        uow.commit()
    for member_id in recipients:
        hub.consents.notice_sent(record.id, member_id, now, kind)
    if recipients:
        hub.publisher.request_dispatch_safely()
    return recipients


def _visible(hub: Hub, caller: Caller, consent_id: str) -> ConsentRecord:
    """The collector and every member relying on the consent (that received data of
    its porteur) may read it; others learn nothing, not even that it exists."""
    record = hub.consents.get(consent_id)
    if record.member_id == caller.member_id:
        return record
    with hub.uow() as uow:
        fiche = uow.fiches.porteur_of(record.member_id, record.fiche_id)
        relying = uow.deliveries.recipients_of_porteur(fiche.porteur_id) if fiche and \
            fiche.porteur_id else set()
    if caller.member_id not in relying:
        raise NotFound("Aucun consentement ne porte cet identifiant.", "No consent has this id.")
    return record
