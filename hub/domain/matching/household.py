"""Two people of one household: what tells a sibling from a retyped duplicate.

A household shares a surname and a home (the street line in one town, the landline, even
typed a digit off; a mobile typed a digit off is not a home). A first name typed again
mostly stays near the one it retypes: a letter typed wrong, a high Jaro-Winkler, a
nickname, a compound's part, a sound (close or fuzzy, `comparisons.FirstNameComparison`),
or the surname's place (names exchanged). A
pair whose surname agrees and whose home is one is judged by the rule
(`household_verdict`):

- `APART`, two people: birth dates plainly different where the first names do not
  agree, or first names plainly different where the birth dates do not agree either
  (siblings, a mother and her son);
- `UNSURE`, never an auto-link, a review or two people (`may_be_one`, on the records):
  the birth dates agree (exact or close) and the first names do not: twins, or one
  person retyped where the first names stay alike (`first_names_alike`: Jaro-Winkler
  0.7 or more, a compound's part shared, a first name near the other's surname); one
  mobile on both sides under first names plainly different and birth dates that do not
  agree (siblings given a parent's mobile);
- `AGED`: the first names agree and the birth dates differ plainly: `APART` ten years or
  more apart (a father and his son both Jean), `UNSURE` (a review) where one typed digit
  makes that gap, none under ten years (a date replaced);
- `UNDATED`: one first name, the birth date unknown on a side, the phones plainly
  different and no e-mail agreeing but one both fiches give that does not spell the
  first name (a family's, famille.dupont@, or an initial's: `resolve`): where each side
  gives its own mobile, `APART` without a birth date on either side (a father and his
  son both Jean, where the model lifts the vetoes that part them otherwise:
  `decision.unchecked_and_contradicted`; a family's mailbox outweighs nothing), `UNSURE`
  and may be one where one fiche gives it (the man with a new mobile as often as his
  son: a coordinator decides); none where they are two landlines, or under one e-mail
  spelling the first name (his own, `own_address.mail_names_their_name`). Two e-mails
  differing alone do not say it: one person often gives two;
- `ALIKE`: the first names alike but not the same (close or fuzzy: Léa / Léo, Julien /
  Juliette, Marine / Martine, a nickname, a compound's part, a typo) and the birth dates
  not plainly different (one date, or one missing): `UNSURE` and may be one person, a
  coordinator decides (`resolve`); `APART` where each side gives its own e-mail or
  mobile and the two differ. Nothing agreeing there tells twins or a brother and his
  sister from one fiche retyped, nor does a contact both fiches share (one mobile, one
  e-mail: a parent's, the family's, as often as the person's own): still `ALIKE`, a
  review. One e-mail agreeing under first names not alike leaves the pair to the
  model; so do first names one
  retyped, a name in use and no name a typed letter apart (`first_name_typos`,
  `resolve`), and a fiche whose first name is no name in use holding an e-mail that
  spells the other fiche's first name, not its own (ADRIMEN with adrien.martin@ beside
  Adrien: the person's own address spells the name right;
  `own_address.mail_names_the_other`): never a first name in use (Martine with
  marine.martin@ may hold her twin's address), nor one the other's with letters added
  (Hamida with hamid.martin@). First names
  plainly different by their level but two typed letters apart (Aidan / Aidjm, Bernard /
  Bnnard) where the birth dates do not differ plainly (`_retyped_first_name`) are
  `UNSURE`, never linked by the rule: twins and siblings bear such names as often
  (Timéo / Théo, Maya / Mila, Julie / Lucie), common in the file or not.

Neighbours (`NEIGHBOURS`): the surname plainly different, the street line similar but
with another house number on each side, in one town, and no e-mail or mobile agreeing
exactly: two homes of one street. One first name and one birth date there (four men
named Tom born the same day at 3, 4, 5 and 6 rue des Tilleuls) are neighbours', not one
person: `APART` (`resolve`, on the records: both numbers given, both streets given). A
house number and a surname both retyped or replaced make the same pattern in
FEBRL-family files, which hold no households: like the rest of the rule, this one holds
only where the file shows households.

Typo-heavy files without households also replace a first name outright now and then
(a twin's pattern, then, is a duplicate's): the rule holds only where the file shows
households (`household_share`, measured at training over at least `MIN_HOME_PAIRS` pairs
of one home): among its candidate pairs of one surname and one home, the share whose
first names and birth dates both differ plainly, siblings' pattern. Measured on the
benchmark's sets (`bench/dedup_accuracy.py`): 0.005 to 0.026 on FEBRL-family files, 0.25
to 0.39 on files with households (the French population, the generator's sets with
siblings).

Example:
    >>> household_verdict({"nom": "exact", "prenom": "different", "adresse": "exact",
    ...                    "lieu": "exact", "date_naissance": "different"})
    'apart'
    >>> household_verdict({"nom": "exact", "prenom": "different", "adresse": "exact",
    ...                    "date_naissance": "exact"})
    'unsure'
    >>> household_verdict({"nom": "exact", "prenom": "close", "adresse": "exact"})
    'alike'
    >>> household_verdict({"nom": "exact", "prenom": "close", "adresse": "exact",
    ...                    "courriel": "exact"})
    'alike'
    >>> household_verdict({"nom": "exact", "prenom": "exact", "adresse": "exact",
    ...                    "courriel": "exact"}) is None
    True
    >>> household_verdict({"nom": "different", "prenom": "exact", "adresse": "fuzzy",
    ...                    "lieu": "exact", "date_naissance": "exact"})
    'neighbours'
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping, Sequence

from rapidfuzz.distance import OSA, JaroWinkler

from hub.domain.matching.comparisons import (
    AGREEING,
    CLOSE,
    DIFFERENT,
    EXACT,
    FUZZY,
    GENERATION_YEARS,
    MISSING,
    line_kind,
)
from hub.domain.matching.first_names import feminine_form
from hub.domain.matching.own_address import (
    mail_names_one_side,
    mail_names_the_other,
    mail_names_their_name,
)
from hub.domain.matching.record import NormalisedRecord

APART, UNSURE, ALIKE, AGED = "apart", "unsure", "alike", "aged"
# One first name, the birth date unknown on a side, the phones plainly different and no
# e-mail agreeing but a family's: a father and his son of one name, each their own mobile
# (not two landlines; a coordinator's where one side is dated: `resolve`, on the records).
UNDATED = "undated"
# Another surname at another number of one street (`household_verdict`): two homes,
# `APART` once the records show both numbers (`resolve`).
NEIGHBOURS = "neighbours"
# The training entries holding `household_share` (`training.train`), and the pairs it
# was measured on: [siblings, pairs of one surname and one home].
HOUSEHOLD_SHARE = "part_foyers"
HOUSEHOLD_PAIRS = "paires_foyers"
# Fewer pairs of one home than this say nothing of households (a file of 20 records
# read 0.12 to 0.32): the rule stays off.
MIN_HOME_PAIRS = 30
# First names this alike (Jaro-Winkler) may be one retyped (Lzie / Lucie, Mohamed /
# Muhammad: 0.80), so a coordinator decides.
ALIKE_FIRST_NAMES = 0.7
# First names this many typed letters apart (OSA) or fewer, each at least this long, are
# one name typed twice where the birth dates do not differ (`_retyped_first_name`).
TYPED_APART = 2
RETYPED_MIN_LENGTH = 4
# A first name this near the other's surname: names exchanged with a typo.
NEAR_SURNAME = 0.85


def _one_home(levels: Mapping[str, str]) -> bool:
    """The street line exact, spelt closely or with another number typed (fuzzy) in one
    town (the postcode or commune agreeing, or given on one side only); or one landline,
    or a number typed a digit off, which `resolve` keeps only where both are landlines (a
    mobile a digit off is one person's number retyped, not a home)."""
    return _one_street(levels) or levels.get("telephone") in (FUZZY, CLOSE)


def _one_street(levels: Mapping[str, str]) -> bool:
    return levels.get("adresse") in (EXACT, CLOSE, FUZZY) and levels.get("lieu") in (
        EXACT, CLOSE, MISSING, None)


def home_by_a_typed_number(levels: Mapping[str, str]) -> bool:
    """The pair is one home only by a number typed a digit off: whether it is a home
    (two landlines) needs the records (`resolve`)."""
    return not _one_street(levels) and levels.get("telephone") == CLOSE


def _landlines(a: NormalisedRecord, b: NormalisedRecord) -> bool:
    return all(r.telephone and line_kind(r.telephone)[1] == "fixe" for r in (a, b))


def household_verdict(levels: Mapping[str, str]) -> str | None:
    """`APART`, `UNSURE`, `ALIKE`, `AGED`, `NEIGHBOURS` or None (the rule says nothing)
    for a pair's levels."""
    if neighbours(levels):
        return NEIGHBOURS
    if not (levels.get("nom") in (EXACT, CLOSE, FUZZY) and _one_home(levels)):
        return None
    first_name, birth = levels.get("prenom"), levels.get("date_naissance")
    if levels.get("courriel") == EXACT:  # one e-mail: the person's own, or the family's
        if first_name in (CLOSE, FUZZY):
            return ALIKE
        return UNDATED if _undated_mobiles(levels) else None  # resolve: whose address
    if levels.get("telephone") == EXACT:  # one mobile: the person's own, or a parent's
        if first_name in (CLOSE, FUZZY):  # twins Léa / Léo given a parent's mobile
            return ALIKE
        return UNSURE if first_name == DIFFERENT and birth not in AGREEING else None
    if birth == DIFFERENT:
        return AGED if first_name in AGREEING else APART
    if first_name in (CLOSE, FUZZY):  # alike, not the same: nothing tells the two apart
        return APART if levels.get("courriel") == DIFFERENT else ALIKE
    if birth in AGREEING and first_name == DIFFERENT:
        return UNSURE
    if _undated_mobiles(levels) and levels.get("courriel") not in AGREEING:
        return UNDATED
    return APART if first_name == DIFFERENT else None


def _undated_mobiles(levels: Mapping[str, str]) -> bool:
    """One first name, the birth date unknown on a side, the phones plainly different."""
    return (levels.get("prenom") == EXACT and levels.get("date_naissance") in (MISSING, None)
            and levels.get("telephone") == DIFFERENT)


def neighbours(levels: Mapping[str, str]) -> bool:
    """The surname plainly different, the street line similar with another number or a
    number alone (fuzzy) in one town, no e-mail nor phone agreeing at all (exactly nor
    a typo off: a woman's own mobile or e-mail typed again under her married name at
    her new number is hers): neighbours where the records show two numbers
    (`other_number`)."""
    return (levels.get("nom") == DIFFERENT and levels.get("adresse") == FUZZY
            and _one_street(levels)
            and levels.get("courriel") not in (EXACT, CLOSE, FUZZY)
            and levels.get("telephone") not in (EXACT, CLOSE, FUZZY))


_HOUSE_DIGITS = re.compile(r"\d+")


def other_number(a: NormalisedRecord, b: NormalisedRecord) -> bool:
    """Both street lines given, each with its own house number: two homes of a street.
    One number with or without its suffix (12, 12B, 12 bis, 12 ter) is one building."""
    if not (a.adresse and b.adresse and a.numero and b.numero):
        return False
    digits_a, digits_b = _HOUSE_DIGITS.match(a.numero), _HOUSE_DIGITS.match(b.numero)
    if digits_a and digits_b:
        return digits_a.group() != digits_b.group()
    return a.numero != b.numero


def resolve(levels: Mapping[str, str], verdict: str | None, a: NormalisedRecord,
            b: NormalisedRecord, *, retyped: bool = False, exchanged: bool = False,
            pet_name: bool = False, first_names: Container[str] = frozenset(),
            ) -> tuple[str | None, bool]:
    """A pair's verdict from its levels' (`household_verdict`) and its records: first
    names plainly different but two typed letters apart are `UNSURE` and may be one
    (`_retyped_first_name`); `ALIKE` is `UNSURE` and may be one (twins, or one person
    retyped: a coordinator decides), `APART` where the phones differ and are not two
    landlines (each their own mobile); `AGED` is `APART` for birth years `GENERATION_YEARS` or more
    apart (a father and his son both Jean), a review for dates one typed digit apart,
    none under ten years (a date replaced, as before); and whether an `UNSURE` pair may
    be one person (`may_be_one`). `ALIKE` whose first names are one retyped (`retyped`:
    one a first name in use, the other none, a typed letter apart,
    `first_name_typos.one_name_retyped`) leaves the pair to the model, as an own contact
    agreeing does, unless each side gives its own mobile; so do first names plainly
    different by their level but one retyped (`_retyped_first_name`), unless each side
    gives its own e-mail or mobile. `ALIKE` whose names are the same read exchanged
    (`exchanged`: `exchanged_names.names_exchanged`, DUPONT Léa against Léa DUPONT) is
    left to the model too, unless each side gives its own mobile; so is `ALIKE` whose
    first names are a pet name and the name it stands for under one full birth date
    (`pet_name`: `hypocoristics.hypocoristic_of_one_name`, Tom / Thomas). `ALIKE` under
    one e-mail on both sides (the family's as often as the person's own) stays a review
    whatever the phones say, unless the first names are one retyped, exchanged or a pet
    name and its name, or the address names one side's first name and not the other's
    (`own_address.mail_names_one_side`). `ALIKE` under no e-mail agreeing is left to the
    model too where one fiche's address spells the other's first name and not its own,
    and its own is no first name in use (`first_names`, the model's table;
    `own_address.mail_names_the_other`)."""
    if verdict == NEIGHBOURS:  # another surname, another number of one street
        return (APART if other_number(a, b) else None), False
    if verdict == UNDATED:  # one name, no date to tell them: each their own mobile
        return _undated(levels, a, b)
    if verdict is not None and home_by_a_typed_number(levels) and not _landlines(a, b):
        return None, False  # a mobile a digit off: no home, the rule says nothing
    if _retyped_first_name(levels, verdict, a, b):
        if retyped and not _own_contacts_differ(levels, a, b):
            return None, False  # a name in use and no name: retyped, the model decides
        return UNSURE, True  # two typed letters apart: one name retyped, or twins
    if verdict == ALIKE:
        if levels.get("courriel") == EXACT:  # the family's e-mail, or the person's own
            if retyped or exchanged or pet_name or mail_names_one_side(a, b):
                return None, False
            return UNSURE, True
        if _two_mobiles(levels, a, b):
            return APART, False
        if retyped or exchanged or pet_name or mail_names_the_other(a, b, first_names):
            return None, False
        return UNSURE, True
    if verdict == AGED:
        verdict = _aged(a, b)
        if verdict == UNSURE:  # one digit typed wrong: a decade's typo as often
            return verdict, True
    return verdict, verdict == UNSURE and may_be_one(levels, a, b)


def _undated(levels: Mapping[str, str], a: NormalisedRecord,
             b: NormalisedRecord) -> tuple[str | None, bool]:
    """`UNDATED` on the records: left to the model under one e-mail that spells the first
    name (his own, `own_address.mail_names_their_name`) or two landlines; else `APART`
    where neither fiche gives the birth date (a father and his son, each his own mobile:
    a family's mailbox, famille.dupont@, outweighs nothing), `UNSURE` and may be one where
    one fiche gives it (the same man with a new mobile as often: a coordinator decides)."""
    if not _two_mobiles(levels, a, b) or (
            levels.get("courriel") == EXACT and mail_names_their_name(a, b)):
        return None, False
    if a.date_naissance is None and b.date_naissance is None:
        return APART, False
    return UNSURE, True


def _retyped_first_name(levels: Mapping[str, str], verdict: str | None,
                        a: NormalisedRecord, b: NormalisedRecord) -> bool:
    """First names plainly different by their level but `TYPED_APART` typed letters apart
    or fewer, each of `RETYPED_MIN_LENGTH` letters or more (Aidan / Aidjm, Alice / Aljse),
    where the birth dates do not differ plainly: one name typed twice, or twins and
    siblings with rhyming names (Timéo / Théo, Maya / Mila, Lucas / Lucie, Julie / Lucie,
    common in the file or not). Such a pair is `UNSURE` and may be one person: a
    coordinator decides, the rule never links it. A contact of the person's own that
    agrees as well (one mobile, one e-mail) leaves the pair to the model
    (`household_verdict`); birth dates plainly different leave the verdict as it is
    (measured: half of those pairs are two people)."""
    if verdict not in (APART, UNSURE) or levels.get("prenom") != DIFFERENT or levels.get(
            "date_naissance") == DIFFERENT or levels.get("telephone") == EXACT:
        return False
    return _letters_apart(a, b) <= TYPED_APART


def _letters_apart(a: NormalisedRecord, b: NormalisedRecord) -> int:
    """How many typed letters (OSA) two first names of `RETYPED_MIN_LENGTH` letters or
    more are apart, neither the other's feminine form nor sharing a compound's part; a
    number past any threshold (`TYPED_APART` + 99) otherwise."""
    x, y = a.prenom or "", b.prenom or ""
    if (min(len(x), len(y)) < RETYPED_MIN_LENGTH or feminine_form(x, y)
            or set(a.prenom_tokens) & set(b.prenom_tokens)):
        return TYPED_APART + 99
    return OSA.distance(x, y)


def needs_records(levels: Mapping[str, str], verdict: str | None) -> bool:
    """Whether the verdict of the levels (`household_verdict`) may change on the pair's
    records (`resolve`): `ALIKE`, `AGED`, `UNSURE`, a home by a number typed a digit off,
    or first names different under birth dates that are not (`_retyped_first_name`)."""
    return verdict in (ALIKE, AGED, UNSURE, NEIGHBOURS, UNDATED) or (verdict is not None and (
        home_by_a_typed_number(levels) or (levels.get("prenom") == DIFFERENT
                                           and levels.get("date_naissance") != DIFFERENT)))


def _aged(a: NormalisedRecord, b: NormalisedRecord) -> str | None:
    """Birth years `GENERATION_YEARS` or more apart: two people (`APART`), or `UNSURE`
    where the dates are one typed digit apart (1958 / 1988: a father and his son as
    often as a typo, a coordinator decides); none under that (a date replaced)."""
    x, y = a.date_naissance, b.date_naissance
    if x is None or y is None or abs(x.year - y.year) < GENERATION_YEARS:
        return None
    typed = OSA.distance(x.strftime("%Y%m%d"), y.strftime("%Y%m%d"))
    return UNSURE if typed <= 1 else APART


def _own_contacts_differ(levels: Mapping[str, str], a: NormalisedRecord,
                         b: NormalisedRecord) -> bool:
    """Each side its own e-mail or mobile, and the two plainly different."""
    return levels.get("courriel") == DIFFERENT or _two_mobiles(levels, a, b)


def _two_mobiles(levels: Mapping[str, str], a: NormalisedRecord, b: NormalisedRecord) -> bool:
    """Two phones plainly different, not two landlines (a household's lines): each
    their own mobile, two people."""
    return levels.get("telephone") == DIFFERENT and not _landlines(a, b)


def may_be_one(levels: Mapping[str, str], a: NormalisedRecord, b: NormalisedRecord) -> bool:
    """Of a pair the rule leaves `UNSURE`, whether it may be one person all the same (a
    coordinator decides) rather than two: one mobile on both sides, or first names still
    alike (`first_names_alike`)."""
    return levels.get("telephone") == EXACT or first_names_alike(a, b)


def first_names_alike(a: NormalisedRecord, b: NormalisedRecord) -> bool:
    """Whether two first names may be one retyped: Jaro-Winkler `ALIKE_FIRST_NAMES` or
    more (not a feminine form: Louis / Louise are twins), a compound's part shared
    (Anne-Sophie / Sophie), or one near the other's surname (names exchanged, a typo).
    False without a first name on a side."""
    x, y = a.prenom or "", b.prenom or ""
    if not (x and y) or feminine_form(x, y):
        return False
    return (JaroWinkler.similarity(x, y) >= ALIKE_FIRST_NAMES
            or bool(set(a.prenom_tokens) & set(b.prenom_tokens))
            or _near(x, b.nom) or _near(y, a.nom))


def _near(first_name: str, surname: str | None) -> bool:
    return bool(surname) and JaroWinkler.similarity(first_name, surname or "") >= NEAR_SURNAME


def nothing_personal(levels: Mapping[str, str]) -> bool:
    """Neither the first name nor the birth date compared (each missing on a side): the
    surname and the home left agreeing are what two of a household share (a sister
    without a first name, her brother without a birth date)."""
    return all(levels.get(field, MISSING) == MISSING for field in ("prenom", "date_naissance"))


def household_share(patterns: Mapping[tuple[str, ...], int],
                    fields: Sequence[str]) -> tuple[int, int]:
    """Among candidate pairs whose surname and street line agree (exact or close) in one
    town, the siblings: two of one household (`household_verdict`) whose first names and
    birth dates both differ plainly, which a file without households hardly holds (a
    duplicate with both replaced). (siblings, pairs of one home)."""
    home = siblings = 0
    for pattern, count in patterns.items():
        levels = dict(zip(fields, pattern, strict=True))
        if (levels.get("nom") in (EXACT, CLOSE) and levels.get("adresse") in (EXACT, CLOSE)
                and levels.get("lieu") in (EXACT, CLOSE, MISSING, None)):
            home += count
            if (household_verdict(levels) == APART and levels.get("prenom") == DIFFERENT
                    and levels.get("date_naissance") == DIFFERENT):
                siblings += count
    return siblings, home


def share_of(counts: tuple[int, int]) -> float:
    """The siblings' share of `household_share`'s counts (0 without a pair of one home);
    under `MIN_HOME_PAIRS` pairs it says nothing (`model.households_seen`)."""
    siblings, home = counts
    return siblings / home if home else 0.0
