"""The schema's errors on a mapped fiche, as problems naming the member's own column."""

from __future__ import annotations

from typing import Any

from connectors.mapping import Mapping, MappingProblem


def located(mapping: Mapping, error: Any) -> MappingProblem:
    """A schema error naming the source column of the field it is about; a code of five
    digits the mapping does not pad says how to (a spreadsheet drops its leading zero)."""
    rule = mapping.rule_at(error.path)
    fr, en = error.message_fr, error.message_en
    if error.code == "format" and rule is not None and not rule.pad \
            and rule.parts[-1] in _ZERO_PADDED:
        fr, en = fr + _PAD_HINT[0], en + _PAD_HINT[1]
    return MappingProblem(error.path, error.code, fr, en,
                          (rule.column or rule.source) if rule is not None else None)


_ZERO_PADDED = frozenset(("code_postal", "code_insee"))
_PAD_HINT = (
    " Un tableur qui range ce code comme un nombre retire son zéro de tête (01000 devient "
    "1000) : ajoutez \"completer_zeros\": 5 à ce champ dans la correspondance.",
    " A spreadsheet storing this code as a number drops its leading zero (01000 becomes "
    "1000): add \"completer_zeros\": 5 to this field in the mapping.")


def split_lenient(mapping: Mapping, errors: list[Any], named: set[Any] | None = None
                  ) -> tuple[list[MappingProblem], list[MappingProblem]]:
    """Schema errors (those at paths not in `named`) as (errors, warnings), each naming its
    column: the warnings are about optional fields marked `si_invalide: ignorer`, whose
    values a run leaves out of the fiche instead of rejecting it."""
    found: list[MappingProblem] = []
    ignorable: list[MappingProblem] = []
    for error in errors:
        if named and error.path in named:
            continue
        rule = mapping.rule_at(error.path)
        (ignorable if rule is not None and rule.lenient else found).append(
            located(mapping, error))
    return found, ignorable
