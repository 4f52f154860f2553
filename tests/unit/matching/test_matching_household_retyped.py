"""The household rule, its review load and its recall (issue 16, p16house and its review):
a first name typed twice two letters apart, where the birth dates do not differ, may be
one person's, or a twin's or a sibling's rhyming name (Timéo / Théo, Lucas / Lucie): a
coordinator decides, the rule never links it (`test_matching_household_rhymes`). The
generator's households drew siblings' names apart (140 of 140 such candidate pairs on
dsgen-zipf-heavy-households were one person), real first names do not. Where the file
shows households, a pair that compares neither the first name nor the birth date never
links on the surname and the home alone: two people in 11 of 56 such pairs on
dsgen-zipf-heavy-households, 14 of 33 on dsgen-poisson-exact-households. Online and
batch alike."""

from __future__ import annotations

import pytest

from hub.domain.matching import normalise_record
from hub.domain.matching.comparisons import DIFFERENT, EXACT, MISSING
from hub.domain.matching.decision import has_enough_evidence, nothing_personal_compared
from hub.domain.matching.household import APART, UNSURE, needs_records, resolve
from tests.unit.matching.test_matching_household_review import _fiche, _kinds, decided
from tests.unit.matching.test_matching_precision_families import _typo_heavy

# One person typed twice at one home, or twins: the first name two letters off (a level
# "different"), the birth date one, or missing on a side; names too short, or not
# beginning alike, to call one a retyping of the other (`first_name_typos`).
HELD = {case: (_fiche(nom, first, date), _fiche(nom, other, other_date))
          for case, nom, first, date, other, other_date in [
              ("two typos at a short name's end, one birth date",
               "Gohl", "Aidan", "1958-04-28", "Aidjm", "1958-04-28"),
              ("two typos in a first name, no birth date on a side",
               "Weidenhofer", "Tynan", "1997-09-19", "Dynap", ""),
              ("two typos in a long first name, one birth date",
               "Sanchez", "Bernard", "2001-03-16", "Bnnard", "2001-03-16")]}
# Still two people, or a coordinator's: birth dates plainly different, or a name too
# short to tell a typo from another name, or two first names common in the file (twins).
NOT_LINKED = {
    "two typos in a first name, birth dates apart": (
        (_fiche("Sanchez", "Bernard", "2001-03-16"), _fiche("Sanchez", "Bnnard", "1975-11-02")),
        "new"),
    "three-letter names, no birth date on a side": (
        (_fiche("Roux", "Sam", "2001-03-16"), _fiche("Roux", "Tim", "")), "new"),
    "twins of two common names two letters apart": (
        (_fiche("Roux", "Lucas", "2001-05-05"), _fiche("Roux", "Lucie", "2001-05-05")),
        "review"),
}


@pytest.mark.parametrize("case", sorted(HELD))
def test_a_first_name_typed_twice_at_one_home_goes_to_review_online_and_in_batch(case,
                                                                               tmp_path):
    decided(HELD[case], "review", (2, 1), tmp_path)


@pytest.mark.parametrize("case", sorted(NOT_LINKED))
def test_other_first_names_of_one_home_stay_apart_or_with_a_coordinator(case):
    pair, kind = NOT_LINKED[case]
    assert _kinds(pair, _typo_heavy()) == (kind, kind)


def test_two_first_names_two_letters_apart_are_a_review_known_to_the_file_or_not():
    """Lucas / Lucie, one birth date: twins as often as one retyped. The rule reads no
    frequency table: whether the training file holds the names or not, a coordinator
    decides (it said nothing for names the file did not hold, and the model linked them
    at 0.9998)."""
    first, second = (normalise_record(row, f"f{n}") for n, row in
                     enumerate(NOT_LINKED["twins of two common names two letters apart"][0]))
    levels = {"nom": EXACT, "prenom": DIFFERENT, "date_naissance": EXACT, "adresse": EXACT,
              "lieu": EXACT}
    assert resolve(levels, UNSURE, first, second) == (UNSURE, True)


def test_first_names_different_under_birth_dates_that_are_not_need_the_records():
    """The pattern scorer asks the pair's records whenever the rule's `APART` may turn
    on the first names' spelling; never where the birth dates differ plainly."""
    home = {"nom": EXACT, "adresse": EXACT, "lieu": EXACT, "prenom": DIFFERENT}
    assert needs_records({**home, "date_naissance": MISSING}, APART)
    assert not needs_records({**home, "date_naissance": DIFFERENT}, APART)


# A sister without a first name, her brother without a birth date, at one home.
NOTHING_PERSONAL = (_fiche("White", "", "1955-12-25"), _fiche("White", "Ellie", ""))


def test_surname_and_home_alone_never_link_where_the_file_shows_households(tmp_path):
    decided(NOTHING_PERSONAL, "review", (2, 1), tmp_path)


def test_nothing_personal_compared_is_evidence_enough_without_households():
    """A typo-heavy file without households (the rule off) links such a pair as before:
    its duplicates drop the first name and the birth date as often as not."""
    without = _typo_heavy(households=0.0)
    first, second = (normalise_record(row, f"f{n}") for n, row in enumerate(NOTHING_PERSONAL))
    explanation = without.score(second, first)
    assert not nothing_personal_compared(explanation, without.decision)
    assert has_enough_evidence(explanation, without.decision)
    assert nothing_personal_compared(explanation, _typo_heavy().decision)
    assert not has_enough_evidence(explanation, _typo_heavy().decision)
