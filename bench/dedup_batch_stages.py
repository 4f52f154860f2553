"""CPU seconds of the batch dedup stage by stage, and its peak memory, for checkouts compared
in the same run.

    nice -n 5 .venv/bin/python bench/dedup_batch_stages.py --size 300000 \\
        --checkouts /work/main,.              # main against this tree, alternated
    .venv/bin/python bench/dedup_batch_stages.py --size 100000 --rounds 2

One people CSV is generated (`bench/_population.py`, seed 11, as `dedup_speed.py --batch`),
then `run_batch` runs on it in a fresh process per checkout and round (that checkout's
code on PYTHONPATH; rounds alternate the order: ABBA), each timing its stages: CPU
seconds (user + system, its forked workers' included: `os.times`) of each stage's own
work (the stages it calls are counted apart), so the machine's load moves wall time, not
these. Per checkout: every round's stages, the total, the ratio to the first checkout's,
peak RSS (the largest of the process and its workers), candidate and review pairs, EM
iterations. With one checkout (the default: this one) it profiles that one.
"""

from __future__ import annotations

import argparse
import csv
import functools
import importlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parent))

# stage: (module, attribute) of each function counted under it; the batch's module imports
# most of them by name, so they are replaced where it reads them.
_BATCH = "hub.services.matching.dedup_batch"
_TRAINING = "hub.domain.matching.training"
_PAIRS = "hub.services.matching.pair_arrays"
_PARALLEL = "hub.services.matching.dedup_parallel"
STAGES: dict[str, list[tuple[str, str]]] = {
    "read CSV": [(_BATCH, "read_people_file")],
    "normalise": [(_BATCH, "normalise_rows")],
    "candidate pairs (blocking)": [(_BATCH, "candidate_pairs_for_training")],
    "blocking: keys hashed": [(_PAIRS, "_keys")],
    "blocking: whole blocks' pairs": [(_PAIRS, "_block_pairs")],
    "blocking: windows' pairs": [(_PAIRS, "_window_pairs")],
    "compare pairs (patterns)": [(_BATCH, "compare_pairs")],
    "compare: value numbers": [(_PARALLEL, "value_ids")],
    "train: u by random pairs": [(_TRAINING, "estimate_u")],
    "train: EM": [(_TRAINING, "expectation_maximisation")],
    "train: term frequencies": [(_TRAINING, "term_frequencies")],
    "train: rest": [(_BATCH, "_learn")],
    "score pairs": [(_BATCH, "score_pairs")],
    "score: total weights": [("hub.services.matching.pair_scoring", "total_weights")],
    "cluster": [(_BATCH, "cluster")],
    "write CSV": [(_BATCH, "write_rows"), (_BATCH, "_write_reviews")],
    "rest of run_batch": [(_BATCH, "run_batch")],
}
SPENT: Counter[str] = Counter()
CALLS: Counter[str] = Counter()
_STACK: list[list[float]] = []


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _wrap(label: str, function: Any) -> Any:
    @functools.wraps(function)
    def timed(*args: Any, **kwargs: Any) -> Any:
        _STACK.append([0.0])
        started = _cpu()
        try:
            return function(*args, **kwargs)
        finally:
            spent = _cpu() - started
            SPENT[label] += spent - _STACK.pop()[0]
            CALLS[label] += 1
            if _STACK:
                _STACK[-1][0] += spent
    return timed


def _install() -> None:
    for label, places in STAGES.items():
        for module_name, name in places:
            module = importlib.import_module(module_name)
            if hasattr(module, name):
                setattr(module, name, _wrap(label, getattr(module, name)))


def measure(people: Path) -> dict[str, Any]:
    """`run_batch` on `people` in this process, its stages timed."""
    _install()
    batch = importlib.import_module(_BATCH)
    started, wall = _cpu(), time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        summary = batch.run_batch(people, Path(tmp) / "out.csv",
                                  review_out=Path(tmp) / "reviews.csv")
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return {"stages": dict(SPENT), "calls": dict(CALLS), "cpu": _cpu() - started,
            "wall": time.perf_counter() - wall, "peak_mb": peak / 1024,
            "pairs": summary.candidate_pairs, "review": summary.review_pairs,
            "clusters": summary.clusters, "em": summary.em_iterations,
            "converged": summary.em_converged, "hub": importlib.import_module("hub").__file__}


def _run(checkout: Path, people: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    done = subprocess.run([sys.executable, str(HERE), "--measure", str(people)], env=env,
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _write(people: Path, size: int, seed: int) -> None:
    from _population import COLUMNS, generate

    rows, _truth = generate(size, seed=seed)
    with people.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--checkouts", type=lambda text: [Path(p).resolve() for p in
                                                          text.split(",")],
                        default=[HERE.parent.parent])
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        people = Path(tmp) / "people.csv"
        _write(people, args.size, args.seed)
        results: dict[Path, list[dict[str, Any]]] = {c: [] for c in args.checkouts}
        for round_ in range(args.rounds):
            order = args.checkouts if round_ % 2 == 0 else args.checkouts[::-1]
            for checkout in order:
                before = _load()
                found = _run(checkout, people)
                results[checkout].append(found)
                print(f"round {round_ + 1} {checkout}: {found['cpu']:.1f} CPU-s, "
                      f"{found['wall']:.1f} s wall, peak {found['peak_mb']:.0f} MB, "
                      f"{found['pairs']} pairs, {found['review']} review, EM {found['em']} "
                      f"(load {before} -> {_load()}; hub {found['hub']})", flush=True)
    _table(args.size, results)
    return 0


def _table(size: int, results: dict[Path, list[dict[str, Any]]]) -> None:
    labels = list(STAGES)
    print(f"\nbatch of {size} records: CPU-s by stage (own time, workers included), "
          "each round")
    print(f"  {'stage':30s} " + "  ".join(f"{c.name[:22]:>22s}" for c in results))
    for label in labels:
        cells = ["/".join(f"{r['stages'].get(label, 0.0):.1f}" for r in runs)
                 for runs in results.values()]
        print(f"  {label:30s} " + "  ".join(f"{cell:>22s}" for cell in cells))
    totals = {c: [r["cpu"] for r in runs] for c, runs in results.items()}
    print(f"  {'total':30s} " + "  ".join(
        f"{'/'.join(f'{t:.1f}' for t in ts):>22s}" for ts in totals.values()))
    first = min(next(iter(totals.values())))
    for checkout, ts in totals.items():
        runs = results[checkout]
        print(f"  {checkout}: best {min(ts):.1f} CPU-s, ratio to the first {min(ts) / first:.3f};"
              f" peak RSS {max(r['peak_mb'] for r in runs):.0f} MB")


if __name__ == "__main__":
    raise SystemExit(main())
