"""The database's CPU for the worker's delivery insert (one COPY a transaction) on the
schema before migration 0043 (recipient foreign key, whole due index) and at the head,
measured in one process on two databases, alternating (not a benchmark of the hub: a
tool to weigh one schema change apart from the rest of the worker's transaction).

    .venv/bin/python bench/_delivery_writes.py [--rows 1000] [--rounds 20] [--payload 1600]

Each round writes `--rows` feed deliveries (the bench's network has no webhook) to each
database in one transaction and reads the CPU its PostgreSQL backend spent on the COPY
(/proc/PID/schedstat: the database must run on this machine); prints the medians.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import sqlalchemy as sa
from _profile_worker import _backend_ns
from alembic import command
from ingest import PG

from hub.store import bulk
from hub.store.delivery_tables import deliveries
from hub.store.migrate import alembic_config, upgrade

MEMBERS = [f"member-{n}" for n in range(25)]


def _rows(start: int, count: int, payload: int) -> list[dict[str, object]]:
    now = dt.datetime.now(dt.UTC)
    return [{"recipient_id": MEMBERS[n % len(MEMBERS)], "position": n, "event": "created",
             "porteur_id": f"prt_{uuid.uuid4().hex}", "fiche_pk": n, "fiche_version": 1,
             "purpose": "accompagnement", "policy_version": "v1", "fields": ["nom"],
             "payload": uuid.uuid4().hex * (payload // 32), "idempotency_key": uuid.uuid4().hex,
             "channel": "feed", "status": "feed", "attempts": 0, "created_at": now}
            for n in range(start, start + count)]


def _database(admin: sa.Engine, revision: str) -> str:
    name = f"delivery_writes_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = PG.rsplit("/", 1)[0] + "/" + name
    upgrade(url)
    if revision != "heads":
        command.downgrade(alembic_config(url), revision)
    with sa.create_engine(url).begin() as conn:
        conn.execute(sa.text(
            "INSERT INTO members (id, name, kind, role, contact_email, territory, created_at, "
            "updated_at) VALUES (:id, :id, 'cci', 'accompagnement', 'x@example.org', '[]', "
            "now(), now())"),
                     [{"id": m} for m in MEMBERS])
    return name


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--payload", type=int, default=1600)
    args = parser.parse_args()
    admin = sa.create_engine(PG, isolation_level="AUTOCOMMIT")
    names = {"before 0043": _database(admin, "0042"), "head": _database(admin, "heads")}
    engines = {side: sa.create_engine(PG.rsplit("/", 1)[0] + "/" + name)
               for side, name in names.items()}
    spent: dict[str, list[float]] = {side: [] for side in names}
    try:
        for n in range(args.rounds):
            order = list(engines) if n % 2 == 0 else list(engines)[::-1]
            rows = _rows(n * args.rows, args.rows, args.payload)
            for side in order:
                with engines[side].begin() as conn:
                    before = _backend_ns(conn)
                    bulk.copy_rows(conn, deliveries, rows)
                    spent[side].append((_backend_ns(conn) - before) / 1e6 / args.rows)
        base = statistics.median(spent["before 0043"])
        for side, values in spent.items():
            median = statistics.median(values)
            print(f"{side:12} COPY deliveries: {1000 * median:.2f} µs of backend CPU a row "
                  f"(median of {len(values)}), ratio to before {median / base:.2f}")
    finally:
        for engine in engines.values():
            engine.dispose()
        with admin.connect() as conn:
            for name in names.values():
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
