"""A CRM's contact refused on one run (no consent at the hub yet, a label the mapping
lacks) is read again on each run until accepted, though the API answers only the contacts
changed since the last run and newer changes moved on."""

import json

import pytest

from capactif_demo.sim.crm_server import CrmServer
from connectors.checkpoint import Checkpoint
from connectors.mapping import Mapping
from connectors.rejects import RejectsFile
from connectors.rest_source import RestSettings, RestSource
from connectors.runner import Runner
from tests.integration.connectors.conftest import EXAMPLES

MEMBER = "commune-ambert"


@pytest.fixture
def crm():
    with CrmServer(12, token="jeton-crm") as server:
        yield server


def _oldest(crm) -> int:
    return min(crm.contacts.values(), key=lambda c: (c["updated_at"], c["id"]))["id"]


def _newest(crm) -> int:
    return max(crm.contacts.values(), key=lambda c: (c["updated_at"], c["id"]))["id"]


def _run(tmp_path, crm, client, mapping):
    settings = RestSettings(url=crm.url + "/api/contacts", token="jeton-crm", page_size=5)
    source = RestSource(mapping, settings, sleep=lambda s: None)
    return Runner(source, client, Checkpoint(tmp_path / "reprise.json"),
                  RejectsFile(tmp_path / "rejets.jsonl"), batch_size=5).run()


def test_a_contact_the_hub_refused_is_sent_once_accepted_though_newer_changes_moved_on(
        tmp_path, crm, client, hub):
    mapping = Mapping.load(EXAMPLES / "cci-crm" / "correspondance.json")
    refused = f"CCI-{_oldest(crm)}"
    hub.refuse(refused)
    assert _run(tmp_path, crm, client, mapping).rejected_hub == 1
    crm.update(_newest(crm), pipeline_stage="Perdu")
    hub.refusals.clear()  # the consent is recorded meanwhile
    _run(tmp_path, crm, client, mapping)
    assert refused in hub.accepted_versions(MEMBER)
    assert len(hub.accepted_versions(MEMBER)) == 12


def test_a_contact_rejected_by_the_mapping_is_sent_once_the_mapping_reads_it(
        tmp_path, crm, client, hub):
    crm.contacts[_oldest(crm)]["pipeline_stage"] = "Étude de marché"  # a label not mapped yet
    mapping_file = EXAMPLES / "cci-crm" / "correspondance.json"
    assert _run(tmp_path, crm, client, Mapping.load(mapping_file)).rejected_local == 1
    crm.update(_newest(crm), pipeline_stage="Perdu")
    _run(tmp_path, crm, client, Mapping.load(mapping_file))
    fixed = json.loads(mapping_file.read_text(encoding="utf-8"))
    fixed["champs"]["projet.stade"]["valeurs"]["Étude de marché"] = "emergence"
    (tmp_path / "correspondance.json").write_text(json.dumps(fixed), encoding="utf-8")
    _run(tmp_path, crm, client, Mapping.load(tmp_path / "correspondance.json"))
    assert f"CCI-{_oldest(crm)}" in hub.accepted_versions(MEMBER)
    assert len(hub.accepted_versions(MEMBER)) == 12
