"""Webhook sending with real Celery workers on Redis and PostgreSQL and a real, slow HTTP
recipient: one stream per recipient even across workers (the lease is renewed while
sending), ingest never waits for a slow recipient, and a sender killed mid-page leaves
every sent delivery with its access event and its lease expiring within seconds."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import threading
import time

import pytest
import sqlalchemy as sa

from capactif_demo.processes import running, start_worker
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.auth import Caller
from hub.services.accounts.members import load_network
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from hub.services.ingest.processing import pipeline_status
from hub.store.delivery_repository import SENT
from hub.store.delivery_tables import deliveries
from hub.store.tables import outbox
from tests.factories import make_fiche, other_porteur, record_consents
from tests.integration.scale import database_through_proxy, scale_store, stopped, wait_until
from tests.receiver import Recipient

pytestmark = [pytest.mark.integration, pytest.mark.slow]

OWNER = Caller("commune-ambert", "Mairie", "commune", "accueil")
RECIPIENT = "cci-thiers"
LEASE_S = 5.0
ANSWER_S = 0.25  # the slow recipient holds each POST this long: 40 POSTs last 2 leases


@pytest.fixture
def world(tmp_path, postgres_url):
    with scale_store(postgres_url) as store, Recipient() as slow:
        env = {**store, "HUB_DATA_DIR": str(tmp_path / "data"), "HUB_DISPATCH_INTERVAL_S": "0.5",
               "HUB_WEBHOOK_TIMEOUT_S": "1", "HUB_WEBHOOK_LEASE_S": str(LEASE_S),
               "HUB_WEBHOOK_RETRY_BASE_S": "0.5", "HUB_WEBHOOK_RETRY_MAX_S": "1"}
        members = [
            {"id": OWNER.member_id, "nom": "Mairie", "nature": "commune", "role": "accueil",
             "contact": {"courriel": "mairie@exemple.fr"}},
            {"id": RECIPIENT, "nom": "CCI", "nature": "cci", "role": "accompagnement",
             "contact": {"courriel": "cci@exemple.fr"}, "webhook": slow.url,
             "abonnements": [{"communes": ["63003"]}]}]
        (tmp_path / "network.json").write_text(json.dumps({"reseau": "t", "membres": members}))
        hub = Hub.from_settings(Settings.from_env(env))  # publishes to the real broker
        load_network(hub, tmp_path / "network.json", tmp_path / "creds")
        slow.delay_s = ANSWER_S
        yield env, hub, slow, tmp_path / "logs"
        hub.close()


def push(hub: Hub, first: int, count: int) -> None:
    fiches = [make_fiche(member=OWNER.member_id, fiche_id=f"F-{first + i}",
                         porteur=other_porteur(first + i)) for i in range(count)]
    record_consents(hub, fiches)
    assert ingest.push_batch(hub, OWNER, fiches)["accepted"] == count


def sent_count(hub: Hub) -> int:
    with hub.uow() as uow:
        return uow.connection.scalar(sa.select(sa.func.count()).select_from(deliveries).where(
            deliveries.c.recipient_id == RECIPIENT, deliveries.c.status == SENT))


def disclosure_events(hub: Hub) -> int:
    return len(hub.audit.search(action="webhook_delivery", member=RECIPIENT, limit=100_000))


def distinct_received(slow: Recipient) -> int:
    return len({d["delivery_id"] for d in slow.documents()})


def test_a_slow_recipient_gets_one_stream_across_workers_and_never_starves_ingest(world):
    env, hub, slow, logs = world
    with running([start_worker(env, logs, "worker-1")]):
        push(hub, 0, 40)
        wait_until(lambda: len(slow.arrivals) >= 3, 60, "sending to start")
        push(hub, 40, 20)  # pushed while the slow recipient is being sent to
        wait_until(lambda: pipeline_status(hub)["processed"] == 60, 60, "60 processed fiches")
        assert distinct_received(slow) < 40, "ingest waited for the slow recipient"
        with running([start_worker(env, logs, "worker-2", beat=False)]):
            wait_until(lambda: sent_count(hub) == 60, 120, "60 sent deliveries")
    assert slow.max_in_flight == 1
    assert len(slow.arrivals) == 60 == distinct_received(slow)  # POSTs = deliveries, no retry
    positions = [d["source"]["fiche_id"] for d in slow.documents()]
    assert positions == [f"F-{i}" for i in range(60)]  # in feed order
    assert disclosure_events(hub) == 60


def test_a_sender_killed_mid_page_leaves_each_sent_delivery_logged_and_its_lease_soon_free(world):
    env, hub, slow, logs = world
    push(hub, 0, 60)  # more than a page (50): the kill comes in the second one
    first = start_worker(env, logs, "worker-1")
    with running([first]):
        wait_until(lambda: pipeline_status(hub)["processed"] == 60, 60, "60 processed fiches")
        # the first page committed (a POST timing out on a loaded machine is retried,
        # so the arrivals alone do not say it), and the second one on the wire
        wait_until(lambda: sent_count(hub) >= 50 and len(slow.arrivals) >= sent_count(hub) + 3,
                   90, "the first page committed and the second on the wire")
        first.kill()
        killed_at = dt.datetime.now(dt.UTC)
    assert len(slow.arrivals) < 60, "the sender finished before it could be killed"
    assert disclosure_events(hub) == sent_count(hub)  # nothing committed without its event
    with hub.uow() as uow:
        until = uow.deliveries.lease_of(RECIPIENT).dispatch_lease_until
    until = until if until.tzinfo else until.replace(tzinfo=dt.UTC)
    assert until <= killed_at + dt.timedelta(seconds=LEASE_S + 1)  # expires within the lease
    with running([start_worker(env, logs, "worker-2")]):
        wait_until(lambda: sent_count(hub) == 60, 120, "60 sent deliveries")
        time.sleep(0.5)
    assert distinct_received(slow) == 60
    assert disclosure_events(hub) == sent_count(hub) == 60
    # re-sent after the crash: at most what one flush interval (1 s) holds, plus the one
    # in flight; the recipient ignores them by their idempotency key
    assert len(slow.arrivals) - 60 <= 1 / ANSWER_S + 2
    assert slow.max_in_flight == 1


def test_a_database_outage_stops_the_sender_before_its_lease_ends_and_sending_resumes_soon(world):
    env, hub, slow, logs = world
    env, proxy = database_through_proxy(env)
    push(hub, 0, 40)
    try:
        with running([start_worker(env, logs, "worker-1")]):
            wait_until(lambda: len(slow.arrivals) >= 5, 60, "sending to start")
            proxy.cut()
            cut_at = time.monotonic()
            time.sleep(LEASE_S + 3)  # longer than the lease: renewals fail meanwhile
            restored_at = time.monotonic()
            proxy.restore()
            wait_until(lambda: sent_count(hub) == 40, 60, "40 sent deliveries")
            resumed_in = time.monotonic() - restored_at
    finally:
        proxy.close()
    # no POST once the lease could have ended: the sender stopped by itself
    assert not [t for t in slow.arrivals if cut_at + LEASE_S <= t <= restored_at]
    assert resumed_in < 2 * LEASE_S + 40 * ANSWER_S  # seconds, not the former 5 minutes
    assert slow.max_in_flight == 1
    assert distinct_received(slow) == 40
    assert disclosure_events(hub) == sent_count(hub) == 40


def test_a_worker_stopped_while_sending_gives_its_lease_back_and_logs_what_it_sent(world):
    env, hub, slow, logs = world
    env = {**env, "HUB_WEBHOOK_LEASE_S": "60"}  # a lease that could only end by release
    push(hub, 0, 40)
    worker = start_worker(env, logs, "worker-1")
    with running([worker]):
        wait_until(lambda: len(slow.arrivals) >= 5, 60, "sending to start")
        worker.stop()  # SIGTERM: a warm shutdown
    assert worker.popen.returncode == 0, worker.tail()
    assert distinct_received(slow) < 40, "the sender finished before the worker stopped"
    with hub.uow() as uow:
        lease = uow.deliveries.lease_of(RECIPIENT)
    assert lease.dispatch_lease_owner is None and lease.dispatch_lease_until is None
    assert disclosure_events(hub) == sent_count(hub) >= distinct_received(slow) - 1


def test_a_lease_whose_release_failed_in_an_outage_is_given_back_once_the_database_returns(world):
    """The sender gives up during the outage and cannot release its lease then; it keeps
    trying, so sending resumes as soon as the database is back, not when the lease ends."""
    env, hub, slow, logs = world
    env, proxy = database_through_proxy({**env, "HUB_WEBHOOK_LEASE_S": "60"})  # > the outage
    push(hub, 0, 20)
    try:
        with running([start_worker(env, logs, "worker-1")]):
            wait_until(lambda: len(slow.arrivals) >= 5, 60, "sending to start")
            proxy.cut()
            # the sender notices at its next commit and stops; POSTs stop with it
            wait_until(lambda: slow.arrivals and time.monotonic() - slow.arrivals[-1] > 3, 30,
                       "the cut-off sender to stop posting")
            with hub.uow() as uow:  # the test reaches the database directly
                held_until = uow.deliveries.lease_of(RECIPIENT).dispatch_lease_until
            assert held_until is not None, "the lease was released despite the outage"
            held_until = held_until if held_until.tzinfo else held_until.replace(tzinfo=dt.UTC)
            stopped = len(slow.arrivals)
            proxy.restore()
            wait_until(lambda: len(slow.arrivals) > stopped, 90, "sending to resume")
            resumed_at = dt.datetime.now(dt.UTC)
            wait_until(lambda: sent_count(hub) == 20, 60, "20 sent deliveries")
    finally:
        proxy.close()
    assert resumed_at < held_until, "sending waited for the unreleased lease to end"
    assert slow.max_in_flight == 1
    assert distinct_received(slow) == 20
    assert disclosure_events(hub) == sent_count(hub) == 20


def with_defaults(env: dict[str, str]) -> dict[str, str]:
    """The worker's settings with the shipped lease and POST timeout."""
    return {k: v for k, v in env.items()
            if k not in ("HUB_WEBHOOK_LEASE_S", "HUB_WEBHOOK_TIMEOUT_S")}


def test_with_the_shipped_settings_a_sender_killed_mid_page_frees_its_recipient_within_seconds(
        world):
    env, hub, slow, logs = world
    env = with_defaults(env)
    push(hub, 0, 60)
    first = start_worker(env, logs, "worker-1")
    with running([first]):
        wait_until(lambda: len(slow.arrivals) >= 53, 90, "the second page on the wire")
        first.kill()
        killed_at = dt.datetime.now(dt.UTC)
        killed_mono = time.monotonic()
    with hub.uow() as uow:
        until = uow.deliveries.lease_of(RECIPIENT).dispatch_lease_until
    until = until if until.tzinfo else until.replace(tzinfo=dt.UTC)
    assert until <= killed_at + dt.timedelta(seconds=6), "the lease outlives its sender"
    stopped = len(slow.arrivals)
    with running([start_worker(env, logs, "worker-2")]):
        wait_until(lambda: len(slow.arrivals) > stopped, 90, "another worker to send")
        print(f"another worker sent {slow.arrivals[stopped] - killed_mono:.1f} s after the kill")
        wait_until(lambda: sent_count(hub) == 60, 60, "60 sent deliveries")
    assert slow.max_in_flight == 1
    assert distinct_received(slow) == 60
    assert disclosure_events(hub) == sent_count(hub) == 60


def test_a_post_longer_than_the_lease_goes_through_while_the_lease_is_renewed(world):
    env, hub, slow, logs = world
    env = {**with_defaults(env), "HUB_WEBHOOK_LEASE_S": "3"}  # POSTs may last 10 s
    slow.delay_s = 4.0  # each answer takes longer than the lease
    push(hub, 0, 3)
    with running([start_worker(env, logs, "worker-1"),
                  start_worker(env, logs, "worker-2", beat=False)]):
        wait_until(lambda: sent_count(hub) == 3, 90, "3 sent deliveries")
    assert slow.max_in_flight == 1
    assert len(slow.arrivals) == 3 == distinct_received(slow)  # none cut off, none repeated
    assert disclosure_events(hub) == 3


def test_a_sender_cut_off_from_the_database_hangs_up_before_another_takes_its_recipient(world):
    env, hub, slow, logs = world
    env = {**with_defaults(env), "HUB_WEBHOOK_LEASE_S": "3"}
    cut_env, proxy = database_through_proxy(env)
    slow.delay_s = 6.0  # a POST under way when the database goes is longer than the lease
    push(hub, 0, 3)
    try:
        with running([start_worker(cut_env, logs, "worker-1")]):
            wait_until(lambda: len(slow.arrivals) >= 1, 60, "a POST under way")
            proxy.cut()  # renewals fail from now on; the POST is still held by the recipient
            with running([start_worker(env, logs, "worker-2")]):
                wait_until(lambda: len(slow.arrivals) >= 2, 60, "worker-2 to take over")
                proxy.restore()
                slow.delay_s = 0.1
                wait_until(lambda: sent_count(hub) == 3, 90, "3 sent deliveries")
    finally:
        proxy.close()
    assert slow.max_in_flight == 1  # worker-1 had hung up before worker-2 posted
    assert distinct_received(slow) == 3
    assert disclosure_events(hub) == sent_count(hub) == 3


def test_a_worker_whose_clock_runs_ahead_never_sends_beside_the_holder_of_the_lease(world):
    """The lease was measured with each worker's own clock: a worker on a host 30 s ahead
    took a lease still held (two POSTs at once to one recipient, duplicates) and held its
    own until 35 s ahead. Measured with the database's clock: one sender at a time, and
    a lease ending within the lease's length whatever the worker's clock."""
    import sys

    from capactif_demo.processes import Process

    env, hub, slow, logs = world
    skewed = Process("worker-skewed", [sys.executable, "-m", "tests.integration.skewed_worker",
                                       "30"], env, logs)
    ahead: list[float] = []

    def lease_ahead() -> float:
        with hub.uow() as uow:
            lease = uow.deliveries.lease_of(RECIPIENT)
            until = None if lease is None else lease.dispatch_lease_until
            now = uow.connection.scalar(sa.select(sa.func.clock_timestamp()))
        return 0.0 if until is None else (until - now).total_seconds()

    with running([start_worker(env, logs, "worker-1"), skewed]):
        push(hub, 0, 60)

        def all_sent() -> bool:
            ahead.append(lease_ahead())
            return sent_count(hub) == 60 or not skewed.alive

        wait_until(all_sent, 120, "60 sent deliveries")
        assert skewed.alive, skewed.tail()
    assert slow.max_in_flight == 1
    assert len(slow.arrivals) == 60 == distinct_received(slow)  # no POST twice
    assert max(ahead) <= LEASE_S + 1, max(ahead)


def process_here(hub: Hub) -> None:
    """Process every fiche pushed so far in the test's own process (no worker needed)."""
    with hub.uow() as uow:
        ids = list(uow.connection.scalars(sa.select(outbox.c.id).order_by(outbox.c.id)))
    processing.process_outbox(hub, ids)


def test_a_paused_sender_stops_no_push_and_logs_no_second_event_for_what_another_sent(world):
    """A worker paused (SIGSTOP of its session: a VM paused, a debugger) mid-page, with a
    POST under way and outcomes not yet committed: pushes go on meanwhile (the access
    log's lock, which every push takes, is held only while a commit is under way, and a
    session idle holding it is ended); another worker takes the recipient over and
    sends everything; the paused one, continued, finds those deliveries sent and logged,
    and records neither their outcome nor a second `webhook_delivery` event: it logged
    812 events for 805 deliveries sent."""
    env, hub, slow, logs = world
    env = {**env, "HUB_WEBHOOK_LEASE_S": "3"}
    # The paused worker may also be stopped inside some other short transaction (its
    # lease renewed, a head signed): its session ends then, whatever it holds.
    paused_env = {**env, "HUB_DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_S": "10"}
    patient = Hub.from_settings(Settings.from_env(  # a push waits as long as it takes
        {**env, "HUB_DATABASE_LOCK_TIMEOUT_S": "120", "HUB_DATABASE_STATEMENT_TIMEOUT_S": "150"}))
    push(hub, 0, 20)
    process_here(hub)  # the paused worker holds no fiche of its own to process
    first = start_worker(paused_env, logs, "worker-1")
    paused = threading.Event()

    def pause_first(arrived: int) -> None:
        if arrived == 3:  # outcomes held in memory (flushed every second), one POST held
            os.killpg(first.popen.pid, signal.SIGSTOP)
            paused.set()

    slow.on_arrival = pause_first
    try:
        with running([first]):
            wait_until(paused.is_set, 60, "worker-1 paused while sending")
            slow.on_arrival = None
            push(patient, 20, 5)
            assert first.popen.poll() is None and stopped(first.popen.pid), \
                "worker-1 went on before the push was stored"
            process_here(hub)
            with running([start_worker(env, logs, "worker-2")]):
                wait_until(lambda: sent_count(hub) == 25, 120, "25 sent deliveries")
                os.killpg(first.popen.pid, signal.SIGCONT)
                first.stop()  # a warm shutdown: its senders commit what they hold
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(first.popen.pid, signal.SIGCONT)
        patient.close()
    assert distinct_received(slow) == 25
    assert len(slow.arrivals) > 25, "nothing was sent twice: worker-1 was not paused mid-page"
    assert disclosure_events(hub) == sent_count(hub) == 25
