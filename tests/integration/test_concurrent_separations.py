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
