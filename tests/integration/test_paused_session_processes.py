"""A hub process paused in the middle of a transaction (SIGSTOP: a VM paused, a debugger,
a stuck pool process) while it holds the access log's single lock: PostgreSQL ends its
session after HUB_DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_S, so pushes go on meanwhile, and
the paused process, continued, commits nothing (its event never lands without the work
it recorded). The embedded store's writers: tests/integration/test_sqlite_writer_stalls_processes.py."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.auth import Caller
from hub.services.accounts.members import load_network
from hub.services.ingest import accept as ingest
from tests.factories import make_fiche, other_porteur, record_consents
from tests.integration.paused_in_transaction import HOLDER
from tests.integration.scale import scale_store, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

OWNER = Caller("commune-ambert", "Mairie", "commune", "accueil")


def stopped(pid: int) -> bool:
    """Whether the process is stopped (state T in /proc)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "T"


def test_a_process_paused_holding_the_access_log_lock_stops_no_push(tmp_path, postgres_url):
    with scale_store(postgres_url) as store:
        env = {**store, "HUB_DATA_DIR": str(tmp_path / "data"),
               "HUB_DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_S": "1"}
        members = [{"id": OWNER.member_id, "nom": "Mairie", "nature": "commune",
                    "role": "accueil", "contact": {"courriel": "mairie@exemple.fr"}}]
        (tmp_path / "network.json").write_text(json.dumps({"reseau": "t", "membres": members}))
        hub = Hub.from_settings(Settings.from_env(env))
        try:
            load_network(hub, tmp_path / "network.json", tmp_path / "creds")
            fiches = [make_fiche(member=OWNER.member_id, fiche_id=f"F-{i}",
                                 porteur=other_porteur(i)) for i in range(5)]
            record_consents(hub, fiches)
            holder = subprocess.Popen(
                [sys.executable, "-m", "tests.integration.paused_in_transaction"],
                env={**os.environ, **env}, stdout=subprocess.PIPE, text=True,
                start_new_session=True)
            try:
                assert holder.stdout is not None
                assert holder.stdout.readline().strip() == "held"
                wait_until(lambda: stopped(holder.pid), 30, "the holder to stop itself")
                # the holder's lock goes with its session: the push takes it in turn
                assert ingest.push_batch(hub, OWNER, fiches)["accepted"] == 5
                assert stopped(holder.pid), "the holder went on before the push was stored"
            finally:
                os.kill(holder.pid, signal.SIGCONT)
                said, _ = holder.communicate(timeout=60)
            assert said.split() == ["store_unavailable"]  # its transaction rolled back
            assert hub.audit.search(user=HOLDER) == []
            assert len(hub.audit.search(action="fiche_push")) == 1
        finally:
            hub.close()
