"""`capactif reindex` builds the console's index of porteurs ahead of the first console
request (after an upgrade that changed the search terms, the first coordinator or DPO
would otherwise wait for the whole rebuild)."""

from __future__ import annotations

import json

import pytest

from hub.cli import main
from hub.domain.search_terms import TERMS_VERSION
from tests.console_world import build_world, console_hub
from tests.factories import Clock

pytestmark = pytest.mark.integration


def test_the_reindex_command_builds_the_console_index_ahead_of_the_first_request(
        db_url, tmp_path, monkeypatch, capsys):
    hub = console_hub(db_url, tmp_path, Clock())
    try:
        build_world(hub, tmp_path)
        with hub.uow() as uow:
            assert uow.porteur_index.marks() is None
        monkeypatch.setenv("HUB_DATABASE_URL", db_url)
        monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path / "data"))
        assert main(["reindex"]) == 0
        assert json.loads(capsys.readouterr().out)["porteurs_relus"] > 0
        with hub.uow() as uow:
            assert uow.porteur_index.marks().built_for.endswith(f"|t{TERMS_VERSION}")
    finally:
        hub.close()
