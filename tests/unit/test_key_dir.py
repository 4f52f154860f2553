"""The key directory: outside the data directory by default, closed to group and others,
the former layout moved out (or, if ambiguous, reported)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hub.config import Settings
from hub.errors import ConfigurationError
from hub.key_dir import prepare_key_dir
from hub.keys import load_or_create_secret


def test_the_default_key_directory_is_not_inside_the_data_directory(tmp_path):
    settings = Settings.from_env({"HUB_DATA_DIR": str(tmp_path / "var")})
    assert settings.key_folder == tmp_path / "var-keys"
    assert not settings.key_folder.resolve().is_relative_to(settings.data_dir.resolve())
    chosen = Settings.from_env({"HUB_DATA_DIR": "var", "HUB_KEY_DIR": "/secrets/hub"})
    assert chosen.key_dir == Path("/secrets/hub")


def test_a_key_file_readable_by_the_group_stops_the_start_naming_it(tmp_path):
    keys = prepare_key_dir(tmp_path / "data", tmp_path / "keys")
    load_or_create_secret(keys, "index_digest.key")
    os.chmod(keys / "index_digest.key", 0o640)
    with pytest.raises(ConfigurationError, match=r"index_digest\.key") as refused:
        prepare_key_dir(tmp_path / "data", tmp_path / "keys")
    assert "chmod 600" in refused.value.args[0]


def test_a_key_directory_open_to_others_stops_the_start(tmp_path):
    (tmp_path / "keys").mkdir(mode=0o755)
    os.chmod(tmp_path / "keys", 0o755)
    with pytest.raises(ConfigurationError, match="chmod 700"):
        prepare_key_dir(tmp_path / "data", tmp_path / "keys")


def test_public_keys_may_be_readable(tmp_path):
    keys = prepare_key_dir(tmp_path / "data", tmp_path / "keys")
    (keys / "hub_ed25519.pub.pem").write_text("public")
    os.chmod(keys / "hub_ed25519.pub.pem", 0o644)
    assert prepare_key_dir(tmp_path / "data", tmp_path / "keys") == keys


def test_keys_of_the_former_layout_leave_the_data_directory(tmp_path):
    former = tmp_path / "data" / "keys"
    former.mkdir(parents=True, mode=0o700)
    secret = load_or_create_secret(former, "audit_pseudonyms.key")
    keys = prepare_key_dir(tmp_path / "data", tmp_path / "data-keys")
    assert not former.exists()
    assert (keys / "audit_pseudonyms.key").read_bytes() == secret
    assert oct((keys).stat().st_mode & 0o777) == oct(0o700)


def test_two_key_directories_are_reported_not_guessed(tmp_path):
    load_or_create_secret(tmp_path / "data" / "keys", "a.key")
    load_or_create_secret(tmp_path / "data-keys", "b.key")
    os.chmod(tmp_path / "data-keys", 0o700)
    with pytest.raises(ConfigurationError, match=r"Two key directories|Deux répertoires"):
        prepare_key_dir(tmp_path / "data", tmp_path / "data-keys")
