"""Repositories over SQLAlchemy Core: each one takes the unit of work's connection."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import orjson
import sqlalchemy as sa

from hub.domain.fiches import Held
from hub.store import bulk, fiche_key_floor
from hub.store.records import (
    FicheRef,
    FicheSource,
    Member,
    OutboxItem,
    R,
    Receipt,
    StoredFiche,
    VersionToProcess,
    opened,
    record_of,
)
from hub.store.sealing import FicheKeys, version_context
from hub.store.tables import fiche_links, fiche_versions, fiches, members, outbox, porteurs
from hub.store.tables import request_nonces as nonces_table


class _Repository:
    def __init__(self, connection: sa.Connection) -> None:
        self.conn = connection


class Members(_Repository):
    def get(self, member_id: str) -> Member | None:
        return record_of(Member, self.conn.execute(
            sa.select(members).where(members.c.id == member_id)).first())

    def all(self) -> list[Member]:
        return [Member(**row._mapping)
                for row in self.conn.execute(sa.select(members).order_by(members.c.id))]

    def upsert(self, values: dict[str, Any]) -> bool:
        """Insert or update a member's description; True when it was new."""
        existing = self.get(values["id"])
        if existing is None:
            self.conn.execute(sa.insert(members).values(**values, created_at=values["updated_at"]))
            return True
        self.conn.execute(sa.update(members).where(members.c.id == values["id"]).values(**values))
        return False

    def rotate_credentials(self, member_id: str, token_hash: str, public_key: str,
                           previous_until: dt.datetime) -> bool:
        """The new credential becomes current; the current one stays valid until
        `previous_until` (the overlap during which the member deploys the new one). False,
        nothing written, when the member is no longer in the network with a credential (a
        departure committed since the caller read it)."""
        return self.conn.execute(
            sa.update(members).where(
                members.c.id == member_id, members.c.status == "active",
                members.c.token_hash.is_not(None)).values(
                previous_token_hash=members.c.token_hash,
                previous_public_key=members.c.public_key,
                previous_valid_until=previous_until,
                token_hash=token_hash, public_key=public_key)).rowcount == 1

    def set_credentials(self, member_id: str, token_hash: str, public_key: str) -> None:
        self.conn.execute(
            sa.update(members)
            .where(members.c.id == member_id)
            .values(token_hash=token_hash, public_key=public_key)
        )

    def put_standing(self, member_id: str, values: dict[str, Any]) -> None:
        """A restore: the member's role, webhook, territory and credentials as a decision
        made since the copy left them (hub.services.accounts.standing)."""
        self.conn.execute(sa.update(members).where(members.c.id == member_id).values(**values))

    def active(self) -> list[Member]:
        """The members in the network now (those that left are kept for the record)."""
        return [m for m in self.all() if m.active]

    def mark_left(self, member_id: str, now: dt.datetime, by: str) -> None:
        """The member is out of the network from `now`: every credential it held is gone."""
        self.conn.execute(sa.update(members).where(members.c.id == member_id).values(
            status="left", left_at=now, left_by=by, updated_at=now, **_NO_CREDENTIALS))

    def readmit(self, member_id: str, now: dt.datetime) -> None:
        """Back in the network, without any credential yet (the load issues new ones)."""
        self.conn.execute(sa.update(members).where(members.c.id == member_id).values(
            status="active", left_at=None, left_by=None, updated_at=now, **_NO_CREDENTIALS))


_NO_CREDENTIALS = dict.fromkeys(("token_hash", "public_key", "previous_token_hash",
                                 "previous_public_key", "previous_valid_until"))


class Nonces(_Repository):
    def remember(self, member_id: str, nonce: str, now: dt.datetime) -> bool:
        """Record a request nonce; False when it was already seen (a replay)."""
        try:
            with self.conn.begin_nested():
                self.conn.execute(
                    sa.insert(nonces_table).values(member_id=member_id, nonce=nonce, seen_at=now)
                )
        except sa.exc.IntegrityError:
            return False
        return True

    def seen(self, member_id: str, nonce: str) -> bool:
        """Whether a request nonce was recorded (read only: `remember` decides a race)."""
        return self.conn.scalar(sa.select(nonces_table.c.nonce).where(
            nonces_table.c.member_id == member_id, nonces_table.c.nonce == nonce)) is not None

    def forget_before(self, cutoff: dt.datetime) -> int:
        result = self.conn.execute(sa.delete(nonces_table).where(nonces_table.c.seen_at < cutoff))
        return result.rowcount or 0


# One lock for every move of fiches between porteurs (the two-integer advisory form, a
# space apart from the matching keys' one-bigint locks): taken alone by a merge or a
# separation, shared by a worker's transaction before it reads the index, so a merge
# never empties a porteur between a worker's read of its fiches and its commit. A single
# lock, not one per porteur: a batch reads thousands of porteurs (PostgreSQL's lock
# table), and a merge is a coordinator's click, which waits for the worker's transactions
# under way (each a fraction of a second).
_MOVES = (0x706F7274, 0)
_MOVE_ALONE = sa.text(f"SELECT pg_advisory_xact_lock{_MOVES}")
_LOCK_TIMEOUT_NOW = sa.text("SELECT current_setting('lock_timeout')")
_SET_LOCK_TIMEOUT = sa.text("SELECT set_config('lock_timeout', :value, true)")
# Driver SQL (`bulk.driver_rows`): taken before every online match, where SQLAlchemy's
# execution cost four times the round trip itself (0.32 ms against 0.07).
_MOVE_SHARED = f"SELECT pg_advisory_xact_lock_shared{_MOVES}"


# A receipt id an erasure put in place of one derived from the content (`forget_receipts`;
# migration 0040 holds the same SQL), drawn by the database's strong random source.
CROSSED_OUT_RECEIPT = {
    "postgresql": "'rcx_' || replace(CAST(gen_random_uuid() AS text), '-', '')",
    "sqlite": "'rcx_' || lower(hex(randomblob(16)))",
}

_FICHE_REF = (fiches.c.id, fiches.c.member_id, fiches.c.fiche_id, fiches.c.porteur_id)

class Fiches(_Repository):
    """Fiches and their versions; payloads are sealed with each fiche's data key on
    write and opened on read (None once the fiche is erased)."""

    def __init__(self, connection: sa.Connection, keys: FicheKeys) -> None:
        super().__init__(connection)
        self.keys = keys

    def _open(self, kind: Callable[..., R], row: sa.Row, pk: int, version: int) -> R:
        return opened(kind, row, self.keys.open(pk, version_context(pk, version), row.payload))

    def erased_ids(self, member_id: str, fiche_ids: Sequence[str]) -> set[str]:
        """Those of the member's `fiche_ids` erased at the porteur's request (their data
        key destroyed; a fiche its member removed is renamed and no longer found)."""
        if not fiche_ids:
            return set()
        rows = self.conn.execute(sa.select(fiches.c.id, fiches.c.fiche_id).where(
            fiches.c.member_id == member_id,
            bulk.among(self.conn, fiches.c.fiche_id, sorted(set(fiche_ids))))).all()
        erased = self.keys.erased(row.id for row in rows)
        return {row.fiche_id for row in rows if row.id in erased}

    def held(self, member_id: str, fiche_ids: Sequence[str]
             ) -> tuple[dict[str, tuple[int, Held]], dict[tuple[int, int], Receipt]]:
        """What the hub holds of these fiches: {fiche_id: (fiche_pk, Held)}, and the
        receipts of their versions by (fiche_pk, version), which answer a duplicate push
        (read with the versions' hashes: no second read of the same rows). Their keys are
        held until the commit (`FicheKeys.hold`) and their versions read after: an erasure
        either committed before (the fiche is erased) or waits for this push's commit
        (and then forgets the versions it stored)."""
        if not fiche_ids:
            return {}, {}
        rows = self.conn.execute(
            sa.select(fiches.c.id, fiches.c.fiche_id, fiches.c.current_version).where(
                fiches.c.member_id == member_id,
                bulk.among(self.conn, fiches.c.fiche_id, sorted(set(fiche_ids))))
        ).all()
        by_pk = {row.id: row for row in rows}
        erased = self.keys.hold(by_pk)
        hashes: dict[int, dict[int, str]] = {pk: {} for pk in by_pk}
        receipts: dict[tuple[int, int], Receipt] = {}
        if by_pk:
            for receipt in self.conn.execute(
                sa.select(
                    fiche_versions.c.fiche_pk, fiche_versions.c.version,
                    fiche_versions.c.receipt_id, fiche_versions.c.content_hash,
                    fiche_versions.c.received_at,
                ).where(bulk.among(self.conn, fiche_versions.c.fiche_pk, list(by_pk)))
            ):
                hashes[receipt.fiche_pk][receipt.version] = receipt.content_hash
                receipts[(receipt.fiche_pk, receipt.version)] = Receipt(*receipt)
        return {
            row.fiche_id: (row.id, Held(row.current_version, hashes[row.id], row.id in erased))
            for row in by_pk.values()
        }, receipts

    def insert_fiches(self, rows: list[dict[str, Any]]) -> dict[str, int]:
        """Insert new fiches; returns {fiche_id: fiche_pk}."""
        if not rows:
            return {}
        numbered = fiche_key_floor.numbered(self.conn, rows)
        pks = {row.fiche_id: row.id
               for row in bulk.insert_returning(self.conn, fiches, numbered, ("id", "fiche_id"))}
        self.keys.create(pks.values(), rows[0]["created_at"])
        return pks

    def resume_keys_after(self, highest: int) -> None:
        """A restore: the next fiche's key is past `highest` (hub.store.fiche_key_floor)."""
        fiche_key_floor.resume_after(self.conn, highest)

    def retire(self, fiche_pks: Sequence[int]) -> None:
        """Free the fiche ids of removed fiches (renamed `~retrait~PK`, never a valid fiche
        id), so their member may push them again as new fiches (their receipts are
        forgotten by the erasure: `forget_receipts`)."""
        for pk in fiche_pks:
            self.conn.execute(sa.update(fiches).where(fiches.c.id == pk)
                              .values(fiche_id=f"~retrait~{pk}"))

    def forget_receipts(self, fiche_pks: Sequence[int]) -> None:
        """An erasure: the versions' content hashes (SHA-256 of the whole fiche, unkeyed)
        and receipt ids (derived from them) are replaced, so that nobody holding a copy of
        the store checks a guessed fiche against them; the receipt id becomes `rcx_` and
        128 random bits (unique, the same content pushed again as a new fiche gets its own
        receipt; neither an erasure's `eff_` id nor the row's place in the hub's count).
        Their statistics go too: the amounts, situation, NAF code and commune of one
        person's project beside the fiche's ids (the indicators count the console's
        index, which the erasure empties of the porteur, never these)."""
        self.conn.execute(
            sa.update(fiche_versions).where(fiche_versions.c.fiche_pk.in_(list(fiche_pks)))
            .values(content_hash="", statistics=sa.null(), receipt_id=sa.literal_column(
                CROSSED_OUT_RECEIPT[self.conn.dialect.name])))

    def set_current_versions(self, updates: list[dict[str, Any]]) -> None:
        """Raise each fiche's current version to the highest of its `updates` (never
        lowering it), with the consent it cites (`consent_id`), in one statement."""
        highest: dict[int, dict[str, Any]] = {}
        for update in updates:
            kept = highest.get(update["pk"])
            if kept is None or update["version"] > kept["version"]:
                highest[update["pk"]] = update
        bulk.update_rows(self.conn, fiches, "id", [
            {"id": u["pk"], "current_version": u["version"], "updated_at": u["at"],
             "consent_id": u["consent_id"]} for u in highest.values()], raising="current_version")

    def set_consent_in_force(self, fiche_pk: int, consent_id: str) -> None:
        """A restore: the consent a narrowing made the fiche's consent in force, the
        version citing it gone with the copy (hub.services.delivery.consent_journal)."""
        self.conn.execute(sa.update(fiches).where(fiches.c.id == fiche_pk)
                          .values(consent_id=consent_id))

    def insert_versions(self, rows: list[dict[str, Any]]) -> list[int]:
        """Insert versions; each `payload` (clear JSON text) is stored sealed."""
        if not rows:
            return []
        self.keys.load(row["fiche_pk"] for row in rows)
        rows = [{**row, "payload": self.keys.seal(
            row["fiche_pk"], version_context(row["fiche_pk"], row["version"]), row["payload"])}
            for row in rows]
        if self.conn.dialect.name == "postgresql":  # sealed payloads: COPY, ids drawn first
            ids = bulk.next_ids(self.conn, fiche_versions, len(rows))
            bulk.copy_rows(self.conn, fiche_versions, [
                {"id": pk, **row} for pk, row in zip(ids, rows, strict=True)])
            return ids
        return [row.id for row in self.conn.execute(
            sa.insert(fiche_versions).returning(fiche_versions.c.id, sort_by_parameter_order=True),
            rows)]

    def get(self, member_id: str, fiche_id: str) -> StoredFiche | None:
        query = (
            sa.select(fiches, fiche_versions.c.payload, fiche_versions.c.received_at)
            .join(
                fiche_versions,
                sa.and_(
                    fiche_versions.c.fiche_pk == fiches.c.id,
                    fiche_versions.c.version == fiches.c.current_version,
                ),
            )
            .where(fiches.c.member_id == member_id, fiches.c.fiche_id == fiche_id)
        )
        row = self.conn.execute(query).first()
        return None if row is None else self._open(StoredFiche, row, row.id, row.current_version)

    def versions_for_processing(self, version_ids: Sequence[int]) -> list[VersionToProcess]:
        query = (
            sa.select(
                fiche_versions.c.id.label("version_id"),
                fiche_versions.c.version,
                fiche_versions.c.payload,
                fiches.c.member_id,
                fiches.c.fiche_id,
                fiches.c.id.label("fiche_pk"),
                fiches.c.porteur_id,
                fiches.c.processed_version,
            )
            .join(fiches, fiches.c.id == fiche_versions.c.fiche_pk)
            .where(bulk.among(self.conn, fiche_versions.c.id, version_ids))
            .order_by(fiche_versions.c.id)
        )
        rows = list(self.conn.execute(query))
        self.keys.load(row.fiche_pk for row in rows)
        return [self._open(VersionToProcess, row, row.fiche_pk, row.version) for row in rows]

    def payloads(self, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], str | None]:
        """Clear payloads by (fiche_pk, version) (None: erased)."""
        wanted = set(pairs)
        if not wanted:
            return {}
        rows = self.conn.execute(
            sa.select(fiche_versions.c.fiche_pk, fiche_versions.c.version, fiche_versions.c.payload)
            .where(bulk.among(self.conn, fiche_versions.c.fiche_pk, {pk for pk, _ in wanted}))
        )
        found = [r for r in rows if (r.fiche_pk, r.version) in wanted]
        self.keys.load(r.fiche_pk for r in found)
        return {(r.fiche_pk, r.version): self.keys.open(
            r.fiche_pk, version_context(r.fiche_pk, r.version), r.payload) for r in found}

    def sources_of(self, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], FicheSource]:
        """`source_of` for many (fiche_pk, version) pairs in one query."""
        wanted = set(pairs)
        if not wanted:
            return {}
        query = (
            sa.select(fiches.c.id, fiches.c.member_id, fiches.c.fiche_id,
                      fiche_versions.c.version, fiche_versions.c.payload,
                      fiches.c.consent_id.label("consent_in_force"))
            .join(fiche_versions, fiche_versions.c.fiche_pk == fiches.c.id)
            .where(fiches.c.id.in_({pk for pk, _ in wanted}))
        )
        found = [r for r in self.conn.execute(query) if (r.id, r.version) in wanted]
        self.keys.load(r.id for r in found)
        return {(r.id, r.version): self._open(FicheSource, r, r.id, r.version) for r in found}

    def consents_in_force(self, member_id: str,
                          fiche_ids: Sequence[str]) -> dict[str, tuple[int, str | None]]:
        """{fiche_id: (fiche_pk, the consent its current version cites)} of these fiches of
        the member ("" none; None a fiche whose current version was pushed before 0053)."""
        if not fiche_ids:
            return {}
        rows = self.conn.execute(sa.select(fiches.c.id, fiches.c.fiche_id, fiches.c.consent_id)
                                 .where(fiches.c.member_id == member_id,
                                        bulk.among(self.conn, fiches.c.fiche_id,
                                                   sorted(set(fiche_ids)))))
        return {row.fiche_id: (row.id, row.consent_id) for row in rows}

    def references_cited(self, fiche_pk: int) -> dict[int, str | None]:
        """{version: the consent reference it cites} of the fiche's versions (an erased
        fiche's: none known)."""
        rows = list(self.conn.execute(
            sa.select(fiche_versions.c.version, fiche_versions.c.payload)
            .where(fiche_versions.c.fiche_pk == fiche_pk)))
        self.keys.load([fiche_pk])
        cited = {}
        for row in rows:
            text = self.keys.open(fiche_pk, version_context(fiche_pk, row.version), row.payload)
            if text is not None:
                cited[row.version] = (orjson.loads(text).get("consentement") or {}).get("reference")
        return cited

    def of_porteur(self, porteur_id: str, member_id: str | None = None) -> list[FicheRef]:
        """The porteur's fiches; only `member_id`'s when given (filtered here, so that
        reading one member's costs nothing of what the others hold)."""
        query = sa.select(*_FICHE_REF).where(fiches.c.porteur_id == porteur_id)
        if member_id is not None:
            query = query.where(fiches.c.member_id == member_id)
        return [FicheRef(*row) for row in self.conn.execute(query)]

    def porteur_of(self, member_id: str, fiche_id: str) -> FicheRef | None:
        query = sa.select(*_FICHE_REF).where(
            fiches.c.member_id == member_id, fiches.c.fiche_id == fiche_id)
        row = self.conn.execute(query).first()
        return None if row is None else FicheRef(*row)

    def states(self, pks: Iterable[int]) -> dict[int, tuple[str | None, int | None]]:
        """Each fiche's porteur and processed version, as committed now."""
        wanted = set(pks)
        if not wanted:
            return {}
        rows = self.conn.execute(
            sa.select(fiches.c.id, fiches.c.porteur_id, fiches.c.processed_version)
            .where(bulk.among(self.conn, fiches.c.id, wanted)))
        return {row.id: (row.porteur_id, row.processed_version) for row in rows}

    def mark_processed(self, updates: list[dict[str, Any]]) -> None:
        """Set porteur and processed version (never lowering the processed version)."""
        bulk.update_rows(self.conn, fiches, "id", [
            {"id": u["pk"], "porteur_id": u["porteur_id"],
             "processed_version": u["processed_version"]} for u in updates])

    def note_coordination_news(self, versions: dict[int, int], now: dt.datetime) -> None:
        """Each fiche of `versions` (fiche pk: version) changed something the coordination
        may see at that version: the console's dates are read from it. Its `updated_at`
        moves too, so that the console's index reads the porteur again."""
        bulk.update_rows(self.conn, fiches, "id", [
            {"id": pk, "coordination_version": version, "updated_at": now}
            for pk, version in versions.items()])

    def counts(self) -> dict[str, int]:
        total = self.conn.execute(sa.select(sa.func.count()).select_from(fiches)).scalar_one()
        processed = self.conn.execute(
            sa.select(sa.func.count())
            .select_from(fiches)
            .where(fiches.c.processed_version == fiches.c.current_version)
        ).scalar_one()
        versions = self.conn.execute(
            sa.select(sa.func.count()).select_from(fiche_versions)
        ).scalar_one()
        return {"fiches": total, "processed": processed, "versions": versions}


class Porteurs(_Repository):
    def create_many(self, porteur_ids: list[str], now: dt.datetime, status: str = "active") -> None:
        bulk.copy_rows(self.conn, porteurs, [
            {"id": pid, "created_at": now, "status": status} for pid in porteur_ids])

    def link_many(self, links: list[dict[str, Any]]) -> None:
        bulk.copy_rows(self.conn, fiche_links, links)

    def lock(self, porteur_id: str) -> None:
        """Hold the lock of moves alone, then the porteur's row, until the transaction
        ends (PostgreSQL: the one lock first, so two movers never hold rows the other
        waits for; SQLite's writers are serialised from the start of their transaction)."""
        self.lock_moves()
        self.conn.execute(sa.select(porteurs.c.id).where(porteurs.c.id == porteur_id)
                          .with_for_update())

    def lock_moves(self) -> None:
        """Until the transaction ends, this transaction alone moves fiches between
        porteurs: it waits for the worker transactions under way (`hold_moves`) and
        for any other merge or separation (PostgreSQL; SQLite's writers are serialised)."""
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(_MOVE_ALONE)

    def lock_moves_within(self, wait_ms: int) -> bool:
        """`lock_moves`, waiting at most `wait_ms` for it: False when the worker
        transactions or the move under way still hold it then (PostgreSQL; the
        transaction is then aborted: leave it). The workers starting meanwhile queue
        behind this request, so they pause at most that long. SQLite's writers are
        serialised from the start of their transaction: True."""
        if self.conn.dialect.name != "postgresql":
            return True
        before = self.conn.execute(_LOCK_TIMEOUT_NOW).scalar_one()
        self.conn.execute(_SET_LOCK_TIMEOUT, {"value": f"{max(1, int(wait_ms))}ms"})
        try:
            self.conn.execute(_MOVE_ALONE)
        except sa.exc.OperationalError as exc:
            if type(getattr(exc, "orig", None)).__name__ == "LockNotAvailable":
                return False
            raise
        self.conn.execute(_SET_LOCK_TIMEOUT, {"value": before})  # the rest as usual
        return True

    def hold_moves(self) -> None:
        """Until the transaction ends, no merge or separation moves fiches between
        porteurs (PostgreSQL: the lock of moves shared; waits for a move under way)."""
        if self.conn.dialect.name == "postgresql":
            bulk.driver_rows(self.conn, _MOVE_SHARED, ())

    def count(self) -> int:
        return self.conn.execute(sa.select(sa.func.count()).select_from(porteurs)).scalar_one()



class Outbox(_Repository):
    def add_many(self, topic: str, ref_ids: list[int], now: dt.datetime) -> list[int]:
        if not ref_ids:
            return []
        rows = [
            {"topic": topic, "ref_id": ref, "created_at": now, "published_at": now,
             "publish_count": 1}
            for ref in ref_ids
        ]
        return sorted(row.id for row in bulk.insert_returning(self.conn, outbox, rows, ("id",)))

    def claim(self, outbox_ids: Sequence[int]) -> list[OutboxItem]:
        """Lock the unprocessed rows among `outbox_ids` for this transaction."""
        query = (
            sa.select(outbox.c.id, outbox.c.topic, outbox.c.ref_id)
            .where(bulk.among(self.conn, outbox.c.id, outbox_ids), outbox.c.processed_at.is_(None))
            .order_by(outbox.c.id)
        )
        if self.conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return [OutboxItem(*row) for row in self.conn.execute(query)]

    def claim_queued(self, count: int, besides: Sequence[int]) -> list[OutboxItem]:
        """Lock up to `count` other unprocessed rows (not `besides`), oldest first. On
        PostgreSQL rows another transaction holds are skipped, so two workers split the
        queue; SQLite's writers take their turns whole (BEGIN IMMEDIATE)."""
        if count <= 0:
            return []
        query = (
            sa.select(outbox.c.id, outbox.c.topic, outbox.c.ref_id)
            .where(outbox.c.processed_at.is_(None))
            .order_by(outbox.c.id)
            .limit(count)
        )
        if besides:
            query = query.where(sa.not_(bulk.among(self.conn, outbox.c.id, besides)))
        if self.conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return [OutboxItem(*row) for row in self.conn.execute(query)]

    def claimable_besides(self, besides: Sequence[int]) -> bool:
        """Whether an unprocessed row other than `besides` is free to claim now (on
        PostgreSQL: no other transaction holds it; looked at under a key-share lock,
        which a claim's does not wait for, given back with this transaction)."""
        query = sa.select(outbox.c.id).where(outbox.c.processed_at.is_(None)).limit(1)
        if besides:
            query = query.where(sa.not_(bulk.among(self.conn, outbox.c.id, besides)))
        if self.conn.dialect.name == "postgresql":
            query = query.with_for_update(key_share=True, skip_locked=True)
        return self.conn.execute(query).first() is not None

    def mark_processed(self, outbox_ids: Sequence[int], now: dt.datetime) -> None:
        if outbox_ids:
            self.conn.execute(
                sa.update(outbox).where(bulk.among(self.conn, outbox.c.id, outbox_ids))
                .values(processed_at=now)
            )

    def stale(self, published_before: dt.datetime, limit: int, after_id: int = 0) -> list[int]:
        query = (
            sa.select(outbox.c.id)
            .where(outbox.c.processed_at.is_(None), outbox.c.published_at < published_before)
            .where(outbox.c.id > after_id)
            .order_by(outbox.c.id)
            .limit(limit)
        )
        if self.conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return list(self.conn.execute(query).scalars())

    def mark_republished(self, outbox_ids: Sequence[int], now: dt.datetime) -> None:
        if outbox_ids:
            self.conn.execute(
                sa.update(outbox)
                .where(outbox.c.id.in_(list(outbox_ids)))
                .values(published_at=now, publish_count=outbox.c.publish_count + 1)
            )

    def queued(self, at_most: int) -> int:
        """How many rows are unprocessed, counted up to `at_most` (by the pending index)."""
        pending = sa.select(outbox.c.id).where(outbox.c.processed_at.is_(None)).limit(at_most)
        return self.conn.execute(
            sa.select(sa.func.count()).select_from(pending.subquery())).scalar_one()

    def pending_count(self) -> int:
        return self.conn.execute(
            sa.select(sa.func.count()).select_from(outbox).where(outbox.c.processed_at.is_(None))
        ).scalar_one()
