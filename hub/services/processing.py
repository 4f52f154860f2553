"""The worker's side of the pipeline: process outbox rows in batches, idempotently.

For now processing gives each new fiche its own porteur and marks the fiche
processed; deduplication, consent and routing plug into `_process_versions`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from collections.abc import Sequence

from hub.bootstrap import Hub
from hub.store.uow import UnitOfWork


@dataclasses.dataclass(frozen=True)
class BatchOutcome:
    claimed: int
    porteurs_created: int


def process_outbox(hub: Hub, outbox_ids: Sequence[int]) -> BatchOutcome:
    """Process the given outbox rows once in effect: rows already processed, or
    locked by another worker, are skipped; everything commits together."""
    with hub.uow() as uow:
        rows = uow.outbox.claim(outbox_ids)
        if not rows:
            return BatchOutcome(0, 0)
        now = hub.clock()
        created = _process_versions(uow, [row.ref_id for row in rows], now)
        uow.outbox.mark_processed([row.id for row in rows], now)
        uow.commit()
        return BatchOutcome(len(rows), created)


def _process_versions(uow: UnitOfWork, version_ids: list[int], now: dt.datetime) -> int:
    versions = uow.fiches.versions_for_processing(version_ids)
    latest: dict[int, dict[str, object]] = {}
    new_porteurs: list[str] = []
    links = []
    for row in versions:
        state = latest.setdefault(
            row.fiche_pk,
            {"pk": row.fiche_pk, "porteur_id": row.porteur_id,
             "processed_version": row.processed_version or 0},
        )
        if state["porteur_id"] is None:
            porteur_id = new_porteur_id()
            state["porteur_id"] = porteur_id
            new_porteurs.append(porteur_id)
            links.append({"fiche_pk": row.fiche_pk, "porteur_id": porteur_id, "method": "new",
                          "evidence": {}, "linked_at": now})
        state["processed_version"] = max(int(state["processed_version"]), row.version)  # type: ignore[call-overload]
    uow.porteurs.create_many(new_porteurs, now)
    uow.porteurs.link_many(links)
    uow.fiches.mark_processed(list(latest.values()))
    return len(new_porteurs)


def new_porteur_id() -> str:
    return "prt_" + secrets.token_hex(12)


def sweep_outbox(hub: Hub) -> int:
    """Re-publish outbox rows published long ago and still unprocessed (the broker
    may have lost them); returns how many rows were re-published."""
    settings = hub.settings
    cutoff = hub.clock() - dt.timedelta(seconds=settings.outbox_republish_after_s)
    total, last_id = 0, 0
    while True:
        with hub.uow() as uow:
            ids = uow.outbox.stale(cutoff, settings.worker_batch_size, after_id=last_id)
            if not ids:
                return total
            uow.outbox.mark_republished(ids, hub.clock())
            uow.commit()
        last_id = ids[-1]
        if not hub.publisher.publish_outbox_safely(ids):
            return total
        total += len(ids)


def forget_old_nonces(hub: Hub) -> int:
    cutoff = hub.clock() - dt.timedelta(seconds=2 * hub.settings.signature_max_skew_s)
    with hub.uow() as uow:
        removed = uow.nonces.forget_before(cutoff)
        uow.commit()
        return removed


def pipeline_status(hub: Hub) -> dict[str, int]:
    """Counts for the demo and the operator: fiches, processed, porteurs, outbox pending."""
    with hub.uow() as uow:
        counts = uow.fiches.counts()
        counts["porteurs"] = uow.porteurs.count()
        counts["outbox_pending"] = uow.outbox.pending_count()
        return counts
