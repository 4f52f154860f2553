"""Run a script in a real hub process over the test hub's store, expecting it to be
killed with SIGKILL at the point the script chose (the crash-consistency tests)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys


def run_killed(hub, script: str, *args: str, timeout: int = 300) -> None:
    """`script` (python -c, with `args`) on `hub`'s data directory and database; fails
    unless the process was killed with SIGKILL, showing what it wrote on stderr."""
    env = {**os.environ, "HUB_DATA_DIR": str(hub.settings.data_dir),
           "HUB_DATABASE_URL": hub.settings.database_url.reveal()}
    killed = subprocess.run([sys.executable, "-c", script, *args], env=env,
                            capture_output=True, timeout=timeout)
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode(errors="replace")


def killed_after_journal(entry_type: str) -> str:
    """The first lines of a `run_killed` script: its process killed with SIGKILL right after
    it wrote a recovery-journal entry of `entry_type` (`rotation`, `erasure`), before its
    transaction commits."""
    return f"""
import os, signal
from hub import journal

_written = journal.RecoveryJournal.{entry_type}

def _then_killed(self, *args, **kwargs):
    _written(self, *args, **kwargs)
    os.kill(os.getpid(), signal.SIGKILL)

journal.RecoveryJournal.{entry_type} = _then_killed
"""
