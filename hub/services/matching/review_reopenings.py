"""A coordinator's « reprendre » of a pair set aside or judged different, in the recovery
journal (hub.journal, `review_reopen`): a restore from a copy taken before it reopens the
pair again, in its place among the decisions, so that a decision made on the pair after
it is made again too. Before, the copy's (or the replayed) first decision stood, and the
second, refused on an item already decided, was lost.

The entry names the item by number and each side by its key and a keyed digest of its
owner and id, as a decision's entry does (`duplicates.journal_sides`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hub.bootstrap import Hub
from hub.services.audit import trail as audit
from hub.services.matching import duplicates
from hub.store.uow import UnitOfWork

KIND = "review_reopen"
REOPENABLE = ("unknown", "different")


def journal_reopening(hub: Hub, uow: UnitOfWork, item_id: int, actor: str,
                      user: str | None, now: dt.datetime) -> None:
    """Before the reopening commits, in its transaction."""
    row = uow.matching.review_item(item_id)
    assert row is not None, item_id  # reopened in this transaction
    refs = {ref.id: ref for ref in uow.key_replays.fiche_refs(
        [row.fiche_pk, row.candidate_fiche_pk])}
    uow.decisions.journal(KIND, {"item": item_id, **duplicates.journal_sides(hub, row, refs),
                                 "actor": actor, "user": user}, now)


def replay_reopening(hub: Hub, uow: UnitOfWork, entry: dict[str, Any]) -> int | None:
    """A restore: the item reopened again in the replay's transaction, when the restored
    store holds it, of the same pair, set aside or judged different; none otherwise (the
    copy lacks the item, a side's key is another fiche's now, a side left the index).
    Answers the item's number."""
    if duplicates.entry_sides(hub, uow, entry) is None:
        return None
    row = uow.matching.review_item(entry["item"])
    if row is None or [row.fiche_pk, row.candidate_fiche_pk] != [
            entry["fiche"]["pk"], entry["candidate"]["pk"]]:
        return None
    pair = uow.revisits.reopen(row.id, REOPENABLE)
    if pair is None:
        return None
    hub.audit.append_within(uow.connection, [audit.event(
        hub, "review_reopen", entry["actor"], user=entry["user"],
        porteur_id=pair.candidate_porteur_id)])
    return int(row.id)
