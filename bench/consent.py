"""Cost of the consent check per delivery: cached registry vs a database round trip.

Run: .venv/bin/python bench/consent.py [--checks N] [--no-postgres]

For each store (a SQLite file; PostgreSQL at $BENCH_POSTGRES_URL, default the CI
server, in a throw-away database) it records 50 consents, then times:
  - baseline: `may_receive(registry.get(id), ...)`, i.e. load the record per delivery;
  - cached:   `registry.decide(id, ...)`, the path deliveries use;
  - pure:     `may_receive` on a record already in hand (the floor).
It prints microseconds per check and the ratio baseline / cached.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.append(str(Path(__file__).resolve().parent))

import sqlalchemy as sa
from _stores import postgres_url, sqlite_url

from capactif_demo.consent_examples import NOTICE_TEXT, example_submission
from consent.decision import may_receive
from consent.sql import SqlConsentRegistry
from hub.store.engine import create_engine

CONSENTS = 50


def per_call_us(action: Callable[[int], object], calls: int) -> float:
    start = time.perf_counter()
    for i in range(calls):
        action(i)
    return (time.perf_counter() - start) / calls * 1e6


def measure(name: str, url: str, checks: int) -> None:
    engine = create_engine(url)
    try:
        registry = SqlConsentRegistry(engine)
        ids = _record_consents(registry)
        now = registry.clock()

        def baseline(i: int) -> object:
            return may_receive(registry.get(ids[i % CONSENTS]), "bge", "accompagnement",
                               "orientation", now)

        def cached(i: int) -> object:
            return registry.decide(ids[i % CONSENTS], "bge", "accompagnement", "orientation", now)

        record = registry.get(ids[0])
        db_us = per_call_us(baseline, max(checks // 40, 50))
        for i in range(CONSENTS):  # steady state: each record loaded once (a miss costs
            cached(i)              # one baseline round trip)
        cache_us = per_call_us(cached, checks)
        pure_us = per_call_us(
            lambda _i: may_receive(record, "bge", "accompagnement", "orientation", now), checks)
        print(f"{name:11s} baseline (db round trip) {db_us:9.1f} µs/check | "
              f"cached {cache_us:6.2f} µs/check | pure may_receive {pure_us:5.2f} µs | "
              f"ratio baseline/cached = {db_us / cache_us:,.0f}x")
    finally:
        engine.dispose()


def _record_consents(registry: SqlConsentRegistry) -> list[str]:
    version, sha256 = registry.store_notice(NOTICE_TEXT)
    now = registry.clock()
    return [
        registry.record(example_submission(version, sha256, now, reference=f"B-{n}",
                                           fiche_id=f"F-{n}"), "pfil-est").id
        for n in range(CONSENTS)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=20_000)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    print(f"consent check per delivery, {args.checks} cached checks, "
          f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    with sqlite_url() as url:
        measure("sqlite", url, args.checks)
    if not args.no_postgres:
        try:
            with postgres_url() as url:
                measure("postgresql", url, args.checks)
        except sa.exc.OperationalError as exc:
            print(f"postgresql  skipped: not reachable ({type(exc).__name__})")


if __name__ == "__main__":
    main()
