"""Ingest throughput: accepted fiches per second from the HTTP API to processed,
beside the rate of a bare Celery no-op task on the same broker, measured in the
same run. Embedded mode (SQLite + file-system broker) and, unless --embedded-only,
scale mode (PostgreSQL + Redis at 127.0.0.1).

    .venv/bin/python bench/ingest.py [--fiches 3000] [--tasks 3000] [--rounds 3]
                                     [--embedded-only] [--scale-only] [--audit-ratio]
                                     [--log-level INFO] [--never-analysed]
                                     [--sizes 25,10,5] [--claims 100,500]
                                     [--checkouts DIR,DIR]

The workload is mostly new porteurs (one fiche in ten is another fiche of a porteur
already pushed). Each round measures, one after the other on the same broker and store:
the bare no-op task rate, the hub with one worker process and the hub with two (scale),
or the API's ingest rate alone and with the worker running (embedded). Rounds alternate
(odd rounds measure the two sides in the other order) so that no side always meets the
larger database or the quieter machine; the medians are compared. The CPU each side
spends per fiche is printed beside the budget the target leaves on this machine's cores.

Scale mode keeps the database as autovacuum keeps a running hub's: before each
measurement (outside its clock) the store is vacuumed and analysed, and that upkeep's CPU
is printed apart, per fiche written since the last one. The PostgreSQL this bench runs on
(and CI) has autovacuum off, so without it every round ran on tables never analysed nor
vacuumed, a state a production database leaves within a minute. --never-analysed measures
that case (the hub's plans are written to hold without statistics:
tests/integration/test_store_plans.py).

Embedded, --sizes (worker transaction sizes) or --checkouts (each variant's API and worker
run that checkout's code) compare variants in the same run: each round measures the API
alone, then with the worker in each variant, in an order turning round by round; each
variant prints its ingest ratio and the worker's own rate meanwhile (push to processed).
Scale, --checkouts, --claims or --sizes do the same with the no-op, then one and two workers of
each variant a round: each prints its two ratios and its CPU a fiche (all sides, then the
API's, the workers' and PostgreSQL's apart; embedded: the worker's and the API's). Each
checkout runs on a store of its own (data directory, and database at scale), created and
migrated by its own code (`capactif init`, `capactif members load`): checkouts whose
migrations differ (a table, a trigger, a key dropped) each meet their own schema, and
neither's processes refuse the other's (`/healthz`: migrations not current). Each store
receives the same number of fiches a round.
--tasks 0 leaves the no-op out (on the embedded broker it runs some 20 tasks/s).

With --audit-ratio the hub rate is also measured with the access log switched off
(HUB_BENCH_DISABLE_AUDIT=1, a benchmark-only setting) in the same run and database:
--rounds off/on pairs alternate and each side's best rate is compared.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import _cpu_meter as cpu_meter
import sqlalchemy as sa

from capactif_demo.population import Population
from capactif_demo.processes import (
    Process,
    capactif_command,
    free_port,
    running,
    start_api,
    start_worker,
)
from connectors.client import HubClient
from hub.bootstrap import Hub, create_celery
from hub.config import Settings
from hub.services.accounts.members import load_network
from hub.services.ingest.processing import pipeline_status
from hub.services.ops.admin import initialise
from hub.store.engine import reader_engine
from tests.factories import record_consents
from tests.fakes.publisher import RecordingPublisher

NETWORK = Path(__file__).resolve().parents[1] / "examples" / "network.json"
MEMBER = "cci-puy-de-dome"
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def measure_noop_rate(env: dict[str, str], logs: Path, tasks: int) -> float:
    settings = Settings.from_env(env)
    app = create_celery(settings)
    marker = logs / f"noop-{uuid.uuid4().hex}"
    with running([start_worker(env, logs, "noop-worker", beat=False)]):
        app.send_task("hub.noop", args=[str(marker) + "-warm"])
        _wait_file(Path(str(marker) + "-warm"), 60)
        started = time.perf_counter()
        with app.producer_pool.acquire(block=True) as producer:
            for n in range(tasks):
                app.send_task("hub.noop", args=[str(marker) if n == tasks - 1 else None],
                              producer=producer)
        _wait_file(marker, 300)
        return tasks / (time.perf_counter() - started)


def workload(prefix: str, count: int, seed: int) -> list[dict]:
    """`count` fiches, mostly of new porteurs: one in ten is a second fiche of a porteur
    pushed a few fiches earlier (a duplicate for the matching to find)."""
    population = Population(seed=seed)
    porteurs: list[dict] = []
    for n in range(count):
        porteurs.append(porteurs[n - 5] if n % 10 == 9 and n >= 5 else population.porteur())
    return [population.fiche(MEMBER, f"{prefix}-{n:07d}", porteurs[n]) for n in range(count)]


def measure_hub_rate(env: dict[str, str], logs: Path, documents: list[dict], batch: int,
                     workers: int = 1) -> tuple[float, float]:
    """(end-to-end fiches/s from the first push to the last processed, push fiches/s)
    with `workers` worker processes running (0: the API alone, nothing processed). The
    workers are warm when the clock starts: each has processed a fiche (its first task
    opens the store, loads the keys and the matching model). CPU ms per fiche of the
    API, the workers and the database's backends go to CPU_PER_FICHE."""
    settings = Settings.from_env(env)
    observer = Hub.from_settings(settings, publisher=RecordingPublisher())
    credentials = json.loads((settings.data_dir / "credentials" / f"{MEMBER}.json").read_text())
    record_consents(observer, documents)  # recorded before the clock starts
    done = pipeline_status(observer)["processed"]
    port = int(env["HUB_PORT"])
    api = start_api(env, logs, port)
    pool = [start_worker(worker_env(env, n), logs, f"hub-worker-{n}", beat=n == 0)
            for n in range(workers)]
    with running([api, *pool]):
        client = HubClient(f"http://127.0.0.1:{port}", MEMBER, credentials["token"],
                           credentials["cle_privee"])
        timed = warm_workers(observer, client, documents, workers, done)
        cpu_before = _cpu_now(observer, api, pool)
        started = time.perf_counter()
        for start in range(0, len(timed), batch):
            client.push_fiches(timed[start:start + batch])
        pushed = time.perf_counter() - started
        _wait_processed(observer, done + len(documents) if workers else 0, started)
        elapsed = time.perf_counter() - started
        cpu_after = _cpu_now(observer, api, pool)
        CPU_PER_FICHE.setdefault(workers, []).append({
            side: 1000 * cpu_meter.spent(before, after) / len(timed) for side, before, after
            in zip(("api", "workers", "postgresql"), cpu_before, cpu_after, strict=True)})
    if not workers:  # drain what was pushed, untimed, so the next round starts even
        with running([start_worker(env, logs, "drain-worker")]):
            _wait_processed(observer, done + len(documents))
    observer.close()
    return len(timed) / elapsed, len(timed) / pushed


# Each worker's connections carry its name (`worker_env`), so the bench sees which ones
# have built their hub (`warm_workers`).
WORKER_NAME = "bench-worker-{n}"
_WORKER_BACKENDS = sa.text(
    "SELECT application_name, pid FROM pg_stat_activity "
    "WHERE datname = current_database() AND application_name LIKE 'bench-worker-%'")


def worker_env(env: dict[str, str], n: int) -> dict[str, str]:
    """The environment of the bench's worker `n`: its PostgreSQL connections named."""
    return {**env, "PGAPPNAME": WORKER_NAME.format(n=n)}


def warm_workers(observer: Hub, client: HubClient, documents: list[dict], workers: int,
                 done: int) -> list[dict]:
    """Push fiches one at a time, outside the clock, until every worker has processed one
    (its first task opens the store, loads the keys and the matching model: 0.1-0.6 s of
    CPU); returns the documents left to time. One fiche a worker is not enough: a worker
    still starting leaves the first fiches to the other, then builds its hub inside the
    measurement (seen as 0.4 ms of worker CPU a fiche over 1,500 fiches). At scale a worker
    is warm once its hub's pooled connection (named by `worker_env`) is there twice 50 ms
    apart: the parent's heartbeat connects for a moment only."""
    pushed = max(workers, 1)
    for document in documents[:pushed]:  # one task each: every idle worker takes one
        client.push_fiches([document])
    _wait_processed(observer, done + pushed if workers else 0)
    if workers < 2 or observer.engine.dialect.name != "postgresql":
        return documents[pushed:]
    deadline = time.monotonic() + 120
    while cold := _cold_workers(observer, workers):
        if time.monotonic() > deadline or pushed >= len(documents) // 10:
            raise RuntimeError(f"workers {sorted(cold)} never took a fiche while warming")
        client.push_fiches([documents[pushed]])  # the worker waiting longest takes it
        pushed += 1
        _wait_processed(observer, done + pushed)
        time.sleep(0.2)  # a worker still starting: give it time to listen
    if pushed > workers:
        print(f"  (warming: a worker still cold after a fiche each; {pushed - workers} more "
              "fiche(s) pushed before the clock)", flush=True)
    return documents[pushed:]


def _cold_workers(observer: Hub, workers: int) -> set[str]:
    """The bench's workers without a lasting connection of their own (no hub built yet)."""
    seen = []
    for _ in range(2):
        with reader_engine(observer.engine).connect() as conn:
            seen.append({tuple(row) for row in conn.execute(_WORKER_BACKENDS)})
        time.sleep(0.05)
    warm = {name for name, _pid in seen[0] & seen[1]}
    return {WORKER_NAME.format(n=n) for n in range(workers)} - warm


CPU_PER_FICHE: dict[int, list[dict[str, float]]] = {}  # by number of workers
TARGET = 2.5  # issue 15: end-to-end fiches/s at least 2.5x the bare no-op task rate


def _cpu_now(observer: Hub, api: Process, pool: list[Process]
             ) -> tuple[cpu_meter.Threads, cpu_meter.Threads, cpu_meter.Threads]:
    """The CPU each thread of the API, of the workers and of the database's backends has
    run so far (nanoseconds: `_cpu_meter`)."""
    return (cpu_meter.session_threads([api.popen.pid]),
            cpu_meter.session_threads(p.popen.pid for p in pool),
            cpu_meter.backend_threads(observer.engine))


UPKEEP_PER_FICHE: list[float] = []  # CPU ms of each VACUUM ANALYZE per fiche written before it


def upkeep(env: dict[str, str], fiches_since: int) -> None:
    """VACUUM (ANALYZE) of the store, as autovacuum runs it on a running hub (at 3,000
    fiches a round, every table passes autovacuum's thresholds several times a round);
    its backend's CPU per fiche written since the last one goes to UPKEEP_PER_FICHE."""
    engine = sa.create_engine(env["HUB_DATABASE_URL"], isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            before = cpu_meter.process_cpu(pid)
            conn.exec_driver_sql("VACUUM (ANALYZE)")
            spent = cpu_meter.process_cpu(pid) - before
    finally:
        engine.dispose()
    if fiches_since:
        UPKEEP_PER_FICHE.append(1000 * spent / fiches_since)


_PENDING = sa.text("SELECT EXISTS (SELECT 1 FROM outbox WHERE processed_at IS NULL)")


def _wait_processed(observer: Hub, target: int, started: float | None = None) -> None:
    """Until `target` fiches are processed. Every fiche pushed has its outbox row when the
    push is answered, so the counts (which scan the fiches and their versions: at some
    ten thousand fiches, every 20 ms, a tenth of a core taken from the hub beside it)
    are read only once no outbox row is pending; the wait polls that (an index)."""
    started = time.perf_counter() if started is None else started
    while True:
        with reader_engine(observer.engine).connect() as conn:  # never takes a write turn
            pending = target > 0 and conn.execute(_PENDING).scalar_one()
        if not pending and pipeline_status(observer)["processed"] >= target:
            return
        if time.perf_counter() - started > 600:
            raise TimeoutError("fiches not processed within 10 minutes")
        time.sleep(0.02)


def _wait_file(path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no marker {path}")
        time.sleep(0.01)


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _rounded(values: list[float]) -> list[int]:
    return [round(v) for v in values]


def run_mode(name: str, env: dict[str, str], base: Path, args: argparse.Namespace) -> None:
    settings = Settings.from_env(env)
    initialise(settings)
    hub = Hub.from_settings(settings, publisher=RecordingPublisher())
    load_network(hub, NETWORK, settings.data_dir / "credentials")
    hub.close()
    logs = base / "logs"
    if args.audit_ratio:
        return _audit_ratio(name, env, logs, args)
    scale = not settings.embedded_broker
    if len(_variants(args)) > 1:
        with _checkout_stores(env, base, args) as stores:
            return (_compare_scale if scale else _compare)(name, env, logs, args, stores)
    noops, ones, twos, alone, beside = [], [], [], [], []
    written = 0  # fiches written since the last upkeep
    for n in range(args.rounds):  # alternate: each side meets every database size
        if args.tasks:
            noops.append(measure_noop_rate(env, logs, args.tasks))
        documents = workload(f"R{n}", args.fiches, seed=n)
        halves = [documents[: len(documents) // 2], documents[len(documents) // 2:]]
        # The database grows as the run goes: odd rounds measure the sides in the other
        # order, so that neither side always meets the larger index.
        for side in (("first", "second") if n % 2 == 0 else ("second", "first")):
            half = halves[0] if side == "first" else halves[1]
            if scale and not args.never_analysed:
                upkeep(env, written)
            written = len(half)
            if scale and side == "first":
                ones.append(measure_hub_rate(env, logs, half, args.batch)[0])
            elif scale:
                twos.append(measure_hub_rate(env, logs, half, args.batch, workers=2)[0])
            elif side == "first":
                alone.append(measure_hub_rate(env, logs, half, args.batch, workers=0)[1])
            else:
                rate, push = measure_hub_rate(env, logs, half, args.batch)
                ones.append(rate)
                beside.append(push)
    noop, one = (_median(noops) if noops else 0.0), _median(ones)
    print(f"{name:<28} rounds: no-op {_rounded(noops)} tasks/s, hub 1 worker {_rounded(ones)}"
          + (f", hub 2 workers {_rounded(twos)}" if scale else
             f", push alone {_rounded(alone)}, push with worker {_rounded(beside)}") + " /s")
    if noop:
        print(f"{name:<28} hub end-to-end {one:8.0f} fiches/s   bare no-op task {noop:8.0f} "
              f"tasks/s   ratio {one / noop:5.2f} (median of {args.rounds} rounds)", flush=True)
    if scale:
        two = _median(twos)
        print(f"{name:<28} 2 workers      {two:8.0f} fiches/s   1 worker {one:8.0f} fiches/s"
              f"   ratio {two / one:5.2f}", flush=True)
    else:
        _print_embedded(name, f"size {settings.transaction_size}", alone, beside, ones)
    _print_cpu(name, noop)
    if args.log_level == "INFO":
        _print_retries(name, logs)
    return None


def _variants(args: argparse.Namespace) -> dict[str, dict[str, str]]:
    """Embedded variants compared in one run, by label: the environment each one's hub
    processes get (a worker transaction size, or a checkout whose code they run)."""
    variants = {f"size {size}": {"HUB_WORKER_TRANSACTION_SIZE": str(size)} for size in args.sizes}
    for size in args.claims:
        variants[f"claim {size}"] = {"HUB_WORKER_CLAIM_SIZE": str(size)}
    for checkout in args.checkouts:
        variants[f"code {checkout}"] = {"PYTHONPATH": str(Path(checkout).resolve())}
    return variants


@contextlib.contextmanager
def _checkout_stores(env: dict[str, str], base: Path,
                     args: argparse.Namespace) -> Iterator[dict[str, dict[str, str]]]:
    """For each checkout variant, the settings of a store of its own (a data directory,
    and at scale a database, dropped afterwards), initialised by that checkout's code."""
    stores: dict[str, dict[str, str]] = {}
    databases: list[str] = []
    try:
        for n, checkout in enumerate(args.checkouts):
            own = {"HUB_DATA_DIR": str(base / f"checkout-{n}")}
            if env.get("HUB_DATABASE_URL"):
                databases.append(f"bench_{uuid.uuid4().hex[:8]}")
                with _admin() as conn:
                    conn.exec_driver_sql(f'CREATE DATABASE "{databases[-1]}"')
                own["HUB_DATABASE_URL"] = env["HUB_DATABASE_URL"].rsplit("/", 1)[0] + "/" \
                    + databases[-1]
            code = {**os.environ, **env, **own, "PYTHONPATH": str(Path(checkout).resolve())}
            for command in (("init",), ("members", "load", str(NETWORK), "--credentials-dir",
                                        str(Path(own["HUB_DATA_DIR"]) / "credentials"))):
                subprocess.run(capactif_command(*command), env=code, check=True,
                               capture_output=True, timeout=300)
            stores[f"code {checkout}"] = own
        yield stores
    finally:
        for database in databases:
            with _admin() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@contextlib.contextmanager
def _admin() -> Iterator[sa.Connection]:
    admin = sa.create_engine(PG, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            yield conn
    finally:
        admin.dispose()


def _compare(name: str, env: dict[str, str], logs: Path, args: argparse.Namespace,
             stores: dict[str, dict[str, str]]) -> None:
    """Embedded, several variants in one run: each round measures the API alone, then with
    the worker in each variant, the variants' order turning round by round so that none
    always meets the larger database or the same moment of the machine."""
    variants = _variants(args)
    labels = list(variants)
    alone: list[float] = []
    beside: dict[str, list[float]] = {label: [] for label in labels}
    ones: dict[str, list[float]] = {label: [] for label in labels}
    cpu: dict[str, list[dict[str, float]]] = {label: [] for label in labels}
    for n in range(args.rounds):
        documents = workload(f"R{n}", args.fiches, seed=n)
        part = len(documents) // (len(labels) + 1)
        parts = [documents[k * part:(k + 1) * part] for k in range(len(labels) + 1)]
        alone.append(measure_hub_rate(env, logs, parts[0], args.batch, workers=0)[1])
        turn = n % len(labels)
        for k, label in enumerate(labels[turn:] + labels[:turn]):
            rate, push = measure_hub_rate({**env, **variants[label], **stores.get(label, {})},
                                          logs, parts[k + 1], args.batch)
            ones[label].append(rate)
            beside[label].append(push)
            cpu[label].append(CPU_PER_FICHE[1].pop())
    print(f"{name:<28} rounds: push alone {_rounded(alone)} /s", flush=True)
    for label in labels:
        _print_embedded(name, label, alone, beside[label], ones[label])
        print(f"{name:<28} {label}: CPU ms per fiche, worker "
              f"{_median([s['workers'] for s in cpu[label]]):.2f}, API "
              f"{_median([s['api'] for s in cpu[label]]):.3f} (the API beside the worker)",
              flush=True)
    CPU_PER_FICHE.clear()


def _compare_scale(name: str, env: dict[str, str], logs: Path, args: argparse.Namespace,
                   stores: dict[str, dict[str, str]]) -> None:
    """Scale, several variants in one run: each round measures the no-op, then each
    variant with one worker and with two (after the upkeep), the variants' order turning
    round by round and one or two workers first every other round."""
    variants = _variants(args)
    labels = list(variants)
    noops: list[float] = []
    ones: dict[str, list[float]] = {label: [] for label in labels}
    twos: dict[str, list[float]] = {label: [] for label in labels}
    cpu: dict[tuple[str, int], list[dict[str, float]]] = {}
    written = dict.fromkeys(labels, 0)  # by the variant's store
    for n in range(args.rounds):
        if args.tasks:  # --tasks 0: no no-op (its last task would never write the marker)
            noops.append(measure_noop_rate(env, logs, args.tasks))
        documents = workload(f"R{n}", args.fiches, seed=n)
        part = len(documents) // (2 * len(labels))
        turn = n % len(labels)
        for k, label in enumerate(labels[turn:] + labels[:turn]):
            variant = {**env, **variants[label], **stores.get(label, {})}
            for m, workers in enumerate((1, 2) if n % 2 == 0 else (2, 1)):
                if not args.never_analysed:
                    upkeep(variant, written[label])
                half = documents[(2 * k + m) * part:(2 * k + m + 1) * part]
                written[label] = len(half)
                rate = measure_hub_rate(variant, logs, half, args.batch, workers=workers)[0]
                (ones if workers == 1 else twos)[label].append(rate)
                cpu.setdefault((label, workers), []).append(CPU_PER_FICHE[workers].pop())
    noop = _median(noops) if noops else float("nan")
    print(f"{name:<28} rounds: no-op {_rounded(noops)} tasks/s", flush=True)
    for label in labels:
        one, two = _median(ones[label]), _median(twos[label])
        print(f"{name:<28} {label}: rounds 1 worker {_rounded(ones[label])}, 2 workers "
              f"{_rounded(twos[label])} fiches/s", flush=True)
        print(f"{name:<28} {label}: 1 worker / no-op {one / noop:5.2f}   2 workers / 1 "
              f"{two / one:5.2f}   CPU ms a fiche (all sides) 1 worker "
              f"{_median([sum(s.values()) for s in cpu[(label, 1)]]):.2f}, 2 workers "
              f"{_median([sum(s.values()) for s in cpu[(label, 2)]]):.2f}", flush=True)
        for workers in (1, 2):
            sides = ", ".join(f"{side} {_median([s[side] for s in cpu[(label, workers)]]):.3f}"
                              for side in ("api", "workers", "postgresql"))
            print(f"{name:<28} {label}: CPU ms a fiche with {workers} worker(s): {sides}",
                  flush=True)
    CPU_PER_FICHE.clear()
    UPKEEP_PER_FICHE.clear()


def _print_embedded(name: str, label: str, alone: list[float], beside: list[float],
                    ones: list[float]) -> None:
    """The API's ingest rate with the worker running against alone (the issue's "ingest
    keeps its rate") and the worker's own rate meanwhile (push to processed)."""
    print(f"{name:<28} {label}: rounds push with worker {_rounded(beside)}, processed "
          f"{_rounded(ones)} fiches/s", flush=True)
    print(f"{name:<28} {label}: API ingest while the worker runs {_median(beside):6.0f} "
          f"fiches/s, alone {_median(alone):6.0f}   ratio {_median(beside) / _median(alone):5.2f}"
          f"; worker processed {_median(ones):5.0f} fiches/s (push to processed)", flush=True)


def _print_retries(name: str, logs: Path) -> None:
    """With --log-level INFO: the hub workers' batches retried, by cause (a lock or
    statement timeout, StoreTimeout, is retried like an outage; Celery logs each retry
    at INFO only)."""
    causes: dict[str, int] = {}
    for log in sorted(logs.glob("hub-worker-*.log")):
        for line in log.read_text(errors="replace").splitlines():
            if "hub.process_outbox" in line and " retry: Retry in " in line:
                cause = line.rsplit(": ", 1)[-1].split("(", 1)[0]
                causes[cause] = causes.get(cause, 0) + 1
    if any(logs.glob("hub-worker-*.log")):
        print(f"{name:<28} batches retried by the hub workers (all rounds): "
              f"{sum(causes.values())} {causes}", flush=True)


def _print_cpu(name: str, noop: float) -> None:
    """Median CPU ms per fiche of each side, by number of workers (0: the API alone), and
    the budget: the CPU a fiche may cost, all sides together, for this machine's cores to
    carry the target rate (TARGET x the no-op rate) if nothing else ran on them."""
    cores = os.cpu_count() or 1
    budget = 1000 * cores / (TARGET * noop) if noop else 0.0
    for workers, samples in sorted(CPU_PER_FICHE.items()):
        medians = {side: _median([s[side] for s in samples]) for side in samples[0]}
        sides = ", ".join(f"{side} {value:.2f}" for side, value in medians.items())
        total = sum(medians.values())
        print(f"{name:<28} CPU ms per fiche with {workers} worker(s): {sides}; "
              f"total {total:.2f}" + (f" (budget for {TARGET}x the no-op on {cores} cores: "
                                      f"{budget:.2f}, so at most {1000 * cores / total:.0f} "
                                      f"fiches/s)" if workers and noop else ""), flush=True)
    CPU_PER_FICHE.clear()
    if UPKEEP_PER_FICHE:
        print(f"{name:<28} upkeep (VACUUM ANALYZE before each measurement, as autovacuum): "
              f"PostgreSQL CPU ms per fiche written, median {_median(UPKEEP_PER_FICHE):.2f} "
              f"{[round(v, 2) for v in UPKEEP_PER_FICHE]}", flush=True)
    UPKEEP_PER_FICHE.clear()


def _audit_ratio(name: str, env: dict[str, str], logs: Path, args: argparse.Namespace) -> None:
    """Off/on rounds in one database, each side's best rate compared."""
    noop = measure_noop_rate(env, logs, args.tasks)
    off_env = {**env, "HUB_BENCH_DISABLE_AUDIT": "1"}
    offs, ons = [], []
    for n in range(args.rounds):
        offs.append(measure_hub_rate(off_env, logs, workload(f"N{n}", args.fiches, n), args.batch)[0])
        ons.append(measure_hub_rate(env, logs, workload(f"A{n}", args.fiches, n), args.batch)[0])
    unaudited, rate = max(offs), max(ons)
    print(f"{'':<28} rounds audit off {_rounded(offs)} on {_rounded(ons)}")
    print(f"{name:<28} hub end-to-end {rate:8.0f} fiches/s   bare no-op task {noop:8.0f} tasks/s"
          f"   ratio {rate / noop:5.2f}", flush=True)
    print(f"{'':<28} audit off       {unaudited:8.0f} fiches/s   ratio audit on/off "
          f"{rate / unaudited:5.2f} (audit costs {100 * (1 - rate / unaudited):4.1f}%)",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fiches", type=int, default=3000, help="fiches per round (split "
                        "between the two measurements of a round)")
    parser.add_argument("--tasks", type=int, default=3000,
                        help="bare no-op tasks a round (0: no no-op measurement)")
    parser.add_argument("--sizes", type=lambda text: [int(v) for v in text.split(",")],
                        default=[], help="embedded: worker transaction sizes compared in "
                        "the same run (e.g. 25,10; default: the settings')")
    parser.add_argument("--claims", type=lambda text: [int(v) for v in text.split(",")],
                        default=[], help="outbox rows a worker transaction claims at most "
                        "(HUB_WORKER_CLAIM_SIZE) compared in the same run (e.g. 100,500)")
    parser.add_argument("--checkouts", type=lambda text: text.split(","), default=[],
                        help="checkouts compared in the same run, each variant's API and "
                        "worker(s) running that checkout's code (PYTHONPATH)")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--embedded-only", action="store_true")
    parser.add_argument("--scale-only", action="store_true")
    parser.add_argument("--audit-ratio", action="store_true",
                        help="also measure with the access log off (same run, same database)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds")
    parser.add_argument("--log-level", default="WARNING", choices=["WARNING", "INFO"],
                        help="INFO: also count the batches the workers retried (slower)")
    parser.add_argument("--never-analysed", action="store_true",
                        help="scale: no VACUUM ANALYZE before the measurements (autovacuum "
                        "off, tables never analysed: the harder case)")
    args = parser.parse_args()
    args.checkouts = [str(Path(checkout).resolve()) for checkout in args.checkouts]
    print(f"ingest: {args.fiches} fiches per round (mostly new porteurs) in batches of "
          f"{args.batch} (HTTP push -> processed) vs {args.tasks} bare Celery no-op tasks, "
          f"one worker process each unless said; {args.rounds} alternating rounds"
          + ("; scale: tables never analysed" if args.never_analysed else
             "; scale: VACUUM ANALYZE before each measurement"))
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        # The hub's processes start with `python -m`, which puts the working directory
        # before PYTHONPATH: run from inside a checkout, every variant ran that checkout.
        os.chdir(base)
        env = {"HUB_DATA_DIR": str(base / "embedded"), "HUB_PORT": str(free_port()),
               "HUB_LOG_LEVEL": args.log_level, "HUB_DATABASE_URL": "", "HUB_BROKER_URL": ""}
        if not args.scale_only:
            run_mode("embedded (SQLite, files)", env, base / "embedded", args)
        if not args.embedded_only:
            db = f"bench_{uuid.uuid4().hex[:8]}"
            admin = sa.create_engine(PG, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{db}"')
            try:
                env = {"HUB_DATA_DIR": str(base / "scale"), "HUB_PORT": str(free_port()),
                       "HUB_LOG_LEVEL": args.log_level, "HUB_DATABASE_URL": PG.rsplit("/", 1)[0] + "/" + db,
                       "HUB_BROKER_URL": "redis://127.0.0.1:6379/0",
                       "HUB_QUEUE_NAME": f"bench-{uuid.uuid4().hex[:8]}"}
                run_mode("scale (PostgreSQL, Redis)", env, base / "scale", args)
            finally:
                with admin.connect() as conn:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
                admin.dispose()


if __name__ == "__main__":
    main()
