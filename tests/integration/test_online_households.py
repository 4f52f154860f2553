"""The worker's matching with a model trained on typo-heavy data that shows households
(every veto lifted, siblings' share over `part_min_foyers`): twins at one address get two
porteurs and no review item, a retyped fiche still links. On both databases."""

from __future__ import annotations

import dataclasses

import pytest

from hub.domain.matching import default_model
from hub.domain.matching.household import HOUSEHOLD_SHARE
from hub.domain.matching.model import RANDOM_PAIR_U
from hub.services.ingest import processing
from hub.services.matching import duplicates
from tests.integration.dedup_world import CCI, COMMUNE, PFIL, fiche_of, hub_for, porteur_of, push

pytestmark = pytest.mark.integration

_HOME = {"ligne": "12 rue de la Filature", "code_postal": "63600", "commune": "Ambert"}
JULIEN = {"nom": "Chassaing", "prenom": "Julien", "date_naissance": "1988-04-12",
          "adresse": _HOME}
TWIN = {**JULIEN, "prenom": "Thomas"}
# Julien's fiche typed again, with his own e-mail as his first one: a first name retyped
# at one home links on a contact of the person's own, never on the home alone.
OWN = {"courriel": "julien.chassaing@exemple.fr"}
RETYPED = {**JULIEN, **OWN, "prenom": "Julein", "date_naissance": "1988-04-13"}
_FAMILY = "famille.chassaing@orange.fr"


@pytest.fixture
def world(db_url, tmp_path):
    model = default_model()
    decision = dataclasses.replace(model.settings.decision, veto_max_m=1e-9)  # > 0: schema
    typo_heavy = dataclasses.replace(
        model, settings=dataclasses.replace(model.settings, decision=decision),
        training={**model.training, RANDOM_PAIR_U: True, HOUSEHOLD_SHARE: 0.3})
    path = tmp_path / "typo_heavy.json"
    path.write_text(typo_heavy.to_json(), encoding="utf-8")
    yield from hub_for(db_url, tmp_path, matching_model_file=path)


def test_twins_at_one_address_get_two_porteurs_where_every_veto_is_lifted(world):
    hub, _clock = world
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", {**JULIEN, **OWN}))
    push(hub, CCI, fiche_of(CCI, "C-1", TWIN))
    push(hub, PFIL, fiche_of(PFIL, "P-1", RETYPED))
    assert porteur_of(hub, CCI, "C-1") != porteur_of(hub, COMMUNE, "A-1")
    assert porteur_of(hub, PFIL, "P-1") == porteur_of(hub, COMMUNE, "A-1")
    assert processing.pipeline_status(hub)["porteurs"] == 2
    assert duplicates.list_review_items(hub)["items"] == []


@pytest.mark.parametrize(("first", "second"), [("Timéo", "Théo"), ("Lucas", "Lucie")])
def test_twins_with_names_two_letters_apart_go_to_a_coordinator(world, first, second):
    """Twins with rhyming names at one address, one birth date: two porteurs and one
    review item, never one porteur (the rule no longer reads them as one name retyped)."""
    hub, _clock = world
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", {**JULIEN, "prenom": first}))
    push(hub, CCI, fiche_of(CCI, "C-1", {**JULIEN, "prenom": second}))
    assert porteur_of(hub, CCI, "C-1") != porteur_of(hub, COMMUNE, "A-1")
    assert processing.pipeline_status(hub)["porteurs"] == 2
    assert len(duplicates.list_review_items(hub)["items"]) == 1


@pytest.mark.parametrize(("known", "typed"), [
    ({"prenom": "Thomas"}, {"prenom": "Tom"}),
    ({"prenom": "Agathe"}, {"nom": "AGATHE", "prenom": "CHASSAIGN"})],
    ids=["pet name", "names exchanged, surname retyped"])
def test_a_pet_name_or_names_exchanged_with_the_surname_retyped_join_the_porteur(
        world, known, typed):
    """A fiche, then the person's fiche typed Tom for Thomas, or AGATHE | CHASSAIGN for
    Agathe Chassaing (one birth date, one home), from another member: one porteur, no
    review item."""
    hub, _clock = world
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", {**JULIEN, **known}))
    push(hub, CCI, fiche_of(CCI, "C-1", {**JULIEN, **typed}))
    assert porteur_of(hub, CCI, "C-1") == porteur_of(hub, COMMUNE, "A-1")
    assert processing.pipeline_status(hub)["porteurs"] == 1
    assert duplicates.list_review_items(hub)["items"] == []


def test_a_pet_name_of_two_names_beside_twins_goes_to_a_coordinator(world):
    """Twins Emmanuel and Emmanuelle, then a fiche typed Manu (their birth date, their
    home): Manu may be either twin, never joined to one."""
    hub, _clock = world
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", {**JULIEN, "prenom": "Emmanuel"}))
    push(hub, CCI, fiche_of(CCI, "C-1", {**JULIEN, "prenom": "Emmanuelle"}))
    push(hub, PFIL, fiche_of(PFIL, "P-1", {**JULIEN, "prenom": "Manu"}))
    porteurs = {porteur_of(hub, member, fiche) for member, fiche in (
        (COMMUNE, "A-1"), (CCI, "C-1"), (PFIL, "P-1"))}
    assert len(porteurs) == 3
    assert duplicates.list_review_items(hub)["items"] != []


@pytest.mark.parametrize(("first", "second"), [
    ({"prenom": "Jean", "telephone": "06 11 22 33 44"},
     {"prenom": "Jean", "telephone": "06 55 66 77 88"}),
    ({"prenom": "Jean", "telephone": "06 11 22 33 44", "courriel": _FAMILY},
     {"prenom": "Jean", "telephone": "06 55 66 77 88", "courriel": _FAMILY}),
    ({"prenom": "Paul", "date_naissance": "1960-02-03", "courriel": "paul.chassaing@orange.fr"},
     {"prenom": "Pauline", "date_naissance": "1962-02-03",
      "courriel": "pauline.chassaing@orage.fr"})],
    ids=["a father and his son, no date, own mobiles",
         "a father and his son, no date, own mobiles, a family's mailbox",
         "a couple, orange / orage"])
def test_a_father_and_his_son_or_a_couple_at_one_home_get_two_porteurs(world, first, second):
    """Where every veto is lifted: a father and his son of one name at one home, neither
    birth date given, each their own mobile (a family's mailbox on both fiches or none);
    a couple whose e-mails differ before the @, one domain mistyped. Two porteurs, never
    one."""
    hub, _clock = world
    undated = {field: value for field, value in JULIEN.items() if field != "date_naissance"}
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", {**undated, **first}))
    push(hub, CCI, fiche_of(CCI, "C-1", {**undated, **second}))
    assert porteur_of(hub, CCI, "C-1") != porteur_of(hub, COMMUNE, "A-1")
    assert processing.pipeline_status(hub)["porteurs"] == 2


@pytest.mark.parametrize("shared", [{}, {"courriel": _FAMILY}], ids=["one home", "a family's mailbox"])
def test_a_new_mobile_beside_a_fiche_without_birth_date_goes_to_a_coordinator(world, shared):
    """Julien's fiche with his birth date and mobile, then a fiche of his name at his home
    without a birth date and with another mobile: Julien with a new number, or his son;
    two porteurs and one review item, neither a link nor two porteurs left unasked."""
    hub, _clock = world
    undated = {field: value for field, value in JULIEN.items() if field != "date_naissance"}
    push(hub, COMMUNE, fiche_of(COMMUNE, "A-1", {**JULIEN, **shared, "telephone": "06 11 22 33 44"}))
    push(hub, CCI, fiche_of(CCI, "C-1", {**undated, **shared, "telephone": "06 55 66 77 88"}))
    assert porteur_of(hub, CCI, "C-1") != porteur_of(hub, COMMUNE, "A-1")
    assert len(duplicates.list_review_items(hub)["items"]) == 1
