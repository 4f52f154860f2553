"""Signed tree heads and witness countersignatures."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.audit.heads import (
    HeadSigner,
    b64url,
    countersign,
    head_from_dict,
    head_to_dict,
    load_public_key,
    public_key_pem,
    raw_public_key,
    verify_cosignature,
    verify_head,
)

ROOT = hashlib.sha256(b"root").digest()


@pytest.fixture(scope="module")
def signer() -> HeadSigner:
    return HeadSigner(Ed25519PrivateKey.generate())


def test_a_signed_head_verifies_with_the_hub_public_key(signer: HeadSigner) -> None:
    head = signer.sign(42, ROOT, 1_790_000_000_000)
    assert verify_head(head, signer.public_key)


def test_a_head_with_another_size_root_or_time_does_not_verify(signer: HeadSigner) -> None:
    head = signer.sign(42, ROOT, 1_790_000_000_000)
    assert not verify_head(replace(head, size=43), signer.public_key)
    assert not verify_head(replace(head, root_hash=bytes(32)), signer.public_key)
    assert not verify_head(replace(head, timestamp_ms=1), signer.public_key)


def test_a_head_does_not_verify_with_another_key(signer: HeadSigner) -> None:
    head = signer.sign(1, ROOT, 1)
    assert not verify_head(head, Ed25519PrivateKey.generate().public_key())


def test_heads_round_trip_through_json(signer: HeadSigner) -> None:
    witness = Ed25519PrivateKey.generate()
    head = signer.sign(7, ROOT, 5)
    head = head.with_cosignature(countersign(head, "dpo-pnr", witness))
    assert head_from_dict(head_to_dict(head)) == head


def test_malformed_heads_are_refused(signer: HeadSigner) -> None:
    document = head_to_dict(signer.sign(7, ROOT, 5))
    for broken in ({**document, "size": -1}, {**document, "root_hash": "ab"},
                   {k: v for k, v in document.items() if k != "signature"}):
        with pytest.raises(ValueError):
            head_from_dict(broken)


def test_a_witness_countersignature_verifies_only_for_that_head(signer: HeadSigner) -> None:
    witness = Ed25519PrivateKey.generate()
    head = signer.sign(10, ROOT, 99)
    cosignature = countersign(head, "dpo-pnr", witness)
    assert verify_cosignature(head, cosignature, witness.public_key())
    assert not verify_cosignature(signer.sign(11, ROOT, 99), cosignature, witness.public_key())
    assert not verify_cosignature(head, cosignature, signer.public_key)


def test_a_witness_signature_is_not_a_hub_signature(signer: HeadSigner) -> None:
    witness = Ed25519PrivateKey.generate()
    head = signer.sign(10, ROOT, 99)
    cosignature = countersign(head, "dpo-pnr", witness)
    forged = replace(head, key_id=cosignature.key_id, signature=cosignature.signature)
    assert not verify_head(forged, witness.public_key())


def test_public_keys_load_from_pem_or_base64url_raw(signer: HeadSigner) -> None:
    pem = public_key_pem(signer.public_key)
    raw = b64url(raw_public_key(signer.public_key))
    assert raw_public_key(load_public_key(pem)) == raw_public_key(signer.public_key)
    assert raw_public_key(load_public_key(raw)) == raw_public_key(signer.public_key)
    with pytest.raises(ValueError):
        load_public_key("not a key")
