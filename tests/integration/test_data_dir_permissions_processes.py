"""The data directory is the hub's own: closed to group and others whatever the umask of
whoever starts the hub (the SQLite store, its WAL, the embedded broker's messages and the
members' credentials live there; the systemd units set UMask=0077, a hand-started hub or
`make demo` did not)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def _init(data_dir: Path, key_dir: Path) -> None:
    env = {**os.environ, "HUB_DATA_DIR": str(data_dir), "HUB_KEY_DIR": str(key_dir)}
    env.pop("HUB_DATABASE_URL", None)
    env.pop("HUB_BROKER_URL", None)
    done = subprocess.run([sys.executable, "-m", "hub.cli", "init"], capture_output=True,
                          text=True, env=env, timeout=120, preexec_fn=lambda: os.umask(0o022))
    assert done.returncode == 0, done.stderr


def _open_to_others(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode) & 0o077


def test_a_hub_started_under_a_loose_umask_keeps_its_store_to_itself(tmp_path):
    data_dir = tmp_path / "var"
    _init(data_dir, tmp_path / "var-keys")
    store = data_dir / "hub.sqlite3"
    assert store.exists()
    assert _open_to_others(data_dir) == 0, oct(data_dir.stat().st_mode)
    for path in (store, *data_dir.glob("hub.sqlite3-*")):
        assert _open_to_others(path) == 0, f"{path.name} {oct(path.stat().st_mode)}"


_WRITE_AND_SHOW_MODES = """
import os, stat, sys
from pathlib import Path
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.members import load_network
from tests.factories import make_network
hub = Hub.from_settings(Settings.from_env(dict(os.environ)))
load_network(hub, make_network(Path(sys.argv[1]), ["cci-puy-de-dome"]), Path(sys.argv[2]))
data_dir = Path(os.environ["HUB_DATA_DIR"])
for path in sorted(data_dir.glob("hub.sqlite3*")):
    print(path.name, oct(stat.S_IMODE(path.stat().st_mode)))
hub.close()
"""


def test_the_write_ahead_log_of_a_running_hub_is_closed_to_others(tmp_path):
    """The WAL and shared-memory files exist only while a hub writes: the modes are read by
    the process writing, under a loose umask, before it closes its store (a store file
    left open by a hand copy is closed again, and its WAL is born closed)."""
    data_dir = tmp_path / "var"
    _init(data_dir, tmp_path / "var-keys")
    os.chmod(data_dir / "hub.sqlite3", 0o644)
    env = {**os.environ, "HUB_DATA_DIR": str(data_dir), "HUB_KEY_DIR": str(tmp_path / "var-keys")}
    env.pop("HUB_DATABASE_URL", None)
    env.pop("HUB_BROKER_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", _WRITE_AND_SHOW_MODES, str(tmp_path / "network.json"),
         str(tmp_path / "credentials")], capture_output=True, text=True, env=env,
        timeout=120, preexec_fn=lambda: os.umask(0o022), cwd=Path(__file__).parents[2])
    assert done.returncode == 0, done.stderr
    modes = dict(line.split() for line in done.stdout.splitlines())
    assert {"hub.sqlite3", "hub.sqlite3-wal", "hub.sqlite3-shm"} <= modes.keys(), modes
    assert all(int(mode, 8) & 0o077 == 0 for mode in modes.values()), modes


def test_a_data_directory_left_open_is_closed_at_start(tmp_path):
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    os.chmod(data_dir, 0o755)
    _init(data_dir, tmp_path / "var-keys")
    assert _open_to_others(data_dir) == 0, oct(data_dir.stat().st_mode)
