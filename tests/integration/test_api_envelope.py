"""Every input is answered 4xx in the hub's envelope, never 5xx and never in FastAPI's
own shape; parameter errors name the parameter and the rule, never the value sent."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from urllib.parse import urlencode

import pytest

from capactif_demo.consent_examples import example_submission
from tests.factories import make_fiche, record_consents
from tests.integration.contract_world import NETWORK, OWNER, RECIPIENT

pytestmark = pytest.mark.integration

HUGE = str(2**63)
MARKER = "9223372036854775808"


def assert_envelope(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"code", "message_fr", "message_en"} <= set(body["error"]), body
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]


@pytest.mark.parametrize("target", [
    f"/v1/feed?after={HUGE}", "/v1/feed?after=-1", "/v1/feed?after=douze",
    f"/v1/deliveries/replay?delivery_id={HUGE}"])
def test_integers_beyond_64_bits_or_of_the_wrong_type_are_a_422_naming_the_parameter(contract, target):
    method = "POST" if "replay" in target else "GET"
    error = assert_envelope(contract.call(OWNER, method, target), 422, "invalid_parameter")
    assert error["erreurs"][0]["path"].startswith("query.")
    assert MARKER not in json.dumps(error) and "douze" not in json.dumps(error)


@pytest.mark.parametrize("target", [f"/v1/duplicates/{HUGE}", f"/v1/duplicates?after={HUGE}"])
def test_a_duplicate_id_beyond_64_bits_is_a_422(contract, target):
    assert_envelope(contract.call(NETWORK, "GET", target), 422, "invalid_parameter")


@pytest.mark.parametrize("depuis", ["2026-01-01T00:00:00", "2026-01-01", "9999-12-31T23:59:59-14:00",
                                    "0001-01-01T00:00:00+14:00", "demain",
                                    # numbers were read as Unix times: 20261201 as 1970-08-23
                                    "20261201", "1764547200", "0.5"])
def test_audit_depuis_without_an_offset_or_out_of_range_is_a_422(contract, depuis):
    for target in (f"/v1/audit?depuis={depuis}", f"/v1/audit/alerts?depuis={depuis}",
                   f"/v1/audit/export?format=csv&depuis={depuis}"):
        error = assert_envelope(contract.call(f"{NETWORK}.dpo", "GET", target), 422,
                                "invalid_parameter")
        assert error["erreurs"][0]["path"] == "query.depuis"
        assert depuis not in json.dumps(error)
    error = assert_envelope(contract.call(f"{NETWORK}.dpo", "GET", f"/v1/audit?jusqu_a={depuis}"),
                            422, "invalid_parameter")
    assert error["erreurs"][0]["path"] == "query.jusqu_a"


def test_a_proof_size_beyond_64_bits_is_a_422(contract):
    for target in (f"/v1/audit/proofs/inclusion/{HUGE}", f"/v1/audit/proofs/consistency?first={HUGE}"):
        assert_envelope(contract.call(f"{NETWORK}.dpo", "GET", target), 422, "invalid_parameter")


@pytest.mark.parametrize("body", [[1, 2], "texte", 42, None, [["membre", OWNER]]])
def test_a_consent_body_that_is_json_but_not_an_object_is_a_400(contract, body):
    error = assert_envelope(contract.call(OWNER, "POST", "/v1/consents", body=body,
                                          raw=json.dumps(body).encode()), 400, "invalid_consent")
    assert error["erreurs"][0]["path"] == "$"


def test_an_unknown_route_is_a_404_in_the_envelope(contract):
    assert_envelope(contract.client.get("/v1/nothing-here"), 404, "route_not_found")
    assert_envelope(contract.client.post("/nowhere"), 404, "route_not_found")


def test_a_wrong_method_is_a_405_whose_allow_header_lists_every_method_of_the_path(contract):
    response = contract.client.put("/v1/fiches/commune-ambert/F-1")
    assert_envelope(response, 405, "method_not_allowed")
    assert {m.strip() for m in response.headers["allow"].split(",")} >= {"GET", "DELETE"}
    response = contract.client.delete("/v1/subscriptions")
    assert {m.strip() for m in response.headers["allow"].split(",")} >= {"GET", "PUT"}


@pytest.mark.parametrize("membre", [63, None, ["commune-ambert"], {"id": "x"}, True])
def test_an_item_whose_membre_is_not_a_text_is_rejected_alone(contract, membre):
    good = make_fiche(member=OWNER, fiche_id="F-1")
    record_consents(contract.hub, [good])
    odd = make_fiche(member=OWNER, fiche_id="F-2") | {"membre": membre}
    response = contract.call(OWNER, "POST", "/v1/fiches", body={"fiches": [good, odd]})
    assert response.status_code == 202, response.text
    results = response.json()["results"]
    assert results[0]["status"] == "accepted"
    assert results[1]["status"] == "rejected"
    assert any(e["path"] == "$.membre" for e in results[1]["errors"])


@pytest.mark.parametrize("field,value", [
    (("projet", "siret"), "73282932000074\n"), (("projet", "siret"), "٧٣٢٨٢٩٣٢٠٠٠٠٧٤"),
    (("porteur", "date_naissance"), "2064-01-01"), (("projet", "code_naf"), "56.10A\n")])
def test_a_malformed_identifier_is_a_per_item_format_error_not_a_500(contract, field, value):
    fiche = make_fiche(member=OWNER, fiche_id="F-1")
    fiche[field[0]][field[1]] = value
    record_consents(contract.hub, [fiche])
    response = contract.call(OWNER, "POST", "/v1/fiches", body={"fiches": [fiche]})
    assert response.status_code == 202, response.text
    [result] = response.json()["results"]
    assert result["status"] == "rejected"
    assert {"path": f"$.{field[0]}.{field[1]}", "code": "format"}.items() <= result["errors"][0].items()


def test_a_member_id_of_another_member_still_refuses_the_batch(contract):
    other = make_fiche(member=RECIPIENT, fiche_id="F-1")
    response = contract.call(OWNER, "POST", "/v1/fiches", body={"fiches": [other]})
    assert_envelope(response, 403)


@pytest.mark.parametrize("depuis", ["3024-01-01T00:00:00+00:00", "1970-01-02T00:00:00+00:00"])
def test_alerts_since_a_date_in_the_future_or_before_the_retention_period_are_a_400(contract, depuis):
    target = "/v1/audit/alerts?" + urlencode({"depuis": depuis})
    assert_envelope(contract.call(f"{NETWORK}.dpo", "GET", target), 400, "bad_request")


@pytest.mark.parametrize("target", ["/v1/duplicates/history?porteur=%00", "/v1/consents/a%00b",
                                    "/v1/audit?action=x%00", "/v1/porteurs/%00/consents"])
def test_a_nul_character_in_a_parameter_is_a_422(contract, target):
    caller = f"{NETWORK}.dpo" if target.startswith("/v1/audit") else NETWORK
    error = assert_envelope(contract.call(caller, "GET", target), 422, "invalid_parameter")
    assert error["erreurs"][0]["code"] == "nul_character"


@pytest.mark.parametrize(("caller", "method", "target", "body"), [
    (OWNER, "POST", "/v1/consents", {"agent": "a\u0000b"}),
    (OWNER, "POST", "/v1/erasures", {"fiche_id": "F\u00001"}),
    (OWNER, "PUT", "/v1/subscriptions", {"abonnements": [{"communes": ["63\u0000003"]}]}),
    (NETWORK, "POST", "/v1/porteurs/prt_x/unmerge", {"membre": "a\u0000", "fiche_id": "F\u0000"}),
    (NETWORK, "POST", "/v1/duplicates/1/decision", {"decision": "same\u0000"}),
])
def test_a_nul_character_in_a_body_is_a_400_naming_where(contract, caller, method, target, body):
    if target == "/v1/consents":
        body = example_submission(1, "0" * 64, dt.datetime.now(dt.UTC), membre=OWNER) | body
    error = assert_envelope(contract.call(caller, method, target, body=body), 400, "malformed_body")
    assert "$." in error["message_en"]


@pytest.mark.parametrize("where", [("fiche_id",), ("membre",), ("porteur", "nom"), ("projet", "cle\u0000")])
def test_a_fiche_holding_a_nul_character_is_rejected_alone(contract, where):
    good = make_fiche(member=OWNER, fiche_id="F-1")
    record_consents(contract.hub, [good])
    odd = make_fiche(member=OWNER, fiche_id="F-2")
    parent = odd
    for key in where[:-1]:
        parent = parent[key]
    parent[where[-1]] = "a\u0000b"
    response = contract.call(OWNER, "POST", "/v1/fiches", body={"fiches": [good, odd]})
    assert response.status_code == 202, response.text
    first, second = response.json()["results"]
    assert first["status"] == "accepted"
    assert second["status"] == "rejected" and second["errors"][0]["code"] == "nul_character"


def test_a_database_outage_met_outside_a_unit_of_work_is_a_503_with_retry_after(
        contract, monkeypatch):
    """The consent registry reads the store directly: its database errors were a 500."""
    import sqlalchemy as sa

    from hub.services.privacy import consents

    def outage(*_args: object) -> None:
        raise sa.exc.OperationalError("SELECT consents", {}, Exception("server closed the connection"))

    monkeypatch.setattr(consents, "read_consent", outage)
    answer = contract.call(OWNER, "GET", "/v1/consents/C-1")
    assert_envelope(answer, 503, "store_unavailable")
    assert int(answer.headers["Retry-After"]) > 0
    assert "SELECT" not in answer.text


@pytest.mark.parametrize("path", ["/v1/fiches", "/console/connexion"])
def test_a_client_gone_before_its_body_ended_is_a_400_and_no_error_in_the_log(contract, path, caplog):
    """A partner's connection cut mid-push (or the server's own refusal of its framing)
    is the client's doing: it was logged as an unexpected error with a traceback."""
    messages = [{"type": "http.request", "body": b'{"fic', "more_body": True},
                 {"type": "http.disconnect"}]
    sent: list[dict] = []

    async def receive() -> dict:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    content_type = b"application/json" if path.startswith("/v1") else b"application/x-www-form-urlencoded"
    # a token of the expected form: without one, the push is refused before its body is read
    token = [(b"authorization", f"Bearer {OWNER}.x".encode())] if path.startswith("/v1") else []
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
             "root_path": "", "headers": [(b"host", b"hub"), (b"content-type", content_type),
                                          (b"content-length", b"100"), *token],
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000), "state": {}}
    asyncio.run(contract.client.app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 400, sent
    assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")], caplog.text


@pytest.mark.parametrize("number", ["5%20", "%0A5", "%2B5", "5_0", "%D9%A5"])
@pytest.mark.parametrize("caller, method, template", [
    (OWNER, "GET", "/v1/feed?after={}"), (OWNER, "GET", "/v1/feed?limit={}"),
    (OWNER, "POST", "/v1/deliveries/replay?delivery_id={}"),
    (OWNER, "GET", "/v1/notices?after={}"), (OWNER, "GET", "/v1/notices/{}"),
    (NETWORK, "GET", "/v1/duplicates?after={}"), (NETWORK, "GET", "/v1/duplicates/{}"),
    (f"{NETWORK}.dpo", "GET", "/v1/audit?limit={}"),
    (f"{NETWORK}.dpo", "GET", "/v1/audit/proofs/inclusion/{}"),
    (f"{NETWORK}.dpo", "GET", "/v1/audit/proofs/consistency?first={}"),
])
def test_an_integer_is_ascii_digits_only_no_space_sign_or_other_digit(contract, caller, method,
                                                                        template, number):
    """Spaces and a plus sign were read away (`?after=5%20` as 5): a parameter that is not
    the number's digits alone is a 422 naming it, never the value sent."""
    error = assert_envelope(contract.call(caller, method, template.format(number)), 422,
                            "invalid_parameter")
    assert error["erreurs"][0]["path"].startswith(("query.", "path."))
