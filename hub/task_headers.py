"""The headers of a Celery task message, checked as Celery's worker reads them.

Celery's request builder and strategy read a message's headers without checking their
types: a `timelimit` of "x" or 5 (unpacked as a pair), an `expires` of {} (an empty value
taken for a date), `stamps` that are not an object, ... raise a ValueError, TypeError or
AttributeError out of the consumer, which stops the worker ("Unrecoverable error"); the
message, never acknowledged, is handed to the next worker, which dies the same way. Each
header the worker reads is checked here against what Celery expects of it (its dates
parsed by Celery's own functions), so such a message is set aside before Celery sees it.
The reason given names the header, never its value (a message could carry anything).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from celery.utils.time import maybe_iso8601, maybe_make_aware

__all__ = ["BadTaskMessage", "wrong_embed", "wrong_headers"]


class BadTaskMessage(ValueError):
    """A task message Celery's worker cannot build a request from; the text says which
    header or part, never its value."""


def _text(value: Any) -> bool:
    return isinstance(value, str)


def _text_or_none(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _count_or_none(value: Any) -> bool:
    return value is None or _count(value)


def _flag_or_none(value: Any) -> bool:
    return value is None or isinstance(value, bool)


def _seconds_or_none(value: Any) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool)
                             and 0 <= value < float("inf"))


def _time_limits(value: Any) -> bool:
    # Celery unpacks a non-empty value as (hard, soft), each None or seconds
    if not value:
        return value is None or isinstance(value, list | tuple)
    return isinstance(value, list | tuple) and len(value) == 2 \
        and all(_seconds_or_none(limit) for limit in value)


def _date_or_none(value: Any) -> bool:
    if value is None:
        return True
    if not isinstance(value, str | datetime) or not value:
        return False  # an empty value passes Celery's parser as None, then fails
    try:
        maybe_make_aware(maybe_iso8601(value))
    except (ValueError, TypeError, AttributeError, OverflowError):
        return False
    return True


def _texts_or_none(value: Any) -> bool:
    return value is None or (isinstance(value, list | tuple) and all(map(_text, value)))


def _object_or_none(value: Any) -> bool:
    return value is None or isinstance(value, dict)


def _objects_or_none(value: Any) -> bool:
    return value is None or (isinstance(value, list | tuple)
                             and all(isinstance(item, dict) for item in value))


# What Celery's Request, strategy and task tracer read of each header (protocol 2).
_HEADERS: Mapping[str, Callable[[Any], bool]] = {
    "lang": _text_or_none,
    "task": _text,
    "id": _text,
    "shadow": _text_or_none,
    "eta": _date_or_none,
    "expires": _date_or_none,
    "group": _text_or_none,
    "group_index": _count_or_none,
    "retries": _count,
    "timelimit": _time_limits,
    "soft_time_limit": _seconds_or_none,
    "time_limit": _seconds_or_none,
    "root_id": _text_or_none,
    "parent_id": _text_or_none,
    "argsrepr": _text_or_none,
    "kwargsrepr": _text_or_none,
    "origin": _text_or_none,
    "ignore_result": _flag_or_none,
    "replaced_task_nesting": _count,
    "stamped_headers": _texts_or_none,
    "stamps": _object_or_none,
    "reply_to": _text_or_none,
    "correlation_id": _text_or_none,
}

# What the tracer reads of the body's third part (callbacks, chain, chord...).
_EMBED: Mapping[str, Callable[[Any], bool]] = {
    "callbacks": _objects_or_none,
    "errbacks": _objects_or_none,
    "chain": _objects_or_none,
    "chord": _object_or_none,
}


def wrong_headers(headers: Mapping[str, Any]) -> str | None:
    """Why Celery's worker cannot build a request from a protocol 2 message with these
    `headers` (the header's name), or None. `task` and `id` are required."""
    for name in ("task", "id"):
        if name not in headers:
            return f"the {name} header is missing"
    for name, fits in _HEADERS.items():
        if name in headers and not fits(headers[name]):
            return f"the {name} header is not what Celery reads"
    return None


def wrong_embed(embed: Mapping[str, Any]) -> str | None:
    """Why the third part of a protocol 2 body is not what Celery reads, or None."""
    for name, fits in _EMBED.items():
        if not fits(embed.get(name)):
            return f"the body's {name} is not what Celery reads"
    return None
