"""A restore stopped after its load committed (during the migration, the journal's
replay, or the withdrawals' replay) left the copy in place, neither migrated nor
replayed, and the next `serve` or `worker` start (`init`) migrated and served it: a
consent withdrawn since routed its fiche again, an erasure made since was undone (the
fiche read in clear). The load now marks the copy unfinished in its own transaction,
`init` refuses to start on it saying to run the restore again, and the restore clears the
mark once every replay is done; run again, it restores as if never stopped."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.errors import ConfigurationError, DataErased
from hub.services.audit import trail as audit
from hub.services.ingest.fiches import read_own_fiche
from hub.services.ops import recovery
from hub.services.ops.admin import initialise
from hub.services.privacy import consents, erasure
from tests.integration.test_backup_restore import ERASED, WITHDRAWN, _fiche, _reopen
from tests.integration.world import OWNER, push_and_process

pytestmark = pytest.mark.integration


class Killed(BaseException):
    """The restore's process killed at this point (nothing after it runs)."""


def _killed(*_args, **_kwargs):
    raise Killed


# where the restore stops: after the load's commit, after the migration, after the
# journal's replay committed (notices recorded, the withdrawals not yet replayed), after
# every replay, before the erased fiches' freed pages are purged, before the planner's
# statistics (the mark was cleared there: the store served without either, and without
# the restore's access event and signed head)
STOPS = {"after_the_load": "upgrade", "after_the_migration": "_replay",
         "after_the_replay_commit": "_replay_withdrawal",
         "after_every_replay": "purge_freed_space", "before_the_statistics": "gather_statistics"}


@pytest.mark.parametrize("stop", sorted(STOPS))
def test_a_restore_stopped_after_its_load_is_refused_by_init_then_run_again(
        network, tmp_path, monkeypatch, stop):
    hub = network[0]
    push_and_process(hub, _fiche("F-1", ERASED, None))
    withdrawn = _fiche("F-3", WITHDRAWN, 2)
    push_and_process(hub, withdrawn)
    recovery.backup(hub, tmp_path / "sauvegarde")
    erased = erasure.request_erasure(hub, OWNER, {"fiche_id": "F-1"})["effacement"]
    consent_id = hub.consents.by_reference(
        OWNER.member_id, withdrawn["consentement"]["reference"]).id
    consents.withdraw_consent(hub, OWNER, consent_id)
    hub.close()

    with monkeypatch.context() as patched:
        patched.setattr(recovery, STOPS[stop], _killed)
        with pytest.raises(Killed):
            recovery.restore(hub.settings, tmp_path / "sauvegarde")
    with pytest.raises(ConfigurationError, match="capactif restore"):
        initialise(hub.settings)  # what `serve` and `worker` run at start

    recovery.restore(hub.settings, tmp_path / "sauvegarde")
    initialise(hub.settings)
    restored = _reopen(hub)
    try:
        assert restored.consents.get(consent_id).withdrawn
        assert erasure.read_erasure(restored, OWNER, erased)["fiches_effacees"] == 1
        with pytest.raises(DataErased):
            read_own_fiche(restored, OWNER, OWNER.member_id, "F-1")
    finally:
        restored.close()


def test_a_restore_stopped_before_its_signed_head_is_refused_then_ends_with_its_event_and_head(
        network, tmp_path, monkeypatch):
    """The mark was cleared before the restore's access event and signed head: a restore
    killed in between served a store whose log did not say it was restored."""
    hub = network[0]
    push_and_process(hub, _fiche("F-1", ERASED, None))
    recovery.backup(hub, tmp_path / "sauvegarde")
    hub.close()
    with monkeypatch.context() as patched:
        patched.setattr(recovery.audit, "publish_head", _killed)
        with pytest.raises(Killed):
            recovery.restore(hub.settings, tmp_path / "sauvegarde")
    with pytest.raises(ConfigurationError, match="capactif restore"):
        initialise(hub.settings)

    recovery.restore(hub.settings, tmp_path / "sauvegarde")
    initialise(hub.settings)
    restored = _reopen(hub)
    try:
        last = restored.audit.search(limit=1, newest_first=True)[0]
        assert last.action == "restore"
        assert audit.latest_head(restored)["size"] == last.seq + 1
    finally:
        restored.close()


def test_readyz_refuses_to_report_ready_on_a_store_an_unfinished_restore_marked(
        network, tmp_path, monkeypatch):
    """Only `init` read the mark: an API process started before the restore (or by hand,
    without `init`) reported ready on the copy, and a load balancer sent it partners."""
    hub = network[0]
    push_and_process(hub, _fiche("F-1", ERASED, None))
    recovery.backup(hub, tmp_path / "sauvegarde")
    hub.close()
    with monkeypatch.context() as patched:
        patched.setattr(recovery, "purge_freed_space", _killed)  # migrated, replayed, marked
        with pytest.raises(Killed):
            recovery.restore(hub.settings, tmp_path / "sauvegarde")
    marked = _reopen(hub)
    try:
        with TestClient(create_app(hub=marked), raise_server_exceptions=False,
                        client=("127.0.0.1", 50000)) as client:  # the details: operators'
            answer = client.get("/readyz")
        assert answer.status_code == 503, answer.text
        base = answer.json()["verifications"]["base"]
        assert not base["ok"] and "capactif restore" in base["detail"]
    finally:
        marked.close()
    recovery.restore(hub.settings, tmp_path / "sauvegarde")
    ready = _reopen(hub)
    try:
        with TestClient(create_app(hub=ready), raise_server_exceptions=False) as client:
            base = client.get("/readyz").json()["verifications"]["base"]
        assert base["ok"], base
    finally:
        ready.close()


def test_a_restore_whose_purge_or_statistics_did_not_finish_says_so(network, tmp_path, monkeypatch):
    """The purge and the ANALYZE give up, with a warning, when they cannot finish (a lock,
    a deadline): the restore still ends (the store is whole), but its answer says what is
    left to do instead of claiming it done."""
    hub = network[0]
    push_and_process(hub, _fiche("F-1", ERASED, None))
    recovery.backup(hub, tmp_path / "sauvegarde")
    hub.close()
    monkeypatch.setattr(recovery, "purge_freed_space", lambda *_a, **_k: False)
    monkeypatch.setattr(recovery, "gather_statistics", lambda *_a, **_k: False)
    done = recovery.restore(hub.settings, tmp_path / "sauvegarde")
    assert (done.freed_space_purged, done.statistics_gathered) == (False, False)
    initialise(hub.settings)  # served: the store itself is whole


def test_a_restore_that_finished_both_says_so(network, tmp_path):
    hub = network[0]
    push_and_process(hub, _fiche("F-1", ERASED, None))
    recovery.backup(hub, tmp_path / "sauvegarde")
    hub.close()
    done = recovery.restore(hub.settings, tmp_path / "sauvegarde")
    assert (done.freed_space_purged, done.statistics_gathered) == (True, True)
