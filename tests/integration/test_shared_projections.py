"""Recipients of one fiche allowed the same fields share one projection (built once),
while each keeps its own consent decision: a consent naming one member of a role
discloses nothing to the other, on both databases."""

from __future__ import annotations

import pytest

from hub.services.accounts.auth import Caller
from hub.services.delivery import deliveries
from hub.services.delivery.feed import read_feed
from tests.integration.world import THIERS, fiche, network_world, push_and_process

pytestmark = pytest.mark.integration

ARLANC = Caller("commune-arlanc", "Mairie", "commune", "accueil")


@pytest.fixture
def two_welcomers(db_url, tmp_path):
    """The test network with a second commune of role accueil reading its feed."""
    yield from network_world(db_url, tmp_path,
                             extra_members=[(ARLANC.member_id, "commune", "accueil")])


def _feed(hub, caller):
    return read_feed(hub, caller, 0, 100)["deliveries"]


def test_recipients_allowed_the_same_fields_share_one_projection(two_welcomers, monkeypatch):
    hub = two_welcomers[0]
    built = []
    real = deliveries.project
    monkeypatch.setattr(deliveries, "project",
                        lambda document, allowed: built.append(allowed) or real(document, allowed))
    push_and_process(hub, fiche())
    thiers, arlanc = _feed(hub, THIERS), _feed(hub, ARLANC)
    assert len(thiers) == len(arlanc) == 1
    assert thiers[0]["fiche"] == arlanc[0]["fiche"] and thiers[0]["champs"] == arlanc[0]["champs"]
    assert thiers[0]["delivery_id"] != arlanc[0]["delivery_id"]
    # three roles (accueil twice, accompagnement, financement): three projections
    assert len(built) == 3 and len(set(built)) == 3


def test_a_consent_naming_one_member_of_a_role_discloses_nothing_to_the_other(two_welcomers):
    hub = two_welcomers[0]
    push_and_process(hub, fiche(), membres_destinataires=[ARLANC.member_id],
                     roles_destinataires=["accueil"])
    assert _feed(hub, THIERS) == []
    (delivered,) = _feed(hub, ARLANC)
    assert delivered["fiche"]["porteur"]
