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


class InMemoryAuditSink(AuditSink):
    """A fake for unit tests: keeps the events in a list."""

    def __init__(self) -> None:
        self.events: list[AccessEvent] = []

    def append_many(self, events: Sequence[AccessEvent]) -> list[AccessEvent]:
        first = len(self.events)
        stamped = [event.with_seq(first + offset) for offset, event in enumerate(events)]
        self.events.extend(stamped)
        return stamped
