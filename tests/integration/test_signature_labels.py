"""A request carrying several RFC 9421 signatures (a gateway adding its own label before
the member's): the hub verifies the label whose keyid names the caller's credential,
wherever it stands, refuses a request none of whose labels does, and applies the nonce
and the clock to that label (docs/protocol.md, "Member authentication"). Real signed
requests: the connectors' signer and the Node partner client, on both databases."""

import base64
import json
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from connectors.http_signatures import sign_request_rfc9421
from hub.keys import b64url
from tests.integration.test_node_partner import _node

pytestmark = pytest.mark.integration
MEMBER = "cci-puy-de-dome"
GATEWAY = "passerelle-dmz"
NODE_CLIENT = Path(__file__).parents[2] / "examples" / "node" / "capactif.mjs"


def _labelled(headers: dict[str, str], label: str) -> tuple[str, str]:
    """A signer's Signature-Input and Signature members under `label`."""
    return (label + "=" + headers["Signature-Input"].partition("=")[2],
            label + "=" + headers["Signature"].partition("=")[2])


def _signed(creds, target, *, gateway_first=True, member_key=None, key_id=None, nonce=None):
    """The member's signature and a gateway's (its own key and keyid, label « gw »)."""
    member = sign_request_rfc9421(member_key or creds.private_key, key_id or creds.member_id,
                                  "GET", target, b"", nonce=nonce)
    gateway = sign_request_rfc9421(Ed25519PrivateKey.generate(), GATEWAY, "GET", target, b"")
    labels = [_labelled(gateway, "gw"), _labelled(member, "sig1")]
    if not gateway_first:
        labels.reverse()
    return {"Content-Digest": member["Content-Digest"],
            "Signature-Input": ", ".join(i for i, _ in labels),
            "Signature": ", ".join(s for _, s in labels),
            "Authorization": f"Bearer {creds.token}"}


@pytest.mark.parametrize("gateway_first", [True, False])
def test_the_label_naming_the_callers_credential_is_verified_wherever_it_stands(
        client, credentials, gateway_first):
    headers = _signed(credentials[MEMBER], "/v1/feed", gateway_first=gateway_first)
    response = client.get("/v1/feed", headers=headers)
    assert response.status_code == 200, response.text


def test_labels_on_separate_header_lines_are_one_dictionary(client, credentials):
    headers = _signed(credentials[MEMBER], "/v1/feed?after=0")
    lines = [(name, value) for name, value in headers.items() if not name.startswith("Signature")]
    for name in ("Signature-Input", "Signature"):
        lines += [(name, member) for member in headers[name].split(", ")]
    response = client.get("/v1/feed?after=0", headers=lines)
    assert response.status_code == 200, response.text


def test_a_request_no_label_of_which_names_the_caller_is_refused_saying_so(client, credentials):
    creds = credentials[MEMBER]
    headers = _signed(creds, "/v1/feed", key_id=GATEWAY + "-2")
    response = client.get("/v1/feed", headers=headers)
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "bad_signature"
    for said in ("keyid", f"« {MEMBER} »", "gw", "sig1"):
        assert said in error["message_fr"], error["message_fr"]
    for said in ("keyid", f"'{MEMBER}'", "gw", "sig1"):
        assert said in error["message_en"], error["message_en"]
    assert creds.token.partition(".")[2] not in json.dumps(error)


def test_the_callers_label_must_verify_with_its_key_whatever_the_other_labels(
        client, credentials):
    creds, other = credentials[MEMBER], credentials["pfil-livradois-forez"]
    headers = _signed(creds, "/v1/feed", member_key=other.private_key)
    response = client.get("/v1/feed", headers=headers)
    assert response.status_code == 401 and response.json()["error"]["code"] == "bad_signature"


def test_the_callers_nonce_is_the_one_remembered_whatever_the_gateway_signs(client, credentials):
    creds = credentials[MEMBER]
    first = _signed(creds, "/v1/feed", nonce="n-" + "a" * 20)
    assert client.get("/v1/feed", headers=first).status_code == 200
    again = _signed(creds, "/v1/feed", nonce="n-" + "a" * 20)  # a new gateway signature
    assert again["Signature"] != first["Signature"]
    response = client.get("/v1/feed", headers=again)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "replayed_request"


_NODE_GATEWAY = """
import crypto from "node:crypto";
import { privateKey, signRequest } from %(client)s;
const [credentials, target] = [JSON.parse(process.argv[1]), process.argv[2]];
const member = signRequest(privateKey(credentials.cle_privee), credentials.membre, "GET", target,
  Buffer.alloc(0));
const { privateKey: gatewayKey } = crypto.generateKeyPairSync("ed25519");
const gateway = signRequest(gatewayKey, %(gateway)s, "GET", target, Buffer.alloc(0));
const relabel = (value) => "proxy" + value.slice(value.indexOf("="));
console.log(JSON.stringify({
  "Content-Digest": member["Content-Digest"],
  "Signature-Input": `${relabel(gateway["Signature-Input"])}, ${member["Signature-Input"]}`,
  "Signature": `${relabel(gateway["Signature"])}, ${member["Signature"]}`,
  "Authorization": `Bearer ${credentials.token}`,
}));
"""


def test_a_node_partner_behind_a_signing_gateway_is_authenticated(client, credentials):
    creds = credentials[MEMBER]
    document = {"membre": creds.member_id, "token": creds.token,
                "cle_privee": b64url(creds.private_key.private_bytes_raw())}
    script = _NODE_GATEWAY % {"client": json.dumps(NODE_CLIENT.as_uri()),
                              "gateway": json.dumps(GATEWAY)}
    done = subprocess.run([_node(), "--input-type=module", "-e", script, "--",
                           json.dumps(document), "/v1/feed"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    headers = json.loads(done.stdout)
    assert headers["Signature-Input"].startswith("proxy=")
    assert base64.b64decode(headers["Signature"].split(":")[1])  # the gateway's, first
    response = client.get("/v1/feed", headers=headers)
    assert response.status_code == 200, response.text
