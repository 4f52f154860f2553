"""What a put costs in the worker's bounded memo of opened index rows (`IdentityMemo`)
once it is full, as it is in a worker after some 250 matches: every candidate a match
opens is put, and the oldest entry dropped. Baseline, in the same run: the same memo on
a plain dict dropping its first entry (`del memo[next(iter(memo))]`, the memo before),
whose first entry is found by walking past every slot emptied before it. Rounds
alternate which goes first; the medians are compared.

    .venv/bin/python bench/bounded_memo.py [--size 20000] [--puts 100000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hub.store.identity_memo import IdentityMemo


class PlainDictMemo:
    """The memo before: a plain dict, its first entry dropped."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._opened: dict[str, object] = {}

    def put(self, sealed: str, record: object) -> None:
        self._opened[sealed] = record
        while len(self._opened) > self._size:
            del self._opened[next(iter(self._opened))]


def microseconds_a_put(memo: IdentityMemo | PlainDictMemo, size: int, puts: int) -> float:
    """Fill the memo, then time `puts` puts of new sealed texts (each drops one)."""
    texts = [f"v1.{n:0300d}" for n in range(size + puts)]  # sealed texts are ~300 chars
    for text in texts[:size]:
        memo.put(text, None)  # type: ignore[arg-type]
    started = time.perf_counter()
    for text in texts[size:]:
        memo.put(text, None)  # type: ignore[arg-type]
    return (time.perf_counter() - started) / puts * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20_000, help="the memo's bound")
    parser.add_argument("--puts", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    found: dict[str, list[float]] = {"before": [], "after": []}
    for turn in range(args.rounds):
        for side in (("before", "after") if turn % 2 == 0 else ("after", "before")):
            memo = PlainDictMemo(args.size) if side == "before" else IdentityMemo(args.size)
            found[side].append(microseconds_a_put(memo, args.size, args.puts))
    before, after = (statistics.median(found[side]) for side in ("before", "after"))
    print(f"full memo of {args.size}, {args.puts} puts, medians of {args.rounds} rounds: "
          f"plain dict {before:.2f} us a put, IdentityMemo {after:.2f} us a put; "
          f"ratio after/before {after / before:.3f}; at 80 candidates a match: "
          f"{before * 80 / 1000:.2f} ms against {after * 80 / 1000:.2f} ms")


if __name__ == "__main__":
    main()
