from pathlib import Path

import pytest

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


def test_secrets_print_as_stars():
    assert "hunter2" not in repr(Secret("hunter2"))
