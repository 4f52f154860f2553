"""Page sizes an overlap or a boundary check did not foresee. By offset, each request
overlaps the page before by one item: with `taille_page` 1 (or an API serving one item a
request) that request held the overlap item alone, read as the end of the listing, so one
contact was read, on every run, exit 0. By page number, the item before each page is
asked alone (`per_page=1`): an API ignoring `per_page` answered a whole page, never that
item, so every boundary seemed moved and the cursor went one page a run."""

from typing import Any

import pytest

from capactif_demo.sim.crm_server import CrmServer
from connectors.errors import SourceError
from connectors.mapping import Mapping
from connectors.rest_source import RestSettings, RestSource
from tests.integration.connectors.conftest import EXAMPLES

COUNT = 12


class _Sizing(CrmServer):
    """A CRM whose page size is its own: `per_page` or `limit` replaced or capped."""

    def __init__(self, *args: Any, fixed: int = 0, cap: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fixed, self.cap = fixed, cap

    def answer(self, path, query, auth):
        query = dict(query)
        for name in ("per_page", "limit"):
            if name in query:
                size = self.fixed or int(query[name][0])
                query[name] = [str(min(size, self.cap) if self.cap else size)]
        return super().answer(path, query, auth)


def _source(crm: CrmServer, pagination: str, page_size: int) -> RestSource:
    path = "/api/contacts" if pagination == "page" else "/api/contacts/decalage"
    return RestSource(Mapping.load(EXAMPLES / "cci-crm" / "correspondance.json"),
                      RestSettings(url=crm.url + path, token="t", pagination=pagination,
                                   page_size=page_size), sleep=lambda s: None)


def test_an_offset_listing_one_item_a_page_is_read_to_its_end():
    with CrmServer(COUNT, token="t") as crm:
        source = _source(crm, "decalage", 1)
        keys = [r.key for r in source.changes(None)]
        assert sorted(keys) == sorted(map(str, crm.contacts))
        assert source.settled_until() is None


@pytest.mark.parametrize("count", [1, COUNT])
def test_an_offset_api_serving_one_item_a_request_is_an_error_not_one_contact_read(count):
    """Its overlap request cannot hold a new item: the listing cannot be checked."""
    with _Sizing(count, token="t", cap=1) as crm:
        source = _source(crm, "decalage", 5)
        if count == 1:  # one contact in all: the listing's end, not a cap
            assert [r.key for r in source.changes(None)] == list(map(str, crm.contacts))
            return
        with pytest.raises(SourceError) as caught:
            list(source.changes(None))
        assert "un seul contact" in caught.value.message_fr


@pytest.mark.parametrize("count", [COUNT, 40])  # the item asked alone: past the end, or not
def test_a_numbered_api_ignoring_per_page_moves_no_boundary(count):
    with _Sizing(count, token="t", fixed=5) as crm:
        source = _source(crm, "page", 5)
        keys = [r.key for r in source.changes(None)]
        assert sorted(keys) == sorted(map(str, crm.contacts))
        assert source.settled_until() is None


def test_a_numbered_api_ignoring_per_page_still_sees_a_contact_deleted_between_pages():
    with _Sizing(COUNT, token="t", fixed=5) as crm:
        first = sorted(crm.contacts.values(), key=lambda c: (c["updated_at"], c["id"]))[0]

        def delete_after_the_first_page(number: int) -> None:
            if number == 2:
                crm.contacts.pop(first["id"], None)

        crm.on_request = delete_after_the_first_page
        source = _source(crm, "page", 5)
        list(source.changes(None))
        assert source.settled_until() is not None
