"""Standard Webhooks (standardwebhooks.com) with the asymmetric `v1a` scheme: how the hub
signs each delivery with its Ed25519 key, and how a member checks it (docs/protocol.md,
"Webhook signatures").

The signed content is `webhook-id + "." + webhook-timestamp + "." + body`;
`webhook-signature` holds one or more space-separated `v1a,<base64 Ed25519 signature>`.
Public keys are given as raw 32 bytes, base64url text, or the spec's `whpk_<base64>`.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from connectors import b64url
from connectors.errors import BadWebhookSignature, ConfigurationError, StaleWebhook, WebhookVerificationError

ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER = "webhook-id", "webhook-timestamp", "webhook-signature"
PUBLIC_PREFIX = "whpk_"


def signed_content(msg_id: str, timestamp: str, body: bytes) -> bytes:
    return f"{msg_id}.{timestamp}.".encode() + body


def sign(private_key: Ed25519PrivateKey, msg_id: str, body: bytes, *,
         now: float | None = None) -> dict[str, str]:
    """The three Standard Webhooks headers for one delivery (simulators and tests)."""
    timestamp = str(int(time.time() if now is None else now))
    signature = private_key.sign(signed_content(msg_id, timestamp, body))
    return {ID_HEADER: msg_id, TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: "v1a," + base64.b64encode(signature).decode("ascii")}


def public_key(value: Ed25519PublicKey | str | bytes) -> Ed25519PublicKey:
    """A public key from raw bytes, `whpk_<base64>` or base64url text."""
    if isinstance(value, Ed25519PublicKey):
        return value
    try:
        if isinstance(value, str):
            text = value.removeprefix(PUBLIC_PREFIX).replace("+", "-").replace("/", "_").rstrip("=")
            value = b64url.decode(text)
        return Ed25519PublicKey.from_public_bytes(value)
    except (binascii.Error, ValueError) as exc:
        raise ConfigurationError(
            "Clé publique du hub illisible : 32 octets Ed25519 (base64url ou whpk_…) attendus.",
            "Unreadable hub public key: 32 Ed25519 bytes (base64url or whpk_…) expected.",
        ) from exc


def verify(headers: Mapping[str, str], body: bytes, keys: Mapping[str, Ed25519PublicKey | str | bytes],
           *, now: float | None = None, tolerance_s: int = 300) -> str:
    """Check a delivery; answers the id of the key that verified it, or raises a
    WebhookVerificationError. Every key of `keys` (key id -> key) is tried, so the hub
    may rotate keys."""
    lowered = {name.lower(): value for name, value in headers.items()}
    msg_id = lowered.get(ID_HEADER, "")
    timestamp = lowered.get(TIMESTAMP_HEADER, "")
    signatures = [part[4:] for part in lowered.get(SIGNATURE_HEADER, "").split() if part.startswith("v1a,")]
    if not (msg_id and timestamp.isascii() and timestamp.isdigit() and signatures):
        raise WebhookVerificationError(
            "Livraison non signée : en-têtes webhook-id, webhook-timestamp et webhook-signature "
            "(v1a) requis.",
            "Unsigned delivery: webhook-id, webhook-timestamp and webhook-signature (v1a) required.",
        )
    require_fresh(int(timestamp), now, tolerance_s)
    content = signed_content(msg_id, timestamp, body)
    for key_id, key in keys.items():
        for signature in signatures:
            if _verifies(public_key(key), signature, content):
                return key_id
    raise BadWebhookSignature(
        "Signature de livraison invalide pour les clés du hub connues.",
        "Delivery signature does not verify with any known hub key.",
    )


def require_fresh(timestamp: int, now: float | None, tolerance_s: int) -> None:
    """Replay protection: a delivery signed more than `tolerance_s` away is refused."""
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_s:
        raise StaleWebhook(
            f"Livraison hors délai (plus de {tolerance_s} s d'écart) : refusée.",
            f"Delivery outside the {tolerance_s} s window: refused.",
        )


def _verifies(key: Ed25519PublicKey, signature: str, content: bytes) -> bool:
    try:
        key.verify(base64.b64decode(signature, validate=True), content)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True
