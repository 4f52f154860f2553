"""The DPO's access request on both databases: from what the person gives to the
porteur id (every fiche counts, even those the coordination may not see; logged as a
search, never echoing the values), then a complete art. 15 report, and a distinct
answer for an id the hub does not know."""

from __future__ import annotations

import datetime as dt

import pytest

from hub.errors import BadRequest
from hub.services.accounts.sessions import ConsoleSession
from hub.services.console.dpo_lookup import find_person
from hub.services.console.dpo_report import person_and_sources

pytestmark = pytest.mark.integration


@pytest.fixture
def world(coordination):
    officer = ConsoleSession("usr_dpo", "dpo", "dpo", "pnr-livradois-forez", "x",
                             coordination["clock"]() + dt.timedelta(hours=1))
    return {**coordination, "officer": officer}


def found(world, text: str) -> list[tuple[str, list[str]]]:
    answer = find_person(world["hub"], world["officer"], text)
    return [(p["porteur_id"], p["membres"]) for p in answer["porteurs"]]


def test_a_person_is_found_by_name_e_mail_or_birth_date_even_if_hidden_from_the_coordination(
        world):
    porteurs = world["porteurs"]
    assert found(world, "Nadia SECRETINOVA") == [(porteurs["F-PRIVE"], ["cci-puy-de-dome"])]
    assert found(world, "secretinova@exemple.fr") == [(porteurs["F-PRIVE"], ["cci-puy-de-dome"])]
    assert found(world, "Chanteloubière 21/09/1986") == [
        (porteurs["F-DOUBLE-A"], ["commune-ambert"])]
    assert len(found(world, "Gaelle Chanteloubiere")) == 2  # two porteurs until merged
    assert found(world, "Personne Inconnue") == []
    with pytest.raises(BadRequest):
        found(world, "  ")


def test_the_lookup_is_logged_as_a_search_by_the_dpo_without_the_values(world):
    found(world, "Secretinova 12/03/1980")
    [search] = world["hub"].audit.search(action="search")
    assert search.actor_user == "usr_dpo"
    assert "porteur.date_naissance" in search.fields and "porteur.nom" in search.fields
    assert "Secretinova" not in repr(search) and "1980" not in repr(search)


def test_the_report_names_the_person_and_the_sources_with_consent_and_retention(world):
    porteur = world["porteurs"]["F-INSTALLE"]
    answer = person_and_sources(world["hub"], world["officer"], porteur)
    assert answer["connu"] and answer["noms"] == ["Sophie Martinelliac"]
    [source] = answer["sources"]
    assert source["membre"] == "commune-ambert" and source["fiche_id"] == "F-INSTALLE"
    assert "statistiques" in source["finalites"] and source["conserve_jusqu_au"] is not None
    [view] = world["hub"].audit.search(action="porteur_view")
    assert view.actor_user == "usr_dpo" and set(view.fields) == {"porteur.nom", "porteur.prenom"}


def test_an_unknown_id_is_told_apart_from_a_person_nobody_received(world):
    assert person_and_sources(world["hub"], world["officer"], "prt_inconnu")["connu"] is False
    assert person_and_sources(world["hub"], world["officer"],
                              world["porteurs"]["F-ORPHELIN"])["connu"] is True
