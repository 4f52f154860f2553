"""Signed consent receipts the porteur can keep (after the Kantara consent receipt).

A receipt is a JSON object with French field names describing one consent
(who collected it, how, under which notice, for which purposes and recipients,
until when, and its status when issued), signed by the hub with Ed25519 over
its canonical JSON form: keys sorted, no insignificant whitespace, UTF-8
(equal to RFC 8785 for receipts, which hold only strings, integers and lists).
It names the porteur only by the collecting member's fiche id.

Example (`build_receipt` makes the unsigned receipt of a consent as its collector sees it):
    >>> private_key = Ed25519PrivateKey.generate()
    >>> receipt = {"version": RECEIPT_VERSION, "recu_id": "rcp_1", "consentement_id": "c-1",
    ...            "finalites": ["orientation"]}
    >>> signed = sign_receipt(receipt, private_key, "hub-2026")
    >>> signed["signature"]["alg"], signed["signature"]["kid"]
    ('Ed25519', 'hub-2026')
    >>> verify_receipt(signed, {"hub-2026": private_key.public_key()})
    True
    >>> verify_receipt({**signed, "finalites": ["financement"]}, {"hub-2026": private_key.public_key()})
    False
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from connectors import b64url
from consent.model import iso

RECEIPT_VERSION = "capactif-recu-consentement/1"
ALGORITHM = "Ed25519"


def canonical_json(document: Any) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short stable id of a public key: the first 16 hex digits of its SHA-256."""
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def build_receipt(document: Mapping[str, Any], issued_at: dt.datetime) -> dict[str, Any]:
    """The unsigned receipt of a consent issued at `issued_at`, from `document`: the consent
    as its collector is shown it at that time (ConsentRecord.as_document, then filtered by
    the hub's need-to-know: a history entry may lack `par`)."""
    receipt = {
        "version": RECEIPT_VERSION,
        "recu_id": f"rcp_{uuid.uuid4().hex}",
        "emis_le": iso(issued_at),
        "juridiction": "FR",
        "langue": "fr",
        "consentement_id": document["id"],
        "responsable": {"membre": document["membre"], "agent": document["agent"]},
        "porteur": {"membre": document["membre"], "fiche_id": document["fiche_id"]},
    }
    for name in ("reference", "recueilli_le", "mode", "notice", "finalites",
                 "roles_destinataires", "membres_destinataires", "expire_le", "preuve",
                 "statut", "historique"):
        if name in document:
            receipt[name] = document[name]
    return receipt


def sign_receipt(receipt: Mapping[str, Any], private_key: Ed25519PrivateKey,
                 kid: str | None = None) -> dict[str, Any]:
    """`receipt` plus a `signature` {alg, kid, valeur (base64url)} over its canonical JSON."""
    body = {k: v for k, v in receipt.items() if k != "signature"}
    signature = private_key.sign(canonical_json(body))
    return {**body, "signature": {
        "alg": ALGORITHM,
        "kid": kid or key_id(private_key.public_key()),
        "valeur": b64url.encode_padded(signature),
    }}


def verify_receipt(signed: Mapping[str, Any], public_keys: Mapping[str, Ed25519PublicKey]) -> bool:
    """True when the signature verifies with the key its `kid` names among `public_keys`."""
    signature = signed.get("signature")
    if not isinstance(signature, Mapping) or signature.get("alg") != ALGORITHM:
        return False
    public_key = public_keys.get(str(signature.get("kid")))
    if public_key is None:
        return False
    body = {k: v for k, v in signed.items() if k != "signature"}
    try:
        public_key.verify(b64url.decode(str(signature.get("valeur"))),
                          canonical_json(body))
    except (InvalidSignature, ValueError):
        return False
    return True
