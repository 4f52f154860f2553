"""Real workers (PostgreSQL, Redis) claim queued outbox rows from the table, beyond the
rows their task names (HUB_WORKER_CLAIM_SIZE): a message only wakes a worker, and two
workers split the queue between them. Nothing accepted is lost or processed twice when
one of them is killed holding a claim."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from capactif_demo.processes import running, start_worker
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.auth import Caller
from hub.services.accounts.members import load_network
from hub.services.ingest import accept as ingest
from hub.services.ingest.processing import pipeline_status
from hub.store.tables import fiche_links
from tests.factories import make_fiche, make_network, other_porteur, record_consents
from tests.fakes.publisher import RecordingPublisher
from tests.integration.scale import scale_store, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

OWNER = Caller("cci-puy-de-dome", "CCI", "cci", "accompagnement")


@pytest.fixture
def scale(tmp_path, postgres_url):
    """Settings of hub processes on a fresh database and Redis, a hub that publishes
    nothing (its pushes stay queued in the outbox) and one that publishes to Redis."""
    with scale_store(postgres_url) as store:
        env = {**store, "HUB_DATA_DIR": str(tmp_path / "data"), "HUB_WORKER_CLAIM_SIZE": "500"}
        quiet = Hub.from_settings(Settings.from_env(env), publisher=RecordingPublisher())
        load_network(quiet, make_network(tmp_path / "network.json", [OWNER.member_id]),
                     tmp_path / "creds")
        publishing = Hub.from_settings(Settings.from_env(env))
        try:
            yield env, quiet, publishing, tmp_path / "logs"
        finally:
            publishing.close()
            quiet.close()


def _push(hub: Hub, count: int, first: int = 0) -> list[int]:
    """The outbox ids of `count` fiches of distinct porteurs, pushed by 100."""
    fiches = [make_fiche(fiche_id=f"F-{first + n}", porteur=other_porteur(first + n))
              for n in range(count)]
    record_consents(hub, fiches)
    for start in range(0, count, 100):
        assert ingest.push_batch(hub, OWNER, fiches[start:start + 100])["accepted"] == \
            len(fiches[start:start + 100])
    return [i for ids in hub.publisher.published for i in ids] \
        if isinstance(hub.publisher, RecordingPublisher) else []


def _processed_once(hub: Hub, count: int) -> bool:
    status = pipeline_status(hub)
    return status["processed"] == count and status["outbox_pending"] == 0


def test_one_message_wakes_a_worker_that_processes_every_queued_fiche(scale):
    env, quiet, publishing, logs = scale
    ids = _push(quiet, 300)  # stored, nothing published
    with running([start_worker({**env, "HUB_OUTBOX_REPUBLISH_AFTER_S": "3600"}, logs,
                               beat=False)]):
        publishing.publisher.publish_outbox(ids[-1:])
        wait_until(lambda: _processed_once(quiet, 300), 120, "300 fiches by one message")
    assert pipeline_status(quiet)["porteurs"] == 300


def test_two_workers_claiming_queued_rows_lose_nothing_when_one_is_killed(scale):
    env, quiet, publishing, logs = scale
    env = {**env, "HUB_OUTBOX_REPUBLISH_AFTER_S": "2", "HUB_SWEEP_INTERVAL_S": "1"}
    _push(publishing, 2400)  # 24 tasks of 100 queued in Redis
    doomed = start_worker(env, logs, "worker-doomed", beat=False)
    with running([start_worker(env, logs, "worker-kept"), doomed]):
        wait_until(lambda: pipeline_status(quiet)["processed"] > 0, 120, "a first claim")
        doomed.kill()  # holding a claim of queued rows, most likely mid-transaction
        assert pipeline_status(quiet)["processed"] < 2400, "done before the kill"
        wait_until(lambda: _processed_once(quiet, 2400), 300, "2400 fiches processed")
    with quiet.uow() as uow:
        links = uow.connection.execute(
            sa.select(fiche_links.c.fiche_pk, sa.func.count()).group_by(fiche_links.c.fiche_pk)
        ).all()
    assert len(links) == 2400 and {n for _pk, n in links} == {1}  # each linked once
    status = pipeline_status(quiet)
    assert (status["fiches"], status["porteurs"], status["versions"]) == (2400, 2400, 2400)


def _workers_beating(hub: Hub) -> int:
    with hub.uow() as uow:
        return sum(beat.kind == "worker" for beat in uow.ops.heartbeats())


def test_a_worker_killed_on_this_host_leaves_the_whole_queue_to_the_survivor_s_claim(scale):
    # The killed worker's heartbeat row counts three intervals (45 s): meanwhile the
    # survivor took half shares of the queue, as if the dead one took the other half.
    env, quiet, publishing, logs = scale
    env = {**env, "HUB_WORKER_CLAIM_SIZE": "1000", "HUB_OUTBOX_REPUBLISH_AFTER_S": "3600"}
    doomed = start_worker(env, logs, "worker-doomed", beat=False)
    with running([start_worker(env, logs, "worker-kept", beat=False), doomed]):
        wait_until(lambda: _workers_beating(quiet) == 2, 120, "two workers beating")
        doomed.kill()  # kill -9 of its session: its heartbeat row stays, fresh
        assert _workers_beating(quiet) == 2
        ids = _push(quiet, 1000)  # stored, nothing published
        publishing.publisher.publish_outbox(ids[-1:])  # one message: one transaction
        wait_until(lambda: pipeline_status(quiet)["processed"] > 0, 120, "its transaction")
        # Its task's row and its share of the queue, committed together (main: 500).
        assert pipeline_status(quiet)["processed"] == 1000
