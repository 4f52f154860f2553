"""A member's feed: its deliveries after a cursor, consent checked again at read time."""

from __future__ import annotations

from typing import Any

import orjson

from hub.bootstrap import Hub
from hub.errors import BadRequest
from hub.services.accounts.auth import Caller
from hub.services.audit import trail as audit
from hub.services.delivery.coverage import coverage
from hub.store.records import Delivery, FicheSource, FicheSources

MAX_LIMIT = 500


def read_feed(hub: Hub, caller: Caller, after: int, limit: int) -> dict[str, Any]:
    """Deliveries with a position after `after`, in order. Positions are per member and
    become visible in order, so a cursor never skips a delivery committed later. A cursor
    past the caller's last position is answered with that position and `cursor_ahead`
    (docs/protocol.md, "The feed")."""
    if after < 0 or not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(
            f"Curseur négatif ou limite hors de 1..{MAX_LIMIT}.",
            f"Negative cursor or limit outside 1..{MAX_LIMIT}.",
        )
    with hub.uow() as uow:
        rows = uow.deliveries.feed(caller.member_id, after, limit + 1)  # one past: has_more
        more, rows = len(rows) > limit, rows[:limit]
        # Only an empty page can come from a cursor ahead (one the hub never gave: a
        # restore moves positions past every cursor handed out): answer the caller's own
        # last position so that it reads what comes next from there.
        last = uow.deliveries.last_position(caller.member_id) if not rows else after
        sources = uow.fiches.sources_of(
            (r.fiche_pk, r.fiche_version) for r in rows
            if r.fiche_pk is not None and r.fiche_version is not None)
    items = [_item(hub, caller, row, sources) for row in rows]
    audit.record(hub, [
        audit.event(hub, "feed_pull", caller.member_id, porteur_id=row.porteur_id,
                    fiches=_source_fiche(row.source_in(sources)),
                    outcome="denied" if item.get("retire") else "allowed",
                    fields=() if item.get("retire") else item.get("champs", row.fields),
                    purpose=row.purpose,
                    policy_version=row.policy_version)
        for row, item in zip(rows, items, strict=True)])
    return {
        "deliveries": items,
        "next_cursor": rows[-1].position if rows else min(after, last),
        "has_more": more,
        "cursor_ahead": after > last,
    }


def _source_fiche(source: FicheSource | None) -> list[tuple[str, str]]:
    """The fiche a delivery came from, for the access log (pseudonymised there)."""
    return [(source.member_id, source.fiche_id)] if source is not None else []


def _item(hub: Hub, caller: Caller, row: Delivery, sources: FicheSources) -> dict[str, Any]:
    parsed = orjson.loads(row.payload) if row.payload is not None else None
    found = coverage(hub, row, row.source_in(sources), caller.member_id, caller.role, parsed)
    if found.allowed and parsed is not None:
        document = found.narrowed(parsed)
        document["position"] = row.position
        return document
    # The consent in force, the version's own or the policy changed (or the data was
    # erased) since the delivery was planned: say so, disclose nothing.
    return {"position": row.position, "delivery_id": row.idempotency_key,
            "evenement": row.event, "porteur_id": row.porteur_id, "retire": True,
            "motif": found.motif}


def delivery_items(hub: Hub, caller: Caller, rows: list[Delivery],
                   sources: FicheSources) -> list[dict[str, Any]]:
    """Deliveries as the feed shows them (consent checked again: a delivery no longer
    covered reads as `retire`)."""
    return [_item(hub, caller, row, sources) for row in rows]
