"""Online matching against the hub's real store: a migrated database (SQLite file or
PostgreSQL) whose blocking index (`match_keys`, `match_records`) holds N porteurs, and
the worker's own code path (`OnlineMatcher.match`; with `alternate --resolve`, a new
fiche's `resolve_new`) timed against a baseline measured in
the same run: one primary-key lookup of a fiche in the same database.

The index is bulk-loaded (a million fiches through the service path would take hours):
the same tables and rows `Matching.index` writes, each identity sealed with its own
fiche data key (a `fiche_keys` row, wrapped by its bucket's key-encryption key), the
same keyed digests. The timed part runs in a separate process (`python bench/_store_index.py
measure ...`) that holds no population, only the store connection: its peak memory
is printed beside the timings, its garbage collector tuned as a worker's (`hub.collector`:
at Python's default thresholds the collector ran several times a match, the memo of
opened rows in the heap it walks).

The same code before and after a change, in one run (`alternate`): the `measure` process
is run in turns on the code of a git revision (extracted to a temporary folder) and on
this checkout, on one store, so both meet the same machine load; it prints each side's
median, p95 and CPU per match, the ratio, and whether both decided every probe alike:

    .venv/bin/python bench/_store_index.py alternate STORE_DIR N --baseline main --rounds 3

(`--full-memo`: the worker's memo of opened index rows full before the timing starts, as
in any worker after some 250 matches; without it the memo fills during the last probes.)

(STORE_DIR: a store `build` wrote, `hub.sqlite3` and its probes in `probes.json`, e.g.
`.venv/bin/python bench/_store_index.py build STORE_DIR N`.)

PostgreSQL: `build STORE_DIR N --postgres NAME` loads the index into a database NAME of
the server of $BENCH_POSTGRES_URL (default 127.0.0.1:5432, the database `test` only to
create it; NAME is dropped first if it exists, so never the tests' database), its URL
kept in STORE_DIR/database_url, which `time` and `alternate` then use; `drop STORE_DIR`
drops it. The match keys go in by COPY (the rest as SQLite's, by statements).
`time STORE_DIR N --rounds 3` times this checkout alone: each round a fresh `measure`
process, the online match beside the primary-key lookup, and the medians of the rounds.
Each round says the load average, and on PostgreSQL the CPU its backend spent per probe
(the match and the lookup, read from /proc: the server runs on this machine).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import itertools
import json
import math
import multiprocessing
import os
import random
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import orjson
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
if os.environ.get("CAPACTIF_BENCH_CODE"):  # `alternate`: the code of another revision
    sys.path.insert(0, os.environ["CAPACTIF_BENCH_CODE"])

from consent.shredding import new_key, seal, wrap_key
from hub.bootstrap import Hub
from hub.config import Settings
from hub.domain.matching.decision import record_blocking_keys
from hub.domain.matching.record import normalise_record
from hub.domain.matching.record_form import record_form
from hub.keyring import BUCKETS, bucket_of
from hub.services.matching.online import OnlineMatcher, identity_of, matching_model
from hub.store.erasure_tables import fiche_keys
from hub.store.matching_repository import key_digest, key_number
from hub.store.matching_tables import match_keys, match_records
from hub.store.migrate import upgrade
from hub.store.sealing import identity_context, record_form_context
from hub.store.tables import fiches, members, porteurs
from tests.fakes.publisher import RecordingPublisher

CHUNK = 20_000
MEMO_ROWS = 20_000  # `IdentityMemo`'s bound
_shared: dict = {}


def as_porteur(row: dict[str, str]) -> dict:
    """A CSV row of the synthetic population as a fiche's `porteur` object."""
    flat = {k: v for k, v in row.items() if v and k != "id"}
    address = {k: flat.pop(f"adresse_{k}" if k == "ligne" else k) for k in
               ("ligne", "code_postal", "commune") if flat.get(f"adresse_{k}" if k == "ligne" else k)}
    return {**flat, **({"adresse": address} if address else {})}


def _hub(database_url: str, data_dir: Path) -> Hub:
    return Hub.from_settings(Settings(data_dir=data_dir, database_url=database_url),
                             publisher=RecordingPublisher(), mapped_reads=True)  # a worker's


def build(database_url: str, data_dir: Path, rows, truth, workers: int = 2) -> None:
    """Migrate, then bulk-load `rows` as indexed fiches of one member (pk 1..N)."""
    upgrade(database_url)
    hub = _hub(database_url, data_dir)
    _shared.update(rows=rows, model=matching_model(hub), digest_key=hub.store_keys.digest_key,
                   keks={b: hub.keyring.kek(b, 1) for b in range(BUCKETS)})
    hub.close()
    now = dt.datetime.now(dt.UTC)
    bounds = [*range(0, len(rows), CHUNK), len(rows)]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        prepared = pool.starmap(_prepare, itertools.pairwise(bounds))
    _shared.clear()
    engine = _loader(database_url)
    with engine.begin() as conn:
        conn.execute(sa.insert(members).values(id="bench", name="bench", kind="cci",
                                               role="accueil", contact_email="b@exemple.fr",
                                               territory=[], created_at=now, updated_at=now))
        conn.execute(sa.insert(porteurs), [{"id": f"P{t}", "created_at": now, "status": "active"}
                                           for t in sorted(set(truth))])
    keys = []
    for part in prepared:
        with engine.begin() as conn:
            _insert(conn, part, truth, rows, now)
        keys.extend((key_number(digest), pk) for pk, *_rest, digests in part
                    for digest in digests)
    keys.sort()  # one pass down the key index instead of ten million random inserts
    for start in range(0, len(keys), 200_000):
        with engine.begin() as conn:
            _insert_keys(conn, keys[start:start + 200_000])
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")  # the planner's statistics, the visibility map
    engine.dispose()


def _insert_keys(conn: sa.Connection, keys: list[tuple[int, int]]) -> None:
    if conn.dialect.name != "postgresql":
        conn.execute(sa.insert(match_keys), [{"key": k, "fiche_pk": pk} for k, pk in keys])
        return
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy("COPY match_keys (key, fiche_pk) FROM STDIN") as copy:
        for row in keys:
            copy.write_row(row)


def _prepare(start: int, stop: int) -> list[tuple]:
    """What `Matching.index` would write for rows start..stop: sealed identity and record
    form, digests."""
    model, keks, digest_key, out = _shared["model"], _shared["keks"], _shared["digest_key"], []
    for position in range(start, stop):
        pk, identity = position + 1, identity_of(as_porteur(_shared["rows"][position]))
        data_key = new_key()
        sealed = seal(data_key, orjson.dumps(identity), identity_context(pk))
        record = normalise_record(identity)
        form = seal(data_key, record_form(record).encode(), record_form_context(pk))
        digests = list(dict.fromkeys(key_digest(digest_key, k)
                                     for k in record_blocking_keys(record, model)))
        out.append((pk, wrap_key(keks[bucket_of(pk)], data_key), sealed, form, digests))
    return out


def _insert(conn, part, truth, rows, now) -> None:
    conn.execute(sa.insert(fiches), [
        {"id": pk, "member_id": "bench", "fiche_id": rows[pk - 1]["id"], "current_version": 1,
         "processed_version": 1, "porteur_id": f"P{truth[pk - 1]}", "created_at": now,
         "updated_at": now} for pk, *_rest in part])
    conn.execute(sa.insert(fiche_keys), [{"fiche_pk": pk, "wrapped_key": wrapped, "generation": 1,
                                          "created_at": now} for pk, wrapped, *_rest in part])
    conn.execute(sa.insert(match_records), [
        {"fiche_pk": pk, "porteur_id": f"P{truth[pk - 1]}", "identity": sealed,
         "record_form": form, "indexed_at": now} for pk, _w, sealed, form, _d in part])


def _loader(database_url: str) -> sa.Engine:
    """The loading connection only: no fsync, a large page cache (not the timed engine)."""
    engine = sa.create_engine(database_url)
    if database_url.startswith("sqlite"):
        @sa.event.listens_for(engine, "connect")
        def _fast(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            dbapi_connection.execute("PRAGMA synchronous=OFF")
            dbapi_connection.execute("PRAGMA cache_size=-1000000")
    else:
        @sa.event.listens_for(engine, "connect")
        def _no_wait(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            dbapi_connection.execute("SET synchronous_commit = off")  # this session only
            dbapi_connection.commit()
    return engine


def store_url(store: Path) -> str:
    """The database of a store `build` wrote: PostgreSQL if it says so, else its SQLite file."""
    named = store / "database_url"
    return named.read_text("utf-8").strip() if named.exists() else f"sqlite:///{store}/hub.sqlite3"


def _postgres_database(name: str) -> str:
    """A new, empty database `name` on the bench's PostgreSQL server (dropped first)."""
    from _stores import PG_URL

    if not name.replace("_", "").isalnum() or name in ("test", "postgres"):
        raise SystemExit(f"--postgres: a plain name of the bench's own, not {name!r}")
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return sa.engine.make_url(PG_URL).set(database=name).render_as_string(False)


def drop_store(store: Path) -> None:
    from _stores import PG_URL

    url = sa.engine.make_url(store_url(store))
    if url.get_backend_name() == "postgresql":
        admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
        admin.dispose()
        (store / "database_url").unlink()


def time_store(store: Path, size: int, rounds: int, full_memo: bool = False) -> None:
    """`measure` of this checkout, `rounds` times, each in a fresh process; medians."""
    runs = []
    for turn in range(rounds):
        done = subprocess.run([sys.executable, __file__, "measure", store_url(store), str(store),
                               str(store / "probes.json"), str(size),
                               *(["--full-memo"] if full_memo else [])],
                              check=True, capture_output=True, text=True)
        found = json.loads(done.stdout.strip().splitlines()[-1])
        runs.append(found)
        print(f"round {turn + 1} (load {os.getloadavg()[0]:.1f}): median {found['online_ms']:.2f} ms, "
              f"p90 {found['p90_ms']:.2f} ms, p95 {found['p95_ms']:.2f} ms, "
              f"CPU {found['cpu_ms']:.2f} ms (p90 {found['cpu_p90_ms']:.2f} ms), "
              f"{found['candidates']:.1f} candidates, "
              f"{found['rss_mb']:.0f} MB ({found['own_mb']:.0f} MB its own), "
              f"server CPU {found['server_cpu_ms']:.2f} ms; "
              f"primary-key lookup {found['baseline_ms']:.3f} ms "
              f"(ratio {found['ratio']:.1f}); decisions {found['decisions']}", flush=True)
    m = {k: statistics.median(r[k] for r in runs)
         for k in ("online_ms", "p90_ms", "p95_ms", "cpu_ms", "cpu_p90_ms", "baseline_ms",
                   "rss_mb", "own_mb", "candidates")}
    print(f"medians of {rounds}: online {m['online_ms']:.2f} ms, p90 {m['p90_ms']:.2f} ms, "
          f"p95 {m['p95_ms']:.2f} ms, CPU {m['cpu_ms']:.2f} ms (p90 {m['cpu_p90_ms']:.2f} ms), "
          f"{m['candidates']:.1f} candidates, peak {m['rss_mb']:.0f} MB ({m['own_mb']:.0f} MB its "
          f"own); primary-key lookup {m['baseline_ms']:.3f} ms; "
          f"ratio {m['online_ms'] / m['baseline_ms']:.1f}")


def measure_in_subprocess(database_url: str, data_dir: Path, probes, size: int) -> dict:
    """Run `measure` in a fresh process that never saw the population."""
    probe_file = data_dir / "probes.json"
    probe_file.write_text(json.dumps(probes), encoding="utf-8")
    done = subprocess.run([sys.executable, __file__, "measure", database_url, str(data_dir),
                           str(probe_file), str(size)], check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(hub: Hub, probes, size: int, *, full_memo: bool = False,
            resolve: bool = False) -> dict[str, float]:
    """Median ms of the online match and of the baseline, and their ratio; the CPU ms
    of a match, the candidates a probe, and a digest of every decision (kind, porteur,
    probability, explanation, conflicts; a new porteur's kind alone). `full_memo`: the worker's memo of opened
    index rows (`Hub.identities`) is first filled with as many rows as it holds, as in a
    worker after some 250 matches (texts no row has: nothing is answered from them).
    `resolve`: the worker's path for a new fiche instead (`OnlineMatcher.resolve_new`, the
    batch's read of the index and the decision, a fiche of one probe per transaction;
    nothing flushed, the transaction rolled back), its decision as the porteur it links
    to or "new"."""
    rng = random.Random(3)
    if full_memo:
        filler = normalise_record({})
        for n in range(MEMO_ROWS):
            hub.identities.put(f"filler.{n:0300d}", filler)
    online, cpu, baseline, kinds, candidates, server, statements = [], [], [], [], [], [], []
    decisions = hashlib.sha256()
    for row in probes:  # one transaction a probe, as a worker's (its locks held until then)
        with hub.uow() as uow:
            matcher = OnlineMatcher(hub, uow)
            server_started = _server_cpu_s(uow.connection)  # the transaction begun untimed
            identity = identity_of(as_porteur(row))
            sent_before = _sent_on(uow.connection)
            started, started_cpu = time.perf_counter(), time.process_time()
            if resolve:
                resolution = matcher.resolve_new(size + 1 + len(online), identity,
                                                 dt.datetime.now(dt.UTC))
                decision, rows = None, ()
            else:
                decision, rows, _d = matcher.match(identity)
            online.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
            statements.append(_sent_on(uow.connection) - sent_before)
            candidates.append(len(rows))
            if decision is None:
                kinds.append("link" if resolution.method == "auto" else "new")
                decisions.update(repr((resolution.method, not resolution.created and
                                       resolution.porteur_id)).encode())
            else:
                kinds.append(decision.kind)
                # A new porteur by its kind: the worker keeps nothing of its closest pair
                # and no longer compares it in full (`PatternScorer.match_one`'s `best_new`).
                decisions.update(repr((decision.kind,) if decision.kind == "new" else (
                    decision.kind, decision.porteur_id, decision.score, decision.conflicts,
                    decision.explanation and decision.explanation.to_dict())).encode())
            pk = rng.randint(1, size)
            started = time.perf_counter()
            uow.connection.execute(sa.select(fiches).where(fiches.c.id == pk)).first()
            baseline.append(time.perf_counter() - started)
            server.append(_server_cpu_s(uow.connection) - server_started)
    server_ms = sum(server) / len(probes) * 1000
    online_ms, base_ms = statistics.median(online) * 1000, statistics.median(baseline) * 1000
    return {"online_ms": online_ms, "p90_ms": sorted(online)[int(len(online) * 0.9)] * 1000,
            "p95_ms": sorted(online)[int(len(online) * 0.95)] * 1000,
            "cpu_p90_ms": sorted(cpu)[int(len(cpu) * 0.9)] * 1000,
            "cpu_ms": statistics.median(cpu) * 1000, "baseline_ms": base_ms,
            "ratio": online_ms / base_ms, "linked": kinds.count("link") / len(kinds),
            "candidates": statistics.mean(candidates), "decisions": decisions.hexdigest()[:16],
            "rss_mb": _peak_rss_mb(), "own_mb": _own_mb(), "server_cpu_ms": server_ms,
            "statements": statistics.mean(statements)}


class _CountingCursor:
    """Made a psycopg cursor class by `_sent_on`: counts the statements sent (each a round
    trip to the server)."""

    sent = 0

    def execute(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        _CountingCursor.sent += 1
        return super().execute(*args, **kwargs)  # type: ignore[misc]


def _sent_on(conn: sa.Connection) -> float:
    """The statements sent so far on the connection's PostgreSQL driver (NaN on SQLite: no
    round trips)."""
    if conn.dialect.name != "postgresql":
        return math.nan
    driver = conn.connection.driver_connection
    if not issubclass(driver.cursor_factory, _CountingCursor):  # type: ignore[union-attr,arg-type]
        driver.cursor_factory = type("Counting", (_CountingCursor, driver.cursor_factory), {})  # type: ignore[union-attr]
    return _CountingCursor.sent


def _server_cpu_s(conn: sa.Connection) -> float:
    """The CPU seconds of the connection's PostgreSQL backend so far, read from /proc (the
    server runs on this machine; counted in clock ticks: meaningful over many matches);
    NaN on SQLite (the store's work is the process's own CPU) or where it cannot be read."""
    if conn.dialect.name != "postgresql":
        conn.exec_driver_sql("SELECT 1")
        return math.nan
    pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def alternate(store: Path, size: int, revision: str, rounds: int, full_memo: bool = False,
              resolve: bool = False) -> None:
    """`measure` on the code of `revision` and on this checkout in turns (ABBA...), one
    process each time, on the store `build` wrote in `store`; medians of the rounds."""
    url, probe_file = store_url(store), store / "probes.json"
    here = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(here), "archive", revision],
                                 check=True, capture_output=True).stdout
        with tarfile.open(fileobj=__import__("io").BytesIO(archive)) as tar:
            tar.extractall(tmp, filter="data")
        sides: dict[str, list[dict]] = {"before": [], "after": []}
        for turn in range(rounds):
            for side in (("before", "after") if turn % 2 == 0 else ("after", "before")):
                env = {**os.environ, "CAPACTIF_BENCH_CODE": tmp} if side == "before" else \
                    {k: v for k, v in os.environ.items() if k != "CAPACTIF_BENCH_CODE"}
                done = subprocess.run([sys.executable, __file__, "measure", url, str(store),
                                       str(probe_file), str(size),
                                       *(["--full-memo"] if full_memo else []),
                                       *(["--resolve"] if resolve else [])], check=True,
                                      capture_output=True, text=True, env=env)
                found = json.loads(done.stdout.strip().splitlines()[-1])
                sides[side].append(found)
                print(f"round {turn + 1} {side:6} ({revision if side == 'before' else 'this'}, "
                      f"load {os.getloadavg()[0]:.1f}): "
                      f"median {found['online_ms']:.2f} ms, p95 {found['p95_ms']:.2f} ms, "
                      f"CPU {found['cpu_ms']:.2f} ms, {found['candidates']:.1f} candidates, "
                      f"{found['statements']:.1f} statements, "
                      f"{found['rss_mb']:.0f} MB ({found['own_mb']:.0f} MB its own), "
                      f"server CPU {found['server_cpu_ms']:.2f} ms, "
                      f"primary-key lookup {found['baseline_ms']:.3f} ms "
                      f"(ratio {found['ratio']:.1f}), decisions {found['decisions']}", flush=True)
    medians = {side: {k: statistics.median(r[k] for r in runs)
                      for k in ("online_ms", "p95_ms", "cpu_ms", "rss_mb", "own_mb", "baseline_ms",
                                "ratio", "server_cpu_ms")}
               for side, runs in sides.items()}
    same = {r["decisions"] for runs in sides.values() for r in runs}
    for side, m in medians.items():
        print(f"{side:6}: median {m['online_ms']:.2f} ms, p95 {m['p95_ms']:.2f} ms, "
              f"CPU {m['cpu_ms']:.2f} ms (server {m['server_cpu_ms']:.2f}), peak {m['rss_mb']:.0f} MB "
              f"({m['own_mb']:.0f} MB its own); "
              f"primary-key lookup {m['baseline_ms']:.3f} ms, ratio to it {m['ratio']:.1f} "
              f"(medians of {rounds})")
    print(f"ratio after/before: median {medians['after']['online_ms'] / medians['before']['online_ms']:.3f}, "
          f"p95 {medians['after']['p95_ms'] / medians['before']['p95_ms']:.3f}, "
          f"CPU {medians['after']['cpu_ms'] / medians['before']['cpu_ms']:.3f}; "
          + ("decisions identical on every probe" if len(same) == 1
             else "decisions DIFFERENT (the digests of all probes' decisions differ)"))


def build_store(store: Path, size: int, postgres: str | None = None) -> None:
    """The population of `dedup_speed.py --store` (seed 11): `size` fiches indexed in
    `store`/hub.sqlite3 (or the PostgreSQL database `postgres`), the 300 rows after them as
    probes in `store`/probes.json."""
    from _population import generate

    rows, truth = generate(size + 300, seed=11)
    store.mkdir(parents=True, exist_ok=True)
    (store / "probes.json").write_text(json.dumps(rows[size:]), encoding="utf-8")
    url = _postgres_database(postgres) if postgres else f"sqlite:///{store}/hub.sqlite3"
    build(url, store, rows[:size], truth[:size])
    if postgres:
        (store / "database_url").write_text(url + "\n", encoding="utf-8")


def _peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: getrusage's maxrss would include the
    parent's, kept across exec). On SQLite it counts the pages of the database file read
    through its memory map (`hub.store.engine.SQLITE_MMAP_BYTES`), which are the system's
    file cache: `_own_mb` is the process's own."""
    return _status_mb("VmHWM:")


def _own_mb() -> float:
    """This process's own resident memory at the end of the run (RssAnon: not the file
    pages SQLite's memory map shows resident)."""
    return _status_mb("RssAnon:")


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) / 1024
    return float("nan")


if __name__ == "__main__" and sys.argv[1:2] == ["measure"]:
    from hub.collector import tune_for_batches

    tune_for_batches()  # as a worker process (`bootstrap._worker_hub`), whose code this times
    url, data, probe_path, n = sys.argv[2:6]
    measured_hub = _hub(url, Path(data))
    result = measure(measured_hub, json.loads(Path(probe_path).read_text("utf-8")), int(n),
                     full_memo="--full-memo" in sys.argv[6:], resolve="--resolve" in sys.argv[6:])
    measured_hub.close()
    print(json.dumps(result))
elif __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    built = commands.add_parser("build", help="index N fiches in STORE_DIR (SQLite) or a "
                                              "PostgreSQL database (--postgres NAME)")
    built.add_argument("store", type=Path)
    built.add_argument("size", type=int)
    built.add_argument("--postgres", metavar="NAME", help="a database of the bench's own")
    timed = commands.add_parser("time", help="this checkout's online match against the store")
    timed.add_argument("store", type=Path)
    timed.add_argument("size", type=int)
    timed.add_argument("--rounds", type=int, default=3)
    timed.add_argument("--full-memo", action="store_true")
    dropped = commands.add_parser("drop", help="drop the PostgreSQL database of STORE_DIR")
    dropped.add_argument("store", type=Path)
    alternated = commands.add_parser("alternate", help="a revision's code against this one")
    alternated.add_argument("store", type=Path)
    alternated.add_argument("size", type=int)
    alternated.add_argument("--baseline", default="main", help="git revision (default main)")
    alternated.add_argument("--rounds", type=int, default=3)
    alternated.add_argument("--full-memo", action="store_true",
                            help="time with the memo of opened index rows full, as in a "
                                 "worker after some 250 matches")
    alternated.add_argument("--resolve", action="store_true",
                            help="time the worker's path for a new fiche (`resolve_new`) "
                                 "rather than the match of an update (`match`)")
    args = parser.parse_args()
    if args.command == "build":
        build_store(args.store, args.size, args.postgres)
    elif args.command == "time":
        time_store(args.store, args.size, args.rounds, args.full_memo)
    elif args.command == "drop":
        drop_store(args.store)
    else:
        alternate(args.store, args.size, args.baseline, args.rounds, args.full_memo,
                  args.resolve)
