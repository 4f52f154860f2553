"""A CRM's soft-deleted contacts leave the network however the CRM marks them.

A contact archived with a deletion date (`deleted_at`, as Laravel and Rails write it) is
withdrawn; a flag the mapping cannot read (a label with no `valeurs`) rejects the contact,
named in the rejects file: it is neither withdrawn nor kept without a word, and it goes
once the mapping reads the label.
"""

import json

from capactif_demo.sim.crm_server import CrmServer
from connectors.checkpoint import Checkpoint
from connectors.mapping import Mapping
from connectors.rejects import RejectsFile, read_rejects
from connectors.rest_source import RestSettings, RestSource
from connectors.runner import Runner
from tests.integration.connectors.test_connector_rest import EXAMPLES

MEMBER = "commune-ambert"


def _run(tmp_path, crm, client, **flag):
    data = json.loads((EXAMPLES / "cci-crm" / "correspondance.json").read_text())
    data["suppression"] = flag
    settings = RestSettings(url=crm.url + "/api/contacts", token="jeton", page_size=10)
    return Runner(RestSource(Mapping.from_dict(data), settings, sleep=lambda s: None), client,
                  Checkpoint(tmp_path / "reprise.json"), RejectsFile(tmp_path / "rejets.csv")
                  ).run()


def test_a_contact_given_a_deletion_date_is_withdrawn(tmp_path, client, hub):
    with CrmServer(12, token="jeton") as crm:
        for contact in crm.contacts.values():
            contact["deleted_at"] = None
        assert _run(tmp_path, crm, client, source="$.deleted_at").accepted == 12
        crm.update(10_003, deleted_at="2026-12-07T09:15:00.000000Z")
        summary = _run(tmp_path, crm, client, source="$.deleted_at")
    assert summary.withdrawals == ["CCI-10003"] and summary.rejected == 0
    assert (MEMBER, "CCI-10003") in hub.erased and len(hub.erased) == 1


def test_an_unreadable_flag_rejects_the_contact_until_the_mapping_reads_it(
        tmp_path, client, hub):
    with CrmServer(12, token="jeton") as crm:
        for contact in crm.contacts.values():
            contact["statut"] = ""
        assert _run(tmp_path, crm, client, source="$.statut").accepted == 12
        crm.update(10_003, statut="Archivé")
        held = _run(tmp_path, crm, client, source="$.statut")  # a label, no `valeurs`
        assert held.withdrawals == [] and held.rejected_local == 1 and not hub.erased
        [reject] = read_rejects(tmp_path / "rejets.csv")
        assert (reject["dossier"], reject["chemin"], reject["code"]) == (
            "10003", "$.suppression", "booleen_invalide")
        assert "valeurs" in reject["message_fr"]
        mapped = _run(tmp_path, crm, client, source="$.statut",
                      valeurs={"Archivé": "oui"})
    assert mapped.withdrawals == ["CCI-10003"]
    assert (MEMBER, "CCI-10003") in hub.erased
