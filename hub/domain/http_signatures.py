"""RFC 9421 HTTP Message Signatures (Ed25519) and RFC 9530 Content-Digest, as the hub
verifies member requests (docs/protocol.md, "Member authentication").

The request is seen as sent: `target` is the RAW request target (path and query exactly
as on the request line, never percent-decoded). Pure: the caller verifies the Ed25519
signature over `SignedRequest.base` with the key named by `key_id`.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
from collections.abc import Mapping

from hub.domain.protocol import NONCE
from hub.domain.structured_fields import (
    FieldSyntaxError,
    InnerList,
    Item,
    parse_dictionary,
    serialize_inner_list,
    serialize_string,
)

DIGESTS = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}
_TARGET_COVERAGE = ({"@target-uri"}, {"@request-target"}, {"@path", "@query"})
_CREDENTIAL_ID = re.compile(r"(?:dpo:)?[a-z0-9][a-z0-9-]{1,48}[a-z0-9]", re.ASCII)
_DERIVED = {"@method", "@target-uri", "@authority", "@scheme", "@request-target", "@path", "@query"}


class SignatureRefused(ValueError):
    """The request's signature fields are missing, malformed or cover too little."""

    def __init__(self, reason_fr: str, reason_en: str) -> None:
        super().__init__(reason_en)
        self.reason_fr, self.reason_en = reason_fr, reason_en


class DigestMismatch(SignatureRefused):
    """`Content-Digest` is missing for a body, malformed, or does not match the body."""


@dataclasses.dataclass(frozen=True)
class RequestLine:
    """What the hub received: method, scheme, raw target, headers (names lower case)."""

    method: str
    scheme: str
    target: str
    headers: Mapping[str, str]
    body: bytes


@dataclasses.dataclass(frozen=True)
class SignedRequest:
    """A parsed RFC 9421 signature: what to verify, and its parameters."""

    key_id: str
    created: int
    expires: int | None
    nonce: str
    signature: bytes
    base: bytes


def parse_signed_request(request: RequestLine, key_id: str | None = None) -> SignedRequest:
    """The signature of `request` whose `keyid` is `key_id` (the caller's credential;
    None: the first label), its base built from the request as received; raises
    SignatureRefused (DigestMismatch) when it cannot be.

    RFC 9421 section 3.2 lets a verifier choose which of several signatures it requires:
    a gateway may add its own label, before or after the member's, which is left
    unread (neither verified nor refused)."""
    try:
        inputs = parse_dictionary(request.headers.get("signature-input", ""))
        signatures = parse_dictionary(request.headers.get("signature", ""))
    except FieldSyntaxError as exc:
        raise SignatureRefused("en-tête Signature ou Signature-Input mal formé",
                               "malformed Signature or Signature-Input header") from exc
    labels = [name for name in inputs if name in signatures]
    if not labels:
        raise SignatureRefused("aucune étiquette commune à Signature-Input et Signature",
                               "no label present in both Signature-Input and Signature")
    label = labels[0] if key_id is None else _label_of(key_id, labels, inputs)
    covered, signature = inputs[label], signatures[label]
    if not isinstance(covered, InnerList) or not isinstance(signature, Item) \
            or not isinstance(signature.value, bytes) or len(signature.value) != 64:
        raise SignatureRefused("signature Ed25519 de 64 octets attendue (:base64:)",
                               "a 64-byte Ed25519 signature is expected (:base64:)")
    names = _covered_names(covered)
    _require_coverage(names, request)
    check_content_digest(request.headers.get("content-digest"), request.body)
    created, expires, nonce, key_id = _parameters(covered)
    lines = [f"{serialize_string(name)}: {component_value(name, request)}" for name in names]
    lines.append(f'"@signature-params": {serialize_inner_list(covered)}')
    return SignedRequest(key_id, created, expires, nonce, signature.value, "\n".join(lines).encode())


def _label_of(key_id: str, labels: list[str], inputs: Mapping[str, object]) -> str:
    """The first label whose `keyid` parameter is `key_id`."""
    for label in labels:
        covered = inputs[label]
        if isinstance(covered, InnerList) and covered.param("keyid") == key_id:
            return label
    # what the caller sent, shown only when it has the form of an id
    plain = _CREDENTIAL_ID.fullmatch(key_id) is not None
    named_fr, named_en = (f" « {key_id} »", f" '{key_id}'") if plain else ("", "")
    shown = ", ".join(map(_cut, labels[:5])) + (", …" if len(labels) > 5 else "")
    raise SignatureRefused(
        f"aucune signature dont le keyid soit l'identifiant du jeton{named_fr} (étiquettes "
        f"reçues : {shown}) : signez avec ce keyid, l'identifiant avant le point du jeton",
        f"no signature whose keyid is the token's id{named_en} (labels received: {shown}): "
        "sign with that keyid, the token's id before its dot")


_LABEL_SHOWN = 32  # characters of a label a refusal repeats (a label has no length limit)


def _cut(label: str) -> str:
    return label if len(label) <= _LABEL_SHOWN else label[:_LABEL_SHOWN - 1] + "…"


def component_value(name: str, request: RequestLine) -> str:
    """RFC 9421 section 2: a derived component or a header field, from the raw request."""
    path, _, query = request.target.partition("?")
    authority = request.headers.get("host", "").lower()
    derived = {
        "@method": request.method.upper(),
        "@scheme": request.scheme.lower(),
        "@authority": authority,
        "@request-target": request.target,
        "@path": path or "/",
        "@query": "?" + query,
        "@target-uri": f"{request.scheme.lower()}://{authority}{request.target}",
    }
    if name in derived:
        return derived[name]
    if name not in request.headers:
        raise SignatureRefused(f"le composant signé « {name} » est absent de la requête",
                               f"the covered component '{name}' is not in the request")
    return request.headers[name].strip()


def content_digest(body: bytes, algorithm: str = "sha-256") -> str:
    """The RFC 9530 `Content-Digest` value of `body`."""
    digest = DIGESTS[algorithm](body).digest()
    return f"{algorithm}=:{base64.b64encode(digest).decode('ascii')}:"


def check_content_digest(value: str | None, body: bytes) -> None:
    """Every supported digest given must match the body; one is needed when there is a body."""
    if value is None:
        if body:
            raise DigestMismatch("en-tête Content-Digest absent pour un corps de requête",
                                 "Content-Digest header missing for a request body")
        return
    try:
        given = parse_dictionary(value)
    except FieldSyntaxError as exc:
        raise DigestMismatch("Content-Digest mal formé", "malformed Content-Digest") from exc
    known = {name: member for name, member in given.items() if name in DIGESTS}
    if not known:
        raise DigestMismatch("Content-Digest : sha-256 ou sha-512 attendu",
                             "Content-Digest: sha-256 or sha-512 expected")
    for name, member in known.items():
        if not isinstance(member, Item) or member.value != DIGESTS[name](body).digest():
            raise DigestMismatch("Content-Digest ne correspond pas au corps reçu",
                                 "Content-Digest does not match the body received")


def _covered_names(covered: InnerList) -> list[str]:
    names = []
    for item in covered.items:
        if not isinstance(item.value, str) or item.params or item.value != item.value.lower():
            raise SignatureRefused(
                "composants signés : noms en minuscules sans paramètre attendus",
                "covered components: lower-case names without parameters expected")
        if item.value.startswith("@") and item.value not in _DERIVED:
            supported = ", ".join(sorted(_DERIVED))  # never the name sent: any text fits there
            raise SignatureRefused(f"composant dérivé non pris en charge (ceux-ci le sont : {supported})",
                                   f"unsupported derived component (these are: {supported})")
        names.append(item.value)
    if len(set(names)) != len(names):
        raise SignatureRefused("composant signé en double", "covered component listed twice")
    return names


def _require_coverage(names: list[str], request: RequestLine) -> None:
    covered = set(names)
    has_query = "?" in request.target
    targets = [needed for needed in _TARGET_COVERAGE if needed <= covered]
    path_only = "@path" in covered and not has_query
    if "@method" not in covered or not (targets or path_only):
        raise SignatureRefused(
            "la signature doit couvrir @method et la cible (@target-uri, ou @path et @query)",
            "the signature must cover @method and the target (@target-uri, or @path and @query)")
    if request.body and "content-digest" not in covered:
        raise SignatureRefused("la signature doit couvrir content-digest",
                               "the signature must cover content-digest")


def _parameters(covered: InnerList) -> tuple[int, int | None, str, str]:
    created, expires = covered.param("created"), covered.param("expires")
    nonce, key_id, alg = covered.param("nonce"), covered.param("keyid"), covered.param("alg")
    if not (isinstance(created, int) and not isinstance(created, bool) and created >= 0):
        raise SignatureRefused("paramètre created (entier) absent", "missing created (integer)")
    if expires is not None and (not isinstance(expires, int) or isinstance(expires, bool)):
        raise SignatureRefused("paramètre expires : entier attendu", "expires: integer expected")
    if not isinstance(nonce, str) or not NONCE.match(nonce):
        raise SignatureRefused("paramètre nonce absent ou mal formé (16 à 64 [A-Za-z0-9_-])",
                               "missing or malformed nonce (16 to 64 [A-Za-z0-9_-])")
    if not isinstance(key_id, str) or not key_id:
        raise SignatureRefused("paramètre keyid absent", "missing keyid")
    if alg is not None and alg != "ed25519":
        raise SignatureRefused("seul alg=\"ed25519\" est accepté", 'only alg="ed25519" is accepted')
    return created, expires, nonce, key_id
