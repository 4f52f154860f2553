"""A publisher that keeps what it was asked to publish, for tests."""

from __future__ import annotations

from typing import Any

from hub.services.delivery.publisher import PROCESS_OUTBOX, TaskPublisher


class RecordingPublisher(TaskPublisher):
    """A publisher that keeps what it was asked to publish."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, list[Any]]] = []

    def send(self, task: str, args: list[Any]) -> None:
        self.sent.append((task, args))

    @property
    def published(self) -> list[list[int]]:
        """The outbox id lists published, in order."""
        return [args[0] for task, args in self.sent if task == PROCESS_OUTBOX]
