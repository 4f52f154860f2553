"""Two workers in one process (not a benchmark: a tool to see why two workers do not
double the rate). Pushes --fiches fiches through the ingest service after --preload
processed ones, then two threads process the outbox in tasks of --task ids, as two
worker processes take tasks off one queue, counting transactions and fiches put back
because the other worker held one of their matching keys.

    .venv/bin/python bench/_two_workers.py [--fiches 2000] [--preload 3000] [--task 500]
                                           [--workers 2] [--cap 50]
"""

from __future__ import annotations

import argparse
import queue
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _cpu_meter as cpu_meter
from _stores import postgres_url
from ingest import MEMBER, NETWORK, workload

from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.accounts.auth import Caller
from hub.services.accounts.members import load_network
from hub.services.ingest import processing
from hub.services.ingest.accept import push_batch
from hub.services.ops.admin import initialise
from tests.factories import record_consents
from tests.fakes.publisher import RecordingPublisher


def _counting_chunks() -> dict[str, int]:
    """Counts of transactions and of fiches put back, by wrapping `_process_chunk`."""
    counts = {"transactions": 0, "put_back": 0, "empty": 0}
    lock = threading.Lock()
    original = processing._process_chunk

    def counted(hub, outbox_ids, *, wait):  # type: ignore[no-untyped-def]
        outcome, deferred = original(hub, outbox_ids, wait=wait)
        with lock:
            counts["transactions"] += 1
            counts["put_back"] += len(deferred)
            counts["empty"] += outcome.claimed == 0
        return outcome, deferred

    processing._process_chunk = counted  # type: ignore[assignment]
    return counts


def _push(hub: Hub, caller: Caller, publisher: RecordingPublisher, documents: list[dict]
          ) -> list[int]:
    record_consents(hub, documents)
    publisher.sent.clear()
    for start in range(0, len(documents), 500):
        push_batch(hub, caller, documents[start:start + 500])
    return [i for batch in publisher.published for i in batch]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fiches", type=int, default=2000)
    parser.add_argument("--preload", type=int, default=3000)
    parser.add_argument("--task", type=int, default=500, help="outbox ids per task")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cap", type=int, default=50, help="HUB_MATCH_CANDIDATES_PER_KEY "
                        "(smaller: more keys over the cap, as in a larger index)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, postgres_url(migrate=False) as url:
        settings = Settings.from_env({"HUB_DATA_DIR": str(Path(tmp) / "data"),
                                      "HUB_LOG_LEVEL": "WARNING", "HUB_DATABASE_URL": url,
                                      "HUB_MATCH_CANDIDATES_PER_KEY": str(args.cap)})
        initialise(settings)
        publisher = RecordingPublisher()
        hubs = [Hub.from_settings(settings, publisher=publisher)
                for _ in range(args.workers)]
        load_network(hubs[0], NETWORK, settings.data_dir / "credentials")
        with hubs[0].uow() as uow:
            member = next(m for m in uow.members.all() if m.id == MEMBER)
        caller = Caller(member.id, member.name, member.kind, member.role)
        preload = _push(hubs[0], caller, publisher, workload("W", args.preload, seed=1))
        for start in range(0, len(preload), args.task):
            processing.process_outbox(hubs[0], preload[start:start + args.task])
        ids = _push(hubs[0], caller, publisher, workload("P", args.fiches, seed=2))
        tasks: queue.Queue[list[int]] = queue.Queue()
        for start in range(0, len(ids), args.task):
            tasks.put(ids[start:start + args.task])
        counts = _counting_chunks()

        def work(hub: Hub) -> None:
            while True:
                try:
                    task = tasks.get_nowait()
                except queue.Empty:
                    return
                processing.process_outbox(hub, task)

        threads = [threading.Thread(target=work, args=(hub,)) for hub in hubs]
        started, cpu0 = time.perf_counter(), time.process_time()
        backend0 = cpu_meter.backend_cpu(hubs[0].engine)
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu0
        backend = cpu_meter.backend_cpu(hubs[0].engine) - backend0
        size = settings.transaction_size
        print(f"{len(ids)} fiches, {args.workers} workers, tasks of {args.task}: "
              f"{counts['transactions']} transactions (at least {-(-len(ids) // size)}), "
              f"{counts['put_back']} fiches put back, {counts['empty']} transactions "
              f"that took no fiche; wall {wall:.2f} s; CPU ms per fiche: workers "
              f"{1000 * cpu / len(ids):.3f}, database {1000 * backend / len(ids):.3f}")
        for hub in hubs:
            hub.close()


if __name__ == "__main__":
    main()
