"""The worker's consumer: back on the broker within about two seconds of its return.

Celery's consumer waits 2, 4, 6 ... up to 30 s between tries to reach a lost broker and
gives up after 100 tries: after a 90 s Redis restart the worker stayed idle 18 s more.
This one tries every 1-2 s for as long as the outage lasts (`broker_connection_max_retries`
is None), so it reconnects by itself; only a broker unreachable at start is fatal, and
then it says which broker (its URL without the password). During an outage the log says
so once, then every 30 s, and once more when it ends (`OutageLog`).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from typing import Any

from celery.worker.consumer import Consumer

logger = logging.getLogger(__name__)


class PromptConsumer(Consumer):
    def ensure_connected(self, conn: Any) -> Any:
        conn.ensure_connection = functools.partial(
            conn.ensure_connection, interval_start=1, interval_step=1, interval_max=2)
        try:
            return super().ensure_connected(conn)
        except Exception as exc:
            if self.first_connection_attempt:
                logger.critical(
                    "Courtier injoignable au démarrage / broker unreachable at start: %s (%s). "
                    "Vérifiez HUB_BROKER_URL ou démarrez le courtier ; le worker s'arrête. / "
                    "Check HUB_BROKER_URL or start the broker; the worker stops.",
                    conn.as_uri(), type(exc).__name__)
            raise


# -- logging during an outage -------------------------------------------------------

REMINDER_S = 30.0
_QUIET_ENDS_S = 10.0  # a process that saw no failure for this long: a new outage
_FAILURES = {"celery.worker.consumer.consumer": "consumer: Cannot connect to ",
             "celery.beat": "Message Error: "}
_CONNECTED = ("celery.worker.consumer.connection", "Connected to ")


class OutageLog(logging.Filter):
    """One line when the broker becomes unreachable, a reminder every REMINDER_S with the
    count of failed tries, one line when the consumer is connected again; the failed tries
    themselves (an error each, with a long traceback from the beat) only at DEBUG. Before,
    a two-minute Redis outage wrote about 1 MB of log."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        super().__init__()
        self._clock, self._lock = clock, threading.Lock()
        self._started: float | None = None
        self._last = self._reminded = 0.0
        self._failures = 0

    def filter(self, record: logging.LogRecord) -> bool:
        with self._lock:
            now = self._clock()
            if self._started is not None and now - self._last > _QUIET_ENDS_S \
                    and record.name != _CONNECTED[0]:
                self._started = None  # no failure for a while (the beat has no "connected")
            if _is_failure(record):
                return self._failed(record, now)
            if self._started is not None and record.name == _CONNECTED[0] \
                    and str(record.msg).startswith(_CONNECTED[1]):
                _rewrite(record, logging.WARNING,
                         "Courtier de nouveau joignable après %.0f s (%d essais échoués) / "
                         "broker reachable again after %.0f s (%d failed tries)",
                         *(now - self._started, self._failures) * 2)
                self._started = None
        return True

    def _failed(self, record: logging.LogRecord, now: float) -> bool:
        self._last = now
        if self._started is None:
            self._started, self._reminded, self._failures = now, now, 1
            _rewrite(record, logging.ERROR,
                     "Courtier injoignable (%s) : nouvel essai toutes les 1-2 s, rappel toutes "
                     "les %.0f s / broker unreachable (%s): retrying every 1-2 s, a reminder "
                     "every %.0f s", *(_cause(record), REMINDER_S) * 2)
            return True
        self._failures += 1
        if now - self._reminded >= REMINDER_S:
            self._reminded = now
            _rewrite(record, logging.WARNING,
                     "Courtier toujours injoignable depuis %.0f s (%d essais échoués) / broker "
                     "still unreachable after %.0f s (%d failed tries)",
                     *(now - self._started, self._failures) * 2)
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def _is_failure(record: logging.LogRecord) -> bool:
    prefix = _FAILURES.get(record.name)
    return prefix is not None and record.levelno >= logging.ERROR \
        and str(record.msg).startswith(prefix)


def _cause(record: logging.LogRecord) -> str:
    """The class of the first exception of the chain (the beat's wraps the network's)."""
    exc = record.exc_info[1] if record.exc_info else None
    while exc is not None and (exc.__cause__ or exc.__context__) is not None:
        exc = exc.__cause__ or exc.__context__
    return type(exc).__name__ if exc is not None else "ConnectionError"


def _rewrite(record: logging.LogRecord, level: int, message: str, *args: object) -> None:
    record.msg, record.args, record.exc_info, record.exc_text = message, args, None, None
    record.levelno, record.levelname = level, logging.getLevelName(level)


def quiet_outages() -> OutageLog:
    """Install OutageLog on the loggers of the consumer and the beat (before they start;
    the beat's process inherits it)."""
    outages = OutageLog()
    for name in (*_FAILURES, _CONNECTED[0]):
        logging.getLogger(name).addFilter(outages)
    return outages
