"""One mobile under two first names: one person whose first name was written otherwise,
or two people sharing a number (twins, a child given a parent's mobile).

A mobile number is a person's own (a household's landline compares `fuzzy`, never
`exact`: `comparisons.PhoneComparison`), so where the birth date agrees too it lifts the
first-name veto like an e-mail does (`decision._veto_yields`), but only where the first
names may still be one written otherwise (`first_names_may_be_one`): alike (a typo, a
compound's part, names exchanged: `household.first_names_alike`) or one of them initials
of the other (MM for Marie-Margaux, JR for Jean-René). Anne and Louise born the same day
with one mobile are twins sharing it as often as not: a coordinator decides.

Example:
    >>> from hub.domain.matching.record import normalise_record
    >>> alexandre = normalise_record({"prenom": "Alexandre"}, "a")
    >>> first_names_may_be_one(normalise_record({"prenom": "Aalex"}, "b"), alexandre)
    True
    >>> first_names_may_be_one(normalise_record({"prenom": "Louise"}, "c"),
    ...                        normalise_record({"prenom": "Anne"}, "d"))
    False
"""

from __future__ import annotations

from collections.abc import Mapping

from hub.domain.matching.comparisons import AGREEING, DIFFERENT, EXACT
from hub.domain.matching.household import first_names_alike
from hub.domain.matching.record import NormalisedRecord

# A first name this short is read as initials (MM, JR, A).
INITIALS_LENGTH = 2


def shared_mobile(levels: Mapping[str, str | None]) -> bool:
    """First names plainly different, one mobile on both sides and the birth date
    agreeing: whether the mobile lifts the first-name veto depends on the first names
    (`first_names_may_be_one`), read on the records."""
    return (levels.get("prenom") == DIFFERENT and levels.get("telephone") == EXACT
            and levels.get("date_naissance") in AGREEING)


def first_names_may_be_one(a: NormalisedRecord, b: NormalisedRecord) -> bool:
    """Alike (`household.first_names_alike`: not a feminine form, Louis / Louise), or one
    written as initials (`INITIALS_LENGTH` letters or fewer) whose first letter is the
    other's first letter."""
    return first_names_alike(a, b) or _initials_of(a, b) or _initials_of(b, a)


def _initials_of(short: NormalisedRecord, full: NormalisedRecord) -> bool:
    x, y = short.prenom or "", full.prenom or ""
    return 0 < len(x) <= INITIALS_LENGTH < len(y) and x[0] == y[0]


def mobile_lifts(levels: Mapping[str, str | None], a: NormalisedRecord,
                 b: NormalisedRecord) -> bool:
    """The pair's mobile may lift the first-name veto (`shared_mobile` and
    `first_names_may_be_one`)."""
    return shared_mobile(levels) and first_names_may_be_one(a, b)

