"""A pair set aside (« unknown ») or judged different, then one side's consent withdrawn:
the item is closed like an open one, no longer listed among the pairs to revisit, and
cannot be reopened against the withdrawn fiche. Both databases."""

from __future__ import annotations

import datetime as dt

import pytest

from hub.errors import NotFound
from hub.services.accounts.sessions import ConsoleSession
from hub.services.console import review_revisits
from hub.services.matching import duplicates
from hub.services.privacy import consents
from tests.factories import record_consents
from tests.integration.dedup_world import (
    CCI,
    COMMUNE,
    COORDINATOR,
    NAMES_ONLY,
    PERSON,
    fiche_of,
    hub_for,
    push,
)

pytestmark = pytest.mark.integration
ACTOR = COORDINATOR.member_id
VISIBLE = {**NAMES_ONLY, "date_naissance": PERSON["date_naissance"]}
SESSION = ConsoleSession("u1", "coord", "coordinator", ACTOR, "x",
                         dt.datetime(2100, 1, 1, tzinfo=dt.UTC))


@pytest.fixture
def hub(db_url, tmp_path):
    for hub, _clock in hub_for(db_url, tmp_path):
        yield hub


@pytest.mark.parametrize("decision", ["unknown", "different"])
def test_a_decided_item_closes_when_a_side_is_withdrawn_and_is_not_reopened(hub, decision):
    full = fiche_of(COMMUNE, "A-1", PERSON)
    [record] = record_consents(hub, [full])
    push(hub, COMMUNE, full, consent=False)
    push(hub, CCI, fiche_of(CCI, "C-1", VISIBLE))
    [item] = duplicates.list_review_items(hub, actor=ACTOR)["items"]
    duplicates.decide(hub, item["id"], decision, actor=ACTOR)
    assert [i["id"] for i in review_revisits.revisitable(hub, SESSION)["items"]] == [item["id"]]
    consents.withdraw_consent(hub, COMMUNE, record.id)
    assert duplicates.outcome(hub, item["id"])["statut"] == "withdrawn"
    assert review_revisits.revisitable(hub, SESSION)["items"] == []
    with pytest.raises(NotFound):
        review_revisits.reopen(hub, SESSION, item["id"])
    assert duplicates.list_review_items(hub, actor=ACTOR)["items"] == []
