"""The composition root builds objects whose connections open on first use."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hub.audit.events import AccessEvent
from hub.bootstrap import Hub
from hub.config import Settings
from hub.services.publisher import RecordingPublisher
from hub.store.migrate import upgrade


def _settings(tmp_path: Path, database: Path) -> Settings:
    return Settings(data_dir=tmp_path / "var", database_url=f"sqlite:///{database}")


def test_building_the_hub_opens_no_database_connection(tmp_path: Path) -> None:
    database = tmp_path / "hub.sqlite3"
    hub = Hub.from_settings(_settings(tmp_path, database), publisher=RecordingPublisher())
    try:
        assert not database.exists()  # SQLite creates the file at the first connection
    finally:
        hub.close()


def test_the_hub_builds_on_a_database_not_yet_migrated_and_logs_once_it_is(tmp_path: Path) -> None:
    database = tmp_path / "hub.sqlite3"
    sqlite3.connect(database).close()  # an empty database: no table at all
    hub = Hub.from_settings(_settings(tmp_path, database), publisher=RecordingPublisher())
    try:
        upgrade(hub.settings.database_url)
        stamped = hub.audit.append_many([AccessEvent(
            at=hub.clock(), actor_member="pfil-1", action="porteur_view", outcome="allowed",
            fields=("projet.intitule",), purpose="accompagnement")])
        assert [event.seq for event in stamped] == [0]
        assert hub.audit.inclusion_proof(0) == []  # a one-entry tree: the path is empty
    finally:
        hub.close()
