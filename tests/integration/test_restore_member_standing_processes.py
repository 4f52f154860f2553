"""The operator's commands in real processes, on both databases: `capactif backup`, then a
member leaves (`members load --leave`) and another's leaked key is revoked (`members
rotate --now`), then `capactif restore`. Its JSON answer lists both decisions replayed,
and the restored hub, served over real HTTP, refuses the departed member and the revoked
key and accepts the key issued in its place. Before, both came back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from tests.e2e.browser import served
from tests.factories import Credentials
from tests.fakes.publisher import RecordingPublisher
from tests.integration.audit.dpo_http import NETWORK, OWNER, RECIPIENT, network_document

pytestmark = pytest.mark.integration


def _capactif(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "hub.cli", *args], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return done


def _feed(url: str, path: Path) -> int:
    credentials = Credentials(path)
    return httpx.get(f"{url}/v1/feed", headers=credentials.headers("GET", "/v1/feed"),
                     timeout=60).status_code


def test_a_restore_by_the_command_keeps_a_departure_and_a_revocation(db_url, tmp_path):
    env = {**os.environ, "HUB_DATA_DIR": str(tmp_path / "data"), "HUB_DATABASE_URL": db_url}
    creds = tmp_path / "creds"
    document = network_document()
    (tmp_path / "network.json").write_text(json.dumps(document))
    _capactif(env, "members", "load", str(tmp_path / "network.json"),
              "--credentials-dir", str(creds))
    departed, leaked = (tmp_path / f"avant-{m}.json" for m in (RECIPIENT, OWNER))
    departed.write_bytes((creds / f"{RECIPIENT}.json").read_bytes())
    leaked.write_bytes((creds / f"{OWNER}.json").read_bytes())
    _capactif(env, "backup", "--output", str(tmp_path / "sauvegarde"))
    document["membres"] = [m for m in document["membres"] if m["id"] != RECIPIENT]
    (tmp_path / "sans.json").write_text(json.dumps(document))
    _capactif(env, "members", "load", str(tmp_path / "sans.json"), "--leave", RECIPIENT,
              "--credentials-dir", str(creds))
    _capactif(env, "members", "rotate", OWNER, "--now", "--credentials-dir", str(creds))

    restored = json.loads(_capactif(env, "restore", str(tmp_path / "sauvegarde")).stdout)

    hub = Hub.from_settings(Settings(data_dir=tmp_path / "data", database_url=db_url),
                            publisher=RecordingPublisher())
    try:
        with served(create_app(hub=hub)) as url:
            assert _feed(url, departed) == 401
            assert _feed(url, leaked) == 401
            assert _feed(url, creds / f"{OWNER}.json") == 200
    finally:
        hub.close()
    assert restored["departures_replayed"] == [RECIPIENT]
    assert restored["credentials_replayed"] == [OWNER]
    assert sorted(restored["members_replayed"]) == sorted([NETWORK, OWNER, RECIPIENT])
