"""A member's erasure request erases that member's fiches only (GDPR art. 17: each member
is controller of its own fiches); every other owner of a fiche of the porteur is asked
(art. 17(2), 19) and confirms or declines with a reason, or the coordination confirms
in the console; the coordination's erasure by porteur id still erases everything. On
both databases, with real HTTP recipients.

The attack these guard against: a member pushes a fiche carrying the identity of a
person other members follow, is linked to that porteur by matching, then asks for its
erasure; before, that destroyed the chamber's, the PFIL's... fiches of the person."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from consent.api import NoticeKind
from hub.errors import AlreadyErased, BadRequest, Conflict, DataErased, NotFound
from hub.services.accounts.auth import Caller
from hub.services.accounts.sessions import ConsoleSession
from hub.services.audit import trail as audit
from hub.services.delivery import webhooks
from hub.services.delivery.feed import read_feed
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from hub.services.ingest.fiches import read_own_fiche
from hub.services.privacy import erasure, erasure_requests
from tests.factories import make_fiche, record_consents
from tests.integration.contract_world import NETWORK as NETWORK_ID
from tests.integration.contract_world import OWNER as OWNER_ID
from tests.integration.contract_world import RECIPIENT as RECIPIENT_ID
from tests.integration.world import OWNER, THIERS, fiche

pytestmark = pytest.mark.integration

PFIL = Caller("pfil-livradois", "PFIL", "pfil", "financement")
CCI = Caller("cci-thiers", "CCI", "cci", "accompagnement")
COORDINATION = Caller("pnr-livradois", "Parc", "pnr", "coordination")
NETWORK_DPO = Caller("pnr-livradois", "Parc", "pnr", "coordination", dpo_scope="reseau")
REQUEST = "erasure_requested"


def push_as(hub, caller, document, **terms):
    record_consents(hub, [document], **terms)
    assert ingest.push_batch(hub, caller, [document])["accepted"] == 1
    processing.process_outbox(hub, hub.publisher.published[-1])


def own_fiche(caller, fiche_id):
    document = make_fiche(member=caller.member_id, fiche_id=fiche_id)
    document["accompagnement"][0]["structure"] = caller.member_id
    return document


def name_of(hub, caller, fiche_id):
    return read_own_fiche(hub, caller, caller.member_id, fiche_id)["fiche"]["porteur"]["nom"]


@pytest.fixture
def attacked(network):
    """The owner (commune-ambert) follows a person under a consent open to every role;
    the PFIL follows her under a funding-only consent; commune-thiers then pushes a fiche
    carrying her identity (with a consent it recorded itself), is linked to her porteur,
    (open to accueil and accompagnement), and asks for the erasure."""
    hub, clock, cci, pfil = network
    push_as(hub, OWNER, fiche("F-1"))
    push_as(hub, PFIL, own_fiche(PFIL, "P-1"), finalites=["orientation", "financement"],
            roles_destinataires=["financement"])
    push_as(hub, THIERS, own_fiche(THIERS, "T-1"), roles_destinataires=["accueil", "accompagnement"])
    with hub.uow() as uow:
        porteur_id = uow.fiches.porteur_of(OWNER.member_id, "F-1").porteur_id
        assert {uow.fiches.porteur_of(m, f).porteur_id for m, f in
                [(PFIL.member_id, "P-1"), (THIERS.member_id, "T-1")]} == {porteur_id}
    webhooks.dispatch_webhooks(hub)
    answer = erasure.request_erasure(hub, THIERS, {"fiche_id": "T-1", "reference": "DEM-1"})
    webhooks.dispatch_webhooks(hub)
    return hub, clock, cci, pfil, porteur_id, answer


def requests_in_feed(hub, caller):
    return [d for d in read_feed(hub, caller, 0, 100)["deliveries"] if d["evenement"] == REQUEST]


def test_a_member_erases_only_its_own_fiches_and_the_other_owners_are_asked(attacked):
    hub, _clock, _cci, pfil, porteur_id, answer = attacked
    assert (answer["fiches_effacees"], answer["motif"]) == (1, "demande_du_porteur")
    with pytest.raises(DataErased):
        read_own_fiche(hub, THIERS, THIERS.member_id, "T-1")
    assert name_of(hub, OWNER, "F-1") == name_of(hub, PFIL, "P-1")  # both still readable by their owners

    [notice] = requests_in_feed(hub, OWNER)  # the owner reads its feed
    assert (notice["effacement"], notice["porteur_id"]) == (answer["effacement"], porteur_id)
    assert notice["sources"] == [{"membre": OWNER.member_id, "fiche_id": "F-1"}]
    assert notice["reponse"] == f"/v1/erasures/{answer['effacement']}/answer"
    [by_webhook] = [d for d in pfil.documents() if d["evenement"] == REQUEST]
    assert by_webhook["sources"] == [{"membre": PFIL.member_id, "fiche_id": "P-1"}]
    # commune-thiers may know the owner follows the person (its fiche was sent to it),
    # not the PFIL (its consent opens P-1 to funding only): the PFIL is not named.
    assert answer["demandes"] == [{"membre": OWNER.member_id, "statut": "pending"}]
    status = erasure.read_erasure(hub, THIERS, answer["effacement"])
    assert status["demandes"] == answer["demandes"] and status["fiches_effacees"] == 1
    assert "P-1" not in json.dumps([answer, status])
    # commune-thiers is named to the owner (T-1 discloses to accueil), not to the PFIL
    assert notice["demande_par"] == THIERS.member_id and "demande_par" not in by_webhook
    whole = erasure.read_erasure(hub, NETWORK_DPO, answer["effacement"])
    assert {(d["membre"], d["statut"]) for d in whole["demandes"]} == {
        (OWNER.member_id, "pending"), (PFIL.member_id, "pending")}
    # the requester's event (its own DPO reads it) names the owners it may know of only;
    # each owner asked has its own event, so the network DPO sees every one
    [asked] = hub.audit.search(action="erasure_request", limit=10)
    assert (asked.actor_member, asked.fiche_refs) == (
        THIERS.member_id, (audit.fiche_ref(hub, OWNER.member_id, "F-1"),))
    received = hub.audit.search(action="erasure_request_received", limit=10)
    assert {(e.actor_member, e.fiche_refs) for e in received} == {
        (OWNER.member_id, (audit.fiche_ref(hub, OWNER.member_id, "F-1"),)),
        (PFIL.member_id, (audit.fiche_ref(hub, PFIL.member_id, "P-1"),))}
    assert {e.porteur_ref for e in [asked, *received]} == {audit.porteur_ref(hub, porteur_id)}


def test_the_requester_s_dpo_finds_no_trace_of_an_owner_it_may_not_know_of(
        attacked, tmp_path):
    """The PFIL's fiche discloses nothing to commune-thiers's role: no access event in
    commune-thiers's name counts or names it; the log still verifies offline."""
    from hub.audit.verify import verify_file

    hub, _clock, _cci, _pfil, _porteur_id, _answer = attacked
    hidden = audit.fiche_ref(hub, PFIL.member_id, "P-1")
    mine = hub.audit.search(member=THIERS.member_id, limit=1000)
    assert mine and not any(hidden in e.fiche_refs for e in mine)
    export = tmp_path / "journal.jsonl"
    audit.export(hub, export, "pnr")
    assert verify_file(export, hub.hub_key.public_key).ok


def test_an_owner_confirming_the_request_has_its_fiches_erased_at_once(attacked):
    hub, _clock, cci, _pfil, _porteur_id, answer = attacked
    done = erasure_requests.answer_request(hub, OWNER, answer["effacement"],
                                           {"reponse": "confirmee"})
    assert (done["statut"], done["fiches_effacees"]) == ("confirmed", 1)
    with pytest.raises(DataErased):
        read_own_fiche(hub, OWNER, OWNER.member_id, "F-1")
    assert name_of(hub, PFIL, "P-1")
    webhooks.dispatch_webhooks(hub)
    erased = [d for d in cci.documents() if d["evenement"] == "erased"
              and d["effacement"] == done["effacement_des_fiches"]]
    assert [s["fiche_id"] for s in erased[0]["sources"]] == ["F-1"]
    assert erasure.read_erasure(hub, THIERS, answer["effacement"])["demandes"] == [
        {"membre": OWNER.member_id, "statut": "confirmed"}]
    # once: the same confirmation again (its answer lost) is answered as the first; another
    # answer is refused
    assert erasure_requests.answer_request(hub, OWNER, answer["effacement"],
                                           {"reponse": "confirmee"}) == done
    with pytest.raises(Conflict):
        erasure_requests.answer_request(hub, OWNER, answer["effacement"], {
            "reponse": "refusee", "motif": "obligation_legale"})
    [event] = hub.audit.search(action="erasure_request_confirm", limit=10)
    assert event.actor_member == OWNER.member_id


def test_an_owner_declining_keeps_its_fiches_and_the_requester_sees_the_reason(attacked):
    hub, _clock, _cci, _pfil, _porteur_id, answer = attacked
    with pytest.raises(BadRequest):  # a refusal says why
        erasure_requests.answer_request(hub, OWNER, answer["effacement"], {"reponse": "refusee"})
    declined = erasure_requests.answer_request(hub, OWNER, answer["effacement"], {
        "reponse": "refusee", "motif": "obligation_legale",
        "precision": "Conservation comptable de 10 ans (aide versée)."})
    assert declined["statut"] == "declined"
    [event] = hub.audit.search(action="erasure_request_decline", limit=10)
    assert event.actor_member == OWNER.member_id
    assert name_of(hub, OWNER, "F-1")
    assert erasure.read_erasure(hub, THIERS, answer["effacement"])["demandes"] == [
        {"membre": OWNER.member_id, "statut": "declined", "motif": "obligation_legale",
         "precision": "Conservation comptable de 10 ans (aide versée)."}]


@pytest.mark.parametrize(("character", "kind"), [
    ("\x07", "contrôle"), ("\x1b", "contrôle"), ("\u202e", "invisible")],
    ids=["bell", "escape", "override"])
def test_a_refusal_s_precision_names_the_character_it_may_not_hold(attacked, character, kind):
    """A bell or an escape in the precision was refused as an invisible character (and
    unnamed): each is named by its code point, a control character as one."""
    hub, _clock, _cci, _pfil, _porteur_id, answer = attacked
    with pytest.raises(BadRequest) as refused:
        erasure_requests.answer_request(hub, OWNER, answer["effacement"], {
            "reponse": "refusee", "motif": "obligation_legale",
            "precision": f"Conservation{character} comptable"})
    message = refused.value.message_fr
    assert f"U+{ord(character):04X}" in message and kind in message
    assert "comptable" not in message and "precision" in message


def test_only_an_asked_owner_answers_and_the_rest_learn_nothing(attacked):
    hub, clock, _cci, _pfil, _porteur_id, answer = attacked
    for caller in (CCI, THIERS, COORDINATION):
        with pytest.raises(NotFound):
            erasure_requests.answer_request(hub, caller, answer["effacement"],
                                            {"reponse": "confirmee"})
    with pytest.raises(NotFound):
        erasure_requests.answer_request(hub, OWNER, "eff_inconnu", {"reponse": "confirmee"})
    seen_by_pfil = erasure.read_erasure(hub, PFIL, answer["effacement"])
    assert seen_by_pfil["demandes"] == [{"membre": PFIL.member_id, "statut": "pending"}]
    assert "demande_par" not in seen_by_pfil and THIERS.member_id not in json.dumps(seen_by_pfil)
    clock.now += dt.timedelta(days=hub.settings.notice_ack_delay_days + 1)
    assert erasure.read_erasure(hub, THIERS, answer["effacement"])["demandes"] == [
        {"membre": OWNER.member_id, "statut": "overdue"}]


def test_the_coordination_confirms_for_an_owner_that_does_not_answer(attacked):
    hub, clock, _cci, _pfil, _porteur_id, answer = attacked
    session = ConsoleSession("usr_coord", "coord", "coordinator", COORDINATION.member_id,
                             "csrf", clock.now + dt.timedelta(hours=1))
    listed = erasure_requests.pending_requests(hub, session)
    # the PFIL is asked too, about P-1, whose consent leaves the coordination out: the
    # coordination is not told the PFIL holds a fiche of the person, nor may confirm for it
    assert {(r["effacement"], r["membre"]) for r in listed} == {
        (answer["effacement"], OWNER.member_id)}
    with pytest.raises(NotFound):
        erasure_requests.confirm_in_console(hub, session, answer["effacement"], PFIL.member_id)
    erasure_requests.confirm_in_console(hub, session, answer["effacement"], OWNER.member_id)
    with pytest.raises(DataErased):
        read_own_fiche(hub, OWNER, OWNER.member_id, "F-1")
    assert name_of(hub, PFIL, "P-1")
    assert erasure.read_erasure(hub, THIERS, answer["effacement"])["demandes"] == [
        {"membre": OWNER.member_id, "statut": "confirmed"}]
    with pytest.raises(Conflict):
        erasure_requests.answer_request(hub, OWNER, answer["effacement"], {
            "reponse": "refusee", "motif": "obligation_legale"})
    [event] = hub.audit.search(action="erasure_request_confirm", limit=10)
    assert (event.actor_member, event.actor_user) == (COORDINATION.member_id, "usr_coord")


def test_an_owner_that_left_the_network_reads_left_not_pending_and_the_coordination_decides(
        attacked, tmp_path):
    """An owner asked that has left the network holds no credential and cannot answer:
    the requester reads `left` (never `pending`, then `overdue`, for ever), its fiches
    stay readable until the coordination confirms for it in the console (or declines it
    outside the hub), which settles the line as for any owner."""
    from hub.services.accounts.members import load_network

    hub, clock, _cci, _pfil, _porteur_id, answer = attacked
    document = json.loads((tmp_path / "network.json").read_text())
    document["membres"] = [m for m in document["membres"] if m["id"] != OWNER.member_id]
    (tmp_path / "network-left.json").write_text(json.dumps(document))
    load_network(hub, tmp_path / "network-left.json", tmp_path / "creds",
                 leave=[OWNER.member_id])
    left = [{"membre": OWNER.member_id, "statut": "left"}]
    assert erasure.read_erasure(hub, THIERS, answer["effacement"])["demandes"] == left
    clock.now += dt.timedelta(days=hub.settings.notice_ack_delay_days + 1)
    assert erasure.read_erasure(hub, THIERS, answer["effacement"])["demandes"] == left
    whole = erasure.read_erasure(hub, NETWORK_DPO, answer["effacement"])
    assert {(d["membre"], d["statut"]) for d in whole["demandes"]} == {
        (OWNER.member_id, "left"), (PFIL.member_id, "overdue")}
    session = ConsoleSession("usr_coord", "coord", "coordinator", COORDINATION.member_id,
                             "csrf", clock.now + dt.timedelta(hours=1))
    listed = erasure_requests.pending_requests(hub, session)
    assert {(r["membre"], r["statut"]) for r in listed} == {(OWNER.member_id, "left")}
    erasure_requests.confirm_in_console(hub, session, answer["effacement"], OWNER.member_id)
    assert erasure.read_erasure(hub, THIERS, answer["effacement"])["demandes"] == [
        {"membre": OWNER.member_id, "statut": "confirmed"}]


def _asked_after_the_owner_left(hub, tmp_path):
    """The owner (F-1) leaves the network, then commune-thiers asks for T-1's erasure."""
    from hub.services.accounts.members import load_network

    push_as(hub, OWNER, fiche("F-1"))
    push_as(hub, THIERS, own_fiche(THIERS, "T-1"), roles_destinataires=["accueil", "accompagnement"])
    document = json.loads((tmp_path / "network.json").read_text())
    document["membres"] = [m for m in document["membres"] if m["id"] != OWNER.member_id]
    (tmp_path / "network-left.json").write_text(json.dumps(document))
    load_network(hub, tmp_path / "network-left.json", tmp_path / "creds",
                 leave=[OWNER.member_id])
    answer = erasure.request_erasure(hub, THIERS, {"fiche_id": "T-1"})
    return answer


def test_an_owner_that_left_before_the_request_reads_left_from_the_first_answer(
        network, tmp_path):
    hub = network[0]
    answer = _asked_after_the_owner_left(hub, tmp_path)
    left = [{"membre": OWNER.member_id, "statut": "left"}]
    assert answer["demandes"] == left
    assert erasure.read_erasure(hub, THIERS, answer["effacement"])["demandes"] == left


def test_an_owner_readmitted_reads_left_on_a_request_made_while_it_was_away(
        network, tmp_path):
    """A member asked while it was out of the network was never sent the request: once
    readmitted it still reads `left` there (the coordination confirms for it in the
    console, or it is followed up outside the hub), never `pending` then `overdue` on a
    request it never received."""
    from hub.services.accounts.members import load_network

    hub, clock, _cci, _pfil = network
    answer = _asked_after_the_owner_left(hub, tmp_path)
    load_network(hub, tmp_path / "network.json", tmp_path / "creds", readmit=[OWNER.member_id])
    assert requests_in_feed(hub, OWNER) == []
    left = [{"membre": OWNER.member_id, "statut": "left"}]
    assert erasure.read_erasure(hub, THIERS, answer["effacement"])["demandes"] == left
    clock.now += dt.timedelta(days=hub.settings.notice_ack_delay_days + 1)
    assert erasure.read_erasure(hub, THIERS, answer["effacement"])["demandes"] == left
    session = ConsoleSession("usr_coord", "coord", "coordinator", COORDINATION.member_id,
                             "csrf", clock.now + dt.timedelta(hours=1))
    assert [(r["membre"], r["statut"]) for r in erasure_requests.pending_requests(
        hub, session)] == [(OWNER.member_id, "left")]


def test_an_active_owner_reads_pending_when_its_notice_was_committed_but_never_tracked(
        network):
    """The request's notice is a delivery committed with the request, tracked in the same
    transaction; a store written by an earlier release (which tracked it after the commit)
    may hold one a dying process never tracked. Its owner was asked (its notice goes
    out): it reads `pending`, never `left`."""
    from hub.services.privacy.owner_requests import EVENT

    hub = network[0]
    push_as(hub, OWNER, fiche("F-1"))
    push_as(hub, THIERS, own_fiche(THIERS, "T-1"), roles_destinataires=["accueil", "accompagnement"])
    answer = erasure.request_erasure(hub, THIERS, {"fiche_id": "T-1"})
    with hub.engine.begin() as conn:  # as the earlier release left it
        conn.execute(sa.text("DELETE FROM consent_notice_acks WHERE kind = :kind"),
                     {"kind": NoticeKind.ERASURE_REQUEST.value})
    assert NoticeKind.ERASURE_REQUEST not in {a.kind for a in hub.consents.acks(answer["effacement"])}
    pending = [{"membre": OWNER.member_id, "statut": "pending"}]
    assert answer["demandes"] == pending
    assert erasure.read_erasure(hub, THIERS, answer["effacement"])["demandes"] == pending
    [notice] = requests_in_feed(hub, OWNER)
    assert (notice["effacement"], notice["evenement"]) == (answer["effacement"], EVENT)


def test_the_coordination_erasing_by_porteur_id_erases_every_member_s_fiches(attacked):
    hub, clock, _cci, _pfil, porteur_id, _answer = attacked
    done = erasure.request_erasure(hub, COORDINATION, {"porteur_id": porteur_id})
    # F-1 and P-1 (T-1 was erased already); P-1's consent leaves the coordination out:
    # erased, and not counted to it (docs/privacy.md, "an erasure asked by the coordination")
    assert done["fiches_effacees"] == 1
    for caller, fiche_id in ((OWNER, "F-1"), (PFIL, "P-1")):
        with pytest.raises(DataErased):
            read_own_fiche(hub, caller, caller.member_id, fiche_id)
    # the same request again is answered that erasure (its answer may have been lost)
    assert erasure.request_erasure(hub, COORDINATION, {"porteur_id": porteur_id}) == done
    clock.advance(hours=25)
    with pytest.raises(AlreadyErased):  # after a day, refused as any other
        erasure.request_erasure(hub, COORDINATION, {"porteur_id": porteur_id})


def test_over_http_the_owner_asked_answers_once_and_the_others_get_404(contract):
    """The partner contract: the requester's 201 and status, the owner's answer (400 for a
    refusal without motif, 200, then 409), 404 in the error envelope for anyone else."""
    owner, chamber = Caller(OWNER_ID, "", "commune", "accueil"), \
        Caller(RECIPIENT_ID, "", "cci", "accompagnement")
    for caller, fiche_id in ((owner, "F-1"), (chamber, "C-1")):
        document = make_fiche(member=caller.member_id, fiche_id=fiche_id)
        document["accompagnement"][0]["structure"] = caller.member_id
        push_as(contract.hub, caller, document)
    made = contract.call(RECIPIENT_ID, "POST", "/v1/erasures", {"fiche_id": "C-1"})
    assert made.status_code == 201, made.text
    eid = made.json()["effacement"]
    assert made.json()["demandes"] == [{"membre": OWNER_ID, "statut": "pending"}]
    path = f"/v1/erasures/{eid}/answer"
    for who in (RECIPIENT_ID, NETWORK_ID):
        refused = contract.call(who, "POST", path, {"reponse": "confirmee"})
        assert (refused.status_code, refused.json()["error"]["code"]) == (404, "not_found")
    assert contract.call(OWNER_ID, "POST", path, {"reponse": "refusee"}).status_code == 400
    declined = contract.call(OWNER_ID, "POST", path, {"reponse": "refusee",
                                                      "motif": "droits_en_justice"})
    assert declined.status_code == 200, declined.text
    assert declined.json() == {"effacement": eid, "membre": OWNER_ID, "statut": "declined",
                               "motif": "droits_en_justice"}
    answered = contract.client.app.openapi()["components"]["schemas"]["ErasureAnswered"]
    assert "motif" in answered["properties"]  # what a partner's generated client reads
    again = contract.call(OWNER_ID, "POST", path, {"reponse": "confirmee"})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "conflict")
    status = contract.call(RECIPIENT_ID, "GET", f"/v1/erasures/{eid}").json()
    assert status["demandes"] == [{"membre": OWNER_ID, "statut": "declined",
                                   "motif": "droits_en_justice"}]


def test_going_back_before_erasure_requests_is_refused_while_one_waits_then_allowed(attacked):
    """Dropping the table would lose the porteur's request silently; once answered, the
    migration goes down and up again."""
    from alembic import command

    from hub.store.migrate import alembic_config

    hub, _clock, _cci, _pfil, _porteur_id, answer = attacked
    url = hub.settings.database_url.reveal()
    with pytest.raises(RuntimeError, match="awaiting an answer"):
        command.downgrade(alembic_config(url), "0026")
    for caller in (OWNER, PFIL):
        erasure_requests.answer_request(hub, caller, answer["effacement"], {"reponse": "confirmee"})
    hub.close()
    command.downgrade(alembic_config(url), "0026")
    command.upgrade(alembic_config(url), "head")


def test_a_restore_from_an_older_backup_asks_the_other_owners_again(network, tmp_path):
    """The request is in the recovery journal with the erasure: restored from a backup
    taken before it, the requester's fiche stays erased and the owner's request is
    pending again (its notice sent again under the same idempotency key), so the owner
    can still answer it."""
    from hub.bootstrap import Hub
    from hub.services.ops import recovery
    from tests.fakes.publisher import RecordingPublisher

    hub, _clock, _cci, _pfil = network
    push_as(hub, OWNER, fiche("F-1"))
    push_as(hub, THIERS, own_fiche(THIERS, "T-1"), roles_destinataires=["accueil"])
    recovery.backup(hub, tmp_path / "sauvegarde")
    asked = erasure.request_erasure(hub, THIERS, {"fiche_id": "T-1"})
    [before] = requests_in_feed(hub, OWNER)
    hub.close()

    done = recovery.restore(hub.settings, tmp_path / "sauvegarde")

    assert done.erasures_replayed == [asked["effacement"]]
    restored = Hub.from_settings(hub.settings, publisher=RecordingPublisher(), clock=hub.clock)
    try:
        with pytest.raises(DataErased):
            read_own_fiche(restored, THIERS, THIERS.member_id, "T-1")
        [again] = requests_in_feed(restored, OWNER)
        assert (again["delivery_id"], again["sources"]) == (before["delivery_id"], before["sources"])
        assert erasure.read_erasure(restored, THIERS, asked["effacement"])["demandes"] == [
            {"membre": OWNER.member_id, "statut": "pending"}]
        erasure_requests.answer_request(restored, OWNER, asked["effacement"],
                                        {"reponse": "confirmee"})
        with pytest.raises(DataErased):
            read_own_fiche(restored, OWNER, OWNER.member_id, "F-1")
    finally:
        restored.close()


def test_confirming_erases_the_fiches_the_request_named_wherever_a_separation_put_them(
        attacked):
    """The owner was asked about F-1 (its notice's `sources`); the coordination separates
    F-1 from the porteur before the owner answers: confirming still erases F-1, which the
    owner agreed to, in its new porteur, and nothing of the PFIL's."""
    from hub.services.matching import duplicates

    hub, _clock, _cci, _pfil, porteur_id, answer = attacked
    # a fiche of the person the coordination may see beside F-1 (P-1 is open to funding
    # only, T-1 erased): otherwise F-1 is its only fiche to the coordination, not separable
    push_as(hub, CCI, own_fiche(CCI, "C-1"))
    duplicates.unmerge(hub, porteur_id, OWNER.member_id, "F-1", actor=COORDINATION.member_id)
    with hub.uow() as uow:
        assert uow.fiches.porteur_of(OWNER.member_id, "F-1").porteur_id != porteur_id
    done = erasure_requests.answer_request(hub, OWNER, answer["effacement"],
                                           {"reponse": "confirmee"})
    assert done["fiches_effacees"] == 1
    with pytest.raises(DataErased):
        read_own_fiche(hub, OWNER, OWNER.member_id, "F-1")
    assert name_of(hub, PFIL, "P-1")


def test_an_owner_asked_that_erases_on_its_own_request_confirms_and_asks_only_the_rest(
        attacked):
    """The owner, asked, takes the porteur's request itself (`POST /v1/erasures`): its
    fiche is erased, the request it was sent shows confirmed, and its own request asks
    only the owners whose fiches are still readable (the PFIL, not commune-thiers)."""
    hub, _clock, _cci, _pfil, _porteur_id, answer = attacked
    own = erasure.request_erasure(hub, OWNER, {"fiche_id": "F-1"})
    assert own["fiches_effacees"] == 1
    assert erasure.read_erasure(hub, THIERS, answer["effacement"])["demandes"] == [
        {"membre": OWNER.member_id, "statut": "confirmed"}]
    whole = erasure.read_erasure(hub, NETWORK_DPO, own["effacement"])
    assert [d["membre"] for d in whole["demandes"]] == [PFIL.member_id]
    assert len(requests_in_feed(hub, THIERS)) == 0


def test_every_reader_s_erasure_status_conforms_to_the_openapi_document(attacked):
    """The document required `demande_par` and `fiches_effacees` in every answer of
    `GET /v1/erasures/{id}`, which an owner asked or a notified member reads without them
    (need-to-know): a generated client validating answers refused theirs."""
    from hub.api.models import ErasureRead

    hub, *_rest, answer = attacked
    required = set(ErasureRead.model_json_schema()["required"])
    readers = [THIERS, OWNER, PFIL, CCI, NETWORK_DPO]
    for reader in readers:
        try:
            read = erasure.read_erasure(hub, reader, answer["effacement"])
        except NotFound:
            continue  # told nothing of it
        assert required <= set(read), (reader.member_id, sorted(required - set(read)))
