"""Which signature a member request carries, and the exact bytes it must sign.

RFC 9421 (`Signature-Input` + `Signature`, Ed25519, RFC 9530 `Content-Digest`) is the
scheme; the former `X-Capactif-*` scheme is still accepted until
`HUB_LEGACY_SIGNATURES_UNTIL` (docs/protocol.md, "Transition"). Both sign the RAW request
target, exactly as sent on the request line.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

from hub.config import Settings
from hub.domain import http_signatures
from hub.domain.ids import whole_number
from hub.domain.protocol import NONCE, request_message
from hub.errors import BadSignature, ContentDigestMismatch, LegacySignatureRetired, StaleRequest
from hub.keys import unb64url


@dataclasses.dataclass(frozen=True)
class Presented:
    """A signature as presented: when it was made, its nonce, the bytes it signs."""

    created: int
    nonce: str
    signature: bytes
    message: bytes


def presented_signature(settings: Settings, request: http_signatures.RequestLine,
                        credential: str, now: dt.datetime) -> Presented:
    """The request's signature; `credential` is the bearer's id (`<member>` or
    `dpo:<member>`), which the RFC 9421 `keyid` must name."""
    if "signature-input" in request.headers or "signature" in request.headers:
        return _rfc9421(request, credential, now)
    if "x-capactif-signature" in request.headers:
        if now >= settings.legacy_signatures_end:
            raise LegacySignatureRetired(
                "Signature X-Capactif-* retirée depuis le "
                f"{settings.legacy_signatures_until} : signez selon la RFC 9421 (docs/protocol.md).",
                f"X-Capactif-* signatures were retired on {settings.legacy_signatures_until}: "
                "sign per RFC 9421 (docs/protocol.md).")
        return _legacy(request)
    raise BadSignature(
        "Requête non signée : en-têtes Signature-Input, Signature et Content-Digest requis "
        "(RFC 9421, docs/protocol.md).",
        "Unsigned request: Signature-Input, Signature and Content-Digest headers required "
        "(RFC 9421, docs/protocol.md).")


def _rfc9421(request: http_signatures.RequestLine, credential: str, now: dt.datetime) -> Presented:
    try:
        signed = http_signatures.parse_signed_request(request, credential)
    except http_signatures.DigestMismatch as exc:
        raise ContentDigestMismatch(f"Content-Digest refusé : {exc.reason_fr}.",
                                    f"Content-Digest refused: {exc.reason_en}.") from exc
    except http_signatures.SignatureRefused as exc:
        raise BadSignature(f"Signature refusée : {exc.reason_fr}.",
                           f"Signature refused: {exc.reason_en}.") from exc
    if signed.expires is not None and signed.expires < int(now.timestamp()):
        raise StaleRequest("Signature expirée (paramètre expires).",
                           "Expired signature (expires parameter).")
    return Presented(signed.created, signed.nonce, signed.signature, signed.base)


def _legacy(request: http_signatures.RequestLine) -> Presented:
    headers = request.headers
    nonce = headers.get("x-capactif-nonce", "")
    timestamp = whole_number(headers.get("x-capactif-timestamp", ""))  # 0-9 only: int() read « ١٢ »
    try:
        signature = unb64url(headers.get("x-capactif-signature", ""))
    except ValueError:
        signature = b""
    if timestamp is None:
        timestamp = -1
    if timestamp < 0 or not NONCE.match(nonce) or len(signature) != 64:
        raise BadSignature(
            "En-têtes de signature absents ou mal formés "
            "(X-Capactif-Timestamp, X-Capactif-Nonce, X-Capactif-Signature).",
            "Missing or malformed signature headers "
            "(X-Capactif-Timestamp, X-Capactif-Nonce, X-Capactif-Signature).",
        )
    message = request_message(str(timestamp), nonce, request.method, request.target, request.body)
    return Presented(timestamp, nonce, signature, message)


def combined_headers(pairs: list[tuple[str, str]]) -> Mapping[str, str]:
    """Header fields by lower-case name, repeated lines joined with ", " (RFC 9110 5.3)."""
    merged: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        merged[key] = f"{merged[key]}, {value.strip()}" if key in merged else value.strip()
    return merged
