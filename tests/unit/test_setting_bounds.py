"""Every setting out of its range is refused at start, naming the variable: a value
that parses (a negative interval, `nan`, a zero concurrency, an unknown broker) would
otherwise start a hub that spins, divides by zero or dies later with a traceback."""

import dataclasses

import pytest

from hub.config import Settings
from hub.errors import ConfigurationError

REFUSED = [
    ("HUB_PORT", "99999"), ("HUB_PORT", "-1"),
    ("HUB_WORKER_CONCURRENCY", "0"), ("HUB_WORKER_CONCURRENCY", "-3"),
    ("HUB_WORKER_BATCH_SIZE", "0"), ("HUB_WEBHOOK_SENDERS", "0"),
    ("HUB_MATCH_LOCK_STRIPES", "0"), ("HUB_MATCH_LOCK_STRIPES", "1048577"),
    ("HUB_SQLITE_MMAP_MB", "-1"), ("HUB_SQLITE_MMAP_MB", "2048"),
    ("HUB_MAX_BATCH_ITEMS", "0"),
    ("HUB_WORKER_TRANSACTION_SIZE", "-1"), ("HUB_WORKER_TRANSACTION_SIZE", "2001"),
    ("HUB_WORKER_TRANSACTION_SIZE", "100000000"),
    ("HUB_WORKER_CLAIM_SIZE", "-1"), ("HUB_WORKER_CLAIM_SIZE", "2001"),
    ("HUB_WORKER_CLAIM_SIZE", "5001"), ("HUB_WORKER_CLAIM_SIZE", "100000000"),
    ("HUB_SWEEP_INTERVAL_S", "nan"), ("HUB_SWEEP_INTERVAL_S", "-1"),
    ("HUB_SWEEP_INTERVAL_S", "0"), ("HUB_DISPATCH_INTERVAL_S", "0"),
    ("HUB_HEARTBEAT_INTERVAL_S", "0"), ("HUB_AUDIT_HEAD_INTERVAL_S", "inf"),
    ("HUB_WEBHOOK_LEASE_S", "nan"), ("HUB_WEBHOOK_TIMEOUT_S", "0"),
    ("HUB_WEBHOOK_GIVE_UP_AFTER_S", "-5"), ("HUB_WEBHOOK_RATE_PER_RECIPIENT", "nan"),
    ("HUB_LOG_LEVEL", "LOUD"), ("HUB_LOG_FORMAT", "xml"),
    ("HUB_BROKER_URL", "amqpx://guest@rabbit//"), ("HUB_BROKER_URL", "memory://"),
    ("HUB_DATABASE_URL", "nosuch://x"), ("HUB_DATABASE_URL", "mysql://u:pw@db/hub"),
    ("HUB_DATABASE_URL", "hub.sqlite3"),
]


@pytest.mark.parametrize(("name", "value"), REFUSED)
def test_a_setting_out_of_its_range_is_refused_naming_its_variable(name, value):
    with pytest.raises(ConfigurationError, match=name) as refused:
        Settings.from_env({name: value})
    assert "pw@" not in refused.value.message_en  # a URL's password is never printed


ACCEPTED = [
    ("HUB_PORT", "8080"), ("HUB_WORKER_TRANSACTION_SIZE", "0"),
    ("HUB_MATCH_LOCK_STRIPES", "1048576"), ("HUB_WORKER_CLAIM_SIZE", "2000"),
    ("HUB_WORKER_TRANSACTION_SIZE", "2000"),
    ("HUB_WEBHOOK_RATE_PER_RECIPIENT", "0"), ("HUB_WEBHOOK_RETRY_BASE_S", "0"),
    ("HUB_LOG_LEVEL", "debug"), ("HUB_LOG_FORMAT", "json"),
    ("HUB_BROKER_URL", "redis://:pw@cache:6379/0"), ("HUB_BROKER_URL", "rediss://cache/0"),
    ("HUB_BROKER_URL", "filesystem://"),
    ("HUB_DATABASE_URL", "postgresql+psycopg://u:pw@db/hub"),
    ("HUB_DATABASE_URL", "sqlite:////var/lib/hub/hub.sqlite3"),
]


@pytest.mark.parametrize(("name", "value"), ACCEPTED)
def test_a_setting_in_its_range_is_accepted(name, value):
    Settings.from_env({name: value})


@pytest.mark.parametrize("name", ["HUB_WORKER_CLAIM_SIZE", "HUB_WORKER_TRANSACTION_SIZE"])
def test_a_worker_transaction_longer_than_the_lock_timeout_waits_is_refused_naming_both(name):
    # A transaction holds its fiches' keys until it commits: at the default 10 s lock
    # timeout, a chunk waiting for the keys of 5,000 fiches could give up before them.
    with pytest.raises(ConfigurationError, match=name) as refused:
        Settings.from_env({name: "5000"})
    assert "at most 2000" in refused.value.message_en
    assert "au plus 2000" in refused.value.message_fr
    assert "HUB_DATABASE_LOCK_TIMEOUT_S (10 s)" in refused.value.message_en


@pytest.mark.parametrize("name", ["HUB_WORKER_CLAIM_SIZE", "HUB_WORKER_TRANSACTION_SIZE"])
def test_a_longer_lock_timeout_allows_larger_worker_transactions_up_to_5000(name):
    assert Settings.from_env({name: "4000", "HUB_DATABASE_LOCK_TIMEOUT_S": "20"})
    for timeout in ("25", "0"):  # 0: no lock timeout
        Settings.from_env({name: "5000", "HUB_DATABASE_LOCK_TIMEOUT_S": timeout})
        with pytest.raises(ConfigurationError, match=name) as refused:
            Settings.from_env({name: "5001", "HUB_DATABASE_LOCK_TIMEOUT_S": timeout})
        assert "at most 5000" in refused.value.message_en
    with pytest.raises(ConfigurationError, match=name) as refused:
        Settings.from_env({name: "300", "HUB_DATABASE_LOCK_TIMEOUT_S": "1"})
    assert "at most 200" in refused.value.message_en


def test_the_worker_transaction_defaults_stay_within_a_short_lock_timeout():
    postgresql = "postgresql+psycopg://u@h/db"
    one_second = Settings.from_env({"HUB_DATABASE_URL": postgresql,
                                    "HUB_DATABASE_LOCK_TIMEOUT_S": "1"})
    assert (one_second.transaction_size, one_second.claim_size) == (100, 200)
    short = Settings.from_env({"HUB_DATABASE_URL": postgresql,
                               "HUB_DATABASE_LOCK_TIMEOUT_S": "0.3"})
    assert (short.transaction_size, short.claim_size) == (60, 60)
    default = Settings.from_env({"HUB_DATABASE_URL": postgresql})
    assert (default.transaction_size, default.claim_size) == (100, 500)


def test_every_number_setting_has_a_range():
    from hub.settings_bounds import RANGES

    numbers = {f.name for f in dataclasses.fields(Settings)
               if f.init and f.type in ("int", "float")}
    assert sorted(numbers - set(RANGES)) == []
