"""The worker's side of the pipeline: process outbox rows in batches, idempotently.

Processing a fiche version resolves its porteur (online deduplication: link to an
existing porteur, new porteur, or new provisional porteur with a review item; see
`hub.services.matching.online`), marks the fiche processed and plans the deliveries
(routing, consent, projection), all in one transaction. A fiche that linked porteurs
together is linked to the best of them, and the others are merged into it once that
transaction is committed (`hub.services.matching.chains`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from hub.bootstrap import Hub
from hub.services.delivery.console_news import coordination_news
from hub.services.delivery.deliveries import (
    ProcessedVersion,
    planned_deliveries,
    store_deliveries,
)
from hub.services.ingest.worker_slots import live_worker_slots
from hub.services.matching.chains import join_chains
from hub.services.matching.consent_gate import (
    cited_consents,
    cited_reference,
    consent_ends,
    ended_consents,
)
from hub.services.matching.forgetting import forget_if_erased
from hub.services.matching.online import OnlineMatcher, identity_of
from hub.store.ops_repository import take_turn_at_once
from hub.store.records import VersionToProcess
from hub.store.uow import UnitOfWork


@dataclasses.dataclass(frozen=True)
class BatchOutcome:
    claimed: int
    porteurs_created: int
    deliveries: int = 0
    webhooks: int = 0  # of the deliveries, those a webhook dispatch sends (not feeds)
    done: frozenset[int] = frozenset()  # a transaction's: the outbox rows it processed


def process_outbox(hub: Hub, outbox_ids: Sequence[int]) -> BatchOutcome:
    """Process the given outbox rows once in effect: rows already processed, or
    locked by another worker, are skipped. Rows commit by transactions of
    HUB_WORKER_TRANSACTION_SIZE, each joined by rows queued beyond the task's, up to
    HUB_WORKER_CLAIM_SIZE (`_queued_more`): each holds the matching locks of its own keys
    only, so two workers rarely wait for each other, and stays within PostgreSQL's lock
    table.
    A fiche whose keys another transaction holds is put back at the end of the line
    rather than waited for; the transaction of put-back fiches alone, and one that could
    take no fiche, waits for their keys (it holds none of its own yet), so the line always
    moves. Put-back fiches that would make such a transaction after one that took others
    go back to the queue instead when other rows can be claimed (`_handed_back`).

    A fiche left out of a transaction is first tried again, without waiting, at the end of
    that transaction (holding its own keys, it never waits for another's: no deadlock).
    With two workers, the transaction that held its keys has sometimes committed by then
    (measured: the retry took from one in fourteen to two in five of the fiches it
    tried), and each one it takes saves a transaction (put back at once, some fiche in
    seven made a transaction of its own: two workers on one queue ran 1.8 transactions
    where one worker ran one). A transaction that took no fiche does not try again: its
    fiches are tried at once by the next chunk, which waits for their keys (at a
    transaction size of 1 the retry, right after the refusal, nearly always met the same
    keys held).

    Versions of one fiche are never processed by two transactions at once: each holds the
    fiche's stripe with its keys (`OnlineMatcher.lock_free`)."""
    size = max(1, hub.settings.transaction_size)
    claimed = created = planned = webhooks = 0
    pending, wait = list(outbox_ids), False
    while pending:
        chunk, pending = pending[:size], pending[size:]
        outcome, deferred = _process_chunk(hub, chunk, wait=wait)
        claimed += outcome.claimed
        created += outcome.porteurs_created
        planned += outcome.deliveries
        webhooks += outcome.webhooks
        # The next chunk waits for the keys when it would be made of put-back fiches only
        # (they met another transaction's keys once: trying again without waiting mostly
        # meets them again, a transaction for nothing) or when this one took no fiche.
        wait = bool(deferred) and (outcome.claimed == 0 or not pending)
        if wait and outcome.claimed and _handed_back(hub, deferred):
            break
        # Rows of the task's next chunks that this transaction took with the queued ones
        # are done: claiming them again was a transaction for nothing (a claim, a count of
        # the queue and a read of the workers' beats), a push's task of 500 rows four of them.
        pending = [i for i in pending if i not in outcome.done] + deferred
    if webhooks:  # a feed delivery waits for its reader: nothing to send
        hub.publisher.request_dispatch_safely()
    return BatchOutcome(claimed, created, planned, webhooks)


def _handed_back(hub: Hub, deferred: list[int]) -> bool:
    """Whether put-back rows that would make a transaction of their own (the last chunk's,
    of a transaction that took other fiches) went back to the queue instead: when other
    rows are queued, a task of their own is published, and the next transaction of either
    worker claims them first (oldest first: `Outbox.claim_queued`) with those rows (rows
    another transaction holds are not counted: they may be all there is). Two
    workers on one queue made a third of their transactions of put-back fiches alone,
    some twenty each, paying a whole transaction's statements for them
    (bench/_scale_probe.py). Unpublished (the broker out), they are processed now."""
    with hub.uow() as uow:
        beside = uow.outbox.claimable_besides(deferred)
    return beside and hub.publisher.publish_outbox_safely(deferred)


def _process_chunk(hub: Hub, outbox_ids: Sequence[int], *,
                   wait: bool) -> tuple[BatchOutcome, list[int]]:
    """Process what can be processed now; returns the outcome and the outbox rows left
    for later (their matching keys were held by another transaction)."""
    with hub.uow() as uow:
        rows = uow.outbox.claim(outbox_ids)
        if not wait:  # work queued beyond the task's rows joins it (see `_queued_more`)
            rows = sorted(rows + uow.outbox.claim_queued(
                _queued_more(hub, uow, len(rows)), [row.id for row in rows]))
        if not rows:
            return BatchOutcome(0, 0), []
        forget_if_erased(hub, uow)
        now = hub.clock()
        matcher = OnlineMatcher(hub, uow)
        versions, created, later = _process_versions(
            hub, uow, [row.ref_id for row in rows], now, wait=wait, matcher=matcher)
        chains = matcher.chains
        if later and len(later) < len(rows):  # tried once more before the commit: the
            # other transaction may be done (a transaction that took none: the next waits)
            again = matcher.again()
            more, more_created, later = _process_versions(
                hub, uow, sorted(later), now, wait=False, matcher=again)
            versions, created, chains = versions + more, created + more_created, \
                chains + again.chains
        deliveries = planned_deliveries(hub, uow, versions, now)
        uow.fiches.note_coordination_news(coordination_news(hub, uow, versions, now), now)
        done = [row.id for row in rows if row.ref_id not in later]
        uow.outbox.mark_processed(done, now)
        planned = store_deliveries(uow, deliveries)  # last: it locks the recipients' counters
        uow.commit()
    join_chains(hub, chains)  # committed: the merges wait for no key of this batch
    webhooks = sum(row["channel"] == "webhook" for rows in deliveries.values() for row in rows)
    return (BatchOutcome(len(done), created, planned, webhooks, frozenset(done)),
            [row.id for row in rows if row.ref_id in later])


def _queued_more(hub: Hub, uow: UnitOfWork, claimed: int) -> int:
    """How many queued rows a transaction that claimed `claimed` rows of its task takes
    besides: bigger transactions cost less a fiche, and the task's message only wakes a
    worker. The rows are claimed from the table (locked, skipping those another
    transaction holds), not from the messages, so workers split a queue between them; a
    message whose rows are done is a no-op, or takes whatever is queued.

    A transaction takes its share of the queue (the rows queued over the live workers'
    slots: `live_worker_slots`), between its task's rows and HUB_WORKER_CLAIM_SIZE over
    the slots: one worker takes the largest transactions, two split a push between them
    rather than one taking it whole while the other waits. Two transactions of one push
    then hold fiches of different places (the API writes a batch's rows by postcode:
    `accept._by_place`), which seldom share a matching key; two whole pushes each span
    every place (transactions of 500: seven fiches in ten put back, of 250 by place one in
    thirteen: bench/_key_conflicts.py)."""
    settings = hub.settings
    size = settings.claim_size
    if size <= settings.transaction_size:
        return 0
    slots = live_worker_slots(hub, uow)
    share = -(-uow.outbox.queued(size * slots) // slots)
    return max(0, min(-(-size // slots), share) - claimed)


def _process_versions(hub: Hub, uow: UnitOfWork, version_ids: list[int], now: dt.datetime,
                      *, wait: bool = True, matcher: OnlineMatcher | None = None,
                      ) -> tuple[list[ProcessedVersion], int, set[int]]:
    """The versions processed, the porteurs created, and the version ids left for later
    (without `wait`: those of fiches whose matching keys another transaction holds)."""
    rows = uow.fiches.versions_for_processing(version_ids)
    documents = {row.version_id: orjson.loads(row.payload) for row in rows
                 if row.payload is not None}
    matcher = matcher or OnlineMatcher(hub, uow)
    # one identity object a version: the matcher memoises its canonical form by object
    identity_by_version = {version_id: identity_of(document.get("porteur"))
                           for version_id, document in documents.items()}
    identities: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        if row.version_id in documents:
            identities.setdefault(row.fiche_pk, []).append(identity_by_version[row.version_id])
    later: set[int] = set()
    new_only = all(row.porteur_id is None for row in rows) and \
        all(len(group) == 1 for group in identities.values())
    if wait and not new_only:
        matcher.lock((i for group in identities.values() for i in group), identities)
    else:  # new fiches only share the keys over the cap, waiting or not
        free = matcher.lock_free(identities, share_common=new_only, wait=wait, fiches=True,
                                 keep=_still_new(uow) if new_only else None)
        later = {row.version_id for row in rows if row.fiche_pk in identities
                 and row.fiche_pk not in free}
        rows = [row for row in rows if row.version_id not in later]
    # The porteurs read next stay theirs until the commit: no merge or separation moves
    # the fiches meanwhile (read before, and written back at the end, a porteur a merge had
    # just emptied got them back). Nor does an erasure commit meanwhile (each holds this
    # lock alone): one committed since the versions were read is seen below.
    matcher.hold_moves()
    rows, resolved = _as_committed(uow, rows, new_only)
    rows = _erased_since_read(uow, rows, documents)
    rows = _apart_again(uow, rows, now)
    later |= resolved
    previous = uow.fiches.payloads(
        (r.fiche_pk, r.processed_version) for r in rows if r.processed_version
    )
    # Read under the fiches' locks: a consent withdrawn or expired by now leaves nothing
    # of its fiche in the index (`consent_gate`), whatever version this one came after;
    # the index row of the last version keeps when its consent ends.
    latest = {row.fiche_pk: (row.member_id, documents[row.version_id]) for row in rows
              if row.version_id in documents}
    cited = cited_consents(hub, ((row.member_id, documents[row.version_id]) for row in rows
                                 if row.version_id in documents))
    matcher.consent_ends.update(consent_ends(latest, cited))
    state: dict[int, dict[str, Any]] = {}
    indexed: dict[int, tuple[str, dict[str, Any]]] = {}  # the version each fiche is indexed by
    # A new fiche whose consent was withdrawn while it waited (read above, under the
    # fiches' locks) is linked to nobody's porteur, nor indexed
    newest = _newest_of_new(rows, documents)
    apart = ended_consents(hub, newest, now, cited)
    created, processed = 0, []
    for row in rows:
        fiche = state.setdefault(row.fiche_pk, {
            "pk": row.fiche_pk, "porteur_id": row.porteur_id,
            "processed_version": row.processed_version or 0,
            "payload": previous.get((row.fiche_pk, row.processed_version or 0)),
        })
        if row.payload is None:  # erased before it was processed: nothing to resolve or share
            fiche["processed_version"] = max(fiche["processed_version"], row.version)
            continue
        document = documents[row.version_id]
        identity = identity_by_version[row.version_id]
        if fiche["porteur_id"] is None and row.fiche_pk in apart:
            fiche["porteur_id"] = matcher.resolve_apart(row.fiche_pk, now).porteur_id
            created += 1
        elif fiche["porteur_id"] is None:
            resolution = matcher.resolve_new(row.fiche_pk, identity, now, row.member_id)
            fiche["porteur_id"] = resolution.porteur_id
            created += resolution.created
            indexed[row.fiche_pk] = (row.member_id, document)
        elif row.version > fiche["processed_version"] and row.fiche_pk not in apart:
            matcher.refresh(row.fiche_pk, fiche["porteur_id"], identity, now, row.member_id)
            indexed[row.fiche_pk] = (row.member_id, document)
        if row.version <= fiche["processed_version"]:
            continue  # an older version arriving late: the newer one was already shared
        processed.append(ProcessedVersion(
            row.version_id, row.fiche_pk, row.member_id, row.fiche_id, row.version,
            fiche["porteur_id"], document,
            orjson.loads(fiche["payload"]) if fiche["payload"] else None,
            cited.get((row.member_id, cited_reference(document) or "")),
        ))
        fiche["processed_version"], fiche["payload"] = row.version, row.payload
    matcher.flush()
    # (the new fiches' were read above, the version indexed being their newest)
    if ended := ended_consents(hub, {pk: version for pk, version in indexed.items()
                                     if pk not in newest}, now, cited):
        uow.matching.withdraw(sorted(ended), now)
    uow.fiches.mark_processed([
        {k: v for k, v in f.items() if k != "payload"} for f in state.values()
    ])
    return processed, created, later


def _erased_since_read(uow: UnitOfWork, rows: list[VersionToProcess],
                       documents: dict[int, Any]) -> list[VersionToProcess]:
    """The versions of fiches erased by an erasure that committed after they were read (the
    member asked it at once after its push): read as erased (no payload, no document), so
    nothing of them is resolved, indexed or routed. Their keys were loaded before: the
    store is asked again, under the lock of moves every erasure takes alone."""
    erased = uow.keys.erased_now(row.fiche_pk for row in rows if row.payload is not None)
    if not erased:
        return rows
    for row in rows:
        if row.fiche_pk in erased:
            documents.pop(row.version_id, None)
    return [row._replace(payload=None) if row.fiche_pk in erased else row for row in rows]


def _apart_again(uow: UnitOfWork, rows: list[VersionToProcess], now: dt.datetime
                 ) -> list[VersionToProcess]:
    """A fiche whose consent ended before it was processed has a porteur of its own, and
    was never indexed (`resolve_apart`): its next version is resolved as a new fiche's, as
    it would be had both versions come in one batch (its own link is closed first). A
    version erased before it is processed resolves nothing: its fiche keeps its porteur."""
    again = uow.matching.apart_unindexed(
        row.fiche_pk for row in rows
        if row.porteur_id is not None and row.payload is not None
        and row.version > (row.processed_version or 0))
    if not again:
        return rows
    uow.matching.unlink(sorted(again), now)
    return [row._replace(porteur_id=None) if row.fiche_pk in again else row for row in rows]


def _newest_of_new(rows: Sequence[VersionToProcess], documents: dict[int, Any]
                   ) -> dict[int, tuple[str, dict[str, Any]]]:
    """Of the fiches never processed, the newest version of each (its member and its
    document): the one the index would hold once the batch is processed."""
    newest: dict[int, tuple[int, str, dict[str, Any]]] = {}
    for row in rows:
        if row.porteur_id is None and row.version_id in documents and \
                row.version >= newest.get(row.fiche_pk, (0, "", {}))[0]:
            newest[row.fiche_pk] = (row.version, row.member_id, documents[row.version_id])
    return {pk: (member_id, document) for pk, (_v, member_id, document) in newest.items()}


def _still_new(uow: UnitOfWork) -> Callable[[set[int]], set[int]]:
    """For a transaction of new fiches: of the fiches whose keys it locked, those no other
    transaction resolved meanwhile (the others are put back, their keys given back)."""
    def kept(fiche_pks: set[int]) -> set[int]:
        return {pk for pk, (porteur_id, _version) in uow.fiches.states(fiche_pks).items()
                if porteur_id is None}
    return kept


def _as_committed(uow: UnitOfWork, rows: list[VersionToProcess],
                  new_only: bool) -> tuple[list[VersionToProcess], set[int]]:
    """The fiches' porteur and processed version read again once their keys are held.
    The transaction that held them (waited for, or committed between the first read and
    the try) may have processed another version of the same fiches: read before, a new
    fiche would be resolved twice (a second match record) and an older version shared
    after a newer one. A fiche resolved meanwhile leaves a transaction of new fiches (it
    holds the common keys shared, as new fiches do) for a later one, which refreshes it."""
    committed = uow.fiches.states({row.fiche_pk for row in rows})
    kept: list[VersionToProcess] = []
    resolved: set[int] = set()
    for row in rows:
        porteur_id, processed_version = committed[row.fiche_pk]
        if new_only and porteur_id is not None:
            resolved.add(row.version_id)
        else:
            kept.append(row._replace(porteur_id=porteur_id, processed_version=processed_version))
    return kept, resolved


SWEEP_TURN = "outbox_sweep"
# A tick up to this share of the interval early still takes its turn: one worker's timer
# drifting by milliseconds does not skip every other sweep.
_TURN_EARLY = 0.1


def sweep_outbox_in_turn(hub: Hub) -> int | None:
    """The sweep every worker's timer calls each HUB_SWEEP_INTERVAL_S: it sweeps when
    no worker has taken the sweep's turn within the interval (a read, then one
    conditional update), so N workers sweep once an interval between them and never
    the same rows at once. Returns None when another worker had the turn."""
    now = hub.clock()
    taken_before = now - dt.timedelta(seconds=hub.settings.sweep_interval_s * (1 - _TURN_EARLY))
    with hub.read_uow() as uow:  # most ticks end here: no writer's turn asked on SQLite
        if not uow.ops.turn_free(SWEEP_TURN, taken_before):
            return None
    if not take_turn_at_once(hub.engine, SWEEP_TURN, now, taken_before):
        return None
    return sweep_outbox(hub)


def sweep_outbox(hub: Hub) -> int:
    """Re-publish outbox rows published long ago and still unprocessed (the broker
    may have lost them); returns how many rows were re-published."""
    settings = hub.settings
    cutoff = hub.clock() - dt.timedelta(seconds=settings.outbox_republish_after_s)
    with hub.uow() as uow:  # an idle worker too forgets erased identities within a sweep
        forget_if_erased(hub, uow)
    total, last_id = 0, 0
    while True:
        with hub.uow() as uow:
            ids = uow.outbox.stale(cutoff, settings.worker_batch_size, after_id=last_id)
            if not ids:
                return total
            uow.outbox.mark_republished(ids, hub.clock())
            uow.commit()
        last_id = ids[-1]
        if not hub.publisher.publish_outbox_safely(ids):
            return total
        total += len(ids)


# A nonce stays while a request signed with it can be fresh: `created` up to the skew
# ahead when first seen, then the skew behind; plus freshness judged in whole seconds and
# the clocks of the API hosts (which record `seen_at`) and the worker (which forgets).
_NONCE_MARGIN_S = 60


def forget_old_nonces(hub: Hub) -> int:
    kept_s = 2 * hub.settings.signature_max_skew_s + _NONCE_MARGIN_S
    cutoff = hub.clock() - dt.timedelta(seconds=kept_s)
    with hub.uow() as uow:
        removed = uow.nonces.forget_before(cutoff)
        uow.commit()
        return removed


def pipeline_status(hub: Hub) -> dict[str, int]:
    """Counts for the demo and the operator: fiches, processed, porteurs, outbox pending."""
    with hub.uow() as uow:
        counts = uow.fiches.counts()
        counts["porteurs"] = uow.porteurs.count()
        counts["outbox_pending"] = uow.outbox.pending_count()
        return counts
