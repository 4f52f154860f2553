"""The coordinators' duplicate queue: review items with both sides and the match
explanation, decisions (same: merge; different: remembered, never asked again;
unknown: closed), unmerge, the merge history, and m re-estimated from decisions.

Stable entry points for the API and the web console:
`list_review_items`, `get_review_item`, `decide`, `unmerge`, `merge_history`,
`retrain_from_decisions`. Every view of the queue is an access event (field names
and pseudonyms only); each side is shown through the one consent + policy gate,
for the coordination role.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from hub.audit.events import AccessEvent
from hub.audit.rows import as_utc
from hub.bootstrap import Hub
from hub.domain.matching import MatchModel, normalise_record
from hub.domain.matching.chains import may_be_one
from hub.domain.matching.comparisons import compare_records
from hub.domain.matching.disclosed import (
    SIDE_CLOSED_KEY,
    SIDE_LEFT_STATUS,
    UNMATCHED_STATUS,
    fully_told,
    opens_a_field,
    tells_whole,
    told_explanation,
    told_probability,
    told_status,
)
from hub.domain.matching.model import CONFIRMED_FLAGS
from hub.domain.matching.told_fields import QueueReader, explained_mask, purpose_fields
from hub.domain.matching.training import refine_m
from hub.domain.purposes import purposes_for_role
from hub.errors import (
    ConfirmationRequired,
    Forbidden,
    InvalidDecision,
    NothingToUnmerge,
    ReviewItemChanged,
    ReviewItemClosed,
    ReviewItemNotConsultable,
    ReviewItemNotFound,
)
from hub.journal import fiche_digest
from hub.services.audit import trail as audit
from hub.services.delivery.deliveries import FicheDisclosures, disclosure_for
from hub.services.matching import merges
from hub.services.matching.online import matching_model
from hub.store.records import ReviewItem
from hub.store.uow import UnitOfWork

DECISIONS = ("same", "different", "unknown")
UNMERGE = "unmerge"  # a separation's decision in the recovery journal (hub.journal)
REVIEW = "review"  # a review item's decision (same, different, unknown) in that journal
# The decisions that judge the pair on its evidence: each names the item's revision it was
# made on (the API and the console refuse them without it); « unknown » only sets it aside.
JUDGEMENTS = ("same", "different")
COORDINATION = "coordination"
MAX_LIMIT = 200


def require_coordinator(role: str) -> None:
    if role != COORDINATION:
        raise Forbidden("La file des doublons est réservée à la coordination du réseau.",
                        "The duplicate queue is reserved to the network's coordination.")


def list_review_items(hub: Hub, *, limit: int = 50, after: int | None = None,
                      actor: str = COORDINATION, user: str | None = None) -> dict[str, Any]:
    """Open items after the cursor `after` (item id), oldest first, each with both sides.
    An item neither side of which `actor` may see is passed over (`_told_at_all`).
    `user`: the console account acting for `actor`, named in the access events."""
    limit = max(1, min(limit, MAX_LIMIT))
    told: list[tuple[ReviewItem, list[Any]]] = []
    heads: dict[int, Any] = {}
    cursor = after
    while len(told) <= limit:  # one more than asked: whether more are told
        with hub.uow() as uow:
            rows = uow.matching.review_items("open", limit + 1, cursor)
            found = uow.matching.fiche_heads(
                pk for r in rows for pk in (r.fiche_pk, r.candidate_fiche_pk))
        heads.update(found)
        told += [(row, shown) for row in rows
                 if _told_at_all(shown := _shown(hub, row, found, actor))]
        if len(rows) <= limit:
            break
        cursor = rows[-1].id
    events = [audit.event(hub, "console_view", actor, user=user)]
    items = [_item(hub, row, heads, actor, events, user, shown) for row, shown in told[:limit]]
    audit.record(hub, events)
    return {"items": items, "next_after": items[-1]["id"] if items else after,
            "has_more": len(told) > limit}


def review_page(hub: Hub, order: str, page: int, per_page: int, *, actor: str = COORDINATION,
                user: str | None = None) -> dict[str, Any]:
    """Page `page` (from 1) of the open items in `order` (`queue_order.ORDERS`), with how
    many pages there are (a page past the last gives the last). The queue is sorted by
    what `actor` is told of each item (`queue_order`), in the database
    (`ReviewQueue.page`): an item whose probability or opening is not told takes a place
    that does not tell it, and a page reads a page's items."""
    reader = queue_reader(hub, actor)
    with hub.uow() as uow:
        total = uow.review_queue.count_open(reader)
        pages = max(1, -(-total // per_page))
        page = min(max(1, page), pages)
        rows = uow.review_queue.page(order, (page - 1) * per_page, per_page, reader)
        heads = uow.matching.fiche_heads(pk for r in rows for pk in (r.fiche_pk, r.candidate_fiche_pk))
    events = [audit.event(hub, "console_view", actor, user=user)]
    items = [_item(hub, row, heads, actor, events, user) for row in rows]
    audit.record(hub, events)
    return {"items": items, "page": page, "pages": pages, "total": total}


_FILLED_AT_ONCE = 2000


def queue_reader(hub: Hub, actor: str) -> QueueReader:
    """The coordination `actor` as the queue's pages and counts read items in the database
    (`ReviewQueue.known_to`), the columns they need filled first."""
    _fill_told_columns(hub)
    return QueueReader(actor, COORDINATION, tuple(purpose_fields(
        hub.policy.current, COORDINATION, purposes_for_role(COORDINATION))), hub.clock())


def _fill_told_columns(hub: Hub) -> None:
    """Write what the queue's order reads in the database for the open items written
    before it was kept (migration 0053): the consent each side's current version cites
    (from its sealed payload; a fiche pushed since says it), then the item's compared
    fields, which mark it done (`ReviewQueue.unexplained`)."""
    with hub.uow() as uow:
        while found := uow.review_queue.unexplained(_FILLED_AT_ONCE):
            heads = uow.matching.fiche_heads(uow.review_queue.without_consent(
                pk for _i, _e, *pks in found for pk in pks))
            hub.consents.prefetch((head.member_id, head.fiche_id) for head in heads.values())
            uow.review_queue.set_cited_consents(
                (pk, head.current_version, _cited_consent_id(hub, head))
                for pk, head in heads.items())
            uow.review_queue.set_explained({item: explained_mask(explanation)
                                            for item, explanation, *_pks in found})
            if len(found) < _FILLED_AT_ONCE:
                break
        uow.commit()


def _cited_consent_id(hub: Hub, head: Any) -> str:
    """The consent a fiche's current version cites, as its push found it ("": none)."""
    if head.payload is None:  # erased: its consent is no longer the hub's to find
        return ""
    reference = (orjson.loads(head.payload).get("consentement") or {}).get("reference")
    consent = hub.consents.cited_consent(head.member_id, head.fiche_id, reference)
    return consent.id if consent is not None else ""


def get_review_item(hub: Hub, item_id: int, *, actor: str = COORDINATION,
                    user: str | None = None) -> dict[str, Any]:
    with hub.uow() as uow:
        row = uow.matching.review_item(item_id)
        if row is None:
            raise _not_found()
        heads = uow.matching.fiche_heads((row.fiche_pk, row.candidate_fiche_pk))
    shown = _shown(hub, row, heads, actor)
    if not _told_at_all(shown):  # as a number that does not exist
        raise _not_found()
    events: list[AccessEvent] = []
    item = _item(hub, row, heads, actor, events, user, shown)
    audit.record(hub, events)
    return item


def decide(hub: Hub, item_id: int, decision: str, *, actor: str, user: str | None = None,
           confirmed: Iterable[str] = (), revision: int | None = None) -> dict[str, Any]:
    """Record a coordinator's decision; `same` merges the item's porteur into the candidate.
    The access event names `user`, the console account that decided, when given. A `same`
    on an item the hub flagged (`CONFIRMED_FLAGS`: a link there would show one member
    another's porteur on what anyone may guess) must name each of its flags in
    `confirmed`, else ConfirmationRequired (409) and nothing changes. `revision`: the
    item's revision the decision was made on (as `_item` tells it); the item scored again
    since (a new version of a side), ReviewItemChanged (409) and nothing changes. It is
    compared only where both sides are consultable (`_checked_revision`)."""
    if decision not in DECISIONS:
        raise InvalidDecision("La décision doit être same, different ou unknown.",
                              "The decision must be same, different or unknown.")
    confirmed = set(confirmed)
    if not confirmed <= set(CONFIRMED_FLAGS):
        raise InvalidDecision(
            "« confirme » ne peut nommer que des avertissements du hub : "
            f"{', '.join(CONFIRMED_FLAGS)}.",
            f"\"confirme\" may only name the hub's flags: {', '.join(CONFIRMED_FLAGS)}.")
    _require_consultable(hub, item_id, decision, actor)
    revision = _checked_revision(hub, item_id, revision, actor)
    now = hub.clock()
    change = None
    with hub.uow() as uow:
        if decision == "different":  # a join under way sees it, or waits for it
            uow.porteurs.hold_moves()
        row = _held_item(uow, item_id) if decision == "same" else \
            uow.matching.review_item(item_id)  # nothing moves: workers need not wait
        if row is None:
            raise _not_found()
        if revision is not None and row.status == "open" and row.revision != revision:
            raise _changed()
        if decision == "same":
            _require_confirmed(row, confirmed)
        # the console account that decided when there is one (the second to decide, or
        # the same person clicking twice, is then told who did), else the member
        if not uow.matching.close_review(item_id, decision, user or actor, now, revision):
            again = uow.matching.review_item(item_id)
            if again is not None and again.status == "open":  # scored again meanwhile
                raise _changed()
            raise ReviewItemClosed("Ce doublon a déjà été traité.", "This item was already decided.")
        if decision != "unknown":
            uow.matching.judge([(row.fiche_pk, row.candidate_fiche_pk)], decision, item_id, actor, now)
        if decision == "same":
            change = _same(hub, uow, row, actor=actor, now=now, user=user)
        elif uow.matching.porteur_status(row.porteur_id) == "provisional":
            uow.matching.set_status(row.porteur_id, "active")
        heads = uow.matching.fiche_heads((row.fiche_pk, row.candidate_fiche_pk))
        references = [(h.member_id, h.fiche_id) for h in heads.values()]
        _journal_decision(hub, uow, row, decision, heads, actor, user, now)
        # with the decision, never after it: a process killed in between left a merge
        # no access event told of
        hub.audit.append_within(uow.connection, [audit.event(
            hub, "merge" if change else "review_decision", actor,
            porteur_id=row.candidate_porteur_id, fiches=references, user=user)])
        told = _told_change(hub, uow, change, actor) if change else None
        uow.commit()
    if change and change.notified:
        hub.publisher.request_dispatch_safely()
    return {"id": item_id, "decision": decision, "porteur_id": row.candidate_porteur_id
            if change else _told_porteur(hub, row, heads, actor),
            "fusion": told,
            "fiche_seule": bool(change and change.fiche_only)}


def _journal_decision(hub: Hub, uow: UnitOfWork, row: ReviewItem, decision: str,
                      heads: dict[int, Any], actor: str, user: str | None,
                      now: dt.datetime) -> None:
    """A restore from an older copy makes the decision again (`replay_decision`): the
    item by number, each side by its key and a keyed digest of its owner and id."""
    uow.decisions.journal(REVIEW, {"item": row.id, "decision": decision,
                                   **journal_sides(hub, row, heads),
                                   "actor": actor, "user": user}, now)


def journal_sides(hub: Hub, row: ReviewItem, named: Mapping[int, Any]) -> dict[str, Any]:
    """The item's two sides as a journal entry names them (`entry_sides` reads them back):
    each fiche by its key and a keyed digest of its owner and id (`named`: by key, what
    names the fiche's member_id and fiche_id)."""
    return {key: {"pk": pk, "digest": fiche_digest(hub.pseudonym_key, named[pk].member_id,
                                                   named[pk].fiche_id)}
            for key, pk in (("fiche", row.fiche_pk), ("candidate", row.candidate_fiche_pk))}


def entry_sides(hub: Hub, uow: UnitOfWork, entry: dict[str, Any]) -> dict[int, Any] | None:
    """The fiches a journal entry's two sides name (`journal_sides`), by key, as the store
    holds them; None when the store lacks one, or holds its key under another fiche."""
    pks = [entry["fiche"]["pk"], entry["candidate"]["pk"]]
    refs = {ref.id: ref for ref in uow.key_replays.fiche_refs(pks)}
    if any(pk not in refs or fiche_digest(hub.pseudonym_key, refs[pk].member_id,
                                          refs[pk].fiche_id) != side["digest"]
           for pk, side in zip(pks, (entry["fiche"], entry["candidate"]), strict=True)):
        return None
    return refs


def replay_decision(hub: Hub, uow: UnitOfWork, entry: dict[str, Any]) -> int | None:
    """A restore: the decision `entry` made again in the replay's transaction, on the item
    it was made on, or on the open item of the same pair the copy holds under another
    number; without an item, the pair is judged (and a `same` joins the two fiches'
    porteurs). None when the item was decided in the copy already, or a side's key is
    another fiche's now. Answers the item's number."""
    pks = [entry["fiche"]["pk"], entry["candidate"]["pk"]]
    refs = entry_sides(hub, uow, entry)
    if refs is None:
        return None
    decision, actor, user = entry["decision"], entry["actor"], entry["user"]
    at = dt.datetime.fromisoformat(entry["at"])
    row = _item_of_pair(uow, entry["item"], pks)
    if (row is None and decision == "unknown") or (
            row is not None and row.status not in ("open", SIDE_LEFT_STATUS)):
        return None
    # an item the erasures made since closed (the restore destroys their keys before it
    # replays the decisions) ends as they left it: a « same » stays, the others close
    if row is not None and (row.status == "open" or decision == "same"):
        uow.matching.close_review(row.id, decision, user or actor, at, left_too=True)
    if decision != "unknown":
        uow.matching.judge([(pks[0], pks[1])], decision, row.id if row else None, actor, at)
    change = None
    if decision == "same":
        change = _same(hub, uow, row, actor=actor, now=hub.clock(), user=user) \
            if row is not None else \
            _join_porteurs(hub, uow, [refs[pk].porteur_id for pk in pks], actor, user)
    elif row is not None and uow.matching.porteur_status(row.porteur_id) == "provisional":
        uow.matching.set_status(row.porteur_id, "active")
    hub.audit.append_within(uow.connection, [audit.event(
        hub, "merge" if change else "review_decision", actor,
        porteur_id=change.porteur_id if change else refs[pks[1]].porteur_id,
        fiches=[(refs[pk].member_id, refs[pk].fiche_id) for pk in pks], user=user)])
    return int(entry["item"])


def _item_of_pair(uow: UnitOfWork, item_id: int, pks: list[int]) -> ReviewItem | None:
    """The item `item_id` when it is the pair's, else the pair's open item (either way)."""
    row = uow.matching.review_item(item_id)
    if row is not None and [row.fiche_pk, row.candidate_fiche_pk] == pks:
        return row
    return next((item for item in uow.matching.open_items_touching(pks[0])
                 if {item.fiche_pk, item.candidate_fiche_pk} == set(pks)), None)


def _join_porteurs(hub: Hub, uow: UnitOfWork, porteurs: list[str | None], actor: str,
                   user: str | None) -> merges.Change | None:
    """A `same` whose item the copy lacks: the first fiche's porteur joins the second's."""
    absorb, keep = porteurs
    if absorb is None or keep is None or absorb == keep:
        return None
    return merges.merge(hub, uow, keep, absorb, actor=actor, item_id=None, now=hub.clock(),
                        user=user)


def _told_porteur(hub: Hub, row: ReviewItem, heads: dict[int, Any], actor: str) -> str | None:
    """The item's own porteur, when its side is open to `actor` (a hidden side's porteur
    id would say that the person has a fiche the coordination may not see)."""
    return row.porteur_id if _consultable(_disclosure(hub, heads.get(row.fiche_pk), actor)) \
        else None


def flags_of(explanation: Any) -> list[str]:
    """The flags of an item's explanation a « same » must confirm (`CONFIRMED_FLAGS`)."""
    return [f for f in CONFIRMED_FLAGS
            if isinstance(explanation, dict) and explanation.get(f) is True]


def _require_consultable(hub: Hub, item_id: int, decision: str, actor: str) -> None:
    """Whoever may not see a side cannot judge the pair: « same » and « different » are
    refused on an item with a side not consultable, and « same » on one whose flags
    (each saying which fields agree) name fields the coordination may not see.
    « unknown » (kept for the meeting) stays open to it. An item neither side of which
    it may see is answered as a number that does not exist (`_told_at_all`)."""
    with hub.uow() as uow:
        row = uow.matching.review_item(item_id)
        if row is None:
            return  # said by the decision itself
        heads = uow.matching.fiche_heads((row.fiche_pk, row.candidate_fiche_pk))
    shown = _shown(hub, row, heads, actor)
    if not _told_at_all(shown):
        raise _not_found()
    if decision == "unknown" or row.status != "open":
        return  # said by the decision itself (decided already)
    told = told_explanation(row.explanation, *_paths(shown))
    if told.get(SIDE_CLOSED_KEY) or (decision == "same" and flags_of(row.explanation)
                                     and not fully_told(told)):
        raise ReviewItemNotConsultable(
            "Une des deux fiches de ce doublon n'est pas consultable par la coordination "
            "(consentement et politique du réseau) : il ne peut être tranché qu'en « unknown » "
            "(à revoir en réunion, avec le membre qui la détient).",
            "One side of this review item is not open to the coordination (consent and "
            "network policy): it can only be set aside (« unknown »).")


def _checked_revision(hub: Hub, item_id: int, revision: int | None, actor: str) -> int | None:
    """The revision to hold the decision to: the one given, where both sides are
    consultable to `actor`; else None (an item with a hidden side tells no revision, and
    only « unknown » is open on it: refusing it for a change would tell that the hidden
    side changed). A side whose newer version the worker has not processed yet (the page
    already shows it, beside the comparison of the one before) refuses the decision as
    a revision gone: it is about to be scored again."""
    if revision is None:
        return None
    with hub.uow() as uow:
        row = uow.matching.review_item(item_id)
        if row is None:
            return None  # said by the decision itself
        sides = (row.fiche_pk, row.candidate_fiche_pk)
        heads = uow.matching.fiche_heads(sides)
        processed = uow.fiches.states(sides)
    if not all(map(_consultable, _shown(hub, row, heads, actor))):
        return None
    if row.status == "open" and any(
            heads[pk].current_version > (processed[pk][1] or 0) for pk in sides):
        raise _changed()
    return revision


def _changed() -> ReviewItemChanged:
    return ReviewItemChanged(
        "Ce doublon a changé depuis son affichage : une des deux fiches a une nouvelle "
        "version, que le hub a comparée de nouveau (ou compare en ce moment). Rechargez-le "
        "et décidez sur ce qu'il montre maintenant. Rien n'a été changé.",
        "This review item changed since it was read: one side has a new version, which the "
        "hub compared again (or is comparing now). Read it again and decide on what it "
        "shows now. Nothing was changed.")


def _require_confirmed(row: ReviewItem, confirmed: set[str]) -> None:
    """An item the worker flagged is merged only when the coordinator named each flag:
    its line says what to check (the member may have guessed the names, a birth date, an
    old home); a « same » sent without looking is refused, the item stays open."""
    missing = [f for f in flags_of(row.explanation) if f not in confirmed]
    if missing:
        named, listed = ", ".join(missing), ", ".join(f'"{f}"' for f in missing)
        raise ConfirmationRequired(
            f"Ce doublon porte l'avertissement {named} (voir explication.lignes) : "
            f"vérifiez ce qu'il dit, puis renvoyez « same » avec \"confirme\": [{listed}]. "
            "Rien n'a été changé.",
            f"This review item carries the flag {named} (see explication.lignes): check "
            f"what it says, then send « same » again with \"confirme\": [{listed}]. "
            "Nothing was changed.", missing)


def _same(hub: Hub, uow: UnitOfWork, row: ReviewItem, *, actor: str, now: Any,
          user: str | None) -> merges.Change:
    """`same`: the item's fiche is the candidate's person. Its whole porteur joins the
    candidate's, unless the matcher itself linked the fiche there (`auto`: the best of
    porteurs that are not one person, as a father's and his son's) and the two porteurs'
    fiches may not be one person (`may_be_one`): then only the item's fiche moves and its
    porteur's other fiches stay apart. A porteur a coordinator's decisions gathered (the
    fiche is there by `review`, or was its first) joins whole: one person, as they said."""
    sides = [row.porteur_id, row.candidate_porteur_id]
    held = uow.matching.fiches_of(sides)
    alone = held[row.porteur_id] == [row.fiche_pk]
    if alone or row.fiche_pk not in held[row.porteur_id] \
            or uow.matching.link_method(row.fiche_pk) != "auto" or may_be_one(
            [r.record for r in uow.matching.records_of_porteurs(sides)], matching_model(hub)):
        return merges.merge(hub, uow, row.candidate_porteur_id, row.porteur_id, actor=actor,
                            item_id=row.id, now=now, user=user)
    return merges.move_one(hub, uow, row.fiche_pk, row.porteur_id, row.candidate_porteur_id,
                           actor=actor, item_id=row.id, now=now, user=user,
                           may_see=lambda pk: _opens_to(hub, uow, pk, actor))


def _held_item(uow: UnitOfWork, item_id: int) -> ReviewItem:
    """The item read under the lock of moves (`Porteurs.lock_moves`: one mover at a time,
    until the commit): a merge committed before it renamed the item's porteurs, so the
    merge starts from what they hold now."""
    uow.porteurs.lock_moves()
    row = uow.matching.review_item(item_id)
    if row is None:
        raise _not_found()
    return row


def outcome(hub: Hub, item_id: int) -> dict[str, Any]:
    """How a closed item was closed: its status, when, and who decided: the console
    account, or the member for a decision through the API (None when unknown)."""
    with hub.uow() as uow:
        row = uow.matching.review_item(item_id)
    if row is None:
        raise _not_found()
    if row.status == UNMATCHED_STATUS:
        with hub.uow() as uow:
            heads = uow.matching.fiche_heads((row.fiche_pk, row.candidate_fiche_pk))
        row = row._replace(status=told_status(row.status, all(
            map(_consultable, _shown(hub, row, heads, COORDINATION)))))
    if row.status in (SIDE_LEFT_STATUS, UNMATCHED_STATUS):  # nor why, nor when (`disclosed`)
        return {"statut": row.status, "le": None, "par_compte": None}
    account = row.decided_by
    if row.status == "same":
        merges_of = merge_history(hub, row.candidate_porteur_id, limit=MAX_LIMIT)
        account = next((m["par_compte"] for m in merges_of if m["revue"] == item_id), None)
    return {"statut": row.status, "le": row.decided_at, "par_compte": account}


def unmerge(hub: Hub, porteur_id: str, member_id: str, fiche_id: str, *,
            actor: str, user: str | None = None) -> dict[str, Any]:
    """Split one fiche off a porteur; the history keeps both the merge and the split.
    Only a fiche the consent + policy gate opens to `actor` (as the history names it):
    another is answered as a fiche that does not exist."""
    seen: set[int] = set()
    with hub.uow() as uow:

        def may_see(pk: int) -> bool:
            opens = _opens_to(hub, uow, pk, actor)
            if opens:
                seen.add(pk)
            return opens

        now = hub.clock()
        change = merges.split(hub, uow, porteur_id, member_id, fiche_id, actor=actor,
                              now=now, user=user, may_see=may_see)
        hub.audit.append_within(uow.connection, [audit.event(  # committed with the split
            hub, "unmerge", actor, porteur_id=porteur_id, fiches=change.moved, user=user)])
        # a restore from an older copy separates them again: the fiche by its key and a
        # keyed digest of its owner and id, with the fiches the coordination saw (the
        # others go along as they went: merges.split)
        uow.decisions.journal(UNMERGE, {
            "porteur_id": porteur_id, "fiche_pk": change.moved_pks[0],
            "fiche": fiche_digest(hub.pseudonym_key, member_id, fiche_id),
            "seen": sorted(seen), "actor": actor, "user": user}, now)
        told = _told_change(hub, uow, change, actor)
        uow.commit()
    if change.notified:
        hub.publisher.request_dispatch_safely()
    return told


def replay_unmerge(hub: Hub, uow: UnitOfWork, entry: dict[str, Any]) -> str | None:
    """A restore: the separation `entry` made again in the replay's transaction, as it was
    made (the fiches the coordination saw then), with its notices; none when the restored
    store has the fiche elsewhere already, or holds its key under another fiche. Answers
    the porteur separated."""
    refs = uow.key_replays.fiche_refs([entry["fiche_pk"]])
    if not refs or fiche_digest(hub.pseudonym_key, refs[0].member_id,
                                refs[0].fiche_id) != entry["fiche"]:
        return None
    ref = refs[0]
    seen = set(entry["seen"])
    try:
        change = merges.split(hub, uow, entry["porteur_id"], ref.member_id, ref.fiche_id,
                              actor=entry["actor"], now=hub.clock(), user=entry["user"],
                              may_see=seen.__contains__)
    except NothingToUnmerge:
        return None
    hub.audit.append_within(uow.connection, [audit.event(
        hub, "unmerge", entry["actor"], porteur_id=entry["porteur_id"], fiches=change.moved,
        user=entry["user"])])
    return str(entry["porteur_id"])


def _opens_to(hub: Hub, uow: UnitOfWork, fiche_pk: int, actor: str) -> bool:
    """Whether the gate opens this fiche to `actor` now (not withdrawn, expired, erased)."""
    return bool(_open_heads(hub, uow.matching.fiche_heads([fiche_pk]), actor))


def merge_history(hub: Hub, porteur_id: str | None = None, limit: int = 50, *,
                  actor: str | None = None) -> list[dict[str, Any]]:
    """Merges and unmerges, newest first. For a reader (`actor`), each event names only
    the fiches the consent + policy gate opens to it now (a fiche whose consent was
    withdrawn since, or never covered it, is not named: who holds a fiche of the person),
    and an event that names none is not listed (`_told_rows`)."""
    limit = max(1, min(limit, MAX_LIMIT))
    told: list[dict[str, Any]] = []
    offset = 0
    while len(told) < limit:
        with hub.uow() as uow:
            rows = uow.matching.merge_history(porteur_id, limit, offset)
            heads = uow.matching.fiche_heads(pk for r in rows for pk in r.fiche_pks)
        opened = _open_heads(hub, heads, actor)
        told += [_merge_event(r, opened) for r in _told_rows(rows, opened, actor)]
        if len(rows) < limit:
            break
        offset += limit
    return told[:limit]


def _told_rows(rows: list[Any], opened: dict[int, Any] | set[int],
               actor: str | None) -> list[Any]:
    """The events of `rows` moving a fiche of `opened` (every one for the hub's reads). A
    merge of porteurs whose moved fiches `actor` may not see (the matcher joining fiches
    under consents leaving it out, or withdrawn since) would tell, by its porteurs and
    its time, that a person it may not see exists."""
    if actor is None:
        return rows
    return [r for r in rows if any(pk in opened for pk in r.fiche_pks)]


def open_fiche_pks(hub: Hub, fiche_pks: Iterable[int], actor: str) -> set[int]:
    """The fiches of `fiche_pks` the consent + policy gate opens to `actor` now (as the
    merges' history names them)."""
    with hub.uow() as uow:
        heads = uow.matching.fiche_heads(fiche_pks)
    return set(_open_heads(hub, heads, actor))


def _open_heads(hub: Hub, heads: dict[int, Any], actor: str | None) -> dict[int, Any]:
    """The fiches of `heads` `actor` may see (all of them for the hub's own reads)."""
    if actor is None:
        return heads
    return {pk: head for pk, head in heads.items()
            if _disclosure(hub, head, actor) not in (None, _ERASED)}


def merge_history_page(hub: Hub, page: int, per_page: int, *,
                       actor: str | None = None) -> dict[str, Any]:
    """Page `page` (from 1) of every merge and unmerge told to `actor`, newest first,
    with how many pages there are (a page past the last gives the last), and `separees`
    the unmerges recorded since its oldest event, for those made on the pages before.
    Counted as listed: every event is read and passed through the gate."""
    with hub.uow() as uow:
        rows = uow.matching.all_merge_events()
        heads = uow.matching.fiche_heads(pk for r in rows for pk in r.fiche_pks)
    heads = _open_heads(hub, heads, actor)
    told = _told_rows(rows, heads, actor)
    total = len(told)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    shown = told[(page - 1) * per_page:page * per_page]
    later = [r for r in told if shown and r.kind == "unmerge" and r.id > shown[-1].id]
    return {"events": [_merge_event(r, heads) for r in shown],
            "separees": [_merge_event(r, heads) for r in later],
            "page": page, "pages": pages, "total": total}


def _merge_event(row: Any, heads: dict[int, Any]) -> dict[str, Any]:
    return {"id": row.id, "type": "fusion" if row.kind == "merge" else "separation",
            "porteur_id": row.porteur_id, "autre_porteur_id": row.other_porteur_id,
            "fiches": [{"membre": heads[pk].member_id, "fiche_id": heads[pk].fiche_id}
                       for pk in row.fiche_pks if pk in heads],
            "revue": row.review_item_id, "par": row.actor, "par_compte": row.actor_user,
            "le": as_utc(row.at).isoformat()}  # SQLite gives naive UTC times back


def retrain_from_decisions(hub: Hub, *, output: Path | None = None,
                           pseudo_count: float = 20.0) -> MatchModel:
    """The current model with m re-estimated from the pairs judged `same` (see `refine_m`);
    written to `output` when given (then point HUB_MATCHING_MODEL_FILE at it)."""
    model = matching_model(hub)
    with hub.uow() as uow:
        pairs = uow.matching.labelled_pairs()
    patterns = [compare_records(model.comparisons, normalise_record(p.left),
                                normalise_record(p.right))[0] for p in pairs if p.decision == "same"]
    refined = refine_m(model, patterns, pseudo_count)
    if output is not None:
        output.write_text(refined.to_json(), encoding="utf-8")
    return refined


def dedup_status(hub: Hub) -> dict[str, int]:
    """Counts of links by method and review items by status (demo, operator)."""
    with hub.uow() as uow:
        return uow.matching.counts()


def _item(hub: Hub, row: Any, heads: dict[int, Any], actor: str,
          events: list[AccessEvent], user: str | None = None,
          shown: list[Any] | None = None) -> dict[str, Any]:
    """The item as the coordination may see it: each side through the consent + policy
    gate (`shown`, when worked out already), and of the explanation only what both
    sides disclose (`told_explanation`)."""
    shown = shown if shown is not None else _shown(hub, row, heads, actor)
    sides = [_side(hub, heads.get(pk), porteur, disclosure, actor, events, user)
             for pk, porteur, disclosure in ((row.fiche_pk, row.porteur_id, shown[0]),
                                             (row.candidate_fiche_pk, row.candidate_porteur_id,
                                              shown[1]))]
    told = told_explanation(row.explanation, *_paths(shown))
    opened = row.opened_at if _consultable(shown[0]) else None
    both = all(map(_consultable, shown))
    # a side hidden: no revision (it would go up with that side's versions), no status
    # saying that its new version closed the item (`told_status`)
    return {"id": row.id, "statut": told_status(row.status, both),
            "ouvert_le": as_utc(opened).isoformat() if opened else None,
            "probabilite": told_probability(row.probability, told), "cotes": sides,
            "explication": told, "revision": row.revision if both else None}


class Told(NamedTuple):
    """What a reader is told of an item beside its sides: its probability, when it was
    opened (None: not told), and whether each side is consultable."""

    probability: float | None
    opened_at: dt.datetime | None
    consultable: tuple[bool, bool]


def told_items(hub: Hub, rows: Iterable[Any], actor: str) -> dict[int, Told]:
    """What `actor` is told of each item of `rows` (review items), by id: for lists that
    show an item's probability, time or porteurs beside the queue (« à revoir »)."""
    rows = list(rows)
    with hub.uow() as uow:
        heads = uow.matching.fiche_heads(pk for r in rows for pk in (r.fiche_pk, r.candidate_fiche_pk))
    paths = _PathsOf(hub, heads, actor)
    return {row.id: _told(row, paths) for row in rows}


def _told(row: Any, paths: _PathsOf) -> Told:
    """The probability is told beside an explanation told whole (`told_probability`); the
    opening, when the item's new side is consultable: it is when that member pushed.
    Worked out from what each side discloses (`tells_whole`), as `_item` tells it, without
    projecting a fiche or writing an explanation: the queue's order needs it of every
    open item."""
    left, right = paths(row.fiche_pk), paths(row.candidate_fiche_pk)
    whole = tells_whole(row.explanation, left, right)
    return Told(round(row.probability, 6) if whole else None,
                row.opened_at if left is not None else None, (left is not None, right is not None))


class _PathsOf:
    """What each fiche of `heads` discloses to `actor` (None: not consultable, as
    `_consultable(_disclosure(...))` says), once per fiche."""

    def __init__(self, hub: Hub, heads: dict[int, Any], actor: str) -> None:
        self.hub, self.heads, self.actor = hub, heads, actor
        self.now = hub.clock()
        self._found: dict[int, frozenset[str] | None] = {}

    def __call__(self, fiche_pk: int) -> frozenset[str] | None:
        if fiche_pk not in self._found:
            self._found[fiche_pk] = self._disclosed(self.heads.get(fiche_pk))
        return self._found[fiche_pk]

    def _disclosed(self, head: Any) -> frozenset[str] | None:
        if head is None or head.payload is None:  # unknown, or erased
            return None
        found = FicheDisclosures(self.hub, head.member_id, orjson.loads(head.payload),
                                 self.now).allowed(self.actor, COORDINATION, False)
        return found[1].paths if found is not None and opens_a_field(found[1].paths) else None


def _consultable(disclosure: Any) -> bool:
    return disclosure is not None and disclosure is not _ERASED


def _told_at_all(shown: list[Any]) -> bool:
    """Whether a reader is told of an item at all: when it may see one side at least.
    Neither listed, counted nor readable otherwise (a pair of two fiches it may not see
    would tell that a person it may not see exists, and may have two fiches); the item
    stays open, listed as soon as the gate opens a side."""
    return any(_consultable(side) for side in shown)


_ERASED = object()  # a side erased at the porteur's request: not consultable, named by nothing


def _shown(hub: Hub, row: Any, heads: dict[int, Any], actor: str) -> list[Any]:
    """Each side's disclosure to the coordination: `disclosure_for`'s, or `_ERASED`."""
    return [_disclosure(hub, heads.get(pk), actor) for pk in (row.fiche_pk, row.candidate_fiche_pk)]


def _disclosure(hub: Hub, head: Any, actor: str) -> Any:
    """The side's disclosure, or None when it opens no compared field (a consent for
    statistics only): pairing it would still tell who holds a fiche of the person."""
    if head is None or head.payload is None:  # unknown, or erased at the porteur's request
        return _ERASED
    shown = disclosure_for(hub, head.member_id, orjson.loads(head.payload), actor, COORDINATION,
                           False, hub.clock())
    return shown if shown is not None and opens_a_field(shown.allowed.paths) else None


def _paths(shown: list[Any]) -> tuple[frozenset[str] | None, ...]:
    """What each side discloses (None: nothing, the side is not consultable)."""
    return tuple(d.allowed.paths if d is not None and d is not _ERASED else None
                 for d in shown)


def _side(hub: Hub, head: Any, porteur_id: str, shown: Any, actor: str,
          events: list[AccessEvent], user: str | None = None) -> dict[str, Any]:
    """One side as the coordination may see it (consent + policy), never the raw payload.
    A side the gate refuses names nothing (no member, fiche, porteur nor version: they
    would say who holds a fiche of this person): « côté non consultable ». An erased side
    reads the same (its porteur named, it would tell an erasure from a withdrawal)."""
    if shown is _ERASED:
        return _closed_side()
    fields: Iterable[str] = sorted(shown.allowed.paths) if shown else ()
    events.append(audit.event(
        hub, "porteur_view", actor, outcome="allowed" if shown else "denied",
        porteur_id=porteur_id, fiches=[(head.member_id, head.fiche_id)], fields=fields,
        purpose=shown.purpose if shown else None,
        policy_version=shown.allowed.policy_version if shown else None, user=user))
    if not shown:
        return _closed_side()
    return {"porteur_id": porteur_id, "consultable": True, "membre": head.member_id,
            "fiche_id": head.fiche_id, "version": head.current_version,
            "finalite": shown.purpose, "champs": list(fields), "fiche": shown.document}


def _closed_side() -> dict[str, Any]:
    """A side not consultable, whatever the reason (gate refused, withdrawn, erased)."""
    return {"consultable": False, "fiche": {}, "champs": []}


def _told_change(hub: Hub, uow: UnitOfWork, change: merges.Change,
                 actor: str) -> dict[str, Any]:
    """A merge or an unmerge as its answer tells `actor`: of the fiches moved, those the
    consent + policy gate opens to it (as the history names them); of the members told,
    those owning a fiche of either porteur it opens (a fiche hidden from it, or withdrawn,
    would otherwise be named, or its member: who holds a fiche of the person)."""
    both = [row.id for p in (change.porteur_id, change.other_porteur_id)
            for row in uow.fiches.of_porteur(p)]
    opened = _open_heads(hub, uow.matching.fiche_heads([*both, *change.moved_pks]), actor)
    owners = {head.member_id for pk, head in opened.items() if pk in both}
    return {"evenement": change.event_id, "porteur_id": change.porteur_id,
            "autre_porteur_id": change.other_porteur_id,
            "fiches": [{"membre": opened[pk].member_id, "fiche_id": opened[pk].fiche_id}
                       for pk in change.moved_pks if pk in opened],
            "membres_avertis": [m for m in change.notified if m in owners],
            "fiche_seule": change.fiche_only}


def _not_found() -> ReviewItemNotFound:
    return ReviewItemNotFound("Aucun doublon en attente ne porte cet identifiant.",
                              "No review item has this id.")
