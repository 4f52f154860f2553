"""Benchmark of the access log; every figure comes with a baseline measured in the same run.

    .venv/bin/python bench/audit.py [--entries 50000] [--batch 1000] [--tree-size 1000000]
                                    [--postgres postgresql+psycopg://postgres@127.0.0.1/test]

1. batched appends per second (target >= 20,000/s), against a raw driver-level INSERT
   of the same rows (values and leaf hashes precomputed, same batches, same kind of
   database), and against bare SHA-256 of the same canonical bytes;
2. inclusion- and consistency-proof generation at `--tree-size` entries, against
   verifying the same proof (log2 n hashes);
3. verification rate of an export (target >= 100,000 entries/s), against reading and
   parsing the same lines as JSON, the floor of any verifier.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.audit.events import AccessEvent, pseudonymise
from hub.audit.heads import HeadSigner
from hub.audit.log import AuditLog
from hub.audit.merkle import (
    MerkleTree,
    verify_consistency,
    verify_inclusion,
)
from hub.audit.rows import insert_params, insert_statement
from hub.audit.verify import verify_file
from hub.store.engine import create_engine
from hub.store.migrate import upgrade

KEY = b"bench-pseudonymisation-key-32byt"
START = datetime(2026, 11, 26, tzinfo=UTC)
SIGNER = HeadSigner(Ed25519PrivateKey.generate())


def make_events(count: int) -> list[AccessEvent]:
    return [
        AccessEvent(
            at=START + timedelta(milliseconds=n), actor_member=f"membre-{n % 19}",
            action="webhook_delivery", outcome="allowed", actor_user=None,
            porteur_ref=pseudonymise(f"P-{n % 500}", KEY),
            fiche_refs=(pseudonymise(f"cci-63/F-{n}", KEY),),
            fields=("porteur.nom", "projet.intitule", "projet.stade", "besoins"),
            purpose="accompagnement", policy_version="2026-11", request_id=f"req-{n}",
        )
        for n in range(count)
    ]


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def fresh_engine(base: str | None, workdir: Path, name: str) -> tuple[sa.Engine, Callable[[], None]]:
    if base is None:
        url = f"sqlite:///{workdir / name}.sqlite3"
        upgrade(url)
        engine = create_engine(url)
        return engine, engine.dispose
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    database = f"capactif_bench_{name}_{os.getpid()}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{database}"')
    url = sa.engine.make_url(base).set(database=database).render_as_string(False)
    upgrade(url)
    engine = create_engine(url)

    def drop() -> None:
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.dispose()

    return engine, drop


def bench_appends(args: argparse.Namespace, workdir: Path) -> AuditLog:
    events = make_events(args.entries)
    batches = [events[i : i + args.batch] for i in range(0, len(events), args.batch)]
    canonical = [e.with_seq(n).canonical() for n, e in enumerate(events)]
    raw_engine, drop_raw = fresh_engine(args.postgres, workdir, "raw")
    dialect = raw_engine.dialect.name
    params = [insert_params(e.with_seq(n), hashlib.sha256(b"\x00" + data).digest(), dialect)
              for n, (e, data) in enumerate(zip(events, canonical, strict=True))]
    raw_batches = [params[i : i + args.batch] for i in range(0, len(params), args.batch)]

    def raw_insert() -> None:
        # The same driver-level INSERT as the log, values ready: what storing alone costs.
        for batch in raw_batches:
            with raw_engine.begin() as conn:
                conn.exec_driver_sql(insert_statement(dialect), batch)

    raw_seconds = timed(raw_insert)
    drop_raw()
    sha_seconds = timed(lambda: [hashlib.sha256(b"\x00" + data).digest() for data in canonical])
    engine, _ = fresh_engine(args.postgres, workdir, "log")
    log = AuditLog(engine)

    def append_all() -> None:
        for number, batch in enumerate(batches, start=1):
            log.append_many(batch)
            if number % 10 == 0:
                log.publish_head(SIGNER)
        log.publish_head(SIGNER)

    seconds = timed(append_all)
    rate, raw_rate = args.entries / seconds, args.entries / raw_seconds
    print(f"[appends] {args.entries} events, batches of {args.batch}, "
          f"{'PostgreSQL' if args.postgres else 'SQLite'}, a head every 10 batches")
    print(f"  audit log append_many : {rate:12,.0f} events/s  (target >= 20,000/s)")
    print(f"  baseline raw INSERT   : {raw_rate:12,.0f} rows/s    ratio log/raw = "
          f"{rate / raw_rate:.2f}")
    print(f"  baseline bare SHA-256 : {args.entries / sha_seconds:12,.0f} leaves/s "
          f"(hashing is {100 * sha_seconds / seconds:.1f}% of the append time)")
    return log


def bench_proofs(size: int) -> None:
    leaves = [hashlib.sha256(n.to_bytes(8, "big")).digest() for n in range(size)]
    build = timed(lambda: MerkleTree.from_leaf_hashes(leaves))
    tree = MerkleTree.from_leaf_hashes(leaves)
    root = tree.root()
    rng = random.Random(6)
    indices = [rng.randrange(size) for _ in range(2_000)]
    olds = [rng.randrange(1, size) for _ in range(2_000)]
    proofs = [tree.inclusion_proof(i) for i in indices]
    inclusion = timed(lambda: [tree.inclusion_proof(i) for i in indices]) / len(indices)
    consistency = timed(lambda: [tree.consistency_proof(m) for m in olds]) / len(olds)
    verify = timed(lambda: [verify_inclusion(i, size, leaves[i], p, root)
                            for i, p in zip(indices, proofs, strict=True)]) / len(indices)
    old_proofs = [(m, tree.consistency_proof(m), tree.root(m)) for m in olds[:200]]
    assert all(verify_consistency(m, size, p, r, root) for m, p, r in old_proofs)
    print(f"[proofs] tree of {size:,} entries (built from stored leaf hashes in {build:.2f} s)")
    print(f"  inclusion proof       : {inclusion * 1e6:10.1f} µs")
    print(f"  consistency proof     : {consistency * 1e6:10.1f} µs")
    print(f"  baseline verify proof : {verify * 1e6:10.1f} µs   ratio generate/verify = "
          f"{inclusion / verify:.2f}")


def bench_verification(log: AuditLog, workdir: Path) -> None:
    path = workdir / "export.jsonl"
    export_seconds = timed(lambda: log.export(path))
    lines = path.read_bytes().splitlines()
    report = verify_file(path, SIGNER.public_key)
    assert report.ok, report.render()
    seconds = timed(lambda: verify_file(path, SIGNER.public_key))
    parse_seconds = timed(lambda: [json.loads(line) for line in lines])
    entries = report.entries
    print(f"[verify] export of {entries:,} entries and {report.heads} heads "
          f"({path.stat().st_size / 1e6:.1f} MB, written in {export_seconds:.2f} s)")
    print(f"  offline verification  : {entries / seconds:12,.0f} entries/s  "
          "(target >= 100,000/s)")
    print(f"  baseline JSON parse   : {entries / parse_seconds:12,.0f} lines/s   ratio verify/parse "
          f"= {parse_seconds / seconds:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--tree-size", type=int, default=1_000_000)
    parser.add_argument("--postgres", default=None, help="admin URL; default: SQLite files")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        log = bench_appends(args, workdir)
        bench_verification(log, workdir)
    bench_proofs(args.tree_size)


if __name__ == "__main__":
    main()
