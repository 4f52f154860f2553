"""Why two workers gain little over one (not a benchmark: a probe). Runs bench/ingest.py's
scale measurement (the API and one or two real worker processes on PostgreSQL and Redis,
mostly new porteurs, VACUUM ANALYZE before each) and meanwhile records:

- every worker transaction (`_process_chunk`, patched in the worker processes through a
  `sitecustomize` on their PYTHONPATH): its worker, start, end, thread CPU, rows of its
  task, rows claimed, rows put back, the share `_queued_more` worked out, and the thread
  CPU and wall of its phases (claims, key locks taken without and with waiting, matching,
  index writes, delivery planning and storing, commit), printed a fiche claimed;
- PostgreSQL's view of each process's backends, sampled every 10 ms (application_name
  from PGAPPNAME: api, bench-worker-0, bench-worker-1): state and wait event;
- the CPU of every side over the window (API, each worker's session, their backends,
  this process, Redis) and of the whole machine (/proc/stat: busy share of all cores).

    .venv/bin/python bench/_scale_probe.py [--fiches 3000] [--rounds 2] [--claim N]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _cpu_meter as cpu_meter
import sqlalchemy as sa
from _stores import postgres_url
from ingest import (
    MEMBER,
    NETWORK,
    _wait_processed,
    upkeep,
    warm_workers,
    worker_env,
    workload,
)

from capactif_demo.processes import free_port, running, start_api, start_worker
from connectors.client import HubClient
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.members import load_network
from hub.services.ingest.processing import pipeline_status
from hub.services.ops.admin import initialise
from tests.factories import record_consents
from tests.fakes.publisher import RecordingPublisher

_SITECUSTOMIZE = '''
import json, os, threading, time
if os.environ.get("CAPACTIF_PROBE_FILE"):
    import hub.services.ingest.processing as _p
    _chunk, _more, _local = _p._process_chunk, _p._queued_more, threading.local()

    def _queued_more(hub, uow, claimed):
        more = _more(hub, uow, claimed)
        _local.more = [claimed, more]
        return more

    _profile = None
    if os.environ.get("CAPACTIF_PROBE_PROFILE"):
        import cProfile
        _profile = cProfile.Profile()

    def _process_chunk(hub, outbox_ids, *, wait):
        _local.more, _local.phases, _local.sql = None, {}, {}
        t0, c0 = time.time(), time.thread_time()
        if _profile is not None:
            _profile.enable()
        outcome, deferred = _chunk(hub, outbox_ids, wait=wait)
        if _profile is not None:
            _profile.disable()
            _profile.dump_stats(f"{os.environ['CAPACTIF_PROBE_PROFILE']}-{os.getpid()}.prof")
        line = {"pid": os.getpid(), "app": os.environ.get("PGAPPNAME"), "t0": t0,
                "t1": time.time(), "cpu": time.thread_time() - c0, "task": len(outbox_ids),
                "claimed": outcome.claimed, "deferred": len(deferred), "wait": wait,
                "more": _local.more, "phases": _local.phases, "sql": _local.sql}
        with open(os.environ["CAPACTIF_PROBE_FILE"], "a") as out:
            out.write(json.dumps(line) + "\\n")
        return outcome, deferred

    _p._process_chunk, _p._queued_more = _process_chunk, _queued_more

    # The worker's hub, built at the process's first task (`bootstrap._worker_hub`): when
    # and at what thread CPU, so that a worker still cold when the clock starts is seen.
    import hub.bootstrap as _boot
    _build = _boot._worker_hub

    def _worker_hub(settings):
        t0, c0 = time.time(), time.thread_time()
        try:
            return _build(settings)
        finally:
            with open(os.environ["CAPACTIF_PROBE_FILE"], "a") as out:
                out.write(json.dumps({"pid": os.getpid(), "app": os.environ.get("PGAPPNAME"),
                                      "hub_built": True, "t0": t0, "t1": time.time(),
                                      "cpu": time.thread_time() - c0}) + "\\n")
    _boot._worker_hub = _worker_hub

    # Statements of each transaction by their first words: count and their backend's CPU
    # (its /proc/PID/schedstat: the database runs on this machine).
    import sqlalchemy as _sa
    import hub.store.bulk as _b

    def _backend_ns(conn):
        try:
            pid = conn.connection.driver_connection.info.backend_pid
            with open(f"/proc/{pid}/schedstat") as stat:
                return int(stat.read().split()[0])
        except Exception:
            return 0

    def _add_sql(key, backend0, conn):
        sql = getattr(_local, "sql", None)
        if sql is not None:
            count, ns = sql.get(key, (0, 0))
            sql[key] = (count + 1, ns + _backend_ns(conn) - backend0)

    @_sa.event.listens_for(_sa.Engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        conn.info["probe0"] = _backend_ns(conn)

    @_sa.event.listens_for(_sa.Engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        _add_sql(" ".join(statement.split()[:7])[:80], conn.info.pop("probe0", 0), conn)

    def _wrapped_bulk(name, label):
        inner = getattr(_b, name)

        def wrapped(conn, *args):
            backend0 = _backend_ns(conn)
            try:
                return inner(conn, *args)
            finally:
                first = args[0]
                _add_sql(label(first), backend0, conn)
        setattr(_b, name, wrapped)

    _wrapped_bulk("copy_rows", lambda table: f"COPY {table.name}")
    _wrapped_bulk("copy_tuples", lambda table: f"COPY {table.name}")
    _wrapped_bulk("driver_rows", lambda text: "(driver) " + " ".join(str(text).split()[:6])[:70])

    # Phase timers (thread CPU and wall) of each transaction, by wrapping what it calls.
    import hub.services.matching.online as _o
    import hub.store.repositories as _r
    import hub.store.uow as _u
    import hub.services.delivery.deliveries as _d

    def _timed(owner, name, phase):
        inner = getattr(owner, name)

        def timed(*args, **kwargs):
            c0, w0 = time.thread_time(), time.time()
            try:
                return inner(*args, **kwargs)
            finally:
                spent = getattr(_local, "phases", None)
                if spent is not None:
                    cpu, wall, calls = spent.get(phase, (0.0, 0.0, 0))
                    spent[phase] = (cpu + time.thread_time() - c0,
                                    wall + time.time() - w0, calls + 1)
        setattr(owner, name, timed)

    for _owner, _name, _phase in (
            (_r.Outbox, "claim", "claim"),
            (_r.Outbox, "claim_queued", "claim"),
            (_r.Outbox, "queued", "claim"),
            (_p, "live_worker_slots", "claim"),
            (_p, "forget_if_erased", "forget"),
            (_o.OnlineMatcher, "lock_free", "lock_free"),
            (_o.OnlineMatcher, "lock", "lock_wait"),
            (_o.OnlineMatcher, "resolve_new", "resolve"),
            (_o.OnlineMatcher, "refresh", "resolve"),
            (_o.OnlineMatcher, "flush", "flush"),
            (_p, "_process_versions", "versions"),
            (_p, "planned_deliveries", "plan"),
            (_p, "store_deliveries", "store_deliv"),
            (_u.UnitOfWork, "commit", "commit"),
            (_p, "join_chains", "chains")):
        _timed(_owner, _name, _phase)
'''

_ACTIVITY = sa.text(
    "SELECT application_name, state, coalesce(wait_event_type, '-'), coalesce(wait_event, '-'), "
    "CASE WHEN wait_event_type = 'Lock' THEN left(regexp_replace(query, '\\s+', ' ', 'g'), 90) "
    "END FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
_BACKENDS = sa.text(
    "SELECT pid, application_name FROM pg_stat_activity WHERE datname = current_database() "
    "AND pid <> pg_backend_pid()")


def _machine() -> tuple[float, float]:
    """(busy, total) jiffies of all cores so far."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def _pids_named(name: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if Path(f"/proc/{entry}/comm").read_text().strip() == name:
                    found.append(int(entry))
            except OSError:
                continue
    return found


class Sampler(threading.Thread):
    """pg_stat_activity every 10 ms: counts by (application, state, wait event)."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        self.counts: collections.Counter[tuple[str, str, str, str]] = collections.Counter()
        self.waiting: collections.Counter[tuple[str, str]] = collections.Counter()
        self.samples = 0
        self.stop = threading.Event()

    def run(self) -> None:
        with self.engine.connect() as conn:
            while not self.stop.is_set():
                for *row, query in conn.execute(_ACTIVITY):
                    self.counts[tuple(row)] += 1
                    if query:
                        self.waiting[row[0], query] += 1
                self.samples += 1
                time.sleep(0.01)
        self.engine.dispose()


def _backend_cpu(engine: sa.Engine) -> dict[str, float]:
    with engine.connect() as conn:
        rows = conn.execute(_BACKENDS).all()
    cpu: dict[str, float] = collections.defaultdict(float)
    for pid, app in rows:
        cpu[app or "?"] += cpu_meter.process_cpu(pid)
    return cpu


PROFILE_DIR = os.environ.get("PROBE_PROFILE_DIR", "")  # cProfile of each worker there


def measure(env: dict[str, str], logs: Path, documents: list[dict], workers: int,
            probe_dir: Path, tag: str) -> dict:
    settings = Settings.from_env(env)
    observer = Hub.from_settings(settings, publisher=RecordingPublisher())
    credentials = json.loads((settings.data_dir / "credentials" / f"{MEMBER}.json").read_text())
    record_consents(observer, documents)
    done = pipeline_status(observer)["processed"]
    port = int(env["HUB_PORT"])
    chunks = logs / f"chunks-{tag}.jsonl"
    path = f"{probe_dir}:{env.get('PYTHONPATH', os.environ.get('PYTHONPATH', ''))}"
    api = start_api({**env, "PGAPPNAME": "api"}, logs, port)
    pool = [start_worker({**worker_env(env, n), "PYTHONPATH": path,
                          "CAPACTIF_PROBE_FILE": str(chunks),
                          **({"CAPACTIF_PROBE_PROFILE": f"{PROFILE_DIR}/{tag}"}
                             if PROFILE_DIR else {})}, logs, f"hub-worker-{n}",
                         beat=n == 0) for n in range(workers)]
    redis = _pids_named("redis-server")
    with running([api, *pool]):
        client = HubClient(f"http://127.0.0.1:{port}", MEMBER, credentials["token"],
                           credentials["cle_privee"])
        timed = warm_workers(observer, client, documents, workers, done)
        chunks.unlink(missing_ok=True)
        sampler = Sampler(env["HUB_DATABASE_URL"])
        before = {"api": cpu_meter.session_cpu([api.popen.pid]),
                  **{f"bench-worker-{n}": cpu_meter.session_cpu([p.popen.pid])
                     for n, p in enumerate(pool)},
                  "bench": time.process_time(),
                  "redis": sum(cpu_meter.process_cpu(p) for p in redis)}
        backends0, machine0 = _backend_cpu(observer.engine), _machine()
        sampler.start()
        started = time.perf_counter()
        wall0 = time.time()
        for start in range(0, len(timed), 500):
            client.push_fiches(timed[start:start + 500])
        pushed = time.perf_counter() - started
        _wait_processed(observer, done + len(documents), started)
        elapsed = time.perf_counter() - started
        machine1 = _machine()
        sampler.stop.set()
        after = {"api": cpu_meter.session_cpu([api.popen.pid]),
                 **{f"bench-worker-{n}": cpu_meter.session_cpu([p.popen.pid])
                    for n, p in enumerate(pool)},
                 "bench": time.process_time(),
                 "redis": sum(cpu_meter.process_cpu(p) for p in redis)}
        backends1 = _backend_cpu(observer.engine)
        sampler.join()
    observer.close()
    cpu = {side: 1000 * (after[side] - before[side]) / len(timed) for side in before}
    for app in backends1:
        cpu[f"pg:{app}"] = 1000 * (backends1[app] - backends0.get(app, 0.0)) / len(timed)
    busy = (machine1[0] - machine0[0]) / max(1, machine1[1] - machine0[1])
    lines = [json.loads(line) for line in chunks.read_text().splitlines()] \
        if chunks.exists() else []
    builds = [line for line in lines if line.get("hub_built")]
    lines = [line for line in lines if not line.get("hub_built")]
    return {"workers": workers, "rate": len(timed) / elapsed, "elapsed": elapsed,
            "pushed": pushed, "fiches": len(timed), "cpu": cpu, "machine_busy": busy,
            "activity": sampler.counts, "waiting": sampler.waiting,
            "samples": sampler.samples, "chunks": lines, "builds": builds, "wall0": wall0}


def report(result: dict) -> None:
    workers, fiches = result["workers"], result["fiches"]
    print(f"\n== {workers} worker(s): {result['rate']:.0f} fiches/s, {fiches} fiches in "
          f"{result['elapsed']:.2f} s (pushes done at {result['pushed']:.2f} s); load "
          f"{os.getloadavg()[0]:.2f}; machine busy {100 * result['machine_busy']:.0f} % of "
          f"{os.cpu_count()} cores over the window")
    cpu = result["cpu"]
    print("   CPU ms a fiche: " + ", ".join(f"{k} {v:.3f}" for k, v in sorted(cpu.items()))
          + f"; hub total (api, workers, their backends) "
          f"{sum(v for k, v in cpu.items() if k not in ('bench', 'redis')):.3f}")
    by_app: dict[str, list[dict]] = collections.defaultdict(list)
    for line in result["chunks"]:
        by_app[line["app"]].append(line)
    for app, lines in sorted(by_app.items()):
        busy = sum(line["t1"] - line["t0"] for line in lines)
        cpu_in = sum(line["cpu"] for line in lines)
        claimed = sum(line["claimed"] for line in lines)
        first = min(line["t0"] for line in lines) - result["wall0"]
        last = max(line["t1"] for line in lines) - result["wall0"]
        sizes = [line["claimed"] for line in lines]
        print(f"   {app}: {len(lines)} transactions, {claimed} fiches ({sizes}), put back "
              f"{sum(line['deferred'] for line in lines)}, empty "
              f"{sum(line['claimed'] == 0 for line in lines)}, waiting chunks "
              f"{sum(line['wait'] for line in lines)}; in transactions {busy:.2f} s of "
              f"{result['elapsed']:.2f} (first at {first:.2f}, last end {last:.2f}); thread "
              f"CPU in them {1000 * cpu_in / max(1, claimed):.3f} ms a fiche, wall "
              f"{1000 * busy / max(1, claimed):.3f}")
        print(f"      shares (claimed of task, more): {[line['more'] for line in lines]}")
        session = result["cpu"].get(app or "?", 0.0) * fiches  # ms, the worker's whole session
        built = [b for b in result["builds"] if b["app"] == app]
        print(f"      session CPU {session:.0f} ms, in transactions {1000 * cpu_in:.0f} ms, "
              f"outside {session - 1000 * cpu_in:.0f} ms ({(session - 1000 * cpu_in) / fiches:.3f} "
              f"ms a fiche of the window); hub built in the window: "
              + (", ".join(f"at {b['t0'] - result['wall0']:.2f} s, thread CPU "
                           f"{1000 * b['cpu']:.0f} ms, wall {1000 * (b['t1'] - b['t0']):.0f} ms"
                           for b in built) or "no (warm)"))
        phases: dict[str, list[float]] = collections.defaultdict(lambda: [0.0, 0.0, 0])
        for line in lines:
            for phase, (cpu, wall, calls) in (line.get("phases") or {}).items():
                phases[phase][0] += cpu
                phases[phase][1] += wall
                phases[phase][2] += calls
        print("      phases, ms a fiche claimed (thread CPU / wall, calls): " + ", ".join(
            f"{phase} {1000 * cpu / max(1, claimed):.3f}/{1000 * wall / max(1, claimed):.3f} "
            f"({calls})" for phase, (cpu, wall, calls) in sorted(phases.items())))
    _report_sql(result)
    samples = max(1, result["samples"])
    print(f"   pg_stat_activity, share of {samples} samples (application, state, wait):")
    for (app, state, kind, event), count in sorted(result["activity"].items(),
                                                   key=lambda item: -item[1]):
        if count / samples >= 0.01:
            print(f"      {app or '?':<10} {state or '?':<22} {kind}/{event}: "
                  f"{100 * count / samples:5.1f} %")
    for (app, query), count in result["waiting"].most_common(6):
        print(f"      lock wait {app}: {100 * count / samples:5.1f} % {query}")


def _report_sql(result: dict) -> None:
    """The workers' statements in transactions, all workers together: count and backend CPU
    (ms) a hundred fiches claimed, the costliest first."""
    claimed = max(1, sum(line["claimed"] for line in result["chunks"]))
    sql: dict[str, list[float]] = collections.defaultdict(lambda: [0, 0])
    for line in result["chunks"]:
        for key, (count, ns) in (line.get("sql") or {}).items():
            sql[key][0] += count
            sql[key][1] += ns
    total = sum(count for count, _ in sql.values())
    spent = sum(ns for _, ns in sql.values())
    print(f"   statements in transactions: {100 * total / claimed:.1f} a hundred fiches, backend "
          f"CPU in them {spent / 1e4 / claimed:.2f} ms a hundred fiches "
          "(count, backend ms, a hundred fiches):")
    for key, (count, ns) in sorted(sql.items(), key=lambda item: -item[1][1])[:25]:
        print(f"      {100 * count / claimed:7.2f} {ns / 1e4 / claimed:7.3f}  {key}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fiches", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--claim", type=int, default=0, help="HUB_WORKER_CLAIM_SIZE (0: default)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        probe_dir = base / "probe"
        probe_dir.mkdir()
        (probe_dir / "sitecustomize.py").write_text(_SITECUSTOMIZE)
        with postgres_url(migrate=False) as url:
            env = {"HUB_DATA_DIR": str(base / "scale"), "HUB_PORT": str(free_port()),
                   "HUB_LOG_LEVEL": "WARNING", "HUB_DATABASE_URL": url,
                   "HUB_BROKER_URL": "redis://127.0.0.1:6379/0",
                   "HUB_QUEUE_NAME": f"bench-{uuid.uuid4().hex[:8]}"}
            if args.claim:
                env["HUB_WORKER_CLAIM_SIZE"] = str(args.claim)
            settings = Settings.from_env(env)
            initialise(settings)
            hub = Hub.from_settings(settings, publisher=RecordingPublisher())
            load_network(hub, NETWORK, settings.data_dir / "credentials")
            hub.close()
            rates: dict[int, list[float]] = {1: [], 2: []}
            written = 0
            for n in range(args.rounds):
                documents = workload(f"R{n}", args.fiches, seed=n)
                halves = [documents[: len(documents) // 2], documents[len(documents) // 2:]]
                for k, workers in enumerate((1, 2) if n % 2 == 0 else (2, 1)):
                    upkeep(env, written)
                    written = len(halves[k])
                    result = measure(env, base / "logs", halves[k], workers, probe_dir,
                                     f"{n}-{workers}")
                    rates[workers].append(result["rate"])
                    report(result)
        one, two = statistics.median(rates[1]), statistics.median(rates[2])
        print(f"\nmedians: 1 worker {one:.0f}, 2 workers {two:.0f} fiches/s: {two / one:.2f}")

if __name__ == "__main__":
    main()
