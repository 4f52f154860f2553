"""The member's CRM failing mid-listing (5xx on every retry): the run stops with a source
error, and what the hub accepted before is acknowledged, so the next run, the CRM back,
sends only the rest: nothing lost, nothing pushed twice."""

import pytest

from capactif_demo.sim.crm_server import CrmServer
from connectors.checkpoint import Checkpoint
from connectors.errors import SourceError
from connectors.mapping import Mapping
from connectors.rejects import RejectsFile
from connectors.rest_source import RestSettings, RestSource
from connectors.runner import Runner
from tests.integration.connectors.conftest import EXAMPLES

MEMBER = "commune-ambert"


class FailingCrm(CrmServer):
    """Answers 500 for its third page while `failing`."""

    failing = False

    def answer(self, path, query, auth):
        if self.failing and query.get("page") == ["3"]:
            return 500, {"error": "indisponible"}
        return super().answer(path, query, auth)


def test_a_crm_failing_mid_listing_loses_nothing_and_nothing_is_pushed_twice(tmp_path, client,
                                                                            hub):
    mapping = Mapping.load(EXAMPLES / "cci-crm" / "correspondance.json")
    with FailingCrm(45, token="t") as crm:
        def run():
            settings = RestSettings(url=crm.url + "/api/contacts", token="t", page_size=10)
            return Runner(RestSource(mapping, settings, sleep=lambda s: None), client,
                          Checkpoint(tmp_path / "reprise.json"),
                          RejectsFile(tmp_path / "rejets.jsonl"), batch_size=5).run()
        crm.failing = True
        with pytest.raises(SourceError):
            run()
        sent_before = len(hub.log)
        assert sent_before > 0
        crm.failing = False
        summary = run()
    assert summary.complete and summary.duplicates == 0
    assert len(hub.accepted_versions(MEMBER)) == 45
    assert set(hub.accepted_versions(MEMBER).values()) == {1}
    assert [entry for entry in hub.log if entry[3]] == []  # no version pushed twice
