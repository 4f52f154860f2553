"""A message a worker killed between taking it (`queue/` → `reading/`) and deleting it
left in `reading/` stayed there for ever: its task was lost until the outbox sweep
published the work again, and a task the sweep does not cover (a dispatch) was never
run. A reader holds a message for milliseconds: one seen in `reading/` at two looks a
minute apart is put back in the queue (tasks carry ids and are idempotent)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from queue import Empty

import pytest

from hub import embedded_broker
from tests.unit.embedded_channel import embedded_channel

MESSAGE = {"body": "e30=", "properties": {"delivery_tag": "t"}}


@pytest.fixture
def channel(tmp_path, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(embedded_broker, "monotonic", lambda: clock[0])
    with embedded_channel(tmp_path) as channel:
        channel.clock = clock
        yield channel


def _left_in_reading(channel, contents: bytes | None = None) -> Path:
    """A message taken by a reader killed before it deleted it."""
    channel._put("capactif", MESSAGE)
    [queued] = list(Path(channel.data_folder_in).iterdir())
    reading = Path(channel.data_folder_in).parent / "reading"
    reading.mkdir(exist_ok=True)
    left = reading / queued.name
    queued.rename(left)
    if contents is not None:
        left.write_bytes(contents)
    return left


def _stays_out_of_the_queue(channel, left: Path) -> None:
    """Looked at three times a minute apart, `left` is never taken nor put back."""
    for _ in range(3):
        with pytest.raises(Empty):
            channel._get("capactif")
        channel.clock[0] += embedded_broker.STAGED_MAX_AGE_S + 1
    assert left.exists()
    assert list(Path(channel.data_folder_in).iterdir()) == []


def test_a_message_left_in_reading_is_put_back_in_the_queue_and_read(channel, caplog):
    left = _left_in_reading(channel)
    with pytest.raises(Empty):
        channel._get("capactif")  # first seen there
    channel.clock[0] += embedded_broker.STAGED_MAX_AGE_S + 1
    with caplog.at_level(logging.WARNING, logger=embedded_broker.__name__):
        assert channel._get("capactif")["properties"]["delivery_tag"] == "t"
    assert not left.exists()
    assert list(left.parent.iterdir()) == []
    [said] = [r.getMessage() for r in caplog.records]
    assert "reading" in said and left.name not in said


def test_a_message_seen_once_in_reading_is_left_to_its_reader(channel):
    """Another worker of the same data directory may be reading it right now."""
    with pytest.raises(Empty):
        channel._get("capactif")
    channel.clock[0] += embedded_broker.STAGED_MAX_AGE_S + 1
    left = _left_in_reading(channel)
    with pytest.raises(Empty):
        channel._get("capactif")
    assert left.exists()


def test_an_unreadable_message_left_in_reading_stays_out_of_the_queue(channel):
    """One `torn/` refused: read again it would be set aside again, every minute."""
    left = _left_in_reading(channel, b"{not json")
    _stays_out_of_the_queue(channel, left)


def test_a_message_whose_body_cannot_be_decoded_left_in_reading_stays_out_of_the_queue(channel):
    """A sound envelope with a body `_read` refuses (not base64): put back, it was taken,
    refused by the full `torn/` and left in `reading/` again, every two minutes for ever."""
    bad_body = {"body": "!!!x", "properties": {"delivery_tag": "t", "body_encoding": "base64"}}
    left = _left_in_reading(channel, json.dumps(bad_body).encode())
    _stays_out_of_the_queue(channel, left)


def test_a_message_put_back_gets_a_new_name_its_paused_reader_cannot_touch(channel):
    """The reader that left it may only have paused: resuming, it reads and deletes the
    name it took, which must not be the copy put back (it would delete another reader's
    message, or run it twice)."""
    left = _left_in_reading(channel)
    queue = Path(channel.data_folder_in)
    with pytest.raises(Empty):
        channel._get("other-queue")  # first seen there
    channel.clock[0] += embedded_broker.STAGED_MAX_AGE_S + 1
    with pytest.raises(Empty):
        channel._get("other-queue")  # put back
    [copy] = list(queue.iterdir())
    assert copy.name != left.name
    assert copy.name.endswith(".capactif.msg")
    assert copy.name.partition("_")[0] == left.name.partition("_")[0]  # its place in line
    taken = left.parent / copy.name
    copy.rename(taken)  # another reader takes the copy
    assert channel._read(left) is None  # the paused reader resumes: nothing left to it
    assert taken.exists()
    assert channel._read(taken)["properties"]["delivery_tag"] == "t"
