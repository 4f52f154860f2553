"""A recipient's `Retry-After` is read strictly: 0-9 seconds or an HTTP date, anything
else ignored (the backoff applies), never an error in the sender."""

from __future__ import annotations

import pytest

from hub.webhook_session import retry_after_s

NOW = 1_800_000_000.0  # 2027-01-15 08:00:00 UTC


@pytest.mark.parametrize(("header", "seconds"), [
    ("120", 120.0), (" 7 ", 7.0), ("0", 0.0),
    ("Fri, 15 Jan 2027 08:01:00 GMT", 60.0),
    ("Fri, 15 Jan 2027 07:00:00 GMT", 0.0),  # a date already past: no wait
])
def test_seconds_and_http_dates_are_read(header, seconds):
    assert retry_after_s(header, NOW) == seconds


@pytest.mark.parametrize("header", [
    None, "", "²", "١٢٠", "𝟏𝟐", "-5", "1.5", "soon", "9" * 40, "Fri, 15 Jan 2027 08:01:00",
    "a, 1 Jan 99999999999999 00:00:00 GMT",  # a year past any calendar (OverflowError)
])
def test_anything_else_is_ignored(header):
    assert retry_after_s(header, NOW) is None
