"""A probe's answer shared among the statements waiting on one engine
(`hub.store.deadlines._ServerProbe`), on a clock the test moves: a statement that used
another's answer counts its silence from that probe, not from the moment it read the
answer, so a server stopping just after the probe is caught as soon as by its own."""

from __future__ import annotations

import os
import threading

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


def _child_probes(server: _ServerProbe, pid_seen: int | None) -> int:
    """Fork while a thread of this process holds `server`'s probe; the child asks the
    server itself (seeing `pid_seen` as its pid, when given) and exits 0 once answered."""
    holding, release = threading.Event(), threading.Event()

    def slow_answer() -> bool:
        holding.set()
        release.wait(30)
        return True

    thread = threading.Thread(target=server.answers, args=(0.0, slow_answer))
    thread.start()
    holding.wait(30)
    child = os.fork()
    if child == 0:  # pragma: no cover (the child's outcome is its exit code)
        code = 1
        try:
            if pid_seen is not None:
                os.getpid = lambda: pid_seen
            answered = threading.Thread(target=server.answers, args=(1.0, lambda: True),
                                        daemon=True)
            answered.start()
            answered.join(5)
            code = 0 if not answered.is_alive() else 3
        finally:
            os._exit(code)
    release.set()
    thread.join()
    _, status = os.waitpid(child, 0)
    return os.waitstatus_to_exitcode(status)


def test_a_forked_child_probes_although_a_parent_s_thread_held_the_probe():
    assert _child_probes(_ServerProbe(), None) == 0


def test_a_child_with_the_pid_of_the_probe_s_creator_probes_too():
    """A pid is reused once its process has ended: a grandchild may bear the pid of the
    process that made the probe (here the test gives the child that pid); the check of the
    pid took it for that process and waited for ever on the lock its fork copied held."""
    assert _child_probes(_ServerProbe(), os.getpid()) == 0
