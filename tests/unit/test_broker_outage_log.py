"""The worker's log during a broker outage, for each of its users of the broker (the
consumer, the beat): a line when it starts, a reminder every 30 s with the count of
failed tries, a line when it ends; each try only at DEBUG."""

from __future__ import annotations

import logging

import pytest

from hub.config import Settings
from hub.errors import ConfigurationError
from hub.outages import OutageLog

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


def test_an_outage_logs_its_start_a_reminder_every_30_s_and_its_end(caplog):
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
    with caplog.at_level(logging.INFO, logger=CONSUMER):
        outages.reached(CONSUMER)
    assert [(s, level) for s, level, _ in shown] == [(0, "ERROR"), (30, "WARNING"), (60, "WARNING")]
    assert "broker unreachable" in shown[0][2]
    assert "still unreachable after 30 s (31 failed tries)" in shown[1][2]
    [ended] = caplog.records
    assert "reachable again after 76 s (75 failed tries)" in ended.getMessage()
    assert (ended.name, ended.levelname) == (CONSUMER, "WARNING")


def test_the_reminders_come_as_often_as_the_setting_says():
    clock = Clock()
    outages = OutageLog(clock, reminder_s=5)
    logging.getLogger(CONSUMER).setLevel(logging.INFO)
    shown = []
    for second in range(0, 12):
        clock.now = float(second)
        if outages.filter(cannot_connect()):
            shown.append(second)
    assert shown == [0, 5, 10]


def beat_failed() -> logging.LogRecord:
    return record(BEAT, logging.ERROR, "Message Error: %s\n%s", "Couldn't apply", "stack",
                  exc=ConnectionRefusedError(111, "refused"))


def test_the_beat_s_outage_ends_when_the_broker_takes_its_message_again(caplog):
    """Before, the beat's outage never ended in the log (it has no "connected" line)."""
    clock = Clock()
    outages = OutageLog(clock)
    logging.getLogger(BEAT).setLevel(logging.INFO)
    failures = []
    for second in (0, 1, 2):
        clock.now = float(second)
        failed = beat_failed()
        failures.append((outages.filter(failed), failed))
    clock.now = 3.0
    with caplog.at_level(logging.INFO, logger=BEAT):
        outages.reached(CONSUMER)  # the consumer had no outage: nothing to say
        outages.reached(BEAT)
        outages.reached(BEAT)  # once only
    clock.now = 40.0
    again = beat_failed()
    assert [shown for shown, _ in failures] == [True, False, False]
    assert failures[0][1].exc_info is None  # the traceback dropped
    assert "ConnectionRefusedError" in failures[0][1].getMessage()
    assert [(line.name, line.getMessage()) for line in caplog.records] == [
        (BEAT, "Courtier de nouveau joignable après 3 s (3 essais échoués) / broker reachable "
               "again after 3 s (3 failed tries)")]
    assert outages.filter(again) and "broker unreachable" in again.getMessage()  # a new one


def test_the_consumer_and_the_beat_each_have_their_outage(caplog):
    clock = Clock()
    outages = OutageLog(clock)
    for name in (CONSUMER, BEAT):
        logging.getLogger(name).setLevel(logging.INFO)
    first = [cannot_connect(), beat_failed()]
    assert [outages.filter(line) for line in first] == [True, True]
    assert ["broker unreachable" in line.getMessage() for line in first] == [True, True]
    clock.now = 2.0
    with caplog.at_level(logging.INFO):
        outages.reached(CONSUMER)
    still = beat_failed()
    assert not outages.filter(still)  # the beat's outage goes on
    assert [line.name for line in caplog.records] == [CONSUMER]


def test_each_failed_try_is_still_there_at_debug():
    clock = Clock()
    outages = OutageLog(clock)
    logging.getLogger(CONSUMER).setLevel(logging.DEBUG)
    assert outages.filter(cannot_connect())
    clock.now = 1.0
    line = cannot_connect()
    assert outages.filter(line) and line.levelname == "DEBUG"
    assert "Trying again in 2.00 seconds" in line.getMessage()


def test_a_reminder_interval_that_is_not_positive_is_refused_naming_the_variable():
    for value in ("0", "-5", "nan", "inf"):  # inf: reminders silently never
        with pytest.raises(ConfigurationError, match="HUB_BROKER_OUTAGE_REMINDER_S"):
            Settings.from_env({"HUB_BROKER_OUTAGE_REMINDER_S": value})
    assert Settings.from_env({"HUB_BROKER_OUTAGE_REMINDER_S": "5"}).broker_outage_reminder_s == 5


def test_other_lines_pass_unchanged():
    outages = OutageLog(Clock())
    line = record(CONNECTION, logging.INFO, "Connected to %s", "redis://127.0.0.1:6379/0")
    assert outages.filter(line) and line.getMessage() == "Connected to redis://127.0.0.1:6379/0"


def test_the_beat_s_first_connection_failing_is_its_outage_too():
    """Seen when the broker went away as the beat started: the beat logged an error with
    each try to connect (every 2, 4 ... 30 s) and its outage was never logged."""
    outages = OutageLog(Clock())
    logging.getLogger(BEAT).setLevel(logging.INFO)
    failed = record(BEAT, logging.ERROR, "beat: Connection error: %s. Trying again in %s seconds...",
                    "Error 111", 2.0)
    assert outages.filter(failed) and "broker unreachable" in failed.getMessage()
