"""The bytes a member signs for each request (docs/protocol.md, "Member authentication")."""

from __future__ import annotations

import hashlib
import re

SIGNATURE_SCHEME = b"capactif-v1"
NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def request_message(timestamp: str, nonce: str, method: str, target: str, body: bytes) -> bytes:
    """The signed message: scheme, timestamp, nonce, method, path+query, body digest."""
    digest = hashlib.sha256(body).hexdigest()
    return b"\n".join(
        [SIGNATURE_SCHEME, timestamp.encode(), nonce.encode(), method.upper().encode(),
         target.encode(), digest.encode()]
    )


def is_fresh(timestamp: int, now: int, max_skew: int) -> bool:
    return abs(now - timestamp) <= max_skew
