"""Coordinators separating or merging porteurs at the same moment, and a worker linking
a fiche while a porteur is merged, on PostgreSQL (SQLite serialises writers from the
start of each transaction): one separation is made, the other refused as already done;
merges sharing a porteur, and a fiche linked meanwhile, end in one porteur."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import pytest

from hub.domain.matching.model import CONFIRMED_FLAGS
from hub.errors import NothingToUnmerge
from hub.services.console import duplicates_console as queue
from hub.services.matching import duplicates, merges
from tests.conftest import _drop_pg_database, _fresh_pg_database

pytestmark = pytest.mark.integration


@pytest.fixture
def pg_coordination(postgres_url, tmp_path) -> Iterator[dict]:
    from tests.console_world import coordination_world

    url = _fresh_pg_database(postgres_url)
    built = coordination_world(url, tmp_path)
    yield built
    built["hub"].close()
    _drop_pg_database(url)


def _merged(hub, session) -> str:  # type: ignore[no-untyped-def]
    """The two fiches of the queue's pair merged by « même personne »: their porteur."""
    [item] = duplicates.list_review_items(hub)["items"]
    queue.decide(hub, session, item["id"], "same", confirmed=CONFIRMED_FLAGS)
    with hub.uow() as uow:
        return uow.fiches.porteur_of("commune-ambert", "F-DOUBLE-A").porteur_id


def _separate_at_once(hub, session, monkeypatch, porteur_id: str,  # type: ignore[no-untyped-def]
                      fiches: list[tuple[str, str]]) -> list[str]:
    """Each fiche separated from `porteur_id` in its own thread, both past their checks
    before either moves a fiche when no lock keeps them apart (the barrier is broken
    after 5 s, under the lock's 10 s, when one waits for the other's lock); answers the
    outcomes: done, refused, or the name of any other error."""
    barrier = threading.Barrier(2, timeout=5)
    deciding = merges._deciding_item

    def both_past_the_checks(*args):  # type: ignore[no-untyped-def]
        found = deciding(*args)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return found

    monkeypatch.setattr(merges, "_deciding_item", both_past_the_checks)
    outcomes: list[str] = []

    def separate(member: str, fiche: str) -> None:
        try:
            queue.unmerge(hub, session, porteur_id, member, fiche)
            outcomes.append("done")
        except NothingToUnmerge:
            outcomes.append("refused")
        except Exception as exc:  # the outcome (a raw database error) is what it reads
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=separate, args=pair) for pair in fiches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return sorted(outcomes)


def test_two_separations_of_one_fiche_at_once_make_one(pg_coordination, monkeypatch) -> None:
    hub, session = pg_coordination["hub"], pg_coordination["session"]
    kept = _merged(hub, session)
    same = ("cci-puy-de-dome", "F-DOUBLE-B")
    assert _separate_at_once(hub, session, monkeypatch, kept, [same, same]) == \
        ["done", "refused"]
    history = duplicates.merge_history(hub, limit=50)
    assert sum(event["type"] == "separation" for event in history) == 1


def test_separating_the_two_fiches_of_a_porteur_at_once_keeps_one(pg_coordination,
                                                                  monkeypatch) -> None:
    """Each transaction saw the other fiche still there: both moved theirs out, the
    second failed with a raw unique violation (a 500), or the porteur ended empty."""
    hub, session = pg_coordination["hub"], pg_coordination["session"]
    kept = _merged(hub, session)
    both = [("commune-ambert", "F-DOUBLE-A"), ("cci-puy-de-dome", "F-DOUBLE-B")]
    assert _separate_at_once(hub, session, monkeypatch, kept, both) == ["done", "refused"]
    with hub.uow() as uow:
        assert len(uow.fiches.of_porteur(kept)) == 1


def _queue(hub, fiche: tuple[int, str], candidate: tuple[int, str]) -> int:  # type: ignore[no-untyped-def]
    """A pair queued for review: (fiche pk, porteur) of each side; the item's id."""
    with hub.uow() as uow:
        item = uow.matching.open_review({
            "fiche_pk": fiche[0], "porteur_id": fiche[1], "candidate_fiche_pk": candidate[0],
            "candidate_porteur_id": candidate[1], "probability": 0.7, "explanation": {},
            "opened_at": hub.clock()})
        uow.commit()
    return item


def _double_a_queued_with_orphan(hub):  # type: ignore[no-untyped-def]
    """F-DOUBLE-A's porteur queued as the same person as F-ORPHELIN's: (F-DOUBLE-A's
    fiche, F-ORPHELIN's fiche, the item), the first to be merged into the second."""
    with hub.uow() as uow:
        absorbed = uow.fiches.porteur_of("commune-ambert", "F-DOUBLE-A")
        kept = uow.fiches.porteur_of("commune-ambert", "F-ORPHELIN")
    return absorbed, kept, _queue(hub, (absorbed.id, absorbed.porteur_id),
                                  (kept.id, kept.porteur_id))


def _decide_at_once(hub, session, monkeypatch, item_ids: list[int]) -> list[str]:  # type: ignore[no-untyped-def]
    """Each item decided « même personne » in its own thread, both having read their item
    before either merges (the barrier is broken after 5 s when one waits for the other's
    lock); answers the outcomes: done, or the name of the error."""
    from hub.store.matching_repository import Matching

    barrier = threading.Barrier(2, timeout=5)
    seen = threading.local()
    read = Matching.review_item

    def both_read_their_item(self, item_id):  # type: ignore[no-untyped-def]
        found = read(self, item_id)
        if not getattr(seen, "done", False):
            seen.done = True
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait()
        return found

    monkeypatch.setattr(Matching, "review_item", both_read_their_item)
    outcomes: list[str] = []

    def decide(item_id: int) -> None:
        try:
            queue.decide(hub, session, item_id, "same", confirmed=CONFIRMED_FLAGS)
            outcomes.append("done")
        except Exception as exc:  # the outcome (a raw database error) is what it reads
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=decide, args=(item,)) for item in item_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return sorted(outcomes)


def test_two_merges_sharing_a_porteur_at_once_gather_the_three(pg_coordination,
                                                               monkeypatch) -> None:
    """Pairs (B, A) and (C, B) decided « même personne » by two coordinators at the same
    moment: one person in three fiches. Each transaction merged from the pair it had
    read: they deadlocked (a raw error), or C's fiche went into B, already emptied into
    A and revived, leaving the person in two porteurs."""
    hub, session = pg_coordination["hub"], pg_coordination["session"]
    [first] = duplicates.list_review_items(hub)["items"]
    with hub.uow() as uow:
        item = uow.matching.review_item(first["id"])
        orphan = uow.fiches.porteur_of("commune-ambert", "F-ORPHELIN")
    second = _queue(hub, (orphan.id, orphan.porteur_id), (item.fiche_pk, item.porteur_id))
    assert _decide_at_once(hub, session, monkeypatch, [item.id, second]) == ["done", "done"]
    with hub.uow() as uow:
        holders = {uow.fiches.porteur_of(member, fiche).porteur_id for member, fiche in [
            ("commune-ambert", "F-DOUBLE-A"), ("cci-puy-de-dome", "F-DOUBLE-B"),
            ("commune-ambert", "F-ORPHELIN")]}
        assert holders == {item.candidate_porteur_id}
        assert uow.matching.porteur_status(item.candidate_porteur_id) == "active"
        assert {uow.matching.porteur_status(p) for p in (item.porteur_id, orphan.porteur_id)} \
            == {"merged"}

def test_a_fiche_linked_while_its_porteur_is_merged_follows_the_merge(pg_coordination,
                                                                       monkeypatch) -> None:
    """A worker reads its candidates, a coordinator merges the porteur of one of them into
    another, then the worker links its fiche to it: the fiche went to the porteur the
    merge had just emptied, the person left in two porteurs."""
    from hub.services.accounts.auth import Caller
    from hub.services.ingest import accept as ingest
    from hub.services.ingest import processing
    from hub.store.matching_repository import Matching
    from tests.console_world import DUPLICATE_PAIR, _fiche
    from tests.factories import ALL_PURPOSES, record_consents

    hub, session = pg_coordination["hub"], pg_coordination["session"]
    absorbed, kept, item = _double_a_queued_with_orphan(hub)
    source = next(p for p in DUPLICATE_PAIR if p[1] == "F-DOUBLE-A")
    fiche = {**_fiche(hub.clock().date(), *source), "fiche_id": "F-DOUBLE-C",
             "membre": "pfil-livradois-forez"}  # F-DOUBLE-A again, from another member
    record_consents(hub, [fiche], roles_destinataires=["financement", "coordination"],
                    finalites=ALL_PURPOSES)
    read, merged = threading.Event(), threading.Event()
    indexed_under = Matching.indexed_under

    def merge_after_the_read(self, digests, cap, **options):  # type: ignore[no-untyped-def]
        found = indexed_under(self, digests, cap, **options)
        if not read.is_set():
            read.set()
            merged.wait(5)  # the merge commits now, unless it waits for this batch
        return found

    monkeypatch.setattr(Matching, "indexed_under", merge_after_the_read)
    outcomes: list[str] = []

    def work() -> None:
        try:
            caller = Caller("pfil-livradois-forez", "", "pfil", "financement")
            assert ingest.push_batch(hub, caller, [fiche])["accepted"] == 1
            processing.process_outbox(hub, hub.publisher.published[-1])
            outcomes.append("done")
        except Exception as exc:  # the outcome is what it reads
            outcomes.append(type(exc).__name__)

    worker = threading.Thread(target=work)
    worker.start()
    assert read.wait(60)
    queue.decide(hub, session, item, "same", confirmed=CONFIRMED_FLAGS)
    merged.set()
    worker.join(120)
    assert outcomes == ["done"]
    with hub.uow() as uow:
        linked = uow.fiches.porteur_of("pfil-livradois-forez", "F-DOUBLE-C").porteur_id
        assert uow.fiches.of_porteur(absorbed.porteur_id) == []
    assert linked == kept.porteur_id


@pytest.mark.parametrize("identity_changed", [False, True])
def test_a_new_version_processed_while_its_porteur_is_merged_follows_the_merge(
        pg_coordination, monkeypatch, identity_changed: bool) -> None:
    """The worker read the fiche's porteur, a coordinator merged that porteur into
    another, then the worker wrote the porteur it had read back on the fiche (and its
    index entry): the fiche went back into the porteur the merge had emptied."""
    from hub.services.accounts.auth import Caller
    from hub.services.ingest import accept as ingest
    from hub.services.ingest import processing
    from hub.store.repositories import Fiches
    from tests.console_world import DUPLICATE_PAIR, _fiche

    hub, session = pg_coordination["hub"], pg_coordination["session"]
    absorbed, kept, item = _double_a_queued_with_orphan(hub)
    source = next(p for p in DUPLICATE_PAIR if p[1] == "F-DOUBLE-A")
    fiche = {**_fiche(hub.clock().date(), *source), "version": 2}
    fiche["projet"]["intitule"] = "Ferme maraîchère et vente directe"
    if identity_changed:
        fiche["porteur"]["telephone"] = "04 73 82 55 18"
    read, go_on = threading.Event(), threading.Event()
    states = Fiches.states

    def merge_after_the_read(self, pks):  # type: ignore[no-untyped-def]
        found = states(self, pks)
        if threading.current_thread().name == "worker" and not read.is_set():
            read.set()
            go_on.wait(60)  # the merge commits now, unless it waits for this batch
        return found

    monkeypatch.setattr(Fiches, "states", merge_after_the_read)
    outcomes: list[str] = []

    def run(name: str, work) -> threading.Thread:  # type: ignore[no-untyped-def]
        def guarded() -> None:
            try:
                work()
                outcomes.append(f"{name} done")
            except Exception as exc:  # the outcome is what it reads
                outcomes.append(f"{name} {type(exc).__name__}")
        thread = threading.Thread(target=guarded, name=name)
        thread.start()
        return thread

    def process() -> None:
        caller = Caller("commune-ambert", "", "commune", "accueil")
        assert ingest.push_batch(hub, caller, [fiche])["accepted"] == 1
        processing.process_outbox(hub, hub.publisher.published[-1])

    worker = run("worker", process)
    assert read.wait(60)
    decision = run("decision", lambda: queue.decide(hub, session, item, "same", confirmed=CONFIRMED_FLAGS))
    decision.join(3)  # done at once, unless it waits for the worker's transaction
    go_on.set()
    worker.join(120)
    decision.join(120)
    if identity_changed:
        # The new version scored its open item again under the worker's locks (its
        # identity changed): the decision, which waited for that transaction, meets the
        # item closed and merges nothing on evidence the coordinator did not see.
        assert sorted(outcomes) == ["decision ReviewItemClosed", "worker done"]
        with hub.uow() as uow:
            assert uow.matching.review_item(item).status != "open"
            assert uow.fiches.porteur_of("commune-ambert", "F-DOUBLE-A").porteur_id == \
                absorbed.porteur_id
        return
    assert sorted(outcomes) == ["decision done", "worker done"]
    with hub.uow() as uow:
        assert uow.fiches.porteur_of("commune-ambert", "F-DOUBLE-A").porteur_id == \
            kept.porteur_id
        assert uow.fiches.of_porteur(absorbed.porteur_id) == []
        indexed = uow.matching.fiches_of([absorbed.porteur_id, kept.porteur_id])
    assert indexed[absorbed.porteur_id] == []


def test_a_fiche_merged_into_a_porteur_being_erased_is_erased_with_it(
        pg_coordination, monkeypatch) -> None:
    """The erasure lists the porteur's fiches, a coordinator's merge brings another fiche
    into the porteur, then the erasure erases the fiches it listed: the merged one stayed,
    readable and indexed, in a porteur the person asked to erase."""
    from hub.services.accounts.auth import Caller
    from hub.services.privacy import erasure

    hub, session = pg_coordination["hub"], pg_coordination["session"]
    with hub.uow() as uow:
        erased = uow.fiches.porteur_of("commune-ambert", "F-DOUBLE-A")
        brought = uow.fiches.porteur_of("commune-ambert", "F-ORPHELIN")
    item = _queue(hub, (brought.id, brought.porteur_id), (erased.id, erased.porteur_id))
    forget_proofs = type(hub.consents).forget_proofs
    merged: list[bool] = []

    def merge_meanwhile(self, fiches):  # type: ignore[no-untyped-def]
        forget_proofs(self, fiches)
        if not merged:  # once: between the erasure's listing and its transaction
            merged.append(True)
            queue.decide(hub, session, item, "same", confirmed=CONFIRMED_FLAGS)

    monkeypatch.setattr(type(hub.consents), "forget_proofs", merge_meanwhile)
    coordination = Caller("pnr-livradois-forez", "", "pnr", "coordination")
    erasure.request_erasure(hub, coordination, {"porteur_id": erased.porteur_id})
    assert merged
    with hub.uow() as uow:
        assert uow.fiches.porteur_of("commune-ambert", "F-ORPHELIN").porteur_id == \
            erased.porteur_id
        assert uow.keys.erased([brought.id, erased.id]) == {brought.id, erased.id}
