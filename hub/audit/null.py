"""An access log that drops what it is given: ONLY for benchmarks measuring what the
log costs (HUB_BENCH_DISABLE_AUDIT=1). The hub warns at every start when it is in use."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from hub.audit.events import AccessEvent
from hub.audit.log import AuditLog


class NullAuditLog(AuditLog):
    """Every query works on an empty log; appended events are numbered, never stored."""

    def append_many(self, events: Sequence[AccessEvent]) -> list[AccessEvent]:
        return [event.with_seq(0) for event in events]

    def append_within(self, conn: sa.Connection, events: Sequence[AccessEvent]) -> None:
        return None
