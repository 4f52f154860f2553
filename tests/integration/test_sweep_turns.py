"""The outbox sweep's turn on both stores: workers ticking at once sweep once an interval
between them, an early tick within a tenth of the interval still takes it, and workers
racing for it from their own threads take it once."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import pytest

from hub.bootstrap import Hub
from hub.services.ingest import processing
from hub.services.ingest.processing import SWEEP_TURN
from tests.factories import Clock
from tests.fakes.publisher import RecordingPublisher


@pytest.fixture
def clocked(hub) -> Iterator[tuple[Hub, Clock]]:
    clock = Clock(dt.datetime(2026, 12, 7, 12, tzinfo=dt.UTC))
    timed = Hub.from_settings(hub.settings, publisher=RecordingPublisher(), clock=clock)
    yield timed, clock
    timed.close()


def _turns(hub: Hub) -> int:
    with hub.uow() as uow:
        return uow.ops.turns_taken(SWEEP_TURN)


def test_ticks_within_the_interval_sweep_once_and_a_later_one_again(clocked):
    hub, clock = clocked
    interval_s = hub.settings.sweep_interval_s
    assert processing.sweep_outbox_in_turn(hub) == 0  # never taken: this worker sweeps
    assert [processing.sweep_outbox_in_turn(hub) for _ in range(3)] == [None] * 3
    clock.advance(seconds=interval_s * 0.8)
    assert processing.sweep_outbox_in_turn(hub) is None
    clock.advance(seconds=interval_s * 0.15)  # a tick a twentieth early takes its turn
    assert processing.sweep_outbox_in_turn(hub) == 0
    assert _turns(hub) == 2


def test_workers_racing_for_the_turn_take_it_once(clocked):
    hub, _clock = clocked
    start = threading.Barrier(4)
    swept: list[int | None] = []

    def tick() -> None:
        start.wait()
        swept.append(processing.sweep_outbox_in_turn(hub))

    threads = [threading.Thread(target=tick) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(swept, key=lambda s: s is None) == [0, None, None, None]
    assert _turns(hub) == 1
