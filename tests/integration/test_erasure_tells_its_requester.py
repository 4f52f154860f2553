"""An erasure tells every recipient of what it takes away, its requester included (GDPR
art. 19; docs/privacy.md, "Erasure requests: who learns what"). Found from outside:

- the coordination erasing a porteur whose fiches it had been sent was left out of the
  `erased` notices (the notices went to everyone concerned but the requester): not in
  `avis_envoyes` nor the erasure's `avis`, and its receiving folder kept the fiches;
- a member erasing its fiche at the porteur's request, the other owner declining: what
  that owner had sent it is withheld from it since (`data_erased`), but no notice listed
  those deliveries, so its receiving folder kept the other owner's fiche for good;
- a coordinator confirming in the console for an owner that did not answer erased the
  owner's fiches in its name, and the owner, the erasure's requester, was told nothing;
- the erasure's `fiches_effacees` counted the requester's fiches of the porteur at the
  time of reading: a fiche pushed later raised it.

Real webhooks to local HTTP recipients, read by the member's receiver (`capactif
connector receive --folder`); both stores."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization

from connectors.receiver import WebhookReceiver
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.members import load_network
from hub.services.delivery import webhooks
from hub.services.delivery.feed import read_feed
from hub.services.ops import recovery
from hub.services.privacy import erasure, erasure_requests
from tests.factories import Clock
from tests.fakes.publisher import RecordingPublisher
from tests.integration.dedup_world import (
    AMBERT,
    CCI,
    COMMUNE,
    COORDINATION_SESSION,
    COORDINATOR,
    PERSON,
    fiche_of,
    porteur_of,
    push,
)
from tests.integration.world import IN_PROCESS_LEASE_S
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
                            webhook_retry_base_s=1, webhook_give_up_after_s=3600,
                            webhook_lease_s=IN_PROCESS_LEASE_S)
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


class _Folder:
    """One member's receiving folder, fed with every webhook its recipient got."""

    def __init__(self, hub, recipient, folder) -> None:
        raw = hub.hub_key.public_key.public_bytes(serialization.Encoding.Raw,
                                                  serialization.PublicFormat.Raw)
        self.receiver = WebhookReceiver(folder, {hub.hub_key.key_id: raw})
        self.recipient, self.taken = recipient, 0

    def take(self, hub) -> None:
        webhooks.dispatch_webhooks(hub)
        for received in self.recipient.received[self.taken:]:
            status, answer = self.receiver.handle(received["headers"], received["body"])
            assert status == 200, answer
        self.taken = len(self.recipient.received)

    def data_of(self) -> list[tuple[str, str]]:
        """(member, fiche id) of each fiche the folder still holds."""
        documents = [json.loads(p.read_bytes()) for p in self.receiver.deliveries()]
        return sorted((d["source"]["membre"], d["source"]["fiche_id"]) for d in documents
                      if d["evenement"] in ("created", "updated"))


def _erased_notices(hub, caller) -> list[dict]:
    return [d for d in read_feed(hub, caller, 0, 500)["deliveries"] if d["evenement"] == "erased"]


def test_the_coordination_erasing_a_porteur_it_was_sent_is_told_like_every_recipient(
        network, tmp_path):
    hub, recipients = network
    folder = _Folder(hub, recipients[COORDINATOR.member_id], tmp_path / "pnr")
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON))
    push(hub, CCI, fiche_of(CCI, "C-1", PERSON))
    folder.take(hub)
    assert folder.data_of() == sorted([(COMMUNE.member_id, "A-1"), (CCI.member_id, "C-1")])
    answer = erasure.request_erasure(hub, COORDINATOR, {
        "porteur_id": porteur_of(hub, COMMUNE, "A-1")})
    assert COORDINATOR.member_id in answer["avis_envoyes"]
    told = erasure.read_erasure(hub, COORDINATOR, answer["effacement"])["avis"]
    assert {"membre": COORDINATOR.member_id, "statut": "pending"} in told
    folder.take(hub)
    assert folder.data_of() == []
    [notice] = _erased_notices(hub, COORDINATOR)
    assert sorted(s["fiche_id"] for s in notice["sources"]) == ["A-1", "C-1"]
    erasure.acknowledge(hub, COORDINATOR, answer["effacement"])


def test_a_member_erasing_at_the_porteur_s_request_is_told_to_delete_what_the_other_owner_sent(
        network, tmp_path):
    """The other owner declines: its fiche stays, and what it sent the requester is no
    longer served to it (`data_erased`); the requester's notice lists those deliveries,
    and its receiving folder deletes them."""
    hub, recipients = network
    folder = _Folder(hub, recipients[CCI.member_id], tmp_path / "cci")
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON))
    folder.take(hub)
    assert folder.data_of() == [(COMMUNE.member_id, "A-1")]
    push(hub, CCI, fiche_of(CCI, "C-1", PERSON))
    assert porteur_of(hub, CCI, "C-1") == porteur_of(hub, COMMUNE, "A-1")
    answer = erasure.request_erasure(hub, CCI, {"fiche_id": "C-1"})
    erasure_requests.answer_request(hub, COMMUNE, answer["effacement"], {
        "reponse": "refusee", "motif": "obligation_legale"})
    assert CCI.member_id in answer["avis_envoyes"]
    assert {"membre": CCI.member_id, "statut": "pending"} in erasure.read_erasure(
        hub, CCI, answer["effacement"])["avis"]
    folder.take(hub)
    assert folder.data_of() == []
    [notice] = _erased_notices(hub, CCI)
    [sent] = [s for s in notice["sources"] if s["membre"] == COMMUNE.member_id]
    assert sent["fiche_id"] == "A-1" and len(sent["livraisons"]) == 1
    # the commune, which declined, is told of the CCI's fiche it was sent, not of its own
    [told] = _erased_notices(hub, COMMUNE)
    assert [s["fiche_id"] for s in told["sources"]] == ["C-1"]


def test_a_member_that_was_sent_nothing_is_not_told_of_its_own_erasure(network):
    hub, _recipients = network
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON))
    answer = erasure.request_erasure(hub, COMMUNE, {"fiche_id": "A-1"})
    assert COMMUNE.member_id not in answer["avis_envoyes"]
    assert _erased_notices(hub, COMMUNE) == []


def test_an_owner_a_coordinator_confirmed_for_in_the_console_is_told_its_fiche_was_erased(
        network):
    hub, _recipients = network
    push(hub, CCI, fiche_of(CCI, "C-1", PERSON))
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON))
    asked = erasure.request_erasure(hub, COMMUNE, {"fiche_id": "A-1"})
    done = erasure_requests.confirm_in_console(hub, COORDINATION_SESSION, asked["effacement"],
                                               CCI.member_id)
    [notice] = [n for n in _erased_notices(hub, CCI)
                if n["effacement"] == done["effacement_des_fiches"]]
    assert notice["sources"] == [{"membre": CCI.member_id, "fiche_id": "C-1", "livraisons": []}]
    assert notice["motif"] == "demande_du_porteur"
    assert {"membre": CCI.member_id, "statut": "pending"} in erasure.read_erasure(
        hub, CCI, done["effacement_des_fiches"])["avis"]


def test_a_restore_tells_again_the_owner_a_coordinator_confirmed_for(network, tmp_path):
    """The confirmation came after the backup: the restore replays it from the recovery
    journal, and the owner's notice with it (the same delivery id)."""
    hub, _recipients = network
    push(hub, CCI, fiche_of(CCI, "C-1", PERSON))
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON))
    asked = erasure.request_erasure(hub, COMMUNE, {"fiche_id": "A-1"})
    recovery.backup(hub, tmp_path / "sauvegarde")
    done = erasure_requests.confirm_in_console(hub, COORDINATION_SESSION, asked["effacement"],
                                               CCI.member_id)["effacement_des_fiches"]
    told = [n["delivery_id"] for n in _erased_notices(hub, CCI) if n["effacement"] == done]
    assert len(told) == 1
    hub.close()
    assert recovery.restore(hub.settings, tmp_path / "sauvegarde").erasures_replayed == [done]
    restored = Hub.from_settings(hub.settings, publisher=RecordingPublisher(), clock=hub.clock)
    try:
        assert [n["delivery_id"] for n in _erased_notices(restored, CCI)
                if n["effacement"] == done] == told
    finally:
        restored.close()


def test_an_owner_confirming_itself_is_not_told_of_its_own_fiche(network):
    """The commune confirms the CCI's request itself: it is told of the CCI's fiche it was
    sent (the CCI's erasure), not of its own."""
    hub, _recipients = network
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", PERSON))
    push(hub, CCI, fiche_of(CCI, "C-1", PERSON))
    asked = erasure.request_erasure(hub, CCI, {"fiche_id": "C-1"})
    done = erasure_requests.answer_request(hub, COMMUNE, asked["effacement"],
                                           {"reponse": "confirmee"})
    assert [n["effacement"] for n in _erased_notices(hub, COMMUNE)] == [asked["effacement"]]
    assert COMMUNE.member_id not in {a["membre"] for a in erasure.read_erasure(
        hub, COMMUNE, done["effacement_des_fiches"])["avis"]}


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
