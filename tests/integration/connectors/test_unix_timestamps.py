"""A CRM giving its dates as Unix time (`"updated_at": 1765000000`, or in milliseconds, as
HubSpot does): every contact is read, dated as the API says, instead of rejected with a
spreadsheet's "jj/mm/aaaa attendu"."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from capactif_demo.sim.crm_server import CrmServer
from connectors.checkpoint import Checkpoint
from connectors.mapping import Mapping
from connectors.rejects import RejectsFile
from connectors.rest_source import RestSettings, RestSource
from connectors.runner import Runner
from tests.integration.connectors.conftest import EXAMPLES

MEMBER = "commune-ambert"
PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize("stamps", ["secondes", "millisecondes"])
def test_a_crm_dating_its_contacts_in_unix_time_has_every_contact_sent(
        tmp_path, client, hub, stamps):
    with CrmServer(12, token="jeton-crm", stamps=stamps) as crm:
        settings = RestSettings(url=crm.url + "/api/contacts", token="jeton-crm", page_size=5)
        source = RestSource(Mapping.load(EXAMPLES / "cci-crm" / "correspondance.json"),
                            settings, sleep=lambda s: None)
        checkpoint = Checkpoint(tmp_path / "reprise.json")
        summary = Runner(source, client, checkpoint,
                         RejectsFile(tmp_path / "rejets.jsonl")).run()
        assert (summary.accepted, summary.rejected) == (12, 0)
        contact = crm.contacts[10011]
        fiche = hub.fiches[(MEMBER, "CCI-10011")]
        moment = dt.datetime.fromisoformat(contact["updated_at"])
        assert dt.datetime.fromisoformat(fiche["mis_a_jour_le"]) == moment
        assert fiche["accompagnement"][0]["date"] == moment.astimezone(PARIS).date().isoformat()
        newest = max(dt.datetime.fromisoformat(c["updated_at"]) for c in crm.contacts.values())
        assert dt.datetime.fromisoformat(checkpoint.load().cursor) == newest
