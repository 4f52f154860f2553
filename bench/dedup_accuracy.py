"""Accuracy of the batch dedup against Splink, on one synthetic French population.

    .venv/bin/python bench/dedup_accuracy.py              # 10,000 records
    .venv/bin/python bench/dedup_accuracy.py --size 100000

Prints pairwise precision, recall and F1 of our clusters (auto-links only, what
`capactif dedup` writes), the precision of the auto-linked pairs, then the same
for Splink (Fellegi–Sunter, EM-trained m, u by random sampling, term-frequency
adjustments on names) on the same rows, same fields, in the same run. Splink
gets the usual preprocessing a Splink user would write (lower case, accents
stripped, dates to ISO, phone digits); it is installed only for this benchmark
(`.venv/bin/pip install splink==5.0.0`).
"""

from __future__ import annotations

import argparse
import csv
import logging
import re
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _population import COLUMNS, generate

from hub.domain.matching.normalise import parse_birth_date
from hub.services.dedup_batch import run_batch


def pairwise(predicted: Sequence[object], truth: Sequence[object]) -> tuple[float, float, float]:
    """Pairwise precision, recall, F1 of a clustering against the true persons."""

    def pairs(counter: Counter[object]) -> int:
        return sum(n * (n - 1) // 2 for n in counter.values())

    found = pairs(Counter(predicted))
    true = pairs(Counter(truth))
    hits = pairs(Counter(zip(predicted, truth, strict=True)))
    precision = hits / found if found else 1.0
    recall = hits / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def run_ours(rows: list[dict[str, str]], workdir: Path) -> tuple[list[str], float, object]:
    people = workdir / "people.csv"
    with people.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    started = time.perf_counter()
    summary = run_batch(people, workdir / "clusters.csv", review_out=workdir / "review.csv")
    seconds = time.perf_counter() - started
    with (workdir / "clusters.csv").open(encoding="utf-8") as result:
        labels = {row["id"]: row["cluster_id"] for row in csv.DictReader(result)}
    return [labels[row["id"]] for row in rows], seconds, summary


def _plain(text: str) -> str | None:
    folded = unicodedata.normalize("NFKD", text or "")
    value = "".join(c for c in folded if not unicodedata.combining(c)).lower().strip()
    return value or None


def _splink_row(row: dict[str, str]) -> dict[str, str | None]:
    born = parse_birth_date(row["date_naissance"])
    digits = re.sub(r"\D", "", row["telephone"] or "")
    if digits.startswith("33"):
        digits = "0" + digits[2:]
    return {
        "unique_id": row["id"], "nom": _plain(row["nom"]),
        "nom_naissance": _plain(row["nom_naissance"]), "prenom": _plain(row["prenom"]),
        "date_naissance": born.isoformat() if born else None,
        "annee": str(born.year) if born else None,
        "courriel": _plain(row["courriel"]), "telephone": digits if len(digits) == 10 else None,
        "adresse_ligne": _plain(row["adresse_ligne"]), "code_postal": row["code_postal"] or None,
    }


def run_splink(rows: list[dict[str, str]]) -> tuple[dict[float, list[str]], float]:
    """Splink's clusters at several thresholds (its best is shown as an upper bound)."""
    import pyarrow as pa
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    started = time.perf_counter()
    cleaned = [_splink_row(row) for row in rows]
    table = pa.table({key: [r[key] for r in cleaned] for key in cleaned[0]})
    db_api = DuckDBAPI()
    frame = db_api.register(table)
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("nom").configure(term_frequency_adjustments=True),
            cl.NameComparison("prenom").configure(term_frequency_adjustments=True),
            cl.JaroWinklerAtThresholds("nom_naissance", [0.9]),
            cl.DateOfBirthComparison("date_naissance", input_is_string=True),
            cl.EmailComparison("courriel"),
            cl.LevenshteinAtThresholds("telephone", [1]),
            cl.LevenshteinAtThresholds("adresse_ligne", [3]),
            cl.ExactMatch("code_postal"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("nom", "annee"), block_on("courriel"), block_on("telephone"),
            block_on("prenom", "date_naissance"), block_on("nom", "prenom"),
            block_on("nom_naissance", "annee"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(frame, settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("nom", "prenom", "date_naissance"), block_on("courriel")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    for rule in (block_on("date_naissance"), block_on("nom", "prenom"), block_on("telephone")):
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    predictions = linker.inference.predict(threshold_match_probability=0.01)
    by_threshold: dict[float, list[str]] = {}
    for threshold in (0.5, 0.8, 0.9, 0.95, 0.99, 0.999):
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold
        )
        labels = {r["unique_id"]: str(r["cluster_id"]) for r in clusters.as_record_list()}
        by_threshold[threshold] = [labels[row["id"]] for row in rows]
    return by_threshold, time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    rows, truth = generate(args.size, args.seed)
    persons = len(set(truth))
    print(f"population: {len(rows)} records of {persons} persons (seed {args.seed})")
    with tempfile.TemporaryDirectory() as tmp:
        ours, seconds, summary = run_ours(rows, Path(tmp))
    p, r, f1 = pairwise(ours, truth)
    print(f"capactif  : precision {p:.4f}  recall {r:.4f}  F1 {f1:.4f}  "
          f"(auto-link precision {p:.4f}; {summary.review_pairs} pairs for review; {seconds:.1f} s)")
    try:
        import splink
    except ImportError:
        print("splink is not installed: `.venv/bin/pip install splink==5.0.0` to compare.")
        return 0
    logging.getLogger("splink").setLevel(logging.ERROR)
    by_threshold, splink_seconds = run_splink(rows)
    scores = {t: pairwise(labels, truth) for t, labels in by_threshold.items()}
    sp, sr, sf = scores[0.95]
    print(f"splink {splink.__version__}: precision {sp:.4f}  recall {sr:.4f}  F1 {sf:.4f}  "
          f"(threshold 0.95; {splink_seconds:.1f} s)")
    best = max(scores, key=lambda t: scores[t][2])
    bp, br, bf = scores[best]
    print(f"splink best threshold {best} (chosen with the truth): precision {bp:.4f}  "
          f"recall {br:.4f}  F1 {bf:.4f}")
    print(f"F1 ratio capactif / splink(0.95): {f1 / sf:.3f};  / splink(best): {f1 / bf:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
