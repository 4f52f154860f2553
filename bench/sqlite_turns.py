"""What a bounded wait for a SQLite writer's turn costs: writer processes committing tiny
transactions back to back on one SQLite file, so that every transaction hands the turn
over. Baseline: the turn waited for in a blocking `flock` (no limit, `lock_s=0`, as
before the wait was bounded); against it, the bounded wait of the default deadline (a
`flock(LOCK_NB)` polled every 0.5 ms, every 5 ms past a second of waiting). Rounds alternate which goes
first; the medians are compared.

    .venv/bin/python bench/sqlite_turns.py [--writers 2] [--transactions 1500] [--rounds 6]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hub.store.deadlines import Deadlines
from hub.store.engine import create_engine

ROOT = Path(__file__).resolve().parents[1]

_WRITER = textwrap.dedent("""
    import sys
    import time
    from hub.store.deadlines import Deadlines
    from hub.store.engine import create_engine
    engine = create_engine(sys.argv[1], deadlines=Deadlines(lock_s=float(sys.argv[2])))
    sys.stdin.readline()  # all writers start together
    hold_s, pause_s = float(sys.argv[5]), float(sys.argv[6])
    waits = []
    for i in range(int(sys.argv[3])):
        asked = time.perf_counter()
        with engine.begin() as conn:
            waits.append(time.perf_counter() - asked)
            conn.exec_driver_sql("INSERT INTO turns (writer) VALUES (?)", (sys.argv[4],))
            time.sleep(hold_s)
        time.sleep(pause_s)
    print(max(waits))
""")

ARMS = {"blocking turn (no limit)": 0.0, "bounded turn (10 s)": 10.0}


def rate(folder: Path, lock_s: float, writers: int, transactions: int,
         hold_s: float = 0.0) -> tuple[float, float]:
    """Transactions per second of all writers together, and the longest wait for a turn
    of the last writer: with `hold_s`, the others hold each turn that long back to back
    while the last one asks for a short turn every 20 ms (a request among batches)."""
    url = f"sqlite:///{folder / f'turns-{time.monotonic_ns()}.sqlite3'}"
    engine = create_engine(url, deadlines=Deadlines(lock_s=lock_s))
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE turns (id INTEGER PRIMARY KEY, writer TEXT)")
    engine.dispose()
    last = writers - 1
    processes = [subprocess.Popen(
        [sys.executable, "-c", _WRITER, url, str(lock_s), str(transactions), str(n),
         str(0.0 if n == last else hold_s), str(0.02 if hold_s and n == last else 0.0)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        for n in range(writers)]
    time.sleep(1.0)  # imports done
    started = time.perf_counter()
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    longest = [float(process.communicate()[0]) for process in processes]
    assert all(process.returncode == 0 for process in processes)
    return writers * transactions / (time.perf_counter() - started), longest[last]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--transactions", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--hold-ms", type=float, default=0.0,
                        help="each writer but the last holds its turn this long (e.g. 10 "
                             "with --writers 4): the last one's longest wait is printed")
    args = parser.parse_args()
    rates: dict[str, list[float]] = {name: [] for name in ARMS}
    longest: dict[str, list[float]] = {name: [] for name in ARMS}
    with tempfile.TemporaryDirectory() as folder:
        for round_ in range(args.rounds):
            order = list(ARMS) if round_ % 2 == 0 else list(reversed(ARMS))
            for name in order:
                done, waited = rate(Path(folder), ARMS[name], args.writers, args.transactions,
                                    args.hold_ms / 1000)
                rates[name].append(done)
                longest[name].append(waited)
            print(f"round {round_ + 1}: " + ", ".join(
                f"{name} {rates[name][-1]:.0f}/s, last writer's longest wait "
                f"{longest[name][-1] * 1000:.0f} ms" for name in ARMS), flush=True)
    medians = {name: statistics.median(values) for name, values in rates.items()}
    for name, value in medians.items():
        print(f"{name}: median {value:.0f} transactions/s")
    baseline, bounded = (medians[name] for name in ARMS)
    print(f"ratio bounded/blocking: {bounded / baseline:.3f}")
    waits = {name: statistics.median(values) for name, values in longest.items()}
    print("last writer's longest wait, median of rounds: " + ", ".join(
        f"{name} {value * 1000:.0f} ms" for name, value in waits.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
