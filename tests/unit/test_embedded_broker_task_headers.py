"""A task message whose headers Celery's worker cannot read (it stopped every worker it
was handed to) is moved to the embedded broker's `torn/` as it is taken from the queue,
logged with the header's name; a message refused by the consumer for any other reason
is kept there too."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from queue import Empty

import pytest

from tests.unit.embedded_channel import embedded_channel

HEADERS = {"task": "hub.process_outbox", "id": "c8f8", "retries": 0, "timelimit": [None, None]}


def queued(channel, name: str, headers: dict) -> None:
    message = {"body": "W1tdLCB7fSwge31d", "content-type": "application/json",
               "content-encoding": "utf-8", "headers": headers,
               "properties": {"delivery_tag": name, "body_encoding": "base64"}}
    (Path(channel.data_folder_in) / f"{name}.capactif.msg").write_text(json.dumps(message))


@pytest.mark.parametrize("header,value", [("timelimit", "x"), ("timelimit", 5), ("expires", {})])
def test_a_message_with_a_header_celery_cannot_read_is_moved_to_torn(tmp_path, caplog, header,
                                                                      value):
    with embedded_channel(tmp_path) as channel, \
            caplog.at_level(logging.ERROR, logger="hub.embedded_broker"):
        queued(channel, "1_poisoned", {**HEADERS, header: value})
        queued(channel, "2_good", HEADERS)
        assert channel._get("capactif")["properties"]["delivery_tag"] == "2_good"
        with pytest.raises(Empty):
            channel._get("capactif")
    assert [p.name for p in (tmp_path / "torn").iterdir()] == ["1_poisoned.capactif.msg"]
    [said] = [r.getMessage() for r in caplog.records]
    assert "1_poisoned.capactif.msg" in said and f"the {header} header" in said


def test_a_message_the_consumer_refuses_is_kept_in_torn(tmp_path):
    with embedded_channel(tmp_path) as channel:
        queued(channel, "1_taken", HEADERS)
        message = channel.Message(channel._get("capactif"), channel=channel)
        kept = Path(channel.set_aside(message))
    assert kept.parent == tmp_path / "torn"
    assert json.loads(kept.read_text())["properties"]["delivery_tag"] == "1_taken"
