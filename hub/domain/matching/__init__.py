"""Record linkage of porteurs: normalise, block, compare, score (Fellegi–Sunter), cluster.

Pure: no I/O besides reading the packaged default settings. The public surface:

- `normalise_record(raw) -> NormalisedRecord`
- `record_blocking_keys(record, model=None) -> list[str]` (keys of the persistent index)
- `match_one(record, candidates, model) -> Decision` (online: link / review / new)
- `train(records, patterns, settings, comparisons) -> MatchModel`, `MatchModel.to_json/from_json`
- `cluster(...)` (batch clustering that sends chains to review)
"""

from hub.domain.matching.blocking import blocking_keys, candidate_pairs
from hub.domain.matching.cluster import Clustering, cluster
from hub.domain.matching.decision import (
    Candidate,
    Decision,
    match_one,
    pair_kind,
    record_blocking_keys,
)
from hub.domain.matching.model import Explanation, FieldTerm, MatchModel, default_model
from hub.domain.matching.record import NormalisedRecord, normalise_record
from hub.domain.matching.settings import MatchingSettings, default_settings
from hub.domain.matching.training import train

__all__ = [
    "Candidate", "Clustering", "Decision", "Explanation", "FieldTerm", "MatchModel",
    "MatchingSettings", "NormalisedRecord", "blocking_keys", "candidate_pairs", "cluster",
    "default_model", "default_settings", "match_one", "normalise_record", "pair_kind", "record_blocking_keys",
    "train",
]
