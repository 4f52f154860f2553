"""Profile the worker's processing in-process (not a benchmark: a tool to see where the
time goes). Pushes --fiches fiches through the ingest service, then processes the outbox
under cProfile, timing every SQL statement (wall, client side) by its first words.

    .venv/bin/python bench/_profile_worker.py [--fiches 2000] [--sqlite] [--out FILE]
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import pstats
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _cpu_meter as cpu_meter
import sqlalchemy as sa
from ingest import MEMBER, NETWORK, PG, workload
from sqlalchemy.pool import NullPool

from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.auth import Caller
from hub.services.accounts.members import load_network
from hub.services.ingest import processing
from hub.services.ingest.accept import push_batch
from hub.services.ops.admin import initialise
from hub.store import bulk
from tests.factories import record_consents
from tests.fakes.publisher import RecordingPublisher


def _statement_timer(engine: sa.Engine
                     ) -> tuple[collections.Counter[str], collections.Counter[str]]:
    """Wall seconds spent in each kind of statement (its first words), and counts (COPY
    statements, which SQLAlchemy's events do not see, by their table)."""
    spent: collections.Counter[str] = collections.Counter()
    counts: collections.Counter[str] = collections.Counter()

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        conn.info["t0"] = time.perf_counter()

    @sa.event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        key = " ".join(statement.split()[:6])[:90]
        spent[key] += time.perf_counter() - conn.info.pop("t0")
        counts[key] += 1

    copy_rows = bulk.copy_rows

    def _timed_copy(conn, table, rows):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        copy_rows(conn, table, rows)
        if rows and conn.dialect.name == "postgresql":  # a COPY, which the events don't see
            spent[f"COPY {table.name}"] += time.perf_counter() - started
            counts[f"COPY {table.name}"] += 1

    bulk.copy_rows = _timed_copy
    return spent, counts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fiches", type=int, default=2000)
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--out", default=".prof/worker.prof")
    parser.add_argument("--task", type=int, default=500, help="outbox ids per task")
    parser.add_argument("--preload", type=int, default=20, help="fiches processed first")
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        db = f"prof_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(PG, isolation_level="AUTOCOMMIT")
        env = {"HUB_DATA_DIR": str(base / "data"), "HUB_LOG_LEVEL": "WARNING"}
        if not args.sqlite:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{db}"')
            env["HUB_DATABASE_URL"] = PG.rsplit("/", 1)[0] + "/" + db
        try:
            settings = Settings.from_env(env)
            initialise(settings)
            publisher = RecordingPublisher()
            hub = Hub.from_settings(settings, publisher=publisher)
            load_network(hub, NETWORK, settings.data_dir / "credentials")
            with hub.uow() as uow:
                member = next(m for m in uow.members.all() if m.id == MEMBER)
            caller = Caller(member.id, member.name, member.kind, member.role)
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
            spent, counts = _statement_timer(hub.engine)
            # measured from another engine: the meter leaves its own backend out, and on
            # the hub's pool that would be the one processing the fiches
            meter = sa.create_engine(hub.engine.url, poolclass=NullPool)
            backend0 = cpu_meter.backend_cpu(meter)
            profile = cProfile.Profile()
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
            total = sum(spent.values())
            print(f"SQL wall {1000 * total / n:.3f} ms/fiche over {sum(counts.values())} statements")
            for key, seconds in spent.most_common(25):
                print(f"  {100_000 * seconds / n:7.2f} ms/100 fiches  x{counts[key]:<5} {key}")
            profile.dump_stats(args.out)
            pstats.Stats(args.out).sort_stats("tottime").print_stats(30) if not args.no_profile else None
            hub.close()
        finally:
            if not args.sqlite:
                with admin.connect() as conn:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            admin.dispose()


if __name__ == "__main__":
    main()
