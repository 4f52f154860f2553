"""Outages of minutes with real processes (API, worker, PostgreSQL, a redis-server of the
test's own). A module of its own: the suite runs it beside the other process tests
(tests/conftest.py), since it mostly waits."""

from __future__ import annotations

import time

import pytest

from capactif_demo.processes import running
from hub.services.ingest.processing import pipeline_status
from tests.integration import test_pipeline_processes as pipeline
from tests.integration.scale import wait_until
from tests.integration.test_pipeline_processes import (
    _log_since,
    all_processed_once,
    batches,
    flowing_on_own_redis,
    push,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.long]

OUTAGE_S = 180
scale = pipeline.scale  # the pipeline tests' fixture: a fresh PostgreSQL database, Redis


def test_a_three_minute_broker_outage_loses_no_fiche_and_the_worker_takes_up_work_again(
        scale, tmp_path):
    _env, observer, creds, _logs = scale
    with flowing_on_own_redis(scale, tmp_path, 100, HUB_LOG_LEVEL="INFO") as (
            env, own_redis, broker, worker):
        port = int(env["HUB_PORT"])
        before = worker.log_path.stat().st_size
        broker.kill()
        started = time.monotonic()
        # Accepted while the broker is down: kept in the outbox, published once it is back.
        assert push(observer, port, creds, batches(1, 100, "down", first=100)[0])["accepted"] == 100
        time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - started)))
        assert worker.alive, worker.tail()
        with running([own_redis.start("redis-again")]):
            wait_until(lambda: all_processed_once(observer, 200), 60, "200 processed fiches")
            wait_until(lambda: "reachable again" in _log_since(worker, before), 30,
                       "the outage's end logged")
            outage = _log_since(worker, before)
    assert pipeline_status(observer)["porteurs"] == 200
    reminders = [line for line in outage.splitlines()
                 if "still unreachable" in line and "celery.worker.consumer" in line]
    assert OUTAGE_S // 30 - 2 <= len(reminders) <= OUTAGE_S // 30, outage[-3000:]
    assert "Cannot connect" not in outage and "Traceback" not in outage, outage[-3000:]
    assert len(outage.encode()) < 30_000  # before: about 1 MB in two minutes
