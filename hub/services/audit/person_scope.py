"""The access events about one person, whichever porteur id the hub held their data under
when it was seen. The coordination merges porteurs (two fiches of one person) and splits
fiches off (a merge undone): an access logged under a porteur merged away, or under the
porteur a fiche was split from while it was there, is still an access to this person's
data, and a report on "who saw my data" (GDPR art. 15) must list it; an access to
another person's data, logged under a porteur that held both by mistake, must not be.

Which porteur held which fiche when is read from the fiches' links (each merge and split
closes a link and opens another). An event logged under a porteur counts when it names
one of the person's fiches now; when it names no fiche, when it was logged while that
porteur held one of the person's fiches. An event of the porteur itself naming fiches
none of which another porteur holds now (a fiche withdrawn since) counts too."""

from __future__ import annotations

import datetime as dt

from hub.audit.events import AccessEvent, pseudonymise
from hub.bootstrap import Hub

MAX_LINKS = 2_000  # links read for one person (a long history stays bounded)
MAX_EVENTS = 100_000  # events read per porteur id

Spans = dict[str, list[tuple[dt.datetime, dt.datetime | None]]]


def events_about(hub: Hub, porteur_id: str) -> list[AccessEvent]:
    """The events about the person `porteur_id` holds now, oldest first."""
    mine, elsewhere, spans = _history(hub, porteur_id)
    found: list[AccessEvent] = []
    for holder in sorted(spans.keys() | {porteur_id}):
        for event in _search(hub, holder):
            refs = set(event.fiche_refs)
            if refs & mine or (not refs and _within(event.at, spans.get(holder, []))) or \
                    (holder == porteur_id and refs and not refs <= elsewhere):
                found.append(event)
    return sorted(found, key=lambda e: (e.seq is None, e.seq or 0))


def _search(hub: Hub, porteur_id: str) -> list[AccessEvent]:
    return hub.audit.search(porteur_ref=pseudonymise(porteur_id, hub.pseudonym_key),
                            limit=MAX_EVENTS)


def _history(hub: Hub, porteur_id: str) -> tuple[set[str], set[str], Spans]:
    """The pseudonyms of the person's fiches now, those of fiches the porteur held once
    and another holds now, and per porteur id the spans it held one of the person's."""
    with hub.uow() as uow:
        held = uow.fiches.of_porteur(porteur_id)
        links = uow.matching.link_history(porteur_id, [row.id for row in held], MAX_LINKS)
    own = {row.id for row in held}
    ref = {pk: pseudonymise(f"{member}/{fiche}", hub.pseudonym_key)
           for pk, member, fiche, *_ in links}
    ref.update({row.id: pseudonymise(f"{row.member_id}/{row.fiche_id}", hub.pseudonym_key)
                for row in held})
    spans: Spans = {}
    for pk, _member, _fiche, holder, linked, unlinked in links:
        if pk in own:
            spans.setdefault(holder, []).append((linked, unlinked))
    elsewhere = {ref[pk] for pk, *_ in links if pk not in own}
    return {ref[pk] for pk in own}, elsewhere, spans


def _within(at: dt.datetime, spans: list[tuple[dt.datetime, dt.datetime | None]]) -> bool:
    """`at` in a span [linked, unlinked): an event logged as the link closed is the next
    holder's."""
    moment = _utc(at)
    return any(_utc(start) <= moment and (end is None or moment < _utc(end))
               for start, end in spans)


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
