"""Outside in, over HTTP: a member the hub told nothing about a consent, a porteur, a
fiche or an erasure gets for its id exactly the answer it gets for an id nobody holds
(status and body, error code included), on every route that takes one (docs/protocol.md,
"Need-to-know"). Otherwise the code alone says that the thing exists."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from hub.services.accounts.auth import Caller
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from hub.services.privacy import erasure
from tests.factories import make_fiche, other_porteur, record_consents
from tests.integration.contract_world import OWNER, RECIPIENT
from tests.integration.statements import one_line, statements_sent

pytestmark = pytest.mark.integration

NOBODY_S = {"consent": "cns_" + "0" * 32, "porteur": "prt_" + "0" * 24, "erasure": "eff_" + "0" * 24}
ROUTES = [("GET", "/v1/consents/{consent}"), ("GET", "/v1/consents/{consent}/receipt"),
          ("GET", "/v1/consents/{consent}/acks"), ("POST", "/v1/consents/{consent}/withdraw"),
          ("POST", "/v1/consents/{consent}/ack"), ("GET", "/v1/porteurs/{porteur}"),
          ("GET", "/v1/porteurs/{porteur}/consents"), ("GET", "/v1/erasures/{erasure}"),
          ("POST", "/v1/erasures/{erasure}/ack"), ("POST", "/v1/erasures/{erasure}/answer")]


@pytest.fixture
def held(contract) -> dict[str, str]:
    """The owner's consent and fiche (its porteur), and the erasure of another porteur's
    fiche: the worker processed both, and nothing of either reached the other member."""
    owner = Caller(OWNER, "", "commune", "accueil")
    fiches = [make_fiche(member=OWNER, fiche_id="F-1"),
              make_fiche(member=OWNER, fiche_id="F-2", porteur=other_porteur(1))]
    for fiche in fiches:
        fiche["accompagnement"][0]["structure"] = OWNER
    consent, _ = record_consents(contract.hub, fiches, roles_destinataires=["accueil"])
    assert ingest.push_batch(contract.hub, owner, fiches)["accepted"] == 2
    processing.process_outbox(contract.hub, contract.hub.publisher.published[-1])
    with contract.hub.uow() as uow:
        porteur_id = uow.fiches.porteur_of(OWNER, "F-1").porteur_id
        assert not uow.deliveries.data_recipients([uow.fiches.porteur_of(OWNER, "F-1").id])[
            uow.fiches.porteur_of(OWNER, "F-1").id] - {OWNER}
    erased = erasure.request_erasure(contract.hub, owner, {"fiche_id": "F-2"})["effacement"]
    return {"consent": consent.id, "porteur": porteur_id, "erasure": erased}


@pytest.mark.parametrize(("method", "route"), ROUTES)
def test_an_id_held_by_others_answers_like_an_id_nobody_holds(contract, held, method, route):
    def answer(ids: dict[str, str]) -> tuple[int, dict]:
        response = contract.call(RECIPIENT, method, route.format(**ids),
                                 body={} if method == "POST" else None)
        return response.status_code, response.json()

    unknown = answer(NOBODY_S)
    assert unknown[0] == 404
    assert answer(held) == unknown


OTHER_ROUTES = [
    ("GET", "/v1/fiches/{owner}/{fiche}", None),
    ("DELETE", "/v1/fiches/{owner}/{fiche}", None),
    ("POST", "/v1/erasures", {"porteur_id": "{porteur}"}),
    ("POST", "/v1/porteurs/{porteur}/unmerge", {}),
    ("GET", "/v1/audit/fiches/{fiche}/report", None),
    ("GET", "/v1/audit/report/{porteur}", None),
]


def _other_route_call(contract, caller: str, method: str, route: str, body: dict | None,
                      fiche: str, porteur: str):
    target = route.format(owner=OWNER, fiche=fiche, porteur=porteur)
    sent = None if body is None else {k: v.format(porteur=porteur) if isinstance(v, str)
                                      else v for k, v in body.items()}
    return contract.call(caller, method, target, body=sent if method != "GET" else None)


@pytest.mark.parametrize(("method", "route", "body"), OTHER_ROUTES)
@pytest.mark.parametrize("caller", [RECIPIENT, f"{RECIPIENT}.dpo"])
def test_another_member_s_fiche_or_porteur_answers_like_one_nobody_holds(contract, held, method,
                                                                          route, body, caller):
    """The routes naming a fiche or a porteur another member holds (a sweep of the
    routes the first test does not take)."""
    def answer(fiche: str, porteur: str) -> tuple[int, dict]:
        response = _other_route_call(contract, caller, method, route, body, fiche, porteur)
        return response.status_code, response.json()

    unknown = answer("F-NOBODY", NOBODY_S["porteur"])
    assert unknown[0] in (200, 403, 404)
    assert answer("F-1", held["porteur"]) == unknown


@pytest.mark.parametrize(("method", "route", "body"), OTHER_ROUTES)
@pytest.mark.parametrize("caller", [RECIPIENT, f"{RECIPIENT}.dpo"])
def test_another_member_s_fiche_or_porteur_costs_the_statements_of_one_nobody_holds(
        contract, held, method, route, body, caller):
    def statements(fiche: str, porteur: str) -> list[str]:
        with statements_run() as run:
            _other_route_call(contract, caller, method, route, body, fiche, porteur)
        return run

    statements("F-NOBODY", NOBODY_S["porteur"])
    assert statements("F-1", held["porteur"]) == statements("F-NOBODY", NOBODY_S["porteur"])


@pytest.mark.parametrize(("method", "route"), ROUTES)
def test_an_id_held_by_others_costs_the_statements_of_an_id_nobody_holds(contract, held, method,
                                                                         route):
    """The same answer is not enough: an answer's time told an unrelated member that a
    consent or an erasure exists (the hub went on to look for whom it was sent to only
    when it found one; measured from outside, 1.1-1.4 times as long). The statements a
    request runs are its time's cause: they are the same for either id."""
    def statements(ids: dict[str, str]) -> list[str]:
        with statements_run() as run:
            response = contract.call(RECIPIENT, method, route.format(**ids),
                                     body={} if method == "POST" else None)
        assert response.status_code == 404, response.text
        return run

    statements(NOBODY_S)  # anything done once per process (a first connection) done here
    assert statements(held) == statements(NOBODY_S)


@pytest.fixture
def forgotten(contract) -> str:
    """The owner's consent of a person the recipient was sent data under, before the
    recipient erased its own data of the person at the person's request (the owner
    refused to erase its own): the recipient reads the consent no more."""
    owner, chamber = Caller(OWNER, "", "commune", "accueil"), \
        Caller(RECIPIENT, "", "cci", "accompagnement")
    fiches = []
    for caller, fiche_id, version in ((owner, "F-1", 1), (chamber, "C-1", 1), (owner, "F-1", 2)):
        fiches.append((caller, make_fiche(member=caller.member_id, fiche_id=fiche_id,
                                          version=version)))
        fiches[-1][1]["accompagnement"][0]["structure"] = caller.member_id
    consent, _ = record_consents(contract.hub, [fiche for _c, fiche in fiches[:2]])
    for caller, fiche in fiches:  # the owner's second version is sent to the recipient
        assert ingest.push_batch(contract.hub, caller, [fiche])["accepted"] == 1
        processing.process_outbox(contract.hub, contract.hub.publisher.published[-1])
    with contract.hub.uow() as uow:
        pk = uow.fiches.porteur_of(OWNER, "F-1").id
        assert RECIPIENT in uow.deliveries.data_recipients([pk])[pk]
    asked = erasure.request_erasure(contract.hub, chamber, {"fiche_id": "C-1"})["effacement"]
    assert contract.call(OWNER, "POST", f"/v1/erasures/{asked}/answer", {
        "reponse": "refusee", "motif": "obligation_legale"}).status_code == 200
    return consent.id


@pytest.mark.parametrize("route", ["/v1/consents/{consent}", "/v1/consents/{consent}/receipt"])
def test_a_consent_one_forgot_costs_the_statements_of_an_id_nobody_holds(contract, forgotten,
                                                                          route):
    """Found in review: reading a consent one was sent data under before one's own erasure
    ran two statements more than an unknown id (what it was sent looked up against its
    erasures): the answer's time told that the consent exists and that it had been sent
    data under it."""
    def statements(consent: str) -> list[str]:
        with statements_run() as run:
            response = contract.call(RECIPIENT, "GET", route.format(consent=consent))
        assert response.status_code == 404, response.text
        return run

    statements(NOBODY_S["consent"])
    assert statements(forgotten) == statements(NOBODY_S["consent"])


@contextlib.contextmanager
def statements_run() -> Iterator[list[str]]:
    """Every statement any engine of the hub runs meanwhile, as sent (an `IN` list as long as its
    values), the nonce store's and the access log's left out (the same for every call)."""
    with statements_sent(where=lambda text: not any(table in text for table in _EVERY_CALL),
                         ) as sent:
        run: list[str] = []
        yield run
    run.extend(one_line(statement) for statement, _parameters in sent)


_EVERY_CALL = ("nonce", "access_events", "audit")
