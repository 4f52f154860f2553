"""`capactif` with wrong arguments, as a real process: one line on stderr naming the
command and the fault, exit 2 (usage), nothing done first (`worker` ran `init`, then
printed click's traceback for `--concurrency -3` and started silently with 0). A group
named without its command prints that group's help, not the top-level one."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.integration


def _capactif(tmp_path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HUB_DATA_DIR": str(tmp_path / "data"),
           "HUB_KEY_DIR": str(tmp_path / "keys"), "HUB_DATABASE_URL": "", "HUB_BROKER_URL": ""}
    return subprocess.run([sys.executable, "-m", "hub.cli", *args], env=env, text=True,
                          capture_output=True, timeout=60, check=False)


@pytest.mark.parametrize("args", [
    ["worker", "--concurrency", "-3"], ["worker", "--concurrency", "0"],
    ["worker", "--concurrency", "abc"], ["deliveries", "dead", "--limit", "0"],
    ["deliveries", "dead", "--limit", "1001"],
])
def test_a_wrong_number_is_one_line_and_exit_2_before_anything_runs(tmp_path, args):
    done = _capactif(tmp_path, *args)
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr
    assert f"capactif {' '.join(args[:-2])}: error: argument {args[-2]}" in done.stderr
    assert not (tmp_path / "data").exists()  # no init ran


@pytest.mark.parametrize("group,command", [
    ("members", "rotate"), ("users", "add"), ("policy", "check"), ("audit", "export"),
    ("deliveries", "replay"), ("keys", "rotate-data"), ("notices", "show"),
])
def test_a_group_alone_prints_its_own_help(tmp_path, group, command):
    done = _capactif(tmp_path, group)
    assert done.returncode == 2
    assert done.stdout.startswith(f"usage: capactif {group} ") and command in done.stdout
    assert "dedup-feedback" not in done.stdout  # not the top-level help
