"""The network's calendar: its members work in Paris time (summer and winter), so the
console's "today" and a month's bounds are Paris ones, while the store keeps UTC times:
a decision at 00:30 on the first of the month in Paris belongs to that month."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from hub.bootstrap import Hub

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def today(hub: Hub) -> dt.date:
    """The day it is in Paris by the hub's clock."""
    return hub.clock().astimezone(PARIS).date()


def midnight(day: dt.date) -> dt.datetime:
    """The instant `day` begins in Paris, in UTC as the store compares its times (SQLite
    compares their texts: a Paris time would be read as UTC)."""
    return dt.datetime.combine(day, dt.time(), tzinfo=PARIS).astimezone(dt.UTC)
