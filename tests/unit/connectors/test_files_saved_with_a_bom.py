"""An agent edits the connector's JSON files in Windows Notepad, which may save them as
« UTF-8 with BOM »: they are UTF-8 all the same, and read (they were refused as
« JSON UTF-8 attendu », the one thing they were)."""

from __future__ import annotations

import json
from pathlib import Path

from connectors.client import HubClient
from connectors.config import ConnectorConfig
from connectors.mapping import Mapping

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "connectors" / "commune-tableur"
BOM = "\ufeff"


def _with_bom(source: Path, target: Path) -> Path:
    target.write_text(BOM + source.read_text(encoding="utf-8"), encoding="utf-8")
    return target


def test_a_configuration_saved_with_a_bom_is_read(tmp_path):
    config = ConnectorConfig.load(_with_bom(EXAMPLE / "connecteur.json", tmp_path / "c.json"))
    assert config.kind == "csv"


def test_a_mapping_saved_with_a_bom_is_read(tmp_path):
    plain = Mapping.load(EXAMPLE / "correspondance.json")
    saved = Mapping.load(_with_bom(EXAMPLE / "correspondance.json", tmp_path / "m.json"))
    assert saved.identity.source == plain.identity.source == "N° dossier"


def test_credentials_saved_with_a_bom_are_read(tmp_path):
    credentials = {"membre": "commune-ambert", "token": "commune-ambert.secret",
                   "cle_privee": "0Ifnm9EtJ4VMPlcGwFb3vBB5wo5_IVx7zjjRAo0uds0",
                   "hub_url": "http://127.0.0.1:1"}
    (tmp_path / "plain.json").write_text(json.dumps(credentials), encoding="utf-8")
    with HubClient.from_credentials_file(_with_bom(tmp_path / "plain.json", tmp_path / "i.json")) as client:
        assert client.member_id == "commune-ambert"
