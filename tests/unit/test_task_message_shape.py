"""The worker's consumer rejects a task message of the wrong shape as an invalid task,
and only that: an error raised while handling a message of the right shape is not taken
for a bad message (the message is neither rejected nor dropped). Closing a lost
connection lets through only the error of its transport already collected."""

from __future__ import annotations

import json
import logging

import pytest
from kombu.message import Message

from hub.broker_consumer import PromptConsumer, _close_collected
from hub.embedded_broker import TRANSPORT as EMBEDDED_TRANSPORT

TASK = "hub.process_outbox"


class Channel:
    def __init__(self) -> None:
        self.rejected: list[object] = []

    def basic_reject(self, delivery_tag: object, requeue: bool = False) -> None:
        self.rejected.append(delivery_tag)


def consumer(strategy) -> PromptConsumer:
    # Only what Celery's task handler reads, not a running consumer.
    built = PromptConsumer.__new__(PromptConsumer)
    built.strategies = {TASK: strategy}
    built.on_task_message = set()
    built.connection_errors = ()
    built.restart_count = 0
    built._maximum_prefetch_restored = True
    return built


def message(headers: dict, body: object) -> Message:
    return Message(body=json.dumps(body), channel=Channel(), delivery_tag="tag",
                   headers=headers, content_type="application/json",
                   content_encoding="utf-8")


def strategy_failing(*_args: object) -> None:
    raise ValueError("a programming error inside the strategy")


def test_an_error_inside_the_strategy_on_a_valid_message_does_not_reject_it():
    handle = consumer(strategy_failing).create_task_handler()
    valid = message({"task": TASK, "id": "1"}, [[7], {}, {}])
    with pytest.raises(ValueError, match="programming error"):
        handle(valid)
    assert valid.channel.rejected == []
    assert not valid.acknowledged


def test_an_error_inside_the_strategy_on_a_valid_protocol_1_message_does_not_reject_it():
    handle = consumer(strategy_failing).create_task_handler()
    valid = message({}, {"task": TASK, "id": "1", "args": [7], "kwargs": {}})
    with pytest.raises(ValueError, match="programming error"):
        handle(valid)
    assert valid.channel.rejected == []


WRONG_SHAPES = {
    "task_a_list": ({"task": [TASK], "id": "1"}, [[], {}, {}]),
    "id_missing": ({"task": TASK}, [[], {}, {}]),
    "id_a_number": ({"task": TASK, "id": 1}, [[], {}, {}]),
    "body_an_object": ({"task": TASK, "id": "1"}, {}),
    "body_a_string": ({"task": TASK, "id": "1"}, "x"),
    "body_two_items": ({"task": TASK, "id": "1"}, [[], {}]),
    "kwargs_a_list": ({"task": TASK, "id": "1"}, [[], [], {}]),
    "protocol_1_args_an_object": ({}, {"task": TASK, "id": "1", "args": {}, "kwargs": {}}),
    "protocol_1_id_missing": ({}, {"task": TASK, "args": [], "kwargs": {}}),
}


@pytest.mark.parametrize("headers,body", WRONG_SHAPES.values(), ids=WRONG_SHAPES.keys())
def test_a_message_of_the_wrong_shape_is_rejected_without_reaching_the_strategy(headers, body):
    reached = []
    handle = consumer(lambda *args: reached.append(args)).create_task_handler()
    wrong = message(headers, body)
    handle(wrong)
    assert reached == []
    assert wrong.channel.rejected == ["tag"]


class LostConnection:
    """A broker connection whose channel fails to put back its unacknowledged messages."""

    def __init__(self, transport: object, transport_cls: str = "redis") -> None:
        self._transport = transport
        self.transport_cls = transport_cls

    def close(self) -> None:
        raise AttributeError("'NoneType' object has no attribute 'client'")


def test_an_attribute_error_closing_a_connection_whose_transport_is_there_goes_on():
    connection = LostConnection(transport=object())
    with pytest.raises(AttributeError):
        _close_collected(connection, connection.close)


@pytest.mark.parametrize("transport_cls,said", [
    ("redis", "after its visibility timeout"),
    (EMBEDDED_TRANSPORT, "the outbox sweep publishes their work again"),
])
def test_closing_a_collected_connection_says_where_its_unacknowledged_messages_go(
        caplog, transport_cls, said):
    connection = LostConnection(transport=None, transport_cls=transport_cls)
    with caplog.at_level(logging.DEBUG, logger="hub.broker_consumer"):
        _close_collected(connection, connection.close)
    [debug] = [r for r in caplog.records if r.levelno == logging.DEBUG]
    assert debug.exc_info is not None
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert said in warning.getMessage()
