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


NOTICE = {"texte": "Vos données servent à vous orienter vers les membres du réseau.",
          "langue": "fr", "finalites": ["orientation"]}


@pytest.mark.parametrize("terms", [{}, {"langue": "en"}, {"finalites": ["accompagnement"]}])
def test_a_member_registering_another_member_s_notice_text_gets_its_own(contract, terms):
    """The same text registered by a member answered that member's notice (its version,
    its date, its name) with 200, or a 409 naming its version when the terms differed:
    whether another member registered a text, and when. Each member gets its own notice,
    created (201) under its own terms."""
    theirs = contract.call(RECIPIENT, "POST", "/v1/notices", NOTICE).json()
    mine = contract.call(OWNER, "POST", "/v1/notices", NOTICE | terms)
    assert mine.status_code == 201, mine.text
    assert mine.json()["membre"] == OWNER and mine.json()["version"] != theirs["version"]
    assert mine.json()["empreinte"] == theirs["empreinte"]  # the text's SHA-256, as cited
    again = contract.call(OWNER, "POST", "/v1/notices", NOTICE | terms)
    assert (again.status_code, again.json()) == (200, mine.json())
    listed = contract.call(OWNER, "GET", "/v1/notices").json()["notices"]
    assert [n["version"] for n in listed] == [mine.json()["version"]]


def test_reading_another_member_s_notice_by_version_shows_the_text_not_who_registered_it(contract):
    """Any member reads a notice by version (a consent it received data under cites it):
    the text, language, purposes and SHA-256, never who registered it nor when."""
    theirs = contract.call(RECIPIENT, "POST", "/v1/notices", NOTICE).json()
    read = contract.call(OWNER, "GET", f"/v1/notices/{theirs['version']}")
    assert read.status_code == 200, read.text
    shown = read.json()
    assert {k: shown[k] for k in ("version", "empreinte", "texte", "langue", "finalites")} == {
        k: theirs[k] for k in ("version", "empreinte", "texte", "langue", "finalites")}
    assert shown.get("membre") is None and shown.get("enregistree_le") is None
    own = contract.call(RECIPIENT, "GET", f"/v1/notices/{theirs['version']}").json()
    assert own == theirs
