"""A configuration error met while answering (a rules, policy or model file the operator
broke) is told to the client as what happened and when to try again: the envelope names
no file, folder or setting, which tell an outsider the server's layout; the operator's
log keeps them. Real HTTP, both databases."""

from __future__ import annotations

import logging
import re

import pytest
from fastapi.testclient import TestClient

from hub import errors
from hub.api.app import create_app
from hub.api.errors import answer_of
from tests.factories import Credentials
from tests.integration.audit.dpo_http import NETWORK, dpo_hub

pytestmark = pytest.mark.integration
RULES = "regles-alertes-cassees.json"
# A path, a setting named as its environment variable, or a file name with its extension.
_LAYOUT = re.compile(r"/\w|\\\w|HUB_[A-Z_]+|\w\.json")


def _subclasses(cls: type) -> list[type]:
    return [cls, *(sub for child in cls.__subclasses__() for sub in _subclasses(child))]


def _told(text: str) -> list[str]:
    return _LAYOUT.findall(text)


@pytest.mark.parametrize("error", [c for c in _subclasses(errors.ConfigurationError)
                                   if c.answered_by_api], ids=lambda c: c.code)
def test_every_configuration_error_answered_names_no_file(error):
    raised = error("Fichier /srv/capactif/config/politique.json non conforme (HUB_POLICY_FILE).",
                   "File /srv/capactif/config/politique.json is invalid (HUB_POLICY_FILE).")
    answer = answer_of(raised)
    assert answer.status_code == 500
    assert _told(answer.body.decode()) == []
    assert "/srv/capactif/config/politique.json" in raised.for_the_log()  # the operator's


def test_a_broken_alert_rules_file_is_a_500_naming_no_file_and_logged_whole(
        db_url, tmp_path, caplog):
    hub, _porteur, _fiche = dpo_hub(db_url, tmp_path)
    broken = tmp_path / "config" / RULES
    broken.parent.mkdir()
    broken.write_text("{ pas du json", encoding="utf-8")
    object.__setattr__(hub.settings, "audit_alert_rules_file", broken)
    dpo = Credentials(tmp_path / "creds" / f"{NETWORK}.dpo.json")
    try:
        with TestClient(create_app(hub=hub), raise_server_exceptions=False) as client, \
                caplog.at_level(logging.WARNING):
            path = "/v1/audit/alerts"
            answer = client.get(path, headers=dpo.headers("GET", path))
    finally:
        hub.close()
    assert answer.status_code == 500, answer.text
    assert answer.json()["error"]["code"] == "invalid_alert_rules"
    assert str(tmp_path) not in answer.text and RULES not in answer.text
    assert _told(answer.text) == []
    assert any(RULES in record.getMessage() for record in caplog.records)  # the operator's
