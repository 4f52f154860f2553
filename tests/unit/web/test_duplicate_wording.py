"""The duplicate page's words for a coordinator: why a pair waits, points with a French
decimal comma, "different" rather than "written differently" when values differ."""

import pytest

from hub.domain.matching.comparisons import AGREEING, COMPARISON_CLASSES
from hub.services.console.duplicates_console import FIELD_LABELS, _row, waiting_reason, waterfall
from hub.web.pages import french_percent, french_points, french_points_or_nothing


def _explanation(**levels: str) -> dict:
    return {"champs": [{"champ": f, "niveau": level} for f, level in levels.items()]}


def test_a_sure_looking_pair_says_why_it_waits():
    assert "date de naissance" in waiting_reason(_explanation(
        nom="exact", prenom="exact", date_naissance="different", courriel="exact"))
    assert "Trop peu" in waiting_reason(_explanation(nom="exact", prenom="exact"))
    assert "seuil" in waiting_reason(_explanation(nom="exact", prenom="exact",
                                                  date_naissance="exact"))


@pytest.mark.parametrize("level", sorted(AGREEING))
def test_a_birth_date_agreeing_at_any_level_the_decision_counts_is_not_too_few(level):
    """The decision counts every level of `AGREEING` as agreeing (a date swapped, a day a
    digit off): a pair held under the threshold with names exact and the date so waits on
    the probability, not on too few fields agreeing."""
    reason = waiting_reason(_explanation(nom="exact", prenom="exact", date_naissance=level))
    assert reason.startswith("La probabilité reste sous le seuil")


def test_two_of_one_household_say_so_rather_than_a_decisive_field():
    """The explanation's `foyer` (the household rule, `household.two_of_one_household`):
    the page names it, not the first name's veto the model may have lifted."""
    household = {**_explanation(nom="exact", prenom="different", date_naissance="exact",
                                adresse="exact"), "foyer": True}
    assert waiting_reason(household).startswith("Deux personnes d'un même foyer")


def test_neighbours_say_so_rather_than_a_household():
    """Another surname at another number of one street (`household.neighbours`): the page
    names two neighbours, not one household."""
    neighbours = {**_explanation(nom="different", prenom="exact", date_naissance="exact",
                                 adresse="fuzzy", lieu="exact"), "foyer": True}
    assert waiting_reason(neighbours).startswith("Deux voisins")


def test_points_use_a_french_decimal_comma_and_a_true_minus():
    assert french_points(2.5) == "+2,5"
    assert french_points(-1.5) == "−1,5"


def test_two_stages_are_different_not_written_differently():
    stage = _row("Étape du projet", "projet.stade", None, {"projet": {"stade": "idee"}},
                 {"projet": {"stade": "montage"}})
    name = _row("Prénom", "porteur.prenom", {"niveau": "exact", "poids": 3.0},
                {"porteur": {"prenom": "Gaelle"}}, {"porteur": {"prenom": "Gaëlle"}})
    assert stage["ecart"] == "≠ différent" and name["ecart"] == "≈ écrit autrement"


def test_a_field_absent_on_one_side_is_shown_so_and_weighs_nothing_in_row_and_waterfall():
    """The address the hub found absent on the right is "absent à droite", 0 points, in the
    row and in the waterfall, whatever stale weight the kept term carries."""
    term = {"champ": "adresse", "niveau": "missing", "poids": 5.2, "ajustement_frequence": 0.0,
            "libelle": "absent à droite"}
    row = _row("Adresse", "porteur.adresse.ligne", term,
               {"porteur": {"adresse": {"ligne": "3 rue des Lilas"}}}, {"porteur": {}})
    assert (row["etat"], row["absence"], row["niveau"], row["poids"]) == (
        "absent", "absent à droite", "absent à droite", 0.0)
    steps = waterfall({"a_priori": -6.0, "champs": [term], "total": -6.0,
                       "probabilite": 0.015})["etapes"]
    assert (steps[0]["niveau"], steps[0]["poids"], steps[0]["cumul"]) == (
        "absent à droite", 0.0, -6.0)


def test_a_compared_field_hidden_from_the_coordination_is_not_called_absent():
    """The hub compared both addresses (approchant, +5,2) but the coordination sees only
    one: the row says masked with the hub's level and points, never "absent"."""
    term = {"champ": "adresse", "niveau": "fuzzy", "poids": 5.2, "ajustement_frequence": 0.0}
    row = _row("Adresse", "porteur.adresse.ligne", term,
               {"porteur": {"adresse": {"ligne": "3 rue des Lilas"}}}, {"porteur": {}})
    assert (row["etat"], row["niveau"], row["poids"]) == ("masque", "approchant", 5.2)


def test_a_probability_short_of_certain_is_never_shown_as_100_percent_nor_0():
    assert french_percent(0.9998) == "99,9 %" and french_percent(0.99996, 2) == "99,99 %"
    assert french_percent(0.0004) == "0,1 %" and french_percent(0.0) == "0,0 %"
    assert french_percent(1.0, certain=True) == "100,0 %" and french_percent(1.0) == "99,9 %"
    assert french_percent(0.8765, 2) == "87,65 %"


def test_a_level_of_one_fields_own_reads_as_the_api_says_it():
    """A landline agreeing (the phone's fuzzy level) is "the same landline, a household's"
    in the API's libelle and on the console's page, not "approchant"."""
    from hub.domain.matching.model import FieldTerm

    term = FieldTerm("telephone", "fuzzy", 4.2).to_dict()
    assert term["libelle"] == "même ligne fixe, celle d'un foyer"
    assert _row("Téléphone", "porteur.telephone", term, {}, {})["niveau"] == term["libelle"]
    assert FieldTerm("courriel", "fuzzy", 0.0).label_fr() == "même nom, numéroté d'un seul côté"
    assert FieldTerm("adresse", "fuzzy", 1.0).label_fr() == "approchant"


def test_a_numbered_email_and_a_household_landline_say_their_own_level_not_written_differently():
    """Two e-mails alike but one numbered, two landlines of one home: the row says the
    level's own words (the API's libelle), not "≈ écrit autrement"; a weight of 0 (the
    e-mail's capped) reads "0 (ne compte pas)" in the row and in the waterfall."""
    from hub.domain.matching.model import FieldTerm

    email = FieldTerm("courriel", "fuzzy", 0.0).to_dict()
    row = _row("Courriel", "porteur.courriel", email, {"porteur": {"courriel": "a.b5@x.fr"}},
               {"porteur": {"courriel": "a.b@x.fr"}})
    assert row["ecart"] == email["libelle"] == "même nom, numéroté d'un seul côté"
    assert french_points_or_nothing(row["poids"]) == "0 (ne compte pas)"
    landline = FieldTerm("telephone", "fuzzy", 9.35).to_dict()
    row = _row("Téléphone", "porteur.telephone", landline,
               {"porteur": {"telephone": "04 73 91 22 40"}}, {"porteur": {"telephone": "0473912240"}})
    assert row["ecart"] == landline["libelle"] == "même ligne fixe, celle d'un foyer"
    assert french_points_or_nothing(row["poids"]) == "+9,3"
    steps = waterfall({"a_priori": -6.0, "champs": [email], "total": -6.0,
                       "probabilite": 0.015})["etapes"]
    assert french_points_or_nothing(steps[0]["poids"]) == "0 (ne compte pas)"
    name = _row("Prénom", "porteur.prenom", {"champ": "prenom", "niveau": "fuzzy", "poids": 1.0},
                {"porteur": {"prenom": "Alain"}}, {"porteur": {"prenom": "Alix"}})
    assert name["ecart"] == "≈ écrit autrement"


def test_an_impossible_date_typed_the_same_says_it_was_compared_by_its_digits():
    """A birth date made impossible by a typed digit (a day of 61), the same on both
    sides: the hub compared its digits (close), and the row and the API say so rather than
    "= identique" beside "proche"."""
    from hub.domain.matching.decision import Candidate, match_one
    from hub.domain.matching.model import default_model

    here = {"nom": "Dupont", "prenom": "Jean", "date_naissance": "19761161",
            "code_postal": "35000", "courriel": "jean.dupont@example.org"}
    explanation = match_one(here, [Candidate("P1", here)], default_model()).explanation
    assert explanation is not None
    term = next(t for t in explanation.to_dict()["champs"] if t["champ"] == "date_naissance")
    assert term["niveau"] == "close"
    assert term["libelle"] == "date impossible, comparée par ses chiffres : proche"
    row = _row("Date de naissance", "porteur.date_naissance", term,
               {"porteur": {"date_naissance": "19761161"}},
               {"porteur": {"date_naissance": "19761161"}})
    assert row["etat"] != "identique"
    assert row["niveau"] == row["ecart"] == term["libelle"]


def test_a_field_the_coordination_may_not_see_on_a_side_shows_no_level_points_nor_absence():
    """Its level would say the hidden value (the other side's) or whether it is filled."""
    term = {"champ": "adresse", "niveau": "exact", "poids": 7.1, "ajustement_frequence": 0.0}
    row = _row("Adresse", "porteur.adresse.ligne", term,
               {"porteur": {"adresse": {"ligne": "3 rue des Lilas"}}}, {}, (False, True))
    assert (row["etat"], row["niveau"], row["poids"], row["absence"], row["ecart"]) == (
        "masque", None, None, None, None)


@pytest.mark.parametrize("field", sorted(c.field for c in COMPARISON_CLASSES.values()))
def test_every_compared_field_has_a_word_in_the_waterfall(field):
    """Each field the model compares is named in words on the page, never by its
    internal key (the place, `lieu`, showed raw)."""
    step = waterfall({"a_priori": -5.0, "total": 1.0, "probabilite": 0.7,
                      "champs": [{"champ": field, "niveau": "exact", "poids": 2.0,
                                  "ajustement_frequence": 0.0}]})["etapes"][0]
    assert step["champ"] == FIELD_LABELS[field] and step["champ"] != field
