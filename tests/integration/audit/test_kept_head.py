"""The hub keeps its last signed head outside the store (the key directory): whoever can
write the database alone can no longer have a rewritten or cut-back log signed again.
Rows edited in place (their leaf hash untouched) are seen at a restart, by an export
and by the pages that read them. The legitimate cases stay quiet: a first start,
processes signing concurrently, an upgrade of a store signed before the file existed, a
restore (an operator's act, recorded), a new signing key. Both stores; the CLI and
`capactif serve` as their own processes."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import stat
import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests
import sqlalchemy as sa
from fastapi.testclient import TestClient

from capactif_demo.processes import Process, capactif_command, free_port, wait_for_http
from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.services.audit import trail as audit
from hub.services.ops import recovery
from tests.factories import Credentials
from tests.fakes.publisher import RecordingPublisher
from tests.integration.audit.dpo_http import NETWORK, dpo_hub

pytestmark = pytest.mark.integration

FORGED = 5
FILE_NAME, HISTORY_NAME = "audit_kept_head.json", "audit_kept_head.history.jsonl"


def logged_and_signed(hub: Hub, events: int = 12) -> None:
    """`events` events, with a head signed at half and at the end."""
    for _ in range(2):
        audit.record(hub, [audit.event(hub, "porteur_view", "cci-thiers")
                           for _ in range(events // 2)])
        audit.publish_head(hub)


def forge(hub: Hub, seq: int = FORGED) -> None:
    """An entry rewritten with the leaf hash of its new content, every head deleted."""
    event = dataclasses.replace(hub.audit.by_seqs([seq])[0], actor_member="intrus")
    leaf = hashlib.sha256(b"\x00" + event.canonical()).digest()
    with hub.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_entries SET actor_member = 'intrus', leaf_hash = :l "
                             "WHERE seq = :s"), {"l": leaf, "s": seq})
        conn.execute(sa.text("DELETE FROM audit_cosignatures"))
        conn.execute(sa.text("DELETE FROM audit_heads"))


def cut_back(hub: Hub, size: int) -> None:
    """The log rolled back to `size` entries: later entries and heads deleted."""
    with hub.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_entries WHERE seq >= :n"), {"n": size})
        conn.execute(sa.text("DELETE FROM audit_heads WHERE tree_size > :n"), {"n": size})


def edit_in_place(hub: Hub, seq: int = FORGED) -> None:
    with hub.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_entries SET actor_member = 'intrus' WHERE seq = :s"),
                     {"s": seq})


def head_count(hub: Hub) -> int:
    with hub.engine.connect() as conn:
        return int(conn.scalar(sa.text("SELECT count(*) FROM audit_heads")) or 0)


def export_command(hub: Hub, output) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HUB_DATA_DIR": str(hub.settings.data_dir),
           "HUB_DATABASE_URL": hub.settings.database_url.reveal()}
    return subprocess.run([sys.executable, "-m", "hub.cli", "audit", "export", "--output",
                           str(output)], capture_output=True, text=True, env=env, timeout=120)


def kept(hub: Hub) -> dict:
    return json.loads((hub.settings.key_folder / FILE_NAME).read_text())["tete"]


def refused_export(hub: Hub, tmp_path) -> None:
    heads = head_count(hub)
    done = export_command(hub, tmp_path / "journal.jsonl")
    assert done.returncode == 3, done.stderr
    assert "audit_integrity_error" in done.stderr and "Traceback" not in done.stderr
    assert head_count(hub) == heads  # nothing signed over the rewritten store


@contextlib.contextmanager
def refused_and_restarted(hub: Hub, tmp_path) -> Iterator[Hub]:
    """The hub stopped, its export refused a new head, then a hub started on the store,
    which finds the log fails its checks."""
    hub.close()
    refused_export(hub, tmp_path)
    fresh = Hub.from_settings(hub.settings, publisher=RecordingPublisher())
    try:
        assert not fresh.audit.matches_signed_head()
        yield fresh
    finally:
        fresh.close()


def test_a_log_rewritten_with_its_leaf_and_its_heads_deleted_is_not_signed_again(hub, tmp_path):
    logged_and_signed(hub)
    forge(hub)
    with refused_and_restarted(hub, tmp_path) as fresh, TestClient(
            create_app(hub=fresh), base_url="http://127.0.0.1",
            client=("127.0.0.1", 50000)) as client:  # the operator's loopback
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.json()["error"]["code"] == "audit_integrity_error"
        assert "capactif_audit_integrity_ok 0.0" in client.get("/metrics").text


def test_a_log_cut_back_with_its_later_heads_is_not_signed_again(hub, tmp_path):
    logged_and_signed(hub)
    cut_back(hub, 6)  # the head of size 6 is left, and gives its root
    hub.close()
    refused_export(hub, tmp_path)


def test_the_first_signed_head_is_kept_beside_the_keys_and_only_grows(hub):
    path = hub.settings.key_folder / FILE_NAME
    assert not path.exists()
    assert not (hub.settings.data_dir / FILE_NAME).exists()
    logged_and_signed(hub)
    assert kept(hub)["size"] == 12 == hub.audit.latest_head().size
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    older = hub.audit.heads()[0]
    hub.audit.kept_head.advance(older, 0)  # a process that signed earlier, writing late
    assert kept(hub)["size"] == 12
    assert hub.audit.matches_signed_head()


SIGNER = """
import sys
from pathlib import Path
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.audit import trail as audit
from tests.fakes.publisher import RecordingPublisher

hub = Hub.from_settings(Settings(data_dir=Path(sys.argv[1]), database_url=sys.argv[2]),
                        publisher=RecordingPublisher())
for _ in range(int(sys.argv[3])):
    audit.record(hub, [audit.event(hub, "porteur_view", "cci-thiers")])
    audit.publish_head(hub)
hub.close()
"""


def test_processes_signing_at_once_keep_the_largest_head_and_raise_no_alarm(hub):
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    rounds = 15
    signers = [subprocess.Popen([sys.executable, "-c", SIGNER, str(hub.settings.data_dir),
                                 hub.settings.database_url.reveal(), str(rounds)],
                                env=env, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    for signer in signers:
        _out, err = signer.communicate(timeout=300)
        assert signer.returncode == 0, err
    latest = hub.audit.latest_head()
    assert latest.size == 3 * rounds
    assert kept(hub)["size"] == latest.size and kept(hub)["root_hash"] == latest.root_hash.hex()
    assert hub.audit.matches_signed_head()


def test_a_store_signed_before_the_kept_head_existed_is_adopted_once_and_said(hub, caplog,
                                                                              tmp_path):
    logged_and_signed(hub)
    (hub.settings.key_folder / FILE_NAME).unlink()  # a store signed by an earlier release
    with caplog.at_level(logging.WARNING, logger="hub"):
        audit.publish_head(hub)
    assert "the store's latest head (size 12) is kept" in caplog.text
    assert kept(hub)["size"] == 12
    history = [json.loads(line) for line in
               (hub.settings.key_folder / HISTORY_NAME).read_text().splitlines()]
    assert [h["acte"] for h in history] == ["adopted"]
    forge(hub)  # adopted once: from now on a rewritten store is refused
    hub.close()
    refused_export(hub, tmp_path)


def test_a_restore_takes_the_kept_head_back_as_a_recorded_act(hub, tmp_path):
    logged_and_signed(hub)
    recovery.backup(hub, tmp_path / "copy")
    audit.record(hub, [audit.event(hub, "porteur_view", "cci-thiers") for _ in range(5)])
    audit.publish_head(hub)
    before = kept(hub)["size"]
    hub.close()
    recovery.restore(hub.settings, tmp_path / "copy")
    restored = Hub.from_settings(hub.settings, publisher=RecordingPublisher())
    try:
        history = [json.loads(line) for line in
                   (hub.settings.key_folder / HISTORY_NAME).read_text().splitlines()]
        assert history[-1]["acte"] == "restore"
        assert history[-1]["avant"]["size"] == before > history[-1]["apres"]["size"]
        assert restored.audit.search(action="restore")
        assert restored.audit.matches_signed_head()
        assert kept(restored)["size"] == restored.audit.latest_head().size
        done = export_command(restored, tmp_path / "after.jsonl")
        assert done.returncode == 0, done.stderr
    finally:
        restored.close()


def test_a_new_signing_key_signs_over_the_kept_head(hub):
    logged_and_signed(hub)
    hub.hub_keys.announce(hub.clock())
    new = hub.hub_keys.activate(hub.clock())
    audit.record(hub, [audit.event(hub, "porteur_view", "cci-thiers")])
    audit.publish_head(hub)
    assert kept(hub)["key_id"] == new.key_id and kept(hub)["size"] == 13
    assert hub.audit.matches_signed_head()


def test_an_entry_edited_in_place_is_seen_at_a_restart(hub, tmp_path):
    logged_and_signed(hub)
    edit_in_place(hub)
    with refused_and_restarted(hub, tmp_path):
        pass


@contextlib.contextmanager
def serving(hub: Hub, tmp_path) -> Iterator[tuple[Process, str]]:
    """`capactif serve` on `hub`'s store (`hub` closed first), once it answers /livez:
    the process and its base URL; stopped at the end."""
    hub.close()
    port = free_port()
    env = {"HUB_DATA_DIR": str(hub.settings.data_dir),
           "HUB_DATABASE_URL": hub.settings.database_url.reveal()}
    api = Process("api", capactif_command("serve", "--port", str(port)), env, tmp_path / "logs")
    try:
        wait_for_http(f"http://127.0.0.1:{port}/livez", api)
        yield api, f"http://127.0.0.1:{port}"
    finally:
        api.stop()


def test_an_entry_edited_in_place_fails_the_health_of_a_serve_started_after(hub, tmp_path):
    logged_and_signed(hub)
    edit_in_place(hub)
    with serving(hub, tmp_path) as (_api, url):
        health = requests.get(f"{url}/healthz", timeout=5)
        assert health.status_code == 503
        assert health.json()["error"]["code"] == "audit_integrity_error"
        assert "intrus" not in health.text


@pytest.fixture
def running_api(db_url, tmp_path):
    """The DPO network served by a running hub that has read its whole log already."""
    hub, _porteur, _fiche = dpo_hub(db_url, tmp_path)
    logged_and_signed(hub)
    with TestClient(create_app(hub=hub), base_url="http://127.0.0.1",
                    client=("127.0.0.1", 50000)) as client:
        yield client, Credentials(tmp_path / "creds" / f"{NETWORK}.dpo.json"), hub
    hub.close()


def test_an_entry_edited_under_a_running_hub_is_seen_by_its_export(running_api):
    client, dpo, hub = running_api
    assert hub.audit.matches_signed_head()
    edit_in_place(hub)
    answer = client.get("/v1/audit/export", headers=dpo.headers("GET", "/v1/audit/export"))
    assert answer.status_code == 200
    assert answer.headers["capactif-integrite"] == "audit_integrity_error"


def test_a_page_of_the_log_showing_an_edited_entry_says_so(running_api):
    client, dpo, hub = running_api
    path = "/v1/audit?limit=10000"
    clean = client.get(path, headers=dpo.headers("GET", path))
    assert clean.status_code == 200 and "capactif-integrite" not in clean.headers
    edit_in_place(hub)
    page = client.get(path, headers=dpo.headers("GET", path))
    assert page.status_code == 200
    assert page.headers["capactif-integrite"] == "audit_integrity_error"
    assert "intrus" in page.text  # the row is shown, as stored, under the warning


def test_a_page_of_the_log_showing_an_entry_rewritten_with_its_leaf_says_so(running_api):
    """The row's content gives its own leaf column, not the leaf the running hub holds."""
    client, dpo, hub = running_api
    event = dataclasses.replace(hub.audit.by_seqs([FORGED])[0], actor_member="intrus")
    with hub.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_entries SET actor_member = 'intrus', leaf_hash = :l "
                             "WHERE seq = :s"),
                     {"l": hashlib.sha256(b"\x00" + event.canonical()).digest(), "s": FORGED})
    path = "/v1/audit?limit=10000"
    page = client.get(path, headers=dpo.headers("GET", path))
    assert page.status_code == 200
    assert page.headers["capactif-integrite"] == "audit_integrity_error"
    assert "intrus" in page.text


def test_archived_entries_leave_the_kept_head_extended_after_a_restart(hub, tmp_path):
    """Retention moves entries out of the store; their leaves stay, and a restarted hub
    still finds the kept head's root, signs on, and raises no alarm."""
    from hub.services.audit import retention as audit_retention
    from tests.factories import Clock

    clock = Clock(hub.clock())
    aged = dataclasses.replace(hub, clock=clock).with_settings(
        audit_retention_days=30, audit_archive_dir=tmp_path / "arch")
    logged_and_signed(aged)
    clock.advance(days=100)
    assert audit_retention.archive_expired(aged) is not None
    hub.close()
    fresh = Hub.from_settings(aged.settings, publisher=RecordingPublisher())
    try:
        assert fresh.audit.matches_signed_head()
        audit.record(fresh, [audit.event(fresh, "porteur_view", "cci-thiers")])
        head = audit.publish_head(fresh)
        assert kept(fresh)["size"] == head["size"] > 12
        done = export_command(fresh, tmp_path / "after.jsonl")
        assert done.returncode == 0, done.stderr
    finally:
        fresh.close()
