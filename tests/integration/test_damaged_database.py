"""A SQLite file damaged while the hub runs (a disk error, a copy over it): every new
connection is refused by SQLite; the hub's error is `database_unreadable` (503) saying
what to do, never a raw driver error (a 500)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from hub.api.app import create_app
from hub.bootstrap import Hub
from hub.config import Settings
from hub.errors import DatabaseUnreadable
from hub.services.ops.admin import initialise

pytestmark = pytest.mark.integration


def damage(settings: Settings) -> None:
    with open(settings.data_dir / "hub.sqlite3", "r+b") as database:
        database.write(b"not a database" * 8)  # over SQLite's header


def test_a_unit_of_work_on_a_damaged_database_file_is_a_503_saying_what_to_do(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    initialise(settings)
    hub = Hub.from_settings(settings)
    try:
        damage(settings)
        hub.engine.dispose()  # the next connection reads the header
        with pytest.raises(DatabaseUnreadable, match="capactif restore"), hub.uow():
            pass
    finally:
        hub.close()


def test_healthz_answers_503_and_readiness_names_a_damaged_database_file(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    initialise(settings)
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False, client=("127.0.0.1", 50000)) as client:
        assert client.get("/healthz").status_code == 200
        damage(settings)
        app.state.hub.engine.dispose()
        answer, ready = client.get("/healthz"), client.get("/readyz")
    assert answer.status_code == ready.status_code == 503
    assert ready.json()["verifications"]["base"]["detail"] == "database_unreadable"
