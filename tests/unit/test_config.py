import dataclasses
import logging
import re
from pathlib import Path

import pytest

from hub.bootstrap import log_lock_idle_s
from hub.config import Secret, Settings
from hub.errors import ConfigurationError


def test_defaults_serve_the_embedded_mode():
    settings = Settings.from_env({})
    assert settings.database_url.startswith("sqlite:///")
    assert settings.embedded_broker
    assert settings.is_sqlite


def test_environment_variables_choose_the_scale_mode():
    settings = Settings.from_env({
        "HUB_DATABASE_URL": "postgresql+psycopg://h@127.0.0.1/test",
        "HUB_BROKER_URL": "redis://127.0.0.1:6379/0",
        "HUB_PORT": "9001",
        "HUB_DATA_DIR": "/tmp/x",
    })
    assert not settings.embedded_broker and not settings.is_sqlite
    assert settings.port == 9001
    assert settings.data_dir == Path("/tmp/x")


def test_a_badly_typed_variable_is_refused_naming_it():
    with pytest.raises(ConfigurationError, match="HUB_PORT"):
        Settings.from_env({"HUB_PORT": "eighty"})


# A text setting with such a name holds a secret.
_SECRET_NAME = re.compile(r"token|password|passwd|passphrase|secret|credential|(^|_)key$")


def _secret_settings() -> list[str]:
    return [f.name for f in dataclasses.fields(Settings) if f.type == "Secret"]


def test_every_secret_setting_is_typed_secret():
    named = [f.name for f in dataclasses.fields(Settings)
             if f.type in ("str", "Secret") and _SECRET_NAME.search(f.name)]
    assert named, "the secret-name pattern finds the token settings"
    assert sorted(set(named) - set(_secret_settings())) == []
    assert "rate_limit_storage" in _secret_settings()  # a URL that may hold a password


def test_no_secret_setting_is_ever_printed_in_clear(caplog):
    clear = {name: f"clear-{name}-value-long-enough-0123456789" for name in _secret_settings()}
    settings = Settings.from_env({
        **{"HUB_" + name.upper(): value for name, value in clear.items()},
        "HUB_DATABASE_URL": "postgresql+psycopg://hub:clear-db-password@db/hub",
        "HUB_BROKER_URL": "redis://:clear-broker-password@cache:6379/0",
    })
    clear_texts = [*clear.values(), "clear-db-password", "clear-broker-password"]
    logger = logging.getLogger("hub.test_config")
    with caplog.at_level(logging.INFO, logger="hub.test_config"):
        logger.info("settings %s %r", settings, settings)
        for name in clear:
            value = getattr(settings, name)
            logger.info("%s=%s (%r)", name, value, value)
    printed = [repr(settings), str(settings), caplog.text]
    for name in clear:
        value = getattr(settings, name)
        printed += [str(value), repr(value), f"{value}", f"{value!s:>30}"]
    assert len(caplog.records) == 1 + len(clear)
    for text in printed:
        assert not [secret for secret in clear_texts if secret in text], text
    assert all(getattr(settings, name).reveal() == value for name, value in clear.items())


def test_a_secret_reveals_its_value_only_when_asked():
    token = Secret("hunter2")
    assert "hunter2" not in f"{token} {token!r} {token!s}"
    assert token.reveal() == "hunter2" and token == Secret("hunter2") and token
    assert not Secret("") and Settings().metrics_token.reveal() == ""


def test_unset_paths_are_none_and_the_folders_beside_the_data_are_resolved_once(tmp_path):
    settings = Settings.from_env({"HUB_DATA_DIR": str(tmp_path / "var"), "HUB_POLICY_FILE": ""})
    assert settings.policy_file is None and settings.key_dir is None
    assert settings.matching_model_file is None and settings.audit_alert_rules_file is None
    assert settings.key_folder == tmp_path / "var-keys"
    assert settings.audit_archive_folder == tmp_path / "var" / "audit-archive"
    chosen = settings.replace(audit_archive_dir=tmp_path / "archive")
    assert chosen.audit_archive_folder == tmp_path / "archive"


def test_the_worker_s_transactions_are_shorter_on_sqlite_where_the_api_waits_for_them():
    # SQLite has one write lock: a push waits for the worker's transaction under way.
    assert Settings(data_dir=Path("d")).transaction_size == 10
    assert Settings(data_dir=Path("d"),
                    database_url="postgresql+psycopg://u@h/db").transaction_size == 100
    assert Settings(data_dir=Path("d"), worker_transaction_size=40).transaction_size == 40


def test_a_database_deadline_that_is_not_a_number_of_seconds_is_refused_naming_it():
    for name in ("HUB_DATABASE_SILENCE_PROBE_S", "HUB_DATABASE_STATEMENT_TIMEOUT_S"):
        for value in ("-1", "nan", "inf"):
            with pytest.raises(ConfigurationError, match=name):
                Settings.from_env({name: value})
    settings = Settings.from_env({"HUB_DATABASE_SILENCE_PROBE_S": "0"})  # 0: never probed
    assert settings.database_silence_probe_s == 0

def test_worker_transactions_claim_queued_rows_up_to_500_on_postgresql_only():
    # SQLite: a transaction takes its task's rows only (a push waits for it); PostgreSQL:
    # queued rows join it, up to 500 (a fifth less CPU a fiche than 100).
    assert Settings(data_dir=Path("d")).claim_size == 10
    assert Settings(data_dir=Path("d"), worker_transaction_size=25).claim_size == 25
    assert Settings(data_dir=Path("d"),
                    database_url="postgresql+psycopg://u@h/db").claim_size == 500
    assert Settings(data_dir=Path("d"), worker_claim_size=300).claim_size == 300


@pytest.mark.parametrize("token", ["change-me-to-a-long-random-string",
                                   " change-me-to-a-long-random-string", "s3cr3t", "a" * 31])
def test_a_metrics_token_left_as_the_example_or_too_short_is_refused_naming_the_setting(token):
    """deploy/hub.env.example's placeholder was taken as is: anyone who read the example
    could read the metrics."""
    with pytest.raises(ConfigurationError, match="HUB_METRICS_TOKEN") as refused:
        Settings.from_env({"HUB_METRICS_TOKEN": token})
    assert token.strip() not in str(refused.value)  # the setting named, not its value


def test_a_long_random_metrics_token_or_none_is_taken():
    assert Settings.from_env({"HUB_METRICS_TOKEN": "0f" * 16}).metrics_token.reveal() == "0f" * 16
    assert not Settings.from_env({"HUB_METRICS_TOKEN": ""}).metrics_token


def test_a_session_idle_in_its_transaction_is_ended_after_a_minute_by_default():
    """A process frozen mid-transaction (SIGSTOP, a VM paused) held its row locks for as
    long as it stayed stopped: no limit by default (README, "Settings")."""
    assert Settings().database_idle_in_transaction_timeout_s == 60
    assert Settings.from_env({"HUB_DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_S": "0"}) \
        .database_idle_in_transaction_timeout_s == 0


def test_the_access_log_s_lock_is_held_idle_no_longer_than_the_shorter_of_both_limits():
    def held(log_s: float, sessions_s: float) -> float:
        return log_lock_idle_s(Settings(audit_lock_idle_timeout_s=log_s,
                                         database_idle_in_transaction_timeout_s=sessions_s))

    assert held(5, 0) == 5 and held(5, 2) == 2 and held(0, 90) == 90 and held(0, 0) == 0
    with pytest.raises(ConfigurationError, match="HUB_AUDIT_LOCK_IDLE_TIMEOUT_S"):
        Settings.from_env({"HUB_AUDIT_LOCK_IDLE_TIMEOUT_S": "-1"})
