"""CPU time of the worker's stages, each counted once (a stage's own time: the stages it
calls are counted apart), for `bench/_profile_worker.py --stages`. Wraps named functions
in place; thread CPU (time.thread_time), so waits on the database are left out."""

from __future__ import annotations

import collections
import functools
import importlib
import time
from typing import Any

# stage: (module, attribute path) of each function counted under it
STAGES: dict[str, list[tuple[str, str]]] = {
    "claim, erasures seen": [("hub.store.repositories", "Outbox.claim"),
                             ("hub.services.ingest.processing", "forget_if_erased")],
    "read and decrypt versions": [("hub.store.repositories", "Fiches.versions_for_processing"),
                                  ("hub.store.repositories", "Fiches.payloads")],
    "normalise identities": [("hub.domain.matching.record", "RecordMemo.__call__")],
    "blocking keys": [("hub.services.matching.online", "index_digests")],
    "lock keys": [("hub.store.matching_repository", "Matching.lock_keys"),
                  ("hub.services.matching.online", "OnlineMatcher.lock_free")],
    "lock keys: stripes of the groups": [("hub.services.matching.online",
                                          "OnlineMatcher._lock_groups")],
    "lock keys: try-lock": [("hub.store.matching_repository", "Matching.try_lock_keys")],
    "lock keys: stripe rows": [("hub.store.matching_repository", "Matching._ensure_stripes")],
    "read states": [("hub.store.repositories", "Fiches.states")],
    "candidates (read, open)": [("hub.services.matching.online", "OnlineMatcher._batch_for")],
    "scoring, decision": [("hub.services.matching.online", "OnlineMatcher.resolve_new")],
    "index, porteurs, links (flush)": [("hub.services.matching.online", "OnlineMatcher.flush")],
    "flush: porteurs, links written": [("hub.store.repositories", "Porteurs.create_many"),
                                       ("hub.store.repositories", "Porteurs.link_many")],
    "flush: index rows (sealed)": [("hub.store.matching_repository", "Matching.index_fresh")],
    "flush: key rows": [("hub.store.matching_repository", "Matching._insert_keys")],
    "scoring: match_one": [("hub.domain.matching.scoring", "PatternScorer.match_one")],
    "scoring: joins, best fit": [("hub.services.matching.online", "OnlineMatcher._to_join"),
                                 ("hub.services.matching.online", "OnlineMatcher._best_fit")],
    "candidates: batch index": [("hub.services.matching.online", "_BatchIndex.candidates"),
                                ("hub.services.matching.online", "_BatchIndex.add")],
    "mark fiches processed": [("hub.store.repositories", "Fiches.mark_processed")],
    "routing (members, followers, subs)": [
        ("hub.services.ingest.processing", "planned_deliveries")],
    "members, subscriptions read": [("hub.store.repositories", "Members.active"),
                                    ("hub.store.delivery_repository", "Deliveries.subscriptions")],
    "followers read": [("hub.store.delivery_repository", "Deliveries.followers_of_porteurs")],
    "consents read (prefetch)": [("consent.registry", "ConsentRegistry.prefetch")],
    "consents cached (remember)": [("consent.registry", "ConsentRegistry.remember")],
    "consents read: rows to records": [("consent.sql", "_record"), ("consent.sql", "sorted_history")],
    "consents read: statements": [("consent.sql", "SqlConsentRegistry._records")],
    "matcher set up (model, markers)": [("hub.services.matching.online", "OnlineMatcher.__init__")],
    "unit of work opened": [("hub.bootstrap", "Hub.uow")],
    "routing: recipients": [("hub.services.delivery.deliveries", "recipients")],
    "consent decision": [("hub.services.delivery.deliveries", "disclosure_for"),
                         ("hub.services.delivery.deliveries", "FicheDisclosures.to"),
                         ("hub.services.delivery.deliveries", "FicheDisclosures.__init__")],
    "projection": [("hub.services.delivery.deliveries", "project")],
    "delivery rows (plan, JSON)": [("hub.services.delivery.deliveries", "_delivery_row")],
    "outbox marked": [("hub.store.repositories", "Outbox.mark_processed")],
    "deliveries stored (positions, COPY)": [
        ("hub.services.ingest.processing", "store_deliveries")],
    "commit": [("hub.store.uow", "UnitOfWork.commit")],
    "chains joined": [("hub.services.ingest.processing", "join_chains")],
    "rest of the chunk": [("hub.services.ingest.processing", "_process_chunk")],
}

SPENT: collections.Counter[str] = collections.Counter()
_STACK: list[list[float]] = []  # [children's time] of each stage running


def _wrap(label: str, function: Any) -> Any:
    @functools.wraps(function)
    def timed(*args: Any, **kwargs: Any) -> Any:
        _STACK.append([0.0])
        started = time.thread_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent = time.thread_time() - started
            children = _STACK.pop()[0]
            SPENT[label] += spent - children
            if _STACK:
                _STACK[-1][0] += spent
    return timed


def install(stages: dict[str, list[tuple[str, str]]] | None = None) -> None:
    for label, places in (STAGES if stages is None else stages).items():
        for module_name, path in places:
            owner: Any = importlib.import_module(module_name)
            *parents, name = path.split(".")
            for parent in parents:
                owner = getattr(owner, parent)
            setattr(owner, name, _wrap(label, getattr(owner, name)))


def report(fiches: int, who: str = "worker") -> None:
    total = sum(SPENT.values())
    print(f"{who} stages, CPU ms/fiche (own time), total {1000 * total / fiches:.3f}:")
    for label, seconds in sorted(SPENT.items(), key=lambda item: -item[1]):
        print(f"  {1000 * seconds / fiches:6.3f}  {100 * seconds / total:4.1f}%  {label}")
