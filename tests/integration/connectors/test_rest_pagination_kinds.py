"""APIs that page by offset (`offset`, `limit`) or name their next page's URL in the body
(`"next"` in Django REST framework, `links.next` in JSON:API): every contact is read, and
the configuration says so."""

import json

import pytest

from capactif_demo.sim.crm_server import CrmServer
from connectors.config import ConnectorConfig
from connectors.errors import ConfigurationError, SourceError
from connectors.mapping import Mapping
from connectors.rest_source import RestSettings, RestSource
from tests.integration.connectors.conftest import EXAMPLES


@pytest.fixture
def mapping():
    return Mapping.load(EXAMPLES / "cci-crm" / "correspondance.json")


def _keys(mapping, settings, sleeps=None):
    source = RestSource(mapping, settings, sleep=(sleeps if sleeps is not None else []).append)
    return [r.key for r in source.changes(None)]


def test_an_api_paging_by_offset_is_read_to_its_last_contact_despite_429s(mapping):
    with CrmServer(45, token="t", rate_limit_every=4, retry_after=2) as crm:
        sleeps: list[float] = []
        keys = _keys(mapping, RestSettings(url=crm.url + "/api/contacts/decalage", token="t",
                                           pagination="decalage", page_size=10), sleeps)
        assert sorted(keys) == sorted(map(str, crm.contacts))
        assert crm.rate_limited >= 1 and set(sleeps) == {2.0}


def test_an_offset_api_capping_its_pages_is_read_to_its_end(mapping):
    with CrmServer(450, token="t") as crm:  # 200 a page at most, 500 asked
        keys = _keys(mapping, RestSettings(url=crm.url + "/api/contacts/decalage", token="t",
                                           pagination="decalage", page_size=500))
        assert sorted(keys) == sorted(map(str, crm.contacts))


def test_an_api_ignoring_the_offset_is_a_clear_error_not_its_first_page_again(mapping):
    with CrmServer(45, token="t") as crm, pytest.raises(SourceError) as caught:
        _keys(mapping, RestSettings(url=crm.url + "/api/contacts", token="t",
                                    pagination="decalage", page_size=10))
    assert "décalage" in caught.value.message_fr


def test_a_next_page_url_named_in_the_body_is_followed_to_the_last_contact(mapping):
    with CrmServer(45, token="t") as crm:
        keys = _keys(mapping, RestSettings(url=crm.url + "/api/contacts/suivante", token="t",
                                           pagination="lien", items_path="$.results",
                                           next_link_path="$.next"))
        assert sorted(keys) == sorted(map(str, crm.contacts))


def test_a_body_naming_a_next_page_the_configuration_does_not_read_stops_the_run(mapping):
    with CrmServer(45, token="t") as crm, pytest.raises(ConfigurationError) as caught:
        _keys(mapping, RestSettings(url=crm.url + "/api/contacts/suivante", token="t",
                                    pagination="lien", items_path="$.results"))
    assert '"chemin_lien": "$.next"' in caught.value.message_fr


def test_the_configuration_names_offset_paging_and_the_next_link_path(tmp_path):
    source = {"url": "https://crm.example.fr/api", "pagination": "lien",
              "chemin_lien": "$.links.next", "parametre_decalage": "start"}
    (tmp_path / "connecteur.json").write_text(json.dumps({
        "version": 1, "type": "rest", "source": source, "correspondance": "c.json",
        "identifiants": "i.json", "reprise": "r.json", "rejets": "r.csv"}))
    settings = ConnectorConfig.load(tmp_path / "connecteur.json").rest_settings()
    assert (settings.next_link_path, settings.offset_param) == ("$.links.next", "start")
    source.update(pagination="decalage")
    (tmp_path / "connecteur.json").write_text(json.dumps({
        "version": 1, "type": "rest", "source": source, "correspondance": "c.json",
        "identifiants": "i.json", "reprise": "r.json", "rejets": "r.csv"}))
    assert ConnectorConfig.load(tmp_path / "connecteur.json").rest_settings().pagination == \
        "decalage"


def test_a_full_first_page_without_the_configured_cursor_path_stops_the_run(mapping):
    """A `chemin_curseur` the answers do not hold read the first page only, silently."""
    with CrmServer(45, token="t") as crm, pytest.raises(ConfigurationError) as caught:
        _keys(mapping, RestSettings(url=crm.url + "/api/contacts/curseur", token="t",
                                    pagination="curseur", page_size=10,
                                    cursor_path="$.curseur_suivant"))
    assert "chemin_curseur" in caught.value.message_fr
    assert "$.curseur_suivant" in caught.value.message_fr


def test_a_short_first_page_without_the_cursor_path_is_the_whole_listing(mapping):
    with CrmServer(4, token="t") as crm:
        keys = _keys(mapping, RestSettings(url=crm.url + "/api/contacts/curseur", token="t",
                                           pagination="curseur", page_size=10,
                                           cursor_path="$.curseur_suivant"))
        assert sorted(keys) == sorted(map(str, crm.contacts))
