"""A fiche put back after its keys were locked gives them back at once (PostgreSQL:
SQLite serialises its writers, it has no key locks): a third worker's fiche under one
of those keys neither waits for nor is put back because of a fiche not even processed
in that transaction."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from hub.services.ingest import processing
from hub.services.matching import online
from tests.integration import test_online_matching
from tests.integration.dedup_world import (
    CCI,
    COMMUNE,
    PERSON,
    RETYPED,
    fiche_of,
    porteur_of,
    push,
    takes_stripe,
)

pytestmark = pytest.mark.integration

STRANGER = test_online_matching.STRANGER
THIRD = {**STRANGER, "nom": "Gourbeyre", "prenom": "Annick", "date_naissance": "1959-09-30",
         "courriel": "a.gourbeyre@exemple.fr", "telephone": "04 73 55 66 77",
         "adresse": {"ligne": "8 rue des Tanneurs", "code_postal": "63600",
                     "commune": "Ambert"}}


pg_world = test_online_matching.pg_world  # the fixture: a fresh PostgreSQL database


def stripes_of(hub, identity) -> set[int]:
    with hub.uow() as uow:
        matcher = online.OnlineMatcher(hub, uow)
        return {matcher._stripe(d) for d in matcher.digests(online.identity_of(identity))}


def free_to_take(hub, stripes: set[int]) -> list[int]:
    """The stripes a third transaction can lock now."""
    with hub.engine.connect() as third:
        taken = [s for s in sorted(stripes) if takes_stripe(third, s)]
        third.rollback()
    return taken


def while_another_processes(hub, monkeypatch, held_ids: list[int],
                            ids: list[int]) -> tuple[processing.BatchOutcome, list[int]]:
    """`_process_chunk` of `ids` while another transaction processes `held_ids`, which
    commits once this one has read its fiches' states (`_as_committed`) and before it
    resolves or refreshes them (the other worker's commit, between the two)."""
    release = processed_uncommitted(hub, held_ids)
    as_committed = processing._as_committed

    def holder_commits_once_read(*args, **kwargs):
        outcome = as_committed(*args, **kwargs)
        release()
        return outcome

    with monkeypatch.context() as patched:
        patched.setattr(processing, "_as_committed", holder_commits_once_read)
        try:
            return processing._process_chunk(hub, ids, wait=False)
        finally:
            release()


def processed_as(hub, ids: list[int]) -> tuple[int, dict]:
    """C-1's processed version and indexed identity once `ids` are processed (all of them)."""
    processing.process_outbox(hub, ids)
    assert processing.pipeline_status(hub)["outbox_pending"] == 0
    with hub.uow() as uow:
        fiche_pk = uow.fiches.porteur_of(CCI.member_id, "C-1").id
        return uow.fiches.states({fiche_pk})[fiche_pk][1], uow.matching.identity_of(fiche_pk)


def test_a_fiche_processed_meanwhile_is_put_back_without_keeping_its_keys(pg_world, monkeypatch):
    """Version 2 of C-1 is read as a new fiche; another worker resolves version 1 before
    the keys are locked: version 2 is left out of the batch of new fiches (its second try,
    or a later transaction, refreshes it), and the keys it locked are free again once that
    batch is processed, before anything else is done."""
    hub, _clock = pg_world
    hub = hub.with_settings(worker_claim_size=1)  # each transaction its task's rows only
    first = push(hub, CCI, fiche_of(CCI, "C-1", PERSON), process=False)
    second = push(hub, CCI, fiche_of(CCI, "C-1", PERSON, version=2),
                  fiche_of(CCI, "C-2", STRANGER), process=False)
    own = stripes_of(hub, PERSON) - stripes_of(hub, STRANGER)
    lock_free, versions = online.OnlineMatcher.lock_free, processing._process_versions
    seen: list[list[str]] = []
    other = threading.Thread(target=processing.process_outbox, args=(hub, first))

    def other_worker_first(self, *args, **kwargs):
        if threading.current_thread() is not other and not other.ident:
            other.start()  # the other worker's transaction commits version 1 now
            other.join(timeout=60)
            assert not other.is_alive()
        return lock_free(self, *args, **kwargs)

    def after_the_batch(*args, **kwargs):
        outcome = versions(*args, **kwargs)
        if threading.current_thread() is not other:
            seen.append(free_to_take(hub, own))
        return outcome

    monkeypatch.setattr(online.OnlineMatcher, "lock_free", other_worker_first)
    monkeypatch.setattr(processing, "_process_versions", after_the_batch)
    processing.process_outbox(hub, second)
    assert seen[0] == sorted(own), "version 2's keys stayed locked until the commit"
    assert processing.pipeline_status(hub)["outbox_pending"] == 0
    with hub.uow() as uow:
        fiche_pk = uow.fiches.porteur_of(CCI.member_id, "C-1").id
        assert uow.fiches.states({fiche_pk})[fiche_pk][1] == 2  # version 2 processed later
    assert porteur_of(hub, CCI, "C-1") != porteur_of(hub, CCI, "C-2")


def test_a_fiche_left_out_because_a_key_is_no_longer_common_gives_its_keys_back(pg_world):
    """A key this process remembered as over the cap is locked in shared mode; read under
    the locks, the index no longer holds it over the cap (fiches erased meanwhile): the
    fiche under it is left for later, and the keys it locked are given back at once."""
    hub, _clock = pg_world
    person, stranger = online.identity_of(PERSON), online.identity_of(STRANGER)
    own = stripes_of(hub, PERSON) - stripes_of(hub, STRANGER)
    with hub.uow() as uow:
        matcher = online.OnlineMatcher(hub, uow)
        once_common = matcher.digests(person)[0]
        hub.common_keys.learn({once_common: list(range(hub.settings.match_candidates_per_key + 1))},
                              hub.settings.match_candidates_per_key)
        free = matcher.lock_free({"person": [person], "stranger": [stranger]},
                                 share_common=True)
        assert free == {"stranger"}
        assert free_to_take(hub, own) == sorted(own)
        assert free_to_take(hub, stripes_of(hub, STRANGER)) == []  # the fiche taken keeps its own
    assert once_common not in hub.common_keys


def test_a_fiche_whose_keys_were_held_is_tried_again_before_its_transaction_commits(
        pg_world, monkeypatch):
    """C-1 meets the keys of another worker's open transaction and is left out; that
    transaction commits while C-2 is processed: C-1 is taken by the same transaction,
    rather than making one of its own after it (with two workers on one queue, some fiche
    in seven was put back, and each put back paid a transaction again)."""
    hub, _clock = pg_world
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON))
    ids = push(hub, CCI, fiche_of(CCI, "C-1", RETYPED), fiche_of(CCI, "C-2", STRANGER),
               process=False)
    holder = hub.uow()
    held = holder.__enter__()
    online.OnlineMatcher(hub, held).lock([online.identity_of(RETYPED)])
    versions, chunk = processing._process_versions, processing._process_chunk
    taken: list[int] = []
    open_ = [holder]

    def release() -> None:
        while open_:
            open_.pop().__exit__(None, None, None)

    def holder_commits_after_the_first_pass(*args, **kwargs):
        outcome = versions(*args, **kwargs)
        release()
        return outcome

    def counted(hub, outbox_ids, *, wait):
        outcome, deferred = chunk(hub, outbox_ids, wait=wait)
        taken.append(outcome.claimed)
        return outcome, deferred

    monkeypatch.setattr(processing, "_process_versions", holder_commits_after_the_first_pass)
    monkeypatch.setattr(processing, "_process_chunk", counted)
    try:
        processing.process_outbox(hub, ids)
    finally:
        release()
    assert taken == [2]
    assert porteur_of(hub, CCI, "C-1") == porteur_of(hub, COMMUNE, "A-1")
    assert porteur_of(hub, CCI, "C-2") != porteur_of(hub, COMMUNE, "A-1")


def test_two_versions_of_one_fiche_are_never_processed_by_two_transactions_at_once(
        pg_world, monkeypatch):
    """A member corrects C-1's porteur: version 2's identity shares no key with version
    1's. One worker's transaction processes version 1 and has not committed yet when
    another reads version 2 as a new fiche: version 2 is put back (its fiche's stripe is
    held), not resolved a second time (the task died on the fiche's second match record
    once the first committed); a later transaction refreshes it."""
    hub, _clock = pg_world
    hub = hub.with_settings(worker_claim_size=1)  # each transaction its task's rows only
    first = push(hub, CCI, fiche_of(CCI, "C-1", PERSON), process=False)
    second = push(hub, CCI, fiche_of(CCI, "C-1", STRANGER, version=2), process=False)
    assert not stripes_of(hub, PERSON) & stripes_of(hub, STRANGER)
    outcome, deferred = while_another_processes(hub, monkeypatch, first, second)
    assert (outcome.claimed, deferred) == (0, second)
    assert processed_as(hub, deferred) == (2, online.identity_of(STRANGER))


def test_a_transaction_that_took_no_fiche_does_not_try_again(pg_world, monkeypatch):
    """C-1's keys are held by another transaction: the transaction of C-1 alone leaves it
    for the next chunk (which waits for them) rather than trying the same keys again
    right after (at a transaction size of 1, the retry nearly always met them held)."""
    hub, _clock = pg_world
    ids = push(hub, CCI, fiche_of(CCI, "C-1", PERSON), process=False)
    tries: list[object] = []
    lock_free = online.OnlineMatcher.lock_free

    def counted(self, *args, **kwargs):
        tries.append(self)
        return lock_free(self, *args, **kwargs)

    monkeypatch.setattr(online.OnlineMatcher, "lock_free", counted)
    with hub.uow() as held:
        online.OnlineMatcher(hub, held).lock([online.identity_of(PERSON)])
        outcome, deferred = processing._process_chunk(hub, ids, wait=False)
    assert (outcome.claimed, deferred) == (0, ids)
    assert len(tries) == 1



def test_an_older_version_waits_for_the_transaction_of_a_newer_one(pg_world, monkeypatch):
    """C-1 was processed; its porteur is corrected twice (versions 2 and 3, no key shared).
    A transaction processes version 3 and has not committed when another reads the fiche
    at version 1 and version 2 as newer: version 2 is put back (the fiche's stripe is
    held) rather than indexed over version 3 once that commits; read again later, it is
    older than the version processed and changes nothing."""
    hub, _clock = pg_world
    push(hub, CCI, fiche_of(CCI, "C-1", PERSON))
    second = push(hub, CCI, fiche_of(CCI, "C-1", STRANGER, version=2), process=False)
    third = push(hub, CCI, fiche_of(CCI, "C-1", THIRD, version=3), process=False)
    assert not stripes_of(hub, STRANGER) & stripes_of(hub, THIRD)
    outcome, deferred = while_another_processes(hub, monkeypatch, third, second)
    assert (outcome.claimed, deferred) == (0, second)
    assert processed_as(hub, deferred) == (3, online.identity_of(THIRD))


def test_a_fiche_refused_one_key_keeps_none_of_its_other_keys(pg_world):
    """Another transaction holds one of C-1's keys: of a batch of two new fiches, the
    other is locked and C-1 left for later, its keys that were free taken by no one (the
    batch's locks are taken together, then given back and those of the fiches kept taken
    again)."""
    hub, _clock = pg_world
    person, stranger = online.identity_of(PERSON), online.identity_of(STRANGER)
    own = stripes_of(hub, PERSON) - stripes_of(hub, STRANGER)
    held_one, *others = sorted(own)
    holder = hub.uow()
    held = holder.__enter__()
    try:
        assert held.matching.try_lock_keys([held_one]) == {held_one}
        with hub.uow() as uow:
            free = online.OnlineMatcher(hub, uow).lock_free(
                {"person": [person], "stranger": [stranger]}, share_common=True)
            assert free == {"stranger"}
            assert free_to_take(hub, set(others)) == others
            assert free_to_take(hub, stripes_of(hub, STRANGER)) == []
    finally:
        holder.__exit__(None, None, None)


def test_a_claimed_row_whose_keys_are_held_is_put_back_then_waited_for(pg_world, monkeypatch):
    """At the default claim size, the task of C-2 alone claims the queued C-1 (PERSON)
    besides, skipping A-1's row, which another transaction holds with PERSON's keys: C-1
    is put back, the next chunk waits for those keys, and once A-1 commits C-1 is linked
    to A-1's porteur; nothing is left pending."""
    hub, _clock = pg_world
    assert hub.settings.claim_size > hub.settings.transaction_size  # the claim is on
    held_ids = push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON), process=False)
    # two pushes: the rows queued in this order whatever their places (`accept._by_place`)
    [queued] = push(hub, CCI, fiche_of(CCI, "C-1", PERSON), process=False)
    [task] = push(hub, CCI, fiche_of(CCI, "C-2", STRANGER), process=False)
    release = processed_uncommitted(hub, held_ids)  # A-1's porteur, PERSON's keys held
    chunk, chunks, waited = processing._process_chunk, [], []

    def commit_once_waited_for() -> None:  # A-1 commits once a chunk waits for its keys
        waited.append(wait_until_a_backend_waits_for_a_lock(hub))
        release()

    def recorded(hub, outbox_ids, *, wait):
        committer = threading.Thread(target=commit_once_waited_for)
        if wait:
            committer.start()
        outcome, deferred = chunk(hub, outbox_ids, wait=wait)
        if wait:
            committer.join(timeout=60)
        chunks.append((list(outbox_ids), wait, outcome.claimed, deferred))
        return outcome, deferred

    monkeypatch.setattr(processing, "_process_chunk", recorded)
    try:
        processing.process_outbox(hub, [task])
    finally:
        release()
    assert chunks == [([task], False, 1, [queued]), ([queued], True, 1, [])]
    assert waited == [True]
    assert porteur_of(hub, CCI, "C-1") == porteur_of(hub, COMMUNE, "A-1")
    assert porteur_of(hub, CCI, "C-2") != porteur_of(hub, COMMUNE, "A-1")
    assert processing.pipeline_status(hub)["outbox_pending"] == 0


def processed_uncommitted(hub, held_ids: list[int]) -> Callable[[], None]:
    """Another worker's transaction that processed `held_ids` and holds their keys until
    the function returned is called (it commits then; calling it again does nothing)."""
    holder = hub.uow()
    held = holder.__enter__()
    rows = held.outbox.claim(held_ids)
    processing._process_versions(hub, held, [row.ref_id for row in rows], hub.clock(),
                                 wait=False)
    held.outbox.mark_processed([row.id for row in rows], hub.clock())
    open_ = [holder]

    def release() -> None:
        while open_:
            held.commit()
            open_.pop().__exit__(None, None, None)

    return release


def wait_until_a_backend_waits_for_a_lock(hub, polls: int = 1200) -> bool:
    """Whether a backend of this database was seen waiting for a lock (polled every
    50 ms, at most `polls` times)."""
    with hub.engine.connect() as probe:
        for _ in range(polls):
            waiting = probe.execute(sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock'")).scalar_one()
            probe.rollback()
            if waiting:
                return True
            time.sleep(0.05)
    return False


def test_put_back_rows_go_back_to_the_queue_when_more_is_queued(pg_world, monkeypatch):
    """The task of C-2 claims the queued C-1 (PERSON) besides; A-1's open transaction
    holds PERSON's keys, so C-1 is put back. C-3 is still queued: C-1 goes back to the
    queue (a task of its own) rather than making a transaction of its own that waits for
    A-1 (with two workers on one queue, such transactions of put-back fiches alone were
    a third of them, of some twenty fiches each). The next task claims C-1 first, with
    C-3, in one transaction, once A-1 has committed."""
    hub, _clock = pg_world
    hub = hub.with_settings(worker_transaction_size=1, worker_claim_size=2)
    held_ids = push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON), process=False)
    [queued] = push(hub, CCI, fiche_of(CCI, "C-1", PERSON), process=False)
    [task] = push(hub, CCI, fiche_of(CCI, "C-2", STRANGER), process=False)
    push(hub, CCI, fiche_of(CCI, "C-3", THIRD), process=False)
    release = processed_uncommitted(hub, held_ids)  # A-1's porteur, PERSON's keys held
    chunk, chunks = processing._process_chunk, []

    def recorded(hub, outbox_ids, *, wait):
        if wait:  # a chunk that would wait for A-1's keys: A-1 commits first
            release()
        outcome, deferred = chunk(hub, outbox_ids, wait=wait)
        chunks.append((list(outbox_ids), wait, outcome.claimed, deferred))
        return outcome, deferred

    monkeypatch.setattr(processing, "_process_chunk", recorded)
    try:
        processing.process_outbox(hub, [task])
        assert chunks == [([task], False, 1, [queued])]
        assert hub.publisher.published[-1] == [queued]
        release()
        processing.process_outbox(hub, [queued])
    finally:
        release()
    assert chunks[1:] == [([queued], False, 2, [])]
    assert porteur_of(hub, CCI, "C-1") == porteur_of(hub, COMMUNE, "A-1")
    assert len({porteur_of(hub, CCI, f) for f in ("C-1", "C-2", "C-3")}) == 3
    assert processing.pipeline_status(hub)["outbox_pending"] == 0
