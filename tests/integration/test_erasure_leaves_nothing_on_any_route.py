"""After an erasure (the porteur's, asked by the owner or by the coordination), every GET
route every credential may call, the logs and the store's clear-text columns hold nothing
of the erased person; after a withdrawal, nothing of her answers to the others. Real app
over HTTP, both databases."""

from __future__ import annotations

import json
import logging

import pytest
import sqlalchemy as sa

from tests.integration.contract_world import NETWORK, OWNER, RECIPIENT
from tests.integration.erased_person import marked, push_person

pytestmark = pytest.mark.integration
CALLERS = [OWNER, RECIPIENT, NETWORK, f"{NETWORK}.dpo", f"{RECIPIENT}.dpo"]


def _targets(consent_id: str, porteur: str, erasure_id: str) -> list[str]:
    return ["/v1/feed?after=0", f"/v1/porteurs/{porteur}", f"/v1/porteurs/{porteur}/consents",
            f"/v1/consents/{consent_id}", f"/v1/consents/{consent_id}/receipt",
            f"/v1/consents/{consent_id}/acks", f"/v1/fiches/{OWNER}/F-1",
            "/v1/duplicates", f"/v1/duplicates/history?porteur={porteur}",
            "/v1/audit", f"/v1/audit?porteur={porteur}", "/v1/audit/export",
            f"/v1/audit/report/{porteur}", "/v1/audit/fiches/F-1/report",
            f"/v1/erasures/{erasure_id}", "/v1/deliveries/dead", "/v1/subscriptions",
            "/v1/notices", "/v1/audit/alerts"]


def _sweep(contract, callers, targets, *, headers: bool = True):
    """(server errors, answers holding a mark of the person) over every caller and target."""
    errors, found = [], []
    for caller in callers:
        for target in targets:
            answer = contract.call(caller, "GET", target)
            if answer.status_code >= 500:
                errors.append((caller, target, answer.status_code, answer.text[:200]))
            text = answer.text + (json.dumps(dict(answer.headers)) if headers else "")
            if marks := marked(text):
                found.append((caller, target, answer.status_code, marks))
    return errors, found


def _clear_columns(engine) -> list[tuple[str, list[str]]]:
    clear = []
    with engine.connect() as conn:
        for table in sa.inspect(conn).get_table_names():
            for row in conn.execute(sa.text(f'SELECT * FROM "{table}"')):
                if marks := marked(" ".join(str(v) for v in row if isinstance(v, str))):
                    clear.append((table, marks))
    return clear


@pytest.mark.parametrize("who", ["owner", "coordination"])
def test_nothing_of_an_erased_porteur_answers_on_any_route_nor_stays_in_clear(contract, caplog,
                                                                             who):
    caplog.set_level(logging.DEBUG)
    consent_id, porteur = push_person(contract)
    body = {"fiche_id": "F-1"} if who == "owner" else {"porteur_id": porteur}
    erased = contract.call(OWNER if who == "owner" else NETWORK, "POST", "/v1/erasures", body)
    assert erased.status_code in (200, 201), erased.text
    errors, found = _sweep(contract, CALLERS,
                           _targets(consent_id, porteur, erased.json()["effacement"]))
    logged = [r.getMessage() for r in caplog.records if marked(r.getMessage())]
    assert (errors, found, logged, _clear_columns(contract.hub.engine)) == ([], [], [], [])


def test_the_sweep_finds_the_person_before_any_erasure(contract):
    """The sweep's own check: before the erasure the same routes show her."""
    consent_id, porteur = push_person(contract)
    _errors, found = _sweep(contract, CALLERS, _targets(consent_id, porteur, "eff_x"))
    where = {(caller, target) for caller, target, _status, _marks in found}
    assert (RECIPIENT, "/v1/feed?after=0") in where
    assert (OWNER, f"/v1/fiches/{OWNER}/F-1") in where


@pytest.mark.parametrize("relayed_by", [OWNER, RECIPIENT])
def test_nothing_of_a_withdrawn_consent_s_porteur_answers_to_the_others(contract, caplog,
                                                                         relayed_by):
    caplog.set_level(logging.DEBUG)
    consent_id, porteur = push_person(contract)
    withdrawn = contract.call(relayed_by, "POST", f"/v1/consents/{consent_id}/withdraw")
    assert withdrawn.status_code == 200, withdrawn.text
    errors, found = _sweep(contract, CALLERS[1:], _targets(consent_id, porteur, "eff_x"),
                           headers=False)
    logged = [r.getMessage() for r in caplog.records if marked(r.getMessage())]
    assert (errors, found, logged) == ([], [], [])
