"""The audit sink port: where services send access events. `AuditLog` is the real one."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from hub.audit.events import AccessEvent


class AuditSink(ABC):
    @abstractmethod
    def append_many(self, events: Sequence[AccessEvent]) -> list[AccessEvent]:
        """Store `events` durably, in order; return them with their seq numbers."""

    def append(self, event: AccessEvent) -> AccessEvent:
        return self.append_many([event])[0]
