"""Deliveries are signed per Standard Webhooks (asymmetric `v1a`, the hub's Ed25519 key),
and carry the former X-Capactif-* signature only until the transition ends."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from cryptography.hazmat.primitives import serialization

from connectors import standard_webhooks
from connectors.errors import BadWebhookSignature
from connectors.receiver import WebhookReceiver
from hub.services.delivery import webhooks
from tests.integration.world import fiche, push_and_process

pytestmark = pytest.mark.integration


def _raw_public(hub) -> bytes:
    return hub.hub_key.public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def test_a_delivery_verifies_per_standard_webhooks_v1a(network):
    hub, _clock, cci, _pfil = network
    push_and_process(hub, fiche())
    webhooks.dispatch_webhooks(hub)
    received = cci.received[0]
    headers = received["headers"]
    assert headers["webhook-id"] == received["document"]["delivery_id"]
    version, _, signature = headers["webhook-signature"].partition(",")
    assert version == "v1a"
    content = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + received["body"]
    hub.hub_key.public_key.verify(base64.b64decode(signature), content)  # the spec, by hand
    whpk = "whpk_" + base64.b64encode(_raw_public(hub)).decode()
    assert standard_webhooks.verify(headers, received["body"], {"hub": whpk}) == "hub"
    with pytest.raises(BadWebhookSignature):
        standard_webhooks.verify(headers, received["body"] + b" ", {"hub": whpk})


def test_the_receiver_stores_a_standard_webhook_without_the_former_headers(network, tmp_path):
    hub, _clock, cci, _pfil = network
    push_and_process(hub, fiche())
    webhooks.dispatch_webhooks(hub)
    received = cci.received[0]
    standard_only = {k: v for k, v in received["headers"].items() if not k.startswith("x-capactif")}
    receiver = WebhookReceiver(tmp_path / "in", {hub.hub_key.key_id: _raw_public(hub)})
    status, answer = receiver.handle(standard_only, received["body"])
    assert (status, answer["status"]) == (200, "stored")
    assert answer["delivery_id"] == received["headers"]["webhook-id"]


def test_the_former_webhook_signature_is_sent_only_until_the_transition_ends(network):
    hub, clock, _cci, _pfil = network
    before = webhooks.sign_webhook(hub, b"{}", "dlv_1")
    assert "X-Capactif-Signature" in before and before["webhook-signature"].startswith("v1a,")
    clock.now = hub.settings.legacy_signatures_end + dt.timedelta(seconds=1)
    after = webhooks.sign_webhook(hub, b"{}", "dlv_1")
    assert "X-Capactif-Signature" not in after and after["webhook-id"] == "dlv_1"
