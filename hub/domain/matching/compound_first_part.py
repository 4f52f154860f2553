"""A compound first name and its first part alone, born the same day at one home: one
person, the second part left off (Jean / Jean-Léon, Marie / Marie-Julie).

People known by a compound first name are often written by its first part alone, and a
fiche typed by another organisation drops the rest. Two of one household born the same
day are twins, and twins are given two names, not one name and the same name with a
part added: the generator of alike twins leaves that pattern out for the same reason
(`bench/dedup_accuracy.py --twins-alike`: "not two writings of one name, nor a name and
its part"). A father Jean and his son Jean-Léon, a mother Marie and her daughter
Marie-Julie are born years apart: the full birth date, on both fiches and the same, is
what tells them from one person. So the household rule leaves such a pair to the model
(`household.resolve`), which weighs the surname, the birth date and the home.

Only the first part: Sophie beside Anne-Sophie is a review still (a sister's name as
often as the second part of one's own, `tests/unit/matching/test_matching_household_review.py`);
nor initials (J. / Jean-Léon), nor a part shorter than `MIN_PART` letters, nor a
feminine compound (Jean / Jeanne-Marie: JEAN is no part of it).

Example:
    >>> from hub.domain.matching.record import normalise_record
    >>> def pair(x, y, dx="1965-09-24", dy="1965-09-24"):
    ...     return (normalise_record({"prenom": x, "date_naissance": dx}, "a"),
    ...             normalise_record({"prenom": y, "date_naissance": dy}, "b"))
    >>> first_part_alone(*pair("Jean", "Jean-Léon")), first_part_alone(*pair("Marie-Julie", "MARIE"))
    (True, True)
    >>> first_part_alone(*pair("Sophie", "Anne-Sophie")), first_part_alone(*pair("J.", "Jean-Léon"))
    (False, False)
    >>> first_part_alone(*pair("Jean", "Jean-Léon", dy="1990-01-02"))  # a father and his son
    False
    >>> first_part_alone(*pair("Jean", "Jean-Léon", dy=""))  # no date to tell them
    False
"""

from __future__ import annotations

from hub.domain.matching.record import NormalisedRecord

# A first part shorter than this is an initial or a pet name's stub (J, JO).
MIN_PART = 3


def first_part_alone(a: NormalisedRecord, b: NormalisedRecord) -> bool:
    """One first name a single part, the other a compound of two parts or more beginning
    with it, and both fiches dated the same full birth date."""
    if a.date_naissance is None or a.date_naissance != b.date_naissance:
        return False
    short, long = sorted((a.prenom_tokens, b.prenom_tokens), key=len)
    return (len(short) == 1 and len(long) >= 2 and len(short[0]) >= MIN_PART
            and long[0] == short[0])
