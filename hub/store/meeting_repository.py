"""Reads and writes of what the monthly meeting decides (`meeting_tables`).

A parrain's name and the notes (the coordination's and a member's answer) are personal
data: they are sealed with the data key of one of the porteur's fiches (`key_fiche_pk`,
the oldest at the time), bound to the porteur and the column, so that erasing the
porteur destroys them with the rest (and the erasure deletes the rows too). They stay
the porteur's when fiches move: a merge seals the absorbed porteur's again for the porteur
kept (`follow`), the separation that restores the absorbed porteur gives them back to it
(`give_back`), a fiche leaving or erased has them sealed again under a fiche that stays
(`reanchor`). Rows are returned opened; a text whose key was destroyed reads None.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from hub.store import fiche_key_floor
from hub.store.meeting_tables import meeting_actions
from hub.store.sealing import FicheKeys, with_field
from hub.store.tables import fiches, porteurs

SEALED = ("parrain", "note", "answer_note")


def meeting_context(porteur_id: str, column: str) -> str:
    return f"meeting:{porteur_id}:{column}"


class MeetingActions:
    def __init__(self, connection: sa.Connection, keys: FicheKeys) -> None:
        self.conn = connection
        self._keys = keys

    def add(self, values: dict[str, Any]) -> int:
        """A new action; its texts sealed under the key of the porteur's oldest fiche
        still readable."""
        anchor = self._anchor(values["porteur_id"], set())
        row = {**values, "key_fiche_pk": anchor}
        for column in SEALED:
            if values.get(column) and anchor is not None:
                row[column] = self._keys.seal(
                    anchor, meeting_context(values["porteur_id"], column), values[column])
            elif values.get(column):  # a porteur without fiches: nothing to say about them
                row[column] = None
        [row] = fiche_key_floor.numbered(self.conn, [row], meeting_actions)
        inserted = self.conn.execute(sa.insert(meeting_actions).values(**row))
        return int(inserted.inserted_primary_key[0])  # type: ignore[index]  # one row inserted: a key

    def resume_numbers_after(self, gap: int) -> None:
        """A restore: the next action's number `gap` past the copy's largest, past any
        handed out since the copy was taken (hub.store.fiche_key_floor)."""
        largest = self.conn.scalar(sa.select(sa.func.max(meeting_actions.c.id))) or 0
        fiche_key_floor.resume_after(self.conn, largest + gap, meeting_actions)

    def get(self, action_id: int) -> Any | None:
        row = self.conn.execute(
            sa.select(meeting_actions).where(meeting_actions.c.id == action_id)).first()
        return None if row is None else self._opened([row])[0]

    def of_porteur(self, porteur_id: str) -> list[Any]:
        query = (sa.select(meeting_actions).where(meeting_actions.c.porteur_id == porteur_id)
                 .order_by(meeting_actions.c.id.desc()))
        return self._opened(self.conn.execute(query))

    def settle(self, action_id: int, expected: str, status: str, now: dt.datetime,
               note: str | None = None) -> bool:
        """Move an action from `expected` to `status`; False when it was not `expected`
        any more (answered meanwhile)."""
        found = self.conn.execute(sa.select(meeting_actions.c.porteur_id,
                                            meeting_actions.c.key_fiche_pk)
                                  .where(meeting_actions.c.id == action_id)).first()
        if note and found is not None and found.key_fiche_pk is not None:
            note = self._keys.seal(found.key_fiche_pk,
                                   meeting_context(found.porteur_id, "answer_note"), note)
        elif note:
            note = None
        done = self.conn.execute(
            sa.update(meeting_actions)
            .where(meeting_actions.c.id == action_id, meeting_actions.c.status == expected)
            .values(status=status, answered_at=now, answer_note=note))
        return done.rowcount == 1

    def sealed_answer(self, action_id: int) -> Any | None:
        """The answer's note as stored (sealed), with the porteur and the fiche whose key
        sealed it: for the recovery journal, which holds nothing in clear."""
        c = meeting_actions.c
        return self.conn.execute(sa.select(c.porteur_id, c.key_fiche_pk, c.answer_note)
                                 .where(c.id == action_id)).first()

    def put_answer(self, action_id: int, expected: str, status: str, at: dt.datetime,
                   sealed_note: str | None) -> bool:
        """`settle` with the note as sealed already (a restore's replayed answer)."""
        done = self.conn.execute(
            sa.update(meeting_actions)
            .where(meeting_actions.c.id == action_id, meeting_actions.c.status == expected)
            .values(status=status, answered_at=at, answer_note=sealed_note))
        return done.rowcount == 1

    def between(self, since: dt.datetime, until: dt.datetime) -> list[Any]:
        """Actions decided or answered in [since, until), oldest first."""
        query = sa.select(meeting_actions).where(sa.or_(
            sa.and_(meeting_actions.c.created_at >= since, meeting_actions.c.created_at < until),
            sa.and_(meeting_actions.c.answered_at >= since,
                    meeting_actions.c.answered_at < until))).order_by(meeting_actions.c.id)
        return self._opened(self.conn.execute(query))

    def lock_porteur(self, porteur_id: str) -> None:
        """Until the transaction ends, this one alone decides about `porteur_id` (the
        porteur's row, PostgreSQL; SQLite's writers take their turns whole)."""
        self.conn.execute(sa.select(porteurs.c.id).where(porteurs.c.id == porteur_id)
                          .with_for_update())

    def latest_proposal(self, porteur_id: str) -> Any | None:
        """The newest referent proposal about `porteur_id`, or None."""
        row = self.conn.execute(sa.select(meeting_actions).where(
            meeting_actions.c.porteur_id == porteur_id, meeting_actions.c.kind == "referent")
            .order_by(meeting_actions.c.id.desc()).limit(1)).first()
        return None if row is None else self._opened([row])[0]

    def proposal_to(self, action_id: int, member_id: str) -> Any | None:
        """The referent proposal `action_id` when it was made to `member_id`, else None
        (the same one statement whether the number is another's or none)."""
        row = self.conn.execute(sa.select(meeting_actions).where(
            meeting_actions.c.id == action_id, meeting_actions.c.kind == "referent",
            meeting_actions.c.member_id == member_id)).first()
        return None if row is None else self._opened([row])[0]

    def proposals_to(self, member_id: str) -> list[int]:
        """The ids of the referent proposals made to `member_id`."""
        return list(self.conn.execute(sa.select(meeting_actions.c.id).where(
            meeting_actions.c.kind == "referent", meeting_actions.c.member_id == member_id))
            .scalars())

    def open_items(self, kinds: tuple[str, ...], statuses: tuple[str, ...]) -> list[Any]:
        query = (sa.select(meeting_actions).where(meeting_actions.c.kind.in_(kinds),
                                                  meeting_actions.c.status.in_(statuses))
                 .order_by(meeting_actions.c.id))
        return self._opened(self.conn.execute(query))

    def forget(self, porteur_id: str | None, fiche_pks: list[int]) -> int:
        """Erasure: delete the actions about `porteur_id` and those sealed under the
        keys of `fiche_pks` (being destroyed); another porteur's actions sealed under
        one of them (its oldest fiche once, moved since) move to a fiche of theirs."""
        if fiche_pks and porteur_id:
            self._reanchor(meeting_actions.c.key_fiche_pk.in_(fiche_pks)
                           & (meeting_actions.c.porteur_id != porteur_id), set(fiche_pks))
        about: list[sa.ColumnElement[bool]] = \
            [meeting_actions.c.key_fiche_pk.in_(fiche_pks)] if fiche_pks else []
        if porteur_id:
            about.append(meeting_actions.c.porteur_id == porteur_id)
        if not about:
            return 0
        return self.conn.execute(sa.delete(meeting_actions).where(sa.or_(*about))).rowcount

    def seal_legacy(self, limit: int) -> int:
        """Seal up to `limit` rows written in clear before the texts were sealed (a
        porteur left with no readable fiche loses them); returns how many were done."""
        legacy = sa.and_(meeting_actions.c.key_fiche_pk.is_(None), sa.or_(
            *[meeting_actions.c[column].is_not(None) for column in SEALED]))
        rows = list(self.conn.execute(sa.select(meeting_actions).where(legacy)
                                      .order_by(meeting_actions.c.id).limit(limit)))
        for row in rows:
            self._seal_under(row, self._anchor(row.porteur_id, set()))
        return len(rows)

    def _seal_under(self, row: Any, anchor: int | None, porteur_id: str | None = None) -> None:
        """The row's (clear) texts sealed under `anchor`'s key for `porteur_id` (else its
        own porteur), or deleted without one."""
        where = meeting_actions.c.id == row.id
        if anchor is None:
            self.conn.execute(sa.update(meeting_actions).where(where)
                              .values(**dict.fromkeys(SEALED)))
            return
        porteur_id = porteur_id or row.porteur_id
        sealed = {column: self._keys.seal(anchor, meeting_context(porteur_id, column),
                                          getattr(row, column))
                  if getattr(row, column) else None for column in SEALED}
        self.conn.execute(sa.update(meeting_actions).where(where)
                          .values(key_fiche_pk=anchor, porteur_id=porteur_id, **sealed))

    def follow(self, absorbed: str, keep: str) -> list[int]:
        """A merge: the absorbed porteur's actions are the kept one's, sealed again for it
        under the same key (its fiche moved with them). Returns their ids (the merge
        records them: a separation restoring the absorbed porteur gives them back)."""
        return self._move(meeting_actions.c.porteur_id == absorbed, keep, None)

    def give_back(self, action_ids: list[int], holder: str, restored: str) -> None:
        """A merge undone: the actions among `action_ids` that `holder` still has (they came
        with the porteur absorbed) are `restored`'s again, sealed again for it under the
        key of its oldest fiche (deleted when it has none readable)."""
        if not action_ids:
            return
        about = meeting_actions.c.id.in_(action_ids) & (meeting_actions.c.porteur_id == holder)
        anchor = self._anchor(restored, set())
        if anchor is None:
            self.conn.execute(sa.delete(meeting_actions).where(about))
        else:
            self._move(about, restored, anchor)

    def _move(self, about: sa.ColumnElement[bool], porteur_id: str,
              anchor: int | None) -> list[int]:
        """The actions `about` become `porteur_id`'s, sealed under `anchor` (None: the key
        they are sealed under)."""
        rows = self._opened(self.conn.execute(sa.select(meeting_actions).where(about)))
        for row in rows:
            if row.key_fiche_pk is None:  # written before sealing: `seal_legacy` seals it
                self.conn.execute(sa.update(meeting_actions).where(
                    meeting_actions.c.id == row.id).values(porteur_id=porteur_id))
            else:
                self._seal_under(row, anchor or row.key_fiche_pk, porteur_id)
        return [int(row.id) for row in rows]

    def reanchor(self, fiche_pks: list[int], porteur_id: str | None = None) -> None:
        """Before the keys of `fiche_pks` are destroyed (a member removes its fiche, the
        porteur stays), or when they leave `porteur_id` (a separation, a fiche moved to
        another porteur): the actions (of `porteur_id`, if given) sealed under them move
        to another fiche of their porteur, or are deleted when it has none left."""
        about: sa.ColumnElement[bool] = meeting_actions.c.key_fiche_pk.in_(fiche_pks)
        if porteur_id is not None:
            about = about & (meeting_actions.c.porteur_id == porteur_id)
        self._reanchor(about, set(fiche_pks))

    def _reanchor(self, about: sa.ColumnElement[bool], leaving: set[int]) -> None:
        rows = self._opened(self.conn.execute(sa.select(meeting_actions).where(about)))
        for row in rows:
            anchor = self._anchor(row.porteur_id, leaving)
            if anchor is None:
                self.conn.execute(sa.delete(meeting_actions).where(meeting_actions.c.id == row.id))
            else:
                self._seal_under(row, anchor)

    def _anchor(self, porteur_id: str, leaving: set[int]) -> int | None:
        """The oldest fiche of the porteur whose key lives on."""
        pks = [pk for (pk,) in self.conn.execute(sa.select(fiches.c.id).where(
            fiches.c.porteur_id == porteur_id).order_by(fiches.c.id)) if pk not in leaving]
        erased = self._keys.erased(pks)
        return next((pk for pk in pks if pk not in erased), None)

    def _opened(self, rows: Any) -> list[Any]:
        rows = list(rows)
        self._keys.load(r.key_fiche_pk for r in rows if r.key_fiche_pk is not None)
        opened = []
        for row in rows:
            for column in SEALED:
                stored = getattr(row, column)
                if stored is not None and row.key_fiche_pk is not None:
                    row = with_field(row, column, self._keys.open(
                        row.key_fiche_pk, meeting_context(row.porteur_id, column), stored))
            opened.append(row)
        return opened
