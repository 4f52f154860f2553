"""Webhook sending outlives the scheduler, with real Celery workers on Redis and PostgreSQL
and a real HTTP recipient: only the beat (run inside one worker) started the dispatch, so
once that worker was killed (`kill -9` of its process tree) or frozen (SIGSTOP), no
webhook left for any recipient while another worker ran on. Each worker now dispatches
on a timer of its own, and the recipient's lease still keeps one sender at a time."""

from __future__ import annotations

import time

import pytest

from hub.services.ingest.processing import pipeline_status
from tests.integration.scale import wait_until
from tests.integration.test_webhook_leases_processes import (
    disclosure_events,
    distinct_received,
    push,
    sent_count,
    world,  # noqa: F401  (the fixture)
)
from tests.integration.two_workers import freeze, scheduler_and_other

pytestmark = [pytest.mark.integration, pytest.mark.slow]

FICHES = 5
ASKED_WAIT_S = "4"  # the first answer asks the sender to come back later (Retry-After)


@pytest.mark.parametrize("how", ["killed", "frozen"])
def test_deliveries_go_on_while_another_worker_lives_once_the_scheduler_s_worker_is_gone(
        world, how):  # noqa: F811
    env, hub, slow, logs = world
    slow.delay_s = 0.0
    slow.status, slow.headers = 503, {"Retry-After": ASKED_WAIT_S}
    with scheduler_and_other(env, logs, hub) as (scheduler, other):
        push(hub, 0, FICHES)
        wait_until(lambda: pipeline_status(hub)["processed"] == FICHES, 60, "the fiches processed")
        wait_until(lambda: slow.arrivals and slow.in_flight == 0, 60,
                   "a first POST answered 503")
        # The line waits for the recipient's Retry-After: only a dispatch started after
        # it can send the rest, and the scheduler's worker is gone by then.
        if how == "killed":
            scheduler.kill()
        else:
            freeze(scheduler)
        slow.status, slow.headers = 200, {}
        gone_at = time.monotonic()
        wait_until(lambda: sent_count(hub) == FICHES or not other.alive, 90,
                   f"{FICHES} sent deliveries with the scheduler's worker {how}")
        print(f"all sent {time.monotonic() - gone_at:.1f} s after the scheduler went")
        assert other.alive, other.tail()
    assert distinct_received(slow) == FICHES
    assert slow.max_in_flight == 1  # one sender at a time for the recipient
    assert disclosure_events(hub) == sent_count(hub) == FICHES
