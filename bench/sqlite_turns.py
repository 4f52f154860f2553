"""What a bounded wait for a SQLite writer's turn costs: writer processes committing tiny
transactions back to back on one SQLite file, so that every transaction hands the turn
over. Baseline: the turn waited for in a blocking `flock` (no limit, `lock_s=0`, as
before the wait was bounded); against it, the bounded wait of the default deadline (a
`flock(LOCK_NB)` polled at a twentieth of the time waited). Rounds alternate which goes
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
    from hub.store.deadlines import Deadlines
    from hub.store.engine import create_engine
    engine = create_engine(sys.argv[1], deadlines=Deadlines(lock_s=float(sys.argv[2])))
    sys.stdin.readline()  # all writers start together
    for i in range(int(sys.argv[3])):
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO turns (writer) VALUES (?)", (sys.argv[4],))
""")

ARMS = {"blocking turn (no limit)": 0.0, "bounded turn (10 s)": 10.0}


def rate(folder: Path, lock_s: float, writers: int, transactions: int) -> float:
    """Transactions per second of all writers together."""
    url = f"sqlite:///{folder / f'turns-{time.monotonic_ns()}.sqlite3'}"
    engine = create_engine(url, deadlines=Deadlines(lock_s=lock_s))
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE turns (id INTEGER PRIMARY KEY, writer TEXT)")
    engine.dispose()
    processes = [subprocess.Popen(
        [sys.executable, "-c", _WRITER, url, str(lock_s), str(transactions), str(n)],
        stdin=subprocess.PIPE, text=True, cwd=ROOT) for n in range(writers)]
    time.sleep(1.0)  # imports done
    started = time.perf_counter()
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()
    for process in processes:
        assert process.wait() == 0
    return writers * transactions / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--transactions", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    rates: dict[str, list[float]] = {name: [] for name in ARMS}
    with tempfile.TemporaryDirectory() as folder:
        for round_ in range(args.rounds):
            order = list(ARMS) if round_ % 2 == 0 else list(reversed(ARMS))
            for name in order:
                rates[name].append(rate(Path(folder), ARMS[name], args.writers, args.transactions))
            print(f"round {round_ + 1}: " + ", ".join(
                f"{name} {values[-1]:.0f}/s" for name, values in rates.items()), flush=True)
    medians = {name: statistics.median(values) for name, values in rates.items()}
    for name, value in medians.items():
        print(f"{name}: median {value:.0f} transactions/s")
    baseline, bounded = (medians[name] for name in ARMS)
    print(f"ratio bounded/blocking: {bounded / baseline:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
