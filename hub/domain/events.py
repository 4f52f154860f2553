"""What happened to a fiche or a porteur, as the hub tells recipients (past tense).

Events carry identifiers and field names, never field values: the payload a recipient
gets is projected separately (`hub.domain.projection.project`). `kind` is the stable
name used in delivery envelopes. Fields are keyword-only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import ClassVar


@dataclasses.dataclass(frozen=True, kw_only=True)
class FicheEvent:
    """Something happened to the fiche (membre, fiche_id) of the porteur `porteur_id`."""

    kind: ClassVar[str] = "fiche"
    membre: str
    fiche_id: str
    porteur_id: str | None
    occurred_at: dt.datetime


@dataclasses.dataclass(frozen=True, kw_only=True)
class FicheCreated(FicheEvent):
    kind: ClassVar[str] = "created"
    version: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class FicheUpdated(FicheEvent):
    """A new version; `changed_fields` lists every changed path (filter per recipient)."""

    kind: ClassVar[str] = "updated"
    version: int
    changed_fields: tuple[str, ...] = ()

    def changed_fields_for(self, allowed: frozenset[str]) -> tuple[str, ...]:
        return tuple(path for path in self.changed_fields if path in allowed)


@dataclasses.dataclass(frozen=True, kw_only=True)
class FicheWithdrawn(FicheEvent):
    """The member stopped sharing the fiche (or the consent was withdrawn)."""

    kind: ClassVar[str] = "withdrawn"


@dataclasses.dataclass(frozen=True, kw_only=True)
class FicheErased(FicheEvent):
    """The fiche's personal data was erased; recipients must erase their copies."""

    kind: ClassVar[str] = "erased"


@dataclasses.dataclass(frozen=True, kw_only=True)
class PorteurEvent:
    """Something happened to a resolved porteur (a cluster of fiches)."""

    kind: ClassVar[str] = "porteur"
    porteur_id: str
    occurred_at: dt.datetime


@dataclasses.dataclass(frozen=True, kw_only=True)
class PorteurMerged(PorteurEvent):
    """`merged_id` was recognised as the same person and folded into `porteur_id`."""

    kind: ClassVar[str] = "merged"
    merged_id: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class PorteurUnmerged(PorteurEvent):
    """A merge was undone: `restored_id` exists again apart from `porteur_id`."""

    kind: ClassVar[str] = "unmerged"
    restored_id: str


Event = FicheCreated | FicheUpdated | FicheWithdrawn | FicheErased | PorteurMerged | PorteurUnmerged
