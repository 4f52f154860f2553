"""An export written again while the connector pushes: the rows gone from what it read may
be back on disk by the time it withdraws them (a writer paused at a line end: the export
96 % written, the rows missing under the mass-withdrawal share). Before, the fiches of
rows still in the real export were withdrawn; now the file's stamp is looked at again
before the withdrawals and before each batch of them: once it changed, nothing more is withdrawn,
the run says so on one line and exits 3, what it pushed stays, and the next run reads the
complete file and withdraws nothing.

Real processes: a hub API process on each store, the connector run in its own process,
stopped (SIGSTOP, by itself) at the point named, and a writer process that finishes the
export meanwhile."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from hub.services.ingest.processing import pipeline_status
from tests.integration.connectors.test_connector_killed_processes import (
    HEADER,
    ROWS,
    _row,
    _run,
    acknowledged,
    configured,
    hub_process,  # noqa: F401 - the fixture
)
from tests.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

EXIT_UNAVAILABLE = 3
GONE = 2  # rows not yet written: 5 % of 40, under the mass-withdrawal guard

# `python -c` this, AT CONFIG: the connector run, stopping itself (SIGSTOP) before its
# withdrawals (AT "before") or once the hub carried out its first batch of them, one
# fiche a batch here (AT "between")
_PAUSED_RUN = """
import os, signal, sys
from connectors import cli, client, runner
at, config = sys.argv[1], sys.argv[2]

def pause():
    os.kill(os.getpid(), signal.SIGSTOP)

if at == "before":
    withdrawals = runner.Runner._withdrawals
    def paused(self, *args):
        pause()
        return withdrawals(self, *args)
    runner.Runner._withdrawals = paused
else:
    withdraw = client.HubClient.withdraw_fiches
    def paused(self, *args, **kwargs):
        done = withdraw(self, *args, **kwargs)
        pause()
        return done
    client.HubClient.withdraw_fiches = paused
sys.exit(cli.main(["run", config]))
"""

# `python -c` this, PATH FIRST: append the export's rows from FIRST on (the writer resumes)
_WRITER = """
import sys
from tests.integration.connectors.test_connector_killed_processes import ROWS, _row
with open(sys.argv[1], "ab") as export:
    for n in range(int(sys.argv[2]), ROWS):
        export.write((";".join(_row(n)) + "\\r\\n").encode("utf-8"))
"""


def _write(path: Path, rows: list[list[str]]) -> None:
    path.write_bytes("".join(";".join(cells) + "\r\n" for cells in [HEADER, *rows])
                     .encode("utf-8"))


def _stopped(pid: int) -> bool:
    """The process is stopped (state T in /proc)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0] == "T"


@pytest.mark.parametrize("at", ["before", "between"])
def test_an_export_finished_before_the_withdrawals_withdraws_nothing_more(
        hub_process, tmp_path, at):  # noqa: F811 - the fixture
    config = configured(tmp_path)
    settings = json.loads(Path(config).read_text())
    Path(config).write_text(json.dumps({**settings, "taille_lot_retraits": 1}))
    assert _run(config)["accepted"] == ROWS
    export = tmp_path / "export.csv"
    rows = [_row(n) for n in range(ROWS)]
    rows[0][1] = "Nom000-Durand"  # an edit the paused run pushes, and keeps
    _write(export, rows[:ROWS - GONE])  # the writer paused at a line end

    paused = subprocess.Popen([sys.executable, "-c", _PAUSED_RUN, at, config],
                              env=dict(os.environ), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: _stopped(paused.pid), 120, "the connector run to stop itself")
        subprocess.run([sys.executable, "-c", _WRITER, str(export), str(ROWS - GONE)],
                       env=dict(os.environ), check=True, timeout=60)
    finally:
        with contextlib.suppress(ProcessLookupError):  # died early: its output says why
            os.kill(paused.pid, signal.SIGCONT)
    out, err = paused.communicate(timeout=120)

    assert paused.returncode == EXIT_UNAVAILABLE, out + err
    summary = json.loads(out.strip().splitlines()[-1])["resume"]
    assert summary["stopped"] == "source_changed", summary
    assert summary["accepted"] == 1  # the edit is pushed and kept
    assert len(summary["withdrawals"]) == (0 if at == "before" else 1), summary
    said = [line for line in err.splitlines() if "changé depuis sa lecture" in line]
    assert len(said) == 1 and "Nom" not in said[0] and "2026-" not in said[0], err
    assert len(acknowledged(tmp_path)) == ROWS - len(summary["withdrawals"])

    resumed = _run(config)  # the complete export: nothing withdrawn, the edit not sent again
    assert resumed["withdrawals"] == [] and resumed["withdrawals_held"] == 0, resumed
    withdrawn = len(summary["withdrawals"])  # the hub withdrew it: it takes it back
    assert (resumed["sent"], resumed["accepted"], resumed["duplicates"]) == (
        withdrawn, withdrawn, 0), resumed
    assert resumed["unchanged"] == ROWS - withdrawn, resumed  # the edit kept, not sent again
    assert pipeline_status(hub_process)["versions"] == ROWS + 1 + withdrawn
    assert acknowledged(tmp_path) == {f"2026-{n:03d}" for n in range(ROWS)}
