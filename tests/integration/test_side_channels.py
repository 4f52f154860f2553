"""Side channels an outside sweep of a running hub found open: what a member could learn
of others (their activity, their notices, the network's volume) or receive beyond its
territory. Each test checks the class, through real HTTP against the app."""

from __future__ import annotations

import pytest

from tests.integration.contract_world import NETWORK, OWNER, RECIPIENT

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("communes", [["43048"], ["63003", "43048"]])
def test_a_member_with_a_territory_cannot_subscribe_beyond_it(contract, communes):
    """A commune (territory 63003) subscribing to another territory's communes received
    every fiche of those porteurs: refused, naming the communes outside, and nothing
    changes."""
    response = contract.call(OWNER, "PUT", "/v1/subscriptions",
                             {"abonnements": [{"besoins": ["financement"]},
                                              {"communes": communes}]})
    assert response.status_code == 403, response.text
    error = response.json()["error"]
    assert error["code"] == "outside_territory"
    assert "43048" in error["message_fr"] and "63003" not in error["message_fr"]
    assert "territoire" in error["message_fr"] and "territory" in error["message_en"]
    kept = contract.call(OWNER, "GET", "/v1/subscriptions").json()
    assert kept["abonnements"] == [{"communes": ["63003"]}]


def test_a_member_subscribes_within_its_territory_and_the_network_wide_ones_anywhere(contract):
    """The territory bounds communes only; a member without a declared territory (a
    CCI, a chamber: network-wide) and the coordination subscribe to any commune."""
    within = {"abonnements": [{"communes": ["63003"], "besoins": ["financement"]},
                              {"stades": ["idee"]}]}
    assert contract.call(OWNER, "PUT", "/v1/subscriptions", within).status_code == 200
    anywhere = {"abonnements": [{"communes": ["43048", "63003"]}]}
    for member in (RECIPIENT, NETWORK):
        response = contract.call(member, "PUT", "/v1/subscriptions", anywhere)
        assert response.status_code == 200, response.text
