"""Request signatures follow docs/protocol.md; webhook signatures are checked strictly."""

import hashlib
import time

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from connectors import signing
from connectors.client import HubClient
from connectors.errors import BadWebhookSignature, StaleWebhook, WebhookVerificationError
from connectors.receiver import WebhookReceiver

BODY = b'{"delivery_id":"dlv_1","event":"created"}'


def test_the_signed_request_message_is_the_documented_one():
    message = signing.request_message("1700000000", "n" * 16, "post", "/v1/feed?after=42", b"{}")
    assert message == (b"capactif-v1\n1700000000\n" + b"n" * 16 + b"\nPOST\n/v1/feed?after=42\n"
                       + hashlib.sha256(b"{}").hexdigest().encode())


def test_each_request_gets_a_fresh_nonce_and_a_verifiable_signature():
    key = Ed25519PrivateKey.generate()
    first = signing.sign_request(key, "GET", "/v1/feed", b"", now=1700000000)
    second = signing.sign_request(key, "GET", "/v1/feed", b"", now=1700000000)
    assert first["X-Capactif-Nonce"] != second["X-Capactif-Nonce"]
    message = signing.request_message("1700000000", first["X-Capactif-Nonce"], "GET", "/v1/feed",
                                      b"")
    key.public_key().verify(signing.b64url_decode(first["X-Capactif-Signature"]), message)
    assert "=" not in first["X-Capactif-Signature"]


@pytest.fixture
def hub_key():
    private, public = signing.generate_key_pair()
    return signing.load_private_key(private), public


def test_a_well_signed_webhook_verifies(hub_key):
    private, public = hub_key
    headers = signing.sign_webhook(private, "hub-2025", BODY)
    assert HubClient.verify_webhook(headers, BODY, public) == "hub-2025"
    lowered = {k.lower(): v for k, v in headers.items()}
    assert signing.verify_webhook(lowered, BODY, {"hub-2025": public}) == "hub-2025"


def test_a_tampered_body_fails_verification(hub_key):
    private, public = hub_key
    headers = signing.sign_webhook(private, "hub-2025", BODY)
    with pytest.raises(BadWebhookSignature):
        signing.verify_webhook(headers, BODY.replace(b"created", b"erased"), public)


def test_a_signature_by_another_key_fails_verification(hub_key):
    _, public = hub_key
    headers = signing.sign_webhook(Ed25519PrivateKey.generate(), "hub-2025", BODY)
    with pytest.raises(BadWebhookSignature):
        signing.verify_webhook(headers, BODY, public)


def test_a_stale_webhook_is_refused_even_when_well_signed(hub_key):
    private, public = hub_key
    headers = signing.sign_webhook(private, "hub-2025", BODY, now=time.time() - 301)
    with pytest.raises(StaleWebhook):
        signing.verify_webhook(headers, BODY, public)


def test_an_unknown_key_id_or_missing_headers_are_refused(hub_key):
    private, public = hub_key
    headers = signing.sign_webhook(private, "hub-2026", BODY)
    with pytest.raises(BadWebhookSignature):
        signing.verify_webhook(headers, BODY, {"hub-2025": public})
    with pytest.raises(WebhookVerificationError):
        signing.verify_webhook({}, BODY, public)


def test_the_receiver_stores_a_delivery_once_by_its_id(tmp_path, hub_key):
    private, public = hub_key
    receiver = WebhookReceiver(tmp_path / "livraisons", {"hub-2025": public})
    headers = signing.sign_webhook(private, "hub-2025", BODY)
    assert receiver.handle(headers, BODY) == (200, {"delivery_id": "dlv_1", "status": "stored"})
    again = signing.sign_webhook(private, "hub-2025", BODY)
    assert receiver.handle(again, BODY)[1]["status"] == "duplicate"
    assert [p.name for p in receiver.deliveries()] == ["dlv_1.json"]
    assert receiver.deliveries()[0].read_bytes() == BODY


def test_the_receiver_writes_nothing_for_a_bad_signature(tmp_path, hub_key):
    _, public = hub_key
    receiver = WebhookReceiver(tmp_path / "livraisons", public)
    headers = signing.sign_webhook(Ed25519PrivateKey.generate(), "hub-2025", BODY)
    status, answer = receiver.handle(headers, BODY)
    assert status == 401 and answer["error"]["code"] == "webhook_bad_signature"
    assert receiver.deliveries() == []
