"""Deliveries, per-recipient feed positions and subscriptions."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa

from hub.store import bulk
from hub.store.delivery_tables import deliveries, feed_positions, routing_changes, subscriptions
from hub.store.erasure_tables import erasures, fiche_keys
from hub.store.records import Delivery, DispatchLease, Subscription, opened
from hub.store.sealing import FicheKeys, delivery_context
from hub.store.tables import fiche_links, fiches, members

_LOCK_COUNTERS = sa.text(
    "SELECT member_id FROM feed_positions WHERE member_id = ANY(CAST(:members AS varchar[])) "
    "ORDER BY member_id FOR UPDATE")
_MOVE_COUNTERS = sa.text(
    "UPDATE feed_positions SET last_position = feed_positions.last_position + r.n "
    "FROM unnest(CAST(:members AS varchar[]), CAST(:counts AS bigint[])) AS r(member_id, n) "
    "WHERE feed_positions.member_id = r.member_id "
    "RETURNING feed_positions.member_id, feed_positions.last_position")
# SQLite: the counts as a JSON object {member: count} (the write lock is the transaction's
# since BEGIN IMMEDIATE: nothing to lock first).
_MOVE_COUNTERS_SQLITE = sa.text(
    "UPDATE feed_positions SET last_position = feed_positions.last_position + r.value "
    "FROM json_each(:counts) AS r WHERE feed_positions.member_id = r.key "
    "RETURNING feed_positions.member_id, feed_positions.last_position")

# The rows' weights summed (the changes they stand for: a row as written weighs 1) and the
# token of the highest id, in one statement (one snapshot): on PostgreSQL every write
# appends a row (migration 0041), on SQLite it updates the one row.
_ROUTING_TOKEN = sa.select(
    sa.func.coalesce(sa.func.sum(routing_changes.c.weight), 0),
    sa.select(routing_changes.c.token).order_by(routing_changes.c.id.desc()).limit(1)
    .scalar_subquery(),
).select_from(routing_changes)
# PostgreSQL: the rows strictly between the lowest and the highest id folded into the
# lowest, their weights added to its own, in one statement (one snapshot: the rows
# deleted are the rows summed). The sum and the highest row stay: a worker's token stays
# as it was. A write committing meanwhile (a row appended, whatever its id) is neither
# deleted nor summed: it moves the sum as it commits. A second fold at once skips the
# rows the first deleted (summing none of them twice).
_FOLD_ROUTING_CHANGES = sa.text(
    "WITH bounds AS (SELECT min(id) AS low, max(id) AS high FROM routing_changes), "
    "gone AS (DELETE FROM routing_changes WHERE id > (SELECT low FROM bounds) "
    "AND id < (SELECT high FROM bounds) RETURNING weight), "
    "kept AS (UPDATE routing_changes SET weight = weight + (SELECT sum(weight) FROM gone) "
    "WHERE id = (SELECT low FROM bounds) AND EXISTS (SELECT 1 FROM gone) RETURNING id) "
    "SELECT count(*) FROM gone")

PENDING, SENT, DEAD, CANCELLED, FEED = "pending", "sent", "dead", "cancelled", "feed"
_NEVER = dt.datetime.min.replace(tzinfo=dt.UTC)
MEMBER_LEFT = "member_left"  # the reason recorded on what a member that left never got
SUPERSEDED_VERSION = "superseded_by_later_version"  # a dead letter a later version made stale
ERASED_SINCE = "data_erased"  # a delivery whose data was erased before it could leave
DATA_EVENTS = ("created", "updated")  # the other events are notices: pseudonymous ids only

# PostgreSQL: each porteur's followers looked up by index, porteur by porteur (a lateral
# subquery the planner cannot fold into a join). As one `porteur_id = ANY(...)` filter, a
# table never analysed (autovacuum off, a restore) had a hundred porteurs estimated at
# half its rows and was read whole: the deliveries of 9,000 fiches, 48 MB, for each
# transaction of the worker, a cost growing with every fiche processed.
# A porteur's followers (`Deliveries.followers_of_porteurs`): the owners of its fiches not
# erased, and the recipients of its fiches' data not erased, unless a notice asked them to
# delete it (a notice alone disclosed nothing, and one naming a fiche makes no follower).
_ERASED = "EXISTS (SELECT 1 FROM fiche_keys k WHERE k.fiche_pk = {pk} AND k.destroyed_at IS NOT NULL)"
# A fiche of the recipient linked to the porteur when the delivery was made, that left it
# since (separated from it, or moved to another): what it was sent as that fiche's owner
# no longer counts. A delivery made before the link (a subscription's) still does.
_LEFT_SINCE = ("EXISTS (SELECT 1 FROM fiche_links l JOIN fiches s ON s.id = l.fiche_pk "
               "WHERE l.porteur_id = p.id AND l.linked_at <= d.created_at "
               "AND l.unlinked_at >= d.created_at "
               "AND s.member_id = d.recipient_id AND s.porteur_id <> p.id)")
_FOLLOWERS = sa.text(
    "SELECT p.id, f.member_id FROM unnest(CAST(:porteurs AS varchar[])) AS p(id) "
    "CROSS JOIN LATERAL (SELECT d.recipient_id FROM deliveries d WHERE d.porteur_id = p.id "
    f"AND d.status <> '{CANCELLED}' AND d.fiche_pk IS NOT NULL "
    f"AND d.event IN {DATA_EVENTS!r} AND d.deletion_asked IS NULL "
    f"AND NOT {_ERASED.format(pk='d.fiche_pk')} "
    "AND NOT EXISTS (SELECT 1 FROM fiches e WHERE e.porteur_id = p.id "
    f"AND e.member_id = d.recipient_id AND {_ERASED.format(pk='e.id')}) "
    f"AND NOT {_LEFT_SINCE} "
    "UNION SELECT o.member_id FROM fiches o WHERE o.porteur_id = p.id "
    f"AND NOT {_ERASED.format(pk='o.id')}) AS f(member_id)")



class Replayed(NamedTuple):
    """What a replay did: dead letters put back in line, and those settled instead, as
    superseded or as erased since (`Deliveries.replay`)."""

    replayed: int
    superseded: int
    erased: int


def _never_left() -> sa.ColumnElement[bool]:
    """A webhook cancelled before any POST of it could start: never tried nor put back
    in line by a replay (which, like a first try or a probe's POST, sets
    `retrying_since`: a probe refused keeps `attempts` 0 but may have left), and no
    dispatcher holds its recipient's lease (one that does may be POSTing it now; one
    killed mid-POST leaves its lease behind)."""
    return sa.and_(deliveries.c.status == CANCELLED, deliveries.c.channel == "webhook",
                   deliveries.c.attempts == 0, deliveries.c.retrying_since.is_(None),
                   feed_positions.c.dispatch_lease_owner.is_(None))

class Deliveries:
    """Deliveries disclosing fields of a fiche are stored sealed with its data key;
    notices (no field disclosed: pseudonymous ids only) are stored clear."""

    def __init__(self, connection: sa.Connection, keys: FicheKeys) -> None:
        self.conn = connection
        self.keys = keys

    def _opened(self, rows: list[sa.Row]) -> list[Delivery]:
        """The rows with their payloads opened; none for a fiche erased, nor for what its
        recipient was sent about a porteur before it erased its own data of that porteur
        at the porteur's request (`_forgotten`): read as withdrawn (`data_erased`)."""
        self.keys.load(r.fiche_pk for r in rows if r.fiche_pk is not None)
        forgotten = self._forgotten(rows)
        return [opened(Delivery, r, None if _data(r) and _withheld(r, *forgotten) else
                       self.keys.open(r.fiche_pk, delivery_context(r.idempotency_key), r.payload))
                for r in rows]

    def still_served(self, recipient_id: str, fiche_pks: Sequence[int]) -> set[int]:
        """The fiches among `fiche_pks` whose data `recipient_id` was sent (a delivery not
        cancelled) and is still served (not forgotten, `_forgotten`): what makes it a reader
        of their consents (hub.services.privacy.need_to_know). The same statements when it
        was sent none of them (an unknown consent): the answer's time must not tell that it
        was sent data before it erased its own."""
        rows = list(self.conn.execute(sa.select(
            deliveries.c.recipient_id, deliveries.c.porteur_id, deliveries.c.fiche_pk,
            deliveries.c.event, deliveries.c.created_at).where(
            deliveries.c.recipient_id == recipient_id, deliveries.c.fiche_pk.in_(list(fiche_pks)),
            deliveries.c.event.in_(DATA_EVENTS), deliveries.c.status != CANCELLED)))
        forgotten = self._forgotten(rows, always=True)
        return {r.fiche_pk for r in rows if not _withheld(r, *forgotten)}

    def _forgotten(self, rows: list[sa.Row], *, always: bool = False) -> tuple[
            dict[tuple[str, str], dt.datetime], dict[tuple[str, int], dt.datetime]]:
        """When each data row's recipient last erased its data of the porteur at the
        porteur's request (scope `porteur`): the person asked that member to forget them,
        so what it was sent of the others' fiches before is no longer served to it (a
        later delivery, on its own basis, is). Keyed (recipient, porteur) for a delivery
        made under the porteur erased, and (recipient, fiche) for one made under another
        porteur id (a delivery keeps the id it was made under: one merged away since) of
        a fiche that porteur held at the erasure, or holds now (merged in since).
        `always`: the same statements for no data row, on lists of one value matching none,
        and for rows made under any number of porteur ids (a fiche sent before and after
        a merge): the porteurs are the rows' own, looked up by the statement itself."""
        data = [r for r in rows if _data(r)]
        if not data and not always:
            return {}, {}
        pairs = {(r.recipient_id, r.porteur_id) for r in data}
        members = sorted({r.recipient_id for r in data}) or [""]
        pks = sorted({r.fiche_pk for r in data}) or [0]
        asked = sa.and_(erasures.c.scope == "porteur", erasures.c.requested_by.in_(members))
        porteurs = sa.select(deliveries.c.porteur_id).where(
            deliveries.c.recipient_id.in_(members), deliveries.c.fiche_pk.in_(pks)) \
            if always else sorted({p for _m, p in pairs})
        query = (sa.select(erasures.c.requested_by, erasures.c.porteur_id,
                           sa.func.max(erasures.c.requested_at))
                 .where(asked, erasures.c.porteur_id.in_(porteurs))
                 .group_by(erasures.c.requested_by, erasures.c.porteur_id))
        by_porteur = {(member, porteur): _aware(at)
                      for member, porteur, at in self.conn.execute(query)
                      if (member, porteur) in pairs}
        held = sa.or_(fiche_links.c.unlinked_at.is_(None), sa.and_(
            fiche_links.c.linked_at <= erasures.c.requested_at,
            fiche_links.c.unlinked_at >= erasures.c.requested_at))
        query = (sa.select(erasures.c.requested_by, fiche_links.c.fiche_pk,
                           sa.func.max(erasures.c.requested_at))
                 .join(fiche_links, fiche_links.c.porteur_id == erasures.c.porteur_id)
                 .where(asked, held, fiche_links.c.fiche_pk.in_(pks))
                 .group_by(erasures.c.requested_by, fiche_links.c.fiche_pk))
        fiches_of = {(r.recipient_id, r.fiche_pk) for r in data}
        by_fiche = {(member, pk): _aware(at) for member, pk, at in self.conn.execute(query)
                    if (member, pk) in fiches_of}
        return by_porteur, by_fiche

    def next_positions(self, recipient_id: str, count: int, *, ensured: bool = False) -> int:
        """Reserve `count` feed positions for a recipient; returns the first one
        (`ensured`: `ensure_counters` was called for it in this transaction).

        The counter row stays locked until commit, so a recipient's positions
        become visible in order: a reader never skips a position committed later."""
        if not ensured:
            self._ensure_counter(recipient_id)
        row = self.conn.execute(
            sa.update(feed_positions)
            .where(feed_positions.c.member_id == recipient_id)
            .values(last_position=feed_positions.c.last_position + count)
            .returning(feed_positions.c.last_position)
        ).one()
        return row.last_position - count + 1

    def reserve_positions(self, counts: Mapping[str, int]) -> dict[str, int]:
        """`next_positions` for many recipients at once ({recipient: count} -> {recipient:
        first position}), the counters moved by one statement (on PostgreSQL locked first,
        in member order)."""
        wanted = {member: count for member, count in counts.items() if count > 0}
        self.ensure_counters(wanted)
        if not wanted:
            return {}
        members = sorted(wanted)
        if self.conn.dialect.name != "postgresql":
            moved = self.conn.execute(_MOVE_COUNTERS_SQLITE, {
                "counts": json.dumps({m: wanted[m] for m in members})})
        else:
            self.conn.execute(_LOCK_COUNTERS, {"members": members})
            moved = self.conn.execute(_MOVE_COUNTERS, {
                "members": members, "counts": [wanted[m] for m in members]})
        return {member: last - wanted[member] + 1 for member, last in moved}

    def ensure_counters(self, member_ids: Iterable[str]) -> None:
        """The feed counters of these recipients exist (one query when they all do)."""
        wanted = set(member_ids)
        if not wanted:
            return
        found = set(self.conn.execute(sa.select(feed_positions.c.member_id).where(
            feed_positions.c.member_id.in_(sorted(wanted)))).scalars())
        for member_id in sorted(wanted - found):
            self._ensure_counter(member_id)

    def _ensure_counter(self, member_id: str) -> None:
        exists = self.conn.execute(
            sa.select(feed_positions.c.member_id).where(feed_positions.c.member_id == member_id)
        ).first()
        if exists is None:
            try:
                with self.conn.begin_nested():
                    self.conn.execute(
                        sa.insert(feed_positions).values(member_id=member_id, last_position=0)
                    )
            except sa.exc.IntegrityError:
                pass  # created by a concurrent transaction

    def add_many(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.keys.load(row["fiche_pk"] for row in rows if row["fields"])
            bulk.copy_rows(self.conn, deliveries, [
                {**row, "payload": self.keys.seal(
                    row["fiche_pk"], delivery_context(row["idempotency_key"]), row["payload"])}
                if row["fields"] else row for row in rows])

    def recipients_of_porteur(self, porteur_id: str, *, with_cancelled: bool = False) -> set[str]:
        """Members that received (or, `with_cancelled`, may have received: a delivery
        cancelled while in flight may have left) something about this porteur."""
        query = sa.select(deliveries.c.recipient_id).where(deliveries.c.porteur_id == porteur_id)
        if not with_cancelled:
            query = query.where(deliveries.c.status != CANCELLED)
        query = query.distinct()
        return set(self.conn.execute(query).scalars())

    def delivered_about(self, recipient_id: str, porteur_id: str, limit: int) -> list[Delivery]:
        """What reached `recipient_id` about this porteur (sent by webhook or put in its
        feed), in feed order, at most `limit`."""
        query = (
            sa.select(deliveries)
            .where(deliveries.c.recipient_id == recipient_id, deliveries.c.porteur_id == porteur_id,
                   deliveries.c.status.in_((SENT, FEED)))
            .order_by(deliveries.c.position)
            .limit(limit)
        )
        return self._opened(list(self.conn.execute(query)))

    def reached_of_fiche(self, fiche_pk: int) -> list[Delivery]:
        """The deliveries of the fiche's data that reached their recipient (a webhook sent,
        or put in its feed), in each recipient's feed order."""
        query = (sa.select(deliveries)
                 .where(deliveries.c.fiche_pk == fiche_pk, deliveries.c.event.in_(DATA_EVENTS),
                        deliveries.c.status.in_((SENT, FEED)))
                 .order_by(deliveries.c.recipient_id, deliveries.c.position))
        return self._opened(list(self.conn.execute(query)))

    def made_available(self, porteur_ids: Sequence[str], fiche_pks: Sequence[int]
                       ) -> list[tuple[str, list[str], dt.datetime]]:
        """(recipient, fields, when) of every delivery of these fiches' data, under these
        porteur ids, that reached its recipient (a webhook sent, or put in its feed),
        read or not: what the art. 15 report lists as disclosed or made available (`when`
        in UTC on both databases)."""
        if not porteur_ids or not fiche_pks:
            return []
        query = (sa.select(deliveries.c.recipient_id, deliveries.c.fields,
                           deliveries.c.created_at)
                 .where(deliveries.c.porteur_id.in_(list(porteur_ids)),
                        deliveries.c.fiche_pk.in_(list(fiche_pks)),
                        deliveries.c.event.in_(DATA_EVENTS),
                        deliveries.c.status.in_((SENT, FEED)))
                 .order_by(deliveries.c.id))
        return [(r.recipient_id, list(r.fields or ()), _aware(r.created_at))
                for r in self.conn.execute(query)]

    def followers_of_porteurs(self, porteur_ids: Sequence[str]) -> dict[str, set[str]]:
        """For each porteur: members that own one of its fiches or were sent one (one
        statement for the whole batch). A notice (a referent proposal, a merge or a
        separation, an erasure request, a withdrawal naming a fiche) disclosed nothing: it
        makes no follower, nor does data a notice asked its recipient to delete
        (`deletion_asked`: a withdrawal, a narrowing, a separation; it holds none of it),
        so a member that declined a proposal, or whose fiche was merged by mistake then
        separated, is not sent the porteur. An erasure ends the following it rested on:
        an erased fiche makes neither its owner nor those it was sent to follow, and a
        member that erased a fiche of the porteur follows it only by a fiche of its own
        still there (it was asked to forget what it was sent, too). A member whose fiche
        left the porteur (a coordinator separated it after a mistaken merge, or moved it
        to another) follows it not by what it was sent before: that came to it as the
        owner of a fiche the porteur no longer holds."""
        found: dict[str, set[str]] = {pid: set() for pid in porteur_ids}
        if not porteur_ids:
            return found
        if self.conn.dialect.name == "postgresql":
            for porteur_id, member_id in self.conn.execute(
                    _FOLLOWERS, {"porteurs": bulk.text_array(porteur_ids)}):
                found[porteur_id].add(member_id)
            return found
        erased_own = fiches.alias("erased_own")
        received = sa.select(deliveries.c.porteur_id, deliveries.c.recipient_id).where(
            bulk.among(self.conn, deliveries.c.porteur_id, porteur_ids),
            deliveries.c.status != CANCELLED, deliveries.c.fiche_pk.is_not(None),
            deliveries.c.event.in_(DATA_EVENTS), deliveries.c.deletion_asked.is_(None),
            ~_erased(deliveries.c.fiche_pk),
            ~sa.exists().where(erased_own.c.porteur_id == deliveries.c.porteur_id,
                               erased_own.c.member_id == deliveries.c.recipient_id,
                               _erased(erased_own.c.id)),
            ~_left_since(deliveries.c.porteur_id, deliveries.c.recipient_id,
                         deliveries.c.created_at))
        owned = sa.select(fiches.c.porteur_id, fiches.c.member_id).where(
            bulk.among(self.conn, fiches.c.porteur_id, porteur_ids), ~_erased(fiches.c.id))
        for porteur_id, member_id in self.conn.execute(sa.union(received, owned)):
            found[porteur_id].add(member_id)
        return found

    def feed(self, recipient_id: str, after: int, limit: int) -> list[Delivery]:
        """The recipient's deliveries after `after`, but none withdrawn when it left the
        network (a member re-admitted starts afresh: it never reads what it had not read)."""
        query = (
            sa.select(deliveries)
            .where(deliveries.c.recipient_id == recipient_id, deliveries.c.position > after,
                   sa.or_(deliveries.c.status != CANCELLED,
                          deliveries.c.last_error.is_(None),
                          deliveries.c.last_error != MEMBER_LEFT))
            .order_by(deliveries.c.position)
            .limit(limit)
        )
        return self._opened(list(self.conn.execute(query)))

    def resume_positions_after(self, gap: int) -> None:
        """Every member's next feed position `gap` further on (a restore: the copy's
        counters are behind the positions partners were given since it was taken), a
        member without a counter in the copy too (its first delivery may have come after)."""
        self.conn.execute(sa.update(feed_positions).values(
            last_position=feed_positions.c.last_position + gap))
        counted = sa.select(feed_positions.c.member_id)
        self.conn.execute(sa.insert(feed_positions).from_select(
            ["member_id", "last_position"],
            sa.select(members.c.id, sa.literal(gap, sa.BigInteger))
            .where(members.c.id.not_in(counted))))

    def last_position(self, recipient_id: str) -> int:
        """The recipient's last committed feed position (0 before its first delivery)."""
        last = self.conn.execute(sa.select(feed_positions.c.last_position).where(
            feed_positions.c.member_id == recipient_id)).scalar()
        return int(last or 0)

    def due_recipients(self, now: dt.datetime) -> list[str]:
        query = (
            sa.select(deliveries.c.recipient_id)
            .where(deliveries.c.status == PENDING, deliveries.c.next_attempt_at <= now)
            .distinct()
        )
        return list(self.conn.execute(query).scalars())

    def leased_recipients(self, recipient_ids: Sequence[str], now: dt.datetime) -> set[str]:
        """Those of `recipient_ids` whose webhook lease a sender holds now (measured as
        `claim_recipient` measures it)."""
        if not recipient_ids:
            return set()
        at = self._lease_times(now, dt.timedelta())[0]
        return set(self.conn.execute(
            sa.select(feed_positions.c.member_id)
            .where(feed_positions.c.member_id.in_(list(recipient_ids)),
                   feed_positions.c.dispatch_lease_until >= at)).scalars())

    def claim_recipient(self, recipient_id: str, owner: str, now: dt.datetime,
                        lease: dt.timedelta) -> bool:
        """Take the right to send this recipient's webhooks until the lease ends, unless
        another owner holds it still."""
        at, until = self._lease_times(now, lease)
        result = self.conn.execute(
            sa.update(feed_positions)
            .where(feed_positions.c.member_id == recipient_id)
            .where(sa.or_(feed_positions.c.dispatch_lease_until.is_(None),
                          feed_positions.c.dispatch_lease_until < at))
            .values(dispatch_lease_until=until, dispatch_lease_owner=owner)
        )
        return result.rowcount == 1

    def _lease_times(self, now: dt.datetime, lease: dt.timedelta) -> tuple[Any, Any]:
        """The time a lease is claimed at, and the end of one taken then. On PostgreSQL
        the database's clock, not `now`: workers on hosts whose clocks differ would each
        measure a lease on their own (a clock 30 s ahead took a lease still held, and held
        its own 30 s too long: two senders to one recipient). SQLite is one host's file:
        every process reads the same clock, `now`."""
        if self.conn.dialect.name != "postgresql":
            return now, now + lease
        at = sa.func.clock_timestamp(type_=sa.DateTime(timezone=True))
        return at, at + sa.literal(lease, sa.Interval())

    def renew_recipient(self, recipient_id: str, owner: str, now: dt.datetime,
                        lease: dt.timedelta) -> bool:
        """Extend the lease `owner` holds; False when it was lost (expired and taken)."""
        result = self.conn.execute(
            sa.update(feed_positions)
            .where(feed_positions.c.member_id == recipient_id,
                   feed_positions.c.dispatch_lease_owner == owner)
            .values(dispatch_lease_until=self._lease_times(now, lease)[1])
        )
        return result.rowcount == 1

    def release_recipient(self, recipient_id: str, owner: str) -> None:
        self.conn.execute(
            sa.update(feed_positions)
            .where(feed_positions.c.member_id == recipient_id,
                   feed_positions.c.dispatch_lease_owner == owner)
            .values(dispatch_lease_until=None, dispatch_lease_owner=None)
        )

    def lease_of(self, recipient_id: str) -> DispatchLease | None:
        row = self.conn.execute(
            sa.select(feed_positions.c.dispatch_lease_until, feed_positions.c.dispatch_lease_owner)
            .where(feed_positions.c.member_id == recipient_id)
        ).first()
        return None if row is None else DispatchLease(*row)

    def next_pending(self, recipient_id: str, limit: int, after: int = 0) -> list[Delivery]:
        """The recipient's pending deliveries in feed order (head of line first), past
        position `after` (the line read on past heads it went past, which stay pending)."""
        query = (
            sa.select(deliveries)
            .where(deliveries.c.recipient_id == recipient_id, deliveries.c.status == PENDING,
                   deliveries.c.position > after)
            .order_by(deliveries.c.position)
            .limit(limit)
        )
        return self._opened(list(self.conn.execute(query)))

    def set_outcome(self, delivery_id: int, **values: Any) -> bool:
        """A POST's outcome; False when the delivery is recorded as sent already: another
        sender (one that took the recipient over from a sender paused past its lease)
        sent it too, with the same idempotency key, and logged that disclosure. A failed
        outcome applies to a delivery still pending only (one cancelled meanwhile, its
        recipient having left, stays cancelled, never listed, replayed or shown later);
        one that succeeded is recorded whatever else happened meanwhile: the data did
        leave. No `values`: nothing to record but whether it is sent already."""
        query = sa.update(deliveries).where(deliveries.c.id == delivery_id,
                                            deliveries.c.status != SENT)
        if not values:
            return self.conn.scalar(sa.select(deliveries.c.status)
                                    .where(deliveries.c.id == delivery_id)) != SENT
        if values.get("status") != SENT:
            query = query.where(deliveries.c.status == PENDING)
        if self.conn.execute(query.values(**values)).rowcount:
            return True
        status = self.conn.scalar(sa.select(deliveries.c.status)
                                  .where(deliveries.c.id == delivery_id))
        return status != SENT

    def retire_for_recipient(self, recipient_id: str) -> int:
        """A member readmitted starts afresh: what it was sent before it left no longer
        makes it a follower of those porteurs nor comes back in its feed (the access log
        keeps what it received)."""
        return self.conn.execute(
            sa.update(deliveries)
            .where(deliveries.c.recipient_id == recipient_id, deliveries.c.status != CANCELLED)
            .values(status=CANCELLED, last_error=MEMBER_LEFT, next_attempt_at=None)
        ).rowcount or 0

    def cancel_pending(self, fiche_pks: Sequence[int], reason: str) -> int:
        """Cancel what has not left yet of these fiches' deliveries (notices still go)."""
        result = self.conn.execute(
            sa.update(deliveries)
            .where(deliveries.c.fiche_pk.in_(list(fiche_pks)), deliveries.c.status == PENDING,
                   deliveries.c.event.in_(DATA_EVENTS))
            .values(status=CANCELLED, last_error=reason)
        )
        return result.rowcount or 0

    def ask_deletion(self, asked: Mapping[str, Sequence[str]], event: str) -> None:
        """Mark the deliveries a notice `event` asked each recipient to delete ({recipient:
        their ids}): never served to it again (the first notice's mark stays)."""
        for recipient_id, keys in sorted(asked.items()):
            if keys:
                self.conn.execute(
                    sa.update(deliveries)
                    .where(deliveries.c.recipient_id == recipient_id,
                           deliveries.c.idempotency_key.in_(list(keys)),
                           deliveries.c.deletion_asked.is_(None))
                    .values(deletion_asked=event))

    def made_under(self, porteur_id: str, fiche_pks: Sequence[int]
                   ) -> list[tuple[Delivery, bool]]:
        """The deliveries of these fiches' data made while they were the porteur's (under
        its id), each with whether it left or may have left (`_never_left`: not)."""
        if not fiche_pks:
            return []
        made = sa.and_(deliveries.c.porteur_id == porteur_id,
                       deliveries.c.fiche_pk.in_(list(fiche_pks)),
                       deliveries.c.event.in_(DATA_EVENTS))
        never = set(self.conn.scalars(
            sa.select(deliveries.c.id)
            .select_from(deliveries.outerjoin(
                feed_positions, feed_positions.c.member_id == deliveries.c.recipient_id))
            .where(made, _never_left())))
        rows = self._opened(list(self.conn.execute(
            sa.select(deliveries).where(made)
            .order_by(deliveries.c.recipient_id, deliveries.c.position))))
        return [(row, row.id not in never) for row in rows]

    def cancel_for_recipient(self, recipient_id: str) -> dict[str, int]:
        """Withdraw everything not yet sent to a member leaving the network: its pending or
        dead-lettered webhooks (never replayable then) and what waits in its feed
        ({"webhook": n, "feed": n})."""
        counts = {}
        for channel, statuses in (("webhook", (PENDING, DEAD)), ("feed", (FEED,))):
            counts[channel] = self.conn.execute(
                sa.update(deliveries)
                .where(deliveries.c.recipient_id == recipient_id,
                       deliveries.c.status.in_(statuses))
                .values(status=CANCELLED, last_error=MEMBER_LEFT, next_attempt_at=None)
            ).rowcount or 0
        return counts

    def still_to_send(self, delivery_id: int) -> bool:
        """The delivery is still pending and its recipient still in the network: read just
        before its POST, so that nothing leaves once cancelled or once its recipient left."""
        query = (
            sa.select(deliveries.c.id)
            .join(members, members.c.id == deliveries.c.recipient_id)
            .where(deliveries.c.id == delivery_id, deliveries.c.status == PENDING,
                   members.c.status == "active")
        )
        return self.conn.execute(query).first() is not None

    def existing_keys(self, idempotency_keys: Sequence[str]) -> set[str]:
        """Those of `idempotency_keys` that some delivery carries (a notice committed)."""
        if not idempotency_keys:
            return set()
        query = sa.select(deliveries.c.idempotency_key).where(
            deliveries.c.idempotency_key.in_(list(idempotency_keys)))
        return set(self.conn.execute(query).scalars())

    def recipients_of_fiches(self, fiche_pks: Sequence[int]) -> set[str]:
        """Members that were sent (or may have been sent) data of these fiches."""
        query = sa.select(deliveries.c.recipient_id).where(
            deliveries.c.fiche_pk.in_(list(fiche_pks))).distinct()
        return set(self.conn.execute(query).scalars())

    def data_recipients(self, fiche_pks: Sequence[int], *,
                        with_cancelled: bool = False) -> dict[int, set[str]]:
        """For each fiche: the members that were sent fields of it (notices excluded;
        `with_cancelled`: also a delivery cancelled while in flight, which may have left,
        but never one cancelled before it could leave, `_never_left`: its recipient never
        learnt the fiche, and a notice naming it would tell it)."""
        found: dict[int, set[str]] = {pk: set() for pk in fiche_pks}
        if not found:
            return found
        query = sa.select(deliveries.c.fiche_pk, deliveries.c.recipient_id).where(
            deliveries.c.fiche_pk.in_(list(found)), deliveries.c.event.in_(DATA_EVENTS))
        if not with_cancelled:
            query = query.where(deliveries.c.status != CANCELLED)
        else:
            query = query.select_from(deliveries.outerjoin(
                feed_positions, feed_positions.c.member_id == deliveries.c.recipient_id)
            ).where(sa.not_(_never_left()))
        for fiche_pk, recipient_id in self.conn.execute(query.distinct()):
            found[fiche_pk].add(recipient_id)
        return found

    def data_delivery_ids(self, fiche_pks: Sequence[int], versions: Sequence[int] | None = None
                          ) -> dict[tuple[int, str], list[str]]:
        """For each (fiche, recipient): the ids of the deliveries of the fiche's data made for
        that recipient so far, in its feed order, that left or may have left (one cancelled
        in flight included, `_never_left` excluded): what a withdrawal or erasure notice asks
        it to delete, and no more (of these `versions` of the fiche only, if given)."""
        found: dict[tuple[int, str], list[str]] = {}
        if not fiche_pks:
            return found
        query = (sa.select(deliveries.c.fiche_pk, deliveries.c.recipient_id,
                           deliveries.c.idempotency_key)
                 .select_from(deliveries.outerjoin(
                     feed_positions, feed_positions.c.member_id == deliveries.c.recipient_id))
                 .where(deliveries.c.fiche_pk.in_(list(fiche_pks)),
                        deliveries.c.event.in_(DATA_EVENTS), sa.not_(_never_left()))
                 .order_by(deliveries.c.recipient_id, deliveries.c.position))
        if versions is not None:
            query = query.where(deliveries.c.fiche_version.in_(list(versions)))
        for fiche_pk, recipient_id, key in self.conn.execute(query):
            found.setdefault((fiche_pk, recipient_id), []).append(key)
        return found

    def replay(self, now: dt.datetime, *, delivery_id: int | None = None,
               recipient_id: str | None = None) -> Replayed:
        """Put dead letters back in line: all, or one recipient's; `delivery_id` is that
        recipient's position if one is named, else (the operator) the delivery's id.
        Never one that would take the recipient back before what it got since, nor one
        whose data is gone: a dead data delivery a later version of its fiche to the same
        recipient was sent or waits to be sent after is settled as superseded (cancelled,
        `SUPERSEDED_VERSION`); a dead data delivery whose data was erased since (its
        fiche's, or the recipient's own erasure of the porteur: it reads as withdrawn) is
        settled as the erasure settles what had not left (cancelled, `ERASED_SINCE`). A
        dead notice is always put back: it reaches only the deliveries it lists
        (`livraisons`, those made before it), so data sent after it is kept, and what it
        asks to delete is still owed."""
        dead = [deliveries.c.status == DEAD]
        if delivery_id is not None:
            key = deliveries.c.id if recipient_id is None else deliveries.c.position
            dead.append(key == delivery_id)
        if recipient_id is not None:
            dead.append(deliveries.c.recipient_id == recipient_id)
        later = deliveries.alias("later")
        superseded = sa.exists().where(
            later.c.recipient_id == deliveries.c.recipient_id,
            later.c.fiche_pk == deliveries.c.fiche_pk,
            later.c.fiche_version > deliveries.c.fiche_version,
            later.c.event.in_(DATA_EVENTS), later.c.status.in_((SENT, PENDING)))
        settled = self.conn.execute(sa.update(deliveries).where(
            *dead, deliveries.c.event.in_(DATA_EVENTS), deliveries.c.fiche_pk.is_not(None),
            superseded).values(status=CANCELLED, last_error=SUPERSEDED_VERSION,
                               next_attempt_at=None)).rowcount or 0
        erased = self._settle(self._erased_since(dead), ERASED_SINCE)
        result = self.conn.execute(sa.update(deliveries).where(*dead).values(
            status=PENDING, attempts=0, next_attempt_at=now, last_error=None, retrying_since=now,
            refused_in_a_row=0, passed_at=None))
        return Replayed(result.rowcount or 0, settled, erased)

    def _settle(self, delivery_ids: list[int], reason: str) -> int:
        """Cancel these dead letters for `reason` (never put back in line)."""
        if not delivery_ids:
            return 0
        return self.conn.execute(sa.update(deliveries).where(
            deliveries.c.id.in_(delivery_ids), deliveries.c.status == DEAD,
        ).values(status=CANCELLED, last_error=reason, next_attempt_at=None)).rowcount or 0

    def _erased_since(self, dead: list[sa.ColumnElement[bool]]) -> list[int]:
        """The dead data deliveries among `dead` that read as erased (no payload)."""
        rows = list(self.conn.execute(sa.select(deliveries).where(
            *dead, deliveries.c.event.in_(DATA_EVENTS), deliveries.c.fiche_pk.is_not(None))))
        return [d.id for d in self._opened(rows) if d.payload is None]

    def postpone_next(self, recipient_id: str, after_position: int, until: dt.datetime) -> None:
        """Hold the recipient's next pending delivery until `until` (a spread-out retry)."""
        head = sa.select(sa.func.min(deliveries.c.position)).where(
            deliveries.c.recipient_id == recipient_id, deliveries.c.status == PENDING,
            deliveries.c.position > after_position).scalar_subquery()
        self.conn.execute(sa.update(deliveries).where(
            deliveries.c.recipient_id == recipient_id, deliveries.c.position == head,
            sa.or_(deliveries.c.next_attempt_at.is_(None), deliveries.c.next_attempt_at < until),
        ).values(next_attempt_at=until))

    def give_up_expired(self, recipient_id: str, planned_before: dt.datetime, error: str,
                        limit: int, *, untried_too: bool) -> int:
        """Dead-letter up to `limit` of the recipient's pending deliveries, head of line
        first, whose give-up clock (first tried, or replayed; planned, for one never tried
        or tried before the clock was kept) started before `planned_before`: those tried
        since they were planned or replayed, and, with `untried_too` (the recipient
        unwell: an outage), those never tried too; a delivery waiting untried behind a
        document the recipient refuses is never given up with it, its clock starting at
        its own first try. Returns how many (one statement)."""
        tried = sa.true() if untried_too else deliveries.c.attempts > 0
        expired = (
            sa.select(deliveries.c.id)
            .where(deliveries.c.recipient_id == recipient_id, deliveries.c.status == PENDING,
                   tried,
                   sa.func.coalesce(deliveries.c.retrying_since, deliveries.c.created_at)
                   < planned_before)
            .order_by(deliveries.c.position)
            .limit(limit)
            .scalar_subquery()
        )
        result = self.conn.execute(sa.update(deliveries).where(deliveries.c.id.in_(expired))
                                   .values(status=DEAD, last_error=error))
        return result.rowcount or 0

    def dead(self, recipient_id: str | None = None, limit: int = 500,
             after_id: int = 0) -> list[Delivery]:
        """One page of dead-lettered deliveries (keyset: pass the last one seen): one
        recipient's by its position, everyone's (the operator) by id."""
        query = self._dead_query(sa.select(deliveries), recipient_id)
        order = deliveries.c.id if recipient_id is None else deliveries.c.position
        query = query.where(order > after_id).order_by(order).limit(limit)
        return self._opened(list(self.conn.execute(query)))

    def dead_by_recipient(self) -> dict[str, int]:
        """How many dead-lettered deliveries each recipient has (those with none left out)."""
        query = (sa.select(deliveries.c.recipient_id, sa.func.count())
                 .where(deliveries.c.status == DEAD).group_by(deliveries.c.recipient_id))
        return {recipient: int(count) for recipient, count in self.conn.execute(query)}

    def dead_count(self, recipient_id: str | None = None) -> int:
        return int(self.conn.scalar(self._dead_query(
            sa.select(sa.func.count()).select_from(deliveries), recipient_id)) or 0)

    @staticmethod
    def _dead_query(query: Any, recipient_id: str | None) -> Any:
        query = query.where(deliveries.c.status == DEAD)
        return query.where(deliveries.c.recipient_id == recipient_id) if recipient_id else query

    # -- subscriptions --------------------------------------------------------------

    def routing_token(self) -> str | None:
        """The token of the members and subscriptions as committed now: every write to
        either draws a new one in its transaction (migrations 0038, 0041). None when the
        table holds no token (emptied by hand): nothing then says the network stayed."""
        count, token = self.conn.execute(_ROUTING_TOKEN).one()
        return None if token is None else f"{count}:{token}"

    def fold_routing_changes(self) -> int:
        """Fold the routing change rows below the current token into one (PostgreSQL, where
        each write appends one: migration 0041); the token stays. Returns the rows
        removed (0 on SQLite, which keeps one row)."""
        if self.conn.dialect.name != "postgresql":
            return 0
        return int(self.conn.execute(_FOLD_ROUTING_CHANGES).scalar_one())

    def subscriptions(self) -> list[Subscription]:
        query = sa.select(subscriptions).order_by(subscriptions.c.id)
        return [Subscription(**row._mapping) for row in self.conn.execute(query)]

    def close_subscriptions(self, member_id: str) -> int:
        """Remove every subscription of a member (it left the network); returns how many."""
        return self.conn.execute(
            sa.delete(subscriptions).where(subscriptions.c.member_id == member_id)).rowcount or 0

    def replace_subscriptions(self, member_id: str, criteria: list[dict[str, Any]], source: str,
                              now: dt.datetime) -> None:
        self.put_subscriptions(member_id, [(c, source) for c in criteria], now)

    def put_subscriptions(self, member_id: str, criteria: list[tuple[Any, str]],
                          now: dt.datetime) -> None:
        """The member's subscriptions are these (criteria, source) and no other."""
        self.conn.execute(sa.delete(subscriptions).where(subscriptions.c.member_id == member_id))
        if criteria:
            self.conn.execute(sa.insert(subscriptions), [
                {"member_id": member_id, "criteria": c, "source": source, "updated_at": now}
                for c, source in criteria
            ])

    def subscriptions_of(self, member_id: str) -> list[Subscription]:
        query = sa.select(subscriptions).where(subscriptions.c.member_id == member_id) \
            .order_by(subscriptions.c.id)
        return [Subscription(**row._mapping) for row in self.conn.execute(query)]


def _erased(fiche_pk: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    """Whether the fiche's data key was destroyed (an erasure); a notice names none."""
    return sa.exists().where(fiche_keys.c.fiche_pk == fiche_pk,
                             fiche_keys.c.destroyed_at.is_not(None))


def _left_since(porteur_id: sa.ColumnElement[Any], member_id: sa.ColumnElement[Any],
                since: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    """Whether a fiche of `member_id` linked to the porteur at `since` left it (its link
    closed then or later, the fiche now elsewhere) (`_LEFT_SINCE`)."""
    left = fiches.alias("left_fiche")
    return sa.exists().where(fiche_links.c.porteur_id == porteur_id,
                             fiche_links.c.linked_at <= since,
                             fiche_links.c.unlinked_at >= since,
                             left.c.id == fiche_links.c.fiche_pk,
                             left.c.member_id == member_id, left.c.porteur_id != porteur_id)


def _data(row: sa.Row) -> bool:
    """Whether a delivery row disclosed a fiche's data (a notice, naming a fiche or not,
    carries pseudonymous ids only: never withheld)."""
    return row.fiche_pk is not None and row.event in DATA_EVENTS


def _withheld(row: sa.Row, by_porteur: Mapping[tuple[str, str], dt.datetime],
              by_fiche: Mapping[tuple[str, int], dt.datetime]) -> bool:
    """Whether a data row was made before its recipient last erased, at the porteur's
    request, its data of the porteur it was made under or of a porteur holding its fiche."""
    return _aware(row.created_at) <= max(by_porteur.get((row.recipient_id, row.porteur_id), _NEVER),
                                         by_fiche.get((row.recipient_id, row.fiche_pk), _NEVER))


def _aware(moment: dt.datetime) -> dt.datetime:
    """A stored time in UTC (SQLite hands back naive ones)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
