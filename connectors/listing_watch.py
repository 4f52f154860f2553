"""How far a paginated listing can be trusted when contacts changed while it was read.

An API listing its contacts by modification date moves a contact edited during the
listing to its end: every contact after the edited one's old place slides back by one,
and the one at the next page boundary lands on a page already read. It is not answered
on this run, and its modification date is older than the newest change read. The cursor
must not pass it: it stays at the newest change of the pages answered before the first
edit (by the API's own clock, its `Date` header), at least the first page, which no
edit can have cut. With no change dated from the listing's start, nothing slid: the
cursor may move to the newest change read.

Two checks need no clock. A contact read twice in one listing was edited after the page
that first held it: the cursor stays at the newest change of the pages up to that one.
A page boundary that moved (`slid`: the item before a page is no longer the last one
read, a contact deleted outright or edited before it) holds the cursor at the newest
change of the pages read before it.

    >>> at = lambda day, hour=0: dt.datetime(2026, 12, day, hour, tzinfo=dt.UTC)
    >>> watch = ListingWatch()
    >>> watch.page(at(6, 10), [at(1), at(2)]); watch.page(at(6, 11), [at(3)])
    >>> watch.page(at(6, 13), [at(4), at(6, 12)])  # a contact edited at 12:00
    >>> watch.settled_until() == at(3)
    True
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
from collections.abc import Iterable
from email.utils import parsedate_to_datetime

# The `Date` header and the modification dates may come from two clocks, each to the
# second: a change this close to a page's answer is taken as made after it.
CLOCK_SLACK = dt.timedelta(seconds=2)
_NEVER = dt.datetime.min.replace(tzinfo=dt.UTC)


@dataclasses.dataclass(frozen=True)
class _Page:
    answered_at: dt.datetime
    newest: dt.datetime | None


class ListingWatch:
    """The pages of one listing: when the API answered each, and its newest change."""

    def __init__(self) -> None:
        self._pages: list[_Page] = []
        self._changes: list[dt.datetime] = []
        self._first_page_of: dict[str, int] = {}
        self._confirmed: int | None = None  # pages proven whole, when a slide was seen

    def page(self, answered_at: dt.datetime, stamps: Iterable[dt.datetime | None],
             keys: Iterable[str | None] = ()) -> None:
        dated = [_aware(s) for s in stamps if s is not None]
        self._changes += dated
        at = len(self._pages)
        self._pages.append(_Page(_aware(answered_at), max(dated, default=None)))
        for key in keys:
            if key is not None and self._first_page_of.setdefault(key, at) != at:
                self._confirm(self._first_page_of[key] + 1)

    def slid(self) -> None:
        """The page about to be read no longer follows the last one read: only the pages
        read so far are proven whole."""
        self._confirm(len(self._pages))

    def _confirm(self, pages: int) -> None:
        self._confirmed = pages if self._confirmed is None else min(self._confirmed, pages)

    def settled_until(self) -> dt.datetime | None:
        """The latest modification date the cursor may move to; None when nothing may
        have slid between pages."""
        by_clock = self._by_clock()
        if self._confirmed is None:
            return by_clock
        trusted = self._pages[:max(1, self._confirmed)]
        proven = max((p.newest for p in trusted if p.newest is not None), default=_NEVER)
        return proven if by_clock is None else min(proven, by_clock)

    def _by_clock(self) -> dt.datetime | None:
        """The bound by the API's clock; None when no change is dated from the listing's
        start."""
        if not self._pages:
            return None
        began = self._pages[0].answered_at - CLOCK_SLACK
        edits = [stamp for stamp in self._changes if stamp >= began]
        if not edits:
            return None
        first_edit = min(edits) - CLOCK_SLACK
        before = len(list(itertools.takewhile(lambda p: p.answered_at < first_edit,
                                              self._pages)))
        trusted = self._pages[:max(1, before)]
        return max((p.newest for p in trusted if p.newest is not None), default=_NEVER)


def answered_at(date_header: str | None) -> dt.datetime:
    """The API's clock from its `Date` header; this machine's when absent or unreadable."""
    if date_header:
        try:
            return _aware(parsedate_to_datetime(date_header))
        except (TypeError, ValueError):
            pass
    return dt.datetime.now(dt.UTC)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
