"""Typed answers of the hub: per-item batch results and feed pages."""

from __future__ import annotations

import dataclasses
from typing import Any

from connectors.errors import HubProtocolError


@dataclasses.dataclass(frozen=True)
class ItemResult:
    """The hub's verdict on one fiche of a batch."""

    index: int
    fiche_id: str
    status: str
    version: int | None = None
    duplicate: bool = False
    receipt: dict[str, Any] | None = None
    errors: tuple[dict[str, Any], ...] = ()

    @property
    def accepted(self) -> bool:
        return self.status == "accepted"

    def error_codes(self) -> set[str]:
        return {str(e.get("code", "")) for e in self.errors}


@dataclasses.dataclass(frozen=True)
class BatchResult:
    """Per-item results of one `POST /v1/fiches`, in the order of the batch."""

    items: tuple[ItemResult, ...]

    @property
    def accepted(self) -> list[ItemResult]:
        return [item for item in self.items if item.accepted]

    @property
    def rejected(self) -> list[ItemResult]:
        return [item for item in self.items if not item.accepted]


@dataclasses.dataclass(frozen=True)
class FeedPage:
    """Deliveries after a cursor; `next_cursor` is where the next call starts."""

    deliveries: list[dict[str, Any]]
    next_cursor: str | int | None
    has_more: bool


def _protocol_error() -> HubProtocolError:
    return HubProtocolError(
        "Réponse du hub au lot non conforme au protocole (résultats par fiche attendus).",
        "Hub batch answer does not follow the protocol (per-item results expected).",
    )


def parse_batch(answer: dict[str, Any], size: int) -> BatchResult:
    """Check and type the answer to a batch of `size` fiches."""
    results = answer.get("results")
    if not isinstance(results, list) or len(results) != size:
        raise _protocol_error()
    items = []
    for position, raw in enumerate(results):
        if not isinstance(raw, dict) or raw.get("status") not in ("accepted", "rejected"):
            raise _protocol_error()
        items.append(
            ItemResult(
                index=int(raw.get("index", position)),
                fiche_id=str(raw.get("fiche_id", "")),
                status=raw["status"],
                version=raw.get("version"),
                duplicate=bool(raw.get("duplicate", False)),
                receipt=raw.get("receipt"),
                errors=tuple(e for e in raw.get("errors") or () if isinstance(e, dict)),
            )
        )
    items.sort(key=lambda item: item.index)
    return BatchResult(tuple(items))


def parse_feed(answer: dict[str, Any], after: str | int | None) -> FeedPage:
    """Type a feed page: `{"deliveries": [...], "next_cursor": ..., "has_more": bool}`."""
    deliveries = answer.get("deliveries", answer.get("items"))
    if not isinstance(deliveries, list):
        raise HubProtocolError(
            "Réponse du flux non conforme (liste « deliveries » attendue).",
            "Feed answer does not follow the protocol ('deliveries' list expected).",
        )
    cursor = answer.get("next_cursor", answer.get("cursor", after))
    has_more = bool(answer.get("has_more", False))
    return FeedPage(deliveries=deliveries, next_cursor=cursor, has_more=has_more)
