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


def test_a_data_directory_left_open_is_closed_at_start(tmp_path):
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    os.chmod(data_dir, 0o755)
    _init(data_dir, tmp_path / "var-keys")
    assert _open_to_others(data_dir) == 0, oct(data_dir.stat().st_mode)
