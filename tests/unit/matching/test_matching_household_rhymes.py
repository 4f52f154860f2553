"""Names only two typed letters apart in one household (issue 16, the household rule's
review): Timéo / Théo, Maya / Mila, Lucas / Lucie are twins or siblings as often as one
name retyped, common in the training file or not. The rule never links them on its own
say-so: a coordinator decides (a review, `may_be_one`), online on both decision paths and
in batch, under one birth date or one missing. One e-mail agreeing as well may be the
family's: first names alike still go to review, a name retyped or the same links."""

from __future__ import annotations

import pytest

from hub.domain.matching import normalise_record
from hub.domain.matching.model import Explanation
from hub.services.console.duplicates_console import waiting_reason
from tests.unit.matching.test_matching_household_review import _fiche, _kinds, decided
from tests.unit.matching.test_matching_precision_families import _typo_heavy

RHYMING = [("Timéo", "Théo"), ("Maya", "Mila"), ("Inès", "Iris"), ("Enzo", "Elio"),
           ("Nathan", "Ethan"), ("Lucas", "Lucie"), ("Julie", "Lucie"), ("Alice", "Élise"),
           ("Colette", "Josette"), ("René", "Rémy")]


@pytest.mark.parametrize("date", ["2001-05-05", ""], ids=["one date", "a date missing"])
@pytest.mark.parametrize(("first", "second"), RHYMING, ids=[f"{a}/{b}" for a, b in RHYMING])
def test_first_names_two_letters_apart_in_one_home_go_to_review(first, second, date,
                                                                  tmp_path):
    pair = (_fiche("Roux", first, "2001-05-05", telephone="0611111111"),
            _fiche("Roux", second, date, telephone="0622222222"))
    decided(pair, "review", (2, 1), tmp_path)


def test_a_rhyming_pair_held_by_the_rule_may_be_one_person():
    pair = (_fiche("Roux", "Lucas", "2001-05-05"), _fiche("Roux", "Lucie", "2001-05-05"))
    first, second = (normalise_record(row, f"f{n}") for n, row in enumerate(pair))
    document = _typo_heavy().score(second, first).to_dict()
    assert document.get("foyer_a_verifier") is True


def test_one_e_mail_as_well_goes_to_review_unless_the_first_name_is_retyped():
    """One birth date and one e-mail at one home: the family's e-mail as often as the
    person's own, so first names alike (Timéo / Timéi: a letter replaced, or twins) go to
    a coordinator; a name retyped (letters exchanged) or the same name links."""
    mail = {"courriel": "t.roux@example.org"}
    fiches = {name: _fiche("Roux", name, "2001-05-05", **mail)
              for name in ("Timéo", "Timéi", "Mathilde", "Mathidle")}
    model = _typo_heavy()
    assert _kinds((fiches["Timéo"], fiches["Timéi"]), model) == ("review", "review")
    assert _kinds((fiches["Mathilde"], fiches["Mathidle"]), model) == ("link", "link")
    assert _kinds((fiches["Timéo"], dict(fiches["Timéo"])), model) == ("link", "link")


# A sister without a first name, her brother without a birth date: nothing personal
# compared at one home, where the training file showed households.
NOTHING_PERSONAL = (_fiche("White", "", "1955-12-25"), _fiche("White", "Ellie", ""))


def test_a_pair_held_for_comparing_nothing_personal_says_so():
    """Held for review at a probability above the link bound: the API's flag and line and
    the console's reason say nothing personal was compared, not a probability too low."""
    model = _typo_heavy()
    first, second = (normalise_record(row, f"f{n}") for n, row in enumerate(NOTHING_PERSONAL))
    assert _kinds(NOTHING_PERSONAL, model) == ("review", "review")
    explanation = model.score(second, first)
    document = explanation.to_dict()
    assert document.get("rien_de_personnel_compare") is True
    assert "foyer_a_verifier" not in document and "foyer" not in document
    line = next(line for line in explanation.lines_fr()
                if line.startswith("rien de personnel comparé : "))
    reason = waiting_reason(document)
    assert "seuil" not in reason, reason
    for said in (line, reason):
        assert "ni le prénom ni la date de naissance" in said, said
    assert Explanation.from_dict(document).to_dict() == document


def test_a_pair_comparing_a_first_name_carries_no_such_flag():
    pair = (_fiche("White", "Ellie", "1955-12-25"), _fiche("White", "Ellie", ""))
    first, second = (normalise_record(row, f"f{n}") for n, row in enumerate(pair))
    assert "rien_de_personnel_compare" not in _typo_heavy().score(second, first).to_dict()


def test_a_model_without_households_says_nothing_of_it():
    first, second = (normalise_record(row, f"f{n}") for n, row in enumerate(NOTHING_PERSONAL))
    document = _typo_heavy(households=0.0).score(second, first).to_dict()
    assert "rien_de_personnel_compare" not in document
