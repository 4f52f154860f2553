"""What one connector run did, and one record waiting to be pushed."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any


@dataclasses.dataclass
class RunSummary:
    """What one run did; `stopped` is set when it ended early (resumable)."""

    read: int = 0
    unchanged: int = 0
    sent: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected_local: int = 0
    rejected_hub: int = 0
    batches: int = 0
    deleted_at_source: int = 0
    warnings: int = 0
    withdrawals: list[str] = dataclasses.field(default_factory=list)
    withdrawals_held: int = 0
    missing_columns: list[str] = dataclasses.field(default_factory=list)
    feuille: str | None = None  # the workbook's sheet read (None: not a workbook)
    stopped: str | None = None
    raison: str | None = None

    @property
    def complete(self) -> bool:
        return self.stopped is None

    @property
    def rejected(self) -> int:
        return self.rejected_local + self.rejected_hub

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class NotSent(Exception):
    """A queued batch left unsent because the run is stopping (never settled)."""


@dataclasses.dataclass
class Pending:
    key: str
    line: int | None
    fiche: dict[str, Any]
    content_hash: str
    version_mapped: bool
    modified_at: dt.datetime | None = None
