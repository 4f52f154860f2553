"""After an erasure, no process of the hub keeps the erased fiches' identities in memory:
the erasing process forgets at once, a worker (another process, its own `Hub`) at its
next task, whether it is a fiche to match or the periodic sweep."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from hub.bootstrap import Hub
from hub.domain.matching import caches
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from hub.services.privacy import erasure
from hub.store.matching_tables import match_records
from tests.factories import other_porteur, record_consents
from tests.fakes.publisher import RecordingPublisher
from tests.integration.world import OWNER, fiche

pytestmark = pytest.mark.integration


def _push(api: Hub, *documents) -> list[int]:
    record_consents(api, list(documents))
    assert ingest.push_batch(api, OWNER, list(documents))["accepted"] == len(documents)
    return api.publisher.published[-1]


def _sealed_records(hub: Hub) -> list[str]:
    with hub.engine.connect() as conn:
        return [form for (form,) in conn.execute(sa.select(match_records.c.record_form))]


def _matched_twice(hub: Hub, worker: Hub) -> list[str]:
    """One porteur's two fiches matched by `worker` (the second reads the first as a
    candidate): its memos hold their identities. Answers their sealed record forms."""
    processing.process_outbox(worker, _push(hub, fiche("F-1")))
    processing.process_outbox(worker, _push(hub, fiche("F-2")))
    sealed = _sealed_records(hub)
    assert len(sealed) == 2 and len(worker.records) > 0
    assert any(worker.identities.get(form) is not None for form in sealed)
    return sealed


def test_the_erasing_process_keeps_no_normalised_form_of_the_erased_porteur(network):
    hub, _clock, _cci, _pfil = network
    sealed = _matched_twice(hub, hub)

    erasure.request_erasure(hub, OWNER, {"fiche_id": "F-1"})

    assert len(hub.records) == 0
    assert [hub.identities.get(form) for form in sealed] == [None, None]
    assert [cache.cache_info().currsize for cache in caches.PERSONAL] == [0] * len(caches.PERSONAL)


@pytest.mark.parametrize("next_task", ["a fiche to match", "the periodic sweep"])
def test_a_worker_forgets_an_erasure_made_by_another_process_at_its_next_task(network, next_task):
    hub, _clock, _cci, _pfil = network
    worker = Hub.from_settings(hub.settings, publisher=RecordingPublisher(), clock=hub.clock)
    try:
        sealed = _matched_twice(hub, worker)

        erasure.request_erasure(hub, OWNER, {"fiche_id": "F-1"})
        if next_task == "a fiche to match":
            other = fiche("F-3")
            other["porteur"] = other_porteur(3)
            processing.process_outbox(worker, _push(hub, other))
        else:
            processing.sweep_outbox(worker)

        assert [worker.identities.get(form) for form in sealed] == [None, None]
        assert len(worker.records) <= 1  # the new fiche's own identity, if one was matched
    finally:
        worker.close()
