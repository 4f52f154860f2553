"""Whether this machine's cores slow each other down (not a benchmark of the hub: a probe
of the machine). A fixed piece of CPU work (Python, as the worker's; then hashing, as
the store's) is run by one process alone, then by as many processes as cores at once;
the CPU seconds each copy takes are compared. Cores of their own take the same CPU time
either way; two hardware threads of one core (a VM's two vCPUs often are) take more
each when both run. Rounds alternate. Meaningful only on an otherwise idle machine
(the load is printed): other processes keep the cores busy in both cases.

    .venv/bin/python bench/_core_sharing.py [--rounds 5] [--size 3000000]
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os
import statistics
import time


def _python_work(size: int) -> float:
    started = time.process_time()
    total, table = 0, {}
    for n in range(size):
        table[n & 1023] = total = (total * 31 + n) & 0xFFFF_FFFF
    return time.process_time() - started


def _hash_work(size: int) -> float:
    started = time.process_time()
    digest = b"x" * 64
    for _ in range(size // 4):
        digest = hashlib.sha256(digest * 16).digest()
    return time.process_time() - started


def _together(work, size: int, copies: int) -> list[float]:
    with multiprocessing.Pool(copies) as pool:
        return pool.map(work, [size] * copies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--size", type=int, default=3_000_000)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    for name, work in (("python", _python_work), ("sha256", _hash_work)):
        alone, together = [], []
        for n in range(args.rounds):
            for copies in ((1, cores) if n % 2 == 0 else (cores, 1)):
                spent = _together(work, args.size, copies)
                (alone if copies == 1 else together).extend(spent)
        a, t = statistics.median(alone), statistics.median(together)
        print(f"{name}: CPU s a copy alone {a:.3f}, {cores} at once {t:.3f}: x{t / a:.2f} "
              f"(load {os.getloadavg()[0]:.2f})", flush=True)


if __name__ == "__main__":
    main()
