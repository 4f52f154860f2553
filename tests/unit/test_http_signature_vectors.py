"""RFC 9421 request signatures: the published test vectors (docs/protocol.md) are what
the member SDK signs and what the hub verifies; malformed signatures are refused."""

import base64
import datetime as dt
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from connectors.http_signatures import sign_request_rfc9421
from hub.config import Settings
from hub.domain.http_signatures import (
    DigestMismatch,
    RequestLine,
    SignatureRefused,
    component_value,
    content_digest,
    parse_signed_request,
)
from hub.domain.structured_fields import FieldSyntaxError, parse_dictionary, serialize_inner_list
from hub.errors import BadSignature, LegacySignatureRetired
from hub.services.accounts.signatures import presented_signature
from tests.factories import Credentials

PROTOCOL = (Path(__file__).parents[2] / "docs" / "protocol.md").read_text(encoding="utf-8")
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
CREATED = 1796300000
ONE, TWO = "bm9uY2UtdGVzdC12ZWN0b3Itb25l", "bm9uY2UtdGVzdC12ZWN0b3ItdHdv"
PARAMS = ('sig1=("@method" "@path" "@query" "content-digest");created=1796300000;keyid="cci-63";'
          'nonce="{}";alg="ed25519"')
VECTORS = [
    ("POST", "/v1/fiches", b'{"fiches":[]}', ONE, "sha-256=:WPki6f+oLZ7FLFsGJZ6YXI3KvRTmF6cPOMahAy1ekiE=:",
     "sig1=:6WVqPF6aGkBySmGGagPNWiZ5vUhkuw/AHG5Wyw8Jt2//zpxv9jxW+TTpv35+0Bvw2ScW+evOnMT/IpDA9Tq0Cw==:"),
    ("GET", "/v1/fiches/cci-63/F%201", b"", ONE, "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:",
     "sig1=:kzS7hol05Di4XOqEAKOPEljqrxIOdtnEUiKjEzWV/VsJgxfJjlquLQ8nciFE0nI7QMVdsYhQRnRpvq/o9ZiLAg==:"),
    ("GET", "/v1/feed?after=42&limit=10", b"", TWO, "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:",
     "sig1=:2vl9sIi8AIwUlCdIxOVSOwWa8rSM9w34LfeVKePGLWxNu0ua7+4ZS7fCNYfU9NNWOhDsS5gi8GVfq4VOygLpDw==:"),
]
BASE_TWO = "\n".join([
    '"@method": GET', '"@path": /v1/fiches/cci-63/F%201', '"@query": ?',
    '"content-digest": sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:',
    '"@signature-params": ' + PARAMS.format(ONE).removeprefix("sig1=")])


def _line(method, target, body, headers):
    return RequestLine(method, "https", target, {k.lower(): v for k, v in headers.items()}, body)


@pytest.mark.parametrize(("method", "target", "body", "nonce", "digest", "signature"), VECTORS)
def test_the_published_vectors_are_what_the_sdk_signs_and_the_docs_show(
        method, target, body, nonce, digest, signature):
    headers = sign_request_rfc9421(KEY, "cci-63", method, target, body, now=CREATED, nonce=nonce)
    assert headers == {"Content-Digest": digest, "Signature-Input": PARAMS.format(nonce),
                       "Signature": signature}
    assert f"Signature: {signature}" in PROTOCOL
    assert "A6EHv_POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg" in PROTOCOL


@pytest.mark.parametrize(("method", "target", "body", "nonce", "digest", "signature"), VECTORS)
def test_the_hub_rebuilds_the_signature_base_and_the_signature_verifies(
        method, target, body, nonce, digest, signature):
    headers = {"Content-Digest": digest, "Signature-Input": PARAMS.format(nonce), "Signature": signature}
    signed = parse_signed_request(_line(method, target, body, headers))
    KEY.public_key().verify(signed.signature, signed.base)
    assert (signed.key_id, signed.created, signed.nonce) == ("cci-63", CREATED, nonce)


def test_the_published_signature_base_is_the_one_the_hub_builds():
    headers = {"Content-Digest": VECTORS[1][4], "Signature-Input": PARAMS.format(ONE),
               "Signature": VECTORS[1][5]}
    signed = parse_signed_request(_line("GET", "/v1/fiches/cci-63/F%201", b"", headers))
    assert signed.base.decode() == BASE_TWO
    assert "\n".join("       " + line for line in BASE_TWO.splitlines()) in PROTOCOL


def _signed(target="/v1/feed?after=1", body=b"", **changes):
    headers = sign_request_rfc9421(KEY, "cci-63", "POST" if body else "GET", target, body)
    headers.update(changes)
    return _line("POST" if body else "GET", target, body, headers)


@pytest.mark.parametrize("signature_input", [
    'sig1=("@method" "@path" "content-digest");created=1;keyid="cci-63";nonce="abcdefghijklmnop"',
    'sig1=("@path" "@query" "content-digest");created=1;keyid="cci-63";nonce="abcdefghijklmnop"',
    'sig1=("@method" "@target-uri");keyid="cci-63";nonce="abcdefghijklmnop"',
    'sig1=("@method" "@target-uri");created=1;keyid="cci-63";nonce="short"',
    'sig1=("@method" "@target-uri");created=1;nonce="abcdefghijklmnop"',
    'sig1=("@method" "@target-uri");created=1;keyid="cci-63";nonce="abcdefghijklmnop";alg="rsa-v1_5-sha256"',
    'sig1=("@method" "@target-uri" "@method");created=1;keyid="cci-63";nonce="abcdefghijklmnop"',
    'sig1=("@method" "@target-uri" "@status");created=1;keyid="cci-63";nonce="abcdefghijklmnop"',
    'sig1=("@method" "@target-uri" "x-absent");created=1;keyid="cci-63";nonce="abcdefghijklmnop"',
    'sig1=("@method" "@target-uri";sf);created=1;keyid="cci-63";nonce="abcdefghijklmnop"',
    'sig1=("@method" "@target-uri");created=1.5;keyid="cci-63";nonce="abcdefghijklmnop"',
    'sig1=("@method" "@target-uri";created=1;keyid="cci-63"',
    'other=("@method" "@target-uri");created=1;keyid="cci-63";nonce="abcdefghijklmnop"',
])
def test_a_signature_covering_too_little_or_malformed_is_refused(signature_input):
    with pytest.raises(SignatureRefused):
        parse_signed_request(_signed("/v1/feed?x=1", **{"Signature-Input": signature_input}))


def test_a_body_must_be_covered_by_its_content_digest():
    uncovered = 'sig1=("@method" "@path" "@query");created=1;keyid="cci-63";nonce="abcdefghijklmnop"'
    with pytest.raises(SignatureRefused, match="content-digest"):
        parse_signed_request(_signed("/v1/fiches", b"{}", **{"Signature-Input": uncovered}))


def test_a_body_that_is_not_the_digested_one_is_refused():
    line = _signed("/v1/fiches", b'{"fiches":[1]}')
    changed = RequestLine(line.method, line.scheme, line.target, line.headers, b'{"fiches":[2]}')
    with pytest.raises(DigestMismatch):
        parse_signed_request(changed)
    bad = dict(line.headers, **{"content-digest": "md5=:AAAA:"})
    with pytest.raises(DigestMismatch):
        parse_signed_request(RequestLine("POST", "https", line.target, bad, line.body))


def test_a_signature_that_is_not_64_bytes_is_refused():
    short = "sig1=:" + base64.b64encode(b"x" * 10).decode() + ":"
    with pytest.raises(SignatureRefused):
        parse_signed_request(_signed(Signature=short))


def test_the_keyid_must_name_the_token_holder():
    now = dt.datetime.fromtimestamp(CREATED, dt.UTC)
    with pytest.raises(BadSignature):
        presented_signature(Settings(), _signed(), "pfil-63", now)
    assert presented_signature(Settings(), _signed(), "cci-63", now).nonce


def test_the_former_scheme_is_refused_once_its_transition_has_ended(tmp_path):
    creds = Credentials.__new__(Credentials)
    creds.token, creds.private_key = "cci-63.s", KEY
    legacy = _line("GET", "/v1/feed", b"", creds.headers("GET", "/v1/feed"))
    settings = Settings(legacy_signatures_until="2027-01-01")
    assert presented_signature(settings, legacy, "cci-63", dt.datetime(2026, 12, 31, tzinfo=dt.UTC))
    with pytest.raises(LegacySignatureRetired):
        presented_signature(settings, legacy, "cci-63", dt.datetime(2027, 1, 1, tzinfo=dt.UTC))


def _sign_components(components: str, line: RequestLine, nonce: str = "abcdefghijklmnopq") -> dict:
    """Sign `line` as a generic RFC 9421 library would, for the given component list."""
    params = f'({components});created={CREATED};keyid="dpo:cci-63";nonce="{nonce}"'
    names = [name.strip('"') for name in components.split()]
    base = "\n".join([f'"{n}": {component_value(n, line)}' for n in names]
                     + [f'"@signature-params": {params}'])
    signature = base64.b64encode(KEY.sign(base.encode())).decode()
    return {"signature-input": f"lib={params}", "signature": f"other=:AAAA:, lib=:{signature}:"}


def test_a_target_uri_signature_with_another_label_and_a_dpo_keyid_verifies():
    body = b'{"decision":"same"}'
    headers = {"host": "hub.exemple.fr", "content-digest": content_digest(body, "sha-512")}
    line = RequestLine("POST", "https", "/v1/duplicates/7/decision?x=%2F", headers, body)
    headers.update(_sign_components('"@method" "@target-uri" "content-digest" "host"', line))
    signed = parse_signed_request(RequestLine("POST", "https", line.target, headers, body))
    KEY.public_key().verify(signed.signature, signed.base)
    assert b'"@target-uri": https://hub.exemple.fr/v1/duplicates/7/decision?x=%2F' in signed.base
    now = dt.datetime.fromtimestamp(CREATED, dt.UTC)
    assert presented_signature(Settings(), RequestLine("POST", "https", line.target, headers, body),
                               "dpo:cci-63", now).nonce == "abcdefghijklmnopq"


@pytest.mark.parametrize("value", [
    'sig1=("@method" "@path");created=1;', 'sig1=("@method"  "@path")x', 'sig1=("@method" @path)',
    'sig1=("@method");created=99999999999999999', 'sig1=("@m\\ethod")', 'SIG=("@method")',
    'sig1=("@method"),', 'sig1=:not base64!:', 'sig1=("@method");created=?2',
])
def test_malformed_structured_fields_are_refused(value):
    with pytest.raises(FieldSyntaxError):
        parse_dictionary(value)


def test_structured_fields_round_trip_to_their_canonical_form():
    members = parse_dictionary('a=("x" "y";p=1);created=5;keyid="k\\"q";flag, b=:AAEC:;t=tok/en, c')
    assert serialize_inner_list(members["a"]) == '("x" "y";p=1);created=5;keyid="k\\"q";flag'
    assert members["b"].value == b"\x00\x01\x02" and members["b"].param("t") == "tok/en"
    assert members["c"].value is True


def test_a_refusal_names_each_label_received_cut_to_32_characters():
    line = _signed()
    long_label = "l" + "x" * 3000
    headers = dict(line.headers)
    headers["signature-input"] = headers["signature-input"].replace("sig1=", f"{long_label}=", 1)
    headers["signature"] = headers["signature"].replace("sig1=", f"{long_label}=", 1)
    relabelled = RequestLine(line.method, line.scheme, line.target, headers, line.body)
    with pytest.raises(SignatureRefused) as refused:
        parse_signed_request(relabelled, key_id="pfil-63")
    shown = long_label[:31] + "…"
    assert shown in refused.value.reason_en and shown in refused.value.reason_fr
    assert long_label[:32] not in refused.value.reason_en + refused.value.reason_fr
    assert parse_signed_request(line, key_id="cci-63").key_id == "cci-63"  # the same, labelled sig1


def test_an_unsupported_derived_component_is_refused_without_repeating_its_name():
    sent = '"@jean-dupont-0612345678"'
    covered = f'sig1=("@method" {sent});created=1;keyid="cci-63";nonce="abcdefghijklmnop"'
    with pytest.raises(SignatureRefused) as refused:
        parse_signed_request(_signed("/v1/feed", **{"Signature-Input": covered}))
    told = refused.value.reason_fr + refused.value.reason_en
    assert "jean-dupont" not in told and "@method" in told and "@query" in told
