"""A backup restored after members' standing changed, on both databases: a member that
left stays out (no credential, no subscription, nothing sent to it), a credential revoked
at once stays refused and the one issued in its place accepted, a readmitted member keeps
the credentials it was given, subscriptions given up stay given up, a console account
disabled stays disabled. Before, the recovery journal replayed erasures, key rotations
and withdrawals only: the copy brought the departed member back, active, its webhook sent
the next fiche; the leaked key worked again. What was put back is listed in the
restore's answer; a decision the copy holds is not replayed, one never committed neither."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from hub.bootstrap import Hub
from hub.errors import AuthenticationFailed
from hub.services.accounts.auth import Caller, authenticate
from hub.services.accounts.members import load_network, rotate_member
from hub.services.accounts.users import add_user, set_active
from hub.services.audit import trail as audit
from hub.services.delivery import subscriptions, webhooks
from hub.services.ops import recovery
from hub.store.delivery_tables import deliveries
from tests.factories import Credentials
from tests.fakes.publisher import RecordingPublisher
from tests.integration.test_member_departure import CCI, network_file
from tests.integration.world import fiche, push_and_process

pytestmark = pytest.mark.integration

PFIL = "pfil-livradois"


def _reopen(hub: Hub) -> Hub:
    return Hub.from_settings(hub.settings, publisher=RecordingPublisher(), clock=hub.clock)


def _kept(path: Path, tmp_path: Path) -> Path:
    """A copy of a credentials file as it is now (a load or a rotation replaces it)."""
    copy = tmp_path / f"avant-{path.name}"
    shutil.copyfile(path, copy)
    return copy


def _signs_in(hub: Hub, path: Path) -> bool:
    """Whether the credentials of this file are accepted by the hub now."""
    credentials = Credentials(path)
    headers = {name.lower(): value for name, value in credentials.headers(
        "GET", "/v1/feed", timestamp=int(hub.clock().timestamp())).items()}
    try:
        authenticate(hub, headers, "GET", "/v1/feed", b"")
    except AuthenticationFailed:
        return False
    return True


def _sent_to(hub: Hub, member_id: str) -> list[tuple[str, str | None]]:
    with hub.uow() as uow:
        return [tuple(r) for r in uow.connection.execute(
            sa.select(deliveries.c.status, deliveries.c.last_error)
            .where(deliveries.c.recipient_id == member_id).order_by(deliveries.c.id))]


def test_a_member_that_left_after_the_backup_stays_out_of_the_network(network, tmp_path):
    hub, clock, cci, pfil = network
    load_network(hub, network_file(tmp_path, dpo_of=CCI), tmp_path / "creds")
    push_and_process(hub, fiche("F-1"))
    webhooks.dispatch_webhooks(hub)
    operational = _kept(tmp_path / "creds" / f"{CCI}.json", tmp_path)
    audit.publish_head(hub)
    recovery.backup(hub, tmp_path / "sauvegarde")
    load_network(hub, network_file(tmp_path, without=CCI), tmp_path / "creds", leave=[CCI],
                 by="usr_0123")
    hub.close()

    done = recovery.restore(hub.settings, tmp_path / "sauvegarde")

    restored = _reopen(hub)
    try:
        with restored.uow() as uow:
            member, auditor = uow.members.get(CCI), uow.auditors.get(CCI)
            subscribed = [s for s in uow.deliveries.subscriptions() if s.member_id == CCI]
        assert (member.status, member.left_by, member.token_hash, member.previous_token_hash) \
            == ("left", "usr_0123", None, None)
        assert auditor is None and subscribed == []
        assert not _signs_in(restored, operational)
        received = len(cci.received)
        clock.advance(hours=1)
        push_and_process(restored, fiche("F-2"))  # by its subscription, and as a follower
        webhooks.dispatch_webhooks(restored)
        assert len(cci.received) == received and _sent_to(restored, CCI) == [("sent", None)]
        assert {d["source"]["fiche_id"] for d in pfil.documents()} == {"F-1", "F-2"}
        [left] = audit.events(restored, action="member_leave")  # the copy had none
        assert left.fields == (CCI,)
    finally:
        restored.close()
    assert (done.departures_replayed, done.readmissions_replayed) == ([CCI], [])
    assert CCI in done.members_replayed and done.members_missing == []


def test_a_credential_revoked_at_once_after_the_backup_stays_refused(network, tmp_path):
    hub, clock, _cci, _pfil = network
    leaked = _kept(tmp_path / "creds" / f"{CCI}.json", tmp_path)
    recovery.backup(hub, tmp_path / "sauvegarde")
    rotate_member(hub, CCI, tmp_path / "creds", overlap=False)
    issued = tmp_path / "creds" / f"{CCI}.json"
    hub.close()

    done = recovery.restore(hub.settings, tmp_path / "sauvegarde")

    restored = _reopen(hub)
    try:
        clock.advance(seconds=1)
        assert not _signs_in(restored, leaked)
        assert _signs_in(restored, issued)
    finally:
        restored.close()
    assert done.credentials_replayed == [CCI] and done.departures_replayed == []


def test_a_rotation_s_overlap_is_kept_as_it_was_given(network, tmp_path):
    """With its overlap, the former credential stays valid until the end it was given,
    not a moment after: the copy's own end (none) does not come back."""
    hub, clock, _cci, _pfil = network
    former = _kept(tmp_path / "creds" / f"{CCI}.json", tmp_path)
    recovery.backup(hub, tmp_path / "sauvegarde")
    until = rotate_member(hub, CCI, tmp_path / "creds")
    hub.close()

    recovery.restore(hub.settings, tmp_path / "sauvegarde")

    restored = _reopen(hub)
    try:
        assert _signs_in(restored, former) and _signs_in(restored, tmp_path / "creds" / f"{CCI}.json")
        clock.now = until + dt.timedelta(seconds=1)
        assert not _signs_in(restored, former)
    finally:
        restored.close()


def test_a_member_readmitted_after_the_backup_keeps_the_credentials_it_was_given(
        network, tmp_path):
    hub, _clock, _cci, _pfil = network
    recovery.backup(hub, tmp_path / "sauvegarde")
    load_network(hub, network_file(tmp_path, without=CCI), tmp_path / "creds", leave=[CCI])
    load_network(hub, network_file(tmp_path), tmp_path / "creds", readmit=[CCI])
    hub.close()

    done = recovery.restore(hub.settings, tmp_path / "sauvegarde")

    restored = _reopen(hub)
    try:
        with restored.uow() as uow:
            assert uow.members.get(CCI).active
            assert [s.criteria for s in uow.deliveries.subscriptions()
                    if s.member_id == CCI] == [{"communes": ["63003"]}]
        assert _signs_in(restored, tmp_path / "creds" / f"{CCI}.json")
    finally:
        restored.close()
    assert (done.departures_replayed, done.readmissions_replayed) == ([CCI], [CCI])


def test_subscriptions_given_up_after_the_backup_stay_given_up(network, tmp_path):
    hub, _clock, _cci, pfil = network
    recovery.backup(hub, tmp_path / "sauvegarde")
    caller = Caller(PFIL, PFIL, "pfil", "financement")
    subscriptions.replace_subscriptions(hub, caller, [])
    hub.close()

    done = recovery.restore(hub.settings, tmp_path / "sauvegarde")

    restored = _reopen(hub)
    try:
        assert subscriptions.read_subscriptions(restored, caller) == []
        push_and_process(restored, fiche("F-1"))
        webhooks.dispatch_webhooks(restored)
        assert pfil.received == []
    finally:
        restored.close()
    assert PFIL in done.members_replayed and done.credentials_replayed == []


def test_a_console_account_disabled_after_the_backup_stays_disabled(network, tmp_path):
    hub = network[0]
    account = add_user(hub, "coord.ancien", "coordinator", "un mot de passe assez long")
    recovery.backup(hub, tmp_path / "sauvegarde")
    set_active(hub, account["id"], False)
    hub.close()

    done = recovery.restore(hub.settings, tmp_path / "sauvegarde")

    restored = _reopen(hub)
    try:
        with restored.uow() as uow:
            assert not uow.users.get(account["id"]).active
    finally:
        restored.close()
    assert done.accounts_replayed == [account["id"]]


def test_decisions_the_copy_holds_are_not_replayed_and_a_second_restore_replays_them_again(
        network, tmp_path):
    hub, _clock, _cci, _pfil = network
    load_network(hub, network_file(tmp_path, without=CCI), tmp_path / "creds", leave=[CCI])
    recovery.backup(hub, tmp_path / "apres")
    hub.close()
    done = recovery.restore(hub.settings, tmp_path / "apres")
    assert (done.departures_replayed, done.members_replayed, done.credentials_replayed) == (
        [], [], [])

    restored = _reopen(hub)
    load_network(restored, network_file(tmp_path), tmp_path / "creds", readmit=[CCI])
    issued = _kept(tmp_path / "creds" / f"{CCI}.json", tmp_path)
    restored.close()
    for _ in range(2):  # the first restore's store holds the readmission: replayed again
        done = recovery.restore(hub.settings, tmp_path / "apres")
        assert (done.readmissions_replayed, done.departures_replayed) == ([CCI], [])
    again = _reopen(hub)
    try:
        assert _signs_in(again, issued)
        assert len(list(audit.events(again, action="member_readmit"))) == 1
    finally:
        again.close()


def test_a_decision_never_committed_is_not_replayed(network, tmp_path):
    """A rotation killed after its journal entry, before its commit (its credentials file
    never put in place): a later decision the store holds proves it never committed, and
    the restore leaves the member's credentials as they were."""
    from hub.services.accounts import standing

    hub, _clock, _cci, _pfil = network
    recovery.backup(hub, tmp_path / "sauvegarde")
    with hub.uow() as uow:  # rolled back, as by a process killed before its commit
        uow.members.rotate_credentials(CCI, "0" * 64, "AAAA", hub.clock())
        standing.journal(uow, [CCI], hub.clock(), by="cli", actor="pnr-livradois")
    rotate_member(hub, PFIL, tmp_path / "creds", overlap=False)
    hub.close()

    done = recovery.restore(hub.settings, tmp_path / "sauvegarde")

    assert (done.credentials_replayed, done.decisions_never_committed) == ([PFIL], 1)
    restored = _reopen(hub)
    try:
        assert _signs_in(restored, tmp_path / "creds" / f"{CCI}.json")
        assert _signs_in(restored, tmp_path / "creds" / f"{PFIL}.json")
    finally:
        restored.close()
    lines = [json.loads(line) for line in
             (hub.settings.key_folder / "recovery_journal.jsonl").read_text().splitlines()]
    assert [len(line["ids"]) for line in lines if line["type"] == "uncommitted"] == [1]
