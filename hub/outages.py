"""Broker outages in the log: a line when one starts, a reminder every 30 s
(`HUB_BROKER_OUTAGE_REMINDER_S`), a line when it ends, for each user of the broker (the
worker's consumer and beat, the publisher of the API and of the worker) and for the
API's refusal counter and rate limiter (in the rate limits' Redis, often the broker's);
each failed try only at DEBUG. Before, a two-minute Redis outage wrote about 1 MB of log, and the
beat's and the API's outages never ended in it.

A failure caused by a full disk (the embedded broker writes its messages in the data
directory) is said as such, naming the folder and the fix, not as the broker being
unreachable; then reminders, and a line when there is room again."""

from __future__ import annotations

import dataclasses
import errno
import logging
import threading
import time
from pathlib import Path
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


# A full disk, a quota, a file-size limit: the operator's to mend, not an outage.
_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


@dataclasses.dataclass
class _Outage:
    started: float
    reminded: float
    failures: int = 1
    full_folder: str | None = None  # a full disk's: where nothing could be written


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
        if outage is None:
            return
        if outage.full_folder is not None:
            logging.getLogger(source).warning(
                "De la place à nouveau dans %s après %.0f s (%d essais échoués) / "
                "room again in %s after %.0f s (%d failed tries)", outage.full_folder, lasted,
                outage.failures, outage.full_folder, lasted, outage.failures)
            return
        fr, en = _WHAT.get(source, _BROKER)
        logging.getLogger(source).warning(
            "%s de nouveau joignable après %.0f s (%d essais échoués) / "
            "%s reachable again after %.0f s (%d failed tries)",
            fr, lasted, outage.failures, en, lasted, outage.failures)

    def _failed(self, record: logging.LogRecord, now: float) -> bool:
        outage = self._outages.get(record.name)
        if outage is None:
            full = full_disk(record.exc_info[1] if record.exc_info else None)
            self._outages[record.name] = _Outage(
                now, now, full_folder=None if full is None else _folder_of(full))
            _rewrite(record, logging.ERROR, *self._start(record, full))
            return True
        outage.failures += 1
        if now - outage.reminded >= self.reminder_s:
            outage.reminded = now
            _rewrite(record, logging.WARNING, *_reminder(record.name, outage, now))
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)

    def _start(self, record: logging.LogRecord, full: OSError | None) -> tuple[Any, ...]:
        """The outage's first line: a full disk named with its folder and the fix."""
        if full is not None:
            folder = _folder_of(full)
            return ("Disque plein : rien ne peut être écrit dans %s (%s) : libérez de la "
                    "place, la reprise se fait seule ensuite ; rappel toutes les %.0f s / "
                    "disk full: nothing can be written in %s (%s): free some space, it "
                    "resumes by itself then; a reminder every %.0f s",
                    folder, full.strerror, self.reminder_s, folder, full.strerror,
                    self.reminder_s)
        fr, en = _WHAT.get(record.name, _BROKER)
        cause = _cause(record)
        return ("%s injoignable (%s) : rappel toutes les %.0f s / %s "
                "unreachable (%s): a reminder every %.0f s",
                fr, cause, self.reminder_s, en, cause, self.reminder_s)


def _reminder(source: str, outage: _Outage, now: float) -> tuple[Any, ...]:
    lasted = now - outage.started
    if outage.full_folder is not None:
        return ("Disque toujours plein depuis %.0f s (%d essais échoués) : libérez de la "
                "place dans %s / disk still full after %.0f s (%d failed tries): free "
                "some space in %s", lasted, outage.failures, outage.full_folder,
                lasted, outage.failures, outage.full_folder)
    fr, en = _WHAT.get(source, _BROKER)
    return ("%s toujours injoignable depuis %.0f s (%d essais échoués) / %s "
            "still unreachable after %.0f s (%d failed tries)",
            fr, lasted, outage.failures, en, lasted, outage.failures)


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


def full_disk(exc: BaseException | None) -> OSError | None:
    """The error of a full disk (a quota, a file-size limit) in `exc`'s chain, if any."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in _FULL:
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def why_not_sent(exc: BaseException | None) -> str:
    """Why a message was not sent, for a log line: a full disk named with its folder and
    the fix, else the class of the first exception of the chain."""
    full = full_disk(exc)
    if full is not None:
        return (f"disk full: nothing can be written in {_folder_of(full)} ({full.strerror}): "
                "free some space")
    while exc is not None and (exc.__cause__ or exc.__context__) is not None:
        exc = exc.__cause__ or exc.__context__
    return type(exc).__name__ if exc is not None else "unknown"


def _folder_of(error: OSError) -> str:
    """The folder of the file a refused write named (a message's, never personal data)."""
    return str(Path(str(error.filename)).parent) if error.filename else "HUB_DATA_DIR"


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
