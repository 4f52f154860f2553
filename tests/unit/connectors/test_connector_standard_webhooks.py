"""Standard Webhooks `v1a` verification as a member runs it (connectors.standard_webhooks)."""

import base64
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from connectors import signing, standard_webhooks
from connectors.errors import BadWebhookSignature, StaleWebhook, WebhookVerificationError

BODY = b'{"delivery_id":"dlv_1","evenement":"created"}'
KEY = Ed25519PrivateKey.generate()
RAW = KEY.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@pytest.mark.parametrize("form", ["whpk_" + base64.b64encode(RAW).decode(), signing.b64url_encode(RAW), RAW],
                         ids=["whpk-base64", "base64url", "raw-bytes"])  # the key is drawn anew per run
def test_a_signed_delivery_verifies_with_the_key_in_any_published_form(form):
    headers = standard_webhooks.sign(KEY, "dlv_1", BODY)
    assert standard_webhooks.verify(headers, BODY, {"hub-1": form}) == "hub-1"
    assert signing.verify_webhook(headers, BODY, {"hub-1": form}) == "hub-1"


def test_during_a_key_rotation_any_listed_signature_and_key_verify():
    old, new = Ed25519PrivateKey.generate(), KEY
    headers = standard_webhooks.sign(new, "dlv_1", BODY)
    other = standard_webhooks.sign(old, "dlv_1", BODY, now=int(headers["webhook-timestamp"]))
    headers["webhook-signature"] = other["webhook-signature"] + " " + headers["webhook-signature"]
    keys = {"old": old.public_key(), "new": RAW}
    assert standard_webhooks.verify(headers, BODY, keys) in {"old", "new"}
    assert standard_webhooks.verify(headers, BODY, {"new": RAW}) == "new"


@pytest.mark.parametrize("change", [
    {"webhook-id": "dlv_2"}, {"webhook-timestamp": "one second earlier"},
    {"webhook-signature": "v1a," + base64.b64encode(b"x" * 64).decode()},
    {"webhook-signature": "v1a,not base64!"},
])
def test_a_changed_header_fails_the_signature(change):
    now = time.time()
    if change.get("webhook-timestamp") == "one second earlier":  # computed when the test runs
        change = {"webhook-timestamp": str(int(now) - 1)}  # (collection may be minutes before)
    headers = {**standard_webhooks.sign(KEY, "dlv_1", BODY, now=now), **change}
    with pytest.raises(BadWebhookSignature):
        standard_webhooks.verify(headers, BODY, {"hub": RAW})


def test_a_changed_body_a_stale_delivery_and_a_symmetric_signature_are_refused():
    headers = standard_webhooks.sign(KEY, "dlv_1", BODY)
    with pytest.raises(BadWebhookSignature):
        standard_webhooks.verify(headers, BODY + b" ", {"hub": RAW})
    with pytest.raises(StaleWebhook):
        standard_webhooks.verify(standard_webhooks.sign(KEY, "dlv_1", BODY, now=time.time() - 301),
                                 BODY, {"hub": RAW})
    with pytest.raises(WebhookVerificationError):
        standard_webhooks.verify({**headers, "webhook-signature": "v1,abc"}, BODY, {"hub": RAW})


@pytest.mark.parametrize("verify", [standard_webhooks.verify, signing.verify_webhook])
@pytest.mark.parametrize("header", ["webhook-timestamp", "x-capactif-timestamp"])
def test_a_timestamp_of_digits_other_than_0_to_9_is_refused_as_unsigned(verify, header):
    headers = {**standard_webhooks.sign(KEY, "dlv_1", BODY), "x-capactif-signature": "abc"}
    headers.pop("webhook-signature") if header == "x-capactif-timestamp" else None
    with pytest.raises(WebhookVerificationError):
        verify({**headers, header: "1²"}, BODY, {"hub": RAW})


def test_the_published_webhook_vector_is_what_the_hub_signs_and_verifies():
    protocol = (Path(__file__).parents[3] / "docs" / "protocol.md").read_text(encoding="utf-8")
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    body = b'{"delivery_id":"dlv_1"}'
    headers = standard_webhooks.sign(key, "dlv_1", body, now=1796300000)
    assert f"webhook-signature: {headers['webhook-signature']}" in protocol
    whpk = "whpk_A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg="
    assert whpk in protocol
    assert standard_webhooks.verify(headers, body, {"hub": whpk}, now=1796300000) == "hub"


def test_the_former_headers_verify_with_the_key_in_its_whpk_form_too():
    headers = signing.sign_webhook(KEY, "hub-1", BODY)
    whpk = "whpk_" + base64.b64encode(RAW).decode()
    assert signing.verify_webhook(headers, BODY, {"hub-1": whpk}) == "hub-1"
