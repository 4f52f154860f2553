"""Waiting between attempts: exponential backoff with jitter, and Retry-After headers.

Used by every HTTP caller of the SDK (the hub client, the REST source, the receiver's
forwarder), so they all back off the same way.
"""

from __future__ import annotations

import email.utils
import random
import time


def backoff_delay(attempt: int, base_s: float = 0.5, max_s: float = 30.0) -> float:
    """Seconds before attempt `attempt + 1`: base * 2^attempt capped at max, half jittered."""
    ceiling = min(max_s, base_s * 2**attempt)
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)
