"""The matching index follows the consent the fiche's current version cites: a withdrawal
of an older consent leaves a re-consented fiche a candidate, a version under a valid
consent puts a withdrawn fiche back, and a version processed after its consent was
withdrawn (an outbox task still waiting) leaves nothing in the index. Both databases."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from hub.services.ingest import processing
from hub.services.matching import duplicates
from hub.services.privacy import consents
from hub.store.matching_tables import match_keys, match_records
from tests.factories import record_consents
from tests.integration.dedup_world import (
    CCI,
    COMMUNE,
    COORDINATOR,
    PERSON,
    WAITING_FOR_A_LOCK,
    fiche_of,
    hub_for,
    hub_in_process,  # noqa: F401  (the `hub` fixture)
    pg_hub_for,
    push,
)

pytestmark = pytest.mark.integration


def _version(number: int, reference: str) -> dict:
    fiche = fiche_of(COMMUNE, "A-1", PERSON, version=number)
    return {**fiche, "consentement": {**fiche["consentement"], "reference": reference}}


def _under_consent(hub, fiche, *, process: bool = True):
    [record] = record_consents(hub, [fiche])
    push(hub, COMMUNE, fiche, consent=False, process=process)
    return record


def _indexed(hub) -> int:
    with hub.uow() as uow:
        pk = uow.fiches.porteur_of(COMMUNE.member_id, "A-1").id
        return sum(uow.connection.execute(
            sa.select(sa.func.count()).select_from(table).where(table.c.fiche_pk == pk)
        ).scalar_one() for table in (match_records, match_keys))


def _matched_against_a1(hub) -> bool:
    """A later fiche of the very same person, at the CCI: linked to A-1's porteur or
    paired with A-1 in an open review item."""
    push(hub, CCI, fiche_of(CCI, "C-1", PERSON))
    with hub.uow() as uow:
        a1 = uow.fiches.porteur_of(COMMUNE.member_id, "A-1")
        c1 = uow.fiches.porteur_of(CCI.member_id, "C-1")
    items = duplicates.list_review_items(hub, actor=COORDINATOR.member_id)["items"]
    return a1.porteur_id == c1.porteur_id or bool(items)


def test_an_older_consent_withdrawn_leaves_a_fiche_whose_current_version_cites_another(hub):
    first = _under_consent(hub, _version(1, "CST-A-1"))
    _under_consent(hub, _version(2, "CST-A-1-bis"))
    consents.withdraw_consent(hub, COMMUNE, first.id)
    assert _indexed(hub) > 0
    assert _matched_against_a1(hub)


def test_a_version_under_a_new_consent_puts_a_withdrawn_fiche_back_in_the_index(hub):
    first = _under_consent(hub, _version(1, "CST-A-1"))
    consents.withdraw_consent(hub, COMMUNE, first.id)
    assert _indexed(hub) == 0
    _under_consent(hub, _version(2, "CST-A-1-bis"))
    assert _indexed(hub) > 0
    assert _matched_against_a1(hub)


def test_a_version_processed_after_its_consent_was_withdrawn_is_not_indexed(hub):
    record = _under_consent(hub, _version(1, "CST-A-1"), process=False)
    waiting = hub.publisher.published[-1]  # the outbox task, not yet run
    consents.withdraw_consent(hub, COMMUNE, record.id)
    processing.process_outbox(hub, waiting)
    assert _indexed(hub) == 0
    assert not _matched_against_a1(hub)


def test_an_older_version_processed_late_leaves_nothing_once_its_consent_was_withdrawn(hub):
    record = _under_consent(hub, _version(1, "CST-A-1"))
    waiting = push(hub, COMMUNE, _version(2, "CST-A-1"), consent=False, process=False)
    consents.withdraw_consent(hub, COMMUNE, record.id)
    processing.process_outbox(hub, waiting)
    assert _indexed(hub) == 0
    assert not _matched_against_a1(hub)


@pytest.fixture
def hub_and_clock(db_url, tmp_path):
    yield from hub_for(db_url, tmp_path)


def test_a_version_processed_past_its_consents_end_date_is_not_indexed_before_the_expiry_runs(
        hub_and_clock):
    hub, clock = hub_and_clock
    _under_consent(hub, _version(1, "CST-A-1"), process=False)
    waiting = hub.publisher.published[-1]
    clock.advance(days=366)  # past `expire_le`; `expire_due` has not run
    processing.process_outbox(hub, waiting)
    assert _indexed(hub) == 0


@pytest.fixture
def pg_hub(postgres_url, tmp_path):
    for hub, _clock in pg_hub_for(postgres_url, tmp_path):
        yield hub


def test_a_withdrawal_during_a_workers_transaction_waits_for_it_and_removes_what_it_indexed(pg_hub):
    """PostgreSQL (SQLite has one writer at a time): a worker's transaction has indexed
    A-1 under a consent still in force, and not committed; the withdrawal waits for its
    locks, then takes A-1 out of the index the worker wrote."""
    hub = pg_hub
    record = _under_consent(hub, _version(1, "CST-A-1"), process=False)
    waiting = hub.publisher.published[-1]
    withdrawal = threading.Thread(
        target=consents.withdraw_consent, args=(hub, COMMUNE, record.id))
    with hub.uow() as uow:
        rows = uow.outbox.claim(waiting)
        processing._process_versions(hub, uow, [row.ref_id for row in rows], hub.clock())
        withdrawal.start()
        pause = threading.Event()
        while withdrawal.is_alive():  # until the withdrawal waits for the worker's locks
            with hub.engine.connect() as probe:
                if probe.execute(sa.text(WAITING_FOR_A_LOCK)).scalar():
                    break
            pause.wait(0.05)
        assert withdrawal.is_alive()  # it waits: nothing of the worker's was visible to it
        uow.outbox.mark_processed([row.id for row in rows], hub.clock())
        uow.commit()
    withdrawal.join()
    assert _indexed(hub) == 0
    assert not _matched_against_a1(hub)
