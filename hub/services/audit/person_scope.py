"""The access events about one person, whichever porteur id the hub held their data under
when it was seen. The coordination merges porteurs (two fiches of one person) and splits
fiches off (a merge undone): an access logged under a porteur merged away, or under the
porteur a fiche was split from while it was there, is still an access to this person's
data, and a report on "who saw my data" (GDPR art. 15) must list it.

The porteur's own events all count. Under a porteur it absorbed, or one it was split
from (followed through their own merges and splits), an event counts when it names one
of the person's fiches now, or names no fiche at all."""

from __future__ import annotations

from hub.audit.events import AccessEvent, pseudonymise
from hub.bootstrap import Hub

MAX_PORTEURS = 200  # porteur ids followed for one person (a long history stays bounded)
MAX_CHANGES = 500  # merges and splits read per porteur id
MAX_EVENTS = 100_000  # events read per porteur id


def events_about(hub: Hub, porteur_id: str) -> list[AccessEvent]:
    """The porteur's events and those of the porteur ids its fiches were held under
    before, oldest first."""
    related, fiche_refs = _related(hub, porteur_id)
    found = _search(hub, porteur_id)
    for other in related:
        found += [e for e in _search(hub, other)
                  if not e.fiche_refs or fiche_refs.intersection(e.fiche_refs)]
    return sorted(found, key=lambda e: (e.seq is None, e.seq or 0))


def _search(hub: Hub, porteur_id: str) -> list[AccessEvent]:
    return hub.audit.search(porteur_ref=pseudonymise(porteur_id, hub.pseudonym_key),
                            limit=MAX_EVENTS)


def _related(hub: Hub, porteur_id: str) -> tuple[list[str], set[str]]:
    """Porteur ids merged into this one or split from, and the pseudonyms of the fiches
    the porteur holds now."""
    seen, waiting = {porteur_id}, [porteur_id]
    with hub.uow() as uow:
        held = uow.fiches.of_porteur(porteur_id)
        while waiting and len(seen) < MAX_PORTEURS:
            current = waiting.pop()
            for change in uow.matching.merge_history(current, MAX_CHANGES):
                earlier = (change.other_porteur_id if change.kind == "merge"
                           and change.porteur_id == current else change.porteur_id
                           if change.kind == "unmerge" and change.other_porteur_id == current
                           else None)
                if earlier is not None and earlier not in seen:
                    seen.add(earlier)
                    waiting.append(earlier)
    fiche_refs = {pseudonymise(f"{row.member_id}/{row.fiche_id}", hub.pseudonym_key)
                  for row in held}
    return sorted(seen - {porteur_id}), fiche_refs
