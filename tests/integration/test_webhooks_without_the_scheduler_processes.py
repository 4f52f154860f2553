"""Webhook sending outlives the scheduler, with real Celery workers on Redis and PostgreSQL
and a real HTTP recipient: only the beat (run inside one worker) started the dispatch, so
once that worker was killed (`kill -9` of its process tree) or frozen (SIGSTOP), no
webhook left for any recipient while another worker ran on. Each worker now dispatches
on a timer of its own, and the recipient's lease still keeps one sender at a time."""

from __future__ import annotations

import contextlib
import os
import signal
import time

import pytest

from capactif_demo.processes import Process, running, start_worker
from hub.services.ingest.processing import pipeline_status
from tests.integration.heartbeats import beating_pids
from tests.integration.scale import wait_until
from tests.integration.test_webhook_leases_processes import (
    disclosure_events,
    distinct_received,
    push,
    sent_count,
    world,  # noqa: F401  (the fixture)
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FICHES = 5
ASKED_WAIT_S = "4"  # the first answer asks the sender to come back later (Retry-After)


def _stop_group(worker: Process) -> None:
    os.killpg(worker.popen.pid, signal.SIGSTOP)


def _go_on(worker: Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.popen.pid, signal.SIGCONT)


@pytest.mark.parametrize("how", ["killed", "frozen"])
def test_deliveries_go_on_while_another_worker_lives_once_the_scheduler_s_worker_is_gone(
        world, how):  # noqa: F811
    env, hub, slow, logs = world
    slow.delay_s = 0.0
    slow.status, slow.headers = 503, {"Retry-After": ASKED_WAIT_S}
    scheduler = start_worker(env, logs, "worker-scheduler")
    other = start_worker(env, logs, "worker-other", beat=False)
    try:
        with running([scheduler, other]):
            wait_until(lambda: (beating_pids(hub, "beat") and len(beating_pids(hub, "worker")) == 2)
                       or not (scheduler.alive and other.alive), 90, "both workers and the beat")
            push(hub, 0, FICHES)
            wait_until(lambda: pipeline_status(hub)["processed"] == FICHES, 60, "the fiches processed")
            wait_until(lambda: slow.arrivals and slow.in_flight == 0, 60,
                       "a first POST answered 503")
            # The line waits for the recipient's Retry-After: only a dispatch started after
            # it can send the rest, and the scheduler's worker is gone by then.
            if how == "killed":
                scheduler.kill()
            else:
                _stop_group(scheduler)
            slow.status, slow.headers = 200, {}
            gone_at = time.monotonic()
            wait_until(lambda: sent_count(hub) == FICHES or not other.alive, 90,
                       f"{FICHES} sent deliveries with the scheduler's worker {how}")
            print(f"all sent {time.monotonic() - gone_at:.1f} s after the scheduler went")
            assert other.alive, other.tail()
            _go_on(scheduler)  # a frozen worker stops at once when the test ends
    finally:
        _go_on(scheduler)
    assert distinct_received(slow) == FICHES
    assert slow.max_in_flight == 1  # one sender at a time for the recipient
    assert disclosure_events(hub) == sent_count(hub) == FICHES
