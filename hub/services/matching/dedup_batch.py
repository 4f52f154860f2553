"""Batch deduplication of a people CSV: `capactif dedup --input people.csv --output clusters.csv`.

Reads `id, nom, nom_naissance, prenom, date_naissance, courriel, telephone,
adresse_ligne, code_postal, commune` (only `id` is required; any value may be
empty; headings, encodings and separators as `people_csv` reads them), trains a model
on the file itself unless one is given, and writes `id,cluster_id` (same cluster = same
person; every record read, once) and the rows not read beside it (`rejects_path`).
Chains and uncertain pairs are
never merged; they are counted in the summary and written to `review_out`, one row
per pair; `review_decisions` counts the questions they ask a coordinator (one per
pair of clusters, named in the file's `question` column: a record in review against a
porteur of two linked fiches is two pairs and one decision).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import stat
import time
from array import array
from collections import Counter
from pathlib import Path

import numpy as np

from hub.domain.matching.cluster import cluster
from hub.domain.matching.comparisons import Comparison, build_comparisons
from hub.domain.matching.decision import compatible, short_of_evidence, unknown_between
from hub.domain.matching.model import Explanation, MatchModel, default_model
from hub.domain.matching.record import NormalisedRecord
from hub.domain.matching.scoring import Pattern, PatternScorer
from hub.domain.matching.settings import (
    InvalidSetting,
    MatchingSettings,
    ThresholdsOutOfOrder,
    default_settings,
    over_defaults,
)
from hub.domain.matching.training import identity_patterns, train
from hub.errors import ConfigurationError, InvalidMatchingModel
from hub.services.matching.dedup_parallel import compare_pairs, default_workers, normalise_rows
from hub.services.matching.pair_arrays import candidate_pairs_for_training
from hub.services.matching.pair_scoring import score_pairs
from hub.services.matching.people_csv import read_people_file, rejects_path, write_rows

MIN_ALIKE_PAIRS_TO_TRAIN = 10
# Settings files are a few kB; a model holds up to `valeurs_max_frequence` (20,000) names a
# term-frequency field, some 1 MB each (the shipped one: 48 kB). Bounds read before reading.
MAX_SETTINGS_BYTES = 1_000_000
MAX_MODEL_BYTES = 64_000_000


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
    rejected: int = 0  # rows not matched, listed in the rejects file
    notes: tuple[str, ...] = dataclasses.field(default=(), repr=False)  # warnings, no values


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
        InvalidCsvFile: unreadable file, encoding or header (line named).
        InvalidMatchingModel: `model_path` is not a readable model.
    """
    started = time.perf_counter()
    workers = workers or default_workers()
    if not output_csv.parent.is_dir() or output_csv.is_dir():
        raise ConfigurationError(
            f"La sortie doit être un fichier dans un dossier existant : {output_csv}.",
            f"The output must be a file in an existing folder: {output_csv}.")
    people = read_people_file(input_csv)
    records = normalise_rows(people.rows, workers)
    notes = list(people.notes)
    model = load_model(model_path) if model_path else None
    if model is not None and model_path is not None:
        notes.extend(model_notices(model, model_path))
    settings_given = settings is not None
    settings = model.settings if model else (settings or default_settings())
    comparisons = build_comparisons(settings.comparisons)
    left, right, learnt = candidate_pairs_for_training(
        records, settings.blocking.rules, settings.blocking.untrained_rules,
        settings.blocking.limits(), workers)
    pair_codes, patterns = compare_pairs(records, _as_array(left), _as_array(right), comparisons,
                                         workers)
    codes = np.frombuffer(pair_codes, dtype=np.uint16)
    trained = False
    if model is None:
        taught = codes if learnt is None else codes[learnt]
        counts = np.bincount(taught, minlength=len(patterns)).tolist()
        model, trained = _learn(records, Counter(dict(sorted(zip(patterns, counts, strict=True)))),
                                settings, comparisons, notes)
        if settings_given and not trained:
            model = _deciding_with(model, settings)
            notes.append("modèle livré, avec le blocage et la décision des réglages donnés "
                         "(ses comparaisons et son apprentissage restent les siens) / the "
                         "shipped model, with the blocking and decision of the settings given "
                         "(its comparisons and training stay its own)")
    links, reviews, scored = score_pairs(PatternScorer(model), records, left, right, codes,
                                         patterns)

    def may_be_same(i: int, j: int) -> bool:
        known = scored.get((min(i, j), max(i, j)))
        return known if known is not None else compatible(
            model.score(records[i], records[j]), model.decision)

    @functools.lru_cache(maxsize=4096)
    def explained(i: int, j: int) -> Explanation:
        return model.score(records[i], records[j])

    def either_person(x: int, p: int, q: int) -> bool:
        return unknown_between(explained(x, p), explained(p, q), model.decision)

    def weak(i: int, j: int) -> bool:
        return short_of_evidence(explained(min(i, j), max(i, j)), model.decision)

    clustering = cluster(len(records), links, may_be_same, settings.decision.max_group_size,
                         either_person, weak)
    labels = clustering.labels
    write_rows(output_csv, ["id", "cluster_id"],
               [(record.id, records[label].id) for record, label in zip(records, labels, strict=True)])
    write_rows(rejects_path(output_csv), ["ligne", "id", "motif"],
               [(row.line, row.record_id, row.reason) for row in people.rejected])
    open_reviews = [(i, j, p) for i, j, p in reviews + links if labels[i] != labels[j]]
    if review_out:
        _write_reviews(review_out, records, labels, open_reviews)
    if model_out:
        model_out.write_text(model.to_json(), encoding="utf-8")
    sizes = Counter(labels)
    return BatchSummary(
        records=len(records), candidate_pairs=len(left), clusters=len(sizes),
        linked_records=sum(size for size in sizes.values() if size > 1),
        review_groups=len(clustering.review_groups), review_pairs=len(open_reviews),
        review_decisions=len({frozenset((labels[i], labels[j])) for i, j, _p in open_reviews}),
        trained=trained, em_iterations=model.training.get("iterations_em"),
        em_converged=model.training.get("em_converge"),
        seconds=round(time.perf_counter() - started, 3), rejected=len(people.rejected),
        notes=tuple(notes),
    )


def _learn(records: list[NormalisedRecord], patterns: Counter[Pattern],
           settings: MatchingSettings, comparisons: list[Comparison], notes: list[str],
           ) -> tuple[MatchModel, bool]:
    """The model trained on the file, or the shipped one when the file holds too few pairs
    alike as persons to learn from (one record, a handful of strangers): EM on a few pairs
    learns nothing, on none it cannot run."""
    alike = sum(identity_patterns(patterns, comparisons).values())
    if alike >= MIN_ALIKE_PAIRS_TO_TRAIN:
        return train(records, patterns, settings, comparisons), True
    notes.append(f"{alike} paires assez semblables pour entraîner le modèle (il en faut "
                 f"{MIN_ALIKE_PAIRS_TO_TRAIN}) : modèle livré utilisé / {alike} pairs alike "
                 f"enough to train on (it takes {MIN_ALIKE_PAIRS_TO_TRAIN}): the shipped model "
                 "is used")
    return default_model(), False


def _deciding_with(model: MatchModel, settings: MatchingSettings) -> MatchModel:
    """The shipped model with the given `blocage` (the one the pairs were found with) and
    `decision` (the coordinator's thresholds): its m and u hold for its own comparisons and
    training only. Sections the file did not name are the shipped ones already."""
    return dataclasses.replace(model, settings=dataclasses.replace(
        model.settings, blocking=settings.blocking, decision=settings.decision))


def _as_array(indexes: np.ndarray) -> array:
    """The compact list the comparers index one pair at a time (faster than numpy items)."""
    compact = array("I")
    compact.frombytes(indexes.astype(np.uint32).tobytes())
    return compact


def load_model(path: Path) -> MatchModel:
    """The model of a file written by `--model-out` (or by hand).

    Raises:
        InvalidMatchingModel: not a regular file, over MAX_MODEL_BYTES, unreadable, nested
            too deep, of an unknown version, or a setting out of its bounds.
    """
    text = _bounded_text(path, MAX_MODEL_BYTES, "modèle de rapprochement", "matching model")
    try:
        return MatchModel.from_json(text)
    except ThresholdsOutOfOrder as exc:
        raise InvalidMatchingModel(
            f"Seuils de décision du modèle de rapprochement dans le désordre : {exc.message_fr}.",
            f"The matching model's decision thresholds are out of order: {exc}.") from exc
    except InvalidSetting as exc:
        raise InvalidMatchingModel(
            f"Réglage invalide du modèle de rapprochement : {exc.message_fr}.",
            f"A setting of the matching model is invalid: {exc}.") from exc
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise InvalidMatchingModel(
            "Le fichier de modèle de rapprochement est illisible ou d'une version inconnue : "
            "réentraînez-le avec `capactif dedup --model-out`.",
            "The matching model file is unreadable or of an unknown version: "
            "train it again with `capactif dedup --model-out`.",
        ) from exc


def load_settings(path: Path) -> MatchingSettings:
    """The matching settings of a JSON file (schemas/matching_settings.v1.json): the
    sections it names laid over the shipped ones (`settings.over_defaults`).

    Raises:
        InvalidMatchingModel: unreadable file, not JSON, or a setting out of its bounds
            (named, with the bound).
    """
    text = _bounded_text(path, MAX_SETTINGS_BYTES, "réglages de rapprochement",
                         "matching settings")
    try:
        doc = json.loads(text)
    except RecursionError as exc:
        raise InvalidMatchingModel(
            f"Le fichier de réglages de rapprochement {path} imbrique trop de niveaux.",
            f"The matching settings file {path} nests too deep.") from exc
    except ValueError as exc:
        raise InvalidMatchingModel(
            f"Le fichier de réglages de rapprochement {path} n'est pas du JSON (ligne "
            f"{getattr(exc, 'lineno', '?')}).",
            f"The matching settings file {path} is not JSON (line "
            f"{getattr(exc, 'lineno', '?')}).") from exc
    try:
        return over_defaults(doc)
    except InvalidSetting as exc:
        raise InvalidMatchingModel(
            f"Réglage de rapprochement invalide dans {path} : {exc.message_fr} (le schéma : "
            "schemas/matching_settings.v1.json).",
            f"A matching setting in {path} is invalid: {exc} (the schema: "
            "schemas/matching_settings.v1.json).") from exc


def _bounded_text(path: Path, limit: int, what_fr: str, what: str) -> str:
    """The text of a regular file of at most `limit` bytes: a device, a pipe or a folder
    would be read without end (/dev/zero until memory runs out), so it is refused unread."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise InvalidMatchingModel(
                f"Le fichier de {what_fr} {path} n'est pas un fichier ordinaire.",
                f"The {what} file {path} is not a regular file.")
        with path.open("rb") as source:
            data = source.read(limit + 1)
        if len(data) > limit:
            raise InvalidMatchingModel(
                f"Le fichier de {what_fr} {path} dépasse {limit // 1_000_000} Mo.",
                f"The {what} file {path} is over {limit // 1_000_000} MB.")
        return data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidMatchingModel(
            f"Fichier de {what_fr} illisible : {path}.",
            f"The {what} file cannot be read: {path}.") from exc


def model_notices(model: MatchModel, path: Path) -> list[str]:
    """What the user should know of a model file that was read (no personal data): one
    written before `m_veto` lets its vetoes follow EM's m, which twins raise; one written
    before a level existed weighs it as the level it replaced."""
    notes = []
    if model.veto_m_missing:
        notes.append(
            f"Le modèle {path} n'a pas de m_veto (écrit avant qu'il existe) : ses vetos "
            "suivent le m de l'EM, que des jumeaux peuvent lever. Réentraînez-le : `capactif "
            "dedup --input … --output … --model-out FICHIER` (le modèle livré : "
            f"bench/train_model.py) / The model {path} has no m_veto (written before it "
            "existed): its vetoes follow EM's m, which twins can lift. Train it again: "
            "`capactif dedup --input … --output … --model-out FILE` (the shipped model: "
            "bench/train_model.py)")
    if model.levels_by_fallback:
        levels = ", ".join(f"{field} {level} (← {former})"
                           for field, level, former in model.levels_by_fallback)
        notes.append(
            f"Le modèle {path} pèse des niveaux plus récents que lui comme ceux qu'ils "
            f"remplacent : {levels}. Réentraînez-le : `capactif dedup --input … --output … "
            f"--model-out FICHIER` (le modèle livré : bench/train_model.py) / The model "
            f"{path} weighs levels newer than itself as the ones they replaced: {levels}. "
            "Train it again: `capactif dedup --input … --output … --model-out FILE` (the "
            "shipped model: bench/train_model.py)")
    return notes


def read_people_csv(path: Path, workers: int = 1) -> list[NormalisedRecord]:
    """The records of the people CSV, normalised (rows not read left out)."""
    return normalise_rows(read_people_file(path).rows, workers)


def _write_reviews(path: Path, records: list[NormalisedRecord], labels: list[int],
                   reviews: list[tuple[int, int, float]]) -> None:
    """One row per pair; `question` names the two clusters it joins (their cluster ids):
    the rows of one question, side by side, are answered by one decision. Questions come
    by their best pair's probability, highest first."""

    def question(i: int, j: int) -> str:
        return "|".join(sorted((records[labels[i]].id, records[labels[j]].id)))

    asked = [(question(i, j), i, j, p) for i, j, p in reviews]
    best: dict[str, float] = {}
    for name, _i, _j, p in asked:
        best[name] = max(best.get(name, p), p)
    write_rows(path, ["id_a", "id_b", "probabilite", "question"],
               [(records[i].id, records[j].id, json.dumps(round(p, 6)), name)
                for name, i, j, p in sorted(asked, key=lambda a: (-best[a[0]], a[0], -a[3]))])
