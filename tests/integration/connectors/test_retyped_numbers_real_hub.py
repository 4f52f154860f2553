"""A dossier number retyped in the export withdraws nothing, against a hub process on each
store (SQLite embedded, PostgreSQL and Redis).

« 2026-003 » typed « 2026-03 »: the row looks new, the fiche sent under the old number
looks gone. The hub refuses the new number (no consent recorded under it:
`unknown_consent_reference`); the run, a real `capactif connector` process, holds the
withdrawals (exit code 5) and the fiche stays at the hub until the number is typed back.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from capactif_demo.processes import capactif_command
from connectors.client import HubClient
from connectors.rejects import read_rejects
from tests.integration.connectors.test_agent_exports import MEMBER
from tests.integration.connectors.test_connector_killed_processes import (  # noqa: F401
    HEADER,
    ROWS,
    _row,
    configured,
    hub_process,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EXIT_HELD = 5


def _export(folder: Path, rows: list[list[str]]) -> None:
    text = "".join(";".join(cells) + "\r\n" for cells in [HEADER, *rows])
    (folder / "export.csv").write_bytes(text.encode("utf-8"))


def _run(config: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(capactif_command("connector", "run", config), env=dict(os.environ),
                          capture_output=True, text=True, timeout=300, check=False)


def test_a_retyped_number_the_hub_refuses_withdraws_nothing(hub_process, tmp_path):  # noqa: F811
    config = configured(tmp_path)
    first = _run(config)
    assert first.returncode == 0, first.stdout + first.stderr
    rows = [_row(n) for n in range(ROWS)]
    rows[3][0] = "2026-03"  # « 2026-003 » retyped
    _export(tmp_path, rows)
    held = _run(config)
    assert held.returncode == EXIT_HELD, held.stdout + held.stderr
    summary = json.loads(held.stdout.strip().splitlines()[-1])["resume"]
    assert summary["withdrawals"] == [] and summary["withdrawals_held"] == 1, summary
    assert [(r["origine"], r["code"]) for r in read_rejects(tmp_path / "etat" / "rejets.csv")] \
        == [("hub", "unknown_consent_reference")]
    with HubClient.from_credentials_file(tmp_path / "identifiants.json") as client:
        assert client.get_fiche(MEMBER, "COM-2026-003")["version"] == 1
    _export(tmp_path, [_row(n) for n in range(ROWS)])  # typed back: nothing to send
    again = _run(config)
    assert again.returncode == 0, again.stdout + again.stderr
    assert json.loads(again.stdout.strip().splitlines()[-1])["resume"]["unchanged"] == ROWS
