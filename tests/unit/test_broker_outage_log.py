"""The worker's log during a broker outage: a line when it starts, a reminder every 30 s
with the count of failed tries, a line when it ends; each try only at DEBUG."""

from __future__ import annotations

import logging

import pytest

from hub.broker_consumer import OutageLog

CONSUMER, BEAT, CONNECTION = ("celery.worker.consumer.consumer", "celery.beat",
                              "celery.worker.consumer.connection")


@pytest.fixture(autouse=True)
def _levels():
    yield
    for name in (CONSUMER, BEAT):
        logging.getLogger(name).setLevel(logging.NOTSET)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def record(name: str, level: int, msg: str, *args: object,
           exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, None) if exc else None
    return logging.LogRecord(name, level, __file__, 1, msg, args, exc_info)


def cannot_connect() -> logging.LogRecord:
    return record(CONSUMER, logging.ERROR, "consumer: Cannot connect to %s: %s.\n%s\n",
                  "redis://127.0.0.1:6379/0", "Error 111", "Trying again in 2.00 seconds... (3/None)")


def test_an_outage_logs_its_start_a_reminder_every_30_s_and_its_end():
    clock = Clock()
    outages = OutageLog(clock)
    logging.getLogger(CONSUMER).setLevel(logging.INFO)
    shown = []
    for second in range(0, 75):
        clock.now = float(second)
        line = cannot_connect()
        if outages.filter(line):
            shown.append((second, line.levelname, line.getMessage()))
    clock.now = 76.0
    connected = record(CONNECTION, logging.INFO, "Connected to %s", "redis://127.0.0.1:6379/0")
    assert outages.filter(connected)
    assert [(s, level) for s, level, _ in shown] == [(0, "ERROR"), (30, "WARNING"), (60, "WARNING")]
    assert "broker unreachable" in shown[0][2]
    assert "still unreachable after 30 s (31 failed tries)" in shown[1][2]
    assert "reachable again after 76 s (75 failed tries)" in connected.getMessage()
    assert connected.levelname == "WARNING"


def test_the_beat_s_failed_sends_lose_their_tracebacks_and_the_next_outage_is_logged_again():
    clock = Clock()
    outages = OutageLog(clock)
    logging.getLogger(BEAT).setLevel(logging.INFO)
    cause = ConnectionRefusedError(111, "refused")
    failures = []
    for second in (0, 1, 2, 40):  # the beat has no "connected": 38 s without a failure ends it
        clock.now = float(second)
        failed = record(BEAT, logging.ERROR, "Message Error: %s\n%s", "Couldn't apply", "stack",
                        exc=cause)
        failures.append((outages.filter(failed), failed))
    assert [shown for shown, _ in failures] == [True, False, False, True]
    assert [line.exc_info for _, line in failures if line.levelname != "DEBUG"] == [None, None]
    assert "ConnectionRefusedError" in failures[0][1].getMessage()


def test_each_failed_try_is_still_there_at_debug():
    clock = Clock()
    outages = OutageLog(clock)
    logging.getLogger(CONSUMER).setLevel(logging.DEBUG)
    assert outages.filter(cannot_connect())
    clock.now = 1.0
    line = cannot_connect()
    assert outages.filter(line) and line.levelname == "DEBUG"
    assert "Trying again in 2.00 seconds" in line.getMessage()


def test_other_lines_pass_unchanged():
    outages = OutageLog(Clock())
    line = record(CONNECTION, logging.INFO, "Connected to %s", "redis://127.0.0.1:6379/0")
    assert outages.filter(line) and line.getMessage() == "Connected to redis://127.0.0.1:6379/0"
