"""The data directory is closed to group and others at every start, its owner's bits and
its special bits (setgid, sticky) kept; a directory the hub cannot change is said, never
a traceback."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from hub.data_dir import prepare_data_dir


def test_group_and_others_are_closed_and_setgid_kept(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    folder.chmod(0o2775)
    prepare_data_dir(folder)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o2700


def test_a_directory_it_cannot_change_is_said(tmp_path: Path, monkeypatch,
                                              caplog: pytest.LogCaptureFixture) -> None:
    """A read-only mount raises EROFS (an OSError, not a PermissionError)."""
    import errno
    import os

    folder = tmp_path / "data"
    folder.mkdir()
    folder.chmod(0o755)

    def read_only(path, mode):  # type: ignore[no-untyped-def]
        raise OSError(errno.EROFS, "Read-only file system", str(path))

    monkeypatch.setattr(os, "chmod", read_only)
    with caplog.at_level(logging.WARNING, logger="hub"):
        assert prepare_data_dir(folder) == folder
    assert "chmod 700" in caplog.text
