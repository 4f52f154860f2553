"""Found by probing a running hub from outside, as a partner or an attacker would: each
case was a 500 or an answer that broke the documented contract."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from capactif_demo.consent_examples import NOTICE_TEXT, example_submission
from tests.factories import make_fiche
from tests.integration.contract_world import OWNER

pytestmark = pytest.mark.integration


def _consent(contract, **times: str) -> dict:
    version, digest = contract.hub.consents.store_notice(NOTICE_TEXT)
    now = dt.datetime.now(dt.UTC)
    return example_submission(version, digest, now, membre=OWNER, fiche_id="F-1",
                              reference="CST-F-1", **times)


@pytest.mark.parametrize("field", ["recueilli_le", "expire_le"])
@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"])
def test_a_consent_time_with_no_instant_in_utc_is_a_400_naming_it(contract, field, value):
    response = contract.call(OWNER, "POST", "/v1/consents", _consent(contract, **{field: value}))
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_consent"
    assert [e["path"] for e in response.json()["error"]["erreurs"]] == [f"$.{field}"]


def test_a_consent_time_with_a_lower_case_t_and_z_is_recorded(contract):
    """RFC 3339 allows them, and the schema's format accepted them: then a 500."""
    now = dt.datetime.now(dt.UTC)
    times = {"recueilli_le": f"{now:%Y-%m-%dt%H:%M:%S}z",
             "expire_le": f"{now + dt.timedelta(days=30):%Y-%m-%dt%H:%M:%S}z"}
    response = contract.call(OWNER, "POST", "/v1/consents", _consent(contract, **times))
    assert response.status_code == 201, response.text
    assert response.json()["recueilli_le"] == f"{now:%Y-%m-%dT%H:%M:%S}Z"


PROOF = "Formulaire signé par Gaspard Truchebeuf le 3 mars"


@pytest.mark.parametrize("how", ["POST", "DELETE"])
def test_an_erasure_leaves_nothing_of_a_consent_s_text_proof_that_a_guess_could_confirm(
        contract, how):
    """A proof given as text (`autre`, `message_id`) may name the porteur. Its unkeyed
    SHA-256, kept after the erasure, let anyone reading the consent (a member sent data
    under it) or a copy of the database confirm a guessed text: nothing of it stays, the
    consent shows its proof type and that the proof was erased."""
    submission = _consent(contract, preuve={"type": "autre", "valeur": PROOF})
    assert contract.call(OWNER, "POST", "/v1/consents", submission).status_code == 201
    fiche = make_fiche(member=OWNER, fiche_id="F-1")
    fiche["consentement"] = {"reference": "CST-F-1"}
    assert contract.call(OWNER, "POST", "/v1/fiches", {"fiches": [fiche]}).json()["accepted"] == 1
    erased = contract.call(OWNER, "POST", "/v1/erasures",
                           {"fiche_id": "F-1", "reference": PROOF}) if how == "POST" \
        else contract.call(OWNER, "DELETE", f"/v1/fiches/{OWNER}/F-1")
    assert erased.status_code in (200, 201), erased.text
    [consent] = contract.hub.consents.for_porteur([(OWNER, "F-1")])
    shown = contract.call(OWNER, "GET", f"/v1/consents/{consent.id}").json()["preuve"]
    assert shown == {"type": "autre", "valeur": "", "effacee": True}
    digest = hashlib.sha256(PROOF.encode()).hexdigest()
    with contract.hub.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT proof_value FROM consents").scalars().all()
        references = conn.exec_driver_sql("SELECT reference_sha256 FROM erasures").scalars().all()
    assert not any("Truchebeuf" in value or digest in value for value in stored)
    assert references == [None]


def test_a_text_proof_that_looks_like_a_digest_is_forgotten_too(contract):
    """A text proof of the form "sha256:" and 64 hex digits (what erasures kept before)
    is forgotten like any other; a scan's hash, not a text, stays."""
    text = "sha256:" + hashlib.sha256(PROOF.encode()).hexdigest()
    submission = _consent(contract, preuve={"type": "autre", "valeur": text})
    assert contract.call(OWNER, "POST", "/v1/consents", submission).status_code == 201
    assert contract.hub.consents.forget_proofs([(OWNER, "F-1")]) == 1
    [consent] = contract.hub.consents.for_porteur([(OWNER, "F-1")])
    assert consent.proof_value == ""


def test_a_proof_that_cannot_be_forgotten_leaves_the_fiche_unerased(contract, monkeypatch):
    """The text proofs are forgotten before the erasure: failing there, nothing is erased
    (the caller asks again), never a fiche erased with its proof in clear and the old
    key-encryption keys left behind."""
    submission = _consent(contract, preuve={"type": "autre", "valeur": PROOF})
    assert contract.call(OWNER, "POST", "/v1/consents", submission).status_code == 201
    fiche = make_fiche(member=OWNER, fiche_id="F-1")
    fiche["consentement"] = {"reference": "CST-F-1"}
    assert contract.call(OWNER, "POST", "/v1/fiches", {"fiches": [fiche]}).json()["accepted"] == 1

    def unreachable(_fiches):
        raise RuntimeError("the consents' store is unreachable")

    monkeypatch.setattr(contract.hub.consents, "forget_proofs", unreachable)
    failed = contract.call(OWNER, "POST", "/v1/erasures", {"fiche_id": "F-1"})
    assert failed.status_code == 500  # the fault injected: an unexpected error
    monkeypatch.undo()
    assert contract.call(OWNER, "GET", f"/v1/fiches/{OWNER}/F-1").status_code == 200
    erased = contract.call(OWNER, "POST", "/v1/erasures", {"fiche_id": "F-1"})
    assert erased.status_code in (200, 201), erased.text
    [consent] = contract.hub.consents.for_porteur([(OWNER, "F-1")])
    assert consent.proof_value == ""
