"""A worker frozen (SIGSTOP of its processes: a VM paused, a debugger) in the middle of its
transaction, on PostgreSQL, with the real API, real workers and Redis. Its session, idle
inside that transaction, held the outbox rows it had claimed (and its matching keys) for
as long as it stayed stopped: no other worker could process those fiches, the sweep
skipping them as locked. The server now ends a session idle in a transaction after
HUB_DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_S (60 s by default): its locks let go, another
worker processes the fiches, and the frozen one, continued, gets `store_unavailable`,
retries and finds them done.

The worker is stopped there deterministically: the test holds the matching keys' table
(`match_lock_stripes`) locked, so the worker, its outbox rows claimed, waits for it; the
test stops the worker's processes, then lets the table go: the worker's statement
completes on the server and its session is left idle in its transaction."""

from __future__ import annotations

import contextlib
import os
import signal

import pytest
import sqlalchemy as sa

from capactif_demo.processes import running, start_api, start_worker
from hub.config import Settings
from tests.integration.scale import stopped, wait_until
from tests.integration.test_pipeline_processes import (
    all_processed_once,
    batches,
    push,
    scale,  # noqa: F401  (the fixture)
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

_WAITING_ON = sa.text(
    "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
    "AND CAST(:holder AS integer) = ANY(pg_blocking_pids(pid))")
_STATE = sa.text("SELECT state FROM pg_stat_activity WHERE pid = :pid")


def test_a_worker_frozen_in_its_transaction_lets_its_locks_go_and_another_does_its_work(
        scale):  # noqa: F811
    env, observer, creds, logs = scale
    assert Settings().database_idle_in_transaction_timeout_s == 60  # the default used here
    port = int(env["HUB_PORT"])
    # pg_stat_activity is read once per transaction: the probe asks in a new one each time.
    engine = sa.create_engine(env["HUB_DATABASE_URL"], poolclass=sa.pool.NullPool)
    probe = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    frozen = None
    try:
        with running([start_api(env, logs, port)]) as processes, engine.connect() as holder:
            holder.execute(sa.text("LOCK TABLE match_lock_stripes IN EXCLUSIVE MODE"))
            holder_pid = holder.execute(sa.text("SELECT pg_backend_pid()")).scalar()
            frozen = start_worker(env, logs, "frozen", beat=False)
            processes.append(frozen)
            assert push(observer, port, creds, batches(1, 10)[0])["accepted"] == 10
            waiting = wait_until(
                lambda: probe.execute(_WAITING_ON, {"holder": holder_pid}).scalar(), 60,
                "the worker waiting for the matching keys' table")
            os.killpg(frozen.popen.pid, signal.SIGSTOP)
            wait_until(lambda: stopped(frozen.popen.pid), 30, "the worker stopped")
            holder.commit()  # the table let go: the worker's statement completes
            wait_until(lambda: probe.execute(_STATE, {"pid": waiting}).scalar()
                       == "idle in transaction", 30, "the frozen worker's session idle")
            processes.append(start_worker(env, logs, "other"))
            wait_until(lambda: all_processed_once(observer, 10), 180,
                       "the frozen worker's fiches processed by the other one")
            assert probe.execute(_STATE, {"pid": waiting}).scalar() is None  # the server ended it
            os.killpg(frozen.popen.pid, signal.SIGCONT)
            assert push(observer, port, creds, batches(1, 10, "after", first=10)[0])["accepted"] == 10
            wait_until(lambda: all_processed_once(observer, 20), 120, "20 processed fiches")
    finally:
        if frozen is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(frozen.popen.pid, signal.SIGCONT)
        probe.close()
        engine.dispose()
