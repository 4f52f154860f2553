"""Refused authentications: counted per source, never believed.

A request whose credentials do not check out says nothing reliable about who sent it:
it never becomes an event in the name of the member it claims. Refusals are counted
per source address and fixed window; each window closes into ONE access event
(`login`, `denied`, actor `non-authentifie`, actor user `source:<address>`, field
`tentatives.<count>`), and a source past `HUB_AUTH_REFUSAL_LIMIT` refusals in a window
gets 429 with `Retry-After` until the window ends. A refusal after the member's token
checked out (bad signature, stale, replayed) is attributable: it is also logged in the
member's name, and only those count for the unusual-access alerts.

The counter is a port: in memory for one API process, in Redis (the rate limits' store)
when several API processes must share their counts (hub.limits).
"""

from __future__ import annotations

import datetime as dt
import re

from hub.bootstrap import Hub
from hub.errors import TooManyRefusals
from hub.limits import RefusalCounter
from hub.services.audit import trail as audit

UNATTRIBUTED = "non-authentifie"  # the actor of a refusal nobody can be held to


def check_source(counter: RefusalCounter, source: str, limit: int, now: dt.datetime) -> None:
    """TooManyRefusals (429, Retry-After) while `source` is past its refusals' limit."""
    if counter.count(source, now) >= limit:
        retry_after = counter.window_of(now) + counter.window - now
        raise TooManyRefusals(
            "Trop de requêtes refusées depuis cette adresse : réessayez après le délai "
            "indiqué par Retry-After, avec des identifiants et une signature valides.",
            "Too many refused requests from this address: retry after the Retry-After "
            "delay, with valid credentials and signature.",
            retry_after_s=max(1, int(retry_after.total_seconds() + 0.999)))


def close_windows(hub: Hub, now: dt.datetime) -> None:
    """One `login denied` event per source for each window that ended (actor
    `non-authentifie`: a refused request proves nothing about whom it names)."""
    events = [audit.event(hub, "login", UNATTRIBUTED, outcome="denied",
                          user="source:" + _SOURCE_UNSAFE.sub("_", tally.source)[:90],
                          fields=[f"tentatives.{tally.count}"])
              for tally in hub.refusals.closed(now)]
    audit.record(hub, events)


def close_all(hub: Hub) -> None:
    """The API process is stopping: log every window it alone holds now, so that no count
    is lost; shared windows that are still open stay for the other processes."""
    close_windows(hub, hub.clock() if hub.refusals.shared else dt.datetime.max.replace(tzinfo=dt.UTC))


_SOURCE_UNSAFE = re.compile(r"[^A-Za-z0-9_.:/-]")
