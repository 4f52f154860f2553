"""An erasure's status counts what the erasure erased: `fiches_effacees` counted the
requester's fiches of the porteur at the time of reading, so a fiche pushed later and
linked to the porteur raised it (docs/privacy.md, "Decided once"). Both stores."""

from __future__ import annotations

import json

import pytest

from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.members import load_network
from hub.services.privacy import erasure, erasure_requests
from tests.factories import Clock
from tests.fakes.publisher import RecordingPublisher
from tests.integration.dedup_world import (
    AMBERT,
    CCI,
    COMMUNE,
    COORDINATOR,
    PERSON,
    fiche_of,
    porteur_of,
    push,
)
from tests.receiver import Recipient

pytestmark = pytest.mark.integration


@pytest.fixture
def network(db_url, tmp_path):
    """The commune (accueil, no webhook), the CCI and the coordination, both subscribed to
    Ambert and sent their deliveries by webhook."""
    with Recipient() as cci, Recipient() as coordination:
        members = [_member(COMMUNE), _member(CCI, cci.url), _member(COORDINATOR, coordination.url)]
        (tmp_path / "network.json").write_text(json.dumps({"reseau": "test", "membres": members}))
        settings = Settings(data_dir=tmp_path / "data", database_url=db_url,
                            webhook_retry_base_s=1, webhook_give_up_after_s=3600)
        hub = Hub.from_settings(settings, publisher=RecordingPublisher(), clock=Clock())
        load_network(hub, tmp_path / "network.json", tmp_path / "creds")
        yield hub, {CCI.member_id: cci, COORDINATOR.member_id: coordination}
        hub.close()


def _member(caller, webhook=None) -> dict:
    member = {"id": caller.member_id, "nom": caller.member_id, "nature": caller.kind,
              "role": caller.role, "contact": {"courriel": f"{caller.member_id}@exemple.fr"}}
    if webhook:
        member |= {"webhook": webhook, "abonnements": [{"communes": [AMBERT]}]}
    return member


def test_the_erasure_s_count_of_fiches_erased_does_not_change_after_the_fact(network):
    """The commune erases its fiche, the CCI declines (its fiche keeps the porteur); the
    commune later pushes a new fiche of the person, linked to the porteur: the erasure
    still erased one fiche."""
    hub, _recipients = network
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON))
    push(hub, CCI, fiche_of(CCI, "C-1", PERSON))
    answer = erasure.request_erasure(hub, COMMUNE, {"fiche_id": "A-1"})
    assert answer["fiches_effacees"] == 1
    erasure_requests.answer_request(hub, CCI, answer["effacement"], {
        "reponse": "refusee", "motif": "obligation_legale"})
    hub.clock.advance(seconds=1)
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-2", PERSON))
    assert porteur_of(hub, COMMUNE, "A-2") == answer["porteur_id"]
    assert erasure.read_erasure(hub, COMMUNE, answer["effacement"])["fiches_effacees"] == 1
