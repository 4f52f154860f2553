"""`/healthz` tells a monitor that the scheduler (the beat: outbox sweep, webhook
dispatch, signed audit heads, consent expiry) has stopped: before, it answered ok while
only the metric `capactif_processes_alive{kind="beat"}` said so, and nothing restarts a
beat that died inside a running worker. `/readyz` (the load balancer's) is unchanged:
the API still takes fiches, stored durably, without a beat."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.store.ops_repository import OpsQueries

pytestmark = pytest.mark.integration


def _beats(hub, *beats: tuple[str, float]) -> None:
    """Heartbeats of processes, each `(kind, seconds since it last beat)`."""
    now = dt.datetime.now(dt.UTC)
    with hub.engine.begin() as conn:
        for pid, (kind, age) in enumerate(beats, start=100):
            OpsQueries(conn).beat(kind=kind, host="h", pid=pid, now=now - dt.timedelta(seconds=age))


def _answers(hub) -> tuple[tuple[int, str], int]:
    (hub.settings.broker_dir / "queue").mkdir(parents=True, exist_ok=True)
    with TestClient(create_app(hub=hub), raise_server_exceptions=False) as client:
        health, ready = client.get("/healthz"), client.get("/readyz")
    body = health.json()
    return (health.status_code, body.get("status") or body["error"]["code"]), ready.status_code


def _stale(hub) -> float:
    return 4 * hub.settings.heartbeat_interval_s


def test_a_scheduler_that_stopped_beating_makes_healthz_503_but_not_readyz(hub):
    _beats(hub, ("worker", 0), ("beat", _stale(hub)))
    health, ready = _answers(hub)
    assert health == (503, "scheduler_stopped")
    assert ready == 200


def test_workers_beating_without_any_scheduler_make_healthz_503(hub):
    """A beat stopped cleanly withdraws its row, and a killed one's ages out: workers
    left alone process pushes but nothing sweeps, dispatches or signs."""
    _beats(hub, ("worker", 0))
    assert _answers(hub)[0] == (503, "scheduler_stopped")


@pytest.mark.parametrize("beats", [[("worker", 0), ("beat", 0)], [], [("beat", 0)]])
def test_a_beating_scheduler_or_no_process_at_all_is_healthy(hub, beats):
    """No process at all: an API started before its workers (their own alerts say it)."""
    _beats(hub, *beats)
    assert _answers(hub) == ((200, "ok"), 200)


def test_a_scheduler_that_beats_again_makes_healthz_ok_again(hub):
    _beats(hub, ("beat", _stale(hub)), ("beat", 0))  # a new beat beside the dead one's row
    assert _answers(hub)[0] == (200, "ok")


@pytest.mark.parametrize("beats", [
    [("beat", 4.0)],                 # a clean stop whose beat row was left behind
    [("worker", 4.0), ("beat", 4.0)],  # both stale: a long database outage just ended
])
def test_no_process_beating_at_all_is_not_a_stopped_scheduler(hub, beats):
    """Only stale rows: nothing runs (or nothing could beat through an outage), which is
    CapactifNoWorker's to say; a 503 here would alarm with no process to restart."""
    _beats(hub, *[(kind, age * hub.settings.heartbeat_interval_s) for kind, age in beats])
    assert _answers(hub)[0] == (200, "ok")
