"""What the database writes for a fiche (not a benchmark: a tool to see what PostgreSQL's
CPU a fiche buys). Pushes --fiches fiches through the ingest service, then processes them
as a worker does (transactions of the store's sizes), on a database of its own, and prints
for each side (the push, the processing) and each table the rows inserted, updated (of
them HOT: no index touched), deleted, the index entries those writes maintained, and the
scans, per hundred fiches; then the statements a worker transaction sent (by kind).

    .venv/bin/python bench/_pg_rows.py [--fiches 3000] [--task 500]

Read from pg_stat_user_tables: the hub's pooled connections are closed before each reading
(a backend sends its counts when it ends; an idle one keeps them up to ten seconds). The
index entries are counted as PostgreSQL writes them: every index of the table for a row
inserted or updated other than HOT, a partial index's condition left aside (`ix_outbox_pending`
takes no entry for a row marked processed: the figure is an upper bound there).
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import sqlalchemy as sa
from _profile_worker import _statement_timer, network_hub
from ingest import PG, workload
from sqlalchemy.pool import NullPool

from hub.bootstrap import Hub
from hub.collector import tune_for_batches
from hub.config import Settings
from hub.services.accounts.auth import Caller
from hub.services.ingest import processing
from hub.services.ingest.accept import push_batch
from tests.factories import record_consents
from tests.fakes.publisher import RecordingPublisher

_TABLES = sa.text(
    "SELECT t.relname, t.n_tup_ins, t.n_tup_upd, t.n_tup_hot_upd, t.n_tup_del, "
    "(SELECT count(*) FROM pg_index AS i WHERE i.indrelid = t.relid) AS indexes, "
    "t.seq_scan, coalesce(t.idx_scan, 0) FROM pg_stat_user_tables AS t")

Counts = dict[str, tuple[int, ...]]


def _counts(hub: Hub, meter: sa.Engine) -> Counts:
    """Each table's write and scan counts so far, once the hub's backends have sent theirs."""
    hub.engine.dispose()
    time.sleep(0.5)  # the backends end after the connections close
    with meter.connect() as conn:
        conn.exec_driver_sql("SELECT pg_stat_clear_snapshot()")
        return {row[0]: tuple(row[1:]) for row in conn.execute(_TABLES)}


def _print_writes(title: str, before: Counts, after: Counts, fiches: int) -> None:
    print(f"{title}, per 100 fiches: rows inserted, updated (HOT), deleted; indexes; index "
          "entries written; sequential and index scans")
    lines, entries_total = [], 0
    for table, now in after.items():
        then = before.get(table, (0,) * len(now))
        ins, upd, hot, dele, _n, seq, idx = (a - b for a, b in zip(now, then, strict=True))
        if not (ins or upd or dele or seq or idx):
            continue
        entries = (ins + upd - hot) * now[4]
        entries_total += entries
        lines.append((entries, f"  {table:<24} {100 * ins / fiches:8.1f} {100 * upd / fiches:7.1f}"
                      f" ({100 * hot / fiches:5.1f}) {100 * dele / fiches:6.1f}  {now[4]:>2}"
                      f" {100 * entries / fiches:8.1f}  {100 * seq / fiches:6.1f}"
                      f" {100 * idx / fiches:8.1f}"))
    for _entries, line in sorted(lines, reverse=True):
        print(line)
    print(f"  index entries a fiche: {entries_total / fiches:.1f}")


def _push(hub: Hub, publisher: RecordingPublisher, caller: Caller,
          documents: list[dict]) -> list[int]:
    """Push `documents` as the API does (batches of 500); the outbox ids published."""
    publisher.sent.clear()
    for start in range(0, len(documents), 500):
        push_batch(hub, caller, documents[start:start + 500])
    return [i for batch in publisher.published for i in batch]


def _process(hub: Hub, ids: list[int], task: int) -> None:
    for start in range(0, len(ids), task):
        processing.process_outbox(hub, ids[start:start + task])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fiches", type=int, default=3000)
    parser.add_argument("--task", type=int, default=500, help="outbox ids per task")
    parser.add_argument("--preload", type=int, default=200, help="fiches processed first")
    args = parser.parse_args()
    tune_for_batches()  # as a worker process
    with tempfile.TemporaryDirectory() as tmp:
        db = f"rows_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(PG, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{db}"')
        url = PG.rsplit("/", 1)[0] + "/" + db
        meter = sa.create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        try:
            hub, publisher, caller = network_hub(Settings.from_env({
                "HUB_DATA_DIR": str(Path(tmp) / "data"), "HUB_LOG_LEVEL": "WARNING",
                "HUB_DATABASE_URL": url}))
            # an index the measured fiches meet (other people: mostly new porteurs)
            preload, measured = workload("W", args.preload, 1), workload("P", args.fiches, 2)
            record_consents(hub, preload + measured)  # before the push, as in bench/ingest.py
            _process(hub, _push(hub, publisher, caller, preload), args.task)
            with meter.connect() as conn:  # statistics, as autovacuum keeps them
                conn.exec_driver_sql("VACUUM (ANALYZE)")
            before = _counts(hub, meter)
            ids = _push(hub, publisher, caller, measured)
            pushed = _counts(hub, meter)
            _spent, _server, sent = _statement_timer(hub.engine)
            commits = collections.Counter[str]()
            sa.event.listen(hub.engine, "commit", lambda _conn: commits.update(["commit"]))
            _process(hub, ids, args.task)
            processed = _counts(hub, meter)
            _print_writes("push (the API's service)", before, pushed, len(ids))
            _print_writes("processing (the worker's)", pushed, processed, len(ids))
            total = sum(sent.values())
            print(f"{total} statements in {commits['commit']} commits "
                  f"({total / max(1, commits['commit']):.1f} a commit; "
                  f"{len(ids) / max(1, commits['commit']):.0f} fiches a commit), by kind:")
            for statement, count in sent.most_common():
                print(f"  x{count:<5} {statement}")
            hub.close()
        finally:
            meter.dispose()
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            admin.dispose()


if __name__ == "__main__":
    main()
