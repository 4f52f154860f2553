"""Speed of online matching (one record against a large population) and of batch dedup.

    .venv/bin/python bench/dedup_speed.py                    # 100,000 porteurs indexed
    .venv/bin/python bench/dedup_speed.py --size 1000000     # the goal (takes minutes)

Online: the population sits in a SQLite file shaped like the store's persistent
blocking index (`blocking_key(key, fiche_id)` indexed on key, `fiche(fiche_id,
porteur_id, data)`), so the matcher never holds the population in memory. Each
query computes its blocking keys, fetches candidates by key, and calls
`match_one`. Baseline, same run: scoring the record against every porteur
without an index (measured on a 10,000 slice, scaled linearly to --size).
Batch: `run_batch` throughput, against a baseline comparing all pairs (measured
on a 1,000-record slice, scaled quadratically).

    .venv/bin/python bench/dedup_speed.py --batch 1000000   # batch only, measured at 1M
    .venv/bin/python bench/dedup_speed.py --store sqlite --sizes 10000,100000
    .venv/bin/python bench/dedup_speed.py --store postgresql+psycopg://postgres@127.0.0.1/test

Store: the worker's own path (`OnlineMatcher.match`: keys, capped candidate fetch from
the real `match_keys`/`match_records` tables, scoring) against a real migrated store
holding N indexed porteurs, for each N of --sizes (how it scales); baseline in the same
run and database: one primary-key lookup of a fiche.
"""

from __future__ import annotations

import argparse
import csv
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _population import COLUMNS, generate

from hub.domain.matching.comparisons import compare_records
from hub.domain.matching.decision import Candidate, match_one, record_blocking_keys
from hub.domain.matching.model import MatchModel
from hub.domain.matching.record import normalise_record
from hub.services.matching.dedup_batch import run_batch

MAX_CANDIDATES = 200


def _write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def _build_index(db: sqlite3.Connection, rows, truth, model: MatchModel) -> None:
    db.executescript(
        "CREATE TABLE fiche (fiche_id TEXT PRIMARY KEY, porteur_id TEXT, data TEXT);"
        "CREATE TABLE blocking_key (key TEXT, fiche_id TEXT);"
    )
    batch_fiches, batch_keys = [], []
    for row, person in zip(rows, truth, strict=True):
        batch_fiches.append((row["id"], f"P{person}", json.dumps(row)))
        batch_keys.extend((key, row["id"]) for key in record_blocking_keys(row, model))
        if len(batch_fiches) >= 20_000:
            _flush(db, batch_fiches, batch_keys)
    _flush(db, batch_fiches, batch_keys)
    db.execute("CREATE INDEX blocking_key_key ON blocking_key (key)")
    db.commit()


def _flush(db: sqlite3.Connection, fiches: list, keys: list) -> None:
    db.executemany("INSERT INTO fiche VALUES (?, ?, ?)", fiches)
    db.executemany("INSERT INTO blocking_key VALUES (?, ?)", keys)
    fiches.clear()
    keys.clear()


def _online(db: sqlite3.Connection, row: dict[str, str], model: MatchModel) -> str:
    keys = record_blocking_keys(row, model)
    marks = ",".join("?" * len(keys))
    found = db.execute(
        f"SELECT DISTINCT f.porteur_id, f.data FROM blocking_key k JOIN fiche f "
        f"ON f.fiche_id = k.fiche_id WHERE k.key IN ({marks}) LIMIT {MAX_CANDIDATES}",
        keys,
    ).fetchall()
    candidates = [Candidate(pid, json.loads(data)) for pid, data in found]
    return match_one(row, candidates, model).kind


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=20_000)
    parser.add_argument("--store", help="sqlite, or a PostgreSQL admin URL (a scratch database "
                        "is created beside it and dropped)")
    parser.add_argument("--sizes", default="10000,100000", help="index sizes for --store")
    parser.add_argument("--batch", type=int, help="only the batch, on this many records "
                        "(1000000: the goal, measured, not extrapolated)")
    args = parser.parse_args(argv)
    if args.batch:
        return _batch(args.batch)
    if args.store:
        return _store(args.store, [int(n) for n in args.sizes.split(",")], args.queries)
    queries = min(args.queries, 2_000)
    rows, truth = generate(args.size + queries, seed=11)
    population, probes = rows[: args.size], rows[args.size :]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        _write_csv(workdir / "batch.csv", population[: args.batch_size])
        started = time.perf_counter()
        summary = run_batch(workdir / "batch.csv", workdir / "out.csv",
                            model_out=workdir / "model.json")
        batch_seconds = time.perf_counter() - started
        model = MatchModel.from_json((workdir / "model.json").read_text(encoding="utf-8"))
        db = sqlite3.connect(workdir / "index.sqlite3")
        started = time.perf_counter()
        _build_index(db, population, truth[: args.size], model)
        print(f"index of {args.size} porteurs built in {time.perf_counter() - started:.1f} s")
        timings = []
        for row in probes:
            started = time.perf_counter()
            _online(db, row, model)
            timings.append(time.perf_counter() - started)
        db.close()
    online_ms = _median_ms(timings)
    scan_ms = _scan_baseline(population, probes[:20], model) * args.size / min(args.size, 10_000)
    print(f"online match, median of {len(timings)}: {online_ms:.2f} ms "
          f"(p95 {sorted(timings)[int(len(timings) * 0.95)] * 1000:.2f} ms)")
    print(f"baseline full scan without index: {scan_ms:.0f} ms per record "
          f"(scaled to {args.size}); ratio {scan_ms / online_ms:.0f}x faster")
    rate = summary.records / batch_seconds
    pairs_rate = _all_pairs_rate(population[:1_000], model)
    baseline_seconds = summary.records * (summary.records - 1) / 2 / pairs_rate
    print(f"batch dedup of {summary.records} records: {batch_seconds:.1f} s "
          f"({rate:.0f} records/s, {summary.candidate_pairs} candidate pairs, training included)")
    print(f"baseline all-pairs comparison of the same records: {baseline_seconds:.0f} s "
          f"(scaled from 1,000); ratio {baseline_seconds / batch_seconds:.0f}x faster")
    print(f"batch 1,000,000 records extrapolated linearly: {1_000_000 / rate / 60:.1f} min")
    return 0


def _batch(size: int) -> int:
    """`run_batch` on `size` records (CSV read, normalise, block, train, score, cluster,
    write), two worker processes; baseline in the same run: all pairs compared."""
    rows, _truth = generate(size, seed=11)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        _write_csv(workdir / "batch.csv", rows)
        started = time.perf_counter()
        summary = run_batch(workdir / "batch.csv", workdir / "out.csv",
                            model_out=workdir / "model.json")
        seconds = time.perf_counter() - started
        model = MatchModel.from_json((workdir / "model.json").read_text(encoding="utf-8"))
    baseline = size * (size - 1) / 2 / _all_pairs_rate(rows[:1_000], model)
    print(f"batch dedup of {size} records: {seconds:.1f} s ({size / seconds:.0f} records/s, "
          f"{summary.candidate_pairs} candidate pairs, {summary.review_pairs} for review, "
          f"training included; EM {summary.em_iterations} iterations)")
    print(f"baseline all-pairs comparison of the same records: {baseline:.0f} s "
          f"(scaled from 1,000); ratio {baseline / seconds:.0f}x faster")
    if size < 1_000_000:
        print(f"batch 1,000,000 records extrapolated linearly (optimistic: pairs per record "
              f"grow with the file): {1_000_000 / (size / seconds) / 60:.1f} min")
    return 0


def _store(store: str, sizes: list[int], queries: int) -> int:
    import sqlalchemy as sa
    from _store_index import build, measure_in_subprocess

    rows, truth = generate(max(sizes) + queries, seed=11)
    probes = rows[max(sizes):]
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/hub.sqlite3" if store == "sqlite" else _scratch(sa, store, True)
            started = time.perf_counter()
            build(url, Path(tmp), rows[:size], truth[:size])
            built = time.perf_counter() - started
            found = measure_in_subprocess(url, Path(tmp), probes, size)
            if store != "sqlite":
                _scratch(sa, store, False)
        print(f"store {url.split(':')[0]}: index of {size} fiches bulk-loaded in {built:.0f} s; "
              f"online match (worker path, separate process) median {found['online_ms']:.2f} ms "
              f"(p95 {found['p95_ms']:.2f} ms, {found['linked']:.0%} linked, peak memory "
              f"{found['rss_mb']:.0f} MB); baseline primary-key lookup "
              f"{found['baseline_ms']:.3f} ms; ratio {found['ratio']:.0f}x", flush=True)
    return 0


def _scratch(sa, admin_url: str, create: bool) -> str:
    """Create (or drop) the scratch database `capactif_bench_dedup` beside `admin_url`."""
    name = "capactif_bench_dedup"
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return sa.engine.make_url(admin_url).set(database=name).render_as_string(False)


def _scan_baseline(population, probes, model: MatchModel) -> float:
    """Median seconds to score one record against 10,000 porteurs, no index."""
    slice_ = [normalise_record(row) for row in population[:10_000]]
    samples = []
    for row in probes:
        record = normalise_record(row)
        started = time.perf_counter()
        for other in slice_:
            model.score(record, other)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def _all_pairs_rate(rows, model: MatchModel) -> float:
    """Pairs compared per second when every pair is compared."""
    records = [normalise_record(row) for row in rows]
    started = time.perf_counter()
    count = 0
    for i, left in enumerate(records):
        for right in records[i + 1 :]:
            compare_records(model.comparisons, left, right)
            count += 1
    return count / (time.perf_counter() - started)


if __name__ == "__main__":
    raise SystemExit(main())
