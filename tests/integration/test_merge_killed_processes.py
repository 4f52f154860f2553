"""A coordinator's « same » decision (a merge) and an unmerge, each run in a real process
killed with SIGKILL right after its transaction committed (before it answered), on
SQLite and PostgreSQL: what committed is whole (the porteur links, the history, the
notices, the review item closed) and its access event is on record with it. The event
was written after the commit: a kill in between left a merge or a separation no access
log entry told the DPO of. Asked again, each is refused clearly (already decided, nothing
to unmerge)."""

from __future__ import annotations

import pytest

from hub.domain.matching.model import CONFIRMED_FLAGS
from hub.errors import NothingToUnmerge, ReviewItemClosed
from hub.services.delivery.feed import read_feed
from hub.services.matching import duplicates
from tests.integration.dedup_world import (
    CCI,
    COMMUNE,
    COORDINATOR,
    NAMES_ONLY,
    PERSON,
    fiche_of,
    hub_for,
    porteur_of,
    push,
)
from tests.integration.killed import run_killed

pytestmark = pytest.mark.integration
ACTOR = COORDINATOR.member_id

# the decision (argv: "decide" ITEM) or the unmerge (argv: "unmerge" PORTEUR), killed as
# soon as its transaction committed
_KILLED_AFTER_COMMIT = """
import os, sys
from hub.bootstrap import Hub
from hub.config import Settings
from hub.domain.matching.model import CONFIRMED_FLAGS
from hub.services.matching import duplicates
from hub.store import uow

hub = Hub.from_settings(Settings.from_env())
committed = uow.UnitOfWork.commit

def commit(self):
    committed(self)
    os.kill(os.getpid(), 9)

uow.UnitOfWork.commit = commit
actor = "pnr-livradois-forez"
if sys.argv[1] == "decide":
    duplicates.decide(hub, int(sys.argv[2]), "same", confirmed=CONFIRMED_FLAGS, actor=actor)
else:
    duplicates.unmerge(hub, sys.argv[2], "cci-puy-de-dome", "C-1", actor=actor)
"""


@pytest.fixture
def queued(db_url, tmp_path):
    """A commune's full fiche and a chamber's names-only fiche of the same person: queued."""
    for hub, _clock in hub_for(db_url, tmp_path):
        push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON))
        push(hub, CCI, fiche_of(CCI, "C-1", NAMES_ONLY))
        [item] = duplicates.list_review_items(hub, actor=ACTOR)["items"]
        yield hub, item


def _killed_after_commit(hub, *args: str) -> None:
    run_killed(hub, _KILLED_AFTER_COMMIT, *args)


def _notices(hub, caller, event):
    return [d for d in read_feed(hub, caller, 0, 500)["deliveries"] if d["evenement"] == event]


def test_a_merge_killed_after_its_commit_is_whole_and_has_its_access_event(queued):
    hub, item = queued
    provisional, kept = (side["porteur_id"] for side in item["cotes"])

    _killed_after_commit(hub, "decide", str(item["id"]))

    assert porteur_of(hub, CCI, "C-1") == kept
    [merged] = duplicates.merge_history(hub, kept)
    assert (merged["type"], merged["autre_porteur_id"]) == ("fusion", provisional)
    assert duplicates.list_review_items(hub, actor=ACTOR)["items"] == []
    assert duplicates.outcome(hub, item["id"])["statut"] == "same"
    assert len(_notices(hub, COMMUNE, "merged")) == 1
    assert len(hub.audit.search(action="merge", limit=10)) == 1, "no merge access event"
    with pytest.raises(ReviewItemClosed):
        duplicates.decide(hub, item["id"], "same", confirmed=CONFIRMED_FLAGS, actor=ACTOR)


def test_an_unmerge_killed_after_its_commit_is_whole_and_has_its_access_event(queued):
    hub, item = queued
    provisional, kept = (side["porteur_id"] for side in item["cotes"])
    duplicates.decide(hub, item["id"], "same", confirmed=CONFIRMED_FLAGS, actor=ACTOR)

    _killed_after_commit(hub, "unmerge", kept)

    assert porteur_of(hub, CCI, "C-1") == provisional
    assert porteur_of(hub, COMMUNE, "A-1") == kept
    assert [e["type"] for e in duplicates.merge_history(hub, kept)] == ["separation", "fusion"]
    assert len(_notices(hub, COMMUNE, "unmerged")) == 1
    assert len(hub.audit.search(action="unmerge", limit=10)) == 1, "no unmerge access event"
    with pytest.raises(NothingToUnmerge):
        duplicates.unmerge(hub, kept, CCI.member_id, "C-1", actor=ACTOR)
