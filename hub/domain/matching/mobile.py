"""One mobile under two first names: one person whose first name was written otherwise,
or two people sharing a number (twins, a child given a parent's mobile).

A mobile number is a person's own (a household's landline compares `fuzzy`, never
`exact`: `comparisons.PhoneComparison`), so where the birth date agrees too it lifts the
first-name veto like an e-mail does (`decision._veto_yields`), but only on a number of
the French plan read as a mobile (`comparisons.line_kind`: +32, +41 or 08 numbers are
nobody's own as far as the hub can tell), no contact plainly different (two personal
e-mails are two people), and first names that are one written otherwise
(`first_names_may_be_one`): a compound's part (Sophie for Anne-Sophie) or real initials
(MM for Marie-Margaux), never a first name in use (`first_names`, the model's table of
first names: Jo, JP, Tom). Twins are named alike as often as not (Tom / Tim, Lucas /
Louis, Théo / Timéo): names merely alike never lift the veto, a coordinator decides.

Example:
    >>> from hub.domain.matching.record import normalise_record
    >>> sophie = normalise_record({"prenom": "Anne-Sophie"}, "a")
    >>> first_names_may_be_one(normalise_record({"prenom": "Sophie"}, "b"), sophie)
    True
    >>> first_names_may_be_one(normalise_record({"prenom": "Tom"}, "c"),
    ...                        normalise_record({"prenom": "Tim"}, "d"))
    False
"""

from __future__ import annotations

from collections.abc import Container, Mapping

from hub.domain.matching.comparisons import AGREEING, DIFFERENT, EXACT, line_kind
from hub.domain.matching.first_names import feminine_compound, feminine_form
from hub.domain.matching.record import NormalisedRecord

# Contacts: any of them plainly different and the mobile lifts nothing.
_CONTACTS = ("courriel", "telephone")


def shared_mobile(levels: Mapping[str, str | None]) -> bool:
    """First names plainly different, one phone on both sides, no contact plainly
    different and the birth date agreeing: whether the mobile lifts the first-name veto
    depends on the number and the first names (`mobile_lifts`), read on the records."""
    return (levels.get("prenom") == DIFFERENT and levels.get("telephone") == EXACT
            and not any(levels.get(f) == DIFFERENT for f in _CONTACTS)
            and levels.get("date_naissance") in AGREEING)


def first_names_may_be_one(a: NormalisedRecord, b: NormalisedRecord,
                           first_names: Container[str] = ()) -> bool:
    """A part of a compound shared (Anne-Sophie / Sophie; not a feminine form), or one
    side the other's initials (all its parts') and no first name of `first_names`."""
    x, y = a.prenom or "", b.prenom or ""
    if not (x and y) or feminine_form(x, y) or feminine_compound(a.prenom_tokens,
                                                                 b.prenom_tokens):
        return False
    return (bool(set(a.prenom_tokens) & set(b.prenom_tokens))
            or _initials_of(a, b, first_names) or _initials_of(b, a, first_names))


def _initials_of(short: NormalisedRecord, full: NormalisedRecord,
                 first_names: Container[str]) -> bool:
    x = short.prenom or ""
    return (x == full.prenom_initials and len(x) < len(full.prenom or "")
            and x not in first_names)


def mobile_lifts(levels: Mapping[str, str | None], a: NormalisedRecord,
                 b: NormalisedRecord, first_names: Container[str] = ()) -> bool:
    """The pair's mobile may lift the first-name veto (`shared_mobile`, a mobile's number
    and `first_names_may_be_one`)."""
    return (shared_mobile(levels) and line_kind(a.telephone or "")[1] == "mobile"
            and first_names_may_be_one(a, b, first_names))
