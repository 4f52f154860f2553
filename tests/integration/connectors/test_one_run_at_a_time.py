"""Two runs of one connector never run at once; a conflict never replaces a newer push.

`--every 15m` and a run started by hand share a checkpoint: read at two moments and pushed
in any order, the slower run (the older read) answered the hub's version conflict by
sending its old content as a newer version. A run now holds a lock beside its checkpoint;
a second run, a real `capactif connector` process, stops at once (exit code 6) naming the
holder; a run killed with SIGKILL leaves no lock that stops the next one. And a conflict
with a version the hub holds from a later update than the one read is never overwritten.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from capactif_demo.processes import capactif_command
from connectors.cli import main
from connectors.rejects import read_rejects
from tests.integration.connectors.test_agent_exports import HEADER, MEMBER, ROWS, configure, write
from tests.waiting import wait_until

EXIT_BUSY = 6

# `python -c` this, CONFIG FOLDER: a connector run whose first push waits, once it has
# written FOLDER/pushing, until FOLDER/go exists
_SLOW_RUN = """
import sys, time
from pathlib import Path
from connectors import cli, client
config, folder = sys.argv[1], Path(sys.argv[2])
original = client.HubClient.push_fiches

def slow(self, fiches):
    (folder / "pushing").touch()
    while not (folder / "go").exists():
        time.sleep(0.05)
    return original(self, fiches)

client.HubClient.push_fiches = slow
sys.exit(cli.main(["run", config]))
"""


@contextlib.contextmanager
def _slow_run(config: str, folder: Path) -> Iterator[subprocess.Popen[str]]:
    """A run under way, waiting in its first push; let go (and ended) on leaving."""
    for name in ("pushing", "go"):
        (folder / name).unlink(missing_ok=True)
    run = subprocess.Popen([sys.executable, "-c", _SLOW_RUN, config, str(folder)],
                           env=dict(os.environ), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: (folder / "pushing").exists() or run.poll() is not None, 120,
                   "the first run's push")
        assert run.poll() is None, run.communicate()
        yield run
    finally:
        (folder / "go").touch()
        if run.poll() is None:
            try:
                run.wait(timeout=120)
            except subprocess.TimeoutExpired:
                run.kill()
                raise


def _run(config: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(capactif_command("connector", "run", config, *args),
                          env=dict(os.environ), capture_output=True, text=True, timeout=300,
                          check=False)


def test_a_second_run_of_the_connector_is_refused_while_one_is_under_way(
        tmp_path, credentials, hub):
    write(tmp_path / "export.csv", [HEADER, *ROWS])
    config = configure(tmp_path, credentials, "export.csv")
    with _slow_run(config, tmp_path) as first:
        second = _run(config)
        assert second.returncode == EXIT_BUSY, second.stdout + second.stderr
        assert "Un autre passage de ce connecteur est en cours" in second.stderr
        assert f"processus {first.pid}" in second.stderr and "Traceback" not in second.stderr
        every = _run(config, "--every", "1s", "--max-runs", "1")  # its turn is skipped
        assert every.returncode == EXIT_BUSY and "run_under_way" in every.stderr, every.stderr
        assert hub.accepted_versions(MEMBER) == {}  # neither read nor pushed anything
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, out + err
    assert hub.accepted_versions(MEMBER) == {f"COM-{row[0]}": 1 for row in ROWS}
    again = _run(config)  # the lock went with the run
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout.strip().splitlines()[-1])["resume"]["unchanged"] == len(ROWS)


def test_a_run_killed_with_sigkill_leaves_no_lock_that_stops_the_next(
        tmp_path, credentials, hub):
    write(tmp_path / "export.csv", [HEADER, *ROWS])
    config = configure(tmp_path, credentials, "export.csv")
    with _slow_run(config, tmp_path) as killed:
        killed.send_signal(signal.SIGKILL)
        killed.communicate(timeout=60)
    assert (tmp_path / "etat" / "reprise.json.verrou").exists()  # the file stays, unlocked
    resumed = _run(config)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert hub.accepted_versions(MEMBER) == {f"COM-{row[0]}": 1 for row in ROWS}


def _pushed_by_another_tool(hub, client, **changes: str) -> None:
    """Version 2 of the first fiche, updated on 6 December (after the export's row, dated
    the 5th), pushed by another tool of the member."""
    fiche = json.loads(json.dumps(hub.fiches[(MEMBER, "COM-2026-001")]))
    fiche.update(version=2, mis_a_jour_le="2026-12-06T10:00:00+01:00")
    fiche["projet"].update(changes)
    [item] = client.push_fiches([fiche]).items
    assert item.accepted


def test_a_conflict_with_a_version_updated_after_the_read_never_replaces_it(
        tmp_path, credentials, hub, client, capsys):
    write(tmp_path / "export.csv", [HEADER, *ROWS])
    config = configure(tmp_path, credentials, "export.csv")
    assert main(["run", config]) == 0, capsys.readouterr().err
    _pushed_by_another_tool(hub, client, intitule="Boulangerie bio")
    older = [[*ROWS[0][:6], "Boulangerie de village", *ROWS[0][7:]], *ROWS[1:]]
    write(tmp_path / "export.csv", [HEADER, *older])  # read before that update (the 5th)
    assert main(["run", config]) == 1, capsys.readouterr().err
    assert hub.accepted_versions(MEMBER)["COM-2026-001"] == 2
    assert hub.fiches[(MEMBER, "COM-2026-001")]["projet"]["intitule"] == "Boulangerie bio"
    assert [(r["ligne"], r["origine"], r["code"])
            for r in read_rejects(tmp_path / "etat" / "rejets.csv")] \
        == [("2", "hub", "version_plus_recente_au_hub")]


def test_a_conflict_with_the_content_read_takes_the_hubs_version_without_a_new_one(
        tmp_path, credentials, hub, client, capsys):
    write(tmp_path / "export.csv", [HEADER, *ROWS])
    config = configure(tmp_path, credentials, "export.csv")
    assert main(["run", config]) == 0, capsys.readouterr().err
    _pushed_by_another_tool(hub, client, intitule="Boulangerie bio")
    newer = [[*ROWS[0][:6], "Boulangerie bio", *ROWS[0][7:]], *ROWS[1:]]
    write(tmp_path / "export.csv", [HEADER, *newer])
    assert main(["run", config]) == 0, capsys.readouterr().err
    assert hub.accepted_versions(MEMBER)["COM-2026-001"] == 2
    assert main(["run", config]) == 0  # known at version 2 now: nothing sent
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["resume"]["sent"] == 0
