"""The garbage-collector thresholds of the worker and API processes.

A worker batch allocates some hundred thousand short-lived containers (candidate records,
comparison results, projected documents) beside a large long-lived memo of opened
identities: at Python's default thresholds (700, 10, 10) the collector ran some 1,500
times over 5,000 fiches pushed and processed (124 of them through the middle generation,
9 through the whole heap). Raised thresholds let a batch's garbage go by reference
counting first and scan the heap far less often (`bench/_profile_worker.py`: worker CPU
per fiche 0.82 → 0.71 ms, medians of three alternating pairs). Reference cycles are
still collected: a young collection every `YOUNG` allocations net of frees.

The API process (`capactif serve`) takes the same thresholds: a push of 500 fiches parses,
validates and stores some hundred thousand containers, and at Python's defaults its
collector ran some 40 times a batch, a third of the API's CPU a fiche
(`bench/_profile_api.py`, PostgreSQL: 0.30 → 0.17 ms a fiche in-process).
"""

from __future__ import annotations

import gc

YOUNG = 20_000  # container allocations, net of frees, between young collections
MIDDLE = 50  # young collections between collections of the middle generation
OLD = 100  # middle collections between full ones (also gated by CPython's own ratio)


def tune_for_batches() -> None:
    """Apply the batch thresholds to this process (once per worker or API process)."""
    gc.set_threshold(YOUNG, MIDDLE, OLD)
