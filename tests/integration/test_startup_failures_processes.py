"""`capactif worker` and `capactif serve` refusing to start: a damaged database file, a
broker or database address the hub cannot use, a setting out of its range. Each ends
non-zero with one bilingual error naming what to fix (the variable or the file), never
a traceback, never a password."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from capactif_demo.processes import capactif_command, free_port
from hub.config import Settings
from hub.services.ops.admin import initialise

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def start(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    args = ["serve", "--port", str(free_port())] if command == "serve" else ["worker"]
    return subprocess.run(capactif_command(*args), env={**os.environ, **env},
                          capture_output=True, text=True, timeout=120)


def refused(done: subprocess.CompletedProcess[str], code: str, *named: str) -> None:
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "Traceback" not in output, output
    assert f"error ({code})" in done.stderr, output
    for name in named:
        assert name in done.stderr, output


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return tmp_path / "data"


@pytest.mark.parametrize("command", ["worker", "serve"])
def test_a_database_file_that_is_not_a_database_is_named_with_what_to_do(command, data_dir):
    data_dir.mkdir()
    (data_dir / "hub.sqlite3").write_bytes(os.urandom(8192))
    done = start(command, {"HUB_DATA_DIR": str(data_dir)})
    refused(done, "database_unreadable", str(data_dir / "hub.sqlite3"), "capactif restore")


@pytest.mark.parametrize("command", ["worker", "serve"])
def test_a_truncated_database_file_is_named_with_what_to_do(command, data_dir):
    initialise(Settings(data_dir=data_dir))
    database = data_dir / "hub.sqlite3"
    database.write_bytes(database.read_bytes()[:6000])  # a header, pages missing
    done = start(command, {"HUB_DATA_DIR": str(data_dir)})
    refused(done, "database_unreadable", str(database))


@pytest.mark.parametrize("command", ["worker", "serve"])
@pytest.mark.parametrize(("name", "value"), [
    ("HUB_BROKER_URL", "amqpx://guest:s3cret-pw@rabbit//"),
    ("HUB_DATABASE_URL", "nosuch://hub:s3cret-pw@db/hub"),
    ("HUB_WORKER_CONCURRENCY", "-3"),
    ("HUB_PORT", "99999"),
    ("HUB_LOG_LEVEL", "LOUD"),
])
def test_an_address_or_value_the_hub_cannot_use_is_named(command, name, value, data_dir):
    done = start(command, {"HUB_DATA_DIR": str(data_dir), name: value})
    refused(done, "configuration_error", name)
    assert "s3cret-pw" not in done.stdout + done.stderr


@pytest.mark.parametrize("name", ["HUB_WORKER_TRANSACTION_SIZE", "HUB_WORKER_CLAIM_SIZE"])
def test_a_worker_transaction_the_lock_timeout_cannot_wait_for_is_refused_at_start(
        name, data_dir):
    # Its fiches' keys held until it commits: at 100,000,000 rows, a chunk waiting for
    # them gave up after HUB_DATABASE_LOCK_TIMEOUT_S, and a kill -9 lost all that work.
    done = start("worker", {"HUB_DATA_DIR": str(data_dir), name: "100000000"})
    refused(done, "configuration_error", name, "at most 2000", "HUB_DATABASE_LOCK_TIMEOUT_S")


@pytest.mark.parametrize("command", ["worker", "serve"])
def test_a_database_driver_the_hub_cannot_load_is_named(command, data_dir):
    done = start(command, {"HUB_DATA_DIR": str(data_dir),
                           "HUB_DATABASE_URL": "postgresql+nosuchdriver://hub:s3cret-pw@db/hub"})
    refused(done, "configuration_error", "HUB_DATABASE_URL")
    assert "s3cret-pw" not in done.stdout + done.stderr


def test_processes_starting_together_on_a_new_postgresql_database_all_start(tmp_path):
    """`capactif serve` and `capactif worker` run `capactif init` at start: the API
    processes and workers of a scale deployment started together on a new (or newly
    upgraded) PostgreSQL database ran the migrations at once, and all but one stopped
    with a traceback (a duplicate type, a duplicate table). They take turns now."""
    import uuid

    import sqlalchemy as sa

    from tests.conftest import PG_ADMIN_URL

    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"capactif_init_race_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(False)
        env = {**os.environ, "HUB_DATA_DIR": str(tmp_path / "data"), "HUB_DATABASE_URL": url}
        starting = [subprocess.Popen(capactif_command("init"), env=env, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                    for _ in range(3)]
        outputs = [(p.communicate(timeout=300)[0], p.returncode) for p in starting]
        for output, returncode in outputs:
            assert returncode == 0 and "Traceback" not in output, output
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_the_api_on_a_read_only_data_directory_names_the_folder_not_the_database(data_dir):
    """Like the worker: not "the database cannot be reached, check that the server runs"."""
    from tests.integration.test_worker_robustness_processes import read_only

    env = {"HUB_DATA_DIR": str(data_dir)}
    initialise(Settings.from_env(env))
    with read_only(data_dir):
        done = start("serve", env)
    refused(done, "data_directory_read_only", str(data_dir))
