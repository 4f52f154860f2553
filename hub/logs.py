"""Logging that keeps tracebacks and drops exception messages.

An exception's text can hold a submitted value (a name in a `ValueError`, a row in a
database error), so every handler the hub configures (its own, uvicorn's, celery's,
which all log through the root logger or the config below) formats exceptions with
`RedactingFormatter`: each frame (file, line, function, source line) and each chained
exception's class are kept, its message is replaced by a mark.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import logging.config
import traceback
from typing import Any

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
OMITTED = "<message omis : il peut contenir des données soumises>"


class RedactingFormatter(logging.Formatter):
    """A formatter whose tracebacks name exception classes but never their text."""

    def format(self, record: logging.LogRecord) -> str:
        record.exc_text = None  # never reuse a text another formatter cached unredacted
        return super().format(record)

    def formatException(self, ei: Any) -> str:
        exc_type, exc, tb = ei
        chain = traceback.TracebackException(exc_type, exc, tb)
        return "".join(_redacted(chain)).rstrip("\n")


def _redacted(link: traceback.TracebackException) -> list[str]:
    lines: list[str] = []
    if link.__cause__ is not None:
        lines += [*_redacted(link.__cause__), "\nThe above exception was the direct cause "
                  "of the following exception:\n\n"]
    elif link.__context__ is not None and not link.__suppress_context__:
        lines += [*_redacted(link.__context__), "\nDuring handling of the above exception, "
                  "another exception occurred:\n\n"]
    if link.stack:
        lines += ["Traceback (most recent call last):\n", *link.stack.format()]
    name = link.exc_type.__qualname__ if link.exc_type else "Exception"
    module = link.exc_type.__module__ if link.exc_type else "builtins"
    qualified = name if module in ("builtins", "__main__") else f"{module}.{name}"
    return [*lines, f"{qualified}: {OMITTED}\n"]


class JsonRedactingFormatter(RedactingFormatter):
    """One JSON object per line (`HUB_LOG_FORMAT=json`, for a log collector): time (UTC),
    level, logger, message, and the redacted traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        record.exc_text = None
        entry = {"temps": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(),
                 "niveau": record.levelname, "journal": record.name,
                 "message": record.getMessage()}
        if record.exc_info:
            entry["trace"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def formatter(fmt: str = "text") -> RedactingFormatter:
    return JsonRedactingFormatter() if fmt == "json" else RedactingFormatter(FORMAT)


def configure_logging(level: str, fmt: str = "text") -> None:
    """The root logger (the hub's modules, celery's with `worker_hijack_root_logger=False`)
    writes to stderr through `RedactingFormatter` (or its JSON form)."""
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(fmt))
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())


def uvicorn_log_config(level: str, fmt: str = "text") -> dict[str, Any]:
    """uvicorn's `log_config`: its loggers go through `RedactingFormatter` too."""
    return {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"redacting": {"()": formatter, "fmt": fmt}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "redacting"}},
        "loggers": {name: {"handlers": ["stderr"], "level": level.upper(), "propagate": False}
                    for name in ("uvicorn", "uvicorn.error", "uvicorn.access")},
    }
