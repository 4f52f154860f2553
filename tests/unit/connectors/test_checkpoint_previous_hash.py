"""A checkpoint written before the skip-unchanged hash wrote equal numbers one way (8000.0
is 8000) still recognises an unchanged fiche: upgrading the connector does not send a new
version of every fiche holding a whole float; the checkpoint is rewritten in the new form."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from connectors.base import SourceRecord
from connectors.checkpoint import Checkpoint, CheckpointState, KnownFiche
from connectors.rejects import RejectsFile
from connectors.runner import Runner, content_hash
from tests.factories import make_fiche

FICHE = {k: v for k, v in make_fiche(member="commune-ambert", fiche_id="F-1").items()
         if k != "version"}
FICHE["financement"] = {**FICHE["financement"], "apport": 8000.0}  # a CRM's JSON number


def _previous_release_hash(fiche: dict[str, Any]) -> str:
    """connectors.runner.content_hash as the release before same_numbers wrote it."""
    body = {k: v for k, v in fiche.items() if k not in ("version", "mis_a_jour_le")}
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()


class _Ids:
    def fiche_id(self, key: str) -> str:
        return f"F-{key}"


class _Source:
    mapping = _Ids()
    def __init__(self, fiche: dict[str, Any]) -> None:
        self._fiche = fiche
        self.warnings: list[Any] = []

    def changes(self, since: dt.datetime | None) -> Iterator[SourceRecord]:
        yield SourceRecord("1", {}, line=2)

    def to_fiche(self, record: SourceRecord) -> dict[str, Any]:
        return dict(self._fiche)

    def missing_columns(self) -> list[str]:
        return []

    def deleted_keys(self, known: set[str]) -> set[str]:
        return set()


class _NoPush:
    member_id = "commune-ambert"

    def push_fiches(self, fiches: Any) -> Any:
        raise AssertionError(f"{len(fiches)} fiche(s) sent again")


def _run(tmp_path: Path, fiche: dict[str, Any], known_hash: str) -> tuple[Any, CheckpointState]:
    checkpoint = Checkpoint(tmp_path / "reprise.json")
    checkpoint.commit(CheckpointState(known={"1": KnownFiche("F-1", 3, known_hash)}))
    summary = Runner(_Source(fiche), _NoPush(), checkpoint,  # type: ignore[arg-type]
                     RejectsFile(tmp_path / "rejets.jsonl")).run()
    return summary, checkpoint.load()


def test_a_fiche_hashed_the_previous_way_is_unchanged_and_its_hash_rewritten(tmp_path):
    assert _previous_release_hash(FICHE) != content_hash(FICHE)
    summary, state = _run(tmp_path, FICHE, _previous_release_hash(FICHE))
    assert summary.unchanged == 1 and summary.sent == 0
    assert state.known["1"] == KnownFiche("F-1", 3, content_hash(FICHE))


def test_a_changed_fiche_is_not_taken_for_its_previous_hash(tmp_path):
    changed = {**FICHE, "porteur": {**FICHE["porteur"], "nom": "Martin"}}
    try:
        _run(tmp_path, changed, _previous_release_hash(FICHE))
    except AssertionError as sent:
        assert "sent again" in str(sent)
    else:
        raise AssertionError("a changed fiche was taken as unchanged")
