"""The consent registry on SQLAlchemy Core (SQLite in embedded mode, PostgreSQL at scale).

Uniqueness races between processes are settled by the database's constraints:
(member_id, reference) for consents, (consent_id, state) for state rows,
(kind, subject_id, recipient_id) for notice acknowledgements.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from consent.model import (
    TEXTLESS_PROOF,
    ConsentRecord,
    Notice,
    NoticeAck,
    NoticeKind,
    StateChange,
    Status,
    as_utc,
    forgotten_proof,
    sorted_history,
)
from consent.notices import new_version
from consent.registry import Clock, ConsentRegistry, FicheKey, utc_now
from consent.tables import ConsentTables, define_tables
from hub.errors import NoticeNotSent, NoticeVersionUnavailable

_TEXTS = postgresql.ARRAY(sa.Text)

_TABLES = define_tables(sa.MetaData())
_ENDED = (Status.WITHDRAWN.value, Status.EXPIRED.value)
_MEMBERS_A_STATEMENT = 200  # members of one SQLite consents statement (for_porteur)


class SqlConsentRegistry(ConsentRegistry):
    """Reads go through `engine`; write transactions through `writes` (default: the same
    engine). On SQLite the hub gives a reader engine whose transactions begin DEFERRED,
    and its own engine for writes: a DEFERRED transaction that reads, then writes while
    another process writes fails at once ("database is locked") instead of waiting for
    its turn."""

    def __init__(self, engine: sa.Engine, clock: Clock = utc_now, *,
                 refresh_every: float = 1.0, tables: ConsentTables | None = None,
                 writes: sa.Engine | None = None) -> None:
        self._engine = engine
        self._writes = writes if writes is not None else engine
        self._t = tables or _TABLES
        # PostgreSQL's reads of a batch's consents, built once: built at every call, the
        # statements cost the worker more than their parameters and rows.
        self._pg_for_fiches = _consents_of_fiches(self._t.consents)
        self._pg_states = _states_of(self._t.states)
        self._pg_of_references = _consents_of_references(self._t.consents)
        # SQLite's, built once too: the worker reads a transaction's consents (mostly one
        # member's fiches) and their states at each transaction.
        self._of_member = _consents_of_member(self._t.consents)
        self._states_in = _states_in(self._t.states)
        super().__init__(clock, refresh_every=refresh_every)

    # -- consents ---------------------------------------------------------------------

    def for_porteur(self, fiches: Iterable[FicheKey]) -> list[ConsentRecord]:
        keys = sorted(set(fiches))
        if not keys:
            return []
        if self._engine.dialect.name == "postgresql":  # two arrays, not two parameters a fiche
            return self._records(self._pg_for_fiches, {
                "members": _texts([m for m, _f in keys]),
                "fiches": _texts([f for _m, f in keys])})
        # Member by member: SQLite reads a row value `(member_id, fiche_id) IN (VALUES
        # ...)` by walking the whole table (in recorded_at order, for the ORDER BY), every
        # consent the hub holds for each transaction of the worker; `member_id = ? AND
        # fiche_id IN (...)` is a look-up in ix_consents_member_fiche.
        # At most _MEMBERS_A_STATEMENT members' terms in one OR: SQLite refuses a larger
        # expression tree ("Expression tree is too large", some 1,000 terms).
        c = self._t.consents.c
        fiche_ids: dict[str, list[str]] = {}
        for member_id, fiche_id in keys:
            fiche_ids.setdefault(member_id, []).append(fiche_id)
        groups = list(fiche_ids.items())
        if len(groups) == 1:
            (member_id, ids), = groups
            return self._records(self._of_member, {"member": member_id, "fiches": ids})
        found: list[ConsentRecord] = []
        for first in range(0, len(groups), _MEMBERS_A_STATEMENT):
            among = sa.or_(*(sa.and_(c.member_id == member_id, c.fiche_id.in_(ids)) for
                             member_id, ids in groups[first:first + _MEMBERS_A_STATEMENT]))
            found += self._records(sa.select(self._t.consents).where(among)
                                   .order_by(c.recorded_at, c.id))
        if len(groups) > _MEMBERS_A_STATEMENT:
            found.sort(key=lambda record: (record.recorded_at, record.id))
        return found

    def _load(self, consent_id: str) -> ConsentRecord | None:
        # The states read for an unknown id too: an answer's time must not tell another
        # member that a consent exists (docs/protocol.md, "Need-to-know").
        found = self._records(sa.select(self._t.consents).where(self._t.consents.c.id == consent_id),
                              histories_always=True)
        return found[0] if found else None

    def _find_reference(self, member_id: str, reference: str) -> ConsentRecord | None:
        c = self._t.consents.c
        query = sa.select(self._t.consents).where(c.member_id == member_id,
                                                  c.reference == reference)
        found = self._records(query)
        return found[0] if found else None

    def _find_references(self, member_id: str,
                         references: list[str]) -> dict[str, ConsentRecord]:
        c = self._t.consents.c
        found: dict[str, ConsentRecord] = {}
        if self._engine.dialect.name == "postgresql":  # one array, not a parameter a reference
            for record in self._records(self._pg_of_references,
                                        {"member": member_id,
                                         "references": _texts(references)}):
                found[record.reference] = record
            return found
        for first in range(0, len(references), 500):
            query = sa.select(self._t.consents).where(
                c.member_id == member_id, c.reference.in_(references[first:first + 500]))
            found.update((record.reference, record) for record in self._records(query))
        return found

    def _add(self, consent: ConsentRecord) -> ConsentRecord:
        try:
            with self._writes.begin() as conn:
                conn.execute(self._t.consents.insert().values(**_consent_row(consent)))
                conn.execute(self._t.states.insert().values(
                    **_state_row(consent.id, consent.history[0], consent.recorded_at)))
        except sa.exc.IntegrityError:
            existing = self._find_reference(consent.member_id, consent.reference)
            if existing is None:
                raise
            return existing
        return consent

    def _put_back(self, consent: ConsentRecord, within: Any) -> bool:
        try:
            with within.begin_nested():  # a savepoint: one stored leaves the caller's usable
                within.execute(self._t.consents.insert().values(**_consent_row(consent)))
                for change in consent.history:
                    within.execute(self._t.states.insert().values(
                        **_state_row(consent.id, change, change.at)))
                self._bump_version(within)
        except sa.exc.IntegrityError:
            return False
        return True

    def _append_state(self, consent_id: str, change: StateChange, within: Any = None) -> bool:
        try:
            if within is None:
                with self._writes.begin() as conn:
                    self._insert_state(conn, consent_id, change)
            else:  # a savepoint: a duplicate leaves the caller's transaction usable
                with within.begin_nested():
                    self._insert_state(within, consent_id, change)
        except sa.exc.IntegrityError:
            return False
        return True

    def _insert_state(self, conn: sa.Connection, consent_id: str, change: StateChange) -> None:
        conn.execute(self._t.states.insert().values(**_state_row(consent_id, change, self.clock())))
        self._bump_version(conn)

    def _forget_proofs(self, fiches: list[FicheKey]) -> int:
        c = self._t.consents.c
        forgotten = 0
        with self._writes.begin() as conn:
            for member_id, fiche_id in fiches:
                rows = conn.execute(sa.select(c.id, c.proof_value).where(
                    c.member_id == member_id, c.fiche_id == fiche_id,
                    c.proof_type != TEXTLESS_PROOF)).all()
                for row in rows:
                    if forgotten_proof(row.proof_value) != row.proof_value:
                        conn.execute(self._t.consents.update().where(c.id == row.id)
                                     .values(proof_value=forgotten_proof(row.proof_value)))
                        forgotten += 1
            if forgotten:
                self._bump_version(conn)
        return forgotten

    def _due_for_expiry(self, now: dt.datetime, limit: int) -> list[ConsentRecord]:
        c, s = self._t.consents.c, self._t.states.c
        ended = sa.select(s.id).where(s.consent_id == c.id, s.state.in_(_ENDED)).exists()
        query = (sa.select(self._t.consents).where(c.expires_at <= as_utc(now), ~ended)
                 .order_by(c.expires_at, c.id).limit(limit))
        return self._records(query)

    def _change_version(self) -> int:
        query = sa.select(self._t.changes.c.version).where(self._t.changes.c.id == 1)
        with self._engine.connect() as conn:
            return int(conn.execute(query).scalar() or 0)

    def _bump_version(self, conn: sa.Connection) -> None:
        changes = self._t.changes
        bumped = conn.execute(changes.update().where(changes.c.id == 1)
                              .values(version=changes.c.version + 1))
        if bumped.rowcount == 0:
            conn.execute(changes.insert().values(id=1, version=1))

    def _records(self, query: sa.Select[Any], params: dict[str, Any] | None = None, *,
                 histories_always: bool = False) -> list[ConsentRecord]:
        with self._engine.connect() as conn:
            rows = conn.execute(query, params).mappings().all()
            ids = [row["id"] for row in rows] or ([""] if histories_always else [])
            history = self._histories(conn, ids) if ids else {}
        return [_record(row, history.get(row["id"], ())) for row in rows]

    def _histories(self, conn: sa.Connection,
                   ids: Sequence[str]) -> dict[str, tuple[StateChange, ...]]:
        if conn.dialect.name == "postgresql":
            rows = conn.execute(self._pg_states,
                                {"ids": _texts(list(dict.fromkeys(ids)))}).mappings().all()
        else:
            rows = conn.execute(self._states_in, {"ids": list(ids)}).mappings().all()
        changes: dict[str, list[StateChange]] = {}
        for row in rows:
            change = StateChange(Status(row["state"]), as_utc(row["at"]), row["by_member"])
            changes.setdefault(row["consent_id"], []).append(change)
        return {key: sorted_history(value) for key, value in changes.items()}

    # -- notices ----------------------------------------------------------------------

    def notice(self, version: int) -> Notice | None:
        return self._notice(self._t.notices.c.version == version)

    def _notice_by_hash(self, sha256: str, member_id: str | None) -> Notice | None:
        c = self._t.notices.c
        owner = c.member_id.is_(None) if member_id is None else c.member_id == member_id
        return self._notice(sa.and_(c.sha256 == sha256, owner))

    def _notice(self, where: sa.ColumnElement[bool]) -> Notice | None:
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(self._t.notices).where(where)).mappings().first()
        return None if row is None else _notice_from_row(row)

    def notices_of(self, member_id: str | None, after: int, limit: int) -> list[Notice]:
        notices = self._t.notices
        owner = notices.c.member_id.is_(None) if member_id is None else notices.c.member_id == member_id
        query = (sa.select(notices).where(owner, notices.c.version > after)
                 .order_by(notices.c.version).limit(limit))
        with self._engine.connect() as conn:
            return [_notice_from_row(row) for row in conn.execute(query).mappings()]

    def _add_notice(self, draft: Notice) -> tuple[Notice, bool]:
        notices = self._t.notices
        purposes = None if draft.purposes is None else sorted(draft.purposes)
        for _attempt in range(5):
            version = new_version()
            try:
                with self._writes.begin() as conn:
                    conn.execute(notices.insert().values(
                        version=version, sha256=draft.sha256, text=draft.text,
                        stored_at=as_utc(draft.stored_at), member_id=draft.member_id,
                        language=draft.language, purposes=purposes))
                return dataclasses.replace(draft, version=version,
                                           stored_at=as_utc(draft.stored_at)), True
            except sa.exc.IntegrityError:
                existing = self._notice_by_hash(draft.sha256, draft.member_id)
                if existing is not None:
                    return existing, False
        raise NoticeVersionUnavailable(
            "Aucune version de notice libre n'a pu être tirée : rien n'est enregistré, "
            "réessayez.", "No free notice version could be drawn: nothing was stored, "
            "retry.")

    # -- acknowledgements -------------------------------------------------------------

    def notice_sent(self, subject_id: str, recipient_id: str, at: dt.datetime,
                    kind: NoticeKind = NoticeKind.WITHDRAWAL,
                    named: bool | None = None) -> NoticeAck:
        existing = self._ack(kind, subject_id, recipient_id)
        if existing is not None:
            return existing
        try:
            with self._writes.begin() as conn:
                conn.execute(self._t.acks.insert().values(
                    kind=kind.value, subject_id=subject_id, recipient_id=recipient_id,
                    sent_at=as_utc(at), named=named))
        except sa.exc.IntegrityError:
            pass  # sent meanwhile by another process: keep its row
        # Not None: inserted above, or by the process that won the race.
        return self._ack(kind, subject_id, recipient_id)  # type: ignore[return-value]

    def notices_sent_within(self, conn: Any, subject_id: str,
                            named: Mapping[str, bool | None],
                            at: dt.datetime, kind: NoticeKind) -> None:
        a = self._t.acks.c
        sent = set(conn.execute(sa.select(a.recipient_id).where(
            a.kind == kind.value, a.subject_id == subject_id)).scalars()) if named else set()
        rows = [{"kind": kind.value, "subject_id": subject_id, "recipient_id": recipient_id,
                 "sent_at": as_utc(at), "named": told}
                for recipient_id, told in named.items() if recipient_id not in sent]
        if rows:  # the first send is kept, as notice_sent does
            conn.execute(self._t.acks.insert(), rows)

    def acknowledge(self, subject_id: str, recipient_id: str, at: dt.datetime,
                    kind: NoticeKind = NoticeKind.WITHDRAWAL) -> NoticeAck:
        a = self._t.acks.c
        with self._writes.begin() as conn:
            conn.execute(self._t.acks.update().where(
                a.kind == kind.value, a.subject_id == subject_id,
                a.recipient_id == recipient_id, a.acknowledged_at.is_(None),
            ).values(acknowledged_at=as_utc(at)))
        ack = self._ack(kind, subject_id, recipient_id)
        if ack is None:
            raise NoticeNotSent("Aucune notice n'a été envoyée à ce destinataire pour ce sujet.",
                                "No notice was sent to this recipient for this subject.")
        return ack

    def acks(self, subject_id: str) -> list[NoticeAck]:
        a = self._t.acks.c
        return self._acks(sa.select(self._t.acks).where(a.subject_id == subject_id)
                          .order_by(a.id))

    def acks_of(self, subject_ids: Iterable[str]) -> dict[str, list[NoticeAck]]:
        a, wanted = self._t.acks.c, sorted(set(subject_ids))
        found: dict[str, list[NoticeAck]] = {subject: [] for subject in wanted}
        if wanted:
            if self._engine.dialect.name == "postgresql":
                query = _acks_of_subjects(self._t.acks, wanted)
            else:
                query = sa.select(self._t.acks).where(a.subject_id.in_(wanted)).order_by(a.id)
            for ack in self._acks(query):
                found[ack.subject_id].append(ack)
        return found

    def overdue(self, now: dt.datetime, delay: dt.timedelta,
                limit: int = 1000) -> list[NoticeAck]:
        a = self._t.acks.c
        query = (sa.select(self._t.acks)
                 .where(a.acknowledged_at.is_(None), a.sent_at <= as_utc(now) - delay)
                 .order_by(a.sent_at, a.id).limit(limit))
        return self._acks(query)

    def _ack(self, kind: NoticeKind, subject_id: str, recipient_id: str) -> NoticeAck | None:
        a = self._t.acks.c
        found = self._acks(sa.select(self._t.acks).where(
            a.kind == kind.value, a.subject_id == subject_id, a.recipient_id == recipient_id))
        return found[0] if found else None

    def _acks(self, query: sa.Select[Any]) -> list[NoticeAck]:
        with self._engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [_ack(row) for row in rows]


def _array(name: str) -> sa.ColumnElement[Any]:
    """PostgreSQL: a text array parameter, given as `_texts` writes it (a text, or a list
    the driver adapts), cast to text[] by the statement."""
    return sa.cast(sa.bindparam(name, type_=sa.types.NullType()), _TEXTS)


def _texts(values: list[str]) -> str | list[str]:
    """A text array parameter in its text form, written by one join: the driver's list
    adapter walks the items in Python (some five hundred consents, each read by the API
    at the push and by the worker, in two or three arrays). The list itself, left to the
    driver, when an item holds a quote or a backslash of its own."""
    joined = '","'.join(values)
    if joined.count('"') != 2 * max(len(values) - 1, 0) or "\\" in joined:
        return values
    return '{"' + joined + '"}' if values else "{}"


def _consents_of_fiches(consents: sa.Table) -> sa.Select[Any]:
    """PostgreSQL: the consents of the fiches named by two arrays, `members` and `fiches`
    (a fiche's member and id at the same place in each), in the order they were recorded."""
    c = consents.c
    pairs = sa.tuple_(c.member_id, c.fiche_id).in_(sa.select(
        sa.func.unnest(_array("members")), sa.func.unnest(_array("fiches"))))
    return sa.select(consents).where(pairs).order_by(c.recorded_at, c.id)


def _consents_of_references(consents: sa.Table) -> sa.Select[Any]:
    """PostgreSQL: the consents one `member` recorded under the array `references`: the
    worker's read of a transaction's cited consents (some five hundred references), one
    parameter whatever their count. As `reference IN (...)`, SQLAlchemy rendered and the
    driver sent one placeholder a reference, which cost the worker more than the rows."""
    c = consents.c
    return sa.select(consents).where(
        c.member_id == sa.bindparam("member"),
        c.reference == sa.any_(_array("references")))


def _consents_of_member(consents: sa.Table) -> sa.Select[Any]:
    """SQLite: the consents of one `member`'s `fiches` (a list), in the order they were
    recorded: a look-up in ix_consents_member_fiche (see `for_porteur`)."""
    c = consents.c
    return sa.select(consents).where(
        c.member_id == sa.bindparam("member"),
        c.fiche_id.in_(sa.bindparam("fiches", expanding=True))).order_by(c.recorded_at, c.id)


def _states_in(states: sa.Table) -> sa.Select[Any]:
    """SQLite: the state rows of the consents of the list `ids`, in the order written."""
    return sa.select(states).where(
        states.c.consent_id.in_(sa.bindparam("ids", expanding=True))).order_by(states.c.id)


def _states_of(states: sa.Table) -> sa.Select[Any]:
    """PostgreSQL: the state rows of the consents of the array `ids` (without repeats)
    looked up consent by consent, by the (consent_id, state) index, in one statement
    whatever the count. As one `consent_id = ANY(...)` filter ordered by id, a table
    never analysed (autovacuum off, a restore) had a hundred consents estimated at a third
    of its rows: the planner read the whole table (by its primary key, for the order), for
    every batch pushed and every transaction of the worker. `OFFSET 0` keeps the subquery
    from being folded into a join, which the planner answered by reading the whole table
    too."""
    wanted = sa.func.unnest(_array("ids")).table_valued(
        "id").render_derived()
    of_one = sa.select(states).where(states.c.consent_id == wanted.c.id).offset(0).lateral()
    return sa.select(of_one).select_from(wanted).join(of_one, sa.true()).order_by(of_one.c.id)


def _acks_of_subjects(acks: sa.Table, subjects: list[str]) -> sa.Select[Any]:
    """PostgreSQL: the acknowledgements of `subjects` looked up subject by subject by the
    subject's index (migration 0044), as `_states_of` does for the same reason: as one
    `subject_id = ANY(...)` filter, a table never analysed had a page of fifty subjects
    estimated at a good part of its rows, and was read whole."""
    wanted = sa.func.unnest(sa.literal(subjects, _TEXTS)).table_valued("id").render_derived()
    of_one = sa.select(acks).where(acks.c.subject_id == wanted.c.id).offset(0).lateral()
    return sa.select(of_one).select_from(wanted).join(of_one, sa.true()).order_by(of_one.c.id)


def _consent_row(consent: ConsentRecord) -> dict[str, Any]:
    return {
        "id": consent.id, "member_id": consent.member_id, "reference": consent.reference,
        "fiche_id": consent.fiche_id, "agent": consent.agent,
        "collected_at": as_utc(consent.collected_at), "mode": consent.mode,
        "notice_version": consent.notice_version, "notice_sha256": consent.notice_sha256,
        "purposes": sorted(consent.purposes), "roles": sorted(consent.roles),
        "members": sorted(consent.members), "expires_at": as_utc(consent.expires_at),
        "proof_type": consent.proof_type, "proof_value": consent.proof_value,
        "recorded_at": as_utc(consent.recorded_at),
    }


def _state_row(consent_id: str, change: StateChange, recorded_at: dt.datetime) -> dict[str, Any]:
    return {"consent_id": consent_id, "state": change.state.value, "at": as_utc(change.at),
            "by_member": change.by, "recorded_at": as_utc(recorded_at)}


def _record(row: Any, history: tuple[StateChange, ...]) -> ConsentRecord:
    return ConsentRecord(
        id=row["id"], reference=row["reference"], member_id=row["member_id"],
        fiche_id=row["fiche_id"], agent=row["agent"], collected_at=as_utc(row["collected_at"]),
        mode=row["mode"], notice_version=row["notice_version"],
        notice_sha256=row["notice_sha256"], purposes=frozenset(row["purposes"]),
        roles=frozenset(row["roles"]), members=frozenset(row["members"]),
        expires_at=as_utc(row["expires_at"]), proof_type=row["proof_type"],
        proof_value=row["proof_value"], recorded_at=as_utc(row["recorded_at"]), history=history,
    )


def _notice_from_row(row: Any) -> Notice:
    purposes = row["purposes"]
    return Notice(row["version"], row["sha256"], row["text"], as_utc(row["stored_at"]),
                  row["member_id"], row["language"],
                  None if purposes is None else frozenset(purposes))


def _ack(row: Any) -> NoticeAck:
    acknowledged_at = row["acknowledged_at"]
    return NoticeAck(
        NoticeKind(row["kind"]), row["subject_id"], row["recipient_id"], as_utc(row["sent_at"]),
        None if acknowledged_at is None else as_utc(acknowledged_at), row["named"],
    )
