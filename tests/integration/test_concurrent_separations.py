"""Two coordinators separating the same fiche at the same moment, on PostgreSQL (SQLite
serialises writers from the start of each transaction): one separation is made, the
other is refused as already done, and members are told once."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import pytest

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
    queue.decide(hub, session, item["id"], "same")
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

    def both_past_the_checks(uow, porteur, fiche_pk):  # type: ignore[no-untyped-def]
        found = deciding(uow, porteur, fiche_pk)
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
            queue.decide(hub, session, item_id, "same")
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
        second = uow.matching.open_review({
            "fiche_pk": orphan.id, "porteur_id": orphan.porteur_id,
            "candidate_fiche_pk": item.fiche_pk, "candidate_porteur_id": item.porteur_id,
            "probability": 0.7, "explanation": {}, "opened_at": hub.clock()})
        uow.commit()
    assert _decide_at_once(hub, session, monkeypatch, [item.id, second]) == ["done", "done"]
    with hub.uow() as uow:
        holders = {uow.fiches.porteur_of(member, fiche).porteur_id for member, fiche in [
            ("commune-ambert", "F-DOUBLE-A"), ("cci-puy-de-dome", "F-DOUBLE-B"),
            ("commune-ambert", "F-ORPHELIN")]}
        assert holders == {item.candidate_porteur_id}
        assert uow.matching.porteur_status(item.candidate_porteur_id) == "active"
        assert {uow.matching.porteur_status(p) for p in (item.porteur_id, orphan.porteur_id)} \
            == {"merged"}
