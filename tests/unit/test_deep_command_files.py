"""A file handed to a command (`members load`, `notices add`, `connector check`: its
configuration, mapping and credentials files; `policy check` in tests/unit/policy) nested past the JSON
parser's recursion limit stopped the command with a RecursionError traceback: it is
refused as unreadable, naming the file."""

from __future__ import annotations

import pytest

from connectors import errors as connector_errors
from connectors.client import HubClient
from connectors.config import ConnectorConfig
from connectors.mapping import Mapping
from hub.cli_notices import submission_from_file
from hub.errors import BadRequest, InvalidNetworkFile
from hub.services.accounts.members import read_network_file

DEEP = "[" * 100_000 + "]" * 100_000


def test_a_network_file_nested_past_the_parser_s_limit_is_refused_naming_it(tmp_path):
    deep = tmp_path / "network.json"
    deep.write_text(DEEP, encoding="utf-8")
    with pytest.raises(InvalidNetworkFile, match=r"network\.json\): JSON nested too deeply"):
        read_network_file(deep)


def test_a_notice_file_nested_past_the_parser_s_limit_is_refused(tmp_path):
    deep = tmp_path / "notice.json"
    deep.write_text(DEEP, encoding="utf-8")
    with pytest.raises(BadRequest, match="not valid JSON"):
        submission_from_file(deep, "fr", None)


@pytest.mark.parametrize("load", [ConnectorConfig.load, Mapping.load,
                                  HubClient.from_credentials_file])
def test_a_connector_file_nested_past_the_parser_s_limit_is_refused(tmp_path, load):
    deep = tmp_path / "file.json"
    deep.write_text(DEEP, encoding="utf-8")
    with pytest.raises(connector_errors.ConfigurationError, match="Unreadable"):
        load(deep)
