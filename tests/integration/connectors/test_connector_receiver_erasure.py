"""The member's webhook receiver (`capactif connector receive --folder`) after a withdrawal
or an erasure: the hub's notice asks the member to delete what it received of the fiche,
and the receiver's folder is the member's copy. Real deliveries from the hub, both
stores."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization

from connectors.receiver import WebhookReceiver
from hub.services.delivery import webhooks
from hub.services.privacy import consents, erasure
from tests.factories import other_porteur
from tests.integration.world import OWNER, fiche, push_and_process

pytestmark = pytest.mark.integration
NAME = "Marqueurdenom"


def _named(fiche_id: str, version: int = 1) -> dict:
    document = fiche(fiche_id, version)
    document["porteur"]["nom"] = NAME
    return document


def _receiver(hub, folder) -> WebhookReceiver:
    raw = hub.hub_key.public_key.public_bytes(serialization.Encoding.Raw,
                                              serialization.PublicFormat.Raw)
    return WebhookReceiver(folder, {hub.hub_key.key_id: raw})


def _take(receiver: WebhookReceiver, recipient, start: int) -> list[dict]:
    answers = []
    for received in recipient.received[start:]:
        status, answer = receiver.handle(received["headers"], received["body"])
        assert status == 200, answer
        answers.append(answer)
    return answers


def _stop(hub, how: str) -> None:
    if how == "withdrawn":
        record = hub.consents.consent_for_fiche(OWNER.member_id, "F-1", "CST-F-1")
        consents.withdraw_consent(hub, OWNER, record.id)
    elif how == "erased":
        erasure.request_erasure(hub, OWNER, {"fiche_id": "F-1"})
    else:
        erasure.delete_fiche(hub, OWNER, OWNER.member_id, "F-1")


@pytest.mark.parametrize("how", ["withdrawn", "erased", "removed"])
def test_the_receiver_s_folder_keeps_nothing_of_a_fiche_withdrawn_or_erased(network, tmp_path, how):
    """Before, every delivery stayed in the folder, name and all, beside the notice asking
    to delete it: the member's copy outlived the porteur's withdrawal or erasure. The
    notice is kept (the member's system acknowledges it); another fiche's deliveries stay."""
    hub, _clock, cci, _pfil = network
    push_and_process(hub, _named("F-1"))
    push_and_process(hub, _named("F-1", 2))
    push_and_process(hub, fiche("F-2", porteur=other_porteur(2)))  # another person
    webhooks.dispatch_webhooks(hub)
    receiver = _receiver(hub, tmp_path / "livraisons")
    assert len(_take(receiver, cci, 0)) == 3
    assert sum(NAME in p.read_text() for p in receiver.deliveries()) == 2
    sent = len(cci.received)
    _stop(hub, how)
    webhooks.dispatch_webhooks(hub)
    [answer] = _take(receiver, cci, sent)
    assert answer["status"] == "stored" and answer["copies_supprimees"] == 2
    kept = [p.read_text() for p in receiver.deliveries()]
    assert not [text for text in kept if NAME in text]
    assert len(kept) == 2 and sum('"F-2"' in text for text in kept) == 1
