"""Signed tree heads and witness countersignatures (Ed25519 via `cryptography`).

A head commits the hub to the first `size` entries of the log: the signed message is

    "capactif-audit-head-v1\\n" size "\\n" root_hex "\\n" timestamp_ms "\\n" key_id "\\n"

A witness (a member's DPO) countersigns the same message behind its own prefix
"capactif-audit-cosignature-v1\\n", so the hub operator alone cannot rewrite history
once a witness has seen a head. A key id is the first 16 hex digits of SHA-256 of the
raw 32-byte public key.

Pure: the standard library, `cryptography` and the key helpers of `hub.keys` only (the
offline verifier imports it).
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from connectors.b64url import decode as b64url_decode
from connectors.b64url import encode as b64url
from hub.keys import key_id, load_public_key

_HEAD_PREFIX = b"capactif-audit-head-v1\n"
_COSIGNATURE_PREFIX = b"capactif-audit-cosignature-v1\n"


@dataclass(frozen=True)
class Cosignature:
    """A witness's countersignature of one head."""

    witness: str
    key_id: str
    signature: bytes


@dataclass(frozen=True)
class SignedTreeHead:
    size: int
    root_hash: bytes
    timestamp_ms: int
    key_id: str
    signature: bytes
    cosignatures: tuple[Cosignature, ...] = field(default=())

    def message(self) -> bytes:
        return head_message(self.size, self.root_hash, self.timestamp_ms, self.key_id)

    def with_cosignature(self, cosignature: Cosignature) -> SignedTreeHead:
        return replace(self, cosignatures=(*self.cosignatures, cosignature))


def head_message(size: int, root_hash: bytes, timestamp_ms: int, key_id: str) -> bytes:
    body = f"{size}\n{root_hash.hex()}\n{timestamp_ms}\n{key_id}\n"
    return _HEAD_PREFIX + body.encode("ascii")


def raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


class HeadSigner:
    """Signs tree heads with the hub's Ed25519 private key."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key
        self.public_key = private_key.public_key()
        self.key_id = key_id(self.public_key)

    def sign(self, size: int, root_hash: bytes, timestamp_ms: int) -> SignedTreeHead:
        message = head_message(size, root_hash, timestamp_ms, self.key_id)
        signature = self._private_key.sign(message)
        return SignedTreeHead(size, root_hash, timestamp_ms, self.key_id, signature)


def verify_head(head: SignedTreeHead, public_key: Ed25519PublicKey) -> bool:
    """True when the hub key `public_key` signed exactly this head."""
    if head.key_id != key_id(public_key):
        return False
    return _verifies(public_key, head.signature, head.message())


def countersign(head: SignedTreeHead, witness: str, private_key: Ed25519PrivateKey) -> Cosignature:
    """A witness's countersignature; the witness should first verify the head itself."""
    signature = private_key.sign(_COSIGNATURE_PREFIX + head.message())
    return Cosignature(witness, key_id(private_key.public_key()), signature)


def verify_cosignature(
    head: SignedTreeHead, cosignature: Cosignature, public_key: Ed25519PublicKey
) -> bool:
    if cosignature.key_id != key_id(public_key):
        return False
    return _verifies(public_key, cosignature.signature, _COSIGNATURE_PREFIX + head.message())


def _verifies(public_key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    try:
        public_key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def head_to_dict(head: SignedTreeHead) -> dict[str, Any]:
    """The JSON form of a head, as exported and served by the API."""
    return {
        "size": head.size,
        "root_hash": head.root_hash.hex(),
        "timestamp_ms": head.timestamp_ms,
        "key_id": head.key_id,
        "signature": b64url(head.signature),
        "cosignatures": [
            {"witness": c.witness, "key_id": c.key_id, "signature": b64url(c.signature)}
            for c in head.cosignatures
        ],
    }


def head_from_dict(document: dict[str, Any]) -> SignedTreeHead:
    """Decode a head; raises ValueError when a field is missing or malformed."""
    try:
        cosignatures = tuple(
            Cosignature(str(c["witness"]), str(c["key_id"]), b64url_decode(c["signature"]))
            for c in document.get("cosignatures", ())
        )
        head = SignedTreeHead(
            size=_non_negative_int(document["size"]),
            root_hash=bytes.fromhex(document["root_hash"]),
            timestamp_ms=_non_negative_int(document["timestamp_ms"]),
            key_id=str(document["key_id"]),
            signature=b64url_decode(document["signature"]),
            cosignatures=cosignatures,
        )
    except (KeyError, TypeError, binascii.Error) as exc:
        raise ValueError("malformed tree head") from exc
    if len(head.root_hash) != 32:
        raise ValueError("malformed tree head: the root hash is 32 bytes")
    return head


def _non_negative_int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError("malformed tree head: sizes and times are non-negative integers")
    return value


# One hub key, or the hub's key history by key id (heads signed before a rotation verify
# with the key of their day).
HubPublicKeys = Ed25519PublicKey | Mapping[str, Ed25519PublicKey]


def key_history(keys: HubPublicKeys) -> dict[str, Ed25519PublicKey]:
    if isinstance(keys, Ed25519PublicKey):
        return {key_id(keys): keys}
    return dict(keys)


def load_key_history(data: str | bytes) -> dict[str, Ed25519PublicKey]:
    """Public keys from a PEM or base64url key, or from the hub's key history JSON
    (`GET /v1/hub-keys`, or `hub_signing_keys.json` of the key directory)."""
    text = data.decode("utf-8") if isinstance(data, bytes) else data
    if not text.lstrip().startswith("{"):
        return key_history(load_public_key(text))
    try:
        entries = json.loads(text)["cles"]
        keys = {str(e["key_id"]): load_public_key(e["cle_publique"]) for e in entries}
    except (ValueError, KeyError, TypeError, RecursionError) as exc:  # nested past the parser
        raise ValueError("not a hub key history (JSON with 'cles')") from exc
    for claimed, key in keys.items():
        if key_id(key) != claimed:
            raise ValueError(f"key history: key id {claimed} does not match its key")
    return keys


def public_key_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
