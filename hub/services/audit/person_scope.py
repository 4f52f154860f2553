"""The access events about one person, whichever porteur id the hub held their data under
when it was seen. The coordination merges porteurs (two fiches of one person) and splits
fiches off (a merge undone): an access logged under a porteur merged away, or under the
porteur a fiche was split from while it was there, is still an access to this person's
data, and a report on "who saw my data" (GDPR art. 15) must list it; an access to
another person's data, logged under a porteur that held both by mistake, must not be.

Which porteur held which fiche when is read from the fiches' links (each merge and split
closes a link and opens another). An event logged under a porteur counts when it names
one of the person's fiches now; when it names no fiche, when it was logged while that
porteur held one of the person's fiches (an emptied porteur, all of whose fiches are the
person's now, holds them for good: an access logged under it as the merge committed is
theirs). An event of the porteur itself naming another fiche (one withdrawn since) counts
only if the porteur never held another person's fiche: after a mistaken merge undone, a
withdrawn fiche's accesses are left out rather than shown to the wrong person."""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from hub.audit.events import AccessEvent, pseudonymise
from hub.audit.log import EventMark
from hub.bootstrap import Hub

MAX_LINKS = 2_000  # links read for one person (a long history stays bounded)
MAX_EVENTS = 100_000  # events read per porteur id, the newest (searches; not the report, exports)
PAGE = 2_000  # events `streamed_about` holds at a time

Spans = dict[str, list[tuple[dt.datetime, dt.datetime | None]]]
_Event = TypeVar("_Event", AccessEvent, EventMark)


def events_about(hub: Hub, porteur_id: str, **criteria: Any) -> list[AccessEvent]:
    """The events about the person `porteur_id` holds now, oldest first; `criteria` (the
    access log's `search` filters: member, action, since, until, user, upto) are applied
    by the database, each event being the person's or not whatever the others are."""
    return _about(hub, porteur_id, _search, criteria)


def _about(hub: Hub, porteur_id: str, read: Callable[..., list[_Event]],
           criteria: dict[str, Any]) -> list[_Event]:
    mine, gave_away, spans = _history(hub, porteur_id)
    found: list[_Event] = []
    for holder in sorted(spans.keys() | {porteur_id}):
        theirs = _theirs(porteur_id, holder, mine, gave_away, spans)
        found.extend(event for event in read(hub, holder, **criteria) if theirs(event))
    return sorted(found, key=lambda e: (e.seq is None, e.seq or 0))


def streamed_about(hub: Hub, porteur_id: str) -> Iterator[AccessEvent]:
    """The events about the person `porteur_id` holds now, every one of them (not the
    newest MAX_EVENTS per porteur id: the access report is never cut), read PAGE at a
    time, each porteur id's newest first (not in seq order across them): the access report
    folds them as they come, never holding a long journal whole."""
    mine, gave_away, spans = _history(hub, porteur_id)
    for holder in sorted(spans.keys() | {porteur_id}):
        theirs = _theirs(porteur_id, holder, mine, gave_away, spans)
        yield from (event for event in _newest_pages(hub, holder) if theirs(event))


def _theirs(porteur_id: str, holder: str, mine: set[str], gave_away: bool,
            spans: Spans) -> Callable[[AccessEvent | EventMark], bool]:
    """Whether an event logged under `holder` is about the person (the module's rule)."""
    held = spans.get(holder, [])

    def theirs(event: AccessEvent | EventMark) -> bool:
        refs = set(event.fiche_refs)
        return bool(refs & mine) or (not refs and _within(event.at, held)) or \
            (holder == porteur_id and bool(refs) and not gave_away)
    return theirs


def _newest_pages(hub: Hub, porteur_id: str) -> Iterator[AccessEvent]:
    """Every event logged under `porteur_id`, newest first, PAGE at a time: each page ends
    below the previous one's last seq."""
    ref, upto = pseudonymise(porteur_id, hub.pseudonym_key), None
    while True:
        page = hub.audit.search(porteur_ref=ref, limit=PAGE, newest_first=True, upto=upto)
        yield from page
        if len(page) < PAGE:
            return
        upto = (page[-1].seq or 0) - 1


def searched(hub: Hub, porteur_id: str, **criteria: Any) -> list[AccessEvent]:
    """The journal's search by porteur id, oldest first: the person's events under every id
    that held their fiches (`events_about`) when `porteur_id` holds fiches now; else (an id
    merged away, unknown, or whose fiches were all withdrawn) the events logged under it.
    `criteria` as `events_about`'s."""
    with hub.uow() as uow:
        holds = bool(uow.fiches.of_porteur(porteur_id))
    return events_about(hub, porteur_id, **criteria) if holds else \
        _search(hub, porteur_id, **criteria)


def streamed_searched(hub: Hub, porteur_id: str, **criteria: Any) -> Iterator[AccessEvent]:
    """`searched`'s events, every one of them (never cut at MAX_EVENTS: the exports), oldest
    first, each porteur id's read PAGE at a time and merged by seq."""
    with hub.uow() as uow:
        holds = bool(uow.fiches.of_porteur(porteur_id))
    if not holds:
        yield from _oldest_pages(hub, porteur_id, criteria, lambda _event: True)
        return
    mine, gave_away, spans = _history(hub, porteur_id)
    yield from heapq.merge(*[
        _oldest_pages(hub, holder, criteria, _theirs(porteur_id, holder, mine, gave_away, spans))
        for holder in sorted(spans.keys() | {porteur_id})], key=lambda event: event.seq or 0)


def _oldest_pages(hub: Hub, porteur_id: str, criteria: dict[str, Any],
                  theirs: Callable[[AccessEvent], bool]) -> Iterator[AccessEvent]:
    """Every event logged under `porteur_id` matching `criteria` that `theirs` keeps,
    oldest first, PAGE at a time: each page begins past the previous one's last seq."""
    ref, after = pseudonymise(porteur_id, hub.pseudonym_key), -1
    while True:
        page = hub.audit.search(porteur_ref=ref, limit=PAGE, after=after, **criteria)
        yield from (event for event in page if theirs(event))
        if len(page) < PAGE:
            return
        after = page[-1].seq or 0


def searched_seqs(hub: Hub, porteur_id: str, **criteria: Any) -> list[int]:
    """`searched`'s events as their seqs, oldest first: the person's events are told from
    each event's seq, time and fiche pseudonyms alone, the events shown read afterwards."""
    with hub.uow() as uow:
        holds = bool(uow.fiches.of_porteur(porteur_id))
    found = _about(hub, porteur_id, _marks, criteria) if holds else \
        _marks(hub, porteur_id, **criteria)
    return [mark.seq for mark in found]


def made_available(hub: Hub, porteur_id: str) -> list[tuple[str, list[str], dt.datetime]]:
    """(recipient, fields, when) of each delivery of the person's fiches' data that reached
    its recipient, read or not, whichever porteur id held the fiche when it was sent."""
    with hub.uow() as uow:
        own = sorted(row.id for row in uow.fiches.of_porteur(porteur_id))
        links = uow.matching.link_history(porteur_id, own, MAX_LINKS)
        holders = {holder for pk, _m, _f, holder, _l, _u in links if pk in own} | {porteur_id}
        return uow.deliveries.made_available(sorted(holders), own)


def fiche_made_available(hub: Hub, fiche_pk: int, porteur_id: str | None
                         ) -> list[tuple[str, list[str], dt.datetime]]:
    """`made_available` for one fiche: each delivery of its data that reached its
    recipient, read or not, whichever porteur id held it when it was sent."""
    with hub.uow() as uow:
        links = uow.matching.link_history(porteur_id or "", [fiche_pk], MAX_LINKS)
        holders = {holder for pk, _m, _f, holder, _l, _u in links if pk == fiche_pk}
        holders |= {porteur_id} if porteur_id else set()
        return uow.deliveries.made_available(sorted(holders), [fiche_pk])


def _search(hub: Hub, porteur_id: str, **criteria: Any) -> list[AccessEvent]:
    """The newest MAX_EVENTS events under `porteur_id`, oldest first: past the bound, the
    oldest are left out, never the newest accesses a DPO asks about."""
    return hub.audit.search(porteur_ref=pseudonymise(porteur_id, hub.pseudonym_key),
                            limit=MAX_EVENTS, newest_first=True, **criteria)[::-1]


def _marks(hub: Hub, porteur_id: str, **criteria: Any) -> list[EventMark]:
    return hub.audit.marks(porteur_ref=pseudonymise(porteur_id, hub.pseudonym_key),
                           limit=MAX_EVENTS, **criteria)


def _history(hub: Hub, porteur_id: str) -> tuple[set[str], bool, Spans]:
    """The pseudonyms of the person's fiches now; whether the porteur may have held
    another's fiche (it gave one away since, or its history was cut at MAX_LINKS: its
    events naming a fiche that is not the person's then count no more, a fiche withdrawn
    since having lost the id its pseudonym was made of); and per porteur id the spans it
    held one of the person's fiches, open-ended for a porteur emptied into the person's."""
    with hub.uow() as uow:
        held = uow.fiches.of_porteur(porteur_id)
        own = {row.id for row in held}
        links = uow.matching.link_history(porteur_id, sorted(own), MAX_LINKS)
        spans: Spans = {}
        for pk, _member, _fiche, holder, linked, unlinked in links:
            if pk in own:
                spans.setdefault(holder, []).append((linked, unlinked))
        for holder in [h for h in spans if h != porteur_id]:
            if _emptied_into(uow, holder, own):
                ends = [_utc(end) for _start, end in spans[holder] if end is not None]
                spans[holder].append((max(ends, default=_utc(spans[holder][0][0])), None))
    gave_away = len(links) >= MAX_LINKS or any(pk not in own for pk, *_ in links)
    mine = {pseudonymise(f"{row.member_id}/{row.fiche_id}", hub.pseudonym_key) for row in held}
    return mine, gave_away, spans


def _emptied_into(uow: Any, holder: str, own: set[int]) -> bool:
    """Whether `holder` holds no fiche now and every fiche it ever held is the person's
    (absorbed by a merge): an access logged under it as the merge committed is theirs."""
    links = uow.matching.link_history(holder, [], MAX_LINKS)
    return len(links) < MAX_LINKS and all(
        pk in own and (porteur != holder or unlinked is not None)
        for pk, _member, _fiche, porteur, _linked, unlinked in links)


def _within(at: dt.datetime, spans: list[tuple[dt.datetime, dt.datetime | None]]) -> bool:
    """`at` in a span [linked, unlinked): an event logged as the link closed is the next
    holder's."""
    moment = _utc(at)
    return any(_utc(start) <= moment and (end is None or moment < _utc(end))
               for start, end in spans)


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
