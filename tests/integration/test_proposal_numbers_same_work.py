"""A member answering a referent proposal by the meeting's number learns nothing of the
numbers not made to it: another member's proposal, a parrain noted or an item « à voir »
under a number is answered as a number that does not exist, with the same statements
run (one more for an existing number told, by the time, how many decisions the
meeting made). Real HTTP, both databases."""

from __future__ import annotations

import json

import pytest

from hub.services.console import meeting_actions
from tests.factories import Credentials
from tests.integration.dedup_world import (
    CCI,
    COMMUNE,
    COORDINATION_SESSION,
    PERSON,
    fiche_of,
    porteur_of,
    push,
    world_behind_http,  # noqa: F401  (the `world` fixture)
)
from tests.integration.test_existence_oracles import statements_run

pytestmark = pytest.mark.integration


def test_a_number_not_made_to_the_member_runs_what_a_missing_number_runs(world):
    hub, client, creds = world
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON))
    porteur = porteur_of(hub, COMMUNE, "A-1")
    meeting_actions.record_parrain(hub, COORDINATION_SESSION, porteur, "Jean Parrain", "note")
    meeting_actions.propose_referent(hub, COORDINATION_SESSION, porteur, COMMUNE.member_id)
    signer = Credentials(creds / f"{CCI.member_id}.json")
    body = json.dumps({"reponse": "acceptee"}).encode()

    def answer(number: int):
        target = f"/v1/referent-proposals/{number}/answer"
        with statements_run() as run:
            told = client.post(target, content=body,
                               headers=signer.rfc9421_headers("POST", target, body))
        return told.status_code, told.json(), run

    missing = answer(999)
    for number in (1, 2):  # the parrain noted, the commune's proposal
        assert answer(number) == missing
    assert missing[0] == 404
