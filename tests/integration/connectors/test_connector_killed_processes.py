"""A connector run killed with SIGKILL mid-run, against a hub process on each store
(SQLite embedded, PostgreSQL and Redis): the checkpoint survives, the next run sends
what was not acknowledged and nothing else, and the hub holds every row once, at its
first version. Killed after the hub accepted a batch the connector never acknowledged,
after an acknowledgement, in the middle of writing one (a torn journal line, then a
second run killed too), and while the snapshot is replaced at the end of the run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from capactif_demo.processes import capactif_command, free_port, running, start_api
from connectors.checkpoint import Checkpoint
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.members import load_network
from hub.services.ingest.processing import pipeline_status
from hub.services.ops.admin import initialise
from tests.factories import make_network, record_consents
from tests.fakes.publisher import RecordingPublisher
from tests.integration.connectors.test_agent_exports import MAPPING, MEMBER
from tests.integration.scale import scale_store

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROWS, BATCH = 40, 5
HEADER = ["N° dossier", "Nom", "Prénom", "Né(e) le", "Téléphone", "CP", "Projet",
          "Besoin (€)", "Modifié le"]

# `python -c` this, MODE AT CONFIG: the connector run, killed with SIGKILL at the AT-th
# push the hub answered (accepted: before the connector acknowledges it), acknowledgement
# (acknowledged: once it is in the journal), acknowledgement written half (torn), or
# snapshot about to replace the last one (snapshot), or batch of withdrawals the hub
# carried out (withdrawn: before the connector records it)
_KILLED_RUN = """
import os, signal, sys
from connectors import checkpoint, cli, client
mode, at, config = sys.argv[1], int(sys.argv[2]), sys.argv[3]
calls = []

def kill():
    os.kill(os.getpid(), signal.SIGKILL)

def counted(original, before=None):
    def wrapper(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == at and before is not None:
            before(self, *args)
            kill()
        done = original(self, *args, **kwargs)
        if len(calls) == at:
            kill()
        return done
    return wrapper

def half_a_line(self, state, entries, removed=()):
    import orjson
    line = orjson.dumps({"fiches": {k: checkpoint._row(v) for k, v in entries.items()},
                         "retraits": list(removed)}) + b"\\n"
    with open(self.journal, "ab") as handle:
        handle.write(line[: len(line) // 2])
        handle.flush()
        os.fsync(handle.fileno())

def written_not_renamed(self, state):
    import tempfile
    fd, _ = tempfile.mkstemp(prefix=self.path.name + ".", dir=self.path.parent)
    os.write(fd, b'{"format": 1, "fiches": {')

if mode == "accepted":
    client.HubClient.push_fiches = counted(client.HubClient.push_fiches)
elif mode == "acknowledged":
    checkpoint.Checkpoint.acknowledge = counted(checkpoint.Checkpoint.acknowledge)
elif mode == "withdrawn":
    client.HubClient.withdraw_fiches = counted(client.HubClient.withdraw_fiches)
elif mode == "torn":
    checkpoint.Checkpoint.acknowledge = counted(checkpoint.Checkpoint.acknowledge, half_a_line)
else:
    checkpoint.Checkpoint.commit = counted(checkpoint.Checkpoint.commit, written_not_renamed)
sys.exit(cli.main(["run", config]))
"""


def _row(n: int) -> list[str]:
    return [f"2026-{n:03d}", f"Nom{n:03d}", "Zoé", f"{1 + n % 28:02d}/03/1985",
            f"06123456{n:02d}", "63600", f"Projet {n}", "8 000", "05/12/2026"]


def _fiche_ids() -> list[str]:
    return [f"COM-2026-{n:03d}" for n in range(ROWS)]


@pytest.fixture(params=["embedded", "scale"])
def hub_process(request, tmp_path):
    with hub_on_store(request, tmp_path, request.param) as observer:
        yield observer


@contextmanager
def hub_on_store(request, tmp_path: Path, store: str,
                 settings: dict[str, str] | None = None) -> Iterator[Hub]:
    """A hub API process on `store` (embedded or scale) with these `settings` besides,
    the member's credentials file, and a hub of the test's own on the same store to look
    at what was stored."""
    with _store(request, tmp_path, store) as env:
        port = free_port()
        env = {**env, "HUB_DATA_DIR": str(tmp_path / "data"), "HUB_PORT": str(port),
               "HUB_LOG_LEVEL": "WARNING", **(settings or {})}
        settings = Settings.from_env(env)
        initialise(settings)
        observer = Hub.from_settings(settings, publisher=RecordingPublisher())
        load_network(observer, make_network(tmp_path / "network.json", [MEMBER]),
                     tmp_path / "creds")
        record_consents(observer, [
            {"membre": MEMBER, "fiche_id": fid,
             "consentement": {"reference": "CST-" + fid.removeprefix("COM-")}}
            for fid in _fiche_ids()])
        credentials = json.loads((tmp_path / "creds" / f"{MEMBER}.json").read_text())
        credentials["hub_url"] = f"http://127.0.0.1:{port}"
        (tmp_path / "identifiants.json").write_text(json.dumps(credentials))
        with running([start_api(env, tmp_path / "logs", port)]):
            yield observer
        observer.close()


class _store:
    def __init__(self, request, tmp_path, kind):
        self.request, self.tmp_path, self.kind = request, tmp_path, kind

    def __enter__(self):
        if self.kind == "embedded":
            self._scale = None
            return {}
        self._scale = scale_store(self.request.getfixturevalue("postgres_url"))
        return self._scale.__enter__()

    def __exit__(self, *exc):
        if self._scale is not None:
            self._scale.__exit__(*exc)


def configured(folder: Path) -> str:
    (folder / "correspondance.json").write_text(json.dumps(MAPPING))
    text = "".join(";".join(cells) + "\r\n" for cells in [HEADER, *map(_row, range(ROWS))])
    (folder / "export.csv").write_bytes(text.encode("utf-8"))
    config = {"version": 1, "type": "csv", "source": {"chemin": "export.csv"},
              "correspondance": "correspondance.json", "identifiants": "identifiants.json",
              "reprise": "etat/reprise.json", "rejets": "etat/rejets.csv", "taille_lot": BATCH}
    (folder / "connecteur.json").write_text(json.dumps(config))
    return str(folder / "connecteur.json")


def _killed(config: str, mode: str, at: int) -> None:
    killed = subprocess.run([sys.executable, "-c", _KILLED_RUN, mode, str(at), config],
                            env=dict(os.environ), capture_output=True, timeout=300, check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode(errors="replace")


def _run(config: str) -> dict:
    done = subprocess.run(capactif_command("connector", "run", config), env=dict(os.environ),
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])["resume"]


def acknowledged(folder: Path) -> set[str]:
    return set(Checkpoint(folder / "etat" / "reprise.json").load().known)


def stored_once(observer: Hub) -> int:
    """How many fiches the hub holds, checking each is held at one version."""
    status = pipeline_status(observer)
    assert status["versions"] == status["fiches"], status
    return status["fiches"]


def _resumed(observer: Hub, config: str, folder: Path) -> None:
    """The next run sends what was not acknowledged, and nothing acknowledged; of it, what
    the hub accepted unacknowledged (the batches in flight at the kill, at most
    `_READY_AHEAD` of them: the hub may still commit one after the kill) comes back as
    duplicate, the hub keeping its one version."""
    noted = acknowledged(folder)
    assert noted <= {f"2026-{n:03d}" for n in range(ROWS)}
    resumed = _run(config)
    assert (resumed["unchanged"], resumed["sent"]) == (len(noted), ROWS - len(noted)), resumed
    assert resumed["duplicates"] <= 2 * BATCH, resumed
    assert resumed["rejected_hub"] == resumed["rejected_local"] == 0, resumed


def _every_row_once_then_nothing(observer: Hub, config: str, folder: Path) -> None:
    assert stored_once(observer) == ROWS
    assert len(acknowledged(folder)) == ROWS
    again = _run(config)  # nothing left to send
    assert (again["sent"], again["unchanged"]) == (0, ROWS), again
    assert stored_once(observer) == ROWS


@pytest.mark.parametrize(("mode", "at"), [("accepted", 3), ("acknowledged", 3),
                                          ("snapshot", 1)])
def test_a_connector_killed_mid_run_resumes_sending_each_row_once(hub_process, tmp_path,
                                                                   mode, at):
    config = configured(tmp_path)
    _killed(config, mode, at)
    _resumed(hub_process, config, tmp_path)
    _every_row_once_then_nothing(hub_process, config, tmp_path)


def test_a_torn_acknowledgement_then_a_second_run_killed_lose_nothing(hub_process, tmp_path):
    config = configured(tmp_path)
    _killed(config, "torn", 2)
    _killed(config, "acknowledged", 2)  # appends to the journal the torn line ends
    _resumed(hub_process, config, tmp_path)
    _every_row_once_then_nothing(hub_process, config, tmp_path)


def _export(folder: Path, rows: int) -> None:
    text = "".join(";".join(cells) + "\r\n" for cells in [HEADER, *map(_row, range(rows))])
    (folder / "export.csv").write_bytes(text.encode("utf-8"))


@pytest.mark.parametrize("back", [True, False])
def test_a_withdrawal_the_hub_carried_out_unrecorded_is_not_lost(hub_process, tmp_path, back):
    """Killed once the hub withdrew a fiche, before the connector recorded it: the row back
    in the export is sent again (a new version, the hub holds it again); still gone, its
    withdrawal is sent again and recorded. Before, the checkpoint still listed the fiche as
    sent: the row back was `unchanged`, never sent again, while the hub had withdrawn it."""
    config = configured(tmp_path)
    assert _run(config)["accepted"] == ROWS
    _export(tmp_path, ROWS - 1)  # the last row gone from the export: its fiche withdrawn
    _killed(config, "withdrawn", 1)
    if back:
        _export(tmp_path, ROWS)
        resumed = _run(config)
        assert (resumed["sent"], resumed["accepted"], resumed["duplicates"]) == (1, 1, 0), resumed
        assert _run(config)["unchanged"] == ROWS
    else:
        resumed = _run(config)
        assert resumed["withdrawals"] == [f"COM-2026-{ROWS - 1:03d}"], resumed
        assert acknowledged(tmp_path) == {f"2026-{n:03d}" for n in range(ROWS - 1)}
