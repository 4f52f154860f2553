"""One small class per field; each says how well two records agree on it.

Levels, best first: exact, close, fuzzy, different; missing when either side
has no value, or (the place) no part of it on both sides (it then weighs nothing). The
birth date has two more: swapped, the day and the month exchanged, and day_off, the day a
digit off (`BirthDateComparison`).
`compare_records` also tries the pair with first and last names exchanged on one side
(both names agreeing so, or one of them: `_one_name_exchanged`; or a side's lone name:
`_lone_name_exchanged`).

Example:
    >>> from hub.domain.matching.record import normalise_record
    >>> a = normalise_record({"id": "1", "date_naissance": "1980-05-12"})
    >>> b = normalise_record({"id": "2", "date_naissance": "12/05/1980"})
    >>> BirthDateComparison().level(a, b)
    'exact'
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import ClassVar

import phonenumbers
from rapidfuzz.distance import OSA, JaroWinkler
from rapidfuzz.fuzz import ratio, token_set_ratio

from hub.domain.matching.first_names import feminine_compound, feminine_form
from hub.domain.matching.record import NormalisedRecord
from hub.domain.matching.scripts import across_scripts
from hub.domain.matching.settings import ComparisonSettings

EXACT, CLOSE, FUZZY, DIFFERENT, MISSING = "exact", "close", "fuzzy", "different", "missing"
# The birth date's day and month exchanged (12/03 against 03/12): a level of its own, with
# its own m and u (`BirthDateComparison`).
SWAPPED = "swapped"
# The birth date's year and month the same, its day a digit off (typed wrong, or its two
# digits exchanged): a level of its own, apart from the other close dates.
DAY_OFF = "day_off"
AGREEING = frozenset({EXACT, SWAPPED, DAY_OFF, CLOSE})
_CUTOFF_MARGIN = 1e-6


class Comparison:
    """Base: a field name, its levels and one method giving the level of a pair."""

    field: ClassVar[str]
    levels: ClassVar[tuple[str, ...]] = (EXACT, CLOSE, FUZZY, DIFFERENT)
    # The record's fields `present` and `compare` read, and nothing else: two records
    # alike on them have the same level against any record.
    reads: ClassVar[tuple[str, ...]]
    # A level newer than some model files: it weighs there as the level the comparison
    # gave such pairs before it existed (`MatchModel.from_json`).
    formerly: ClassVar[tuple[tuple[str, str], ...]] = ()
    # Levels that never weigh for a match (their weight is at most 0, as "different").
    never_for: ClassVar[tuple[str, ...]] = (DIFFERENT,)
    # Whether the levels are best first (exact, close, fuzzy): a worse level never weighs
    # more than a better one (`model._never_above_the_better`). Not the phone's fuzzy, the
    # household's landline, weighed on its own.
    ordered: ClassVar[bool] = True

    def __init__(self, settings: ComparisonSettings | None = None) -> None:
        self.settings = settings or ComparisonSettings()

    def level(self, a: NormalisedRecord, b: NormalisedRecord) -> str:
        """The level of the pair; missing when a side has no value to compare (or, for
        a field of parts, no part on both sides: `PlaceComparison`)."""
        if not (self.present(a) and self.present(b)):
            return MISSING
        return self.compare(a, b)

    def present(self, r: NormalisedRecord) -> bool:
        """Whether the record has a value this comparison can use."""
        raise NotImplementedError

    def best_exchanged(self, a: NormalisedRecord, b: NormalisedRecord, level: str) -> str:
        """The best level the pair may have once its names are read exchanged
        (`compare_records` then compares every field again): the level as written, for
        a field whose level does not depend on the names."""
        return level

    def compare(self, a: NormalisedRecord, b: NormalisedRecord) -> str:
        """The level of a pair whose two sides both have a value."""
        raise NotImplementedError

    def tf_value(self, a: NormalisedRecord, b: NormalisedRecord) -> str | None:
        """The value whose frequency tempers an exact agreement (term frequency)."""
        return None

    def _by_similarity(self, score: float) -> str:
        if score >= self.settings.close_similarity:
            return CLOSE
        return FUZZY if score >= self.settings.fuzzy_similarity else DIFFERENT

    def _by_spelling(self, x: str, y: str) -> str:
        """Close for one typed letter, dropped, doubled or two exchanged (Damerau), or a
        high Jaro-Winkler; fuzzy for a lower Jaro-Winkler."""
        if min(len(x), len(y)) >= 4 and OSA.distance(x, y, score_cutoff=1) <= 1:
            return CLOSE
        # Below the lower threshold the similarity reads 0: different, as it would anyway.
        # The cutoff sits a hair below it: rapidfuzz reads a similarity equal to its
        # cutoff, or a rounding step above it (0.8500000000000001 at 0.85), as below it.
        lowest = min(self.settings.close_similarity, self.settings.fuzzy_similarity)
        cutoff = max(0.0, lowest - _CUTOFF_MARGIN)
        return self._by_similarity(JaroWinkler.similarity(x, y, score_cutoff=cutoff))


class SurnameComparison(Comparison):
    """Usage names; birth names count too (a married name against a maiden name is close)."""

    field = "nom"
    reads = ("nom", "nom_full", "nom_naissance", "nom_tokens", "nom_naissance_tokens",
             "phon_nom", "nom_script", "nom_naissance_script")

    def present(self, r: NormalisedRecord) -> bool:
        return bool(r.surname_values())

    def compare(self, a: NormalisedRecord, b: NormalisedRecord) -> str:
        if (a.nom and a.nom == b.nom) or (a.nom_full and a.nom_full == b.nom_full):
            return EXACT
        names_a, names_b = a.surname_values(), b.surname_values()
        if len(names_a) == 1 == len(names_b):  # most pairs: one name a side
            if names_a[0] == names_b[0] or _shares_a_compound_part(a, b):
                return CLOSE
            level = self._surnames(names_a[0], a.surname_scripts()[0], names_b[0],
                                   b.surname_scripts()[0])
        elif set(names_a) & set(names_b) or _shares_a_compound_part(a, b):
            return CLOSE
        else:
            levels = [self._surnames(x, sx, y, sy)
                      for x, sx in zip(names_a, a.surname_scripts(), strict=True)
                      for y, sy in zip(names_b, b.surname_scripts(), strict=True)]
            level = min(levels, key=_RANK.__getitem__)
        if level == DIFFERENT and a.phon_nom and a.phon_nom == b.phon_nom:
            return FUZZY
        return level

    def tf_value(self, a: NormalisedRecord, b: NormalisedRecord) -> str | None:
        return a.nom

    def _surnames(self, x: str, script_x: str, y: str, script_y: str) -> str:
        return across_scripts(x, script_x, y, script_y, self._by_spelling) or (
            self._by_spelling(x, y))


def _shares_a_compound_part(a: NormalisedRecord, b: NormalisedRecord) -> bool:
    """DUPONT against DUPONT-MARTIN: one name is a part of the other, compound one."""
    for x in (a.nom_tokens, a.nom_naissance_tokens):
        for y in (b.nom_tokens, b.nom_naissance_tokens):
            if x and y and (len(x) > 1 or len(y) > 1) and (set(x) <= set(y) or set(y) <= set(x)):
                return True
    return False


class FirstNameComparison(Comparison):
    """Compound first names, initials (J.-M.) and nicknames (Manu) are close. Initials
    are close only to the whole name they abbreviate (J.-L. / Jean-Luc), never to a name
    they only begin (Jean, Jeanne): a brother's initials would let his sister's name agree."""

    field = "prenom"
    reads = ("prenom", "prenom_canonical", "prenom_initials", "prenom_tokens", "phon_prenom",
             "prenom_script")

    def present(self, r: NormalisedRecord) -> bool:
        return bool(r.prenom)

    def compare(self, a: NormalisedRecord, b: NormalisedRecord) -> str:
        if a.prenom == b.prenom:
            return EXACT
        scripts = across_scripts(a.prenom or "", a.prenom_script, b.prenom or "",
                                 b.prenom_script, self._by_spelling)
        if scripts:  # one name typed in another script than the other
            return scripts
        if a.prenom_canonical == b.prenom_canonical or _initials_agree(a, b):
            return CLOSE
        if feminine_form(a.prenom or "", b.prenom or "") or feminine_compound(
                a.prenom_tokens, b.prenom_tokens):
            return DIFFERENT
        level = _one_typo_close(a.prenom or "", b.prenom or "",
                                self._by_spelling(a.prenom or "", b.prenom or ""))
        if level == DIFFERENT and (
            _first_parts_agree(a.prenom_tokens, b.prenom_tokens)
            or a.phon_prenom == b.phon_prenom
        ):
            return FUZZY
        return level

    def tf_value(self, a: NormalisedRecord, b: NormalisedRecord) -> str | None:
        return a.prenom


def _one_typo_close(x: str, y: str, level: str) -> str:
    """Close first names (Jaro-Winkler) two typed letters apart or more are two names
    (Marie / Maurice, Adèle / Adélaïde, Jean-Julien / Jean-Jules: a mother and her son,
    sisters): fuzzy. Unless one only lengthens the other (Isabel / Isabelle)."""
    if level != CLOSE or x.startswith(y) or y.startswith(x) or OSA.distance(x, y) <= 1:
        return level
    return FUZZY


def _initials_agree(a: NormalisedRecord, b: NormalisedRecord) -> bool:
    """J.-M. (or JM) against Jean-Marc; a lone initial against a single first name."""
    # Initials alone: the compact name is its own initials (J.-M. -> "JM", "J" -> "J").
    a_short, b_short = a.prenom == a.prenom_initials, b.prenom == b.prenom_initials
    return a_short != b_short and a.prenom_initials == b.prenom_initials


def _first_parts_agree(x: tuple[str, ...], y: tuple[str, ...]) -> bool:
    """The first part of a compound first name the same, or typed with one letter wrong
    or two exchanged (Mmrie against Marie-Nath). Never a letter added, dropped or
    changed at the end: Louis / Louise, Jean / Jeanne, Mario / Marie are other names."""
    first, second = x[0], y[0]
    if first == second:
        return True
    if max(len(x), len(y)) < 2 or len(first) != len(second) or len(first) < 4:
        return False
    return first[-1] == second[-1] and OSA.distance(first, second) == 1


class BirthDateComparison(Comparison):
    """Exact; swapped = the day and the month exchanged, the same digits (12/03 against
    03/12: a form read the other way round); day_off = the year and the month the same,
    the day one digit typed wrong or its two digits exchanged (12 / 13, 12 / 21); close =
    one typed digit or two digits exchanged elsewhere that keep the dates near in time
    (the month, a year at most one apart); fuzzy = two parts of three, two typed
    digits, or a year's last digit typed wrong (two to nine years apart). Years ten or
    more apart are different, whatever the digits: a decade's digit (1958 / 1988) is a
    father and his son as often as a typo, and the first name, the surname and the
    address they share say nothing against it. A date made impossible by a digit typed
    wrong (a day of 61, a letter for a digit: `NormalisedRecord.date_digits`) is
    compared by its digits the same way, close at best (its day and month swapped, its
    day a digit off too): the same digits read from it are not a date typed the same."""

    field = "date_naissance"
    reads = ("date_naissance", "date_digits")
    # Swapped and day_off apart from close, each with its own m and u: a retyped date
    # loses a day's digit more often than a namesake's date sits there, and a namesake
    # has the other's day and month exchanged no more often than the same date (the
    # identity rule takes a swap, not a digit off: `decision.same_identity`). A model
    # file of before weighs both as close, the level such pairs had.
    levels = (EXACT, SWAPPED, DAY_OFF, CLOSE, FUZZY, DIFFERENT)
    formerly = ((SWAPPED, CLOSE), (DAY_OFF, CLOSE))

    def present(self, r: NormalisedRecord) -> bool:
        return r.date_naissance is not None or r.date_digits is not None

    def compare(self, a: NormalisedRecord, b: NormalisedRecord) -> str:
        x, y = a.date_naissance, b.date_naissance
        if x is None or y is None:  # a side typed impossible (see `present`)
            return _by_digits(a.date_digits or _digits(x), b.date_digits or _digits(y))
        if x == y:
            return EXACT
        apart = abs(x.year - y.year)
        if apart >= GENERATION_YEARS:
            return DIFFERENT
        if (x.year, x.month, x.day) == (y.year, y.day, y.month):  # day and month swapped
            return SWAPPED
        typed = OSA.distance(_digits(x), _digits(y))
        if typed <= 1 and (x.year, x.month) == (y.year, y.month):
            return DAY_OFF
        if typed <= 1:
            return CLOSE if apart <= NEAR_YEARS else FUZZY
        same_parts = (x.year == y.year) + (x.month == y.month) + (x.day == y.day)
        return FUZZY if same_parts >= 2 or typed <= 2 else DIFFERENT


# Birth years this far apart are two people, never one date typed wrong; a digit typed
# wrong is close only within NEAR_YEARS (`BirthDateComparison`).
GENERATION_YEARS = 10
NEAR_YEARS = 1


def _by_digits(x: str, y: str) -> str:
    """Two dates' digits (yyyymmdd), one of them typed impossible: close for the same
    digits, day and month swapped, one digit typed wrong or two exchanged, the years at
    most one apart; fuzzy for two parts of three, two digits, or years two to nine
    apart; different otherwise, and for years ten or more apart. Only a date a typed
    digit made impossible has digits (`normalise.birth_date_digits`): a placeholder
    (99/99/9999, 9999-12-31, 1850-01-01) or a year no typo makes has none, and is missing."""
    apart = _years_apart(x[:4], y[:4])
    if apart >= GENERATION_YEARS:
        return DIFFERENT
    typed = OSA.distance(x, y)
    if typed <= 1 or x == y[:4] + y[6:] + y[4:6]:
        return CLOSE if apart <= NEAR_YEARS else FUZZY
    same_parts = (x[:4] == y[:4]) + (x[4:6] == y[4:6]) + (x[6:] == y[6:])
    return FUZZY if same_parts >= 2 or typed <= 2 else DIFFERENT


def _years_apart(x: str, y: str) -> int:
    """How many years apart two dates' year digits are; 0 where either is no number
    (a letter typed for a digit: the digits alone are compared)."""
    if not (x.isascii() and x.isdigit() and y.isascii() and y.isdigit()):
        return 0
    return abs(int(x) - int(y))


class EmailComparison(Comparison):
    """Exact; close = one typed character or the same user at another domain, or the
    same address under two first names that cannot be one written otherwise
    (`_household_email`): a family address (twins, a couple) agrees as a contact, it is
    not the person's own identifier, and the first-name veto yields only to an e-mail
    agreeing exactly (`decision._veto_yields`)."""

    field = "courriel"
    # The first names and surnames too: one address under two first names is a family's.
    reads = ("courriel", *FirstNameComparison.reads, "nom", "nom_naissance")
    levels = (EXACT, CLOSE, FUZZY, DIFFERENT)
    formerly = ((FUZZY, DIFFERENT),)
    never_for = (FUZZY, DIFFERENT)
    # Whether two first names differ, as the model's own first-name comparison says
    # (`build_comparisons` gives it; its default settings otherwise).
    first_names: FirstNameComparison | None = None

    def present(self, r: NormalisedRecord) -> bool:
        return bool(r.courriel)

    def compare(self, a: NormalisedRecord, b: NormalisedRecord) -> str:
        first, second = a.courriel or "", b.courriel or ""  # both present (see `level`)
        if first == second:
            return CLOSE if _household_email(a, b, self.first_names or _FIRST_NAMES) else EXACT
        user, other_user = first.split("@")[0], second.split("@")[0]
        if user == other_user:
            return CLOSE
        if _numbered_namesake(user, other_user):
            return FUZZY
        return CLOSE if OSA.distance(first, second) <= 1 else DIFFERENT

    def best_exchanged(self, a: NormalisedRecord, b: NormalisedRecord, level: str) -> str:
        """A family's address as written may be the person's own once the names are
        read exchanged (Dupond Jaen against Jean Dupont: the same first name)."""
        return EXACT if level == CLOSE and a.courriel == b.courriel else level


_FIRST_NAMES = FirstNameComparison()


def _numbered_namesake(x: str, y: str) -> bool:
    """One user name numbered, the other the same name without a number (jean.dupont5@
    / jean.dupont@): a provider numbers a name already taken, so the two are often two
    mailboxes, a namesake's (a son's, a stranger's), and sometimes one whose number was
    left out. Not agreeing (fuzzy: no evidence for one person), not different either:
    it never says "another person" alone (the rules that read a contact differing).
    `x` and `y`: the two addresses' user names (before the @)."""
    bare_x, bare_y = x.rstrip("0123456789"), y.rstrip("0123456789")
    return bare_x == bare_y and (bare_x == x) != (bare_y == y)


def _household_email(a: NormalisedRecord, b: NormalisedRecord,
                     first_names: FirstNameComparison) -> bool:
    """One e-mail under two first names plainly different that cannot be one person's:
    other first two letters (a nickname or a typo past them keep them: Juju / Julien,
    Alsx / Alexandre; Anne / Arnaude, Agathe / Alexandre are twins' names), or a
    feminine form (Louis / Louise); not two first letters exchanged (uGy / Guy), an
    abbreviated name of the same initial (J.T. / Jean, M.C. / Marie), nor a first name
    written as the other's surname (names exchanged)."""
    x, y = a.prenom, b.prenom
    if not (x and y) or first_names.compare(a, b) != DIFFERENT:
        return False
    if feminine_form(x, y) or feminine_compound(a.prenom_tokens, b.prenom_tokens):
        return True
    alike = (x[:2] == y[:2] or sorted(x[:2]) == sorted(y[:2])
             or (x[0] == y[0] and (_abbreviated(a) or _abbreviated(b))))
    return not alike and x not in b.surname_values() and y not in a.surname_values()


def _abbreviated(record: NormalisedRecord) -> bool:
    """A first name with a part of two letters or fewer (J.T., MO.C., Jean-P.)."""
    return any(len(part) <= 2 for part in record.prenom_tokens)


class PhoneComparison(Comparison):
    """Exact E.164; close = one digit typed wrong or two digits exchanged; fuzzy = one
    landline, the household's (its members share it: weighed apart, never a contact
    agreeing). A mobile and a landline (French numbers) are not compared (missing): one
    person gives one member the household's landline and another their mobile, so the
    two numbers differing says nothing of one person or two; two mobiles, or two
    landlines, differing do."""

    field = "telephone"
    reads = ("telephone",)
    levels = (EXACT, CLOSE, FUZZY, DIFFERENT)
    formerly = ((FUZZY, EXACT),)
    ordered = False

    def present(self, r: NormalisedRecord) -> bool:
        return bool(r.telephone)

    def compare(self, a: NormalisedRecord, b: NormalisedRecord) -> str:
        first, second = a.telephone or "", b.telephone or ""  # both present (see `level`)
        if first == second:
            # A landline rings for the whole household: the model weighs it on its own
            # (fuzzy), and it is not a contact of the person's own (`AGREEING`).
            return FUZZY if _line_kind(first)[1] == "fixe" else EXACT
        if OSA.distance(first, second) <= 1:
            return CLOSE
        (place, kind), (other_place, other_kind) = _line_kind(first), _line_kind(second)
        if {kind, other_kind} == {"mobile", "fixe"} or (
                kind == other_kind == "fixe" and place != other_place):
            return MISSING
        return DIFFERENT


def line_kind(number: str) -> tuple[str, str | None]:
    """`_line_kind`, for the household rule (`household`): a landline is a home."""
    return _line_kind(number)


def _line_kind(number: str) -> tuple[str, str | None]:
    """Where a number of the French numbering plan rings (its country code: +33 for
    metropolitan France, +262 Réunion and Mayotte, +590, +594, +596 the Antilles and
    Guyane) and its kind: mobile, or fixe (a household's line, its box's 09 too); kind
    None for any other number. Two landlines of two territories are two homes of one
    person who moved as well as two people: not compared either. A metropolitan
    number's kind is read off its digits (no memo: nothing of it is kept); an overseas
    one's is the phone library's parse, memoised (`_overseas_kind`)."""
    if number.startswith("+33") and len(number) == 12:
        return "+33", {"6": "mobile", "7": "mobile", "8": None}.get(number[3], "fixe")
    if number.startswith(_OVERSEAS_CODES):
        return number[:4], _overseas_kind(number)
    return number[:4], None


_OVERSEAS_CODES = ("+262", "+590", "+594", "+596")


@functools.lru_cache(maxsize=1 << 14)
def _overseas_kind(number: str) -> str | None:
    """The kind the phone library gives an overseas number (it knows their plans).
    Memoised per process (a personal cache, emptied by an erasure: `caches`): two
    numbers differing are the common pair (an online match compares a new record's
    number with some twenty candidates'), and the parse is ~0.1 ms a number."""
    kind = phonenumbers.number_type(phonenumbers.parse(number))
    if kind == phonenumbers.PhoneNumberType.MOBILE:
        return "mobile"
    fixed = (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.VOIP)
    return "fixe" if kind in fixed else None


class AddressComparison(Comparison):
    """The street line: number and street words. Missing when a side has no line (the
    postcode and commune are compared by `PlaceComparison`, on their own).

    Exact = same street, same number; close = the street spelt a little differently
    (token similarity) with no other number, or the same number on a street with a
    typo; fuzzy = a similar street with another number, or the same number alone on
    both lines; missing (not comparable) = the same number alone against a line with
    its street; different otherwise.
    """

    field = "adresse"
    reads = ("adresse", "numero")

    def present(self, r: NormalisedRecord) -> bool:
        return bool(r.adresse or r.numero)

    def compare(self, a: NormalisedRecord, b: NormalisedRecord) -> str:
        other_number = bool(a.numero and b.numero and a.numero != b.numero)
        if not (a.adresse and b.adresse):  # a number alone on a side (see `present`)
            return _by_number_alone(a, b, other_number)
        if a.adresse == b.adresse and not other_number:
            return EXACT
        similarity = _street_similarity(a.adresse or "", b.adresse or "")  # both present
        same_number = bool(a.numero and a.numero == b.numero)
        if not other_number and (similarity >= self.settings.close_similarity or (
                same_number and similarity >= self.settings.fuzzy_similarity)):
            return CLOSE
        return FUZZY if similarity >= self.settings.close_similarity else DIFFERENT


def _by_number_alone(a: NormalisedRecord, b: NormalisedRecord, other_number: bool) -> str:
    """A line that is a house number alone ("23", the street left out): the same number
    alone on both sides is fuzzy (the model weighs it: evidence where it weighs enough,
    `agrees`); against a line with its street, not compared (missing: the number alone
    is one in thirty, not a similar street's evidence); another number, or a street
    given without one, is different."""
    if not other_number and a.numero and a.numero == b.numero:
        return FUZZY if a.adresse == b.adresse else MISSING
    return DIFFERENT


def _street_similarity(x: str, y: str) -> float:
    """Token similarity (words reordered or dropped), or letters alone (words glued)."""
    glued = ratio(x.replace(" ", ""), y.replace(" ", ""))
    return max(token_set_ratio(x, y), glued) / 100


class PlaceComparison(Comparison):
    """Postcode and commune: exact = same postcode; close = same commune, another or
    no postcode on one side (a typo, a CEDEX); missing where no part is given on both
    sides (a commune alone against a postcode alone: nothing to compare, not another
    place); different otherwise."""

    field = "lieu"
    reads = ("code_postal", "commune")
    levels = (EXACT, CLOSE, DIFFERENT)

    def present(self, r: NormalisedRecord) -> bool:
        return bool(r.code_postal or r.commune)

    def compare(self, a: NormalisedRecord, b: NormalisedRecord) -> str:
        if a.code_postal and a.code_postal == b.code_postal:
            return EXACT
        if a.commune and a.commune == b.commune:
            return CLOSE
        if not ((a.code_postal and b.code_postal) or (a.commune and b.commune)):
            return MISSING
        return DIFFERENT


@functools.lru_cache(maxsize=1 << 16)
def _digits(date: dt.date | None) -> str:
    """20120512: a birth date's digits (dates repeat across people: memoised); "" for none
    (never asked: a side without a date has its digits, `BirthDateComparison.present`)."""
    return date.strftime("%Y%m%d") if date else ""


_RANK = {EXACT: 0, SWAPPED: 1, DAY_OFF: 1, CLOSE: 1, FUZZY: 2, DIFFERENT: 3, MISSING: 4}


COMPARISON_CLASSES: dict[str, type[Comparison]] = {
    c.field: c
    for c in (SurnameComparison, FirstNameComparison, BirthDateComparison,
              EmailComparison, PhoneComparison, AddressComparison, PlaceComparison)
}


def build_comparisons(settings: dict[str, ComparisonSettings]) -> list[Comparison]:
    """The comparisons named in the settings, in the settings' order; the e-mail's
    judges first names with the model's own first-name comparison."""
    built = [COMPARISON_CLASSES[name](field_settings) for name, field_settings in settings.items()]
    first_names = next((c for c in built if isinstance(c, FirstNameComparison)), None)
    for comparison in built:
        if isinstance(comparison, EmailComparison):
            comparison.first_names = first_names
    return built


def compare_records(
    comparisons: list[Comparison], a: NormalisedRecord, b: NormalisedRecord,
    levels: tuple[str, ...] | None = None,
) -> tuple[tuple[str, ...], NormalisedRecord]:
    """Levels per comparison, and the reading of b used (names exchanged if that fits
    better). `levels`: the pair's levels as written, when the caller has them already.

    Names exchanged are tried on each side in turn (MARIE-FRANCOISE ROUSSEAU read as
    Rousseau Marie-Françoise meets Rousseau M.F.; read the other way round it would
    not), and the best levels win, so compare(a, b) and compare(b, a) give the same
    levels. Names agreeing only once exchanged are close at best: no name-frequency
    weight, which would depend on the side whose names were taken as written."""
    if levels is None:
        levels = tuple([c.level(a, b) for c in comparisons])
    names = [c for c, level in zip(comparisons, levels, strict=True)
             if c.field in _NAMES and level == DIFFERENT]
    if len(names) == 1 and sum(c.field in _NAMES and level == MISSING
                               for c, level in zip(comparisons, levels, strict=True)) == 1:
        return _lone_name_exchanged(comparisons, levels, names[0], a, b), b
    if len(names) < 2:
        return levels, b
    best: tuple[tuple[int, tuple[int, ...]], tuple[str, ...], NormalisedRecord] | None = None
    readings = [(a, _swapped(b))] if _exchangeable(b) else []
    readings += [(_swapped(a), b)] if _exchangeable(a) else []
    for x, y in readings:
        if feminine_form(x.prenom or "", y.prenom or "") or feminine_form(
                x.nom or "", y.nom or ""):
            continue  # Louis Martin exchanged against Louise Martin: twins, whatever the slot
        # The names decide whether the exchange fits; only then are the other fields redone.
        exchanged = [c.level(x, y) for c in names]
        agreeing = sum(level in AGREEING for level in exchanged)
        if agreeing == len(names):
            found = tuple([CLOSE if c in names and level == EXACT else level
                           for c in comparisons for level in (c.level(x, y),)])
            reading = found, y
        elif agreeing == 1:
            reading = _one_name_exchanged(comparisons, levels, names, exchanged), b
        else:
            continue
        ranks = tuple(_RANK[level] for c, level in zip(comparisons, reading[0], strict=True)
                      if c in names)
        if best is None or (sum(ranks), ranks) < best[0]:
            best = ((sum(ranks), ranks), *reading)
    return (levels, b) if best is None else (best[1], best[2])


def _lone_name_exchanged(comparisons: list[Comparison], levels: tuple[str, ...],
                         name: Comparison, a: NormalisedRecord,
                         b: NormalisedRecord) -> tuple[str, ...]:
    """One side has one name only (ADRIEN, no surname), the other both, exchanged (Adrien
    | Leroy): the lone name agreeing with the other's names exchanged is fuzzy, not
    different (not a feminine form: Louis against Louise | Martin). Fuzzy, not close: the
    lone name may as well be a surname typed as a first name (MARTIN alone against Martin |
    Bertrand, another of the household), so it lifts the first name's veto but is no
    agreeing evidence for a link. Only the side with both names can be exchanged, so the
    same levels whichever side comes first."""
    full, lone = (b, a) if _exchangeable(b) else (a, b)
    if not _exchangeable(full):
        return levels
    exchanged = _swapped(full)
    if feminine_form(lone.prenom or "", exchanged.prenom or "") or feminine_form(
            lone.nom or "", exchanged.nom or ""):
        return levels
    found = name.level(lone, exchanged)
    if found not in AGREEING:
        return levels
    return tuple(FUZZY if c is name else level
                 for c, level in zip(comparisons, levels, strict=True))


def _exchangeable(record: NormalisedRecord) -> bool:
    return bool(record.prenom and (record.nom or record.nom_naissance))


def _one_name_exchanged(comparisons: list[Comparison], levels: tuple[str, ...],
                        names: list[Comparison], exchanged: list[str]) -> tuple[str, ...]:
    """Names exchanged and one of them replaced or mistyped beyond recognition (Capurso
    Harrison / Ruby Capurso): the name found on the other side counts as the surname,
    close at best (no name-frequency weight), the other as the first name, at its own
    level. Whichever side is read first, the same levels; the first name stays
    different, so where its veto holds (households) the pair never links on it."""
    found = next(level for level in exchanged if level in AGREEING)
    other = next(level for level in exchanged if level not in AGREEING)
    by_field = {"nom": CLOSE if found == EXACT else found, "prenom": other}
    return tuple(by_field.get(c.field, level) if c in names else level
                 for c, level in zip(comparisons, levels, strict=True))


_NAMES = frozenset({"nom", "prenom"})


@functools.lru_cache(maxsize=1 << 12)
def _swapped(record: NormalisedRecord) -> NormalisedRecord:
    return record.with_names_swapped()
