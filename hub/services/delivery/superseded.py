"""Superseded consents: one an earlier version of a fiche cited, while its current version
cites another (the consent in force). A superseded consent no longer lets anything be
pushed (`consent_superseded`), and is not `utilisable` in the lookup (docs/privacy.md,
"The consent in force"). Only the collector reads its own consents: it alone learns the
newer reference.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from consent.api import ConsentRecord
from hub.bootstrap import Hub
from hub.errors import ConsentSuperseded

SUPERSEDED = ConsentSuperseded.code


def superseding(hub: Hub, member_id: str,
                records: Iterable[ConsentRecord]) -> dict[str, ConsentRecord]:
    """{id of each superseded record: the consent in force that superseded it}, among
    `records` of the member's fiches (one query; the fiche's versions read only for a
    record its current version does not cite)."""
    wanted = [r for r in records if r.member_id == member_id]
    found: dict[str, ConsentRecord] = {}
    if not wanted:
        return found
    with hub.read_uow() as uow:  # on SQLite, no turn among the writers
        in_force = uow.fiches.consents_in_force(member_id, [r.fiche_id for r in wanted])
        for record in wanted:
            fiche_pk, current = in_force.get(record.fiche_id, (None, None))
            if fiche_pk is None or not current or current == record.id:
                continue  # no version yet, one pushed before 0053, or the one in force
            newer = hub.consents.in_force(current)
            if newer is not None and record.reference in uow.fiches.references_cited(fiche_pk).values():
                found[record.id] = newer
    return found


def superseded_error(newer: ConsentRecord) -> dict[str, str]:
    """The per-item error of a push citing a superseded consent."""
    return {"code": SUPERSEDED,
            "message_fr": f"Ce consentement est remplacé par le consentement « {newer.reference} », "
                          "cité par la version en cours de la fiche : citez celui-ci, ou "
                          "enregistrez-en un nouveau.",
            "message_en": f"This consent is superseded by consent '{newer.reference}', which "
                          "the fiche's current version cites: cite that one, or record a new one."}


def superseded_by(hub: Hub, record: ConsentRecord, at: dt.datetime) -> list[ConsentRecord]:
    """The consents earlier versions of `record`'s fiche cited, still given at `at` (never
    withdrawn, not past their own end), when `record` is the consent in force: they end with
    it at `at`, so that a later consent does not serve again what was disclosed under them
    (docs/privacy.md, "The consent in force"). One that ended first keeps its own expiry."""
    with hub.read_uow() as uow:
        fiche_pk, current = uow.fiches.consents_in_force(record.member_id, [record.fiche_id]).get(
            record.fiche_id, (None, None))
        if fiche_pk is None or current != record.id:
            return []
        references = {r for r in uow.fiches.references_cited(fiche_pk).values()
                      if r and r != record.reference}
    found = hub.consents.of_references(record.member_id, references)
    return [r for r in found.values()
            if r.fiche_id == record.fiche_id and not r.withdrawn and at < r.expires_at]
