"""When a candidate's consent ends, as the matching index keeps it: microseconds since
the epoch, an integer compared exactly with the instant of a match. The consent itself
ends to the microsecond (`ConsentRecord.status`: expired from `expires_at` on); an end
kept in whole seconds left a fiche out of the matching up to a second before then, while
its consent was still in force."""

from __future__ import annotations

import datetime as dt

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


def epoch_us(at: dt.datetime) -> int:
    """`at` in whole microseconds since the epoch (a time without zone is UTC's)."""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)
    return (aware - _EPOCH) // _MICROSECOND


def has_ended(end_us: int | None, at_us: int) -> bool:
    """Whether a consent ending at `end_us` (None: not known) has ended at `at_us`, as
    `ConsentRecord.status` tells it: from its end on."""
    return end_us is not None and at_us >= end_us
