"""Member requests signed per RFC 9421 (and the former scheme during its transition),
always over the RAW request target, on both databases."""

import json
from urllib.parse import quote, urlencode

import httpx2 as httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.http_signatures import sign_request_rfc9421
from tests.factories import make_fiche, record_consents

pytestmark = pytest.mark.integration
MEMBER = "cci-puy-de-dome"


def _rfc9421(creds, method, target, body=b""):
    headers = sign_request_rfc9421(creds.private_key, creds.member_id, method, target, body)
    return {**headers, "Authorization": f"Bearer {creds.token}", "Content-Type": "application/json"}


def test_a_percent_encoded_target_signed_as_sent_is_authenticated(client, credentials):
    creds = credentials[MEMBER]
    for fiche_id in ["F%201", "F%2F1", "%C3%A9t%C3%A9", "F-1%3A2", "a%25b"]:
        target = f"/v1/fiches/{MEMBER}/{fiche_id}"
        for headers in (_rfc9421(creds, "GET", target), creds.headers("GET", target)):
            response = client.get(target, headers=headers)
            # authenticated: no such fiche (404), or an id the fiche schema does not allow (422)
            assert response.status_code in (404, 422), (target, response.text)


def test_a_malformed_id_is_refused_only_after_the_signature_is_checked(client, credentials):
    creds, other = credentials[MEMBER], credentials["pfil-livradois-forez"]
    target = f"/v1/fiches/{MEMBER}/F%201"
    forged = sign_request_rfc9421(other.private_key, creds.member_id, "GET", target, b"")
    refused = client.get(target, headers={**forged, "Authorization": f"Bearer {creds.token}"})
    assert refused.status_code == 401
    assert client.get(target, headers=_rfc9421(creds, "GET", target)).status_code == 422


def test_a_query_signed_as_sent_is_authenticated(client, credentials):
    target = "/v1/feed?after=0&limit=%35"  # signed raw, percent-encoding and all ("%35": 5)
    response = client.get(target, headers=_rfc9421(credentials[MEMBER], "GET", target))
    assert response.status_code == 200, response.text


def test_a_decoded_target_does_not_verify_a_raw_one(client, credentials):
    headers = _rfc9421(credentials[MEMBER], "GET", f"/v1/fiches/{MEMBER}/F 1")
    response = client.get(f"/v1/fiches/{MEMBER}/F%201", headers=headers)
    assert response.status_code == 401 and response.json()["error"]["code"] == "bad_signature"


def test_a_fiche_pushed_with_an_rfc9421_signature_is_accepted(client, credentials):
    fiche = make_fiche(fiche_id="F-9421")
    record_consents(client.app.state.hub, [fiche])
    body = json.dumps({"fiches": [fiche]}).encode()
    response = client.post("/v1/fiches", content=body,
                           headers=_rfc9421(credentials[MEMBER], "POST", "/v1/fiches", body))
    assert response.status_code == 202, response.text
    assert response.json()["results"][0]["status"] == "accepted"


def test_a_body_changed_after_signing_is_refused(client, credentials):
    body = json.dumps({"fiches": [make_fiche()]}).encode()
    headers = _rfc9421(credentials[MEMBER], "POST", "/v1/fiches", body)
    response = client.post("/v1/fiches", content=body + b" ", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "content_digest_mismatch"


def test_a_replayed_rfc9421_signature_is_refused(client, credentials):
    headers = _rfc9421(credentials[MEMBER], "GET", "/v1/feed")
    assert client.get("/v1/feed", headers=headers).status_code == 200
    again = client.get("/v1/feed", headers=headers)
    assert again.status_code == 401 and again.json()["error"]["code"] == "replayed_request"


def test_a_signature_made_with_another_members_key_is_refused(client, credentials):
    creds, other = credentials[MEMBER], credentials["pfil-livradois-forez"]
    headers = sign_request_rfc9421(other.private_key, creds.member_id, "GET", "/v1/feed", b"")
    headers["Authorization"] = f"Bearer {creds.token}"
    response = client.get("/v1/feed", headers=headers)
    assert response.status_code == 401 and response.json()["error"]["code"] == "bad_signature"


_TARGET_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(segment=_TARGET_TEXT, value=_TARGET_TEXT, safe=st.sampled_from(["", ":", "/:@!$&'()*+,;="]))
def test_any_target_is_verified_exactly_as_the_client_sends_it(client, credentials, segment, value, safe):
    """The class behind the 401s: whatever a client library percent-encodes (or leaves
    alone), the hub verifies the bytes of the request line, in both schemes."""
    creds = credentials[MEMBER]
    wanted = f"/v1/fiches/{MEMBER}/{quote(segment, safe=safe)}?{urlencode({'x': value})}"
    target = httpx.URL("http://testserver" + wanted).raw_path.decode("ascii")  # what goes on the wire
    for headers in (_rfc9421(creds, "GET", target), creds.headers("GET", target)):
        # not followed: a redirect (an encoded "/" ending the path) is signed for its own target
        response = client.get(target, headers=headers, follow_redirects=False)
        assert response.status_code != 401, (target, response.text)
