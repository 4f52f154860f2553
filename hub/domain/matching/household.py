"""Two people of one household: what tells a sibling from a retyped duplicate.

A household shares a surname and a home (the street line, the landline). A first name
typed again mostly stays near the one it retypes: a letter typed wrong, dropped or
exchanged, a high Jaro-Winkler, a nickname, initials, a compound's part, a sound (close
or fuzzy, `comparisons.FirstNameComparison`), or the surname's place (names exchanged,
`comparisons.compare_records`). A sibling's first name, a twin's, is plainly another
(`different`). So a pair whose surname agrees, whose home is one, whose first names
differ plainly and which shares no contact of the person's own (an e-mail agreeing
exactly, a mobile) is two people of one household (`two_of_one_household`).

Typo-heavy files without households also replace a first name outright now and then
(a twin's pattern, then, is a duplicate's): the rule holds only where the file shows
households (`household_share`, measured at training): among its candidate pairs of one
surname and one street line, the share whose first names and birth dates both differ
plainly, siblings' pattern. Measured on the benchmark's sets (`bench/dedup_accuracy.py`):
0.005 to 0.016 on FEBRL-family files, 0.25 to 0.39 on files with households (the French
population, the generator's sets with siblings).

Example:
    >>> two_of_one_household({"nom": "exact", "prenom": "different", "adresse": "exact",
    ...                       "date_naissance": "exact"})
    True
    >>> two_of_one_household({"nom": "exact", "prenom": "close", "adresse": "exact"})
    False
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from hub.domain.matching.comparisons import AGREEING, CLOSE, DIFFERENT, EXACT, FUZZY, MISSING

# The levels of a home shared: the street line exact, spelt closely or with another house
# number typed (fuzzy), or one landline on both sides (the phone's fuzzy level).
_HOME = {"adresse": (EXACT, CLOSE, FUZZY), "telephone": (FUZZY,)}
# The training entry holding `household_share` (`training.train`).
HOUSEHOLD_SHARE = "part_foyers"


def two_of_one_household(levels: Mapping[str, str]) -> bool:
    """The surname agreeing or alike (a sibling's fiche typed with a letter or two off),
    one home, neither an e-mail agreeing exactly nor a mobile agreeing (a person's own
    contact), and either the first names plainly different (twins, siblings), or the
    birth dates plainly different where the first names do not agree (unknown on a side,
    or alike but another: Julien / Juliette)."""
    home = any(levels.get(field) in shared for field, shared in _HOME.items())
    own_contact = levels.get("courriel") == EXACT or levels.get("telephone") in AGREEING
    first_name = levels.get("prenom")
    other = first_name == DIFFERENT or (
        first_name in (FUZZY, MISSING, None) and levels.get("date_naissance") == DIFFERENT)
    return other and levels.get("nom") in (EXACT, CLOSE, FUZZY) and home and not own_contact


def household_share(patterns: Mapping[tuple[str, ...], int], fields: Sequence[str]) -> float:
    """Among candidate pairs whose surname and street line agree (exact or close), the
    share of two of one household (`two_of_one_household`) whose birth dates differ
    plainly too: siblings, which a file without households hardly holds (a duplicate
    with its first name and its birth date both replaced). 0 without such pairs."""
    home = siblings = 0
    for pattern, count in patterns.items():
        levels = dict(zip(fields, pattern, strict=True))
        if levels.get("nom") in (EXACT, CLOSE) and levels.get("adresse") in (EXACT, CLOSE):
            home += count
            if (two_of_one_household(levels) and levels.get("prenom") == DIFFERENT
                    and levels.get("date_naissance") == DIFFERENT):
                siblings += count
    return siblings / home if home else 0.0
