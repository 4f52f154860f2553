"""An API writing its modification dates in UTC without an offset (`2026-12-06T10:00:00`):
read as Paris time, they seemed an hour older than they were, and a contact edited during
the listing looked older than the listing's start, so nothing held the cursor and the
contact that slid onto a page already read was never asked again. A contact read twice in
one listing now holds the cursor, whatever the clocks say; the mapping's `fuseau` tells
the zone the API writes its dates in."""

import datetime as dt
import json

import pytest

from capactif_demo.sim.crm_server import CrmServer
from connectors.checkpoint import Checkpoint
from connectors.mapping import Mapping
from connectors.rejects import RejectsFile
from connectors.rest_source import RestSettings, RestSource
from connectors.runner import Runner
from tests.integration.connectors.conftest import EXAMPLES
from tests.integration.connectors.test_rest_edits_while_listing import (
    COUNT,
    KINDS,
    MEMBER,
    PAGE,
    _by_date,
)


def _runner(tmp_path, crm, client, kind: str, zone: str | None = None) -> Runner:
    spec = dict(KINDS[kind])
    path, pagination = spec.pop("path"), spec.pop("kind", kind)
    spec.pop("boundary", None)
    settings = RestSettings(url=crm.url + path, token="jeton-crm", pagination=pagination,
                            page_size=PAGE, **spec)
    mapping = json.loads((EXAMPLES / "cci-crm" / "correspondance.json").read_text())
    if zone is not None:
        mapping["modification"]["fuseau"] = zone
    source = RestSource(Mapping.from_dict(mapping), settings, sleep=lambda s: None)
    return Runner(source, client, Checkpoint(tmp_path / "reprise.json"),
                  RejectsFile(tmp_path / "rejets.jsonl"), batch_size=PAGE)


@pytest.mark.parametrize("kind", ["page", "curseur", "lien"])
def test_a_contact_edited_during_a_listing_of_naive_utc_stamps_loses_no_other(
        tmp_path, client, hub, kind):
    with CrmServer(COUNT, token="jeton-crm", stamps="naif_utc") as crm:
        ordered = _by_date(crm)
        edited, slid = ordered[0], ordered[PAGE]

        def edit_after_the_first_page(number: int) -> None:
            if number == 2:
                crm.update(edited, pipeline_stage="Perdu")

        crm.on_request = edit_after_the_first_page
        _runner(tmp_path, crm, client, kind).run()
        crm.on_request = None
        _runner(tmp_path, crm, client, kind).run()
        assert f"CCI-{slid}" in hub.accepted_versions(MEMBER)
        assert len(hub.accepted_versions(MEMBER)) == COUNT


def test_the_zone_of_an_apis_naive_stamps_is_the_mappings_fuseau(tmp_path, client, hub):
    with CrmServer(3, token="jeton-crm", stamps="naif_utc") as crm:
        _runner(tmp_path, crm, client, "page", zone="UTC").run()
        for contact in crm.contacts.values():
            written = dt.datetime.fromisoformat(contact["updated_at"]).astimezone(dt.UTC)
            fiche = hub.fiches[(MEMBER, f"CCI-{contact['id']}")]
            assert dt.datetime.fromisoformat(fiche["mis_a_jour_le"]) == written


def test_an_unknown_fuseau_is_a_configuration_error_naming_it():
    mapping = json.loads((EXAMPLES / "cci-crm" / "correspondance.json").read_text())
    mapping["modification"]["fuseau"] = "Europe/Pariss"
    with pytest.raises(Exception, match="fuseau") as caught:
        Mapping.from_dict(mapping)
    assert type(caught.value).__name__ == "ConfigurationError"
