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


def test_two_separations_of_one_fiche_at_once_make_one(pg_coordination, monkeypatch) -> None:
    hub, session = pg_coordination["hub"], pg_coordination["session"]
    [item] = duplicates.list_review_items(hub)["items"]
    queue.decide(hub, session, item["id"], "same")
    with hub.uow() as uow:
        kept = uow.fiches.porteur_of("commune-ambert", "F-DOUBLE-A").porteur_id
    barrier = threading.Barrier(2, timeout=5)  # under the lock's 10 s: the other waits
    deciding = merges._deciding_item

    def both_past_the_checks(uow, porteur_id, fiche_pk):  # type: ignore[no-untyped-def]
        found = deciding(uow, porteur_id, fiche_pk)
        # met when each has read the fiche under the porteur before either moves it;
        # broken when the other waits for the porteur's lock
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return found

    monkeypatch.setattr(merges, "_deciding_item", both_past_the_checks)
    outcomes: list[str] = []

    def separate() -> None:
        try:
            queue.unmerge(hub, session, kept, "cci-puy-de-dome", "F-DOUBLE-B")
            outcomes.append("done")
        except NothingToUnmerge:
            outcomes.append("refused")

    threads = [threading.Thread(target=separate) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sorted(outcomes) == ["done", "refused"]
    history = duplicates.merge_history(hub, limit=50)
    assert sum(event["type"] == "separation" for event in history) == 1


def test_separating_the_two_fiches_of_a_porteur_at_once_keeps_one(pg_coordination,
                                                                  monkeypatch) -> None:
    """Each transaction saw the other fiche still there: both moved theirs out, the
    second failed with a raw unique violation (a 500), or the porteur ended empty."""
    hub, session = pg_coordination["hub"], pg_coordination["session"]
    [item] = duplicates.list_review_items(hub)["items"]
    queue.decide(hub, session, item["id"], "same")
    with hub.uow() as uow:
        kept = uow.fiches.porteur_of("commune-ambert", "F-DOUBLE-A").porteur_id
    barrier = threading.Barrier(2, timeout=5)
    deciding = merges._deciding_item

    def both_past_the_checks(uow, porteur_id, fiche_pk):  # type: ignore[no-untyped-def]
        found = deciding(uow, porteur_id, fiche_pk)
        # met only when both read the porteur at once (no lock held between)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return found

    monkeypatch.setattr(merges, "_deciding_item", both_past_the_checks)
    outcomes: list[str] = []

    def separate(member: str, fiche: str) -> None:
        try:
            queue.unmerge(hub, session, kept, member, fiche)
            outcomes.append("done")
        except NothingToUnmerge:
            outcomes.append("refused")
        except Exception as exc:  # the outcome (a raw database error) is what it reads
            outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=separate, args=pair) for pair in
               (("commune-ambert", "F-DOUBLE-A"), ("cci-puy-de-dome", "F-DOUBLE-B"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sorted(outcomes) == ["done", "refused"], outcomes
    with hub.uow() as uow:
        assert len(uow.fiches.of_porteur(kept)) == 1
