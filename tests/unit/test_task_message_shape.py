"""The worker's consumer rejects a task message of the wrong shape as an invalid task,
sets aside one whose headers Celery cannot read, and one Celery fails to turn into a
request for any other reason: none stops the worker; only the broker's connection errors
go on as raised. Closing a lost connection lets through only the error of its transport
already collected."""

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


def test_an_error_inside_the_strategy_sets_the_message_aside_saying_its_id_not_the_text(caplog):
    """A header no check thought of makes Celery's request builder raise: the message is
    rejected (never handed to the next worker) and logged once, with its id and the
    error's type, never the error's text (it may quote a value of the message)."""
    handle = consumer(strategy_failing).create_task_handler()
    valid = message({"task": TASK, "id": "c8f8a42a-8360"}, [[7], {}, {}])
    with caplog.at_level(logging.ERROR, logger="hub.broker_consumer"):
        assert handle(valid) is None
    assert valid.channel.rejected == ["tag"]
    [said] = [r.getMessage() for r in caplog.records]
    assert "task message c8f8a42a-8360 set aside" in said and "ValueError" in said
    assert "programming error" not in said


def test_an_error_inside_the_strategy_on_a_protocol_1_message_sets_it_aside_too(caplog):
    handle = consumer(strategy_failing).create_task_handler()
    valid = message({}, {"task": TASK, "id": "p1-id", "args": [7], "kwargs": {}})
    with caplog.at_level(logging.ERROR, logger="hub.broker_consumer"):
        handle(valid)
    assert valid.channel.rejected == ["tag"]
    assert "task message p1-id set aside" in caplog.records[0].getMessage()


class BrokerLost(Exception):
    pass


def test_a_connection_error_inside_the_strategy_goes_on_as_raised():
    def losing(*_args: object) -> None:
        raise BrokerLost()

    built = consumer(losing)
    built.connection_errors = (BrokerLost,)
    valid = message({"task": TASK, "id": "1"}, [[7], {}, {}])
    with pytest.raises(BrokerLost):
        built.create_task_handler()(valid)
    assert valid.channel.rejected == []


POISON_HEADERS = {
    "timelimit_a_string": {"timelimit": "x"},
    "timelimit_a_number": {"timelimit": 5},
    "timelimit_of_strings": {"timelimit": ["a", "b"]},
    "timelimit_of_one": {"timelimit": [None]},
    "expires_an_object": {"expires": {}},
    "expires_empty": {"expires": ""},
    "eta_a_list": {"eta": [1]},
    "eta_not_a_date": {"eta": "garbage"},
    "retries_null": {"retries": None},
    "argsrepr_a_number": {"argsrepr": 5},
    "root_id_a_list": {"root_id": [1]},
    "shadow_a_number": {"shadow": 5},
    "group_index_a_string": {"group_index": "x"},
    "stamps_a_string": {"stamps": "x"},
    "stamped_headers_a_string": {"stamped_headers": "x"},
    "ignore_result_a_string": {"ignore_result": "x"},
}


@pytest.mark.parametrize("headers", POISON_HEADERS.values(), ids=POISON_HEADERS.keys())
def test_a_header_celery_cannot_read_sets_the_message_aside_before_the_strategy(
        caplog, headers):
    reached = []
    handle = consumer(lambda *args: reached.append(args)).create_task_handler()
    poisoned = message({"task": TASK, "id": "poisoned", "retries": 0, **headers}, [[7], {}, {}])
    with caplog.at_level(logging.ERROR, logger="hub.broker_consumer"):
        handle(poisoned)
    assert reached == []
    assert poisoned.channel.rejected == ["tag"]
    [said] = [r.getMessage() for r in caplog.records]
    assert f"task message poisoned set aside: the {next(iter(headers))} header" in said


@pytest.mark.parametrize("embed", [{"callbacks": "x"}, {"chord": []}, {"errbacks": [1]}])
def test_embedded_callbacks_celery_cannot_read_set_the_message_aside(embed):
    reached = []
    handle = consumer(lambda *args: reached.append(args)).create_task_handler()
    poisoned = message({"task": TASK, "id": "1"}, [[7], {}, embed])
    handle(poisoned)
    assert reached == [] and poisoned.channel.rejected == ["tag"]


def test_the_headers_celery_sends_reach_the_strategy():
    """The headers of a real message of the hub's (Celery 5, protocol 2)."""
    reached = []
    handle = consumer(lambda *args: reached.append(args)).create_task_handler()
    headers = {"lang": "py", "task": TASK, "id": "c8f8", "shadow": None, "eta": None,
               "expires": "2026-12-07T04:00:00+00:00", "group": None, "group_index": None,
               "retries": 0, "timelimit": [None, None], "root_id": "c8f8", "parent_id": None,
               "argsrepr": "[[281]]", "kwargsrepr": "{}", "origin": "gen12928@vm",
               "ignore_result": False, "replaced_task_nesting": 0, "stamped_headers": None,
               "stamps": {}}
    sent = message(headers, [[[281]], {}, {"callbacks": None, "errbacks": None,
                                          "chain": None, "chord": None}])
    handle(sent)
    assert len(reached) == 1 and sent.channel.rejected == []


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
