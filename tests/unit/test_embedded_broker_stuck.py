"""A message the embedded broker cannot take out of `queue/` (any error but the file gone,
which means another reader took it) is said once, by its file name only, and stays in
`queue/` to be tried again."""

from __future__ import annotations

import errno
import logging
from pathlib import Path
from queue import Empty

import pytest

from hub import embedded_broker
from tests.unit.embedded_channel import embedded_channel


@pytest.fixture
def channel(tmp_path):
    with embedded_channel(tmp_path) as channel:
        yield channel


def test_a_message_that_cannot_be_taken_is_said_once_and_stays_in_the_queue(
        channel, monkeypatch, caplog):
    channel._put("capactif", {"body": "e30=", "properties": {"delivery_tag": "t"}})
    moved = embedded_broker._move

    def refused(source: Path, target: Path) -> None:
        if target.parent.name == "reading":
            raise PermissionError(errno.EACCES, "Permission denied")
        moved(source, target)

    monkeypatch.setattr(embedded_broker, "_move", refused)
    with caplog.at_level(logging.WARNING, logger=embedded_broker.__name__):
        for _ in range(3):
            with pytest.raises(Empty):
                channel._get("capactif")
    [stuck] = list(Path(channel.data_folder_in).iterdir())
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 1, said
    assert stuck.name in said[0] and "PermissionError" in said[0]


def test_a_message_taken_by_another_reader_is_not_said(channel, monkeypatch, caplog):
    channel._put("capactif", {"body": "e30=", "properties": {"delivery_tag": "t"}})

    def gone(source: Path, target: Path) -> None:
        source.unlink()
        raise FileNotFoundError(errno.ENOENT, "No such file or directory")

    monkeypatch.setattr(embedded_broker, "_move", gone)
    with caplog.at_level(logging.WARNING, logger=embedded_broker.__name__), pytest.raises(Empty):
        channel._get("capactif")
    assert caplog.records == []
