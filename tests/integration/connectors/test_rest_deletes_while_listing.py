"""A contact deleted outright (no tombstone) while the connector reads a CRM's listing by
page number or by offset: every contact after it moves up by one, and the one at the next
page boundary lands on a page already read. It was never asked again: the cursor moved
past it to the newest change read. Each request now overlaps the page before by one item
(offset) or checks the item before its page (page number): a page boundary that moved
holds the cursor at what the pages read before it prove."""

import pytest

from capactif_demo.sim.crm_server import CrmServer
from tests.integration.connectors.test_rest_edits_while_listing import (
    COUNT,
    MEMBER,
    _by_date,
    _runner,
)


@pytest.mark.parametrize("kind", ["page", "decalage"])
@pytest.mark.parametrize("deleted", [0, 1], ids=["one-deleted", "two-deleted"])
def test_a_contact_deleted_between_two_page_reads_loses_no_other_contact(
        tmp_path, client, hub, kind, deleted):
    with CrmServer(COUNT, token="jeton-crm") as crm:
        ordered = _by_date(crm)
        gone = ordered[:deleted + 1]

        def delete_after_the_first_page(number: int) -> None:
            if number == 2:  # before the second page is answered
                for contact in gone:
                    crm.contacts.pop(contact, None)

        crm.on_request = delete_after_the_first_page
        _runner(tmp_path, crm, client, kind).run()
        crm.on_request = None
        second = _runner(tmp_path, crm, client, kind).run()
        kept = {f"CCI-{c}" for c in ordered if c not in gone}
        assert kept <= set(hub.accepted_versions(MEMBER))
        assert set(hub.accepted_versions(MEMBER).values()) == {1}  # none pushed twice
        assert second.accepted <= len(gone)
        assert _runner(tmp_path, crm, client, kind).run().sent == 0
