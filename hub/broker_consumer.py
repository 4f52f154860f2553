"""The worker's consumer: back on the broker within about two seconds of its return.

Celery's consumer waits 2, 4, 6 ... up to 30 s between tries to reach a lost broker and
gives up after 100 tries: after a 90 s Redis restart the worker stayed idle 18 s more.
This one tries every 1-2 s for as long as the outage lasts (`broker_connection_max_retries`
is None), so it reconnects by itself; only a broker unreachable at start is fatal, and
then it says which broker (its URL without the password). During an outage each of the
worker's users of the broker (the consumer, the beat) logs it once, then every 30 s
(`HUB_BROKER_OUTAGE_REMINDER_S`), and once more when the broker takes its messages
again (`OutageLog`).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import threading
import time
from typing import Any

from celery.beat import PersistentScheduler
from celery.worker.consumer import Consumer

logger = logging.getLogger(__name__)


class PromptConsumer(Consumer):
    def ensure_connected(self, conn: Any) -> Any:
        conn.ensure_connection = functools.partial(
            conn.ensure_connection, interval_start=1, interval_step=1, interval_max=2)
        try:
            connected = super().ensure_connected(conn)
        except Exception as exc:
            if self.first_connection_attempt:
                logger.critical(
                    "Courtier injoignable au démarrage / broker unreachable at start: %s (%s). "
                    "Vérifiez HUB_BROKER_URL ou démarrez le courtier ; le worker s'arrête. / "
                    "Check HUB_BROKER_URL or start the broker; the worker stops.",
                    conn.as_uri(), type(exc).__name__)
            raise
        broker_reached(_CONSUMER)
        return connected


class ReportingScheduler(PersistentScheduler):
    """Celery's beat, which says when the broker takes its messages again after an
    outage (the beat has no "connected" line of its own: its outages never ended)."""

    def apply_async(self, entry: Any, producer: Any = None, advance: bool = True,
                    **kwargs: Any) -> Any:
        result = super().apply_async(entry, producer, advance, **kwargs)
        broker_reached(_BEAT)
        return result


# -- logging during an outage -------------------------------------------------------

REMINDER_S = 30.0
_CONSUMER, _BEAT = "celery.worker.consumer.consumer", "celery.beat"
_FAILURES = {_CONSUMER: "consumer: Cannot connect to ", _BEAT: "Message Error: "}
_installed: OutageLog | None = None


@dataclasses.dataclass
class _Outage:
    started: float
    reminded: float
    failures: int = 1


class OutageLog(logging.Filter):
    """For each user of the broker (the consumer, the beat: the logger's name), one line
    when the broker becomes unreachable, a reminder every `reminder_s` with the count of
    failed tries, one line when the broker answers it again (`reached`); the failed tries
    themselves (an error each, with a long traceback from the beat) only at DEBUG. Before,
    a two-minute Redis outage wrote about 1 MB of log."""

    def __init__(self, clock: Any = time.monotonic, reminder_s: float = REMINDER_S) -> None:
        super().__init__()
        self._clock, self._reminder_s, self._lock = clock, reminder_s, threading.Lock()
        self._outages: dict[str, _Outage] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not _is_failure(record):
            return True
        with self._lock:
            return self._failed(record, self._clock())

    def reached(self, source: str) -> None:
        """The broker answered `source` (a logger's name): the end of its outage, if any."""
        with self._lock:
            outage = self._outages.pop(source, None)
            lasted = self._clock() - outage.started if outage else 0.0
        if outage is not None:
            logging.getLogger(source).warning(
                "Courtier de nouveau joignable après %.0f s (%d essais échoués) / "
                "broker reachable again after %.0f s (%d failed tries)",
                *(lasted, outage.failures) * 2)

    def _failed(self, record: logging.LogRecord, now: float) -> bool:
        outage = self._outages.get(record.name)
        if outage is None:
            self._outages[record.name] = _Outage(now, now)
            _rewrite(record, logging.ERROR,
                     "Courtier injoignable (%s) : nouvel essai toutes les 1-2 s, rappel toutes "
                     "les %.0f s / broker unreachable (%s): retrying every 1-2 s, a reminder "
                     "every %.0f s", *(_cause(record), self._reminder_s) * 2)
            return True
        outage.failures += 1
        if now - outage.reminded >= self._reminder_s:
            outage.reminded = now
            _rewrite(record, logging.WARNING,
                     "Courtier toujours injoignable depuis %.0f s (%d essais échoués) / broker "
                     "still unreachable after %.0f s (%d failed tries)",
                     *(now - outage.started, outage.failures) * 2)
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


def quiet_outages(reminder_s: float = REMINDER_S) -> OutageLog:
    """Install OutageLog on the loggers of the consumer and the beat (before they start;
    the beat's process inherits it)."""
    global _installed
    _installed = OutageLog(reminder_s=reminder_s)
    for name in _FAILURES:
        logging.getLogger(name).addFilter(_installed)
    return _installed


def broker_reached(source: str) -> None:
    """`source` (the consumer, the beat) reached the broker: log the end of its outage."""
    if _installed is not None:
        _installed.reached(source)
