"""`capactif restore` ends when its purge or ANALYZE gave up (the store is whole), and says
on stderr what is left to run, in both languages; a restore that finished both is quiet."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hub import cli
from hub.services.ops import recovery


def _run(monkeypatch, capsys, *, purged: bool, analysed: bool) -> tuple[int, dict, str]:
    done = recovery.Restored(0, 0, 0, 0, [], [], freed_space_purged=purged,
                             statistics_gathered=analysed)
    monkeypatch.setattr(recovery, "restore", lambda *_a, **_k: done)
    monkeypatch.setattr(cli, "_settings", lambda *_a: None)
    code = cli._restore(argparse.Namespace(folder=Path("sauvegarde"), force=False))
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def test_a_purge_that_gave_up_is_told_with_what_to_run(monkeypatch, capsys):
    code, answer, err = _run(monkeypatch, capsys, purged=False, analysed=True)
    assert code == 0 and answer["freed_space_purged"] is False
    assert "VACUUM" in err and "wal_checkpoint(TRUNCATE)" in err and "ANALYZE" not in err


def test_an_analyze_that_gave_up_is_told_with_what_to_run(monkeypatch, capsys):
    code, answer, err = _run(monkeypatch, capsys, purged=True, analysed=False)
    assert code == 0 and answer["statistics_gathered"] is False
    assert "ANALYZE" in err and "VACUUM" not in err


def test_a_restore_that_finished_both_is_quiet(monkeypatch, capsys):
    assert _run(monkeypatch, capsys, purged=True, analysed=True)[2] == ""
