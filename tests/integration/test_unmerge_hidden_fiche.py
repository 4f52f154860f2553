"""A fiche the coordination may no longer see (its consent withdrawn after the merge) cannot
be split off its porteur, through the API or the console: the answer is the one for a fiche
that does not exist (409 nothing_to_unmerge, the same text), and nothing changes (no new
porteur, no separation recorded, no notice). Real HTTP, both databases."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.errors import NothingToUnmerge
from hub.services.console import duplicates_console
from hub.services.matching import duplicates
from hub.services.privacy import consents
from tests.factories import Credentials, record_consents
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

pytestmark = pytest.mark.integration
ACTOR = COORDINATOR.member_id
VISIBLE = {**NAMES_ONLY, "date_naissance": PERSON["date_naissance"]}


@pytest.fixture
def world(db_url, tmp_path):
    for hub, _clock in hub_for(db_url, tmp_path, console_cookie_secure=False):
        with TestClient(create_app(hub=hub), base_url="http://127.0.0.1",
                        raise_server_exceptions=False) as client:
            yield hub, client, tmp_path / "creds"


def _unmerge(client, creds, porteur, fiche_id):
    target = f"/v1/porteurs/{porteur}/unmerge"
    data = json.dumps({"membre": CCI.member_id, "fiche_id": fiche_id}).encode()
    signer = Credentials(creds / f"{COORDINATOR.member_id}.json")
    return client.post(target, content=data, headers=signer.rfc9421_headers("POST", target, data))


def _merged_then_withdrawn(hub):
    """A-1 and C-1 merged by the coordination, then C-1's consent withdrawn."""
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON))
    later = fiche_of(CCI, "C-1", VISIBLE)
    [record] = record_consents(hub, [later])
    push(hub, CCI, later, consent=False)
    [item] = duplicates.list_review_items(hub, actor=ACTOR)["items"]
    duplicates.decide(hub, item["id"], "same", actor=ACTOR,
                      confirmed=duplicates.flags_of(item["explication"]))
    porteur = porteur_of(hub, COMMUNE, "A-1")
    assert porteur_of(hub, CCI, "C-1") == porteur
    consents.withdraw_consent(hub, CCI, record.id)
    return porteur


def _separations(hub):
    return [e for e in duplicates.merge_history(hub, limit=200) if e["type"] == "separation"]


def test_a_withdrawn_fiche_is_answered_as_a_missing_one_and_not_split_off(world):
    hub, client, creds = world
    porteur = _merged_then_withdrawn(hub)
    missing = _unmerge(client, creds, porteur, "C-404")
    withdrawn = _unmerge(client, creds, porteur, "C-1")
    assert missing.status_code == 409
    assert missing.json()["error"]["code"] == "nothing_to_unmerge"
    assert (withdrawn.status_code, withdrawn.json()) == (missing.status_code, missing.json())
    assert porteur_of(hub, CCI, "C-1") == porteur == porteur_of(hub, COMMUNE, "A-1")
    assert _separations(hub) == []


def test_the_console_cannot_separate_a_withdrawn_fiche_either(world):
    hub, _client, _creds = world
    porteur = _merged_then_withdrawn(hub)
    session = _console_session()
    with pytest.raises(NothingToUnmerge) as missing:
        duplicates_console.unmerge(hub, session, porteur, CCI.member_id, "C-404")
    with pytest.raises(NothingToUnmerge) as withdrawn:
        duplicates_console.unmerge(hub, session, porteur, CCI.member_id, "C-1")
    assert withdrawn.value.args == missing.value.args
    assert porteur_of(hub, CCI, "C-1") == porteur
    assert _separations(hub) == []


def test_a_fiche_still_consented_is_split_off_as_before(world):
    hub, client, creds = world
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON))
    push(hub, CCI, fiche_of(CCI, "C-1", VISIBLE))
    [item] = duplicates.list_review_items(hub, actor=ACTOR)["items"]
    duplicates.decide(hub, item["id"], "same", actor=ACTOR,
                      confirmed=duplicates.flags_of(item["explication"]))
    porteur = porteur_of(hub, COMMUNE, "A-1")
    answer = _unmerge(client, creds, porteur, "C-1")
    assert answer.status_code == 200, answer.text
    assert porteur_of(hub, CCI, "C-1") not in (porteur, None)
    assert len(_separations(hub)) == 1


def _console_session():
    import datetime as dt

    from hub.services.accounts.sessions import ConsoleSession

    return ConsoleSession("u1", "coord", "coordinator", ACTOR, "x",
                          dt.datetime(2100, 1, 1, tzinfo=dt.UTC))
