"""One member's credentials rotate while it keeps calling: the former credentials keep
working during the overlap, the new ones at once, the former ones no more after it; the
other members are untouched."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.services.accounts.members import rotate_member
from tests.factories import Credentials
from tests.waiting import wait_until

pytestmark = pytest.mark.integration


def _feed(client, creds):
    return client.get("/v1/feed", headers=creds.headers("GET", "/v1/feed")).status_code


def test_a_member_s_credentials_rotate_with_an_overlap_while_it_keeps_calling(hub, credentials, tmp_path):
    hub = hub.with_settings(credential_overlap_hours=10 / 3600)  # a ten-second overlap
    member, other = list(credentials)[:2]
    old = credentials[member]
    with TestClient(create_app(hub=hub)) as client:
        calls: list[tuple[dt.datetime, int]] = []  # when each call started, its answer
        stop = threading.Event()

        def keep_calling() -> None:
            while not stop.is_set():
                started = hub.clock()
                calls.append((started, _feed(client, old)))

        caller = threading.Thread(target=keep_calling)
        caller.start()
        wait_until(lambda: len(calls) >= 3, 30, "calls before the rotation")
        until = rotate_member(hub, member, tmp_path / "credentials")
        rotated = hub.clock()
        wait_until(lambda: sum(started >= rotated for started, _ in calls) >= 3, 30,
                   "calls after the rotation")
        stop.set()
        caller.join()
        new = Credentials(tmp_path / "credentials" / f"{member}.json")
        assert new.token != old.token
        # Every call made before the overlap ended was answered (a call started after it, on
        # a slow machine, may rightly be refused), and some were made after the rotation.
        assert sum(rotated <= started < until for started, _ in calls) >= 3
        assert {answer for started, answer in calls if started < until} == {200}
        assert _feed(client, new) == 200
        assert _feed(client, credentials[other]) == 200
        time.sleep(max(0.0, (until - hub.clock()).total_seconds()) + 0.2)
        assert _feed(client, old) == 401  # the overlap is over
        assert _feed(client, new) == 200


def test_leaked_credentials_are_refused_at_once_with_rotate_now(hub, credentials, tmp_path,
                                                                monkeypatch, capsys):
    from hub import cli

    member, other = list(credentials)[:2]
    old = credentials[member]
    monkeypatch.setenv("HUB_DATA_DIR", str(hub.settings.data_dir))
    monkeypatch.setenv("HUB_DATABASE_URL", hub.settings.database_url.reveal())
    with TestClient(create_app(hub=hub)) as client:
        assert _feed(client, old) == 200
        assert cli.main(["members", "rotate", member, "--now",
                         "--credentials-dir", str(tmp_path / "credentials")]) == 0
        assert "refusés dès maintenant" in capsys.readouterr().out
        assert _feed(client, old) == 401  # no overlap: the leaked secret is useless now
        assert _feed(client, Credentials(tmp_path / "credentials" / f"{member}.json")) == 200
        assert _feed(client, credentials[other]) == 200


def test_a_network_file_without_a_member_is_refused_until_its_departure_is_confirmed(
        hub, credentials, tmp_path, monkeypatch, capsys):
    """Loading it used to say the member kept valid credentials, and keep them."""
    from hub import cli
    from tests.factories import make_network

    member, *others = list(credentials)
    monkeypatch.setenv("HUB_DATA_DIR", str(hub.settings.data_dir))
    monkeypatch.setenv("HUB_DATABASE_URL", hub.settings.database_url.reveal())
    smaller = make_network(tmp_path / "sans.json", others)
    load = ["members", "load", str(smaller), "--credentials-dir", str(tmp_path / "credentials")]
    with TestClient(create_app(hub=hub)) as client:
        assert cli.main(load) == 1
        err = capsys.readouterr().err
        assert f"toujours actifs : {member} ;" in err and "--leave" in err
        assert _feed(client, credentials[member]) == 200  # nothing changed
        assert cli.main([*load, "--leave", member]) == 0
        assert f"sorti du réseau : {member} ; identifiants révoqués" in capsys.readouterr().out
        assert _feed(client, credentials[member]) == 401
        assert all(_feed(client, credentials[m]) == 200 for m in others)


def test_a_rotation_whose_file_cannot_be_written_changes_nothing(hub, credentials, tmp_path):
    """Without the overlap, a rotation committed before its file was written left the
    member with former credentials refused and new ones nowhere."""
    from hub.errors import DataDirectoryReadOnly

    member, former = next(iter(credentials.items()))
    blocked = tmp_path / "pas-un-dossier"
    blocked.write_text("x")
    with TestClient(create_app(hub=hub)) as client:
        assert _feed(client, former) == 200
        with pytest.raises(DataDirectoryReadOnly) as refused:
            rotate_member(hub, member, blocked, overlap=False)
        assert "pas-un-dossier" in refused.value.message_fr
        assert _feed(client, former) == 200


def test_a_network_load_refused_midway_leaves_every_member_file_as_it_was(hub, tmp_path):
    """`members load --rotate` wrote each member's new file inside the load: a folder
    refusing the second member's left the first with credentials the rolled-back load
    never stored."""
    from hub.errors import DataDirectoryReadOnly
    from hub.services.accounts.members import load_network
    from tests.factories import make_network
    from tests.integration.conftest import MEMBERS

    folder = tmp_path / "credentials"
    first, second = MEMBERS[:2]
    before = (folder / f"{first}.json").read_text()
    (folder / f"{second}.tmp").mkdir()  # this member's file cannot be written
    with pytest.raises(DataDirectoryReadOnly):
        load_network(hub, make_network(tmp_path / "network.json", MEMBERS), folder, rotate=True)
    assert (folder / f"{first}.json").read_text() == before
    assert not (folder / f"{first}.tmp").exists()
