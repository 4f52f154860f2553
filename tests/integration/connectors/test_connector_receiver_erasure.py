"""The member's webhook receiver (`capactif connector receive --folder`) after a withdrawal
or an erasure: the hub's notice asks the member to delete what it received of the fiche,
and the receiver's folder is the member's copy. Real deliveries from the hub, both
stores."""

from __future__ import annotations

import datetime as dt
import json
import pathlib

import pytest
from cryptography.hazmat.primitives import serialization

from connectors.receiver import WebhookReceiver
from hub.services.delivery import webhooks
from hub.services.privacy import consents, erasure
from tests.factories import other_porteur
from tests.integration.world import OWNER, fiche, push_and_process

pytestmark = pytest.mark.integration
NAME = "Marqueurdenom"


def _named(fiche_id: str, version: int = 1) -> dict:
    document = fiche(fiche_id, version)
    document["porteur"]["nom"] = NAME
    return document


def _receiver(hub, folder) -> WebhookReceiver:
    raw = hub.hub_key.public_key.public_bytes(serialization.Encoding.Raw,
                                              serialization.PublicFormat.Raw)
    return WebhookReceiver(folder, {hub.hub_key.key_id: raw})


def _take(receiver: WebhookReceiver, recipient, start: int) -> list[dict]:
    answers = []
    for received in recipient.received[start:]:
        status, answer = receiver.handle(received["headers"], received["body"])
        assert status == 200, answer
        answers.append(answer)
    return answers


def _stop(hub, how: str) -> None:
    if how == "withdrawn":
        record = hub.consents.consent_for_fiche(OWNER.member_id, "F-1", "CST-F-1")
        consents.withdraw_consent(hub, OWNER, record.id)
    elif how == "erased":
        erasure.request_erasure(hub, OWNER, {"fiche_id": "F-1"})
    else:
        erasure.delete_fiche(hub, OWNER, OWNER.member_id, "F-1")


@pytest.mark.parametrize("how", ["withdrawn", "erased", "removed"])
def test_the_receiver_s_folder_keeps_nothing_of_a_fiche_withdrawn_or_erased(network, tmp_path, how):
    """Before, every delivery stayed in the folder, name and all, beside the notice asking
    to delete it: the member's copy outlived the porteur's withdrawal or erasure. The
    notice is kept (the member's system acknowledges it); another fiche's deliveries stay."""
    hub, _clock, cci, _pfil = network
    push_and_process(hub, _named("F-1"))
    push_and_process(hub, _named("F-1", 2))
    push_and_process(hub, fiche("F-2", porteur=other_porteur(2)))  # another person
    webhooks.dispatch_webhooks(hub)
    receiver = _receiver(hub, tmp_path / "livraisons")
    assert len(_take(receiver, cci, 0)) == 3
    assert sum(NAME in p.read_text() for p in receiver.deliveries()) == 2
    sent = len(cci.received)
    _stop(hub, how)
    webhooks.dispatch_webhooks(hub)
    [answer] = _take(receiver, cci, sent)
    assert answer["status"] == "stored" and answer["copies_supprimees"] == 2
    kept = [p.read_text() for p in receiver.deliveries()]
    assert not [text for text in kept if NAME in text]
    assert len(kept) == 2 and sum('"F-2"' in text for text in kept) == 1


def _again(hub, receiver: WebhookReceiver, notice: dict) -> dict:
    """The notice sent again as the hub sends each attempt: signed afresh."""
    delivery_id = json.loads(notice["body"])["delivery_id"]
    status, answer = receiver.handle(webhooks.sign_webhook(hub, notice["body"], delivery_id),
                                     notice["body"])
    assert status == 200, answer
    return answer


def _kept_of(receiver: WebhookReceiver, fiche_id: str) -> list[int]:
    """The versions of `fiche_id` the folder holds (data deliveries only)."""
    documents = [json.loads(p.read_bytes()) for p in receiver.deliveries()]
    return sorted(d["source"]["version"] for d in documents
                  if d["evenement"] in ("created", "updated") and d["source"]["fiche_id"] == fiche_id)


def _consented_again(hub, version: int = 2) -> None:
    """The porteur consents again; the owner sends a new version under the new consent."""
    again = _named("F-1", version)
    again["consentement"]["reference"] = "CST-F-1-BIS"
    push_and_process(hub, again)
    webhooks.dispatch_webhooks(hub)


@pytest.mark.parametrize("how", ["resent", "dead_letter"])
def test_a_notice_received_again_keeps_what_was_sent_under_a_later_consent(network, tmp_path, how):
    """The withdrawal notice comes again after the porteur consented again and a new version
    was sent: sent again (the hub signs each attempt), or a dead letter (the receiver was
    down when it left) that the operator replays. Before, it deleted every delivery of the
    fiche, the copy sent under the new consent too: it reaches only what was sent before it."""
    hub, clock, cci, _pfil = network
    push_and_process(hub, _named("F-1"))
    webhooks.dispatch_webhooks(hub)
    receiver = _receiver(hub, tmp_path / "livraisons")
    _take(receiver, cci, 0)
    sent = len(cci.received)
    if how == "dead_letter":
        cci.status = 410
    record = hub.consents.consent_for_fiche(OWNER.member_id, "F-1", "CST-F-1")
    consents.withdraw_consent(hub, OWNER, record.id)
    webhooks.dispatch_webhooks(hub)
    if how == "dead_letter":  # the receiver was down: the notice reached nobody
        clock.now += dt.timedelta(seconds=hub.settings.webhook_give_up_after_s + 1)
        webhooks.dispatch_webhooks(hub)
        assert len(webhooks.dead_letters(hub, "cci-thiers")) == 1
        cci.status = 200
    else:
        assert _take(receiver, cci, sent)[0]["copies_supprimees"] == 1
    notice_at = sent
    sent = len(cci.received)
    _consented_again(hub)
    _take(receiver, cci, sent)
    assert _kept_of(receiver, "F-1") == ([1, 2] if how == "dead_letter" else [2])
    if how == "dead_letter":
        notice_at = len(cci.received)
        assert webhooks.replay_dead(hub, member_id="cci-thiers").replayed == 1
        clock.now += dt.timedelta(seconds=5)
        webhooks.dispatch_webhooks(hub)
        [answer] = _take(receiver, cci, notice_at)
        assert answer["copies_supprimees"] == 1  # the copy sent before it
    notice = cci.received[notice_at]
    answer = _again(hub, receiver, notice)
    assert answer["status"] == "duplicate" and answer["copies_supprimees"] == 0
    assert _kept_of(receiver, "F-1") == [2]


def test_a_removal_notice_received_again_keeps_the_new_fiche_of_the_same_id(network, tmp_path):
    """A removed fiche's id is free again: the owner pushes the same fiche_id as a new fiche
    from version 1. The old removal notice sent again reaches the old fiche's copies only."""
    hub, _clock, cci, _pfil = network
    push_and_process(hub, _named("F-1"))
    push_and_process(hub, _named("F-1", 2))
    webhooks.dispatch_webhooks(hub)
    receiver = _receiver(hub, tmp_path / "livraisons")
    _take(receiver, cci, 0)
    sent = len(cci.received)
    _stop(hub, "removed")
    webhooks.dispatch_webhooks(hub)
    notice = cci.received[sent]
    assert _take(receiver, cci, sent)[0]["copies_supprimees"] == 2
    sent = len(cci.received)
    _consented_again(hub, version=1)
    _take(receiver, cci, sent)
    assert _kept_of(receiver, "F-1") == [1]
    assert _again(hub, receiver, notice)["copies_supprimees"] == 0
    assert _kept_of(receiver, "F-1") == [1]


def _named_in_notice(hub, cci, how: str) -> dict:
    """Stop F-1 (`how`), send the notice: the one fiche it names to the CCI."""
    sent = len(cci.received)
    _stop(hub, how)
    webhooks.dispatch_webhooks(hub)
    [notice] = [json.loads(r["body"]) for r in cci.received[sent:]]
    named = notice["source"] if how == "withdrawn" else notice["sources"]
    [named] = [named] if isinstance(named, dict) else named
    return named


@pytest.mark.parametrize("how", ["withdrawn", "erased", "removed"])
def test_a_notice_names_the_deliveries_it_reaches(network, tmp_path, how):
    """Each fiche a notice names carries the ids of the deliveries of it that were made for
    its recipient (`livraisons`), in order: what the receiver deletes, and nothing else."""
    hub, _clock, cci, _pfil = network
    push_and_process(hub, _named("F-1"))
    push_and_process(hub, _named("F-1", 2))
    push_and_process(hub, fiche("F-2", porteur=other_porteur(2)))
    webhooks.dispatch_webhooks(hub)
    of_f1 = [json.loads(r["body"])["delivery_id"] for r in cci.received
             if json.loads(r["body"])["source"]["fiche_id"] == "F-1"]
    named = _named_in_notice(hub, cci, how)
    assert named["fiche_id"] == "F-1" and named["livraisons"] == of_f1


@pytest.mark.parametrize("how", ["withdrawn", "erased", "removed"])
def test_a_notice_does_not_name_a_delivery_that_never_left(network, tmp_path, how):
    """A later version planned but never tried when the notice cancels it: naming it told
    the recipient the owner made a version it was never sent."""
    hub, _clock, cci, _pfil = network
    push_and_process(hub, _named("F-1"))
    webhooks.dispatch_webhooks(hub)
    received = [json.loads(r["body"])["delivery_id"] for r in cci.received]
    push_and_process(hub, _named("F-1", 2))  # planned, cancelled before any POST
    named = _named_in_notice(hub, cci, how)
    assert named["livraisons"] == received


def test_a_notice_names_a_delivery_cancelled_while_its_recipient_is_being_sent_to(
        network, tmp_path):
    """A dispatcher holding the recipient's lease (or killed holding it) may be POSTing the
    cancelled delivery: the notice names it, it may have left."""
    hub, _clock, cci, _pfil = network
    push_and_process(hub, _named("F-1"))
    webhooks.dispatch_webhooks(hub)
    [received] = [json.loads(r["body"])["delivery_id"] for r in cci.received]
    push_and_process(hub, _named("F-1", 2))
    with hub.uow() as uow:
        assert uow.deliveries.claim_recipient("cci-thiers", "killed", hub.clock(),
                                              dt.timedelta(seconds=1))
        uow.commit()
    _stop(hub, "withdrawn")
    with hub.uow() as uow:
        uow.deliveries.release_recipient("cci-thiers", "killed")
        uow.commit()
    sent = len(cci.received)
    webhooks.dispatch_webhooks(hub)
    [notice] = [json.loads(r["body"]) for r in cci.received[sent:]]
    listed = notice["source"]["livraisons"]
    assert len(listed) == 2 and listed[0] == received and listed[1] != received


def test_a_delivery_that_arrives_after_the_notice_reaching_it_is_not_kept(network, tmp_path):
    """A delivery in flight when the notice left may reach the receiver after it (its
    first attempt cut, its retry later): the notice names it, so it is not kept."""
    hub, _clock, cci, _pfil = network
    push_and_process(hub, _named("F-1"))
    push_and_process(hub, _named("F-1", 2))
    webhooks.dispatch_webhooks(hub)
    receiver = _receiver(hub, tmp_path / "livraisons")
    first, late = cci.received[0], cci.received[1]
    receiver.handle(first["headers"], first["body"])
    sent = len(cci.received)
    _stop(hub, "withdrawn")
    webhooks.dispatch_webhooks(hub)
    assert _take(receiver, cci, sent)[0]["copies_supprimees"] == 1
    answer = _again(hub, receiver, late)
    assert answer["status"] == "forgotten"
    assert _kept_of(receiver, "F-1") == []
    restarted = _receiver(hub, tmp_path / "livraisons")  # what a notice named outlives a restart
    assert _again(hub, restarted, late)["status"] == "forgotten"
    assert _kept_of(restarted, "F-1") == []


def test_a_file_the_member_s_importer_takes_meanwhile_is_passed_over(network, tmp_path,
                                                                      monkeypatch):
    """The member's importer moves processed files out of the folder: one gone between the
    folder's listing and its reading is passed over. Before, handle() raised
    FileNotFoundError (no answer; the hub sent the notice again and again)."""
    hub, _clock, cci, _pfil = network
    push_and_process(hub, _named("F-1"))
    push_and_process(hub, fiche("F-2", porteur=other_porteur(2)))
    webhooks.dispatch_webhooks(hub)
    receiver = _receiver(hub, tmp_path / "livraisons")
    _take(receiver, cci, 0)
    listing = receiver.deliveries()
    taken = listing[-1]
    read = pathlib.Path.read_bytes

    def importer_took_it(path: pathlib.Path) -> bytes:
        if path == taken:
            taken.unlink(missing_ok=True)
        return read(path)

    monkeypatch.setattr(pathlib.Path, "read_bytes", importer_took_it)
    monkeypatch.setattr(receiver, "deliveries", lambda: listing)
    sent = len(cci.received)
    _stop(hub, "withdrawn")
    webhooks.dispatch_webhooks(hub)
    notice = cci.received[sent]
    body = json.loads(notice["body"])
    body["source"].pop("livraisons", None)  # a notice queued by an earlier hub: read every file
    raw = json.dumps(body).encode()
    status, answer = receiver.handle(webhooks.sign_webhook(hub, raw, body["delivery_id"]), raw)
    assert status == 200, answer
    monkeypatch.undo()
    assert _kept_of(receiver, "F-1") == []


def _old_format_notice(hub, cci) -> dict:
    """The withdrawal notice as a hub before `livraisons` queued it (signed afresh)."""
    sent = len(cci.received)
    record = hub.consents.consent_for_fiche(OWNER.member_id, "F-1", "CST-F-1")
    consents.withdraw_consent(hub, OWNER, record.id)
    webhooks.dispatch_webhooks(hub)
    body = json.loads(cci.received[sent]["body"])
    body["source"].pop("livraisons")
    raw = json.dumps(body).encode()
    return {"headers": webhooks.sign_webhook(hub, raw, body["delivery_id"]), "body": raw}


def test_an_old_format_notice_sent_again_after_a_crash_finishes_its_deletions(network, tmp_path):
    """A notice without `livraisons` stored, then the receiver killed before its deletions
    (no 2xx): before, the notice sent again was a duplicate that deleted nothing, and the
    porteur's copies stayed in the folder for good."""
    hub, _clock, cci, _pfil = network
    push_and_process(hub, _named("F-1"))
    webhooks.dispatch_webhooks(hub)
    folder = tmp_path / "livraisons"
    receiver = _receiver(hub, folder)
    _take(receiver, cci, 0)
    notice = _old_format_notice(hub, cci)

    def killed(*_args):
        raise SystemExit("killed after the notice's write")
    receiver._forget_every_copy = killed
    with pytest.raises(SystemExit):
        receiver.handle(notice["headers"], notice["body"])
    restarted = _receiver(hub, folder)
    answer = _again(hub, restarted, notice)
    assert answer["status"] == "duplicate" and answer["copies_supprimees"] == 1
    assert _kept_of(restarted, "F-1") == []


def test_an_old_format_notice_sent_again_keeps_a_copy_stored_after_it(network, tmp_path):
    hub, _clock, cci, _pfil = network
    push_and_process(hub, _named("F-1"))
    webhooks.dispatch_webhooks(hub)
    receiver = _receiver(hub, tmp_path / "livraisons")
    _take(receiver, cci, 0)
    notice = _old_format_notice(hub, cci)
    assert _again(hub, receiver, notice)["copies_supprimees"] == 1
    sent = len(cci.received)
    _consented_again(hub)
    _take(receiver, cci, sent)
    assert _kept_of(receiver, "F-1") == [2]
    assert _again(hub, receiver, notice)["copies_supprimees"] == 0
    assert _kept_of(receiver, "F-1") == [2]
