"""Batch deduplication of a people CSV: `capactif dedup --input people.csv --output clusters.csv`.

Reads `id, nom, nom_naissance, prenom, date_naissance, courriel, telephone,
adresse_ligne, code_postal, commune` (only `id` is required; any value may be
empty), trains a model on the file itself unless one is given, and writes
`id,cluster_id` (same cluster = same person). Chains and uncertain pairs are
never merged; they are counted in the summary and written to `review_out`, one row
per pair; `review_decisions` counts the questions they ask a coordinator (one per
pair of clusters: a record in review against a porteur of two linked fiches is two
pairs and one decision).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import time
from array import array
from collections import Counter
from pathlib import Path

from hub.domain.matching.blocking import candidate_pairs
from hub.domain.matching.cluster import cluster
from hub.domain.matching.comparisons import build_comparisons
from hub.domain.matching.decision import compatible
from hub.domain.matching.model import MatchModel
from hub.domain.matching.record import RECORD_FIELDS, NormalisedRecord
from hub.domain.matching.scoring import Pattern, PatternScorer
from hub.domain.matching.settings import MatchingSettings, default_settings
from hub.domain.matching.training import train
from hub.errors import InvalidCsvFile, InvalidMatchingModel
from hub.services.matching.dedup_parallel import compare_pairs, default_workers, normalise_rows

Scored = tuple[int, int, float]
_SAFE_COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_ -]{0,39}$")


@dataclasses.dataclass(frozen=True)
class BatchSummary:
    records: int
    candidate_pairs: int
    clusters: int
    linked_records: int
    review_groups: int
    review_pairs: int
    review_decisions: int  # distinct pairs of clusters the review pairs join: one decision each
    trained: bool
    em_iterations: int | None
    em_converged: bool | None
    seconds: float


def run_batch(
    input_csv: Path,
    output_csv: Path,
    model_path: Path | None = None,
    model_out: Path | None = None,
    settings: MatchingSettings | None = None,
    review_out: Path | None = None,
    workers: int | None = None,
) -> BatchSummary:
    """Deduplicate `input_csv` into `output_csv` (id,cluster_id) and return counts.

    `workers` processes share the normalising and the comparing (default: one per
    core, at most two); the answers do not depend on it.

    Raises:
        InvalidCsvFile: bad encoding, unknown or missing columns, broken row (line named).
        InvalidMatchingModel: `model_path` is not a readable model.
    """
    started = time.perf_counter()
    workers = workers or default_workers()
    records = read_people_csv(input_csv, workers)
    model = load_model(model_path) if model_path else None
    settings = model.settings if model else (settings or default_settings())
    comparisons = build_comparisons(settings.comparisons)
    left, right = array("I"), array("I")
    for i, j in candidate_pairs(records, settings.blocking.rules, settings.blocking.limits()):
        left.append(i)
        right.append(j)
    codes, patterns = compare_pairs(records, left, right, comparisons, workers)
    if model is None:
        counts = Counter(codes)
        model = train(records, Counter({patterns[c]: n for c, n in counts.items()}), settings,
                      comparisons)
    links, reviews, scored = _score(records, left, right, [patterns[c] for c in codes], model)

    def may_be_same(i: int, j: int) -> bool:
        known = scored.get((min(i, j), max(i, j)))
        return known if known is not None else compatible(
            model.score(records[i], records[j]), model.decision)

    clustering = cluster(len(records), links, may_be_same, settings.decision.max_group_size)
    labels = clustering.labels
    _write_clusters(output_csv, records, labels)
    open_reviews = [(i, j, p) for i, j, p in reviews + links if labels[i] != labels[j]]
    if review_out:
        _write_reviews(review_out, records, open_reviews)
    if model_out:
        model_out.write_text(model.to_json(), encoding="utf-8")
    sizes = Counter(labels)
    return BatchSummary(
        records=len(records), candidate_pairs=len(left), clusters=len(sizes),
        linked_records=sum(size for size in sizes.values() if size > 1),
        review_groups=len(clustering.review_groups), review_pairs=len(open_reviews),
        review_decisions=len({frozenset((labels[i], labels[j])) for i, j, _p in open_reviews}),
        trained=model_path is None, em_iterations=model.training.get("iterations_em"),
        em_converged=model.training.get("em_converge"),
        seconds=round(time.perf_counter() - started, 3),
    )


def _score(
    records: list[NormalisedRecord], left: array, right: array,
    pair_patterns: list[Pattern], model: MatchModel,
) -> tuple[list[Scored], list[Scored], dict[tuple[int, int], bool]]:
    """Auto-links, review pairs, and whether each pair worth a look may be one person
    (a pair below the review threshold may not: clustering asks again if it must)."""
    links: list[Scored] = []
    reviews: list[Scored] = []
    scored: dict[tuple[int, int], bool] = {}
    judge = PatternScorer(model).judge
    for i, j, levels in zip(left, right, pair_patterns, strict=True):
        kind, probability, may_be_same = judge(levels, records[i])
        if kind == "new":
            continue
        scored[(i, j)] = may_be_same
        (links if kind == "link" else reviews).append((i, j, probability))
    return links, reviews, scored


def load_model(path: Path) -> MatchModel:
    try:
        return MatchModel.from_json(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise InvalidMatchingModel(
            "Le fichier de modèle de rapprochement est illisible ou d'une version inconnue : "
            "réentraînez-le avec `capactif dedup --model-out`.",
            "The matching model file is unreadable or of an unknown version: "
            "train it again with `capactif dedup --model-out`.",
        ) from exc


def read_people_csv(path: Path, workers: int = 1) -> list[NormalisedRecord]:
    """Read and normalise the people CSV; errors name the line, never a value."""
    text = _decode(path.read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    columns = _check_header(header)
    rows: list[tuple[dict[str, str], str]] = []
    seen_ids: set[str] = set()
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(columns):
            raise _csv_error(line, f"{len(row)} valeurs au lieu de {len(columns)}",
                             f"{len(row)} values instead of {len(columns)}")
        raw = dict(zip(columns, row, strict=True))
        record_id = raw["id"].strip()
        if not record_id or record_id in seen_ids:
            raise _csv_error(line, "identifiant vide ou en double", "empty or duplicate id")
        seen_ids.add(record_id)
        rows.append((raw, record_id))
    return normalise_rows(rows, workers)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _csv_error(line, "encodage invalide, enregistrez le fichier en UTF-8",
                         "invalid encoding, save the file as UTF-8") from exc


def _check_header(header: list[str] | None) -> list[str]:
    if not header:
        raise _csv_error(1, "fichier vide ou sans ligne d'en-tête", "empty file or no header line")
    columns = [name.strip().lower() for name in header]
    unknown = [name for name in columns if name not in RECORD_FIELDS]
    if unknown:
        shown = ", ".join(name if _SAFE_COLUMN.match(name) else "?" for name in unknown)
        raise _csv_error(1, f"colonnes inconnues ({shown}); colonnes permises : "
                         f"{', '.join(RECORD_FIELDS)}",
                         f"unknown columns ({shown}); allowed columns: {', '.join(RECORD_FIELDS)}")
    if "id" not in columns or len(set(columns)) != len(columns):
        raise _csv_error(1, "la colonne « id » manque ou une colonne est en double",
                         "the 'id' column is missing or a column is repeated")
    return columns


def _csv_error(line: int, problem_fr: str, problem_en: str) -> InvalidCsvFile:
    return InvalidCsvFile(f"Fichier CSV, ligne {line} : {problem_fr}.",
                          f"CSV file, line {line}: {problem_en}.", line=line)


def _write_clusters(path: Path, records: list[NormalisedRecord], labels: list[int]) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "cluster_id"])
        for record, label in zip(records, labels, strict=True):
            writer.writerow([record.id, records[label].id])


def _write_reviews(
    path: Path, records: list[NormalisedRecord], reviews: list[tuple[int, int, float]]
) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id_a", "id_b", "probabilite"])
        for i, j, p in sorted(reviews, key=lambda item: -item[2]):
            writer.writerow([records[i].id, records[j].id, json.dumps(round(p, 6))])
