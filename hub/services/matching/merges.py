"""Merging and unmerging porteurs inside a unit of work: fiches, index and open review
items follow, links keep their history, a `merge_events` row records each change, and
the members concerned get a `merged` / `unmerged` notice (pseudonymous ids only)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from hub.audit.events import pseudonymise
from hub.bootstrap import Hub
from hub.domain.routing import LINKED
from hub.errors import NothingToUnmerge
from hub.services.delivery.deliveries import discloses_to
from hub.services.delivery.notices import add_notices
from hub.services.matching.online import matching_model, new_porteur_id
from hub.store.records import ReviewItem
from hub.store.uow import UnitOfWork


@dataclasses.dataclass(frozen=True)
class Change:
    """One merge or unmerge, as the service reports and audits it."""

    event_id: int
    porteur_id: str
    other_porteur_id: str
    moved: tuple[tuple[str, str], ...]  # (member, fiche_id) of the fiches that moved
    notified: tuple[str, ...]
    fiche_only: bool = False  # one fiche moved, its porteur's other fiches stayed
    moved_pks: tuple[int, ...] = ()  # the same fiches, by primary key


def merge(hub: Hub, uow: UnitOfWork, keep: str, absorb: str, *, actor: str,
          item_id: int | None, now: dt.datetime, user: str | None = None) -> Change:
    """Fold porteur `absorb` into `keep`."""
    moved = [row.id for row in uow.fiches.of_porteur(absorb)]
    kept = [row.id for row in uow.fiches.of_porteur(keep)]
    uow.matching.move_fiches(moved, keep, "review", {"revue": item_id, "decision": "same"}, now)
    uow.matching.set_status(absorb, "merged")
    uow.matching.set_status(keep, "active")
    uow.matching.rename_in_open_items(absorb, keep)
    actions = uow.meeting.follow(absorb, keep)
    event_id = uow.matching.add_merge_event({
        "kind": "merge", "porteur_id": keep, "other_porteur_id": absorb, "fiche_pks": moved,
        "kept_fiche_pks": kept, "meeting_action_ids": actions, "review_item_id": item_id,
        "actor": actor, "actor_user": user, "at": now})
    notified = _notify(hub, uow, "merged", keep,
                       {"porteur_fusionne": absorb, "fusion": change_id(hub, event_id)},
                       [keep, absorb], event_id, now)
    return Change(event_id, keep, absorb, _references(uow, moved), notified,
                  moved_pks=tuple(moved))


def move_one(hub: Hub, uow: UnitOfWork, fiche_pk: int, from_porteur: str, keep: str, *,
             actor: str, item_id: int, now: dt.datetime, user: str | None = None,
             may_see: Callable[[int], bool] = lambda _pk: True) -> Change:
    """Move one fiche of `from_porteur` (which keeps others) into `keep`: a coordinator's
    `same` on that fiche when the two porteurs' fiches are not one person together.
    Recorded as a merge of that fiche alone (a separation takes it back). The fiches
    `may_see` refuses to the actor go with the person they were joined to, as in a
    separation (`_hidden_fiches`): with the fiche, staying, or to a porteur of their own
    when joined to both (that move recorded as a separation of its own, its owner alone
    told the porteur now holding it, `porteurs_a_part`); never named."""
    kept = [row.id for row in uow.fiches.of_porteur(keep)]
    owners = {row.id: row.member_id for row in uow.fiches.of_porteur(from_porteur)}
    seen = {pk for pk in owners if pk == fiche_pk or may_see(pk)}
    along, apart = _hidden_fiches(hub, uow, from_porteur, fiche_pk, list(owners), seen)
    moving = [fiche_pk, *along]
    if uow.matching.move_fiches(moving, keep, "review", {"revue": item_id, "decision": "same"},
                                now, from_porteur=from_porteur) != len(moving):
        raise NothingToUnmerge(  # held by the porteur read under the lock of moves
            "Cette fiche n'appartient plus à ce porteur.",
            "This fiche no longer belongs to this porteur.")
    own = _move_apart(uow, from_porteur, apart, now)
    _record_apart(uow, from_porteur, own, apart, actor=actor, now=now, user=user)
    uow.meeting.reanchor([*moving, *(pk for group in apart for pk in group)], from_porteur)
    uow.matching.set_status(keep, "active")
    event_id = uow.matching.add_merge_event({
        "kind": "merge", "porteur_id": keep, "other_porteur_id": from_porteur,
        "fiche_pks": moving, "kept_fiche_pks": kept, "review_item_id": item_id,
        "actor": actor, "actor_user": user, "at": now})
    told = {"porteur_quitte": from_porteur, "fusion": change_id(hub, event_id)}
    apart_of = _apart_of(own, apart, owners)
    notified = _notify(hub, uow, "merged", keep,
                       lambda member: {**told, "porteurs_a_part": apart_of[member]}
                       if member in apart_of else told,  # named to its fiche's owner only
                       [keep, from_porteur, *own], event_id, now)
    return Change(event_id, keep, from_porteur, _references(uow, [fiche_pk]), notified,
                  fiche_only=True, moved_pks=(fiche_pk,))


def _move_apart(uow: UnitOfWork, porteur_id: str, apart: list[list[int]],
                now: dt.datetime) -> list[str]:
    """Each group of hidden fiches out of `porteur_id` to a new porteur of its own."""
    own = [new_porteur_id() for _group in apart]
    if own:
        uow.porteurs.create_many(own, now)
    for porteur, group in zip(own, apart, strict=True):
        _move_out(uow, porteur_id, porteur, group, now)
    return own


def _move_out(uow: UnitOfWork, porteur_id: str, to_porteur: str, moving: list[int],
              now: dt.datetime) -> None:
    uow.matching.set_status(to_porteur, "active")
    if uow.matching.move_fiches(moving, to_porteur, "unmerge", {"ancien_porteur": porteur_id},
                                now, from_porteur=porteur_id) != len(moving):
        raise NothingToUnmerge(  # separated meanwhile by another coordinator
            "Cette fiche n'appartient plus à ce porteur : elle vient d'en être séparée.",
            "This fiche no longer belongs to this porteur: it was just separated from it.")


def _record_apart(uow: UnitOfWork, porteur_id: str, own: list[str], apart: list[list[int]], *,
                  actor: str, now: dt.datetime, user: str | None) -> None:
    """Each move of `_move_apart` recorded as a separation of its own (listed only to
    those who may see its fiches)."""
    for porteur, group in zip(own, apart, strict=True):
        uow.matching.add_merge_event({
            "kind": "unmerge", "porteur_id": porteur_id, "other_porteur_id": porteur,
            "fiche_pks": group, "review_item_id": None, "actor": actor, "actor_user": user,
            "at": now})


def _apart_of(own: list[str], apart: list[list[int]], owners: dict[int, str]
              ) -> dict[str, list[str]]:
    """Owner -> the porteurs of their own its fiches went to (`_set_apart`)."""
    apart_of: dict[str, list[str]] = {}
    for porteur, group in zip(own, apart, strict=True):
        for owner in sorted({owners[pk] for pk in group}):
            apart_of.setdefault(owner, []).append(porteur)
    return apart_of


def split(hub: Hub, uow: UnitOfWork, porteur_id: str, member_id: str, fiche_id: str, *,
          actor: str, now: dt.datetime, user: str | None = None,
          may_see: Callable[[int], bool] = lambda _pk: True) -> Change:
    """Take one fiche out of a porteur: back to the porteur it was merged from (if that
    one is now empty), else to a new porteur; the split pairs are judged different.
    Only the fiches `may_see` opens to the actor count (a consent withdrawn, never
    covering it, or erased): a fiche it refuses, or one beside such fiches only, is
    answered as a fiche that does not exist, and nothing changes. The fiches it refuses
    go with the person they were joined to (`_hidden_fiches`): with the fiche, with the
    porteur, or to a porteur of their own when joined to both, never judged nor named
    (that move recorded as a separation of its own, listed only to those who may see the
    fiche; its owner alone is told the porteur now holding it, `porteurs_a_part`).
    The porteur's meeting notes stay its own (those sealed under a fiche leaving are
    sealed again under one that stays)."""
    uow.porteurs.lock(porteur_id)  # two separations of its fiches at once: one at a time
    fiche = uow.fiches.porteur_of(member_id, fiche_id)
    owners = {row.id: row.member_id for row in uow.fiches.of_porteur(porteur_id)}
    held = list(owners)
    seen = {pk for pk in held if may_see(pk)}
    others = [pk for pk in held if pk in seen and (fiche is None or pk != fiche.id)]
    if fiche is None or fiche.porteur_id != porteur_id or not others or fiche.id not in seen:
        raise NothingToUnmerge(
            "Cette fiche n'appartient pas à ce porteur, ou en est la seule fiche.",
            "This fiche does not belong to this porteur, or is its only fiche.")
    along, apart = _hidden_fiches(hub, uow, porteur_id, fiche.id, held, seen)
    undone = _merged_from(uow, porteur_id, fiche.id)
    restored = None if undone is None else str(undone.other_porteur_id)
    decided = _deciding_item(uow, porteur_id, fiche.id, set(others))
    if restored is None:
        restored = new_porteur_id()
        uow.porteurs.create_many([restored], now)
    _move_out(uow, porteur_id, restored, [fiche.id, *along], now)
    own = _move_apart(uow, porteur_id, apart, now)
    if undone is not None:  # the notes that came with the porteur restored go back to it
        uow.meeting.give_back(list(undone.meeting_action_ids or ()), porteur_id,
                              str(undone.other_porteur_id))
    uow.meeting.reanchor([fiche.id, *along, *(pk for group in apart for pk in group)],
                         porteur_id)  # the porteur's notes stay its own
    uow.matching.judge(((fiche.id, other) for other in others), "different", None, actor, now)
    if decided is not None:  # listed with the pairs judged different: can be taken up again
        sides = (restored, porteur_id) if fiche.id == decided.fiche_pk else (porteur_id, restored)
        uow.matching.undo_same(decided.id, sides, user or actor, now)
    event_id = uow.matching.add_merge_event({
        "kind": "unmerge", "porteur_id": porteur_id, "other_porteur_id": restored,
        "fiche_pks": [fiche.id, *along], "review_item_id": None, "actor": actor,
        "actor_user": user, "at": now})
    _record_apart(uow, porteur_id, own, apart, actor=actor, now=now, user=user)
    apart_of = _apart_of(own, apart, owners)
    told = {"porteur_restaure": restored, "separation": change_id(hub, event_id, "sep")}
    asked = _unlinked(uow, porteur_id,
                      [(restored, [fiche.id, *along]), *zip(own, apart, strict=True)])

    def document(member: str) -> dict[str, Any]:
        named = {**told, "porteurs_a_part": apart_of[member]} if member in apart_of else told
        return {**named, **asked[member]} if member in asked else named

    notified = _notify(hub, uow, "unmerged", porteur_id, document,  # each names its own only
                       [porteur_id, restored, *own], event_id, now, also=asked)
    return Change(event_id, porteur_id, restored, ((member_id, fiche_id),), notified,
                  moved_pks=(fiche.id,))


def _unlinked(uow: UnitOfWork, porteur_id: str, moves: list[tuple[str, list[int]]]
              ) -> dict[str, dict[str, Any]]:
    """What members learnt only through the link a separation undoes, no longer served to
    them (marked `unmerged`): the deliveries made under `porteur_id` (while the fiches
    were together) that routing sent for that link alone (`linked`: not a referent's nor a
    subscription's), of the fiches leaving, to members that do not follow the porteur they
    go to, and of the fiches staying, to members that no longer follow `porteur_id`. By
    member, the `unmerged` notice's request to delete those that left or may have left."""
    staying = [row.id for row in uow.fiches.of_porteur(porteur_id)]
    followers = uow.deliveries.followers_of_porteurs([porteur_id, *(p for p, _pks in moves)])
    withheld: dict[str, list[str]] = {}
    listed: dict[str, dict[int, list[str]]] = {}
    for porteur, pks in [*moves, (porteur_id, staying)]:
        for delivery, left in uow.deliveries.made_under(porteur_id, pks):
            if delivery.payload is None or delivery.recipient_id in followers[porteur] or \
                    orjson.loads(delivery.payload).get("motifs") != [LINKED]:
                continue
            withheld.setdefault(delivery.recipient_id, []).append(delivery.idempotency_key)
            if left:
                listed.setdefault(delivery.recipient_id, {}).setdefault(
                    delivery.fiche_pk, []).append(delivery.idempotency_key)  # type: ignore[arg-type]
    uow.deliveries.ask_deletion(withheld, "unmerged")
    heads = uow.matching.fiche_heads(sorted({pk for by in listed.values() for pk in by}))
    return {member: {"sources": [{"membre": heads[pk].member_id, "fiche_id": heads[pk].fiche_id,
                                  "livraisons": ids} for pk, ids in sorted(by.items())],
                     "demande": "Ces livraisons vous sont parvenues par un rapprochement que "
                                "la coordination a défait : supprimez-les."}
            for member, by in listed.items()}


def change_id(hub: Hub, event_id: int, prefix: str = "fus") -> str:
    """The id a merge or separation is known by in members' notices, keyed by a secret of
    the hub: the events' own numbers count every merge and separation of the network, so
    a member given two learnt how many the coordination made meanwhile."""
    return f"{prefix}_" + pseudonymise(f"merge-event|{event_id}", hub.pseudonym_key)[:24]


def _merge_into(uow: UnitOfWork, porteur_id: str, fiche_pk: int) -> Any:
    """The newest merge that brought the fiche into this porteur (None: it was there)."""
    for event in uow.matching.merge_history(porteur_id, limit=200):
        if event.kind == "merge" and event.porteur_id == porteur_id and fiche_pk in event.fiche_pks:
            return event
    return None


def _merged_from(uow: UnitOfWork, porteur_id: str, fiche_pk: int) -> Any:
    """The merge the separation of the fiche undoes: the newest that brought it in, when
    the porteur it absorbed has no fiche now (restored under its id); else None."""
    event = _merge_into(uow, porteur_id, fiche_pk)
    if event is None or uow.fiches.of_porteur(event.other_porteur_id):
        return None
    return event


def _hidden_side(uow: UnitOfWork, porteur_id: str, fiche_pk: int, held: set[int],
                 seen: set[int], before: int | None = None) -> list[int]:
    """The fiches the actor may not see that leave with the fiche: its side (the fiches
    moved in with it, or those the porteur held beside it when the merge kept it,
    `kept_fiche_pks`) in the merges into this porteur that it took part in, newest
    first, limited to the fiches the porteur still holds: the first side where no fiche
    the actor sees stays (a later merge may have added one beside it, as a fiche merged
    into the kept porteur), else none. A fiche that came in with its whole porteur,
    visible fiches among them, is followed into that porteur's own merges before then
    (`before`: the absorbing merge's number): what made the hidden fiches the person's
    may be recorded there."""
    for event in uow.matching.merge_history(porteur_id, limit=200):
        if event.kind != "merge" or event.porteur_id != porteur_id or (
                before is not None and event.id >= before):
            continue
        moved_in = fiche_pk in event.fiche_pks
        if not moved_in and fiche_pk not in (event.kept_fiche_pks or ()):
            continue
        side = event.fiche_pks if moved_in else event.kept_fiche_pks
        still = [pk for pk in side if pk != fiche_pk and pk in held]
        if not any(pk in seen for pk in still):
            return still
        if moved_in:
            return _hidden_side(uow, event.other_porteur_id, fiche_pk, held, seen, event.id)
    return []


def _hidden_fiches(hub: Hub, uow: UnitOfWork, porteur_id: str, fiche_pk: int,
                   held: list[int], seen: set[int]) -> tuple[list[int], list[list[int]]]:
    """The fiches the actor may not see that leave with the fiche, and the groups of them
    that leave for a porteur of their own. The hidden fiches tied together (`_ties`: the
    fiche the matcher linked one on, a pair decided `same`) go as one: with the fiche
    when their ties reach it and no fiche the actor sees that stays, apart when they
    reach both (either person: never left with the wrong one), staying when they reach
    the staying fiches only; tied to no fiche the actor sees, with the fiche when one of
    them is of its side in a merge (`_hidden_side`)."""
    hidden = [pk for pk in held if pk not in seen]
    if not hidden:
        return [], []
    merged_along = set(_hidden_side(uow, porteur_id, fiche_pk, set(held), seen))
    ties = _ties(hub, uow, porteur_id, held)
    along: list[int] = []
    apart: list[list[int]] = []
    placed: set[int] = set()
    for start in hidden:
        if start in placed:
            continue
        group, reached = _tied_group(start, ties, seen)
        placed |= group
        to_fiche, to_others = fiche_pk in reached, bool(reached - {fiche_pk})
        if to_fiche and to_others:
            apart.append(sorted(group))
        elif to_fiche or (not to_others and group & merged_along):
            along.extend(sorted(group))
    return along, apart


def _tied_group(start: int, ties: dict[int, set[int]], seen: set[int]) -> tuple[set[int], set[int]]:
    """The hidden fiches tied to `start` through hidden fiches, and the fiches the actor
    sees that they are tied to."""
    group, reached, todo = {start}, set(), [start]
    while todo:
        for other in ties.get(todo.pop(), ()):
            if other in seen:
                reached.add(other)
            elif other not in group:
                group.add(other)
                todo.append(other)
    return group, reached


def _ties(hub: Hub, uow: UnitOfWork, porteur_id: str, held: list[int]) -> dict[int, set[int]]:
    """Which of the porteur's fiches each is the person of, by what joined them: the fiches
    the matcher linked it on (`fiches_proches`; for a link made before that was recorded,
    its closest fiche now, by the matcher's score) and the pairs decided `same`."""
    within = set(held)
    matched, unrecorded = uow.matching.matched_fiches(held)
    pairs = [(pk, other) for pk, others in matched.items() for other in others]
    pairs += uow.matching.same_pairs_within(held)
    if unrecorded - matched.keys():
        pairs += _closest_now(hub, uow, porteur_id, unrecorded - matched.keys())
    ties: dict[int, set[int]] = {}
    for one, other in pairs:
        if one != other and one in within and other in within:
            ties.setdefault(one, set()).add(other)
            ties.setdefault(other, set()).add(one)
    return ties


def _closest_now(hub: Hub, uow: UnitOfWork, porteur_id: str,
                 fiche_pks: set[int]) -> list[tuple[int, int]]:
    """Each fiche paired with the porteur's indexed fiches closest to it (all of those of
    the best probability, then weight, as the worker records them: a tie between the
    two sides of a separation sets it apart)."""
    records = {r.fiche_pk: r.record for r in uow.matching.records_of_porteurs([porteur_id])}
    model = matching_model(hub)
    pairs: list[tuple[int, int]] = []
    for pk in sorted(fiche_pks & records.keys()):
        scores = {other: (explained.probability, explained.total_weight)
                  for other, record in records.items() if other != pk
                  for explained in (model.score(records[pk], record),)}
        best = max(scores.values(), default=None)
        pairs += [(pk, other) for other, score in scores.items() if score == best]
    return pairs


def _deciding_item(uow: UnitOfWork, porteur_id: str, fiche_pk: int,
                   held: set[int]) -> ReviewItem | None:
    """The pair decided `same` whose merge made this porteur hold the fiche with the other
    of the pair, whichever of the two the merge brought in, when the other is still there
    among `held` (the fiches open to the actor: the split undoes that decision; a pair
    with a fiche withdrawn since keeps its decision)."""
    for event in uow.matching.merge_history(porteur_id, limit=200):
        if event.kind != "merge" or event.porteur_id != porteur_id or \
                event.review_item_id is None:
            continue
        item = uow.matching.review_item(event.review_item_id)
        if item is None or fiche_pk not in (item.fiche_pk, item.candidate_fiche_pk):
            continue
        other = item.candidate_fiche_pk if item.fiche_pk == fiche_pk else item.fiche_pk
        return item if item.status == "same" and other in held else None
    return None


def _references(uow: UnitOfWork, fiche_pks: list[int]) -> tuple[tuple[str, str], ...]:
    heads = uow.matching.fiche_heads(fiche_pks)
    return tuple((heads[pk].member_id, heads[pk].fiche_id) for pk in fiche_pks if pk in heads)


def _notify(hub: Hub, uow: UnitOfWork, event: str, porteur_id: str,
            document: dict[str, Any] | Callable[[str], dict[str, Any]],
            porteurs: list[str], event_id: int, now: dt.datetime,
            also: Iterable[str] = ()) -> tuple[str, ...]:
    """Owners of the fiches and members that received data of either porteur, each only if
    the consent gate lets it receive something of this porteur. Only indexed fiches count:
    the owner of a fiche that left the index (its consent withdrawn or expired, or erased)
    is told nothing more of the porteur for it, even as a past recipient of its notices,
    unless it owns another indexed fiche or received data of one (a recipient still).
    The members `also` (asked to delete what they were sent) are told in any case."""
    indexed = {pk for pks in uow.matching.fiches_of(porteurs).values() for pk in pks}
    held = [row for p in porteurs for row in uow.fiches.of_porteur(p)]
    heads = list(uow.matching.fiche_heads(indexed).values())
    owners = {head.member_id for head in heads}
    received = set().union(*uow.deliveries.data_recipients(sorted(indexed)).values())
    left = {row.member_id for row in held if row.id not in indexed} - owners - received
    concerned = set(owners)
    for porteur in porteurs:
        concerned |= uow.deliveries.recipients_of_porteur(porteur)
    members = {m.id: m for m in uow.members.active()}  # one that left learns nothing more
    chosen = sorted({m for m in (concerned - left) & members.keys()
                     if m in owners or discloses_to(hub, heads, m, members[m].role, now)}
                    | (set(also) & members.keys()))
    add_notices(uow, [members[m] for m in chosen], event=event, subject=f"merge-event-{event_id}",
                porteur_id=porteur_id, fiche_pk=None, document=document, now=now,
                secret=hub.pseudonym_key)
    return tuple(chosen)
