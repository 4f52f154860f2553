"""A durable checkpoint: what the hub has accepted, and where the source was read up to.

Two files: a snapshot `PATH` (JSON, replaced atomically: temp file, fsync, rename)
and a journal `PATH.journal` (one JSON line per accepted batch, fsync'd). Writing
the whole snapshot after every batch would cost O(fiches) per batch; the journal
makes each acknowledgement O(batch) and the snapshot is rewritten once per run.
A torn last journal line (crash while writing) is ignored, and cut off when the
checkpoint is loaded so that the next acknowledgement starts a line of its own (a last
line whole but for its newline is kept and given its newline): that
batch was accepted by the hub but not acknowledged here, so it is pushed again and the
hub answers `duplicate` (versions are idempotent). Nothing is ever written before the hub
accepted it.

The snapshot format:
    {"format": 1, "curseur": "2024-03-05T10:00:00+01:00",
     "fiches": {"<source key>": ["<fiche_id>", <version>, "<content sha256>",
                                  "<mis_a_jour_le sent>"]},
     "colonnes": ["N° dossier", ...], "remplies": ["Téléphone", ...],
     "refusees": ["<source key>", ...]}

`colonnes` is the header of the last complete read (a full export whose columns changed
withdraws nothing); `remplies` are the columns the mapping reads that held a value on one
row at least in that read (one empty on every row now holds the run); the fourth element
of a fiche's row (absent in checkpoints written before) is the update date of the version
sent, so that an older export put back is not sent over it; `refusees` are
the keys the hub refused, read again on the next run even when their modification date is
older than the cursor.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

from connectors.errors import CheckpointError


@dataclasses.dataclass(frozen=True)
class KnownFiche:
    """A fiche version the hub accepted."""

    fiche_id: str
    version: int
    content_hash: str
    updated: str | None = None  # the version's `mis_a_jour_le` (absent from older checkpoints)


@dataclasses.dataclass
class CheckpointState:
    cursor: str | None = None
    known: dict[str, KnownFiche] = dataclasses.field(default_factory=dict)
    columns: list[str] = dataclasses.field(default_factory=list)
    refused: set[str] = dataclasses.field(default_factory=set)
    filled: list[str] = dataclasses.field(default_factory=list)


class Checkpoint:
    """Load, acknowledge batches, and commit a connector's progress."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.journal = self.path.with_name(self.path.name + ".journal")
        self._folder_made = False

    def load(self) -> CheckpointState:
        state = self._read_snapshot()
        for entries, removed in self._read_journal():
            _apply(state, entries, removed)
        return state

    def acknowledge(
        self, state: CheckpointState, entries: dict[str, KnownFiche], removed: Sequence[str] = ()
    ) -> None:
        """Durably record a batch the hub accepted, then update `state`."""
        line: dict[str, Any] = {"fiches": {k: _row(v) for k, v in entries.items()},
                                "retraits": list(removed)}
        if not self._folder_made:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._folder_made = True
        with open(self.journal, "ab") as handle:
            handle.write(orjson.dumps(line) + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        _apply(state, entries, line["retraits"])

    def commit(self, state: CheckpointState) -> None:
        """Write the whole state as the new snapshot, atomically, and clear the journal."""
        data = {"format": 1, "curseur": state.cursor,
                "fiches": {k: _row(v) for k, v in state.known.items()},
                "colonnes": state.columns, "remplies": state.filled,
                "refusees": sorted(state.refused)}
        try:
            content = orjson.dumps(data)
        except orjson.JSONEncodeError as exc:  # text no encoding writes: a bug, said plainly
            raise CheckpointError(
                "Point de reprise impossible à enregistrer (texte illisible) : les lots "
                "acceptés restent notés dans son journal, rien ne sera renvoyé. Signalez-le.",
                "Checkpoint cannot be saved (unreadable text): the accepted batches stay in "
                "its journal, nothing will be sent again. Please report it.") from exc
        try:
            self._replace(content)
        except OSError as exc:
            raise CheckpointError(
                "Point de reprise impossible à écrire (disque plein, droits du dossier ?) : "
                "les lots acceptés restent notés dans son journal, rien ne sera renvoyé.",
                "Checkpoint cannot be written (disk full, folder rights?): the accepted "
                "batches stay in its journal, nothing will be sent again.") from exc
        self.journal.unlink(missing_ok=True)

    def _replace(self, content: bytes) -> None:
        """Write `content` as the snapshot, atomically."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=self.path.name + ".", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, self.path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        fsync_dir(self.path.parent)

    def _read_snapshot(self) -> CheckpointState:
        if not self.path.exists():
            return CheckpointState()
        try:
            data = orjson.loads(self.path.read_bytes())
            known = {k: _known(r) for k, r in data["fiches"].items()}
            return CheckpointState(cursor=data.get("curseur"), known=known,
                                   columns=[str(c) for c in data.get("colonnes", [])],
                                   refused={str(k) for k in data.get("refusees", [])},
                                   filled=[str(c) for c in data.get("remplies", [])])
        except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
            raise _corrupt() from exc

    def _read_journal(self) -> list[tuple[dict[str, Any], list[str]]]:
        if not self.journal.exists():
            return []
        data = self.journal.read_bytes()
        lines = data.split(b"\n")
        batches, end = [], 0  # `end`: the byte after the last whole line
        for position, text in enumerate(lines):
            if text.strip():
                try:
                    line = orjson.loads(text)
                    batches.append((line["fiches"], list(line.get("retraits", []))))
                except (ValueError, KeyError, TypeError) as exc:
                    if position >= len(lines) - 2:  # a torn last line: never acknowledged
                        self._cut_journal(end)
                        break
                    raise _corrupt() from exc
            end += len(text) + 1
        else:
            if data and not data.endswith(b"\n"):
                self._end_last_line()
        return batches

    def _end_last_line(self) -> None:
        """A last line whole but for its newline (a write cut short just before it) was
        acknowledged: it gets its newline, so the next acknowledgement starts a line of
        its own instead of being glued onto it (a line no later run could read)."""
        with open(self.journal, "ab") as handle:
            handle.write(b"\n")
            handle.flush()
            os.fsync(handle.fileno())

    def _cut_journal(self, end: int) -> None:
        """Drop a torn last line (a run killed while writing it): the next batch
        acknowledged would be appended to it, one line that no later run could read."""
        with open(self.journal, "r+b") as handle:
            handle.truncate(end)
            handle.flush()
            os.fsync(handle.fileno())


def _row(known: KnownFiche | list[Any]) -> list[Any]:
    if isinstance(known, KnownFiche):
        row: list[Any] = [known.fiche_id, known.version, known.content_hash]
        return row if known.updated is None else [*row, known.updated]
    return list(known)


def _known(row: list[Any]) -> KnownFiche:
    updated = str(row[3]) if len(row) > 3 and row[3] is not None else None
    return KnownFiche(str(row[0]), int(row[1]), str(row[2]), updated)


def _apply(state: CheckpointState, entries: dict[str, Any], removed: list[str]) -> None:
    for key, row in entries.items():
        if not isinstance(row, KnownFiche):
            row = _known(row)
        state.known[key] = row
    for key in removed:
        state.known.pop(key, None)


def fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _corrupt() -> CheckpointError:
    return CheckpointError(
        "Point de reprise illisible : restaurez-le ou supprimez-le pour tout renvoyer "
        "(les fiches déjà au hub reviendront comme doublons, sans nouvelle version).",
        "Unreadable checkpoint: restore it, or delete it to resend everything "
        "(fiches already at the hub come back as duplicates, with no new version).",
    )
