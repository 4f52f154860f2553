"""A writer of the embedded SQLite store stopped (SIGSTOP) or hung while it holds its
turn: the other writers wait for it no longer than the lock deadline. The API answers
503 `store_timeout` with Retry-After, the worker retries, and once the stopped writer
goes on, everything accepted is processed: nothing lost, nothing done twice."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from capactif_demo.processes import free_port, running, start_api, start_worker
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.members import load_network
from hub.services.ingest.processing import pipeline_status
from hub.services.ops.admin import initialise
from tests.factories import Credentials, make_network, record_consents
from tests.integration.http_pushes import fiches, push
from tests.integration.scale import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MEMBER = "cci-puy-de-dome"

# Holds a writer's turn (and SQLite's write lock) until its standard input closes.
_HOLDER = textwrap.dedent("""
    import sys
    from hub.store.engine import create_engine
    engine = create_engine(sys.argv[1])
    with engine.begin() as conn:
        conn.exec_driver_sql("SELECT 1")
        print("holding", flush=True)
        sys.stdin.read()
    print("done", flush=True)
""")


@pytest.fixture
def embedded(tmp_path) -> Iterator[tuple[dict[str, str], Hub, Credentials]]:
    env = {"HUB_DATA_DIR": str(tmp_path / "data"), "HUB_PORT": str(free_port()),
           "HUB_SWEEP_INTERVAL_S": "1", "HUB_OUTBOX_REPUBLISH_AFTER_S": "2",
           "HUB_DATABASE_LOCK_TIMEOUT_S": "2", "HUB_LOG_LEVEL": "INFO"}
    settings = Settings.from_env(env)
    initialise(settings)
    hub = Hub.from_settings(settings)
    load_network(hub, make_network(tmp_path / "network.json", [MEMBER]), tmp_path / "creds")
    yield env, hub, Credentials(tmp_path / "creds" / f"{MEMBER}.json")
    hub.close()


def test_a_writer_stopped_while_it_holds_its_turn_stalls_no_other_writer(embedded, tmp_path):
    env, hub, creds = embedded
    port = int(env["HUB_PORT"])
    before, during, after = fiches("B", 300, 0), fiches("D", 5, 300), fiches("A", 5, 305)
    record_consents(hub, before + during + after)
    logs = tmp_path / "logs"
    with running([start_api(env, logs, port), start_worker(env, logs)]) as (_api, worker):
        assert push(port, creds, before).status_code == 202  # the worker has work to do
        with _holder(hub) as holder:
            os.kill(holder.pid, signal.SIGSTOP)  # stopped while it holds its turn
            answer = push(port, creds, during)  # before: waited for ever
            assert answer.status_code == 503, answer.text
            assert answer.json()["error"]["code"] == "store_timeout"
            assert int(answer.headers["Retry-After"]) > 0
            os.kill(holder.pid, signal.SIGCONT)
            holder.communicate(timeout=60)  # ends its transaction
            assert holder.returncode == 0
        wait_until(lambda: push(port, creds, during).status_code == 202, 30,
                   "the refused batch accepted once the writer goes on")
        assert push(port, creds, after).status_code == 202
        wait_until(lambda: _all_processed(hub, 310) or not worker.alive, 120,
                   "310 processed fiches")
        assert worker.alive, worker.tail()
    status = pipeline_status(hub)
    assert (status["fiches"], status["porteurs"], status["versions"]) == (310, 310, 310)


@contextlib.contextmanager
def _holder(hub: Hub) -> Iterator[subprocess.Popen[str]]:
    """A process that has taken its writer's turn (it holds it until its input closes)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, hub.settings.database_url.reveal()],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2])
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "holding\n"
        yield holder
    finally:
        if holder.poll() is None:
            os.kill(holder.pid, signal.SIGCONT)
            holder.kill()
        holder.communicate()


def _all_processed(hub: Hub, total: int) -> bool:
    status = pipeline_status(hub)
    return status["processed"] == total and status["outbox_pending"] == 0
