"""Routing: who receives a fiche event, and why."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from hub.domain.events import (
    FicheCreated,
    FicheErased,
    FicheUpdated,
    FicheWithdrawn,
    PorteurMerged,
    PorteurUnmerged,
)
from hub.domain.routing import (
    NetworkMember,
    Recipient,
    Subscription,
    recipients,
    referent_structure,
)
from tests.factories import make_fiche

NOW = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
OWNER = "cci-puy-de-dome"
MEMBERS = {m.id: m for m in (
    NetworkMember(OWNER, "accompagnement"),
    NetworkMember("cci-thiers", "accompagnement"),
    NetworkMember("pfil-livradois-forez", "financement"),
    NetworkMember("pnr-livradois-forez", "coordination"),
    NetworkMember("chambre-agriculture-63", "accompagnement"),
    NetworkMember("mairie-ambert", "accueil"),
)}
EPCI_AMBERT = ["63003", "63006", "63013"]


def created(fiche):
    return FicheCreated(membre=fiche["membre"], fiche_id=fiche["fiche_id"], porteur_id="p-1",
                        occurred_at=NOW, version=fiche["version"])


def route(fiche, linked=(), subscriptions=()):
    return recipients(created(fiche), fiche, linked, MEMBERS, subscriptions)


def test_members_already_linked_to_the_porteur_receive_the_event():
    assert route(make_fiche(), linked={"cci-thiers"}) == [
        Recipient("cci-thiers", "accompagnement", frozenset({"linked"}))
    ]


def test_the_referents_structure_receives_the_event_flagged_as_referent():
    fiche = make_fiche(accompagnement=[
        {"structure": "pfil-livradois-forez", "date": "2026-10-02", "type": "financement",
         "referent": "Jeanne Ollier"},
    ])
    (only,) = route(fiche)
    assert (only.member, only.is_referent) == ("pfil-livradois-forez", True)


def test_the_latest_step_naming_a_referent_designates_the_structure():
    fiche = make_fiche(accompagnement=[
        {"structure": "cci-thiers", "date": "2026-11-01", "type": "accompagnement",
         "referent": "Luc"},
        {"structure": "pfil-livradois-forez", "date": "2026-01-05", "type": "accueil",
         "referent": "Ana"},
        {"structure": "mairie-ambert", "date": "2026-12-01", "type": "orientation"},
    ])
    assert referent_structure(fiche) == "cci-thiers"
    assert referent_structure(make_fiche(accompagnement=[])) is None


def test_the_owner_never_receives_its_own_fiche():
    fiche = make_fiche()  # the owner is also the referent's structure
    everything = Subscription.create(OWNER, communes=["63003"])
    assert route(fiche, linked={OWNER}, subscriptions=[everything]) == []


def test_a_member_subscribed_to_an_epci_receives_fiches_of_its_communes():
    subscription = Subscription.create("pfil-livradois-forez", epcis=[EPCI_AMBERT])
    members = [r.member for r in route(make_fiche(), subscriptions=[subscription])]
    assert members == ["pfil-livradois-forez"]


def test_a_commune_outside_the_territory_is_not_routed():
    subscription = Subscription.create("pfil-livradois-forez", communes=["43048"])
    assert route(make_fiche(), subscriptions=[subscription]) == []


def test_the_porteurs_commune_counts_as_territory_too():
    fiche = make_fiche()
    fiche["projet"]["commune_implantation"] = {"code_insee": "43048"}
    subscription = Subscription.create("pfil-livradois-forez", communes=["63003"])
    assert [r.member for r in route(fiche, subscriptions=[subscription])] == [
        "pfil-livradois-forez"]


@pytest.mark.parametrize(
    ("criteria", "routed"),
    [
        ({"stages": ["montage", "financement"]}, True),
        ({"stages": ["idee"]}, False),
        ({"needs": ["local", "foncier"]}, True),
        ({"needs": ["garde_enfant"]}, False),
        ({"project_kinds": ["creation"]}, True),
        ({"project_kinds": ["reprise"]}, False),
        ({"naf_prefixes": ["17"]}, True),
        ({"naf_prefixes": ["01"]}, False),
        ({"communes": ["63003"], "stages": ["idee"]}, False),
        ({"communes": ["63003"], "needs": ["financement"]}, True),
    ],
)
def test_every_criterion_given_must_match(criteria, routed):
    subscription = Subscription.create("chambre-agriculture-63", **criteria)
    assert bool(route(make_fiche(), subscriptions=[subscription])) is routed


@pytest.mark.parametrize(("territory", "routed"), [(["43048"], False), (["63003"], True),
                                                    ([], True)])
def test_a_territory_bounds_every_subscription_of_its_member(territory, routed):
    """A subscription naming no commune means the member's territory, not anywhere."""
    subscription = Subscription.create("mairie-ambert", needs=["financement"],
                                       territory=territory)
    assert bool(route(make_fiche(), subscriptions=[subscription])) is routed
    only_a_territory = Subscription.create("mairie-ambert", territory=["63003"])
    assert route(make_fiche(), subscriptions=[only_a_territory]) == []


@pytest.mark.parametrize("lives_in", ["63125", "63003"])
def test_a_commune_subscribed_outside_the_territory_routes_nothing(lives_in):
    """A subscription's communes count only within the member's territory: a fiche whose
    project is in the territory (63003) and whose porteur lives in a commune subscribed
    outside it (63125) was routed by that commune, which the member's subscriptions, as
    read back, do not hold. Only a commune in both now routes."""
    fiche = make_fiche()
    fiche["porteur"]["adresse"]["code_insee"] = lives_in
    outside = Subscription.create("mairie-ambert", communes=["63125"], territory=["63003"])
    assert route(fiche, subscriptions=[outside]) == []
    both = Subscription.create("mairie-ambert", communes=["63125", "63003"],
                               territory=["63003"])
    assert [r.member for r in route(fiche, subscriptions=[both])] == ["mairie-ambert"]


def test_a_subscription_without_criteria_matches_nothing():
    assert route(make_fiche(), subscriptions=[Subscription("pnr-livradois-forez")]) == []


def test_reasons_are_merged_per_member_and_recipients_sorted():
    fiche = make_fiche(accompagnement=[
        {"structure": "cci-thiers", "date": "2026-10-02", "type": "accueil", "referent": "Luc"},
    ])
    subscriptions = [Subscription.create("cci-thiers", communes=["63003"]),
                     Subscription.create("mairie-ambert", communes=["63003"])]
    routed = route(fiche, linked={"pnr-livradois-forez", "cci-thiers"},
                   subscriptions=subscriptions)
    assert [(r.member, sorted(r.reasons)) for r in routed] == [
        ("cci-thiers", ["linked", "referent", "subscription"]),
        ("mairie-ambert", ["subscription"]),
        ("pnr-livradois-forez", ["linked"]),
    ]


def test_members_outside_the_network_receive_nothing():
    assert route(make_fiche(), linked={"ancien-membre"}) == []


def test_events_are_frozen_and_named_in_the_past_tense():
    updated = FicheUpdated(membre=OWNER, fiche_id="F-1", porteur_id="p-1", occurred_at=NOW,
                           version=2, changed_fields=("porteur.telephone", "projet.stade"))
    assert updated.changed_fields_for(frozenset({"projet.stade"})) == ("projet.stade",)
    with pytest.raises(dataclasses.FrozenInstanceError):
        updated.version = 3  # type: ignore[misc]
    kinds = [cls.kind for cls in (FicheCreated, FicheUpdated, FicheWithdrawn, FicheErased,
                                  PorteurMerged, PorteurUnmerged)]
    assert kinds == ["created", "updated", "withdrawn", "erased", "merged", "unmerged"]


def test_porteur_events_route_by_the_fiche_they_concern():
    fiche = make_fiche()
    merged = PorteurMerged(porteur_id="p-1", merged_id="p-2", occurred_at=NOW)
    routed = recipients(merged, fiche, {"cci-thiers", OWNER}, MEMBERS, [])
    assert [r.member for r in routed] == ["cci-thiers"]
