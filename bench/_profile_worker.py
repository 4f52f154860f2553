"""Profile the worker's processing in-process (not a benchmark: a tool to see where the
time goes). Pushes --fiches fiches through the ingest service, then processes the outbox
under cProfile, timing every SQL statement (wall, client side) by its first words.

    .venv/bin/python bench/_profile_worker.py [--fiches 2000] [--sqlite] [--out FILE]
                                              [--transaction N] [--no-profile] [--cpu]
                                              [--stages] [--claim N]

Beside each statement's wall time it prints the CPU its PostgreSQL backend spent on it
(read from /proc/PID/schedstat: the database must run on this machine). With --stages, no
cProfile: the worker's own CPU a fiche by stage (`_stages.py`), each counted once.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import gc
import pstats
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _cpu_meter as cpu_meter
import _stages as stages
import sqlalchemy as sa
from ingest import MEMBER, NETWORK, PG, workload
from sqlalchemy.pool import NullPool

from hub.bootstrap import Hub
from hub.collector import tune_for_batches
from hub.config import Settings
from hub.services.accounts.auth import Caller
from hub.services.accounts.members import load_network
from hub.services.ingest import processing
from hub.services.ingest.accept import push_batch
from hub.services.ops.admin import initialise
from hub.store import bulk
from tests.factories import record_consents
from tests.fakes.publisher import RecordingPublisher


def _backend_ns(conn: sa.Connection) -> int:
    """CPU nanoseconds the connection's PostgreSQL backend has run so far (its
    /proc/PID/schedstat: the database runs on this machine); 0 on SQLite."""
    if conn.dialect.name != "postgresql":
        return 0
    pid = conn.connection.driver_connection.info.backend_pid  # type: ignore[union-attr]
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
    except OSError:
        return 0


Spent = collections.Counter[str]


def _collector_timer() -> list[float]:
    """[collections, seconds] the garbage collector has run since (its callbacks)."""
    spent = [0.0, 0.0]
    started: list[float] = []

    def _on_collect(phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            started[:] = [time.perf_counter()]
        elif started:
            spent[0] += 1
            spent[1] += time.perf_counter() - started[0]

    gc.callbacks.append(_on_collect)
    return spent


def _statement_timer(engine: sa.Engine) -> tuple[Spent, Spent, Spent]:
    """Wall seconds spent in each kind of statement (its first words), the CPU seconds
    its PostgreSQL backend spent on it, and counts (COPY statements and the driver's own
    reads, which SQLAlchemy's events do not see, included)."""
    spent: Spent = collections.Counter()
    server: Spent = collections.Counter()
    counts: Spent = collections.Counter()

    def _add(key: str, started: float, backend0: int, conn: sa.Connection) -> None:
        spent[key] += time.perf_counter() - started
        server[key] += (_backend_ns(conn) - backend0) / 1e9
        counts[key] += 1

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        conn.info["t0"] = (time.perf_counter(), _backend_ns(conn))

    @sa.event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        _add(" ".join(statement.split()[:6])[:90], *conn.info.pop("t0"), conn)

    copy_rows, copy_tuples, driver_rows = bulk.copy_rows, bulk.copy_tuples, bulk.driver_rows

    def _timed_copy(conn, table, rows):  # type: ignore[no-untyped-def]
        started, backend0 = time.perf_counter(), _backend_ns(conn)
        copy_rows(conn, table, rows)
        if rows and conn.dialect.name == "postgresql":  # a COPY, which the events don't see
            _add(f"COPY {table.name}", started, backend0, conn)

    def _timed_copy_tuples(conn, table, names, rows):  # type: ignore[no-untyped-def]
        started, backend0 = time.perf_counter(), _backend_ns(conn)
        copy_tuples(conn, table, names, rows)
        if rows and conn.dialect.name == "postgresql":
            _add(f"COPY {table.name}", started, backend0, conn)

    def _timed_rows(conn, statement, params):  # type: ignore[no-untyped-def]
        started, backend0 = time.perf_counter(), _backend_ns(conn)
        rows = driver_rows(conn, statement, params)
        _add("(driver) " + " ".join(statement.split()[:6])[:80], started, backend0, conn)
        return rows

    bulk.copy_rows, bulk.driver_rows = _timed_copy, _timed_rows
    bulk.copy_tuples = _timed_copy_tuples
    return spent, server, counts


def network_hub(settings: Settings) -> tuple[Hub, RecordingPublisher, Caller]:
    """A store initialised with the bench's network, its hub (publishing nowhere: the
    publisher records the outbox ids) and the pushing member as a caller."""
    initialise(settings)
    publisher = RecordingPublisher()
    hub = Hub.from_settings(settings, publisher=publisher)
    load_network(hub, NETWORK, settings.data_dir / "credentials")
    with hub.uow() as uow:
        member = next(m for m in uow.members.all() if m.id == MEMBER)
    return hub, publisher, Caller(member.id, member.name, member.kind, member.role)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fiches", type=int, default=2000)
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--out", default=".prof/worker.prof")
    parser.add_argument("--task", type=int, default=500, help="outbox ids per task")
    parser.add_argument("--preload", type=int, default=20, help="fiches processed first")
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--cpu", action="store_true",
                        help="profile CPU time (time.process_time), not wall: waits on the "
                             "database drop out of the profile")
    parser.add_argument("--transaction", type=int, default=0,
                        help="outbox rows per worker transaction (0: the store's default)")
    parser.add_argument("--claim", type=int, default=0,
                        help="HUB_WORKER_CLAIM_SIZE (0: the store's default)")
    parser.add_argument("--stages", action="store_true",
                        help="print each stage's own CPU a fiche (bench/_stages.py; no "
                             "cProfile: its overhead weighs on small functions)")
    parser.add_argument("--default-gc", action="store_true",
                        help="keep Python's collector thresholds (a worker tunes them)")
    args = parser.parse_args()
    if not args.default_gc:  # as a worker process (`bootstrap._worker_hub`)
        tune_for_batches()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        db = f"prof_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(PG, isolation_level="AUTOCOMMIT")
        env = {"HUB_DATA_DIR": str(base / "data"), "HUB_LOG_LEVEL": "WARNING"}
        if args.transaction:
            env["HUB_WORKER_TRANSACTION_SIZE"] = str(args.transaction)
        if args.claim:
            env["HUB_WORKER_CLAIM_SIZE"] = str(args.claim)
        if not args.sqlite:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{db}"')
            env["HUB_DATABASE_URL"] = PG.rsplit("/", 1)[0] + "/" + db
        try:
            hub, publisher, caller = network_hub(Settings.from_env(env))
            # preloaded fiches (processed, unprofiled: the index the profiled ones meet)
            for n, size in (("W", args.preload), ("P", args.fiches)):
                # the profiled fiches are other people than the preloaded ones: mostly
                # new porteurs, as in bench/ingest.py (one seed for both made them all links)
                documents = workload(n, size, seed=1 if n == "W" else 2)
                record_consents(hub, documents)
                publisher.sent.clear()
                for start in range(0, len(documents), 500):
                    push_batch(hub, caller, documents[start:start + 500])
                ids = [i for batch in publisher.published for i in batch]
                if n == "W":
                    for start in range(0, len(ids), args.task):
                        processing.process_outbox(hub, ids[start:start + args.task])
            if not args.sqlite:  # statistics, as autovacuum keeps them on a running hub:
                # without them the planner reads the whole deliveries table for followers
                with hub.engine.connect() as conn:
                    conn.exec_driver_sql("ANALYZE")
                    conn.commit()
            spent, server, counts = _statement_timer(hub.engine)
            if args.stages:
                stages.install()
                args.no_profile = True
            # measured from another engine: the meter leaves its own backend out, and on
            # the hub's pool that would be the one processing the fiches
            meter = sa.create_engine(hub.engine.url, poolclass=NullPool)
            backend0 = cpu_meter.backend_cpu(meter)
            collector = _collector_timer()
            profile = cProfile.Profile(time.process_time) if args.cpu else cProfile.Profile()
            started, cpu0 = time.perf_counter(), time.process_time()
            if not args.no_profile:
                profile.enable()
            for start in range(0, len(ids), args.task):
                processing.process_outbox(hub, ids[start:start + args.task])
            profile.disable()
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu0
            backend = cpu_meter.backend_cpu(meter) - backend0
            meter.dispose()
            n = len(ids)
            print(f"{n} fiches: wall {1000 * wall / n:.3f} ms/fiche, worker CPU "
                  f"{1000 * cpu / n:.3f} ms/fiche (profiled), db backend CPU "
                  f"{1000 * backend / n:.3f} ms/fiche; {n / wall:.0f} fiches/s")
            if args.stages:
                stages.report(n)
            print(f"collector: {collector[0]:.0f} collections, "
                  f"{1000 * collector[1] / n:.3f} ms/fiche")
            total = sum(spent.values())
            print(f"SQL wall {1000 * total / n:.3f} ms/fiche over {sum(counts.values())} statements")
            print(f"SQL backend CPU {1000 * sum(server.values()) / n:.3f} ms/fiche in statements"
                  " (the rest: commits, savepoints' ends, the other connections)")
            print("  wall ms/100 fiches, backend CPU ms/100 fiches, count, statement")
            for key, seconds in server.most_common(30):
                print(f"  {100_000 * spent[key] / n:7.2f} {100_000 * seconds / n:7.2f}  "
                      f"x{counts[key]:<5} {key}")
            if not args.no_profile:
                Path(args.out).parent.mkdir(parents=True, exist_ok=True)
                profile.dump_stats(args.out)
                pstats.Stats(args.out).sort_stats("tottime").print_stats(30)
            hub.close()
        finally:
            if not args.sqlite:
                with admin.connect() as conn:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            admin.dispose()


if __name__ == "__main__":
    main()
