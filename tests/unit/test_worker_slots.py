"""A worker's heartbeat row on this host counts in the claims' share only while its
process runs: killed (even not yet reaped by its parent), it stops counting at once."""

from __future__ import annotations

import os
import subprocess
import sys

from hub.services.ingest.worker_slots import is_running


def test_this_process_runs():
    assert is_running(os.getpid())


def test_a_process_that_ended_does_not_run():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not is_running(child.pid)


def test_a_killed_process_its_parent_has_not_reaped_yet_does_not_run():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        assert is_running(child.pid)
        child.kill()
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # ended, left a zombie
        assert not is_running(child.pid)
    finally:
        child.kill()
        child.wait()


def test_no_pid_is_not_a_running_process():
    assert not is_running(0) and not is_running(-1)
