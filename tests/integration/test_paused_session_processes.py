"""A hub process paused (SIGSTOP: a VM paused, a debugger, a stuck pool process) in the
middle of a unit of work that appends to the access log, on PostgreSQL: every push
appends to the log under its single lock, so a process holding that lock while paused
stopped every push for the whole pause (503 `store_timeout`). The lock is taken just
before the commit: a process paused anywhere else holds none of it; one paused inside
its commit is ended by the server after HUB_AUDIT_LOCK_IDLE_TIMEOUT_S and, continued,
commits nothing. Neither case needs HUB_DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_S (0 here).
The embedded store's writers: tests/integration/test_sqlite_writer_stalls_processes.py."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.auth import Caller
from hub.services.accounts.members import load_network
from hub.services.ingest import accept as ingest
from tests.factories import make_fiche, other_porteur, record_consents
from tests.integration.paused_in_transaction import HOLDER
from tests.integration.scale import scale_store, stopped, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

OWNER = Caller("commune-ambert", "Mairie", "commune", "accueil")


@pytest.fixture
def store(tmp_path, postgres_url) -> Iterator[tuple[dict[str, str], Hub, list[Any]]]:
    """The settings of a hub on a database of its own (no session-wide idle limit), the
    pushing hub (waiting for a lock as long as it takes, within 2 minutes: no deadline
    of a few seconds decides the outcome) and five fiches ready to push."""
    with scale_store(postgres_url) as settings:
        env = {**settings, "HUB_DATA_DIR": str(tmp_path / "data"),
               "HUB_DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_S": "0"}
        members = [{"id": OWNER.member_id, "nom": "Mairie", "nature": "commune",
                    "role": "accueil", "contact": {"courriel": "mairie@exemple.fr"}}]
        (tmp_path / "network.json").write_text(json.dumps({"reseau": "t", "membres": members}))
        hub = Hub.from_settings(Settings.from_env({**env, "HUB_DATABASE_LOCK_TIMEOUT_S": "120",
                                                   "HUB_DATABASE_STATEMENT_TIMEOUT_S": "150"}))
        try:
            load_network(hub, tmp_path / "network.json", tmp_path / "creds")
            fiches = [make_fiche(member=OWNER.member_id, fiche_id=f"F-{i}",
                                 porteur=other_porteur(i)) for i in range(5)]
            record_consents(hub, fiches)
            yield env, hub, fiches
        finally:
            hub.close()


def push_while_paused(env: dict[str, str], hub: Hub, fiches: list[Any], where: str) -> str:
    """Start the holder, push while it is stopped `where`, continue it: what it said."""
    holder = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.paused_in_transaction", where],
        env={**os.environ, **env}, stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "paused"
        wait_until(lambda: stopped(holder.pid), 30, "the holder to stop itself")
        assert ingest.push_batch(hub, OWNER, fiches)["accepted"] == 5
        assert stopped(holder.pid), "the holder went on before the push was stored"
    finally:
        os.kill(holder.pid, signal.SIGCONT)
        said, _ = holder.communicate(timeout=120)
    return said.strip()


def test_a_process_paused_before_its_commit_holds_no_lock_of_the_log(store):
    """No limit at all: the paused process simply holds no lock the push needs."""
    env, hub, fiches = store
    env = {**env, "HUB_AUDIT_LOCK_IDLE_TIMEOUT_S": "0"}
    assert push_while_paused(env, hub, fiches, "before-commit") == "committed"
    assert [e.actor_user for e in hub.audit.search(user=HOLDER)] == [HOLDER]
    assert len(hub.audit.search(action="fiche_push")) == 1


def test_a_process_paused_inside_its_commit_holds_the_log_lock_no_longer_than_its_limit(
        store):
    """The holder's session, idle holding the log's lock longer than its
    HUB_AUDIT_LOCK_IDLE_TIMEOUT_S (2 s here, 60 s by default), is ended: the push waits
    for that, not for the pause."""
    env, hub, fiches = store
    env = {**env, "HUB_AUDIT_LOCK_IDLE_TIMEOUT_S": "2"}
    assert push_while_paused(env, hub, fiches, "in-commit") == "store_unavailable"
    assert hub.audit.search(user=HOLDER) == []  # its transaction was rolled back whole
    assert len(hub.audit.search(action="fiche_push")) == 1
