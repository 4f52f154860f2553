"""What an idle worker's timers cost a tick (`hub.services.ops.worker_timers`): the CPU
of the timer's thread (`time.thread_time`) for one webhook dispatch and one outbox sweep
with nothing to do, against a baseline of the bare query the dispatch asks (due
recipients) run on a connection already open. Ticks are spaced like a timer's (not back
to back), each arm in turn, and the medians of the rounds compared.

    .venv/bin/python bench/worker_timers_idle.py [--db sqlite|postgresql|both]
                                                 [--ticks 40] [--spacing 0.1] [--rounds 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.append(str(Path(__file__).resolve().parent))

from _stores import each_store

from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.delivery import webhooks
from hub.services.ingest import processing
from hub.services.ops.worker_timers import WorkerTimer
from hub.store.delivery_repository import Deliveries
from tests.fakes.publisher import RecordingPublisher


def _never_stopping(_wait_s: float) -> bool:
    return False


def per_tick_ms(tick: Callable[[], object], ticks: int, spacing_s: float) -> float:
    """The thread's CPU for one tick, in ms (the median of `ticks` spaced ticks)."""
    spent = []
    for _ in range(ticks):
        time.sleep(spacing_s)
        before = time.thread_time()
        tick()
        spent.append(time.thread_time() - before)
    return statistics.median(spent) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--ticks", type=int, default=40)
    parser.add_argument("--spacing", type=float, default=0.1)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for name, url, folder in each_store(args.db):
        results = measure(url, folder, args.ticks, args.spacing, args.rounds)
        baseline = statistics.median(next(iter(results.values())))
        print(f"{name}: CPU of the timer's thread a tick (median of {args.rounds} rounds of "
              f"{args.ticks} ticks {args.spacing:g} s apart)")
        for arm, values in results.items():
            median = statistics.median(values)
            print(f"  {arm:<46} {median:7.3f} ms   ratio {median / baseline:5.2f}")


def measure(url: str, folder: str, ticks: int, spacing_s: float, rounds: int
            ) -> dict[str, list[float]]:
    """Each arm's CPU a tick (ms), a value a round; the baseline first."""
    settings = Settings.from_env({"HUB_DATABASE_URL": url, "HUB_DATA_DIR": folder,
                                  "HUB_SWEEP_INTERVAL_S": "3600"})
    hub = Hub.from_settings(settings, publisher=RecordingPublisher())
    dispatch = WorkerTimer("webhook dispatch", lambda: webhooks.start_dispatch(hub), 1,
                           _never_stopping)
    sweep = WorkerTimer("outbox sweep", lambda: processing.sweep_outbox_in_turn(hub), 1,
                        _never_stopping)
    processing.sweep_outbox_in_turn(hub)  # the turn taken: the next hour's ticks pass
    now = dt.datetime.now(dt.UTC)
    try:
        with hub.engine.connect() as conn:
            due = Deliveries(conn, None)  # type: ignore[arg-type]  # reads no sealed column
            arms: dict[str, Callable[[], object]] = {
                "bare query (due recipients, connection open)": lambda: due.due_recipients(now),
                "dispatch tick": dispatch.tick,
                "sweep tick (another worker's turn)": sweep.tick,
            }
            for tick in arms.values():
                tick()  # warm
            results: dict[str, list[float]] = {arm: [] for arm in arms}
            for _ in range(rounds):
                for arm, tick in arms.items():
                    results[arm].append(per_tick_ms(tick, ticks, spacing_s))
                conn.rollback()
    finally:
        hub.close()
    return results

if __name__ == "__main__":
    main()
