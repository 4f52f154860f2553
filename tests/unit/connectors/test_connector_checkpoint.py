"""The checkpoint only ever holds what the hub accepted, and survives a crash."""

import json

import pytest

from connectors.checkpoint import Checkpoint, CheckpointState, KnownFiche
from connectors.errors import CheckpointError


def test_a_new_checkpoint_is_empty(tmp_path):
    state = Checkpoint(tmp_path / "reprise.json").load()
    assert state.cursor is None and state.known == {}


def test_acknowledged_batches_survive_without_a_commit(tmp_path):
    checkpoint = Checkpoint(tmp_path / "reprise.json")
    state = checkpoint.load()
    checkpoint.acknowledge(state, {"k1": KnownFiche("F-1", 1, "h1")})
    checkpoint.acknowledge(state, {"k2": KnownFiche("F-2", 3, "h2")})
    reloaded = Checkpoint(tmp_path / "reprise.json").load()
    assert reloaded.known == {"k1": KnownFiche("F-1", 1, "h1"), "k2": KnownFiche("F-2", 3, "h2")}


def test_commit_writes_one_snapshot_and_clears_the_journal(tmp_path):
    checkpoint = Checkpoint(tmp_path / "reprise.json")
    state = CheckpointState(cursor="2025-03-14T10:00:00+01:00")
    checkpoint.acknowledge(state, {"k1": KnownFiche("F-1", 1, "h1")})
    checkpoint.commit(state)
    assert not checkpoint.journal.exists()
    snapshot = json.loads(checkpoint.path.read_text())
    assert snapshot["curseur"] == "2025-03-14T10:00:00+01:00"
    assert snapshot["fiches"] == {"k1": ["F-1", 1, "h1"]}
    assert [p.name for p in tmp_path.iterdir()] == ["reprise.json"]


def test_a_torn_last_journal_line_is_ignored(tmp_path):
    checkpoint = Checkpoint(tmp_path / "reprise.json")
    state = checkpoint.load()
    checkpoint.acknowledge(state, {"k1": KnownFiche("F-1", 1, "h1")})
    with open(checkpoint.journal, "a") as handle:
        handle.write('{"fiches": {"k2": ["F-2"')
    assert set(checkpoint.load().known) == {"k1"}


@pytest.mark.parametrize("torn", ['{"fiches": {"k2": ["F-2"', '{"fiches": {"k2": ["F-\u00e9'])
def test_batches_acknowledged_after_a_torn_line_are_read_by_every_later_run(tmp_path, torn):
    """The run after a kill acknowledges its batches in the journal the torn line ends:
    appended to that line, they made the journal unreadable to the run after."""
    checkpoint = Checkpoint(tmp_path / "reprise.json")
    checkpoint.acknowledge(checkpoint.load(), {"k1": KnownFiche("F-1", 1, "h1")})
    with open(checkpoint.journal, "ab") as handle:
        handle.write(torn.encode()[:-1])  # cut inside a character too
    state = checkpoint.load()
    checkpoint.acknowledge(state, {"k3": KnownFiche("F-3", 1, "h3")})
    checkpoint.acknowledge(state, {"k4": KnownFiche("F-4", 1, "h4")})
    assert set(Checkpoint(tmp_path / "reprise.json").load().known) == {"k1", "k3", "k4"}


def test_a_last_line_whole_but_for_its_newline_is_kept_and_later_batches_are_read(tmp_path):
    """A write cut short just before its newline (a full volume, a power cut): the line
    parses, so it was neither cut nor ended; the next run's acknowledgements were glued
    onto it, and once a second one followed the whole journal was refused."""
    checkpoint = Checkpoint(tmp_path / "reprise.json")
    checkpoint.acknowledge(checkpoint.load(), {"k1": KnownFiche("F-1", 1, "h1")})
    with open(checkpoint.journal, "ab") as handle:
        handle.write(b'{"fiches":{"k2":["F-2",1,"h2"]},"retraits":[]}')
    state = checkpoint.load()
    assert set(state.known) == {"k1", "k2"}
    checkpoint.acknowledge(state, {"k3": KnownFiche("F-3", 1, "h3")})
    checkpoint.acknowledge(state, {"k4": KnownFiche("F-4", 1, "h4")})
    assert Checkpoint(tmp_path / "reprise.json").load().known == {
        "k1": KnownFiche("F-1", 1, "h1"), "k2": KnownFiche("F-2", 1, "h2"),
        "k3": KnownFiche("F-3", 1, "h3"), "k4": KnownFiche("F-4", 1, "h4")}


def test_a_corrupt_snapshot_is_an_error_never_a_silent_reset(tmp_path):
    (tmp_path / "reprise.json").write_text("{not json")
    with pytest.raises(CheckpointError):
        Checkpoint(tmp_path / "reprise.json").load()
