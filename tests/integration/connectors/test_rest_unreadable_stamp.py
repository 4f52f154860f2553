"""A contact whose modification date cannot be read is refused, and read again on every
run until accepted: the cursor stayed free to move past it (a refused contact holds the
cursor at its date, and it had none), so once the API wrote its date properly, the
contact was older than the cursor and never asked again. The cursor now stays at the
date of the contact listed before it (the API lists by date), or where it was."""

import pytest

from capactif_demo.sim.crm_server import CrmServer
from tests.integration.connectors.test_rest_edits_while_listing import (
    COUNT,
    MEMBER,
    _by_date,
    _runner,
)


class UnreadableStamp(CrmServer):
    """Serves one contact's `updated_at` as text no parser reads, until `fixed`."""

    garbled: int | None = None

    def answer(self, path, query, auth):
        status, page = super().answer(path, query, auth)
        if status == 200 and self.garbled is not None:
            page["data"] = [{**item, "updated_at": "le mardi d'avant"}
                            if item["id"] == self.garbled else item for item in page["data"]]
        return status, page


@pytest.mark.parametrize("position", [0, 12], ids=["listed-first", "listed-later"])
def test_a_contact_whose_date_cannot_be_read_is_asked_again_once_it_can(
        tmp_path, client, hub, position):
    with UnreadableStamp(COUNT, token="jeton-crm") as crm:
        garbled = _by_date(crm)[position]
        crm.garbled = garbled
        first = _runner(tmp_path, crm, client, "decalage").run()
        assert first.rejected_local == 1
        assert f"CCI-{garbled}" not in hub.accepted_versions(MEMBER)
        crm.garbled = None  # the API's date written properly again
        _runner(tmp_path, crm, client, "decalage").run()
        assert f"CCI-{garbled}" in hub.accepted_versions(MEMBER)
        assert set(hub.accepted_versions(MEMBER).values()) == {1}
