"""Start and stop the hub's own processes (API and worker) as real subprocesses.

Used by `capactif demo`, the benchmarks and the end-to-end tests. Each process gets
its own session so that stopping it stops its children too (Celery's pool, beat).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def capactif_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "hub.cli", *args]


class Process:
    """One child process in its own session, with its output in a log file."""

    def __init__(self, name: str, command: list[str], env: Mapping[str, str], log_dir: Path) -> None:
        self.name = name
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            command, env={**os.environ, **env}, stdout=self._log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL the whole session at once: a crash, as in a power cut."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=30)
        self._wait_session_gone()
        self._log.close()

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM, then SIGKILL whatever is left of the session after `timeout`."""
        if self.alive:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=timeout)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=10)
        self._wait_session_gone()
        self._log.close()

    def _wait_session_gone(self, timeout: float = 10.0) -> None:
        # Children killed with the session are reaped by init a moment later.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(self.popen.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)

    def tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


def poll(probe: Callable[[], T], timeout: float, interval: float = 0.2) -> T | None:
    """The first truthy answer of `probe`, asked every `interval` seconds and once more
    at the deadline; None when there was none within `timeout` seconds. An exception of
    `probe` ends the wait."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


def wait_for_http(url: str, process: Process, timeout: float = 60.0) -> None:
    def answers() -> bool:
        if not process.alive:
            raise RuntimeError(f"{process.name} exited early:\n{process.tail()}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
        return False

    if not poll(answers, timeout, interval=0.1):
        raise TimeoutError(f"{url} did not answer within {timeout:.0f} s:\n{process.tail()}")


@contextlib.contextmanager
def running(processes: list[Process]) -> Iterator[list[Process]]:
    try:
        yield processes
    finally:
        for process in processes:
            process.stop()


def start_api(env: Mapping[str, str], log_dir: Path, port: int) -> Process:
    api = Process("api", capactif_command("serve", "--port", str(port)), env, log_dir)
    wait_for_http(f"http://127.0.0.1:{port}/healthz", api)
    return api


def start_worker(env: Mapping[str, str], log_dir: Path, name: str = "worker",
                 beat: bool = True) -> Process:
    args = ["worker"] + ([] if beat else ["--no-beat"])
    return Process(name, capactif_command(*args), env, log_dir)
