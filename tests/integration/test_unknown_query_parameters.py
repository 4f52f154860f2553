"""A query parameter the operation does not declare is refused, not ignored: a partner who
misspells `after` (`?afer=120`) would otherwise read the feed from its start and believe
it filtered. The answer is a 422 `invalid_parameter` naming the parameter (never its
value), and every operation declares the 422 in the contract."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fastapi.testclient import TestClient

from capactif_demo.consent_examples import example_submission
from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.members import load_network
from tests.factories import Clock, make_fiche, record_consents
from tests.fakes.publisher import RecordingPublisher
from tests.integration.contract_world import (
    NETWORK,
    OWNER,
    RECIPIENT,
    ContractWorld,
    network_document,
)

pytestmark = pytest.mark.integration


def _refused(response, name: str) -> dict:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_parameter"
    assert [e["path"] for e in error["erreurs"]] == [f"query.{name}"]
    assert error["erreurs"][0]["code"] == "unknown_parameter"
    return error


@pytest.mark.parametrize(("caller", "target", "name"), [
    (OWNER, "/v1/feed?afer=12", "afer"),
    (OWNER, "/v1/feed?after=0&taille=5", "taille"),
    (OWNER, "/v1/notices?page=2", "page"),
    (NETWORK, "/v1/duplicates?statut=ouvert", "statut"),
    (f"{NETWORK}.dpo", "/v1/audit/tree-head?taille=3", "taille"),
])
def test_an_undeclared_query_parameter_is_a_422_naming_it(contract, caller, target, name):
    error = _refused(contract.call(caller, "GET", target), name)
    assert "12" not in json.dumps(error) and "ouvert" not in json.dumps(error)


def test_a_parameter_name_that_could_hold_personal_data_is_not_repeated(contract):
    response = contract.call(OWNER, "GET", "/v1/feed?jean.dupont%40exemple.fr=1")
    assert response.status_code == 422, response.text
    assert "dupont" not in response.text
    assert response.json()["error"]["erreurs"][0]["path"] == "query"


def test_declared_parameters_are_still_answered(contract):
    assert contract.call(OWNER, "GET", "/v1/feed?after=0").status_code == 200


def test_every_operation_declares_the_422_of_an_undeclared_parameter(contract):
    document = contract.client.get("/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert "422" in operation["responses"], (method, path)


@pytest.mark.parametrize(("caller", "target", "name"), [
    (OWNER, "/v1/feed?after=0&after=5", "after"),
    (f"{NETWORK}.dpo", "/v1/audit?membre=commune-ambert&membre=cci-puy-de-dome", "membre"),
])
def test_a_parameter_given_twice_is_a_422_not_one_of_its_values_chosen(contract, caller, target, name):
    """A proxy, a signature library or a cache may read the first value where the hub read
    the last (as with a name given twice in a JSON body): no contract parameter is a list."""
    response = contract.call(caller, "GET", target)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert [(e["path"], e["code"]) for e in error["erreurs"]] == [(f"query.{name}", "repeated_parameter")]
    assert "commune-ambert" not in response.text


def test_a_push_asked_as_a_dry_run_in_the_query_is_refused_and_stores_nothing(contract):
    """`POST /v1/fiches?dry_run=1` was carried out for real, the parameter ignored."""
    fiche = make_fiche(member=OWNER, fiche_id="F-DRY")
    record_consents(contract.hub, [fiche])
    response = contract.call(OWNER, "POST", "/v1/fiches?dry_run=1", body={"fiches": [fiche]})
    _refused(response, "dry_run")
    assert contract.call(OWNER, "GET", f"/v1/fiches/{OWNER}/F-DRY").status_code == 404


# The check comes after the signature, the source's lockout and the role: an unknown
# parameter must not turn a 401, a 429 or a 403 into a 422 (nor escape the refusal count).

def test_an_unsigned_request_with_an_unknown_parameter_is_a_401(contract):
    assert contract.client.get("/v1/feed?zz=1").status_code == 401


def test_a_forged_signature_with_an_unknown_parameter_is_a_401(contract):
    headers = contract.creds(OWNER).rfc9421_headers("GET", "/v1/feed")  # signed another target
    response = contract.client.get("/v1/feed?zz=1", headers=headers)
    assert response.status_code == 401, response.text


def test_a_locked_out_source_with_an_unknown_parameter_is_a_429(db_url, tmp_path):
    # the hub's clock held still: the refusals' fixed window cannot end midway
    path = tmp_path / "network.json"
    path.write_text(json.dumps(network_document()))
    hub = Hub.from_settings(Settings(data_dir=tmp_path / "d", database_url=db_url),
                            publisher=RecordingPublisher(), clock=Clock())
    load_network(hub, path, tmp_path / "creds")
    with TestClient(create_app(hub=hub), raise_server_exceptions=False) as client:
        world = ContractWorld(hub, client, tmp_path / "creds")
        bad = {"Authorization": f"Bearer {OWNER}.faux"}
        limit = hub.settings.auth_refusal_limit
        statuses = [client.get("/v1/feed", headers=bad).status_code for _ in range(limit + 1)]
        assert statuses[-1] == 429, statuses
        assert client.get("/v1/feed?zz=1", headers=bad).status_code == 429
        assert world.call(OWNER, "GET", "/v1/feed?zz=1").status_code == 429
    hub.close()


@pytest.mark.parametrize("target", ["/v1/audit?zz=1", "/v1/audit/alerts?zz=1",
                                    "/v1/audit/export?zz=1",
                                    "/v1/audit/report/P-1?zz=1", "/v1/duplicates?zz=1"])
def test_a_member_on_a_route_it_may_not_call_with_an_unknown_parameter_is_a_403(contract, target):
    assert contract.call(OWNER, "GET", target).status_code == 403


def test_a_member_dpo_on_the_network_dpo_route_with_an_unknown_parameter_is_a_403(contract):
    response = contract.call(f"{RECIPIENT}.dpo", "GET", "/v1/audit/report/P-1?zz=1")
    assert response.status_code == 403, response.text


@pytest.mark.parametrize("target", ["/v1/schemas?zz=1", "/v1/hub-keys?zz=1"])
def test_an_unsigned_operation_still_refuses_an_unknown_parameter(contract, target):
    assert contract.client.get(target).status_code == 422


@pytest.mark.parametrize("path", ["/livez", "/healthz", "/readyz", "/metrics"])
def test_the_ops_routes_ignore_a_monitor_s_cache_buster(contract, path):
    """They take no parameter: a monitor adding `?_=<time>` must not take a node down."""
    plain = contract.client.get(path)
    assert contract.client.get(f"{path}?_=1733440000&_=2").status_code == plain.status_code != 422


@pytest.mark.parametrize(("method", "target"), [
    ("GET", f"/v1/deliveries/dead?membre={RECIPIENT}&zz=1"),
    ("GET", f"/v1/deliveries/dead?membre={RECIPIENT}&limit=0"),
    ("GET", f"/v1/deliveries/dead?membre={RECIPIENT}&membre={OWNER}"),
    ("GET", "/v1/deliveries/dead?membre=Pas%20un%20membre"),
    ("POST", f"/v1/deliveries/replay?membre={RECIPIENT}&delivery_id=abc"),
    ("POST", f"/v1/deliveries/replay?zz=1&membre={RECIPIENT}"),
])
def test_a_member_naming_another_member_s_dead_letters_is_a_403_whatever_else_its_query_holds(
        contract, method, target):
    """The 403 of another member's dead letters was decided from `membre`'s value inside
    the route, after the query's checks: a member was told 422 (a parameter unknown,
    repeated or out of range) for what it may not ask at all."""
    response = contract.call(OWNER, method, target)
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "forbidden"


def test_the_coordination_naming_a_member_still_has_its_query_checked(contract):
    response = contract.call(NETWORK, "GET", f"/v1/deliveries/dead?membre={OWNER}&zz=1")
    _refused(response, "zz")
    own = contract.call(OWNER, "GET", f"/v1/deliveries/dead?membre={OWNER}&zz=1")
    _refused(own, "zz")


@pytest.mark.parametrize(("caller", "method", "target"), [
    (f"{RECIPIENT}.dpo", "GET", f"/v1/audit?membre={OWNER}&zz=1"),
    (f"{RECIPIENT}.dpo", "GET", f"/v1/audit?membre={OWNER}&limit=0"),
    (f"{RECIPIENT}.dpo", "GET", f"/v1/audit?membre={RECIPIENT}&membre={OWNER}"),
    (f"{RECIPIENT}.dpo", "GET", f"/v1/audit/export?format=csv&membre={OWNER}&zz=1"),
    (f"{RECIPIENT}.dpo", "GET", "/v1/audit/export?zz=1"),  # the whole log: the network's DPO
    (RECIPIENT, "GET", f"/v1/audit?membre={OWNER}&zz=1"),  # no DPO at all, as before
    (RECIPIENT, "GET", f"/v1/fiches/{OWNER}/F-1?zz=1"),
    (RECIPIENT, "DELETE", f"/v1/fiches/{OWNER}/F-1?zz=1"),
    (RECIPIENT, "GET", "/v1/fiches/Pas%20un%20membre/F-1?zz=1"),
])
def test_a_403_decided_from_a_member_named_in_the_query_or_path_comes_before_any_422(
        contract, caller, method, target):
    """A member's DPO naming another member in the audit, or a member naming another's
    fiche, was told 422 (a parameter unknown or out of range) where without it the answer
    is 403: the refusal came from the route, after the query's checks."""
    response = contract.call(caller, method, target)
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize(("caller", "method", "target"), [
    (f"{RECIPIENT}.dpo", "GET", f"/v1/audit?membre={RECIPIENT}&zz=1"),
    (f"{RECIPIENT}.dpo", "GET", f"/v1/audit/export?format=csv&membre={RECIPIENT}&zz=1"),
    (f"{NETWORK}.dpo", "GET", f"/v1/audit?membre={OWNER}&zz=1"),
    (f"{NETWORK}.dpo", "GET", "/v1/audit/export?zz=1"),
    (OWNER, "GET", f"/v1/fiches/{OWNER}/F-1?zz=1"),
    (OWNER, "DELETE", f"/v1/fiches/{OWNER}/F-1?zz=1"),
])
def test_who_may_ask_still_has_its_query_checked(contract, caller, method, target):
    _refused(contract.call(caller, method, target), "zz")


# A 403 decided from what the body names: a fiche or a consent in another member's name,
# a porteur named by id by a member. It came after the query's checks and the body's
# (envelope, closed keys, schema): a member was told 400 or 422 about the rest of what it
# may not send at all.

def _foreign_fiche() -> dict:
    return make_fiche(member=RECIPIENT, fiche_id="F-OTHER")


def _foreign_consent(**changes: object) -> dict:
    return {**example_submission(1, "0" * 64, dt.datetime.now(dt.UTC), membre=RECIPIENT,
                                 reference="CST-F-OTHER", fiche_id="F-OTHER"), **changes}


NAMING_IN_THE_BODY = [
    ("/v1/fiches?zz=1", lambda: {"fiches": [_foreign_fiche()]}),
    ("/v1/fiches", lambda: {"fiches": [_foreign_fiche()], "dry_run": True}),
    ("/v1/fiches", lambda: {"fiches": [make_fiche(member=OWNER, fiche_id="F-OWN"), _foreign_fiche()]
                            * 501}),  # past 1,000 items
    ("/v1/fiches", lambda: {"fiches": [{**_foreign_fiche(), "version": "un"}]}),
    ("/v1/erasures?zz=1", lambda: {"porteur_id": "prt_" + "0" * 24}),
    ("/v1/erasures", lambda: {"porteur_id": "prt_" + "0" * 24, "zz": 1}),
    ("/v1/erasures", lambda: {"porteur_id": "prt_" + "0" * 24, "fiche_id": "F-1"}),
    ("/v1/erasures", lambda: {"porteur_id": "prt_" + "0" * 24, "reference": 7}),
    ("/v1/consents?zz=1", _foreign_consent),
    ("/v1/consents", lambda: _foreign_consent(finalites="toutes")),
    ("/v1/consents", lambda: _foreign_consent(notice={"version": 1, "empreinte": "xyz"})),
    ("/v1/consents", lambda: {"membre": RECIPIENT}),
]


@pytest.mark.parametrize(("target", "body"), NAMING_IN_THE_BODY)
def test_a_403_decided_from_what_the_body_names_comes_before_any_400_or_422(contract, target, body):
    response = contract.call(OWNER, "POST", target, body=body())
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] in ("forbidden", "fiche_not_owned")


@pytest.mark.parametrize(("caller", "target", "body"), [
    (OWNER, "/v1/fiches?zz=1", lambda: {"fiches": [make_fiche(member=OWNER, fiche_id="F-OWN")]}),
    (NETWORK, "/v1/erasures?zz=1", lambda: {"porteur_id": "prt_" + "0" * 24}),
    (OWNER, "/v1/erasures?zz=1", lambda: {"fiche_id": "F-1"}),
    (RECIPIENT, "/v1/consents?zz=1", _foreign_consent),
])
def test_who_may_name_it_still_has_its_query_checked(contract, caller, target, body):
    _refused(contract.call(caller, "POST", target, body=body()), "zz")


def test_who_may_name_it_still_has_its_body_checked(contract):
    """The gate decides the 403 only: the route's own refusals stand for who may send it."""
    batch = contract.call(OWNER, "POST", "/v1/fiches",
                          body={"fiches": [make_fiche(member=OWNER, fiche_id="F-OWN")], "zz": 1})
    assert (batch.status_code, batch.json()["error"]["code"]) == (400, "invalid_batch")
    erasure = contract.call(NETWORK, "POST", "/v1/erasures",
                            body={"porteur_id": "prt_" + "0" * 24, "zz": 1})
    assert (erasure.status_code, erasure.json()["error"]["code"]) == (400, "malformed_body")
    consent = contract.call(RECIPIENT, "POST", "/v1/consents", body={"membre": RECIPIENT})
    assert (consent.status_code, consent.json()["error"]["code"]) == (400, "invalid_consent")
    not_json = contract.call(OWNER, "POST", "/v1/erasures", raw=b'{"porteur_id": ')
    assert (not_json.status_code, not_json.json()["error"]["code"]) == (400, "malformed_body")


def test_a_refused_push_in_another_member_s_name_still_spends_its_nonce(contract):
    """The push's gate runs where its nonce is kept: a replay of the refused request is
    refused as a replay, not weighed again."""
    target, content = "/v1/fiches?zz=1", json.dumps({"fiches": [_foreign_fiche()]}).encode()
    headers = contract.creds(OWNER).rfc9421_headers("POST", target, content)
    first = contract.client.post(target, content=content, headers=headers)
    assert first.status_code == 403, first.text
    again = contract.client.post(target, content=content, headers=headers)
    assert again.status_code == 401, again.text
