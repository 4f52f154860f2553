"""A member's answer to a referent proposal in the recovery journal (hub.journal,
`referent_answer`): a restore from a copy taken before it gives it again, so a declined
proposal is not proposed again, nor an accepted one waiting.

The entry names the proposal by its number, the member it was made to, the porteur (its
pseudonymous id) and when it was made (a number the copy handed out again to another
proposal is not it); the answer's note only as stored, sealed with the data key of one
of the porteur's fiches (its erasure destroys it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hub.audit.rows import as_utc
from hub.store.uow import UnitOfWork

KIND = "referent_answer"
PROPOSED = "proposee"


def journal_answer(uow: UnitOfWork, proposal: Any, answer: str, now: dt.datetime) -> None:
    """Before the answer commits, in its transaction (`proposal`: its row as answered)."""
    stored = uow.meeting.sealed_answer(proposal.id)
    uow.decisions.journal(KIND, {
        "action_id": proposal.id, "member_id": proposal.member_id,
        "porteur_id": proposal.porteur_id, "proposed_at": proposal.created_at.isoformat(),
        "answer": answer, "key_fiche_pk": stored.key_fiche_pk if stored else None,
        "note": stored.answer_note if stored else None}, now)


def replay_answer(uow: UnitOfWork, entry: dict[str, Any]) -> int | None:
    """A restore: the answer given again to the proposal the restored store holds still
    waiting; none when it holds it answered, or not this proposal under that number. The
    note stays only where it was sealed (the same porteur and fiche, that fiche's key
    kept). Answers the proposal's number."""
    row = uow.meeting.get(entry["action_id"])
    if row is None or row.kind != "referent" or row.status != PROPOSED \
            or row.member_id != entry["member_id"] \
            or as_utc(row.created_at) != as_utc(dt.datetime.fromisoformat(entry["proposed_at"])):
        return None
    stored = uow.meeting.sealed_answer(row.id)
    key_pk = entry.get("key_fiche_pk")
    kept = (stored is not None and stored.porteur_id == entry["porteur_id"]
            and stored.key_fiche_pk == key_pk and key_pk is not None
            and not uow.keys.erased([key_pk]))
    uow.meeting.put_answer(row.id, PROPOSED, entry["answer"],
                           dt.datetime.fromisoformat(entry["at"]),
                           entry.get("note") if kept else None)
    return int(row.id)

