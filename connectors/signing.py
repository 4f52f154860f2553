"""Ed25519 signatures: member requests to the hub, and hub webhooks to members.

Requests are signed per RFC 9421 (HTTP Message Signatures) with an RFC 9530
`Content-Digest` (docs/protocol.md, "Member authentication"): `sign_request_rfc9421`.
The former scheme (`sign_request`, accepted by the hub until its transition ends) signs

    "capactif-v1\\n" + timestamp + "\\n" + nonce + "\\n" + METHOD + "\\n"
    + path_and_query + "\\n" + hex(sha256(body))

Webhook verification follows docs/protocol.md, "Webhook signatures": Standard Webhooks
`v1a` (connectors.standard_webhooks); during the transition the hub also signs
`timestamp + "\\n" + body` and sends `X-Capactif-Key-Id`, `X-Capactif-Timestamp`
and `X-Capactif-Signature` (base64url, no padding).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from connectors import standard_webhooks
from connectors.b64url import decode as b64url_decode
from connectors.b64url import encode as b64url_encode
from connectors.errors import BadWebhookSignature, ConfigurationError, WebhookVerificationError

PREFIX = b"capactif-v1"
WEBHOOK_TOLERANCE_S = 300
KEY_ID_HEADER = "X-Capactif-Key-Id"
TIMESTAMP_HEADER = "X-Capactif-Timestamp"
NONCE_HEADER = "X-Capactif-Nonce"
SIGNATURE_HEADER = "X-Capactif-Signature"
DELIVERY_HEADER = "X-Capactif-Delivery-Id"

PublicKeyLike = Ed25519PublicKey | str | bytes
PublicKeys = PublicKeyLike | Mapping[str, PublicKeyLike]


def load_private_key(value: str | bytes | Ed25519PrivateKey) -> Ed25519PrivateKey:
    """A private key from its raw 32 bytes, or their base64url text."""
    if isinstance(value, Ed25519PrivateKey):
        return value
    try:
        raw = b64url_decode(value) if isinstance(value, str) else value
        return Ed25519PrivateKey.from_private_bytes(raw)
    except ValueError as exc:
        raise ConfigurationError(
            "Clé privée illisible : 32 octets Ed25519 encodés en base64url attendus.",
            "Unreadable private key: 32 raw Ed25519 bytes in base64url expected.",
        ) from exc


def load_public_key(value: PublicKeyLike) -> Ed25519PublicKey:
    """A public key from its raw 32 bytes, or their base64url text."""
    if isinstance(value, Ed25519PublicKey):
        return value
    try:
        raw = b64url_decode(value) if isinstance(value, str) else value
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError as exc:
        raise ConfigurationError(
            "Clé publique illisible : 32 octets Ed25519 encodés en base64url attendus.",
            "Unreadable public key: 32 raw Ed25519 bytes in base64url expected.",
        ) from exc


def public_key_text(private_key: Ed25519PrivateKey) -> str:
    raw = private_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return b64url_encode(raw)


def generate_key_pair() -> tuple[str, str]:
    """A fresh (private, public) key pair, both as base64url raw bytes."""
    private = Ed25519PrivateKey.generate()
    raw = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return b64url_encode(raw), public_key_text(private)


def request_message(
    timestamp: str, nonce: str, method: str, path_and_query: str, body: bytes
) -> bytes:
    """The exact bytes a member signs for one request (docs/protocol.md)."""
    digest = hashlib.sha256(body).hexdigest()
    parts = [PREFIX.decode(), timestamp, nonce, method.upper(), path_and_query, digest]
    return "\n".join(parts).encode("utf-8")


def sign_request(
    private_key: Ed25519PrivateKey,
    method: str,
    path_and_query: str,
    body: bytes,
    *,
    now: float | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The timestamp, nonce and signature headers for one request; a fresh nonce each call."""
    timestamp = str(int(time.time() if now is None else now))
    nonce = nonce or secrets.token_urlsafe(24)
    signature = private_key.sign(request_message(timestamp, nonce, method, path_and_query, body))
    return {
        TIMESTAMP_HEADER: timestamp,
        NONCE_HEADER: nonce,
        SIGNATURE_HEADER: b64url_encode(signature),
    }


def webhook_message(timestamp: str, body: bytes) -> bytes:
    return timestamp.encode("ascii") + b"\n" + body


def sign_webhook(
    private_key: Ed25519PrivateKey, key_id: str, body: bytes, *, now: float | None = None
) -> dict[str, str]:
    """Webhook headers as the hub sends them (used by simulators and tests)."""
    timestamp = str(int(time.time() if now is None else now))
    signature = private_key.sign(webhook_message(timestamp, body))
    return {
        KEY_ID_HEADER: key_id,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: b64url_encode(signature),
    }


def verify_webhook(
    headers: Mapping[str, str],
    body: bytes,
    public_key: PublicKeys,
    *,
    now: float | None = None,
    tolerance_s: int = WEBHOOK_TOLERANCE_S,
) -> str:
    """Check a webhook delivery; answers its key id, raises a WebhookVerificationError.

    `public_key` is one key, or a mapping key id -> key (the hub may rotate keys).
    Standard Webhooks (`webhook-signature: v1a,…`) is checked when present; otherwise the
    former `X-Capactif-*` headers, which the hub sends too during the transition.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    if standard_webhooks.SIGNATURE_HEADER in lowered:
        keys = public_key if isinstance(public_key, Mapping) else {"": public_key}
        return standard_webhooks.verify(lowered, body, keys, now=now, tolerance_s=tolerance_s)
    key_id = lowered.get(KEY_ID_HEADER.lower(), "")
    timestamp = lowered.get(TIMESTAMP_HEADER.lower(), "")
    signature_text = lowered.get(SIGNATURE_HEADER.lower(), "")
    if not (timestamp.isascii() and timestamp.isdigit() and signature_text):
        raise WebhookVerificationError(
            "Livraison non signée : en-têtes X-Capactif-Timestamp et X-Capactif-Signature requis.",
            "Unsigned delivery: X-Capactif-Timestamp and X-Capactif-Signature headers required.",
        )
    standard_webhooks.require_fresh(int(timestamp), now, tolerance_s)
    key = _pick_key(public_key, key_id)
    try:
        key.verify(b64url_decode(signature_text), webhook_message(timestamp, body))
    except (InvalidSignature, ValueError) as exc:
        raise BadWebhookSignature(
            "Signature de livraison invalide pour la clé du hub.",
            "Delivery signature does not verify with the hub's key.",
        ) from exc
    return key_id


def _pick_key(public_key: PublicKeys, key_id: str) -> Ed25519PublicKey:
    if isinstance(public_key, Mapping):
        if key_id not in public_key:
            raise BadWebhookSignature(
                "Identifiant de clé du hub inconnu : mettez à jour les clés publiques du hub.",
                "Unknown hub key id: update the hub public keys.",
            )
        return standard_webhooks.public_key(public_key[key_id])  # base64url or whpk_…
    return standard_webhooks.public_key(public_key)
