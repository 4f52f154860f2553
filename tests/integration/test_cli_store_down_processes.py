"""`capactif` commands on a scale store whose PostgreSQL does not answer (stopped: the
connection refused), as real processes: each says so in one bilingual line with the
store's code and exits 1, never a traceback (backup, restore and audit export printed
Python's, some 120 lines)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from capactif_demo.processes import free_port
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.members import load_network
from tests.integration.scale import scale_store

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def capactif(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hub.cli", *args], env={**os.environ, **env},
                          text=True, capture_output=True, timeout=120, check=False)


@pytest.fixture
def stopped_store(tmp_path, postgres_url):
    """The settings of a hub with a backup made, its database then no longer answering."""
    with scale_store(postgres_url) as store:
        env = {**store, "HUB_DATA_DIR": str(tmp_path / "data"),
               "HUB_KEY_DIR": str(tmp_path / "keys")}
        members = [{"id": "commune-ambert", "nom": "Mairie", "nature": "commune",
                    "role": "accueil", "contact": {"courriel": "mairie@exemple.fr"}}]
        (tmp_path / "network.json").write_text(json.dumps({"reseau": "t", "membres": members}))
        hub = Hub.from_settings(Settings.from_env(env))
        load_network(hub, tmp_path / "network.json", tmp_path / "creds")
        hub.close()
        made = capactif(env, "backup", "--output", str(tmp_path / "copy"))
        assert made.returncode == 0, made.stderr
        url = sa.engine.make_url(env["HUB_DATABASE_URL"]).set(port=free_port())
        yield {**env, "HUB_DATABASE_URL": url.render_as_string(False)}, tmp_path


@pytest.mark.parametrize("command", [
    ["backup", "--output", "{tmp}/other-copy"], ["restore", "{tmp}/copy", "--force"],
    ["audit", "export", "--output", "{tmp}/log.jsonl"],
    ["audit", "export", "--format", "csv", "--output", "{tmp}/log.csv"],
    ["status"], ["deliveries", "dead"], ["audit", "archive"],
])
def test_a_command_on_a_stopped_database_says_so_in_one_line(stopped_store, command):
    env, tmp = stopped_store
    done = capactif(env, *(part.format(tmp=tmp) for part in command))
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    assert done.returncode == 1, done.stderr
    said = [line for line in done.stderr.splitlines() if line.startswith(("erreur", "error"))]
    assert [line.split()[1].rstrip(":") for line in said] == ["(store_unavailable)"] * 2, \
        done.stderr
