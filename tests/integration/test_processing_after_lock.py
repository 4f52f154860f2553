"""A worker's transaction reads its fiches' state again once it holds their keys.

Two versions of one new fiche in two workers' transactions: the second meets the keys the
first holds, is put back, then waits for them. Read before the wait, the fiche was still
new: resolved a second time, the transaction failed on the fiche's match record and its
task stopped, its fiches left to the outbox's sweep.
"""

from __future__ import annotations

import threading

import sqlalchemy as sa

from hub.services.ingest import processing
from tests.integration.dedup_world import (
    CCI,
    RETYPED,
    WAITING_FOR_A_LOCK,
    fiche_of,
    porteur_of,
    push,
)
from tests.integration.test_online_matching import pg_world  # noqa: F401 (fixture)

_WAITING = sa.text(WAITING_FOR_A_LOCK)


def _someone_waits_for_a_key(hub) -> bool:
    pause = threading.Event()
    for _ in range(600):
        with hub.engine.connect() as probe:
            if probe.execute(_WAITING).scalar():
                return True
        pause.wait(0.05)
    return False


def test_a_version_that_waited_for_its_fiche_s_keys_refreshes_the_porteur_the_other_created(
        pg_world):  # noqa: F811
    hub, _clock = pg_world
    first = push(hub, CCI, fiche_of(CCI, "C-1", RETYPED), process=False)
    second = push(hub, CCI, fiche_of(CCI, "C-1", {**RETYPED, "prenom": "Marie-Hélène"},
                                     version=2), process=False)
    errors: list[BaseException] = []

    def second_worker() -> None:
        try:
            processing.process_outbox(hub, second)
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    with hub.uow() as uow:  # the first worker: version 1 resolved, its keys held
        version_ids = [row.ref_id for row in uow.outbox.claim(first)]
        _versions, created, later = processing._process_versions(
            hub, uow, version_ids, hub.clock(), wait=False)
        assert (created, later) == (1, set())
        uow.outbox.mark_processed(first, hub.clock())
        worker = threading.Thread(target=second_worker)
        worker.start()
        waited = _someone_waits_for_a_key(hub)
        uow.commit()
    worker.join(timeout=60)
    assert waited, "the second version never waited for the first's keys"
    assert not worker.is_alive()
    assert errors == []
    with hub.uow() as uow:
        assert uow.outbox.pending_count() == 0
        fiche = uow.fiches.porteur_of(CCI.member_id, "C-1")
        assert uow.fiches.states([fiche.id]) == {fiche.id: (porteur_of(hub, CCI, "C-1"), 2)}
