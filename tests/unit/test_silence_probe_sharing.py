"""A probe's answer shared among the statements waiting on one engine
(`hub.store.deadlines._ServerProbe`), on a clock the test moves: a statement that used
another's answer counts its silence from that probe, not from the moment it read the
answer, so a server stopping just after the probe is caught as soon as by its own."""

from __future__ import annotations

import pytest

from hub.store import deadlines
from hub.store.deadlines import DatabaseSilent, _Probe, _ServerProbe

PROBE_S = 5.0
STOP_AT = 6.0  # the server answers new connections until then


class _Clock:
    now = 0.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    moved = _Clock()
    monkeypatch.setattr(deadlines.time, "monotonic", moved.monotonic)
    return moved


def _silent_statement():
    while True:
        yield "waiting for the server"


def test_a_shared_answer_counts_from_its_probe_not_from_its_reading(clock):
    asked: list[float] = []

    def server_answers() -> bool:
        asked.append(clock.now)
        return clock.now < STOP_AT

    server = _ServerProbe()
    probe = _Probe(PROBE_S, (), {}, server)
    probe._server_answers = server_answers  # the new connection a probe makes
    clock.now = 4.5  # statement A starts waiting
    waiting = probe.watch(_silent_statement())
    next(waiting)
    clock.now = 5.0  # another statement, silent since 0, asks: the server answers
    assert server.answers(0.0, server_answers) == (True, 5.0)
    with pytest.raises(DatabaseSilent):
        while clock.now < 60:
            clock.now += 0.5
            waiting.send(None)
    failed_at = clock.now
    assert failed_at - STOP_AT <= PROBE_S  # the old code: 8.5 s after the stop
    assert asked == [5.0, 10.0]  # A reused the answer of 5.0, then asked at 5.0 + PROBE_S
