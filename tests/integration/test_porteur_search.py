"""The coordination's porteurs list on both databases: search by name, e-mail or birth
date through the projection (logged as a search, never echoing what was typed),
filters, sorting and numbered pages run on the index, which follows consents,
merges and new fiches."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from hub.bootstrap import Hub
from hub.domain.matching.model import CONFIRMED_FLAGS
from hub.services.accounts.auth import Caller
from hub.services.console import porteur_index
from hub.services.console.dpo_lookup import find_person
from hub.services.console.porteur_search import PorteurQuery, porteurs_to_follow
from hub.services.ingest import accept as ingest
from hub.services.ingest import processing
from hub.services.matching import duplicates
from hub.services.privacy import consents
from tests.console_world import NAMES, _fiche
from tests.factories import ALL_PURPOSES, record_consents

pytestmark = pytest.mark.integration


@pytest.fixture
def world(coordination):
    return coordination


def names(world, **asked) -> list[str]:
    view = porteurs_to_follow(world["hub"], world["session"], PorteurQuery(**asked))
    return [p.name for p in view["porteurs"]]


def test_a_porteur_is_found_by_name_in_any_case_and_accents_by_email_and_by_birth_date(world):
    assert names(world, text="elodie FAURELLIAT") == ["Élodie FAURELLIAT"]
    assert names(world, text="Boyerandot") == ["Marc BOYERANDOT"]
    assert names(world, text="boyerandot@exemple.fr") == ["Marc BOYERANDOT"]
    both = sorted(names(world, text="Chanteloubiere"))
    assert both == ["Gaelle CHANTELOUBIERE", "Gaëlle CHANTELOUBIÈRE"]  # not merged yet
    assert names(world, text="21/09/1986") == ["Gaëlle CHANTELOUBIÈRE"]
    assert names(world, text="Gaëlle 1986-09-21") == ["Gaëlle CHANTELOUBIÈRE"]
    assert names(world, text="Marc Faurelliat") == []  # every word must match
    assert names(world, text="Martinelliac") == ["Sophie MARTINELLIAC"]  # installed: found


def test_a_search_is_logged_with_the_fields_looked_into_never_what_was_typed(world):
    hub = world["hub"]
    names(world, text="Boyerandot 12/03/1980")
    [search] = hub.audit.search(action="search")
    assert search.actor_user == "usr_coord"
    assert set(search.fields) == {"porteur.nom", "porteur.nom_naissance", "porteur.prenom",
                                  "porteur.date_naissance"}
    assert "Boyerandot" not in repr(search) and "1980" not in repr(search)
    with hub.engine.connect() as conn:
        stored = repr([tuple(r) for r in conn.exec_driver_sql(
            "SELECT * FROM porteur_search_keys")])
    assert not [n for n in NAMES for word in n.split() if word.upper() in stored.upper()]


def test_porteurs_the_coordination_may_not_see_are_neither_listed_nor_found(world):
    everyone = names(world, projects="tous")
    assert "Nadia SECRETINOVA" not in everyone and "Hugo RETRAITONNEL" not in everyone
    assert names(world, text="Secretinova") == [] and names(world, text="Retraitonnel") == []


def test_active_projects_by_default_and_closed_ones_on_demand(world):
    active = names(world)
    assert "Sophie MARTINELLIAC" not in active and "Julie MORELHAUT" not in active  # installed
    assert {"Élodie FAURELLIAT", "Marc BOYERANDOT", "Karim BENALITOUX"} <= set(active)
    assert sorted(names(world, projects="termines")) == ["Julie MORELHAUT", "Sophie MARTINELLIAC"]
    assert len(names(world, projects="tous")) == len(active) + 2


def test_filters_by_member_stage_territory_period_referent_and_parrain(world):
    assert sorted(names(world, member="pfil-livradois-forez", projects="tous")) == [
        "Karim BENALITOUX", "Sophie MARTINELLIAC"]
    assert names(world, stage="montage") == ["Marc BOYERANDOT", "Karim BENALITOUX"]
    assert len(names(world, territory="commune:63003")) == len(names(world))
    assert names(world, territory="commune:43048") == []
    assert names(world, without_referent=True) == ["Élodie FAURELLIAT"]
    assert "Karim BENALITOUX" not in names(world, without_parrain=True)
    today = world["clock"]().date()
    recent = names(world, since=today - dt.timedelta(days=20), projects="tous")
    assert sorted(recent) == ["Gaelle CHANTELOUBIERE", "Élodie FAURELLIAT"]
    assert names(world, until=today - dt.timedelta(days=300), projects="tous") == [
        "Julie MORELHAUT"]


def test_the_default_order_puts_porteurs_without_referent_then_without_news_first(world):
    listed = names(world)
    assert listed[:2] == ["Élodie FAURELLIAT", "Marc BOYERANDOT"]


def test_sorting_by_a_column_both_ways(world):
    oldest = names(world, sort="premier_contact", projects="tous")
    assert oldest[0] == "Julie MORELHAUT" and oldest[-1] == "Élodie FAURELLIAT"
    assert names(world, sort="premier_contact", descending=True, projects="tous") == oldest[::-1]


def test_numbered_pages_come_from_the_database_without_overlap(world):
    hub, session = world["hub"], world["session"]
    first = porteurs_to_follow(hub, session, PorteurQuery(projects="tous"), per_page=3)
    assert first["total"] == 7 and first["pages"] == 3
    seen = [p.porteur_id for page in (1, 2, 3) for p in porteurs_to_follow(
        hub, session, PorteurQuery(projects="tous", page=page), per_page=3)["porteurs"]]
    assert len(seen) == len(set(seen)) == 7
    views = hub.audit.search(action="console_view")
    assert len(views) == 3 + 7  # each porteur shown on a page is logged, no others


def test_the_index_follows_withdrawals_merges_and_expiries(world):
    hub, clock = world["hub"], world["clock"]
    assert "Élodie FAURELLIAT" in names(world)
    consent = hub.consents.consent_for_fiche("commune-ambert", "F-ORPHELIN", "CST-F-ORPHELIN")
    consents.withdraw_consent(hub, Caller("commune-ambert", "", "commune", "accueil"), consent.id)
    assert "Élodie FAURELLIAT" not in names(world) and names(world, text="Faurelliat") == []

    assert len([n for n in names(world) if "CHANTELOUBI" in n]) == 2
    _merge(hub)
    assert len([n for n in names(world) if "CHANTELOUBI" in n]) == 1
    clock.advance(minutes=10)
    porteur_index.refresh(hub)  # the last changes are read again once, in case
    assert porteur_index.refresh(hub) == 0  # then nothing is left to follow

    clock.advance(days=365 * 6)  # every consent has expired
    assert names(world, projects="tous") == []


def _merge(hub: Hub) -> None:
    [item] = duplicates.list_review_items(hub)["items"]
    duplicates.decide(hub, item["id"], "same", confirmed=CONFIRMED_FLAGS,
                      actor="pnr-livradois-forez", user="usr_coord")


def test_a_query_no_form_offers_is_refused_with_a_french_message(world):
    from hub.errors import BadRequest

    for asked in ({"stage": "inconnue"}, {"sort": "nom; drop"}, {"projects": "x"},
                  {"territory": "ailleurs"}, {"territory": "epci:commune-ambert"},
                  {"text": "!!! ???"}):
        with pytest.raises(BadRequest) as refused:
            names(world, **asked)
        assert refused.value.message_fr and "drop" not in refused.value.message_fr
    assert dataclasses.replace(PorteurQuery(), page=0).page == 0  # clamped by the service
    assert names(world, page=0) == names(world)


def test_a_porteur_named_in_another_script_is_found_by_the_coordination_and_the_dpo(world):
    hub = world["hub"]
    fiche = _fiche(hub.clock().date(), "commune-ambert", "F-ARABE", "زينب", "العبدالله",
                   "Traiteur", "emergence", [(3, "commune-ambert", "accueil", None, None)])
    record_consents(hub, [fiche], roles_destinataires=["accueil", "coordination"],
                    finalites=ALL_PURPOSES)
    fiche["porteur"]["courriel"] = "z.abdallah@exemple.fr"
    answer = ingest.push_batch(hub, Caller("commune-ambert", "", "commune", "accueil"), [fiche])
    assert answer["accepted"] == 1
    processing.process_outbox(hub, hub.publisher.published[-1])
    assert names(world, text="العبدالله") == ["زينب العبدالله"]
    found = find_person(hub, dataclasses.replace(world["session"], role="dpo"), "زينب العبدالله")
    assert [p["membres"] for p in found["porteurs"]] == [["commune-ambert"]]
