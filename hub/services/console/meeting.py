"""The monthly meeting sheet of the network's technicians, to print and work from.

Each porteur appears once, in the first section that fits: first met this month, then
without a referent, then without news (ongoing projects only; installed, post-creation
and abandoned projects need no referent). Then the items kept "à voir en réunion" and
the referent proposals still waiting or declined, and every decision of the month: the
meeting's own (proposals and answers, parrains, items seen) and the duplicates (merges,
separations, "personnes différentes", doubts), with names rather than ids.

Lists come from the coordination's index (`hub.services.console.porteur_index`), in the
database; only the porteurs printed are read from their fiches, at most
`MAX_PER_SECTION` per section (the page says how many more the porteurs list holds).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hub.bootstrap import Hub
from hub.services.accounts.sessions import ConsoleSession
from hub.services.console import meeting_actions, network_time, porteur_index
from hub.services.console.parcours import collect, log_views
from hub.services.matching import duplicates
from hub.store.porteur_index_repository import Filters

MAX_PER_SECTION = 200
SECTIONS = ("nouveaux", "sans_referent", "sans_nouvelles")


def meeting_sheet(hub: Hub, session: ConsoleSession, month: dt.date) -> dict[str, Any]:
    start = month.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1)
    today, weeks = network_time.today(hub), hub.settings.console_stalled_weeks
    stalled_before = today - dt.timedelta(weeks=weeks)
    porteur_index.refresh(hub)
    since, until = network_time.midnight(start), network_time.midnight(end)
    with hub.uow() as uow:
        ids, totals = _section_ids(uow.porteur_index, start, end, stalled_before)
        changes = uow.fiche_reads.merge_events(since, until)
        links = uow.fiche_reads.decided_links(since, until)
        reviews = uow.fiche_reads.decided_reviews(since, until)
        reviewed = uow.matching.reviews_by_id(r.id for r in reviews)
        open_items = meeting_actions.open_items(uow)
        decisions = uow.meeting.between(since, until)
    reviews, sides = _told_reviews(hub, session, reviews, reviewed)
    shown = duplicates.open_fiche_pks(hub, [pk for c in changes for pk in c.fiche_pks],
                                      session.member)
    undone = _undone(changes)  # a separation of a merge's hidden fiche undid it too
    changes = [c for c in changes if shown.intersection(c.fiche_pks)]  # as the history
    named = {*[i for group in ids.values() for i in group],
             *[c.porteur_id for c in changes], *[c.other_porteur_id for c in changes],
             *[r.porteur_id for r in reviews], *[r.candidate_porteur_id for r in reviews],
             *[a.porteur_id for a in (*open_items, *decisions)]} - {None}
    people = {p.porteur_id: p for p in collect(hub, session.member, sorted(named)) if p.fiches}
    sheet = {key: [people[i] for i in ids[key] if i in people] for key in SECTIONS}
    log_views(hub, session, people.values())
    return {**sheet, "totaux": totals, "a_voir": _of_shown(open_items, people),
            "decisions": _of_shown(decisions, people),
            "doublons_resolus": _duplicates(changes, reviews, shown, sides, undone),
            "liens_automatiques": _automatic_links(hub, session, links),
            "noms": {i: p.name for i, p in people.items()}, "debut": start, "fin": end,
            "weeks": weeks, "today": today}


def _of_shown(actions: list[Any], people: dict[str, Any]) -> list[Any]:
    """The meeting's points and decisions about porteurs the coordination still sees, as
    the parcours shows them: of a porteur whose consent was withdrawn or that was erased,
    nothing (no parrain, note or proposal under a "porteur non visible" line)."""
    return [action for action in actions if action.porteur_id in people]


def _automatic_links(hub: Hub, session: ConsoleSession, links: list[Any]) -> int:
    """The links the matcher made of fiches the coordination may see (as `fiches` counts
    in `_duplicates`): one of a hidden fiche would tell that a member holds one more."""
    automatic = [link.fiche_pk for link in links if link.method == "auto"]
    shown = duplicates.open_fiche_pks(hub, automatic, session.member)
    return sum(1 for pk in automatic if pk in shown)


def _told_reviews(hub: Hub, session: ConsoleSession, reviews: list[Any],
                  reviewed: list[Any]) -> tuple[list[Any], dict[int, int]]:
    """The pairs decided, a side the coordination may not see naming no porteur (its
    name beside the pair would say that a member holds a fiche of the person), as the
    queue and the set-aside list tell them (`duplicates.told_items`), a pair neither side
    of which it may see not at all (as the queue); and by item, how many of its two sides
    the coordination may see."""
    told = duplicates.told_items(hub, reviewed, session.member)
    return [r._replace(porteur_id=r.porteur_id if told[r.id].consultable[0] else None,
                       candidate_porteur_id=r.candidate_porteur_id
                       if told[r.id].consultable[1] else None) for r in reviews
            if any(told[r.id].consultable)], \
        {r.id: sum(told[r.id].consultable) for r in reviews}


def _section_ids(index: Any, start: dt.date, end: dt.date,
                 stalled_before: dt.date) -> tuple[dict[str, list[str]], dict[str, int]]:
    """Porteur ids of each section, a porteur in the first section that fits (the new
    ones of the month are left out of the two others, and out of their counts)."""
    new = Filters(since=start, until=end - dt.timedelta(days=1))
    ids = {"nouveaux": index.page(new, "premier_contact", False, MAX_PER_SECTION, 0)}
    counts, new_counts = index.summary(Filters(), stalled_before), \
        index.summary(new, stalled_before)
    totals = {"nouveaux": new_counts["total"]}
    seen, extra = set(ids["nouveaux"]), MAX_PER_SECTION + len(ids["nouveaux"])
    without = index.page(Filters(without_referent=True), "nouvelles", False, extra, 0)
    ids["sans_referent"] = [i for i in without if i not in seen][:MAX_PER_SECTION]
    totals["sans_referent"] = counts["sans_referent"] - new_counts["sans_referent"]
    stalled, _ = index.stalled(Filters(), stalled_before, extra, count=False)  # counted above
    ids["sans_nouvelles"] = [i for i in stalled if i not in seen][:MAX_PER_SECTION]
    totals["sans_nouvelles"] = counts["sans_nouvelles"] - new_counts["sans_nouvelles"]
    return ids, totals


def _undone(changes: list[Any]) -> set[int]:
    """The merges a separation made after them took a fiche of either side from: one the
    merge moved, or one the kept porteur held then (`changes` oldest first; a merge
    recorded before the kept side was, only its moved fiches). A pair merged, separated,
    then merged again is undone once, not twice."""
    undone, separated = set(), set()
    for change in reversed(changes):
        if change.kind == "unmerge":
            separated |= set(change.fiche_pks)
        elif separated & {*change.fiche_pks, *(change.kept_fiche_pks or ())}:
            undone.add(change.id)
    return undone


def _duplicates(changes: list[Any], reviews: list[Any], shown: set[int],
                sides: dict[int, int], undone: set[int]) -> list[dict[str, Any]]:
    """The merges, separations and pairs decided; `fiches` counts only those the
    coordination may see (`shown`, and each pair's `sides`): a hidden fiche counted would
    say that a member holds one more fiche of the person."""
    decided = [{"porteur_id": c.porteur_id, "autre_porteur_id": c.other_porteur_id,
                "type": "fusion" if c.kind == "merge" else "separation", "le": c.at,
                "fiches": len(shown.intersection(c.fiche_pks)), "revue": c.review_item_id,
                "defait": c.id in undone}
               for c in changes]
    decided += [{"porteur_id": r.porteur_id, "autre_porteur_id": r.candidate_porteur_id,
                 "type": "differentes" if r.status == "different" else "doute",
                 "le": r.decided_at, "fiches": sides[r.id], "revue": r.id, "defait": False}
                for r in reviews]
    return sorted(decided, key=lambda d: d["le"])

