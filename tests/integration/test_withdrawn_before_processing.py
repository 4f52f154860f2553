"""A fiche whose consent is withdrawn while it waits in the outbox is processed without
the network: a porteur of its own, linked to nobody's, never indexed, in no review item
(withdrawn first, it was linked to the porteur of another member's fiche of the person).
Both databases."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hub.services.ingest import processing
from hub.services.privacy import consents, erasure
from hub.store.matching_tables import match_records, review_items
from hub.store.tables import fiches
from tests.factories import record_consents
from tests.integration.dedup_world import (
    CCI,
    COMMUNE,
    PERSON,
    VISIBLE,
    fiche_of,
    hub_in_process,  # noqa: F401  (the `hub` fixture)
    links_of,
    porteur_of,
    push,
)

pytestmark = pytest.mark.integration


def _pushed_unprocessed(hub, porteur):
    later = fiche_of(COMMUNE, "A-1", porteur)
    [record] = record_consents(hub, [later])
    return push(hub, COMMUNE, later, consent=False, process=False), record


def _pk(hub, caller, fiche_id):
    with hub.uow() as uow:
        return uow.fiches.porteur_of(caller.member_id, fiche_id).id


def _rows_of(hub, table, *columns):
    pk = _pk(hub, COMMUNE, "A-1")
    with hub.uow() as uow:
        return list(uow.connection.execute(sa.select(table).where(
            sa.or_(*(column == pk for column in columns)))))


@pytest.mark.parametrize("porteur", [PERSON, VISIBLE])
def test_a_fiche_withdrawn_before_it_is_processed_gets_a_porteur_of_its_own(hub, porteur):
    push(hub, CCI, fiche_of(CCI, "C-1", PERSON))
    ids, record = _pushed_unprocessed(hub, porteur)
    consents.withdraw_consent(hub, COMMUNE, record.id)
    processing.process_outbox(hub, ids)
    assert porteur_of(hub, COMMUNE, "A-1") not in (None, porteur_of(hub, CCI, "C-1"))
    assert [link.method for link in links_of(hub, COMMUNE, "A-1")] == ["new"]
    assert _rows_of(hub, match_records, match_records.c.fiche_pk) == []
    assert _rows_of(hub, review_items, review_items.c.fiche_pk,
                    review_items.c.candidate_fiche_pk) == []


def test_a_fiche_still_consented_when_processed_is_linked_as_before(hub):
    push(hub, CCI, fiche_of(CCI, "C-1", PERSON))
    ids, _record = _pushed_unprocessed(hub, PERSON)
    processing.process_outbox(hub, ids)
    assert porteur_of(hub, COMMUNE, "A-1") == porteur_of(hub, CCI, "C-1")
    assert len(_rows_of(hub, match_records, match_records.c.fiche_pk)) == 1


def test_a_fiche_apart_erased_before_its_next_version_is_processed_keeps_its_porteur(hub):
    push(hub, CCI, fiche_of(CCI, "C-1", PERSON))
    ids, record = _pushed_unprocessed(hub, PERSON)
    consents.withdraw_consent(hub, COMMUNE, record.id)
    processing.process_outbox(hub, ids)
    apart = porteur_of(hub, COMMUNE, "A-1")
    second = fiche_of(COMMUNE, "A-1", PERSON, version=2)
    second["consentement"] = {**second["consentement"],
                              "reference": second["consentement"]["reference"] + "b"}
    record_consents(hub, [second])
    pending = push(hub, COMMUNE, second, consent=False, process=False)
    erasure.request_erasure(hub, COMMUNE, {"fiche_id": "A-1"})
    processing.process_outbox(hub, pending)
    with hub.uow() as uow:
        rows = uow.connection.execute(sa.select(fiches.c.porteur_id, fiches.c.processed_version)
                                      .where(fiches.c.fiche_id == "A-1")).all()
    assert [tuple(row) for row in rows] == [(apart, 2)]
