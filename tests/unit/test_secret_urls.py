"""The database and broker URLs are secrets: they print with their credentials starred
(`postgresql+psycopg://***@db:5432/hub`) wherever they are printed, and give the URL in
clear only to `reveal()`, in the code that connects."""

import logging
import pickle

from hub.config import SecretUrl, Settings

_DATABASE = "postgresql+psycopg://hub:db-clear-pw@db:5432/hub?sslmode=require&password=qs-clear-pw"
_BROKER = "redis://:broker-clear-pw@cache:6379/0"


def _printed(value: object) -> str:
    logged = logging.Formatter("%(message)s").format(
        logging.LogRecord("hub", logging.INFO, __file__, 0, "%s %r", (value, value), None))
    return f"{value} {value!r} {value!s} {value:>20} {[value]} {logged}"


def test_the_database_and_broker_urls_print_with_their_credentials_starred(caplog):
    settings = Settings.from_env({"HUB_DATABASE_URL": _DATABASE, "HUB_BROKER_URL": _BROKER})
    with caplog.at_level(logging.INFO, logger="hub.test_secret_urls"):
        logging.getLogger("hub.test_secret_urls").info(
            "database %s broker %s", settings.database_url, settings.broker_url)
    printed = _printed(settings.database_url) + _printed(settings.broker_url) + caplog.text
    assert "clear-pw" not in printed + repr(settings)
    assert str(settings.database_url) == (
        "postgresql+psycopg://***@db:5432/hub?sslmode=require&password=***")
    assert str(settings.broker_url) == "redis://***@cache:6379/0"


def test_the_urls_are_given_in_clear_only_when_revealed():
    settings = Settings(database_url=_DATABASE, broker_url=_BROKER)
    assert isinstance(settings.database_url, SecretUrl) and isinstance(settings.broker_url, SecretUrl)
    assert settings.database_url.reveal() == _DATABASE and settings.broker_url.reveal() == _BROKER
    assert Settings.from_env({"HUB_DATABASE_URL": _DATABASE}) == Settings(database_url=_DATABASE)


def test_the_urls_travel_to_worker_processes_whole():
    settings = Settings(database_url=_DATABASE, broker_url=_BROKER)
    copied = pickle.loads(pickle.dumps(settings))
    assert copied == settings and isinstance(copied.database_url, SecretUrl)
    assert copied.database_url.reveal() == _DATABASE


def test_the_embedded_defaults_are_secret_urls_too(tmp_path):
    settings = Settings(data_dir=tmp_path)
    assert settings.database_url.reveal() == f"sqlite:///{(tmp_path / 'hub.sqlite3').resolve()}"
    assert str(settings.broker_url) == "filesystem://" and settings.embedded_broker
