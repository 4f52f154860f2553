"""Ingest throughput: accepted fiches per second from the HTTP API to processed,
beside the rate of a bare Celery no-op task on the same broker, measured in the
same run. Embedded mode (SQLite + file-system broker) and, unless --embedded-only,
scale mode (PostgreSQL + Redis at 127.0.0.1).

    .venv/bin/python bench/ingest.py [--fiches 10000] [--tasks 3000] [--embedded-only]
                                     [--audit-ratio]

With --audit-ratio the hub rate is also measured with the access log switched off
(HUB_BENCH_DISABLE_AUDIT=1, a benchmark-only setting) in the same run and database:
--rounds off/on pairs alternate (so neither side always meets the larger database) and
each side's best rate is compared.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa

from connectors.client import HubClient
from hub.bootstrap import Hub, create_celery
from hub.config import Settings
from hub.demo.population import Population
from hub.demo.processes import free_port, running, start_api, start_worker
from hub.services.admin import initialise
from hub.services.members import load_network
from hub.services.processing import pipeline_status
from hub.services.publisher import RecordingPublisher
from tests.factories import record_consents

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


def measure_hub_rate(env: dict[str, str], logs: Path, fiches: int, batch: int,
                     prefix: str = "B") -> float:
    settings = Settings.from_env(env)
    observer = Hub.from_settings(settings, publisher=RecordingPublisher())
    credentials = json.loads((settings.data_dir / "credentials" / f"{MEMBER}.json").read_text())
    population = Population(seed=7)
    porteurs = [population.porteur() for _ in range(200)]
    documents = [population.fiche(MEMBER, f"{prefix}-{n:07d}", porteurs[n % 200])
                 for n in range(fiches)]
    record_consents(observer, documents)  # recorded before the clock starts
    target = pipeline_status(observer)["processed"] + fiches
    port = int(env["HUB_PORT"])
    with running([start_api(env, logs, port), start_worker(env, logs, "hub-worker")]):
        client = HubClient(f"http://127.0.0.1:{port}", MEMBER, credentials["token"],
                           credentials["cle_privee"])
        client.push_fiches(documents[:1])  # warm-up, counted in the total below
        started = time.perf_counter()
        for start in range(1, fiches, batch):
            client.push_fiches(documents[start:start + batch])
        while pipeline_status(observer)["processed"] < target:
            if time.perf_counter() - started > 600:
                raise TimeoutError("fiches not processed within 10 minutes")
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
    observer.close()
    return (fiches - 1) / elapsed


def _wait_file(path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no marker {path}")
        time.sleep(0.01)


def run_mode(name: str, env: dict[str, str], base: Path, args: argparse.Namespace) -> None:
    settings = Settings.from_env(env)
    initialise(settings)
    hub = Hub.from_settings(settings, publisher=RecordingPublisher())
    load_network(hub, NETWORK, settings.data_dir / "credentials")
    hub.close()
    logs = base / "logs"
    noop = measure_noop_rate(env, logs, args.tasks)
    unaudited = None
    if args.audit_ratio:  # alternate off/on rounds in one database; keep each side's best
        off_env = {**env, "HUB_BENCH_DISABLE_AUDIT": "1"}
        offs, ons = [], []
        for round_number in range(args.rounds):
            offs.append(measure_hub_rate(off_env, logs, args.fiches, args.batch, f"N{round_number}"))
            ons.append(measure_hub_rate(env, logs, args.fiches, args.batch, f"A{round_number}"))
        unaudited, rate = max(offs), max(ons)
        print(f"{'':<28} rounds audit off {[round(r) for r in offs]} on {[round(r) for r in ons]}")
    else:
        rate = measure_hub_rate(env, logs, args.fiches, args.batch)
    print(f"{name:<28} hub end-to-end {rate:8.0f} fiches/s   bare no-op task {noop:8.0f} tasks/s"
          f"   ratio {rate / noop:5.2f}", flush=True)
    if unaudited:
        print(f"{'':<28} audit off       {unaudited:8.0f} fiches/s   ratio audit on/off "
              f"{rate / unaudited:5.2f} (audit costs {100 * (1 - rate / unaudited):4.1f}%)",
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fiches", type=int, default=10000)
    parser.add_argument("--tasks", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--embedded-only", action="store_true")
    parser.add_argument("--audit-ratio", action="store_true",
                        help="also measure with the access log off (same run, same database)")
    parser.add_argument("--rounds", type=int, default=2, help="off/on rounds with --audit-ratio")
    args = parser.parse_args()
    print(f"ingest: {args.fiches} fiches in batches of {args.batch} (HTTP push -> processed) "
          f"vs {args.tasks} bare Celery no-op tasks, one worker process each")
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        env = {"HUB_DATA_DIR": str(base / "embedded"), "HUB_PORT": str(free_port()),
               "HUB_LOG_LEVEL": "WARNING", "HUB_DATABASE_URL": "", "HUB_BROKER_URL": ""}
        run_mode("embedded (SQLite, files)", env, base / "embedded", args)
        if not args.embedded_only:
            db = f"bench_{uuid.uuid4().hex[:8]}"
            admin = sa.create_engine(PG, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{db}"')
            try:
                env = {"HUB_DATA_DIR": str(base / "scale"), "HUB_PORT": str(free_port()),
                       "HUB_LOG_LEVEL": "WARNING", "HUB_DATABASE_URL": PG.rsplit("/", 1)[0] + "/" + db,
                       "HUB_BROKER_URL": "redis://127.0.0.1:6379/0",
                       "HUB_QUEUE_NAME": f"bench-{uuid.uuid4().hex[:8]}"}
                run_mode("scale (PostgreSQL, Redis)", env, base / "scale", args)
            finally:
                with admin.connect() as conn:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
                admin.dispose()


if __name__ == "__main__":
    main()
