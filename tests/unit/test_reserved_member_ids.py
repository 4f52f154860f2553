"""The hub's own actors (`hub`, `rapprochement`) are never member ids: a network file
naming one is refused, so no audit entry or merge of the hub's is read as a member's."""

from __future__ import annotations

import json

import pytest

from hub.domain import actors
from hub.errors import InvalidNetworkFile
from hub.services.accounts.members import read_network_file
from hub.services.matching.chains import ACTOR


def _network(tmp_path, member_id: str):
    member = {"id": member_id, "nom": "Structure", "nature": "pfil",
              "role": "accueil", "contact": {"courriel": "contact@exemple.fr"}}
    path = tmp_path / "network.json"
    path.write_text(json.dumps({"reseau": "test", "membres": [member]}))
    return path


@pytest.mark.parametrize("member_id", [actors.HUB, actors.MATCHING])  # the schema's pattern
# already refuses `ligne_de_commande` (no underscore)
def test_a_network_file_naming_a_hub_actor_is_refused(tmp_path, member_id):
    with pytest.raises(InvalidNetworkFile, match="reserved to the hub"):
        read_network_file(_network(tmp_path, member_id))


def test_the_matching_actor_is_reserved():
    assert ACTOR in actors.RESERVED


def test_an_ordinary_member_id_is_read(tmp_path):
    assert read_network_file(_network(tmp_path, "mairie-ambert"))["membres"][0]["id"] == \
        "mairie-ambert"
