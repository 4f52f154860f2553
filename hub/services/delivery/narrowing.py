"""Narrowing notices: a new version of a fiche citing another consent may leave a member
fewer fields than earlier deliveries gave it (or none). From then on those deliveries are
read through the consent in force (`coverage`); the member is also sent a `narrowed`
notice listing them, whole, to delete (docs/privacy.md, "The consent in force"): the
current version, if it may still have some of it, reaches it as usual.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from hub.bootstrap import Hub
from hub.services.delivery.coverage import coverage
from hub.services.delivery.notices import notice_row
from hub.store.uow import UnitOfWork

NARROWED = "narrowed"


def narrowing_notices(hub: Hub, uow: UnitOfWork, versions: list[Any],
                      members: Mapping[str, Any], now: dt.datetime
                      ) -> dict[str, list[dict[str, Any]]]:
    """The notice rows (no feed position yet) of the processed `versions` that cite
    another consent than the version before them, by recipient."""
    notices: dict[str, list[dict[str, Any]]] = {}
    for version in versions:
        if version.previous is None or _reference(version.previous) == _reference(version.fiche):
            continue
        for member_id, row in narrowed_notices(hub, uow, version, members, now).items():
            notices.setdefault(member_id, []).append(row)
    return notices


def narrowed_notices(hub: Hub, uow: UnitOfWork, version: Any, members: Mapping[str, Any],
                     now: dt.datetime) -> dict[str, dict[str, Any]]:
    """The notice row of one version that narrowed its fiche's consent in force, by
    recipient (the same delivery id each time: a restore sends the same notices again,
    hub.services.delivery.consent_journal)."""
    rows = {}
    for member_id, ids in _no_longer_whole(hub, uow, version.fiche_pk, members).items():
        rows[member_id] = notice_row(
            member_id, bool(members[member_id].webhook_url), event=NARROWED,
            subject=f"{version.fiche_pk}|{version.version}", porteur_id=version.porteur_id,
            fiche_pk=version.fiche_pk, now=now, secret=hub.pseudonym_key, document={
                "source": {"membre": version.owner, "fiche_id": version.fiche_id,
                           "livraisons": ids},
                "demande": "Le consentement en vigueur ne vous ouvre plus ces livraisons "
                           "en entier : supprimez-les. La version en cours vous parvient "
                           "si elle vous est ouverte."})
    return rows


def _no_longer_whole(hub: Hub, uow: UnitOfWork, fiche_pk: int,
                     members: Mapping[str, Any]) -> dict[str, list[str]]:
    """{member: ids of its deliveries of the fiche that are no longer disclosed whole}."""
    reached = [d for d in uow.deliveries.reached_of_fiche(fiche_pk) if d.recipient_id in members]
    sources = uow.fiches.sources_of((d.fiche_pk, d.fiche_version) for d in reached
                                    if d.fiche_pk is not None and d.fiche_version is not None)
    listed: dict[str, list[str]] = {}
    for delivery in reached:
        member, source = members[delivery.recipient_id], delivery.source_in(sources)
        if source is None or not _whole(coverage(hub, delivery, source._replace(
                consent_in_force=None), member.id, member.role)):
            continue  # not the consent in force's doing (a withdrawal, an erasure: their notices)
        if not _whole(coverage(hub, delivery, source, member.id, member.role)):
            listed.setdefault(member.id, []).append(delivery.idempotency_key)
    return listed


def _whole(found: Any) -> bool:
    return bool(found.allowed and found.paths is None)


def _reference(fiche: Mapping[str, Any]) -> str | None:
    return (fiche.get("consentement") or {}).get("reference")
