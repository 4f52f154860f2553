"""Train the matching model shipped with the hub (hub/domain/matching/default_model.json).

    .venv/bin/python bench/train_model.py                 # 20,000 synthetic records
    .venv/bin/python bench/train_model.py --other-scripts 0   # no name in another script
    .venv/bin/python bench/train_model.py --size 50000 --output /tmp/model.json

Unsupervised, as `capactif dedup --model-out` does on a real file: u by random
pairs, m and the prior by EM on the blocked pairs, name frequencies. It is trained
on the synthetic French population of the benchmarks (seeded), so the shipped file
holds no real person's name. A network re-trains it on its own history with
`capactif dedup --input people.csv --output clusters.csv --model-out model.json`,
refines m with the coordinators' decisions (`capactif dedup-feedback`), and points
the hub at the file with HUB_MATCHING_MODEL_FILE.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _population import COLUMNS, generate

from hub.services.matching.dedup_batch import run_batch

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "hub/domain/matching/default_model.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--other-scripts", type=float, default=0.05, metavar="SHARE",
                        help="the share of households named in Cyrillic, Greek, Arabic or "
                             "Chinese (`_population.generate`)")
    args = parser.parse_args(argv)
    rows, _truth = generate(args.size, seed=args.seed, other_scripts=args.other_scripts)
    with tempfile.TemporaryDirectory() as tmp:
        people = Path(tmp) / "people.csv"
        with people.open("w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
        summary = run_batch(people, Path(tmp) / "clusters.csv", model_out=args.output)
    print(f"model written to {args.output}: {summary}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
