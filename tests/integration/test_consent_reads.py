"""A consent is data about its porteur (terms, history, a proof that may name the
person): whoever reads one is in the access log, as for a fiche; a member that erased
its data of the porteur at the porteur's request reads another member's consent of the
person no more than that member's fiche (found from outside: both were served, and
neither read was logged); and its history does not tell a reader which other member
withdrew it (found from outside: every reader read "par": the member that relayed the
withdrawal, i.e. another member following the person). On both databases."""

from __future__ import annotations

import json

import pytest

from capactif_demo.consent_examples import NOTICE_TEXT, example_submission
from consent.receipts import verify_receipt
from hub.errors import ConsentNotFound
from hub.services.audit.trail import fiche_ref, porteur_ref
from hub.services.delivery.feed import read_feed
from hub.services.ingest import processing
from hub.services.privacy import consents, erasure, erasure_requests
from tests.factories import record_consents
from tests.integration.dedup_world import CCI, COMMUNE, PERSON, PFIL, fiche_of, hub_for, push

pytestmark = pytest.mark.integration


@pytest.fixture
def world(db_url, tmp_path):
    yield from hub_for(db_url, tmp_path)


def _own(caller, fiche_id: str, version: int = 1, **porteur: object) -> dict:
    """The member's fiche of the person, naming the member itself as its structure."""
    fiche = fiche_of(caller, fiche_id, {**PERSON, **porteur}, version)
    fiche["accompagnement"] = [{**fiche["accompagnement"][0], "structure": caller.member_id}]
    return fiche


def _both_follow(hub) -> tuple[str, str]:
    """The commune and the CCI hold a fiche of the person; the CCI was sent the commune's."""
    push(hub, COMMUNE, _own(COMMUNE, "A-1"))
    push(hub, CCI, _own(CCI, "C-1"))
    push(hub, COMMUNE, _own(COMMUNE, "A-1", 2))  # sent to the CCI, which follows the porteur
    with hub.uow() as uow:
        porteur_id = uow.fiches.get(COMMUNE.member_id, "A-1").porteur_id
    consent_id = hub.consents.consent_for_fiche(COMMUNE.member_id, "A-1", "CST-A-1").id
    return porteur_id, consent_id


def _consent_reads(hub, porteur_id: str) -> list[tuple[str, tuple[str, ...]]]:
    return [(e.actor_member, e.fiche_refs) for e in hub.audit.search(
        porteur_ref=porteur_ref(hub, porteur_id), action="api_read", limit=100)
        if e.fields == ("consentement",)]


def test_every_read_of_another_member_s_consent_is_in_the_access_log(world):
    hub, _clock = world
    porteur_id, consent_id = _both_follow(hub)
    assert consents.read_consent(hub, CCI, consent_id)["fiche_id"] == "A-1"
    assert {c["fiche_id"] for c in consents.porteur_consents(hub, CCI, porteur_id)} == {
        "A-1", "C-1"}
    commune, cci = fiche_ref(hub, COMMUNE.member_id, "A-1"), fiche_ref(hub, CCI.member_id, "C-1")
    reads = _consent_reads(hub, porteur_id)
    assert reads[0] == (CCI.member_id, (commune,))
    assert reads[1][0] == CCI.member_id and set(reads[1][1]) == {commune, cci}


def test_a_member_that_erased_at_the_porteur_s_request_reads_no_other_member_s_consent(world):
    hub, _clock = world
    porteur_id, consent_id = _both_follow(hub)
    asked = erasure.request_erasure(hub, CCI, {"fiche_id": "C-1"})
    erasure_requests.answer_request(hub, COMMUNE, asked["effacement"], {
        "reponse": "refusee", "motif": "obligation_legale"})
    with pytest.raises(ConsentNotFound):
        consents.read_consent(hub, CCI, consent_id)
    assert [c["fiche_id"] for c in consents.porteur_consents(hub, CCI, porteur_id)] == ["C-1"]
    assert consents.read_consent(hub, COMMUNE, consent_id)["fiche_id"] == "A-1"
    consents.withdraw_consent(hub, COMMUNE, consent_id)  # the CCI is still asked to delete
    assert consents.acknowledgements(hub, CCI, consent_id) == [
        {"membre": CCI.member_id, "statut": "pending"}]


def test_a_later_delivery_on_its_own_basis_makes_the_member_a_reader_again(world):
    """What the member is sent after its erasure (it pushed the person again: it follows
    anew) is served, and so is the consent it was sent under."""
    hub, clock = world
    _porteur_id, consent_id = _both_follow(hub)
    asked = erasure.request_erasure(hub, CCI, {"fiche_id": "C-1"})
    erasure_requests.answer_request(hub, COMMUNE, asked["effacement"], {
        "reponse": "refusee", "motif": "obligation_legale"})
    clock.advance(minutes=1)
    push(hub, CCI, _own(CCI, "C-2"))
    push(hub, COMMUNE, _own(COMMUNE, "A-1", 3, situation="salarie"))
    assert consents.read_consent(hub, CCI, consent_id)["fiche_id"] == "A-1"


def test_a_consent_s_history_does_not_tell_a_reader_which_other_member_withdrew_it(world):
    """The CCI follows the person (its own fiche) and relays the porteur's withdrawal of
    the commune's consent: the PFIL (sent the fiche by its subscription) must not learn
    that the CCI follows the person. The commune, the collector, is told as
    privacy.discretion decides (here yes: the CCI's own fiche reached the commune)."""
    hub, _clock = world
    _porteur_id, consent_id = _both_follow(hub)
    withdrawn = consents.withdraw_consent(hub, CCI, consent_id)
    assert [c.get("par") for c in withdrawn["historique"]] == [None, CCI.member_id]
    history = consents.read_consent(hub, PFIL, consent_id)["historique"]
    assert [(c["etat"], c.get("par")) for c in history] == [("active", None), ("withdrawn", None)]
    history = consents.read_consent(hub, COMMUNE, consent_id)["historique"]
    assert [c.get("par") for c in history] == [COMMUNE.member_id, CCI.member_id]


def test_a_change_without_par_does_not_tell_a_reader_that_a_third_member_made_it(world):
    """Found in review: `par` was kept for the collector's and the hub's changes, so the one
    missing told every other reader that some third member (one following the person)
    had withdrawn the consent. A reader is told only its own changes' author."""
    hub, _clock = world
    _porteur_id, consent_id = _both_follow(hub)
    consents.withdraw_consent(hub, COMMUNE, consent_id)  # the collector itself
    for reader in (PFIL, CCI):
        history = consents.read_consent(hub, reader, consent_id)["historique"]
        assert [(c["etat"], "par" in c) for c in history] == [
            ("active", False), ("withdrawn", False)]


def _collector_not_told(hub) -> tuple[dict, str]:
    """The commune's consent (recorded through the API's service, its submission kept);
    the CCI follows the person under a consent that excludes the commune's role, so
    privacy.discretion does not name it to the commune."""
    version, digest = hub.consents.store_notice(NOTICE_TEXT)
    submission = example_submission(version, digest, hub.clock(), reference="CST-A-1",
                                    membre=COMMUNE.member_id, fiche_id="A-1")
    consent_id = consents.record_consent(hub, COMMUNE, submission)[0]["id"]
    push(hub, COMMUNE, _own(COMMUNE, "A-1"), consent=False)
    cci = _own(CCI, "C-1")
    record_consents(hub, [cci], roles_destinataires=["accompagnement", "financement"])
    push(hub, CCI, cci, consent=False)
    push(hub, COMMUNE, _own(COMMUNE, "A-1", 2), consent=False)  # sent to the CCI
    return submission, consent_id


def test_the_collector_learns_who_withdrew_its_consent_by_no_path_it_may_not_know(world):
    """Found in review: the receipt (signed over the unfiltered history) and the same
    consent posted again (answered unfiltered) named the CCI to the commune, though
    reading the consent did not. Every path shows the history through one filter, and the
    receipt is signed over what the collector is shown."""
    hub, _clock = world
    submission, consent_id = _collector_not_told(hub)
    assert consents.withdraw_consent(hub, CCI, consent_id)["historique"][1]["par"] == \
        CCI.member_id
    shown = [(COMMUNE.member_id, "active"), (None, "withdrawn")]
    read = consents.read_consent(hub, COMMUNE, consent_id)
    assert [(c.get("par"), c["etat"]) for c in read["historique"]] == shown
    again, created = consents.record_consent(hub, COMMUNE, submission)
    assert created is False
    assert again["id"] == consent_id
    assert [(c.get("par"), c["etat"]) for c in again["historique"]] == shown
    receipt = consents.consent_receipt(hub, COMMUNE, consent_id)
    assert [(c.get("par"), c["etat"]) for c in receipt["historique"]] == shown
    assert CCI.member_id not in str(receipt)
    assert verify_receipt(receipt, {hub.hub_key.key_id: hub.hub_key.private_key.public_key()})


@pytest.mark.parametrize("kept_from_the_commune", ["role", "withdrawn"])
def test_a_consent_naming_a_member_is_not_listed_under_a_porteur_it_was_sent_nothing_of(
        world, kept_from_the_commune):
    """The commune holds its own fiche of the person; the CCI's consent of the same person
    names the commune but nothing of the CCI's fiche was sent to it (the consent leaves
    its role out, or was withdrawn before the worker saw the fiche). Listed among the
    porteur's consents, that consent (`membre`: the CCI) told the commune that the CCI
    follows the person of its own fiche. A named member reads it by id only, as before."""
    hub, _clock = world
    push(hub, COMMUNE, _own(COMMUNE, "A-1"))
    cci = _own(CCI, "C-1")
    roles = ["accompagnement", "financement"] if kept_from_the_commune == "role" else None
    [consent] = record_consents(hub, [cci], membres_destinataires=[COMMUNE.member_id],
                                **({"roles_destinataires": roles} if roles else {}))
    queued = push(hub, CCI, cci, consent=False, process=kept_from_the_commune == "role")
    if kept_from_the_commune == "withdrawn":
        consents.withdraw_consent(hub, CCI, consent.id)
        processing.process_outbox(hub, queued)
    with hub.uow() as uow:
        porteur_id = uow.fiches.get(COMMUNE.member_id, "A-1").porteur_id
        cci_porteur = uow.fiches.get(CCI.member_id, "C-1").porteur_id
    # Withdrawn before the worker saw it, the CCI's fiche is linked to nobody's porteur
    # (test_withdrawn_before_processing.py); its consent is still not listed under the
    # commune's porteur.
    assert (cci_porteur == porteur_id) is (kept_from_the_commune == "role")
    assert not read_feed(hub, COMMUNE, 0, 500)["deliveries"]
    listed = consents.porteur_consents(hub, COMMUNE, porteur_id)
    assert [c["membre"] for c in listed] == [COMMUNE.member_id]
    assert CCI.member_id not in json.dumps(listed) and consent.id not in json.dumps(listed)
    by_id = consents.read_consent(hub, COMMUNE, consent.id)
    assert by_id["membre"] == CCI.member_id and "fiche_id" not in by_id


PROOF = {"type": "autre", "valeur": "Signé au guichet par Marie-Hélène Chassaing"}


def _named_never_sent(hub) -> tuple[str, str]:
    """The commune's consent names the CCI (`membres_destinataires`) and a text proof; the
    CCI holds its own fiche of the person (so it knows the porteur) but was never sent the
    commune's."""
    fiche = _own(COMMUNE, "A-1")
    [consent] = record_consents(hub, [fiche], roles_destinataires=["accompagnement"],
                                membres_destinataires=[CCI.member_id], preuve=PROOF)
    push(hub, COMMUNE, fiche, consent=False)
    push(hub, CCI, _own(CCI, "C-1"))
    with hub.uow() as uow:
        pk = uow.fiches.get(COMMUNE.member_id, "A-1").id
        assert CCI.member_id not in uow.deliveries.data_recipients([pk], with_cancelled=True)[pk]
        porteur_id = uow.fiches.get(CCI.member_id, "C-1").porteur_id
    return porteur_id, consent.id


def test_a_member_named_but_never_sent_data_does_not_read_the_proof_text(world):
    """Found in review: a member the consent names, never sent anything under it, read
    the evidence of collection (`preuve.valeur`, which may name the person) on every
    path. The proof's text is the collector's: others read its type (by id, in a
    withdrawal's answer; such a consent is not listed under the porteur)."""
    hub, _clock = world
    porteur_id, consent_id = _named_never_sent(hub)
    read = consents.read_consent(hub, CCI, consent_id)
    withdrawn = consents.withdraw_consent(hub, CCI, consent_id)
    for shown in (read, withdrawn):
        assert shown["preuve"] == {"type": "autre"}
        assert PROOF["valeur"] not in str(shown)
    assert PROOF["valeur"] not in str(consents.porteur_consents(hub, CCI, porteur_id))


def test_only_the_collector_reads_the_proof_text_on_every_path(world):
    """A member sent data under the consent reads its terms, not its evidence; the
    collector reads it when reading, posting the consent again and in its receipt."""
    hub, _clock = world
    version, digest = hub.consents.store_notice(NOTICE_TEXT)
    submission = example_submission(version, digest, hub.clock(), reference="CST-A-1",
                                    membre=COMMUNE.member_id, fiche_id="A-1", preuve=PROOF,
                                    roles_destinataires=["accueil", "accompagnement"])
    consent_id = consents.record_consent(hub, COMMUNE, submission)[0]["id"]
    push(hub, COMMUNE, _own(COMMUNE, "A-1"), consent=False)
    push(hub, CCI, _own(CCI, "C-1"))
    push(hub, COMMUNE, _own(COMMUNE, "A-1", 2), consent=False)  # sent to the CCI
    read = consents.read_consent(hub, CCI, consent_id)
    assert read["fiche_id"] == "A-1" and read["preuve"] == {"type": "autre"}
    assert PROOF["valeur"] not in str(consents.porteur_consents(hub, CCI, _porteur(hub)))
    for collector_s in (consents.read_consent(hub, COMMUNE, consent_id),
                        consents.record_consent(hub, COMMUNE, submission)[0],
                        consents.consent_receipt(hub, COMMUNE, consent_id),
                        consents.withdraw_consent(hub, COMMUNE, consent_id)):
        assert collector_s["preuve"] == PROOF
    assert consents.read_consent(hub, CCI, consent_id)["preuve"] == {"type": "autre"}


def _porteur(hub) -> str:
    with hub.uow() as uow:
        return uow.fiches.get(COMMUNE.member_id, "A-1").porteur_id
