"""The partner guide's script, taken from docs/partner-guide.md as a partner would copy
it, runs against a real hub: `capactif serve` and `capactif worker` processes on the
embedded default (SQLite file, file-system broker), credentials from `capactif members
load`. It registers a notice, records a consent, pushes a fiche, reads it from the
recipient's feed, withdraws the consent and acknowledges the withdrawal."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from capactif_demo.processes import free_port, running, start_api, start_worker

pytestmark = pytest.mark.slow

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "partner-guide.md"
COLLECTOR, RECIPIENT = "commune-ambert", "cci-thiers"


def guide_script() -> str:
    text = GUIDE.read_text(encoding="utf-8")
    block = re.search(r"<!-- partner-script:start -->\s*```python\n(.*?)```\s*"
                      r"<!-- partner-script:end -->", text, re.DOTALL)
    assert block, "docs/partner-guide.md must hold the script between its markers"
    return block[1]


def network() -> dict:
    def member(member_id: str, kind: str, role: str) -> dict:
        return {"id": member_id, "nom": member_id, "nature": kind, "role": role,
                "contact": {"courriel": f"{member_id}@exemple.fr"},
                "abonnements": [{"communes": ["63003"]}]}

    return {"reseau": "bac à sable", "membres": [member(COLLECTOR, "commune", "accueil"),
                                                  member(RECIPIENT, "cci", "accompagnement")]}


def test_the_partner_guide_script_runs_the_whole_flow_against_real_hub_processes(tmp_path):
    port = free_port()
    env = {**os.environ, "HUB_DATA_DIR": str(tmp_path / "data"), "HUB_PORT": str(port),
           "HUB_SWEEP_INTERVAL_S": "1", "HUB_OUTBOX_REPUBLISH_AFTER_S": "2",
           "HUB_DISPATCH_INTERVAL_S": "1"}
    for name in ("HUB_DATABASE_URL", "HUB_BROKER_URL"):
        env.pop(name, None)
    (tmp_path / "network.json").write_text(json.dumps(network()), encoding="utf-8")
    load = subprocess.run([sys.executable, "-m", "hub.cli", "members", "load",
                           str(tmp_path / "network.json")], env=env, capture_output=True,
                          text=True, timeout=120)
    assert load.returncode == 0, load.stderr
    script = tmp_path / "partner_flow.py"
    script.write_text(guide_script(), encoding="utf-8")
    credentials = tmp_path / "data" / "credentials"
    with running([start_api(env, tmp_path / "logs", port), start_worker(env, tmp_path / "logs")]):
        flow = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, timeout=240, cwd=tmp_path,
            env={**env, "CAPACTIF_COLLECTOR": str(credentials / f"{COLLECTOR}.json"),
                 "CAPACTIF_RECIPIENT": str(credentials / f"{RECIPIENT}.json")})
    assert flow.returncode == 0, flow.stdout + flow.stderr
    assert "parcours complet" in flow.stdout
    assert "acknowledged" in flow.stdout
