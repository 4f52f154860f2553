"""One base64url codec: the same text as every former helper, both padding forms read back."""

from __future__ import annotations

import base64
import binascii

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from connectors import b64url, standard_webhooks
from connectors.http_signatures import sign_request_rfc9421
from consent.receipts import sign_receipt
from consent.shredding import seal, unseal
from hub.keys import load_public_key, public_key_text


@given(st.binary(max_size=80))
def test_unpadded_text_is_what_the_former_helpers_wrote_and_reads_back(raw):
    text = b64url.encode(raw)
    assert text == base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
    assert "=" not in text and "+" not in text and "/" not in text
    assert b64url.decode(text) == raw


@given(st.binary(max_size=80))
def test_padded_text_is_the_standard_library_s_and_reads_back(raw):
    text = b64url.encode_padded(raw)
    assert text == base64.urlsafe_b64encode(raw).decode("ascii")
    assert len(text) % 4 == 0
    assert b64url.decode(text) == raw


@pytest.mark.parametrize("text", ["a", "ab=c", "abc\u00e9"])
def test_malformed_text_is_a_value_error(text):
    with pytest.raises(ValueError):
        b64url.decode(text)
    assert issubclass(binascii.Error, ValueError)


def test_each_format_keeps_the_padding_rule_of_its_standard():
    key = Ed25519PrivateKey.generate()
    assert len(public_key_text(key.public_key())) == 43  # JWK-style: no padding
    assert load_public_key(public_key_text(key.public_key())) is not None
    receipt = sign_receipt({"recu_id": "rcp_1"}, key, "k")
    assert receipt["signature"]["valeur"].endswith("==")  # 64 bytes, padded since v1
    sealed = seal(bytes(32), b"x", "c")
    assert sealed.startswith("v1.") and len(sealed) % 4 == 3  # "v1." + padded base64url
    assert unseal(bytes(32), sealed, "c") == b"x"
    webhook = standard_webhooks.sign(key, "msg_1", b"{}", now=1767225600)
    signature = webhook[standard_webhooks.SIGNATURE_HEADER].removeprefix("v1a,")
    assert base64.b64decode(signature, validate=True) and signature.endswith("==")  # standard base64
    rfc9421 = sign_request_rfc9421(key, "cci-63", "GET", "/v1/feed", b"")["Signature"]
    assert rfc9421.startswith("sig1=:") and base64.b64decode(rfc9421[6:-1], validate=True)
