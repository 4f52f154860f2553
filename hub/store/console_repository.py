"""Repositories of the console: accounts, sessions, integrity checks, and the read
of every current fiche the coordination pages start from. Each takes the unit of
work (`uow.users`, `uow.sessions`, `uow.integrity_checks`, `uow.revisits`)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from hub.domain.matching.told_fields import QueueReader
from hub.store.console_tables import integrity_checks, user_sessions, users
from hub.store.matching_tables import (
    match_judgements,
    match_records,
    merge_events,
    review_items,
)
from hub.store.records import (
    ClosedReview,
    DecidedLink,
    DecidedPair,
    IntegrityCheck,
    MergeEvent,
    User,
    UserSession,
    record_of,
)
from hub.store.review_queue_repository import ReviewQueue
from hub.store.sealing import FicheKeys, version_context, with_field, with_payload
from hub.store.tables import fiche_links, fiche_versions, fiches, porteurs


class _Repository:
    def __init__(self, connection: sa.Connection) -> None:
        self.conn = connection


class Users(_Repository):
    def add(self, user: User) -> bool:
        """Insert an account; False when the login is taken."""
        try:
            with self.conn.begin_nested():
                self.conn.execute(sa.insert(users).values(**dataclasses.asdict(user)))
        except sa.exc.IntegrityError:
            return False
        return True

    def by_login(self, login: str) -> User | None:
        return record_of(User, self.conn.execute(
            sa.select(users).where(users.c.login == login)).first())

    def get(self, user_id: str) -> User | None:
        return record_of(User, self.conn.execute(
            sa.select(users).where(users.c.id == user_id)).first())

    def all(self) -> list[User]:
        return [User(**row._mapping)
                for row in self.conn.execute(sa.select(users).order_by(users.c.login))]

    def update(self, user_id: str, **values: Any) -> None:
        self.conn.execute(sa.update(users).where(users.c.id == user_id).values(**values))


class Sessions(_Repository):
    def add(self, values: dict[str, Any]) -> None:
        self.conn.execute(sa.insert(user_sessions).values(**values))

    def get(self, token_hash: str) -> UserSession | None:
        query = (
            sa.select(user_sessions, users.c.login, users.c.role, users.c.active)
            .join(users, users.c.id == user_sessions.c.user_id)
            .where(user_sessions.c.token_hash == token_hash)
        )
        return record_of(UserSession, self.conn.execute(query).first())

    def delete(self, token_hash: str) -> None:
        self.conn.execute(sa.delete(user_sessions).where(user_sessions.c.token_hash == token_hash))

    def delete_of_user(self, user_id: str) -> None:
        self.conn.execute(sa.delete(user_sessions).where(user_sessions.c.user_id == user_id))

    def delete_all(self) -> None:
        """Every session ends (a restore: the copy's include sessions ended since)."""
        self.conn.execute(sa.delete(user_sessions))

    def delete_expired(self, now: dt.datetime) -> None:
        self.conn.execute(sa.delete(user_sessions).where(user_sessions.c.expires_at <= now))


class IntegrityChecks(_Repository):
    def add(self, values: dict[str, Any]) -> None:
        self.conn.execute(sa.insert(integrity_checks).values(**values))

    def latest(self) -> IntegrityCheck | None:
        query = sa.select(integrity_checks).order_by(integrity_checks.c.id.desc()).limit(1)
        return record_of(IntegrityCheck, self.conn.execute(query).first())


class Revisits(_Repository):
    """Pairs the coordination set aside ("à revoir") or judged different, and their
    reopening: back in the queue, the "different" judgement forgotten."""

    def decided(self, statuses: tuple[str, ...], limit: int, offset: int = 0,
                reader: QueueReader | None = None) -> list[DecidedPair]:
        """The pairs in `statuses` (those `reader` may know of, when given:
        `ReviewQueue.known_to`), most recently decided first, `limit` from `offset`."""
        query = (sa.select(review_items.c.id, review_items.c.porteur_id,
                           review_items.c.candidate_porteur_id, review_items.c.status,
                           review_items.c.probability, review_items.c.decided_at)
                 .where(self._in(statuses, reader))
                 .order_by(review_items.c.decided_at.desc(), review_items.c.id.desc())
                 .limit(limit).offset(offset))
        return [DecidedPair(*row) for row in self.conn.execute(query)]

    def count_decided(self, statuses: tuple[str, ...], reader: QueueReader | None = None) -> int:
        """How many pairs `decided` lists, all pages."""
        return int(self.conn.scalar(sa.select(sa.func.count()).select_from(review_items)
                                    .where(self._in(statuses, reader))) or 0)

    def _in(self, statuses: tuple[str, ...], reader: QueueReader | None) -> Any:
        status = review_items.c.status.in_(statuses)
        return status if reader is None else sa.and_(status, ReviewQueue(self.conn).known_to(reader))

    def reopen(self, item_id: int, statuses: tuple[str, ...],
               reader: QueueReader | None = None) -> DecidedPair | None:
        """Reopen the item when it is in one of `statuses` (and `reader` may know of it,
        when given); the pair as it was, or None."""
        row = self.conn.execute(sa.select(review_items).where(
            review_items.c.id == item_id, self._in(statuses, reader))).first()
        if row is None or not self._both_indexed(row.fiche_pk, row.candidate_fiche_pk):
            return None
        self.conn.execute(sa.update(review_items).where(review_items.c.id == item_id)
                          .values(status="open", decided_at=None, decided_by=None))
        pair = (min(row.fiche_pk, row.candidate_fiche_pk), max(row.fiche_pk, row.candidate_fiche_pk))
        self.conn.execute(sa.delete(match_judgements).where(
            match_judgements.c.fiche_a == pair[0], match_judgements.c.fiche_b == pair[1],
            match_judgements.c.decision == "different"))
        return DecidedPair(row.id, row.porteur_id, row.candidate_porteur_id, row.status,
                           row.probability, row.decided_at)


    def _both_indexed(self, fiche_pk: int, candidate_pk: int) -> bool:
        """Both sides still in the matching index (neither withdrawn, expired nor erased)."""
        found = self.conn.scalar(sa.select(sa.func.count()).select_from(match_records).where(
            match_records.c.fiche_pk.in_((fiche_pk, candidate_pk))))
        return found == len({fiche_pk, candidate_pk})


class FicheReads(_Repository):
    """Fiches as the console reads them; payloads opened with each fiche's data key."""

    def __init__(self, connection: sa.Connection, keys: FicheKeys) -> None:
        super().__init__(connection)
        self._keys = keys

    def current(self, porteur_ids: str | Sequence[str] | None = None) -> list[Any]:
        """Every processed fiche's current version with its porteur (only those of
        `porteur_ids`, one id or several), oldest porteur first; erased fiches are
        left out. `dated_payload`: the version the console dates the fiche by
        (`fiches.coordination_version`) where it is not the current one, else None."""
        dated = fiche_versions.alias("dated")
        query = (
            sa.select(fiches.c.id, fiches.c.current_version, fiches.c.member_id,
                      fiches.c.fiche_id, fiches.c.porteur_id,
                      fiches.c.created_at, porteurs.c.created_at.label("porteur_since"),
                      fiche_versions.c.payload, fiches.c.coordination_version,
                      dated.c.payload.label("dated_payload"))
            .join(porteurs, porteurs.c.id == fiches.c.porteur_id)
            .join(fiche_versions, sa.and_(fiche_versions.c.fiche_pk == fiches.c.id,
                                          fiche_versions.c.version == fiches.c.current_version))
            .outerjoin(dated, sa.and_(dated.c.fiche_pk == fiches.c.id,
                                      dated.c.version == fiches.c.coordination_version,
                                      fiches.c.coordination_version != fiches.c.current_version))
            .order_by(porteurs.c.created_at, fiches.c.porteur_id, fiches.c.id)
        )
        if isinstance(porteur_ids, str):
            query = query.where(fiches.c.porteur_id == porteur_ids)
        elif porteur_ids is not None:
            query = query.where(fiches.c.porteur_id.in_(list(porteur_ids)))
        rows = list(self.conn.execute(query))
        self._keys.load(row.id for row in rows)
        opened = [with_payload(row, self._keys.open(
            row.id, version_context(row.id, row.current_version), row.payload)) for row in rows]
        return [_with_dated(self._keys, row) for row in opened if row.payload is not None]

    def decided_links(self, since: dt.datetime, until: dt.datetime) -> list[DecidedLink]:
        """Links of fiches to porteurs made otherwise than as a new porteur (duplicates
        linked or resolved), in [since, until)."""
        query = (
            sa.select(fiche_links.c.porteur_id, fiche_links.c.method, fiche_links.c.linked_at,
                      fiche_links.c.unlinked_at, fiche_links.c.fiche_pk)
            .where(fiche_links.c.method != "new", fiche_links.c.linked_at >= since,
                   fiche_links.c.linked_at < until)
            .order_by(fiche_links.c.linked_at)
        )
        return [DecidedLink(*row) for row in self.conn.execute(query)]

    def merge_events(self, since: dt.datetime, until: dt.datetime) -> list[MergeEvent]:
        """Merges and unmerges (`merge_events`) made in [since, until), oldest first."""
        query = (sa.select(merge_events).where(merge_events.c.at >= since, merge_events.c.at < until)
                 .order_by(merge_events.c.id))
        return [MergeEvent(**row._mapping) for row in self.conn.execute(query)]

    def porteur_known(self, porteur_id: str) -> bool:
        return self.conn.execute(sa.select(porteurs.c.id).where(
            porteurs.c.id == porteur_id)).first() is not None

    def decided_reviews(self, since: dt.datetime, until: dt.datetime) -> list[ClosedReview]:
        """Review items closed otherwise than by a merge ("personnes différentes", doubt)
        in [since, until), oldest first."""
        query = (sa.select(review_items.c.id, review_items.c.porteur_id,
                           review_items.c.candidate_porteur_id, review_items.c.status,
                           review_items.c.decided_at)
                 .where(review_items.c.status.in_(("different", "unknown")),
                        review_items.c.decided_at >= since, review_items.c.decided_at < until)
                 .order_by(review_items.c.decided_at))
        return [ClosedReview(*row) for row in self.conn.execute(query)]

    def keys(self) -> list[tuple[str, str]]:
        """(member, fiche_id) of every fiche the hub holds."""
        query = sa.select(fiches.c.member_id, fiches.c.fiche_id).order_by(fiches.c.id)
        return [(row.member_id, row.fiche_id) for row in self.conn.execute(query)]


def _with_dated(keys: FicheKeys, row: Any) -> Any:
    if row.dated_payload is None:
        return row
    return with_field(row, "dated_payload", keys.open(
        row.id, version_context(row.id, row.coordination_version), row.dated_payload))
