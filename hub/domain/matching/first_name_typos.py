"""A first name retyped, or another first name: Mathidle for Mathilde, or Léo beside Léa.

Two first names one slip of the fingers apart (two neighbouring letters exchanged, not
the last two: `one_slip_apart`) are one name retyped
where one of them is a first name in use and the other is none: neither in the model's
table of first names (the names its training file held `effectif_min_frequence` times or
more: `MatchModel.tf`) nor among
the given names of `given_names.txt` (Faker's lists of every locale, MIT; written by
`bench/given_names_file.py`). Two names in use one letter apart (Léa / Léo, Marine /
Marina, Mathis / Mathys) are what twins and siblings bear; two names neither of which is
known say nothing either way, the careful rules hold (`household`, `decision`). A name
seen often in the data is in use whatever the list says: a list lacking a name never
makes a sibling a typo where the data show the name.

A letter added, dropped or replaced is no slip here: it is how names of one family are
made from each other (Hamid / Hamida, Ilan / Ilian, Mélia / Mélina, Aylan / Aylin, Enora /
Enola, Noam / Noan), and a list of given names never holds every real one, so such a pair
stays with the careful rules whatever the list says. So do the last two letters exchanged
(Noah / Noha) and a letter doubled (Louane / Louanne: two spellings in use).

A compound is in use where each part is (Jean-Pierre), retyped where one part is not
(Jean-Piere). Names compact, upper case, without accents (`NormalisedRecord.prenom`).

Example:
    >>> from hub.domain.matching.record import normalise_record
    >>> def pair(x, y):
    ...     return normalise_record({"prenom": x}, "a"), normalise_record({"prenom": y}, "b")
    >>> [one_name_retyped(*pair(x, y), {}) for x, y in [("Mathilde", "Mathidle"),
    ...                                                ("Christophe", "Christohpe")]]
    [True, True]
    >>> one_name_retyped(*pair("Hamid", "Hamida"), {}), one_name_retyped(*pair("Noah", "Noha"), {})
    (False, False)
    >>> one_name_retyped(*pair("Marine", "Martine"), {}), one_name_retyped(*pair("Léa", "Léo"), {})
    (False, False)
    >>> one_name_retyped(*pair("Zorglune", "Zorglyne"), {})  # neither known: careful
    False
"""

from __future__ import annotations

import functools
from collections.abc import Container, Mapping
from pathlib import Path

from hub.domain.matching.comparisons import CLOSE, DIFFERENT, EXACT, FUZZY
from hub.domain.matching.first_names import feminine_compound, feminine_form
from hub.domain.matching.record import NormalisedRecord

GIVEN_NAMES_FILE = Path(__file__).with_name("given_names.txt")
# Shorter first names retyped by a letter are another name as often (Léa / Lia, Tom / Tim).
MIN_LENGTH = 4


@functools.cache
def given_names() -> frozenset[str]:
    """The given names of `GIVEN_NAMES_FILE` (its lines but the comments)."""
    lines = GIVEN_NAMES_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def in_use(record: NormalisedRecord, first_names: Container[str]) -> bool:
    """The record's first name is one in use: in the data's table (`first_names`), or
    each of its parts in that table or among the given names."""
    names = given_names()
    return (record.prenom or "") in first_names or (bool(record.prenom_tokens) and all(
        part in first_names or part in names for part in record.prenom_tokens))


def one_name_retyped(a: NormalisedRecord, b: NormalisedRecord,
                     first_names: Container[str]) -> bool:
    """The two first names are one retyped: `one_slip_apart`, each of `MIN_LENGTH`
    letters or more, not a name and its feminine form (Louis / Louise), one in use and
    the other not (`in_use`, `first_names` the model's table)."""
    x, y = a.prenom or "", b.prenom or ""
    if (x == y or min(len(x), len(y)) < MIN_LENGTH or feminine_form(x, y)
            or feminine_compound(a.prenom_tokens, b.prenom_tokens)):
        return False
    return one_slip_apart(x, y) and in_use(a, first_names) != in_use(b, first_names)


def one_slip_apart(x: str, y: str) -> bool:
    """Two neighbouring letters exchanged, but not the last two (Mathilde / Mathidle, not
    Noah / Noha): the slip of the fingers no family makes a name of. A letter doubled or
    undoubled is not one: Louane / Louanne, Mathis / Matthis, Sanaa / Sana, Nolan / Nollan
    are each two spellings in use, and the list of given names lacks many of them.

    >>> [one_slip_apart(*p) for p in [("MATHILDE", "MATHIDLE"), ("NOAH", "NOHA"),
    ...                               ("LOUANE", "LOUANNE"), ("HAMID", "HAMIDA")]]
    [True, False, False, False]
    """
    if len(x) != len(y):
        return False
    apart = [i for i in range(len(x)) if x[i] != y[i]]
    return (len(apart) == 2 and apart[1] == apart[0] + 1 and apart[1] < len(x) - 1
            and x[apart[0]] == y[apart[1]] and x[apart[1]] == y[apart[0]])


def may_be_retyped(levels: Mapping[str, str | None]) -> bool:
    """First names alike or different under a surname agreeing: whether the pair's first
    names may be one retyped (`one_name_retyped`) is read on its records, where a rule of
    one home would hold it otherwise (`decision.alike_at_one_home`, `household.resolve`)."""
    return (levels.get("prenom") in (CLOSE, FUZZY, DIFFERENT)
            and levels.get("nom") in (EXACT, CLOSE, FUZZY))
