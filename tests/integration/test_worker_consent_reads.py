"""A worker transaction reads its fiches' consents once: the consents their versions
cite, read under the fiches' locks (`consent_gate.cited_consents`), also decide the
deliveries it plans. It read them a second time to plan (`ConsentRegistry.prefetch`, by
fiche), two statements each on a connection of its own (bench/_profile_worker.py, 3,000
fiches: the reads, their rows made records and the cache's puts some 0.1 ms of worker
CPU a fiche, a tenth of it). On both databases."""

from __future__ import annotations

import re

import pytest

from hub.services.delivery.feed import read_feed
from hub.services.ingest import processing
from hub.services.privacy import consents
from tests.integration.dedup_world import (
    CCI,
    PFIL,
    fiche_of,
    push,
    world_in_process,  # noqa: F401  (the `world` fixture)
)
from tests.integration.statements import statements_sent
from tests.integration.test_lock_table_use import strangers

pytestmark = pytest.mark.integration

_READS_CONSENTS = re.compile(r"\bFROM consents\b")


def test_a_worker_transaction_reads_its_fiches_consents_once_and_plans_from_them(world):
    hub, _clock = world
    fiches = [fiche_of(CCI, f"K-{i}", person) for i, person in enumerate(strangers(4, 0))]
    queued = push(hub, CCI, *fiches, process=False)
    with statements_sent(hub.engine, _READS_CONSENTS.search) as reads:
        assert processing.process_outbox(hub, queued).claimed == 4
    assert len(reads) == 1, reads
    sent = read_feed(hub, PFIL, 0, 100)["deliveries"]
    assert sorted(d["source"]["fiche_id"] for d in sent) == [f"K-{i}" for i in range(4)]


def test_a_version_whose_consent_was_withdrawn_before_processing_plans_nothing(world):
    """The one read is the consents as they are under the fiches' locks: a withdrawal
    committed before sends nothing, and the other fiches of the batch still go."""
    hub, _clock = world
    fiches = [fiche_of(CCI, f"W-{i}", person) for i, person in enumerate(strangers(3, 10))]
    queued = push(hub, CCI, *fiches, process=False)
    withdrawn = hub.consents.consent_for_fiche(CCI.member_id, "W-1", "CST-W-1")
    consents.withdraw_consent(hub, CCI, withdrawn.id)
    assert processing.process_outbox(hub, queued).claimed == 3
    sent = read_feed(hub, PFIL, 0, 100)["deliveries"]
    assert sorted(d["source"]["fiche_id"] for d in sent) == ["W-0", "W-2"]
