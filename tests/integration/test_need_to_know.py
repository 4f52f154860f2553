"""Need-to-know beyond the fiches: consents, their acknowledgements, withdrawal and
erasure notices and erasure status tell a member only about fiches and consents under
which it was sent something (issue 12, items 2 and 3), on both databases."""

from __future__ import annotations

import json

import pytest

from hub.errors import BadRequest, NotFound
from hub.services.accounts.auth import Caller
from hub.services.delivery import webhooks
from hub.services.delivery.feed import read_feed
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from hub.services.privacy import consents, erasure
from tests.factories import make_fiche, other_porteur, record_consents
from tests.integration.world import OWNER, THIERS, fiche

pytestmark = pytest.mark.integration

PFIL = Caller("pfil-livradois", "PFIL", "pfil", "financement")
CCI = Caller("cci-thiers", "CCI", "cci", "accompagnement")
NETWORK_DPO = Caller("pnr-livradois", "Parc", "pnr", "coordination", dpo_scope="reseau")


def push_as(hub, caller, document, **terms):
    """`caller` records a consent and pushes its fiche; the worker processes it."""
    consent = record_consents(hub, [document], **terms)[0]
    assert ingest.push_batch(hub, caller, [document])["accepted"] == 1
    processing.process_outbox(hub, hub.publisher.published[-1])
    return consent


def own_fiche(caller, fiche_id):
    document = make_fiche(member=caller.member_id, fiche_id=fiche_id)
    document["accompagnement"][0]["structure"] = caller.member_id
    return document


@pytest.fixture
def linked(network):
    """The owner's fiche F-1 (consent for every role) reached the CCI, the PFIL and
    commune-thiers; the PFIL then pushed P-1 about the same person under a funding-only
    consent (nobody else may receive it), linked to the same porteur."""
    hub, _clock, cci, pfil = network
    shared = push_as(hub, OWNER, fiche("F-1"))
    funding = push_as(hub, PFIL, own_fiche(PFIL, "P-1"), finalites=["orientation", "financement"],
                      roles_destinataires=["financement"])
    with hub.uow() as uow:
        porteur_id = uow.fiches.porteur_of(OWNER.member_id, "F-1").porteur_id
        assert uow.fiches.porteur_of(PFIL.member_id, "P-1").porteur_id == porteur_id
    webhooks.dispatch_webhooks(hub)
    return hub, cci, pfil, shared, funding, porteur_id


def test_a_member_linked_to_a_porteur_reads_only_consents_it_was_sent_data_under(linked):
    hub, _cci, _pfil, shared, funding, porteur_id = linked
    assert consents.read_consent(hub, THIERS, shared.id)["id"] == shared.id
    with pytest.raises(NotFound):
        consents.read_consent(hub, THIERS, funding.id)
    with pytest.raises(NotFound):
        consents.consent_receipt(hub, THIERS, funding.id)
    listed = consents.porteur_consents(hub, THIERS, porteur_id)
    assert [c["id"] for c in listed] == [shared.id]
    assert funding.id not in json.dumps(listed) and "P-1" not in json.dumps(listed)
    assert {c["id"] for c in consents.porteur_consents(hub, PFIL, porteur_id)} == \
        {shared.id, funding.id}


def test_pushing_a_known_identity_does_not_reveal_other_members_consents(linked):
    hub, _cci, _pfil, _shared, funding, porteur_id = linked
    probe = own_fiche(THIERS, "T-PROBE")  # the same person, typed in by commune-thiers
    push_as(hub, THIERS, probe)
    with hub.uow() as uow:
        assert uow.fiches.porteur_of(THIERS.member_id, "T-PROBE").porteur_id == porteur_id
    listed = json.dumps(consents.porteur_consents(hub, THIERS, porteur_id))
    assert funding.id not in listed and "financement" not in json.dumps(
        [c["finalites"] for c in json.loads(listed) if c["membre"] == PFIL.member_id])
    assert PFIL.member_id not in {c["membre"] for c in json.loads(listed)}


def test_a_consent_reference_lookup_answers_only_the_callers_own_references(linked):
    hub, _cci, _pfil, shared, funding, _porteur_id = linked
    never = "CST-JAMAIS-ENREGISTREE"
    # commune-thiers was sent data under the owner's consent and shares the porteur with
    # the PFIL's; still, their references answer exactly as one never recorded.
    lines = consents.lookup_references(
        hub, THIERS, {"references": [shared.reference, funding.reference, never]})["references"]
    assert [{**line, "reference": "x"} for line in lines] == 3 * [
        {"reference": "x", "connue": False, "utilisable": False,
         "code": "unknown_consent_reference"}]
    assert [line["reference"] for line in lines] == [shared.reference, funding.reference, never]
    assert funding.id not in json.dumps(lines) and shared.id not in json.dumps(lines)
    [own] = consents.lookup_references(hub, PFIL, {"references": [funding.reference]})["references"]
    assert own == {"reference": funding.reference, "connue": True, "utilisable": True,
                   "code": "consent_covers", "consentement": funding.id, "fiche_id": "P-1"}


def test_the_same_reference_at_two_members_answers_each_its_own_consent(linked):
    hub, _cci, _pfil, _shared, funding, _porteur_id = linked
    document = own_fiche(THIERS, "T-7")
    document["consentement"]["reference"] = funding.reference
    [mine] = record_consents(hub, [document])
    [line] = consents.lookup_references(hub, THIERS, {"references": [funding.reference]})["references"]
    assert (line["consentement"], line["fiche_id"]) == (mine.id, "T-7")
    consents.withdraw_consent(hub, PFIL, funding.id)
    [withdrawn] = consents.lookup_references(hub, PFIL, {"references": [funding.reference]})[
        "references"]
    assert (withdrawn["connue"], withdrawn["utilisable"], withdrawn["code"]) == (
        True, False, "consent_withdrawn")
    [still] = consents.lookup_references(hub, THIERS, {"references": [funding.reference]})[
        "references"]
    assert still["utilisable"] is True


@pytest.mark.parametrize("body", [None, [], {}, {"references": []}, {"references": "CST-1"},
                                  {"references": [1]}, {"references": [""]},
                                  {"references": ["x" * 65]}, {"references": ["CST-1"], "y": 1},
                                  {"references": ["CST-1"] * 1001}])
def test_a_malformed_lookup_is_a_400_that_names_the_expected_body(linked, body):
    hub = linked[0]
    with pytest.raises(BadRequest) as refused:
        consents.lookup_references(hub, THIERS, body)
    assert "references" in refused.value.message_fr


def test_a_withdrawal_notice_goes_only_to_members_sent_data_under_the_consent(linked):
    hub, cci, _pfil, shared, funding, _porteur_id = linked
    withdrawn = consents.withdraw_consent(hub, PFIL, funding.id)
    assert withdrawn["avis_envoyes"] == []
    webhooks.dispatch_webhooks(hub)
    seen = json.dumps([cci.documents(), read_feed(hub, THIERS, 0, 100)["deliveries"]])
    assert "P-1" not in seen and funding.id not in seen

    withdrawn = consents.withdraw_consent(hub, OWNER, shared.id)
    assert withdrawn["avis_envoyes"] == ["cci-thiers", "commune-thiers", "pfil-livradois"]


def test_acknowledgements_are_listed_whole_to_the_collector_and_dpos_only(linked):
    hub, _cci, _pfil, shared, _funding, _porteur_id = linked
    consents.withdraw_consent(hub, OWNER, shared.id)
    consents.acknowledge_notice(hub, CCI, shared.id)
    everyone = {"cci-thiers", "commune-thiers", "pfil-livradois"}
    assert {a["membre"] for a in consents.acknowledgements(hub, OWNER, shared.id)} == everyone
    assert {a["membre"] for a in consents.acknowledgements(hub, NETWORK_DPO, shared.id)} == \
        everyone
    assert consents.acknowledgements(hub, CCI, shared.id) == [
        {"membre": "cci-thiers", "statut": "acknowledged"}]
    with pytest.raises(NotFound):
        consents.acknowledgements(hub, Caller("pnr-livradois", "", "pnr", "coordination"),
                                  shared.id)


def test_an_erasure_tells_each_member_only_of_fiches_it_owns_or_was_sent(linked):
    """commune-thiers erases its own fiche only (before, the owner's and the PFIL's too:
    that was the defect); the owner and the PFIL are asked about theirs, each request
    naming only its own fiche, and commune-thiers is told only of the owner (whose fiche
    was sent to it), never of the PFIL's funding-only fiche. What the owner sent it is
    no longer served to it: its own notice lists those deliveries to delete, and nothing
    of the PFIL's."""
    hub, cci, pfil, _shared, funding, _porteur_id = linked
    push_as(hub, THIERS, own_fiche(THIERS, "T-1"), roles_destinataires=["accompagnement"])
    webhooks.dispatch_webhooks(hub)
    answer = erasure.request_erasure(hub, THIERS, {"fiche_id": "T-1"})
    # commune-thiers learns neither how many fiches the porteur had nor who held them.
    assert (answer["fiches_effacees"], answer["avis_envoyes"]) == (
        1, ["cci-thiers", THIERS.member_id])
    assert answer["livraisons_annulees"] == 0
    assert answer["demandes"] == [{"membre": OWNER.member_id, "statut": "pending"}]
    webhooks.dispatch_webhooks(hub)
    cci_notice = cci.documents()[-1]
    assert cci_notice["evenement"] == "erased"
    sent = [d["delivery_id"] for d in cci.documents()
            if d["evenement"] == "created" and d["source"]["fiche_id"] == "T-1"]
    assert cci_notice["sources"] == [{"membre": THIERS.member_id, "fiche_id": "T-1",
                                      "livraisons": sent}]
    [own_notice] = [d for d in read_feed(hub, THIERS, 0, 100)["deliveries"]
                    if d["evenement"] == "erased"]
    assert [(s["membre"], s["fiche_id"], bool(s["livraisons"])) for s in own_notice["sources"]] \
        == [(THIERS.member_id, "T-1", False), (OWNER.member_id, "F-1", True)]
    pfil_notice = pfil.documents()[-1]
    assert pfil_notice["evenement"] == "erasure_requested"
    assert pfil_notice["sources"] == [{"membre": PFIL.member_id, "fiche_id": "P-1"}]
    [owner_notice] = [d for d in read_feed(hub, OWNER, 0, 100)["deliveries"]
                      if d["evenement"] in ("erased", "erasure_requested")]
    assert owner_notice["evenement"] == "erasure_requested"
    assert owner_notice["sources"] == [{"membre": OWNER.member_id, "fiche_id": "F-1"}]
    assert "demande_par" not in owner_notice  # T-1 discloses nothing to accueil

    status = erasure.read_erasure(hub, THIERS, answer["effacement"])
    assert (status["fiches_effacees"], [a["membre"] for a in status["avis"]]) == \
        (1, ["cci-thiers", THIERS.member_id])
    assert status["demandes"] == answer["demandes"]
    seen_by_owner = erasure.read_erasure(hub, OWNER, answer["effacement"])
    assert (seen_by_owner["avis"], seen_by_owner["demandes"]) == (
        [], [{"membre": OWNER.member_id, "statut": "pending"}])
    assert "demande_par" not in seen_by_owner and "fiches_effacees" not in seen_by_owner
    whole = erasure.read_erasure(hub, NETWORK_DPO, answer["effacement"])
    assert whole["fiches_effacees"] == 1 and len(whole["avis"]) == 2
    assert {d["membre"] for d in whole["demandes"]} == {OWNER.member_id, PFIL.member_id}
    assert funding.id not in json.dumps([answer, status, seen_by_owner])
    assert PFIL.member_id not in json.dumps([answer, status])


def test_a_pushed_identity_answers_the_same_whether_or_not_others_know_the_person(network):
    """No identity oracle: commune-thiers types in a person the PFIL follows (funding
    only, nobody else received anything) and a person nobody knows; everything it can
    then observe has the same form (ids and times aside)."""
    hub, _clock, _cci, _pfil = network
    push_as(hub, PFIL, own_fiche(PFIL, "P-1"), finalites=["orientation", "financement"],
            roles_destinataires=["financement"])
    known, unknown = own_fiche(THIERS, "T-KNOWN"), own_fiche(THIERS, "T-NEW")
    unknown["porteur"] = other_porteur(5)
    observed = {}
    for probe in (known, unknown):
        record_consents(hub, [probe], roles_destinataires=["accompagnement"])
        pushed = ingest.push_batch(hub, THIERS, [probe])
        processing.process_outbox(hub, hub.publisher.published[-1])
        with hub.uow() as uow:
            porteur_id = uow.fiches.porteur_of(THIERS.member_id, probe["fiche_id"]).porteur_id
        listed = consents.porteur_consents(hub, THIERS, porteur_id)
        erased = erasure.request_erasure(hub, THIERS, {"fiche_id": probe["fiche_id"]})
        observed[probe["fiche_id"]] = (
            [(r["status"], r.get("duplicate"), sorted(r)) for r in pushed["results"]],
            [(c["membre"], c["fiche_id"] == probe["fiche_id"]) for c in listed],
            (erased["fiches_effacees"], erased["livraisons_annulees"], erased["avis_envoyes"]),
            [d["evenement"] for d in read_feed(hub, THIERS, 0, 100)["deliveries"]])
    with hub.uow() as uow:  # the probe did reach the PFIL's porteur
        assert uow.fiches.porteur_of(THIERS.member_id, "T-KNOWN").porteur_id == \
            uow.fiches.porteur_of(PFIL.member_id, "P-1").porteur_id
    assert observed["T-KNOWN"] == observed["T-NEW"]
