"""base64url (RFC 4648 section 5): the one codec for the project's own binary-as-text values.

`encode` leaves out the `=` padding, as JOSE and JWK do (RFC 7515 section 2, RFC 7517):
raw Ed25519 keys (32 bytes -> 43 characters), the capactif signature headers, the audit
tree heads and proofs, the scrypt hashes of old passwords. `encode_padded` keeps it, for the two formats
that have carried it since their first version: the `valeur` of a consent receipt's
signature and a shredded value (`v1.<...>`). `decode` reads both forms.

Not base64url: Standard Webhooks (`v1a,<base64>`, `whpk_<base64>`) and RFC 9421
(`sf-binary`, `:<base64>:`) and RFC 9530 digests use standard base64 with padding, as
their specifications say; those modules call `base64.b64encode` themselves.

    >>> encode(b"\\xfb\\xff"), encode_padded(b"\\xfb\\xff")
    ('-_8', '-_8=')
    >>> decode("-_8") == decode("-_8=") == b"\\xfb\\xff"
    True
"""

from __future__ import annotations

import base64
import binascii

# base64url's two letters as standard base64 writes them, for `binascii` (which
# `base64.urlsafe_b64decode` calls after the same translation, a call and a copy more).
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")


def encode(raw: bytes) -> str:
    """base64url without padding."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def encode_padded(raw: bytes) -> str:
    """base64url with its `=` padding."""
    return base64.urlsafe_b64encode(raw).decode("ascii")


def decode(text: str) -> bytes:
    """base64url with or without padding; ValueError (binascii.Error) when malformed."""
    if len(text) % 4:
        text += "=" * (-len(text) % 4)
    return binascii.a2b_base64(text.encode("ascii").translate(_FROM_URLSAFE))
