"""The recovery journal keeps every entry appended after a line torn by a crash (a kill
during a large write, a short write on a full key volume): the next entry starts on a
line of its own, and a write the system cuts short is finished, not left torn."""

from __future__ import annotations

import os

import pytest

from hub import journal
from hub.errors import KeyDirectoryFull
from hub.journal import RecoveryJournal


def test_an_entry_appended_after_a_torn_line_is_kept(tmp_path):
    book = RecoveryJournal(tmp_path)
    book.settled("2026-12-06T10:00:00+00:00")
    with book.path.open("ab") as handle:  # a rotation line cut by a kill
        handle.write(b'{"type":"rotation","at":"2026-12-06T10:01:00+00:00","keys":{"1":"QU')
    book.withdrawal("cns_1", "commune-ambert", "2026-12-06T10:02:00+00:00", "withdrawn")
    assert [e["type"] for e in book.entries()] == ["settled", "withdrawal"]


def test_a_write_cut_short_by_the_system_is_finished(tmp_path, monkeypatch):
    book = RecoveryJournal(tmp_path)
    real_write = os.write

    def short_write(fd: int, data: bytes) -> int:  # at most seven bytes a call
        return real_write(fd, bytes(data[:7]))

    monkeypatch.setattr(journal.os, "write", short_write)
    book.settled("2026-12-06T10:00:00+00:00")
    book.withdrawal("cns_1", "commune-ambert", "2026-12-06T10:02:00+00:00", "withdrawn")
    monkeypatch.undo()
    assert [e["type"] for e in book.entries()] == ["settled", "withdrawal"]


def test_a_volume_that_takes_no_byte_is_an_error_not_a_torn_entry(tmp_path, monkeypatch):
    book = RecoveryJournal(tmp_path)
    monkeypatch.setattr(journal.os, "write", lambda fd, data: 0)
    with pytest.raises(KeyDirectoryFull):  # the hub's 503, the entry not written
        book.settled("2026-12-06T10:00:00+00:00")
