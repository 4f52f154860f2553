"""What the database deadlines cost: short transactions (a read, a write, a commit) on
PostgreSQL through an engine with the hub's deadlines (server-side timeouts, the
client-side deadline on every exchange, the ping's) beside an engine without, in the
same run, rounds alternating which side goes first; the medians are compared. A third
engine has the deadlines without the silence probe (`probe_s=0`): the cost of watching
each exchange for a silent server.

    .venv/bin/python bench/store_deadlines.py [--transactions 2000] [--rounds 5]
                                              [--url postgresql+psycopg://postgres@127.0.0.1/test]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa

from hub.store.deadlines import Deadlines
from hub.store.engine import create_engine


def rate(engine: sa.Engine, table: str, transactions: int) -> float:
    """Transactions per second, each reading, writing and committing one row."""
    started = time.perf_counter()
    for i in range(transactions):
        with engine.begin() as conn:
            conn.exec_driver_sql(f"SELECT count(*) FROM {table} WHERE id = %(id)s", {"id": i})
            conn.exec_driver_sql(f"INSERT INTO {table} (id) VALUES (%(id)s)", {"id": i})
    return transactions / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--url", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    engines = {"without deadlines": create_engine(args.url),
               "with deadlines": create_engine(args.url, deadlines=Deadlines()),
               "with deadlines, no silence probe": create_engine(
                   args.url, deadlines=Deadlines(probe_s=0))}
    rates: dict[str, list[float]] = {name: [] for name in engines}
    tables = []
    try:
        for round_ in range(args.rounds):
            order = list(engines) if round_ % 2 == 0 else list(reversed(engines))
            for name in order:
                table = f"bench_deadlines_{uuid.uuid4().hex[:8]}"
                tables.append(table)
                with engines[name].begin() as conn:
                    conn.exec_driver_sql(f"CREATE TABLE {table} (id bigint PRIMARY KEY)")
                rates[name].append(rate(engines[name], table, args.transactions))
            print(f"round {round_ + 1}: " + ", ".join(
                f"{name} {values[-1]:.0f}/s" for name, values in rates.items()), flush=True)
    finally:
        with engines["without deadlines"].begin() as conn:
            for table in tables:
                conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
        for engine in engines.values():
            engine.dispose()
    medians = {name: statistics.median(values) for name, values in rates.items()}
    for name, value in medians.items():
        print(f"{name}: median {value:.0f} transactions/s")
    print(f"ratio with/without: {medians['with deadlines'] / medians['without deadlines']:.3f}")
    print("ratio with/without the silence probe's watch: "
          f"{medians['with deadlines'] / medians['with deadlines, no silence probe']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
