"""The composition root builds objects whose connections open on first use."""

from __future__ import annotations

import gc
import json
import sqlite3
from pathlib import Path

from hub.audit.events import AccessEvent
from hub.bootstrap import Hub, create_celery
from hub.config import Settings
from hub.domain.matching.model import DEFAULT_MODEL_FILE
from hub.services.audit.alerts import DEFAULT_RULES_FILE
from hub.services.matching.online import matching_model
from hub.store.migrate import upgrade
from tests.fakes.publisher import RecordingPublisher


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
        upgrade(hub.settings.database_url.reveal())
        stamped = hub.audit.append_many([AccessEvent(
            at=hub.clock(), actor_member="pfil-1", action="porteur_view", outcome="allowed",
            fields=("projet.intitule",), purpose="accompagnement")])
        assert [event.seq for event in stamped] == [0]
        assert hub.audit.inclusion_proof(0) == []  # a one-entry tree: the path is empty
    finally:
        hub.close()


def test_each_hub_reads_its_own_model_and_alert_rules_files(tmp_path: Path) -> None:
    model_file, rules_file = tmp_path / "model.json", tmp_path / "rules.json"
    model = json.loads(DEFAULT_MODEL_FILE.read_text("utf-8"))
    rules = json.loads(DEFAULT_RULES_FILE.read_text("utf-8"))
    settings = _settings(tmp_path, tmp_path / "hub.sqlite3").replace(
        matching_model_file=model_file, audit_alert_rules_file=rules_file)
    seen = []
    for prior, version in ((0.01, "first"), (0.02, "second")):  # the files change between hubs
        model_file.write_text(json.dumps({**model, "a_priori": prior}), "utf-8")
        rules_file.write_text(json.dumps({**rules, "version": version}), "utf-8")
        hub = Hub.from_settings(settings, publisher=RecordingPublisher())
        try:
            seen.append((matching_model(hub).prior, hub.alert_rules.get().version))
            assert matching_model(hub) is matching_model(hub)  # read once per hub
        finally:
            hub.close()
    assert seen == [(0.01, "first"), (0.02, "second")]
    shipped = hub.with_settings(matching_model_file=None, audit_alert_rules_file=None)
    assert matching_model(shipped).prior == model["a_priori"]
    assert shipped.alert_rules.get().version == rules["version"]


def test_each_hub_posts_webhooks_with_its_own_session(tmp_path: Path) -> None:
    settings = _settings(tmp_path, tmp_path / "hub.sqlite3")
    first, second = (Hub.from_settings(settings, publisher=RecordingPublisher()) for _ in "ab")
    try:
        assert first.webhook_session is not second.webhook_session
        assert first.with_settings(webhook_timeout_s=1.0).webhook_session is first.webhook_session
    finally:
        first.close()
        second.close()


def test_the_worker_builds_one_hub_per_process_and_keeps_it(tmp_path: Path) -> None:
    from celery import current_app

    from hub import tasks

    settings = _settings(tmp_path, tmp_path / "hub.sqlite3")
    worker_app = create_celery(settings, include_tasks=True)
    thresholds = gc.get_threshold()  # the worker's hub sets its collector's (kept after)
    hub = tasks._hub()
    try:
        assert current_app._get_current_object() is worker_app  # the hub's own app is not
        assert tasks._hub() is hub and hub.settings == settings
    finally:
        hub.close()
        gc.set_threshold(*thresholds)


def test_a_worker_process_collects_garbage_at_the_batch_thresholds(tmp_path: Path) -> None:
    from hub import collector, tasks

    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)  # Python's own, whatever an earlier test left
    create_celery(_settings(tmp_path, tmp_path / "hub.sqlite3"), include_tasks=True)
    try:
        hub = tasks._hub()
        hub.close()
        assert gc.get_threshold() == (collector.YOUNG, collector.MIDDLE, collector.OLD)
        assert gc.isenabled()
    finally:
        gc.set_threshold(*before)


def test_the_api_process_collects_garbage_at_the_batch_thresholds(tmp_path: Path,
                                                                 monkeypatch) -> None:
    """A 500-fiche push allocates some hundred thousand containers: at Python's own
    thresholds the API's collector ran some 40 times a batch (a third of its CPU)."""
    import argparse

    from hub import cli, collector

    seen: list[tuple[int, int, int]] = []
    monkeypatch.setattr("uvicorn.run", lambda *_a, **_k: seen.append(gc.get_threshold()))
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)  # Python's own, whatever an earlier test left
    try:
        cli._serve(argparse.Namespace(data_dir=tmp_path / "var", host=None, port=None))
        assert seen == [(collector.YOUNG, collector.MIDDLE, collector.OLD)]
        assert gc.isenabled()
    finally:
        gc.set_threshold(*before)
