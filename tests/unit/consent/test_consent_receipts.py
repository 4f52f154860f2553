"""Signed consent receipts: verify with the hub key, fail when anything is changed."""

from __future__ import annotations

import copy
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from capactif_demo.consent_examples import EXAMPLE_TIME, example_record
from consent.receipts import build_receipt, canonical_json, key_id, sign_receipt, verify_receipt

HUB_KEY = Ed25519PrivateKey.generate()
KEYS = {key_id(HUB_KEY.public_key()): HUB_KEY.public_key()}


@pytest.fixture
def signed():
    document = example_record(members=("bge",)).as_document(EXAMPLE_TIME)
    return sign_receipt(build_receipt(document, EXAMPLE_TIME), HUB_KEY)


def test_receipt_verifies_with_the_hub_public_key(signed):
    assert verify_receipt(signed, KEYS)
    assert signed["signature"]["alg"] == "Ed25519"
    assert signed["statut"] == "active" and signed["membres_destinataires"] == ["bge"]


def test_receipt_names_the_porteur_only_by_the_fiche(signed):
    assert signed["porteur"] == {"membre": "pfil-est", "fiche_id": "F1"}


def test_receipt_survives_a_json_round_trip(signed):
    assert verify_receipt(json.loads(json.dumps(signed)), KEYS)


def test_tampered_receipt_fails(signed):
    tampered = copy.deepcopy(signed)
    tampered["finalites"].append("financement")
    assert not verify_receipt(tampered, KEYS)


def test_receipt_signed_by_another_key_or_unknown_kid_fails(signed):
    other = Ed25519PrivateKey.generate()
    forged = sign_receipt(signed, other, kid=signed["signature"]["kid"])
    assert not verify_receipt(forged, KEYS)
    assert not verify_receipt(sign_receipt(signed, other), KEYS)
    assert not verify_receipt({k: v for k, v in signed.items() if k != "signature"}, KEYS)


def test_canonical_json_ignores_key_order():
    assert canonical_json({"b": 1, "a": "é"}) == canonical_json({"a": "é", "b": 1})


@settings(max_examples=30)
@given(field=st.sampled_from(["reference", "mode", "expire_le", "statut", "emis_le", "agent"]),
       value=st.text(min_size=1, max_size=20))
def test_changing_any_field_breaks_the_signature(field, value):
    signed = sign_receipt(build_receipt(example_record().as_document(EXAMPLE_TIME), EXAMPLE_TIME), HUB_KEY)
    tampered = dict(signed)
    if field == "agent":
        tampered["responsable"] = {**signed["responsable"], "agent": value}
        changed = value != signed["responsable"]["agent"]
    else:
        tampered[field] = value
        changed = value != signed[field]
    assert verify_receipt(tampered, KEYS) is not changed
