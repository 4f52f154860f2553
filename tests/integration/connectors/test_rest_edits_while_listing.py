"""A contact edited while the connector reads a CRM's listing moves to its end: the contact
at the next page boundary slides onto a page already read and is not answered on this
run. Its modification date is older than the newest change read, so a cursor moved to
that change would never ask for it again; it reaches the hub on the next run, and no
contact is pushed twice."""

import pytest

from capactif_demo.sim.crm_server import CrmServer
from connectors.checkpoint import Checkpoint
from connectors.mapping import Mapping
from connectors.rejects import RejectsFile
from connectors.rest_source import RestSettings, RestSource
from connectors.runner import Runner
from tests.integration.connectors.conftest import EXAMPLES

MEMBER = "commune-ambert"
PAGE = 5
COUNT = 25
# each paging kind the connector reads, with the fake CRM's endpoint that serves it
KINDS = {
    "page": dict(path="/api/contacts"),
    "decalage": dict(path="/api/contacts/decalage"),
    "curseur": dict(path="/api/contacts/curseur"),
    "lien": dict(path="/api/contacts/lien", items_path="$"),
    "lien-corps": dict(path="/api/contacts/suivante", items_path="$.results",
                       next_link_path="$.next", kind="lien", boundary=20),  # its own size
}


def _runner(tmp_path, crm, client, kind: str) -> Runner:
    spec = dict(KINDS[kind])
    path, pagination = spec.pop("path"), spec.pop("kind", kind)
    spec.pop("boundary", None)
    settings = RestSettings(url=crm.url + path, token="jeton-crm", pagination=pagination,
                            page_size=PAGE, **spec)
    source = RestSource(Mapping.load(EXAMPLES / "cci-crm" / "correspondance.json"), settings,
                        sleep=lambda s: None)
    return Runner(source, client, Checkpoint(tmp_path / "reprise.json"),
                  RejectsFile(tmp_path / "rejets.jsonl"), batch_size=PAGE)


def _by_date(crm) -> list[int]:
    return [c["id"] for c in sorted(crm.contacts.values(), key=lambda c: (c["updated_at"],
                                                                           c["id"]))]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_contact_edited_between_two_page_reads_loses_no_other_contact(
        tmp_path, client, hub, kind):
    with CrmServer(COUNT, token="jeton-crm") as crm:
        ordered = _by_date(crm)
        edited, slid = ordered[0], ordered[KINDS[kind].get("boundary", PAGE)]

        def edit_after_the_first_page(number: int) -> None:
            if number == 2:  # before the second page is answered
                crm.update(edited, pipeline_stage="Perdu")

        crm.on_request = edit_after_the_first_page
        first = _runner(tmp_path, crm, client, kind).run()
        crm.on_request = None
        at_once = kind == "decalage"  # each request overlaps the page before by one item
        assert (f"CCI-{slid}" in hub.accepted_versions(MEMBER)) == at_once  # slid onto page 1
        assert first.accepted == COUNT + at_once  # the edited one twice (two versions)
        second = _runner(tmp_path, crm, client, kind).run()
        assert f"CCI-{slid}" in hub.accepted_versions(MEMBER)
        assert len(hub.accepted_versions(MEMBER)) == COUNT
        assert hub.accepted_versions(MEMBER)[f"CCI-{edited}"] == 2
        assert (second.sent, second.accepted, second.duplicates) == (1 - at_once,) * 2 + (0,)
        third = _runner(tmp_path, crm, client, kind).run()
        assert third.sent == 0
