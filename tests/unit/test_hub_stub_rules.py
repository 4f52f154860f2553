"""The demo's hub stub answers as the hub does where partners' code depends on it
(docs/protocol.md): the same version resent with whole floats is a duplicate, and a
cursor ahead of the member's last position is answered with that position."""

from __future__ import annotations

import pytest

from capactif_demo.sim.hub_stub import HubStub
from connectors.client import HubClient
from connectors.errors import HubRequestRejected


@pytest.fixture
def stub_client():
    with HubStub(validate=False) as stub:
        creds = stub.add_member("cci-63")
        yield stub, HubClient(creds["hub_url"], "cci-63", creds["token"], creds["cle_privee"])


def test_a_version_resent_with_whole_floats_is_a_duplicate(stub_client):
    _stub, client = stub_client
    fiche = {"membre": "cci-63", "fiche_id": "F-1", "version": 1,
             "financement": [{"montant": 8000}]}
    first = client.push_fiches([fiche]).items[0]
    again = client.push_fiches([{**fiche, "financement": [{"montant": 8000.0}]}]).items[0]
    assert (again.status, again.receipt["content_hash"]) == ("accepted",
                                                             first.receipt["content_hash"])
    assert again.duplicate and not first.duplicate


def test_a_cursor_ahead_is_answered_with_the_last_position(stub_client):
    stub, client = stub_client
    stub.deliveries.extend({"destinataire": "cci-63", "n": n} for n in range(3))
    ahead = client.request("GET", "/v1/feed?after=10")
    assert (ahead["next_cursor"], ahead["cursor_ahead"], ahead["deliveries"]) == ("3", True, [])
    read = client.request("GET", "/v1/feed?after=1")
    assert ([d["n"] for d in read["deliveries"]], read["next_cursor"], read["cursor_ahead"]) \
        == ([1, 2], "3", False)


@pytest.mark.parametrize("fiche_id", ["Marie Dupont", "F-１2", "F-1\n", "Dupont,Marie"])
def test_a_rejected_item_repeats_its_fiche_id_only_when_it_is_an_id(fiche_id):
    """As the hub (docs/protocol.md): a rejected item is known by its index, its fiche_id
    repeated only when the schema takes it for one."""
    with HubStub() as stub:
        creds = stub.add_member("cci-63")
        client = HubClient(creds["hub_url"], "cci-63", creds["token"], creds["cle_privee"])
        answer = client.request("POST", "/v1/fiches", {"fiches": [
            {"membre": "cci-63", "fiche_id": fiche_id, "version": 1},
            {"membre": "cci-63", "fiche_id": "F-OK.2", "version": 1}]})
    rejected, named = answer["results"]
    assert rejected["status"] == "rejected" and "fiche_id" not in rejected
    assert (named["status"], named["fiche_id"]) == ("rejected", "F-OK.2")


@pytest.mark.parametrize("query", ["after=-1", "after=abc", "limit=0", "limit=501", "after=1e3"])
def test_a_bad_cursor_or_limit_is_an_invalid_parameter(stub_client, query):
    _stub, client = stub_client
    with pytest.raises(HubRequestRejected) as refused:
        client.request("GET", f"/v1/feed?{query}")
    assert refused.value.hub_code == "invalid_parameter"
