"""The art. 15 access report with a long journal about one porteur: the report as it
reads the events now (a page at a time, folded as they come) beside the way it read them
before (`person_scope.events_about`: every event of the porteur in one list, sorted,
then folded), measured in the same run; both answers are checked equal.

    nice .venv/bin/python bench/access_report.py [--about 200000] [--rounds 3]
                                                 [--db sqlite|postgresql|both]

On the console world (tests/console_world.py), `--about` events about F-INSTALLE's
porteur are appended through the access log itself. Time: the median of `--rounds`
runs of each; memory: the peak of Python allocations (tracemalloc) during one run of
each. Ratios are the streamed report's over the former one's, with the machine's load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._stores import each_store
from bench.dpo_journal import _events
from hub.bootstrap import Hub
from hub.services.audit import person_scope, trail
from tests.console_world import build_world, console_hub
from tests.factories import Clock


def _streamed(hub: Hub, porteur_id: str) -> Callable[[], Any]:
    return lambda: trail._recipients(hub, person_scope.streamed_about(hub, porteur_id),
                                     person_scope.made_available(hub, porteur_id))


def _held_whole(hub: Hub, porteur_id: str) -> Callable[[], Any]:
    """The report as it was computed before: the porteur's events in one sorted list."""
    return lambda: trail._recipients(hub, person_scope.events_about(hub, porteur_id),
                                     person_scope.made_available(hub, porteur_id))


def _peak(call: Callable[[], Any]) -> tuple[Any, int]:
    tracemalloc.start()
    try:
        answer = call()
        return answer, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def run(url: str, folder: Path, args: argparse.Namespace) -> None:
    clock = Clock()
    hub = console_hub(url, folder, clock)
    try:
        porteur = build_world(hub, folder)["porteurs"]["F-INSTALLE"]
        started = time.perf_counter()
        _events(hub, porteur, args.about, clock(), ("cci-puy-de-dome", "F-INSTALLE"))
        print(f"  set-up {time.perf_counter() - started:.0f} s, "
              f"{hub.audit.count()} events in the journal")
        calls = {"streamed": _streamed(hub, porteur), "held whole": _held_whole(hub, porteur)}
        answers, peaks = {}, {}
        for name, call in calls.items():
            answers[name], peaks[name] = _peak(call)
        assert answers["streamed"] == answers["held whole"], "the answers differ"
        times: dict[str, list[float]] = {name: [] for name in calls}
        for _ in range(args.rounds):
            for name, call in calls.items():
                begin = time.perf_counter()
                call()
                times[name].append(time.perf_counter() - begin)
        for name in calls:
            print(f"  {name:11s} {statistics.median(times[name]) * 1000:8.0f} ms  "
                  f"peak {peaks[name] / 2**20:7.1f} MiB")
        time_ratio = statistics.median(times["streamed"]) / statistics.median(times["held whole"])
        print(f"  streamed / held whole: time ×{time_ratio:.2f}, "
              f"memory ×{peaks['streamed'] / peaks['held whole']:.3f} (answers equal)")
        print(f"  load {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        hub.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--about", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="postgresql")
    args = parser.parse_args()
    print(f"load before {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for name, url, folder in each_store(args.db):
        print(f"{name}: {args.about} events about one porteur")
        run(url, Path(folder), args)


if __name__ == "__main__":
    main()
