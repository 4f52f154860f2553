"""The m and u tables of a model file, checked once when it is read (`MatchModel.from_json`).

A hand-edited file (a level without its u, a probability of 0, negative, null or a
string, a level no comparison gives, a field left out) would otherwise load and then fail
every pair it scores (a KeyError, a division by zero, a log of a negative number): each
table is refused on load instead, naming the field and the level, with `InvalidSetting`,
which the loaders answer with their own clear error (`invalid_matching_model`).

Per comparison, a table holds a dict of probabilities, each a finite number in (0, 1],
under the comparison's levels and `missing`. A level newer than the file (`formerly`)
may be left out where the level it replaced is there: it weighs as that one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hub.domain.matching.comparisons import EXACT, MISSING, Comparison
from hub.domain.matching.settings import InvalidSetting, is_number

_RETRAIN_EN = "train the model again (`capactif dedup --model-out`) or correct the file"
_RETRAIN_FR = "réentraînez le modèle (`capactif dedup --model-out`) ou corrigez le fichier"


def check_tables(m: Any, u: Any, u_random: Any, comparisons: Sequence[Comparison]) -> None:
    """Refuse, naming where, m and u tables a model could not score a pair with.

    `u_random` (`u_aleatoire`, the u of random pairs) may leave out fields (a file of
    before) and levels but `exact`, the one read (`MatchModel.tf_adjustment`); what it
    holds is checked as u is. u holds every level m holds, so each
    level's weight log2(m/u) is a finite number.

    Raises:
        InvalidSetting: the first table, field or level out of its bounds.
    """
    _check_table("m", m, comparisons, every_level=True)
    _check_table("u", u, comparisons, every_level=True)
    _check_table("u_aleatoire", u_random, comparisons, every_level=False)
    for comparison in comparisons:
        field = comparison.field
        for level, m_level in m[field].items():
            if level not in u[field]:
                raise _refused(f"u.{field}.{level}", f"is missing while m.{field}.{level} is "
                               "given", f"est absent alors que m.{field}.{level} est donné")
            if m_level / u[field][level] == float("inf"):
                raise _refused(f"u.{field}.{level}", "is too small beside its m (log2(m/u) "
                               "is not finite)", "est trop petit devant son m (log2(m/u) "
                               "n'est pas fini)")


def _check_table(name: str, table: Any, comparisons: Sequence[Comparison],
                 every_level: bool) -> None:
    """`every_level`: each field, each of its levels (else the `exact` of those held)."""
    if not isinstance(table, dict):
        raise _refused(name, "must map each compared field to its levels",
                       "doit associer à chaque champ comparé ses niveaux")
    by_field = {c.field: c for c in comparisons}
    unknown = sorted(str(f) for f in table if f not in by_field)
    if unknown:
        raise _refused(f"{name}.{unknown[0]}", "is not a field the settings compare "
                       f"({', '.join(by_field)})", "n'est pas un champ que les réglages "
                       f"comparent ({', '.join(by_field)})")
    for comparison in comparisons:
        if comparison.field in table:
            _check_levels(f"{name}.{comparison.field}", table[comparison.field], comparison,
                          comparison.levels if every_level else (EXACT,))
        elif every_level:
            raise _refused(f"{name}.{comparison.field}", "is missing",
                           "est absent")


def _check_levels(where: str, levels: Any, comparison: Comparison,
                  required: tuple[str, ...]) -> None:
    if not isinstance(levels, dict):
        raise _refused(where, "must map levels to probabilities",
                       "doit associer aux niveaux des probabilités")
    known = (*comparison.levels, MISSING)
    for level, p in levels.items():
        if level not in known:
            raise _refused(f"{where}.{level}", f"is not a level of this field ({', '.join(known)})",
                           f"n'est pas un niveau de ce champ ({', '.join(known)})")
        if not (is_number(p) and 0 < p <= 1):
            raise _refused(f"{where}.{level}", "must be a probability greater than 0 and at "
                           "most 1", "doit être une probabilité supérieure à 0 et au plus 1")
    fallback = dict(comparison.formerly)
    # The levels every file holds first: a newer level is missing only if its former is.
    for level in sorted(required, key=lambda level: level in fallback):
        if level not in levels and fallback.get(level) not in levels:
            raise _refused(f"{where}.{level}", "is missing", "est absent")


def _refused(where: str, what_en: str, what_fr: str) -> InvalidSetting:
    return InvalidSetting(where, f"{where} {what_en}: {_RETRAIN_EN}",
                          f"{where} {what_fr} : {_RETRAIN_FR}")
