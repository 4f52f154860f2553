"""A member leaving the network (`capactif members load --leave`), on both databases: it
holds no credential and no subscription any more, nothing more is planned or sent to it,
what waited for it is cancelled with a reason and counted, while the access log and the
art. 15 reports still name it and its own fiches stay in the network. Coming back is
explicit and starts with new credentials."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from hub import errors
from hub.services.accounts.members import list_members, load_network, rotate_member
from hub.services.audit import trail as audit
from hub.services.delivery import webhooks
from hub.services.delivery.feed import read_feed
from hub.services.privacy import consents
from hub.store.delivery_tables import deliveries, subscriptions
from hub.store.repositories import Members
from tests.factories import Credentials, record_consents
from tests.integration.world import OWNER, THIERS, fiche, push_and_process

pytestmark = pytest.mark.integration

CCI = "cci-thiers"  # webhooks
GONE_REASON = "member_left"


def network_file(tmp_path: Path, *, without: str | None = None, dpo_of: str | None = None) -> Path:
    document = json.loads((tmp_path / "network.json").read_text())
    document["membres"] = [m for m in document["membres"] if m["id"] != without]
    for member in document["membres"]:
        if member["id"] == dpo_of:
            member["dpo"] = {"portee": "membre"}
    path = tmp_path / f"network-{without or 'all'}-{dpo_of or 'none'}.json"
    path.write_text(json.dumps(document))
    return path


def rows_for(hub, member_id: str) -> list[tuple[str, str | None]]:
    with hub.uow() as uow:
        return [tuple(r) for r in uow.connection.execute(
            sa.select(deliveries.c.status, deliveries.c.last_error)
            .where(deliveries.c.recipient_id == member_id).order_by(deliveries.c.id))]


def test_a_file_dropping_a_member_is_refused_until_its_departure_is_named(network, tmp_path):
    hub = network[0]
    with pytest.raises(errors.NetworkChangeUnconfirmed) as refused:
        load_network(hub, network_file(tmp_path, without=CCI), tmp_path / "creds")
    assert CCI in refused.value.message_fr and "--leave" in refused.value.message_fr
    assert "Rien n'a changé" in refused.value.message_fr
    with hub.uow() as uow:
        member = uow.members.get(CCI)
    assert member.active and member.token_hash  # nothing changed
    with pytest.raises(errors.NetworkChangeUnconfirmed):  # --leave of a member still in the file
        load_network(hub, network_file(tmp_path), tmp_path / "creds", leave=["pfil-livradois"])


def test_a_member_that_left_loses_its_credentials_and_subscriptions_and_gets_nothing_more(
        network, tmp_path):
    hub, clock, cci, pfil = network
    load_network(hub, network_file(tmp_path, dpo_of=CCI), tmp_path / "creds")
    cci.status = 500
    push_and_process(hub, fiche("F-1"))
    webhooks.dispatch_webhooks(hub)  # fails: retried later
    assert rows_for(hub, CCI) == [("pending", "http_500")]

    summary = load_network(hub, network_file(tmp_path, without=CCI), tmp_path / "creds",
                           leave=[CCI], by="usr_0123")
    [departure] = summary.left
    assert (departure.member_id, departure.webhooks_cancelled, departure.feed_cancelled,
            departure.subscriptions_closed) == (CCI, 1, 0, 1)
    with hub.uow() as uow:
        member = uow.members.get(CCI)
        auditor = uow.auditors.get(CCI)
        subscribed = uow.connection.scalar(sa.select(sa.func.count()).select_from(
            subscriptions).where(subscriptions.c.member_id == CCI))
    assert (member.status, member.left_by, member.token_hash, member.public_key) == (
        "left", "usr_0123", None, None)
    assert member.left_at is not None and auditor is None and subscribed == 0
    assert rows_for(hub, CCI) == [("cancelled", GONE_REASON)]

    cci.status = 200
    clock.now += dt.timedelta(hours=1)
    webhooks.dispatch_webhooks(hub)
    push_and_process(hub, fiche("F-2"))  # would reach it by its subscription and as follower
    webhooks.dispatch_webhooks(hub)
    assert cci.received == [] and rows_for(hub, CCI) == [("cancelled", GONE_REASON)]
    assert {d["source"]["fiche_id"] for d in pfil.documents()} == {"F-1", "F-2"}


def test_its_past_accesses_stay_in_the_log_and_the_reports_still_name_it(network, tmp_path):
    hub, _clock, cci, _pfil = network
    push_and_process(hub, fiche("F-1"))
    webhooks.dispatch_webhooks(hub)
    porteur = cci.documents()[0]["porteur_id"]
    load_network(hub, network_file(tmp_path, without=CCI), tmp_path / "creds", leave=[CCI])
    # it followed this porteur (it was sent the fiche): an update still reaches nobody gone
    push_and_process(hub, fiche("F-1", version=2, projet={**fiche()["projet"], "stade": "installe"}))
    webhooks.dispatch_webhooks(hub)
    assert rows_for(hub, CCI) == [("sent", None)] and len(cci.received) == 1
    sent = [e for e in audit.events(hub, member=CCI) if e.action == "webhook_delivery"]
    assert len(sent) == 1
    report = audit.access_report(hub, "pnr-livradois", porteur)
    assert {(r["membre"], r["nom"]) for r in report["destinataires"]} >= {(CCI, CCI)}
    [left] = [e for e in audit.events(hub, action="member_leave")]
    assert left.actor_member == "pnr-livradois" and left.fields == (CCI,)


def test_its_own_fiches_stay_attributed_to_it_and_still_reach_the_network(network, tmp_path):
    hub, _clock, _cci, pfil = network
    push_and_process(hub, fiche("F-1"))  # pushed by the owner, which then leaves
    load_network(hub, network_file(tmp_path, without="commune-ambert"), tmp_path / "creds",
                 leave=["commune-ambert"])
    webhooks.dispatch_webhooks(hub)
    with hub.uow() as uow:
        kept = uow.fiches.get("commune-ambert", "F-1")
    assert kept is not None and kept.member_id == "commune-ambert"
    assert [d["source"]["membre"] for d in pfil.documents()] == ["commune-ambert"]


def test_readmission_is_explicit_starts_with_new_credentials_and_a_fresh_feed(network, tmp_path):
    hub = network[0]
    former = Credentials(tmp_path / "creds" / f"{THIERS.member_id}.json").token
    push_and_process(hub, fiche("F-1"))  # waits in commune-thiers's feed
    summary = load_network(hub, network_file(tmp_path, without=THIERS.member_id),
                           tmp_path / "creds", leave=[THIERS.member_id])
    assert summary.left[0].feed_cancelled == 1
    assert rows_for(hub, THIERS.member_id) == [("cancelled", GONE_REASON)]
    with pytest.raises(errors.NetworkChangeUnconfirmed) as refused:
        load_network(hub, network_file(tmp_path), tmp_path / "creds")
    assert THIERS.member_id in refused.value.message_fr and "--readmit" in refused.value.message_fr

    summary = load_network(hub, network_file(tmp_path), tmp_path / "creds",
                           readmit=[THIERS.member_id])
    assert summary.readmitted == [THIERS.member_id]
    assert THIERS.member_id in summary.credentials_issued
    assert Credentials(tmp_path / "creds" / f"{THIERS.member_id}.json").token != former
    assert read_feed(hub, THIERS, 0, 100)["deliveries"] == []  # what it never read stays unread
    push_and_process(hub, fiche("F-2"))
    assert [d["source"]["fiche_id"] for d in read_feed(hub, THIERS, 0, 100)["deliveries"]] == ["F-2"]


def test_a_member_that_left_is_sent_no_notice_about_the_porteurs_it_received(network, tmp_path):
    hub, _clock, cci, pfil = network
    record = record_consents(hub, [fiche()])[0]
    push_and_process(hub, fiche())
    webhooks.dispatch_webhooks(hub)
    load_network(hub, network_file(tmp_path, without=CCI), tmp_path / "creds", leave=[CCI])
    withdrawn = consents.withdraw_consent(hub, OWNER, record.id)
    assert withdrawn["avis_envoyes"] == ["commune-thiers", "pfil-livradois"]
    webhooks.dispatch_webhooks(hub)
    assert [d["evenement"] for d in cci.documents()] == ["created"]
    assert [d["evenement"] for d in pfil.documents()] == ["created", "withdrawn"]


def test_a_member_that_left_keeps_no_credentials_file_and_gets_none_by_a_rotation(network, tmp_path):
    hub = network[0]
    assert (tmp_path / "creds" / f"{CCI}.json").exists()
    load_network(hub, network_file(tmp_path, without=CCI), tmp_path / "creds", leave=[CCI])
    assert not (tmp_path / "creds" / f"{CCI}.json").exists()  # its revoked secret is not kept
    with pytest.raises(errors.Conflict) as refused:
        rotate_member(hub, CCI, tmp_path / "creds", overlap=False)
    assert "--readmit" in refused.value.message_fr
    with hub.uow() as uow:
        assert uow.members.get(CCI).token_hash is None
    assert not (tmp_path / "creds" / f"{CCI}.json").exists()


def test_a_delivery_planned_as_its_recipient_left_is_cancelled_by_the_sender_not_sent(
        network, tmp_path):
    """A worker that read the network just before the departure committed may store a
    delivery for the member after it; the sender withdraws it instead of sending it."""
    hub, clock, cci, _pfil = network
    cci.status = 500
    push_and_process(hub, fiche("F-1"))
    load_network(hub, network_file(tmp_path, without=CCI), tmp_path / "creds", leave=[CCI])
    with hub.uow() as uow:  # as the late worker would have left it
        uow.connection.execute(sa.update(deliveries).where(deliveries.c.recipient_id == CCI)
                               .values(status="pending", last_error=None,
                                       next_attempt_at=clock.now))
        uow.commit()
    cci.status = 200
    assert webhooks.dispatch_webhooks(hub).cancelled == 1
    assert cci.arrivals == [] and rows_for(hub, CCI) == [("cancelled", GONE_REASON)]


def _leave_then_readmit(hub, tmp_path: Path, *, subscriptions: list | None = None) -> None:  # type: ignore[no-untyped-def]
    load_network(hub, network_file(tmp_path, without=CCI), tmp_path / "creds", leave=[CCI])
    path = network_file(tmp_path)
    if subscriptions is not None:
        document = json.loads(path.read_text())
        for member in document["membres"]:
            if member["id"] == CCI:
                member["abonnements"] = subscriptions
        path.write_text(json.dumps(document))
    load_network(hub, path, tmp_path / "creds", readmit=[CCI])


def test_a_readmitted_member_gets_back_nothing_it_was_sent_before(network, tmp_path):
    """Webhooks sent before it left came back in its feed after readmission, whole."""
    from hub.services.accounts.auth import Caller

    hub, _clock, cci, _pfil = network
    push_and_process(hub, fiche("F-1"))
    webhooks.dispatch_webhooks(hub)
    assert len(cci.received) == 1
    _leave_then_readmit(hub, tmp_path)
    caller = Caller(CCI, CCI, "cci", "accompagnement")
    assert read_feed(hub, caller, 0, 100)["deliveries"] == []


def test_a_readmitted_member_no_longer_follows_the_porteurs_it_was_sent_before(network,
                                                                            tmp_path):
    """Readmitted without a subscription, it still received their updates as a follower."""
    hub, _clock, cci, _pfil = network
    push_and_process(hub, fiche("F-1"))
    webhooks.dispatch_webhooks(hub)
    _leave_then_readmit(hub, tmp_path, subscriptions=[])
    push_and_process(hub, fiche("F-1", version=2, projet={**fiche()["projet"], "stade": "installe"}))
    webhooks.dispatch_webhooks(hub)
    assert len(cci.received) == 1


def test_a_post_that_failed_as_its_recipient_left_leaves_the_delivery_cancelled(network,
                                                                              tmp_path):
    """The failed attempt's outcome overwrote the cancellation: the row then came back in
    its feed after readmission, or as a dead letter to replay."""
    hub, clock, _cci, _pfil = network
    push_and_process(hub, fiche("F-1"))
    with hub.uow() as uow:
        [delivery] = uow.deliveries.next_pending(CCI, 10)
    load_network(hub, network_file(tmp_path, without=CCI), tmp_path / "creds", leave=[CCI])
    with hub.uow() as uow:  # what the sender writes for a 500 answered meanwhile
        uow.deliveries.set_outcome(delivery.id, attempts=1, next_attempt_at=clock.now,
                                   last_error="http_500")
        uow.deliveries.set_outcome(delivery.id, status="dead", last_error="http_400")
        uow.commit()
    assert rows_for(hub, CCI) == [("cancelled", "member_left")]


def test_going_back_before_the_member_status_is_refused_while_a_member_has_left(network,
                                                                              tmp_path):
    """The downgrade dropped the status: every member that left was back in the network."""
    from alembic import command

    from hub.store.migrate import alembic_config

    hub, _clock, _cci, _pfil = network
    load_network(hub, network_file(tmp_path, without=CCI), tmp_path / "creds", leave=[CCI])
    url = hub.settings.database_url.reveal()
    hub.close()
    with pytest.raises(RuntimeError, match="left the network"):
        command.downgrade(alembic_config(url), "0025")


def test_a_rotation_that_read_the_member_before_its_departure_issues_nothing(
        network, tmp_path, monkeypatch):
    """The departure commits between the rotation's read of the member and its write (on
    PostgreSQL nothing orders them): no credential is written on the member that left, and
    no credentials file is left for it."""
    hub = network[0]
    with hub.uow() as uow:
        before = uow.members.get(CCI)
    load_network(hub, network_file(tmp_path, without=CCI), tmp_path / "creds", leave=[CCI])
    reads = iter([before])  # the rotation's first read sees the member still in
    real_get = Members.get
    monkeypatch.setattr(Members, "get",
                        lambda self, member_id: next(reads, None) or real_get(self, member_id))
    with pytest.raises(errors.Conflict) as refused:
        rotate_member(hub, CCI, tmp_path / "creds", overlap=False)
    assert "--readmit" in refused.value.message_fr
    monkeypatch.undo()
    with hub.uow() as uow:
        member = uow.members.get(CCI)
    assert (member.status, member.token_hash, member.public_key) == ("left", None, None)
    assert not (tmp_path / "creds" / f"{CCI}.json").exists()
    assert not list((tmp_path / "creds").glob(f"{CCI}*"))


def test_the_members_list_says_when_a_member_left_with_its_zone(network, tmp_path):
    hub, clock = network[0], network[1]
    load_network(hub, network_file(tmp_path, without=CCI), tmp_path / "creds", leave=[CCI],
                 by="usr_0123")
    [gone] = [m for m in list_members(hub) if m["id"] == CCI]
    assert (gone["statut"], gone["sortie_par"]) == ("sorti", "usr_0123")
    assert dt.datetime.fromisoformat(gone["sorti_le"]) == clock.now  # aware: comparable
    assert gone["sorti_le"].endswith("+00:00")


def test_a_console_acting_for_a_member_that_left_is_refused_saying_so(network, tmp_path):
    """HUB_CONSOLE_MEMBER naming a member that left: coordinators signed in and acted
    (and were logged) as that member. Sign-in and every open session are refused with
    what to change; the operator's own commands still run."""
    from hub.bootstrap import Hub
    from hub.services.accounts import sessions, users
    from tests.fakes.publisher import RecordingPublisher

    hub, clock, _cci, _pfil = network
    users.add_user(hub, "coord", "coordinator", "mot-de-passe-tres-long")
    settings = dataclasses.replace(hub.settings, console_member=CCI)
    console = Hub.from_settings(settings, publisher=RecordingPublisher(), clock=clock)
    try:
        token = sessions.sign_in(console, "coord", "mot-de-passe-tres-long").token
        load_network(hub, network_file(tmp_path, without=CCI), tmp_path / "creds", leave=[CCI])
        for attempt in (lambda: sessions.sign_in(console, "coord", "mot-de-passe-tres-long"),
                        lambda: sessions.session_of(console, token)):
            with pytest.raises(errors.ConsoleMemberNotInNetwork) as refused:
                attempt()
            assert refused.value.status == 403 and "HUB_CONSOLE_MEMBER" in refused.value.message_en
            assert CCI in refused.value.message_fr
    finally:
        console.close()


def test_the_console_tracks_a_member_that_left_as_left_not_as_overdue_and_says_it_left(
        network, tmp_path):
    """The DPO's tracker of withdrawal notices, and the collector's acks, counted a member
    that left (it can no longer acknowledge: no credential) as overdue, under its bare
    name (the tracker); the
    other console pages (indicators, duplicates, the access log's filter) named it bare
    too: they take the names of `member_names`."""
    from hub.services.accounts.sessions import ConsoleSession
    from hub.services.console import dpo_console
    from tests.factories import ALL_ROLES

    hub, clock, _cci, _pfil = network
    document = fiche()
    [consent] = record_consents(hub, [document], roles_destinataires=ALL_ROLES)
    push_and_process(hub, document)
    webhooks.dispatch_webhooks(hub)
    consents.withdraw_consent(hub, OWNER, consent.id)
    load_network(hub, network_file(tmp_path, without=CCI), tmp_path / "creds", leave=[CCI])
    clock.now += hub.settings.notice_ack_delay + dt.timedelta(days=1)
    session = ConsoleSession("usr", "dpo", "dpo", "pnr-livradois", "csrf", clock.now)
    [ended] = dpo_console.consents_overview(hub, session)["ended"]
    by_member = {a["membre"]: a for a in ended["accuses"]}
    assert by_member[CCI]["statut"] == "left" and by_member[CCI]["nom"].endswith(
        "(sorti du réseau)")
    assert ended["en_retard"] == len(by_member) - 1
    answered = {a["membre"]: a["statut"] for a in consents.acknowledgements(hub, OWNER, consent.id)}
    assert answered[CCI] == "left" and set(answered.values()) == {"left", "overdue"}

