"""Broker outages in the log: a line when one starts, a reminder every 30 s
(`HUB_BROKER_OUTAGE_REMINDER_S`), a line when it ends, for each user of the broker (the
worker's consumer and beat, the publisher of the API and of the worker) and for the
API's refusal counter and rate limiter (in the rate limits' Redis, often the broker's);
each failed try only at DEBUG. Before, a two-minute Redis outage wrote about 1 MB of log, and the
beat's and the API's outages never ended in it."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from typing import Any

REMINDER_S = 30.0
CONSUMER, BEAT = "celery.worker.consumer.consumer", "celery.beat"
PUBLISHER = "hub.services.delivery.publisher"  # the API's (and the worker's) sends
LIMITS = "hub.limits"  # the API's refusal counter, in the rate limits' Redis
RATE_LIMITS = "hub.services.ops.rate_limits"  # the API's rate limiter, in the same Redis
# The beat fails a send ("Message Error") or, first connecting, its connection.
_FAILURES = {CONSUMER: ("consumer: Cannot connect to ",),
             BEAT: ("Message Error: ", "beat: Connection error: "),
             PUBLISHER: ("broker unavailable: ",),
             LIMITS: ("refusal counter unavailable ",),
             RATE_LIMITS: ("rate limiter unavailable ",)}
# What each one could not reach, as its lines name it (French, English).
_WHAT = {LIMITS: ("Compteur de refus (Redis)", "refusal counter (Redis)"),
         RATE_LIMITS: ("Limiteur de débit (Redis)", "rate limiter (Redis)")}
_BROKER = ("Courtier", "broker")
_installed: OutageLog | None = None


@dataclasses.dataclass
class _Outage:
    started: float
    reminded: float
    failures: int = 1


class OutageLog(logging.Filter):
    """For each user of the broker (the logger's name), one line when the broker becomes
    unreachable, a reminder every `reminder_s` with the count of failed tries, one line
    when the broker answers it again (`reached`); the failed tries themselves (an error
    each, with a long traceback from the beat) only at DEBUG."""

    def __init__(self, clock: Any = time.monotonic, reminder_s: float = REMINDER_S) -> None:
        super().__init__()
        self._clock, self.reminder_s, self._lock = clock, reminder_s, threading.Lock()
        self._outages: dict[str, _Outage] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not _is_failure(record):
            return True
        with self._lock:
            return self._failed(record, self._clock())

    def reached(self, source: str) -> None:
        """The broker answered `source` (a logger's name): the end of its outage, if any."""
        if source not in self._outages:  # the usual case, read without the lock
            return
        with self._lock:
            outage = self._outages.pop(source, None)
            lasted = self._clock() - outage.started if outage else 0.0
        if outage is not None:
            fr, en = _WHAT.get(source, _BROKER)
            logging.getLogger(source).warning(
                "%s de nouveau joignable après %.0f s (%d essais échoués) / "
                "%s reachable again after %.0f s (%d failed tries)",
                fr, lasted, outage.failures, en, lasted, outage.failures)

    def _failed(self, record: logging.LogRecord, now: float) -> bool:
        outage = self._outages.get(record.name)
        fr, en = _WHAT.get(record.name, _BROKER)
        if outage is None:
            self._outages[record.name] = _Outage(now, now)
            cause = _cause(record)
            _rewrite(record, logging.ERROR,
                     "%s injoignable (%s) : rappel toutes les %.0f s / %s "
                     "unreachable (%s): a reminder every %.0f s",
                     fr, cause, self.reminder_s, en, cause, self.reminder_s)
            return True
        outage.failures += 1
        if now - outage.reminded >= self.reminder_s:
            outage.reminded = now
            lasted = now - outage.started
            _rewrite(record, logging.WARNING,
                     "%s toujours injoignable depuis %.0f s (%d essais échoués) / %s "
                     "still unreachable after %.0f s (%d failed tries)",
                     fr, lasted, outage.failures, en, lasted, outage.failures)
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def _is_failure(record: logging.LogRecord) -> bool:
    prefixes = _FAILURES.get(record.name)
    return prefixes is not None and record.levelno >= logging.WARNING \
        and str(record.msg).startswith(prefixes)


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
    """Install OutageLog on the loggers of the broker's users (before they start; the
    beat's process inherits it). Once per process: a later call (the command, then each
    hub it builds) sets the reminder interval of the same log, whose outages go on; a
    second log beside the first held each outage for ever, and its end was never told."""
    global _installed
    if _installed is None:
        _installed = OutageLog(reminder_s=reminder_s)
    _installed.reminder_s = reminder_s
    for name in _FAILURES:
        logger = logging.getLogger(name)
        if _installed not in logger.filters:
            logger.addFilter(_installed)
    return _installed


def broker_reached(source: str) -> None:
    """`source` (a logger's name) reached the broker: log the end of its outage, if any."""
    if _installed is not None:
        _installed.reached(source)
