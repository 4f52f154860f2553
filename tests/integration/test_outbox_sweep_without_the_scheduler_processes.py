"""The outbox sweep outlives the scheduler, with real Celery workers, a Redis of the test's
own and PostgreSQL: only the beat (run inside one worker) swept the outbox, so once that
worker was killed (`kill -9` of its process tree) or frozen (SIGSTOP), fiches accepted
while the broker was away were never published again until it came back, while another
worker ran on. Each worker now sweeps on a timer of its own, taking the sweep's turn in
the store: idle workers sweep once an interval between them, not once each."""

from __future__ import annotations

import json
import time

import pytest

from capactif_demo.processes import running, start_worker
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.members import load_network
from hub.services.ingest.processing import SWEEP_TURN, pipeline_status
from tests.integration.heartbeats import beating_pids
from tests.integration.scale import OwnRedis, scale_store, wait_until
from tests.integration.test_webhook_leases_processes import OWNER, push
from tests.integration.two_workers import freeze, scheduler_and_other

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FICHES = 20
SWEEP_S = 1.0


@pytest.fixture
def world(tmp_path, postgres_url):
    logs = tmp_path / "logs"
    own_redis = OwnRedis(tmp_path, logs)
    with scale_store(postgres_url) as store:
        env = own_redis.settings({
            **store, "HUB_DATA_DIR": str(tmp_path / "data"), "HUB_SWEEP_INTERVAL_S": str(SWEEP_S),
            "HUB_OUTBOX_REPUBLISH_AFTER_S": "1"})
        members = [{"id": OWNER.member_id, "nom": "Mairie", "nature": "commune", "role": "accueil",
                    "contact": {"courriel": "mairie@exemple.fr"}}]
        (tmp_path / "network.json").write_text(json.dumps({"reseau": "t", "membres": members}))
        hub = Hub.from_settings(Settings.from_env(env))  # publishes to the test's own Redis
        load_network(hub, tmp_path / "network.json", tmp_path / "creds")
        yield env, hub, own_redis, logs
        hub.close()


def sweeps(hub: Hub) -> int:
    with hub.uow() as uow:
        return uow.ops.turns_taken(SWEEP_TURN)


@pytest.mark.parametrize("how", ["killed", "frozen"])
def test_fiches_accepted_while_the_broker_was_away_are_processed_once_the_scheduler_s_worker_is_gone(
        world, how):
    env, hub, own_redis, logs = world
    broker = own_redis.start()
    with scheduler_and_other(env, logs, hub) as (scheduler, other):
        push(hub, 0, 1)  # the pipeline flows: the beat's first tasks are behind it
        wait_until(lambda: pipeline_status(hub)["processed"] == 1, 60, "a first fiche processed")
        if how == "killed":
            scheduler.kill()
        else:
            freeze(scheduler)
        broker.kill()  # the pushes below are accepted; their messages are not sent
        push(hub, 1, FICHES)
        assert pipeline_status(hub)["outbox_pending"] == FICHES
        with running([own_redis.start("redis-again")]):
            back_at = time.monotonic()
            wait_until(lambda: pipeline_status(hub)["processed"] == FICHES + 1 or not other.alive,
                       90, f"{FICHES} processed fiches with the scheduler's worker {how}")
            print(f"all processed {time.monotonic() - back_at:.1f} s after the broker came back")
            assert other.alive, other.tail()
    status = pipeline_status(hub)
    assert (status["processed"], status["outbox_pending"], status["porteurs"]) == (
        FICHES + 1, 0, FICHES + 1)


def test_idle_workers_sweep_once_an_interval_between_them_not_once_each(world):
    env, hub, own_redis, logs = world
    workers = [start_worker(env, logs, f"worker-{i}", beat=False) for i in range(3)]
    with running([own_redis.start(), *workers]):
        wait_until(lambda: len(beating_pids(hub, "worker")) == 3
                   or not all(w.alive for w in workers), 90, "three workers")
        wait_until(lambda: sweeps(hub) > 0, 30, "a first sweep")
        first, since = sweeps(hub), time.monotonic()
        time.sleep(10 * SWEEP_S)
        swept, intervals = sweeps(hub) - first, (time.monotonic() - since) / SWEEP_S
        assert all(w.alive for w in workers)
    print(f"{swept} sweeps in {intervals:.1f} intervals by {len(workers)} workers")
    assert 0 < swept <= intervals / 0.9 + 1  # a turn may be taken a tenth early, not thrice
