"""Erasure requests: who asked, for which porteur or fiche, when (never what was erased)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from hub.store.erasure_tables import erasure_answers, erasure_requests, erasures, store_markers
from hub.store.records import Erasure, ErasureRequest, record_of
from hub.store.sealing import FicheKeys

PENDING, CONFIRMED, DECLINED = "pending", "confirmed", "declined"


@dataclasses.dataclass(frozen=True)
class KeptAnswer:
    """An erasure's answer kept for its request, and the fiches whose erased state it left."""

    erasure_id: str
    answer: dict[str, Any]
    fiche_pks: frozenset[int]


class ErasureAnswers:
    """The answers of erasures, by retry key, for the same request again (a day)."""

    def __init__(self, connection: sa.Connection) -> None:
        self.conn = connection

    def keep(self, retry_key: str, erasure_id: str, answer: dict[str, Any],
             fiche_pks: Iterable[int], at: Any) -> None:
        self.remove(retry_key)
        self.conn.execute(sa.insert(erasure_answers).values(
            retry_key=retry_key, erasure_id=erasure_id, answer=answer,
            fiche_pks=sorted(fiche_pks), answered_at=at))

    def get(self, retry_key: str, since: Any) -> KeptAnswer | None:
        """The answer kept under `retry_key` at `since` or after."""
        found = self.conn.execute(sa.select(
            erasure_answers.c.erasure_id, erasure_answers.c.answer, erasure_answers.c.fiche_pks,
        ).where(erasure_answers.c.retry_key == retry_key,
                erasure_answers.c.answered_at >= since)).one_or_none()
        if found is None:
            return None
        return KeptAnswer(found.erasure_id, dict(found.answer), frozenset(found.fiche_pks))

    def remove(self, retry_key: str) -> None:
        self.conn.execute(sa.delete(erasure_answers).where(
            erasure_answers.c.retry_key == retry_key))

    def drop_before(self, at: Any) -> None:
        """Every answer kept before `at` dropped."""
        self.conn.execute(sa.delete(erasure_answers).where(erasure_answers.c.answered_at < at))


class Erasures:
    def __init__(self, connection: sa.Connection) -> None:
        self.conn = connection

    def add(self, row: dict[str, Any]) -> None:
        self.conn.execute(sa.insert(erasures).values(**row))

    def count(self) -> int:
        return int(self.conn.execute(sa.select(sa.func.count()).select_from(erasures)).scalar_one())

    def get(self, erasure_id: str) -> Erasure | None:
        return record_of(Erasure, self.conn.execute(
            sa.select(erasures).where(erasures.c.id == erasure_id)).first())


def answer_context(erasure_id: str, owner_id: str) -> str:
    return f"erasure-answer:{erasure_id}:{owner_id}"


class ErasureRequests:
    """What each other owner of a porteur's fiches was asked, and its answer. A refusal's
    text (`precision`, free text that may name the person) is sealed with the data key of
    one of the fiches the owner keeps (`key_fiche_pk`): read, it opens to None once that
    fiche is erased (its key destroyed), in the store as in any copy of it."""

    def __init__(self, connection: sa.Connection, keys: FicheKeys) -> None:
        self.conn = connection
        self.keys = keys

    def add_many(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.conn.execute(sa.insert(erasure_requests), [{"status": PENDING, **r} for r in rows])

    def of_erasure(self, erasure_id: str) -> list[ErasureRequest]:
        return self._records(sa.select(erasure_requests).where(
            erasure_requests.c.erasure_id == erasure_id).order_by(erasure_requests.c.owner_id))

    def get(self, erasure_id: str, owner_id: str) -> ErasureRequest | None:
        found = record_of(ErasureRequest, self.conn.execute(sa.select(erasure_requests).where(
            erasure_requests.c.erasure_id == erasure_id,
            erasure_requests.c.owner_id == owner_id)).first())
        return None if found is None else self._opened(found)

    def pending(self) -> list[ErasureRequest]:
        """Every request still waiting, oldest first."""
        return self._records(sa.select(erasure_requests).join(
            erasures, erasures.c.id == erasure_requests.c.erasure_id).where(
            erasure_requests.c.status == PENDING).order_by(
            erasures.c.requested_at, erasure_requests.c.owner_id))

    def sealed_precision(self, row: ErasureRequest, text: str | None
                         ) -> tuple[str | None, int | None]:
        """(sealed text, the fiche whose key seals it) for a refusal of `row`: the first of
        its fiches not erased (none left: no text kept, there is nobody left to name)."""
        kept = sorted(set(row.fiche_pks) - self.keys.erased(row.fiche_pks))
        if text is None or not kept:
            return None, None
        return self.keys.seal(kept[0], answer_context(row.erasure_id, row.owner_id),
                              text), kept[0]

    def forget_precisions(self, fiche_pks: Iterable[int]) -> None:
        """In the transaction erasing `fiche_pks`: the refusals' texts sealed with one of
        their keys (or, given before they were sealed, naming one of them) set to NULL."""
        erased = set(fiche_pks)
        rows = self.conn.execute(sa.select(
            erasure_requests.c.erasure_id, erasure_requests.c.owner_id,
            erasure_requests.c.fiche_pks, erasure_requests.c.key_fiche_pk,
        ).where(erasure_requests.c.precision.is_not(None))).all()
        for row in rows:
            if row.key_fiche_pk in erased or (row.key_fiche_pk is None
                                              and erased & set(row.fiche_pks)):
                self.conn.execute(sa.update(erasure_requests).where(
                    erasure_requests.c.erasure_id == row.erasure_id,
                    erasure_requests.c.owner_id == row.owner_id).values(precision=None))

    def settle(self, erasure_id: str, owner_id: str, values: dict[str, Any]) -> bool:
        """Answer a pending request; False when it was answered already."""
        return self.conn.execute(sa.update(erasure_requests).where(
            erasure_requests.c.erasure_id == erasure_id,
            erasure_requests.c.owner_id == owner_id,
            erasure_requests.c.status == PENDING).values(**values)).rowcount == 1

    def waiting(self, erasure_id: str, owner_id: str) -> bool:
        """The request is still pending; its row locked until the commit (two answers at
        once: the second waits, then finds it answered)."""
        return self.conn.execute(sa.select(erasure_requests.c.owner_id).where(
            erasure_requests.c.erasure_id == erasure_id,
            erasure_requests.c.owner_id == owner_id,
            erasure_requests.c.status == PENDING).with_for_update()).first() is not None

    def pending_naming(self, fiche_pks: Iterable[int]) -> list[ErasureRequest]:
        """The requests still pending that named one of `fiche_pks`, locked until the
        commit (their list of fiches is JSON: chosen here, then locked by key)."""
        wanted = set(fiche_pks)
        keys = [(r.erasure_id, r.owner_id) for r in self._records(sa.select(erasure_requests).where(
            erasure_requests.c.status == PENDING)) if wanted & set(r.fiche_pks)]
        if not keys:
            return []
        return self._records(sa.select(erasure_requests).where(
            sa.tuple_(erasure_requests.c.erasure_id, erasure_requests.c.owner_id).in_(keys),
            erasure_requests.c.status == PENDING).order_by(
            erasure_requests.c.erasure_id, erasure_requests.c.owner_id).with_for_update())

    def _records(self, query: sa.Select[Any]) -> list[ErasureRequest]:
        return [self._opened(ErasureRequest(**row._mapping)) for row in self.conn.execute(query)]

    def _opened(self, row: ErasureRequest) -> ErasureRequest:
        if row.precision is None or row.key_fiche_pk is None:
            return row  # none, or given before refusals were sealed (read as it was kept)
        return dataclasses.replace(row, precision=self.keys.open(
            row.key_fiche_pk, answer_context(row.erasure_id, row.owner_id), row.precision))


class Markers:
    """Named facts about the store itself (e.g. which digest scheme the index uses)."""

    def __init__(self, connection: sa.Connection) -> None:
        self.conn = connection

    def get(self, name: str) -> str | None:
        return self.conn.execute(sa.select(store_markers.c.value).where(
            store_markers.c.name == name)).scalar_one_or_none()

    def get_many(self, *names: str) -> dict[str, str]:
        """The markers of these names that are set, in one read."""
        return dict(self.conn.execute(sa.select(store_markers.c.name, store_markers.c.value)
                                      .where(store_markers.c.name.in_(names))).all())

    def set(self, name: str, value: str) -> None:
        self.conn.execute(sa.delete(store_markers).where(store_markers.c.name == name))
        self.conn.execute(sa.insert(store_markers).values(name=name, value=value))
