"""What hashing every stored entry again costs a restart and an export.

    .venv/bin/python bench/audit_restart.py [--entries 100000 1000000] [--postgres URL]

A process reads the whole log into its tree at its first head, proof or check (a
restart); it now hashes each entry's content again, so that an entry edited in place
(its leaf hash untouched) is seen. Measured against the baseline of the same run:
reading the stored leaf hashes alone into a tree, as the hub did before. `recheck` (an
export in a running process) hashes again the entries read earlier.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa

from bench.audit import SIGNER, fresh_engine, make_events, timed
from hub.audit.log import AuditLog
from hub.audit.merkle import MerkleTree
from hub.store.audit_tables import audit_archived_leaves, audit_entries


def leaves_only(engine: sa.Engine) -> MerkleTree:
    """The former catch-up: stored leaf hashes only, no content read."""
    tree = MerkleTree()
    archived = sa.select(audit_archived_leaves.c.seq, audit_archived_leaves.c.leaf_hash)
    live = sa.select(audit_entries.c.seq, audit_entries.c.leaf_hash)
    with engine.connect() as conn:
        for _seq, leaf in conn.execute(sa.union_all(archived, live).order_by("seq")):
            tree.append(bytes(leaf))
    return tree


def bench(entries: int, postgres: str | None, workdir: Path) -> None:
    engine, drop = fresh_engine(postgres, workdir, f"restart{entries}")
    try:
        log = AuditLog(engine)
        events = make_events(entries)
        for start in range(0, entries, 5_000):
            log.append_many(events[start:start + 5_000])
        log.publish_head(SIGNER)
        started = time.perf_counter()
        baseline = leaves_only(engine)
        base_s = time.perf_counter() - started
        restarted = AuditLog(engine)
        new_s = timed(restarted.refresh)
        assert restarted.matches_signed_head() and baseline.size == restarted.size == entries
        recheck_s = timed(restarted.recheck)
        print(f"[restart] {entries:,} entries, {'PostgreSQL' if postgres else 'SQLite'}")
        print(f"  baseline leaves only  : {base_s:8.2f} s  ({entries / base_s:12,.0f} entries/s)")
        print(f"  catch-up re-hashing   : {new_s:8.2f} s  ({entries / new_s:12,.0f} entries/s)"
              f"  ratio = {new_s / base_s:.2f}")
        print(f"  recheck (export)      : {recheck_s:8.2f} s  ({entries / recheck_s:12,.0f} "
              f"entries/s)  ratio = {recheck_s / base_s:.2f}")
    finally:
        drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--postgres", default=None, help="admin URL; default: SQLite files")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        for entries in args.entries:
            bench(entries, args.postgres, Path(directory))


if __name__ == "__main__":
    main()
