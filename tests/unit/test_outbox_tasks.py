"""A large push becomes several tasks on a server broker, so every worker takes a share."""

from __future__ import annotations

from typing import Any

from hub.services.delivery.publisher import PROCESS_OUTBOX, CeleryPublisher


class _App:
    def __init__(self) -> None:
        self.sent: list[tuple[str, list[Any]]] = []

    def send_task(self, name: str, args: list[Any], **_options: Any) -> None:
        self.sent.append((name, args))


def test_a_push_larger_than_a_transaction_is_published_as_several_tasks_of_one_transaction():
    app = _App()
    CeleryPublisher(app, task_size=100).publish_outbox(list(range(250)))
    tasks = [args[0] for name, args in app.sent if name == PROCESS_OUTBOX]
    assert [len(ids) for ids in tasks] == [100, 100, 50]
    assert [i for ids in tasks for i in ids] == list(range(250))


def test_without_a_task_size_a_push_stays_one_task():
    app = _App()  # the embedded broker: a task costs a poll of its folder, so one per push
    CeleryPublisher(app).publish_outbox(list(range(250)))
    assert [len(args[0]) for _name, args in app.sent] == [250]
