"""The data directory's write probe (hub/services/ops/health.py): a full disk is probed at
every beat while the worker waits for room, so a refused write leaves no file behind."""

from __future__ import annotations

import errno
import os

import pytest

from hub.errors import DataDirectoryFull
from hub.services.ops import health


def test_a_probe_refused_by_a_full_disk_leaves_no_file(tmp_path, monkeypatch):
    def full(_fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(health.os, "fsync", full)
    for _ in range(3):
        with pytest.raises(DataDirectoryFull):
            health._probe(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_probe_that_writes_leaves_no_file(tmp_path):
    health._probe(tmp_path)
    assert list(tmp_path.iterdir()) == []
