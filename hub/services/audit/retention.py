"""Retention of the access log (HUB_AUDIT_RETENTION_DAYS, default 12 months per the CNIL):
old entries move to signed, chained archive files under HUB_AUDIT_ARCHIVE_DIR."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hub.audit import retention
from hub.bootstrap import Hub
from hub.services.audit import trail as audit

_SEGMENTS_PER_RUN = 20


def archive_expired(hub: Hub) -> dict[str, Any] | None:
    """Archive the entries older than the retention period (up to the last signed head
    that covers only such entries), one segment per transaction; returns the range moved.
    Runs outside any unit of work (it takes the log lock)."""
    now = hub.clock()
    audit.publish_head(hub)  # a head at the current size, so the next run can cut there
    cutoff = now - dt.timedelta(days=hub.settings.audit_retention_days)
    written = []
    for _ in range(_SEGMENTS_PER_RUN):
        segment = retention.archive_before(hub.audit, cutoff, hub.settings.audit_archive_folder, now)
        if segment is None:
            break
        written.append(segment)
    if not written:
        return None
    audit.record(hub, [audit.event(hub, "audit_archive", "hub")])
    return {"debut": written[0].first_seq, "fin": written[-1].end_seq,
            "fichiers": [s.path.name for s in written], "sha256": written[-1].sha256}


def archives(hub: Hub) -> list[dict[str, Any]]:
    """The archive segments, oldest first: verify them with the live export as a chain."""
    return [{"debut": s.first_seq, "fin": s.end_seq, "fichier": str(s.path), "sha256": s.sha256,
             "sha256_precedent": s.previous_sha256} for s in retention.segments(hub.audit)]
