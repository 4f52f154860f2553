"""A pool process leaves a SIGTERM it did not get from its main process to the main
process, and still dies of one its main process sends (billiard's terminate: a cold stop,
`revoke --terminate`), whatever its main thread is doing. Real forked processes."""

from __future__ import annotations

import os
import signal
import time

from hub import pool_signals


def _pool_process(ready_w: int) -> None:
    """The child: what a pool process does as it starts, then a long task in its main
    thread (the thread that may change a signal's handler is busy)."""
    try:
        pool_signals.leave_group_stops_to_the_main_process()
        os.write(ready_w, b"r")
        while True:
            time.sleep(0.05)
    finally:
        os._exit(3)


def _fork_pool_process() -> int:
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child: a pool process whose main one is the test's
        os.close(ready_r)
        _pool_process(ready_w)
    os.close(ready_w)
    assert os.read(ready_r, 1) == b"r"
    os.close(ready_r)
    return pid


def _status_within(pid: int, seconds: float) -> int | None:
    """The child's wait status once it ended, None if it still runs after `seconds` (a bound
    on a failure, not a measure)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        time.sleep(0.02)
    return None


def test_a_sigterm_from_the_main_process_ends_a_busy_pool_process_as_sigterm_does():
    pid = _fork_pool_process()
    try:
        os.kill(pid, signal.SIGTERM)  # from its parent: billiard's terminate
        status = _status_within(pid, 30)
        assert status is not None, "the pool process outlived its main process's SIGTERM"
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM, status
    finally:
        _reap(pid)


def test_a_sigterm_from_another_process_leaves_the_pool_process_running():
    pid = _fork_pool_process()
    try:
        sender = os.fork()
        if sender == 0:  # pragma: no cover - a process of the group, not the main one
            os.kill(pid, signal.SIGTERM)
            os._exit(0)
        os.waitpid(sender, 0)
        assert _status_within(pid, 1) is None, "a group's SIGTERM ended the pool process"
        os.kill(pid, signal.SIGTERM)  # its main process's, after: it ends
        status = _status_within(pid, 30)
        assert status is not None and os.WIFSIGNALED(status), status
    finally:
        _reap(pid)


def _reap(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass
