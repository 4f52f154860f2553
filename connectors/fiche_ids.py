"""One fiche_id, one record number.

A fiche_id is built from the member's record number (`Mapping.fiche_id`: characters the
hub refuses become "-", the whole cut at 64), so two numbers may give one id
(« 2026/001 » and « 2026-001 »). Sent as they are, the second record's fiche replaced
the first's at the hub: another person's data under the first one's consent. Both
records are refused instead, and a number giving the id of a fiche sent before under
another number is refused (the fiche sent stays as it is).
"""

from __future__ import annotations

import collections
from collections.abc import Collection, Iterable

from connectors.checkpoint import KnownFiche
from connectors.mapping import Mapping, MappingProblem

_CODE = "identifiant_en_double"


def clashing_keys(mapping: Mapping, file_keys: Iterable[str],
                  known_keys: Collection[str]) -> dict[str, list[str]]:
    """Each key of the file whose fiche_id another key gives (of the file, or sent before
    and absent from the file), with those other keys."""
    in_file = set(file_keys)
    by_id: dict[str, list[str]] = collections.defaultdict(list)
    for key in in_file:
        by_id[mapping.fiche_id(key)].append(key)
    for key in known_keys:
        if key not in in_file and mapping.fiche_id(key) in by_id:
            by_id[mapping.fiche_id(key)].append(key)
    return {key: [other for other in keys if other != key]
            for keys in by_id.values() if len(keys) > 1 for key in keys if key in in_file}


def same_fiche_id(lines: list[int], sent_before: bool, column: str | None) -> MappingProblem:
    """The problem of a record whose number gives the fiche_id of another record (on
    `lines`, or sent before): never the numbers themselves."""
    where = f"lignes {', '.join(map(str, lines))}" if lines else ""
    where_en = f"rows {', '.join(map(str, lines))}" if lines else ""
    if sent_before:
        where = (where + " et " if where else "") + "une fiche déjà envoyée"
        where_en = (where_en + " and " if where_en else "") + "a fiche sent before"
    return MappingProblem(
        "$.fiche_id", _CODE,
        f"Ce numéro de dossier donne le même identifiant de fiche qu'un autre numéro "
        f"({where}) : les caractères autres que lettres, chiffres, « . », « _ », « : » et "
        "« - » y deviennent « - » (une barre « / » comme un tiret). Ni l'une ni "
        "l'autre n'est envoyée : renumérotez l'une des deux dans le tableur.",
        f"This record number gives the same fiche id as another number ({where_en}): "
        "characters other than letters, digits, '.', '_', ':' and '-' become '-'. Neither "
        "is sent: renumber one of them.", column)


class FicheOwners:
    """The record number each fiche_id was sent or queued under, on this run or before."""

    def __init__(self, known: dict[str, KnownFiche], mapping: Mapping) -> None:
        self._owner = {fiche.fiche_id: key for key, fiche in known.items()}
        self._mapping = mapping

    def claim(self, fiche_id: str, key: str) -> MappingProblem | None:
        """None when `fiche_id` is `key`'s (or no one's yet: then it is); otherwise the
        problem refusing the record."""
        owner = self._owner.setdefault(fiche_id, key)
        if owner == key:
            return None
        identity = self._mapping.identity
        return same_fiche_id([], True, identity.column or identity.source)
