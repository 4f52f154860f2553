"""Names exchanged: one fiche's surname typed in the first name's box and its first name
in the surname's (DUPONT Léa against Léa DUPONT).

`comparisons.compare_records` reads such a pair exchanged, each name close at best, so
at one home the household rule sees first names alike but not the same, as it sees Léa
/ Léo (`household.ALIKE`), and a coordinator decided them. Read exchanged, the names of
`names_exchanged` are the same letter for letter both ways: one first name, not a
sibling's alike, which twins never bear (Léa and Léo DUPONT, one fiche typed Léo | DUPONT,
meet as Léa / Léo: never exchanged here). The household rule leaves such a pair to the
model (`household.resolve`), which still asks the birth date or a contact of the
person's own beside the surname and the home where the file shows households, and
decides as for both fiches typed straight where it shows none
(`decision.alike_at_one_home`).

Measured on the review pairs of the French population (`bench/dedup_accuracy.py
--sets french`, 5,000 records, seed 2): 48 pairs had their names exchanged, all of one
person; 39 of them letter for letter both ways, the others with a typo in a name too.
A typo in the surname, the first name agreeing letter for letter, is one person too
where the strings say which is the first name (`surname_retyped`); a typo in the first
name is what twins of alike first names show, one fiche typed exchanged: those stay
with a coordinator.

Names compact, upper case, without accents (`NormalisedRecord.prenom`, `nom_full`).

Example:
    >>> from hub.domain.matching.record import normalise_record
    >>> def pair(x, y):
    ...     return normalise_record(x, "a"), normalise_record(y, "b")
    >>> names_exchanged(*pair({"nom": "Dupont", "prenom": "Léa"},
    ...                       {"nom": "LEA", "prenom": "DUPONT"}))
    True
    >>> names_exchanged(*pair({"nom": "Dupont", "prenom": "Léa"},
    ...                       {"nom": "LEO", "prenom": "DUPONT"}))
    False
    >>> names_exchanged(*pair({"nom": "Pichon", "prenom": "Frédérique"},
    ...                       {"nom": "FREDERIQUE", "prenom": "IPCHON"}))
    True
"""

from __future__ import annotations

from collections.abc import Mapping

from rapidfuzz.distance import OSA

from hub.domain.matching import first_name_typos
from hub.domain.matching.record import NormalisedRecord


def names_exchanged(a: NormalisedRecord, b: NormalisedRecord,
                    first_names: Mapping[str, float] | None = None,
                    surnames: Mapping[str, float] | None = None) -> bool:
    """Each record's first name is the other's surname letter for letter (with or
    without its particles), and the first names as typed differ; or one way letter for
    letter and the surname typed a letter off the other way (`surname_retyped`)."""
    return letter_for_letter(a, b) or (a.prenom != b.prenom and (
        surname_retyped(a, b, first_names or {}, surnames or {})
        or surname_retyped(b, a, first_names or {}, surnames or {})))


def letter_for_letter(a: NormalisedRecord, b: NormalisedRecord) -> bool:
    """Each record's first name is the other's surname letter for letter (with or
    without its particles), and the first names as typed differ: the names the same,
    only their boxes exchanged."""
    return a.prenom != b.prenom and _is_surname(a.prenom, b) and _is_surname(b.prenom, a)


def surname_retyped(a: NormalisedRecord, b: NormalisedRecord, first_names: Mapping[str, float],
                    surnames: Mapping[str, float]) -> bool:
    """b typed exchanged, its surname a letter off: a's first name is b's surname letter
    for letter, b's first name a's surname but for one typed letter (OSA: PICHON
    Frédérique / FREDERIQUE | IPCHON). Which of the two strings is the first name says
    whether the typo is in a surname (one person) or in a first name (twins Léa / Léo
    DUPONT, one typed LEO | DUPONT, read this way too): the string agreeing letter for
    letter must be a first name in use (`first_name_typos.in_use`: the model's table
    `first_names`, the list of given names) and no more frequent as a surname in the data
    than as a first name (the model's tables: MARTIN and THOMAS are surnames first; a
    file's fiches typed exchanged put Agathe among its surnames now and then), and neither
    string a letter apart a first name in use (MARTIN Léa / LEO | MARTIN: Léa and Léo are
    names)."""
    first, near = a.prenom or "", b.prenom or ""
    if not (first and near and _is_surname(first, b)) or _mostly_a_surname(
            first, first_names, surnames):
        return False
    surname = next((s for s in (a.nom, a.nom_full) if s and OSA.distance(s, near) == 1), None)
    return (surname is not None and first_name_typos.in_use(a, first_names)
            and not any(_a_first_name(s, first_names) for s in (surname, near)))


def _mostly_a_surname(name: str, first_names: Mapping[str, float],
                      surnames: Mapping[str, float]) -> bool:
    return name in surnames and surnames[name] >= first_names.get(name, 0.0)


def _a_first_name(name: str, first_names: Mapping[str, float]) -> bool:
    return name in first_names or name in first_name_typos.given_names()


def _is_surname(first_name: str | None, record: NormalisedRecord) -> bool:
    return bool(first_name) and first_name in (record.nom_full, record.nom)
