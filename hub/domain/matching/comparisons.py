"""One small class per field; each says how well two records agree on it.

Levels, best first: exact, close, fuzzy, different; missing when either side
has no value (it then weighs nothing). `compare_records` also tries the pair
with first and last names exchanged on one side.

Example:
    >>> from hub.domain.matching.record import normalise_record
    >>> a = normalise_record({"id": "1", "date_naissance": "1980-05-12"})
    >>> b = normalise_record({"id": "2", "date_naissance": "12/05/1980"})
    >>> BirthDateComparison().level(a, b)
    'exact'
"""

from __future__ import annotations

import functools
from typing import ClassVar

from rapidfuzz.distance import OSA, JaroWinkler, Levenshtein
from rapidfuzz.fuzz import token_sort_ratio

from hub.domain.matching.record import NormalisedRecord
from hub.domain.matching.settings import ComparisonSettings

EXACT, CLOSE, FUZZY, DIFFERENT, MISSING = "exact", "close", "fuzzy", "different", "missing"
AGREEING = frozenset({EXACT, CLOSE})


class Comparison:
    """Base: a field name, its levels and one method giving the level of a pair."""

    field: ClassVar[str]
    levels: ClassVar[tuple[str, ...]] = (EXACT, CLOSE, FUZZY, DIFFERENT)

    def __init__(self, settings: ComparisonSettings | None = None) -> None:
        self.settings = settings or ComparisonSettings()

    def level(self, a: NormalisedRecord, b: NormalisedRecord) -> str:
        raise NotImplementedError

    def tf_value(self, a: NormalisedRecord, b: NormalisedRecord) -> str | None:
        """The value whose frequency tempers an exact agreement (term frequency)."""
        return None

    def _by_similarity(self, score: float) -> str:
        if score >= self.settings.close_similarity:
            return CLOSE
        return FUZZY if score >= self.settings.fuzzy_similarity else DIFFERENT


class SurnameComparison(Comparison):
    """Usage names; birth names count too (a married name against a maiden name is close)."""

    field = "nom"

    def level(self, a: NormalisedRecord, b: NormalisedRecord) -> str:
        names_a, names_b = a.surname_values(), b.surname_values()
        if not names_a or not names_b:
            return MISSING
        if (a.nom and a.nom == b.nom) or (a.nom_full and a.nom_full == b.nom_full):
            return EXACT
        if set(names_a) & set(names_b) or _shares_a_compound_part(a, b):
            return CLOSE
        best = max(JaroWinkler.similarity(x, y) for x in names_a for y in names_b)
        level = self._by_similarity(best)
        if level == DIFFERENT and a.phon_nom and a.phon_nom == b.phon_nom:
            return FUZZY
        return level

    def tf_value(self, a: NormalisedRecord, b: NormalisedRecord) -> str | None:
        return a.nom


def _shares_a_compound_part(a: NormalisedRecord, b: NormalisedRecord) -> bool:
    """DUPONT against DUPONT-MARTIN: one name is a part of the other, compound one."""
    for x in (a.nom_tokens, a.nom_naissance_tokens):
        for y in (b.nom_tokens, b.nom_naissance_tokens):
            if x and y and (len(x) > 1 or len(y) > 1) and (set(x) <= set(y) or set(y) <= set(x)):
                return True
    return False


class FirstNameComparison(Comparison):
    """Compound first names, initials (J.-M.) and nicknames (Manu) are close."""

    field = "prenom"

    def level(self, a: NormalisedRecord, b: NormalisedRecord) -> str:
        if not a.prenom or not b.prenom:
            return MISSING
        if a.prenom == b.prenom:
            return EXACT
        if a.prenom_canonical == b.prenom_canonical or _initials_agree(a, b):
            return CLOSE
        level = self._by_similarity(JaroWinkler.similarity(a.prenom, b.prenom))
        if level == DIFFERENT and (
            a.prenom_tokens[0] == b.prenom_tokens[0] or a.phon_prenom == b.phon_prenom
        ):
            return FUZZY
        return level

    def tf_value(self, a: NormalisedRecord, b: NormalisedRecord) -> str | None:
        return a.prenom


def _initials_agree(a: NormalisedRecord, b: NormalisedRecord) -> bool:
    """J.-M. (or JM) against Jean-Marc; a lone initial against a single first name."""
    # Initials alone: the compact name is its own initials (J.-M. -> "JM", "J" -> "J").
    a_short, b_short = a.prenom == a.prenom_initials, b.prenom == b.prenom_initials
    return a_short != b_short and a.prenom_initials == b.prenom_initials


class BirthDateComparison(Comparison):
    """Exact; close = day and month swapped or one typed digit; fuzzy = two parts of three."""

    field = "date_naissance"

    def level(self, a: NormalisedRecord, b: NormalisedRecord) -> str:
        x, y = a.date_naissance, b.date_naissance
        if x is None or y is None:
            return MISSING
        if x == y:
            return EXACT
        swapped = (x.year, x.month, x.day) == (y.year, y.day, y.month)
        if swapped or Levenshtein.distance(x.isoformat(), y.isoformat()) <= 1:
            return CLOSE
        same_parts = (x.year == y.year) + (x.month == y.month) + (x.day == y.day)
        return FUZZY if same_parts >= 2 else DIFFERENT


class EmailComparison(Comparison):
    """Exact; close = one typed character or the same user at another domain."""

    field = "courriel"
    levels = (EXACT, CLOSE, DIFFERENT)

    def level(self, a: NormalisedRecord, b: NormalisedRecord) -> str:
        if not a.courriel or not b.courriel:
            return MISSING
        if a.courriel == b.courriel:
            return EXACT
        same_user = a.courriel.split("@")[0] == b.courriel.split("@")[0]
        if same_user or OSA.distance(a.courriel, b.courriel) <= 1:
            return CLOSE
        return DIFFERENT


class PhoneComparison(Comparison):
    """Exact E.164; close = one digit typed wrong or two digits exchanged."""

    field = "telephone"
    levels = (EXACT, CLOSE, DIFFERENT)

    def level(self, a: NormalisedRecord, b: NormalisedRecord) -> str:
        if not a.telephone or not b.telephone:
            return MISSING
        if a.telephone == b.telephone:
            return EXACT
        if OSA.distance(a.telephone, b.telephone) <= 1:
            return CLOSE
        return DIFFERENT


class AddressComparison(Comparison):
    """Street line with the postcode; fuzzy = same postcode or commune only."""

    field = "adresse"

    def level(self, a: NormalisedRecord, b: NormalisedRecord) -> str:
        if not _has_address(a) or not _has_address(b):
            return MISSING
        same_place = bool(
            (a.code_postal and a.code_postal == b.code_postal)
            or (a.commune and a.commune == b.commune)
        )
        if a.adresse and b.adresse and same_place:
            if a.adresse == b.adresse:
                return EXACT
            if token_sort_ratio(a.adresse, b.adresse) / 100 >= self.settings.close_similarity:
                return CLOSE
        if same_place:
            return FUZZY
        return DIFFERENT


def _has_address(r: NormalisedRecord) -> bool:
    return bool(r.code_postal or r.commune)


COMPARISON_CLASSES: dict[str, type[Comparison]] = {
    c.field: c
    for c in (SurnameComparison, FirstNameComparison, BirthDateComparison,
              EmailComparison, PhoneComparison, AddressComparison)
}


def build_comparisons(settings: dict[str, ComparisonSettings]) -> list[Comparison]:
    """The comparisons named in the settings, in the settings' order."""
    return [COMPARISON_CLASSES[name](field_settings) for name, field_settings in settings.items()]


def compare_records(
    comparisons: list[Comparison], a: NormalisedRecord, b: NormalisedRecord
) -> tuple[tuple[str, ...], NormalisedRecord]:
    """Levels per comparison, and the reading of b used (names exchanged if that fits better)."""
    levels = tuple([c.level(a, b) for c in comparisons])
    if levels.count(DIFFERENT) < 2 or not b.prenom or not (b.nom or b.nom_naissance):
        return levels, b
    names = [c for c, level in zip(comparisons, levels, strict=True)
             if c.field in _NAMES and level == DIFFERENT]
    if len(names) < 2:
        return levels, b
    swapped = _swapped(b)
    # The names decide whether the exchange fits; only then are the other fields redone.
    if all(c.level(a, swapped) in AGREEING for c in names):
        return tuple([c.level(a, swapped) for c in comparisons]), swapped
    return levels, b


_NAMES = frozenset({"nom", "prenom"})


@functools.lru_cache(maxsize=1 << 12)
def _swapped(record: NormalisedRecord) -> NormalisedRecord:
    return record.with_names_swapped()
