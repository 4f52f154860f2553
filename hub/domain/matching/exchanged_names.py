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
person; 39 of them letter for letter both ways, the others with a typo in a name too,
which stay with a coordinator.

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
"""

from __future__ import annotations

from hub.domain.matching.record import NormalisedRecord


def names_exchanged(a: NormalisedRecord, b: NormalisedRecord) -> bool:
    """Each record's first name is the other's surname letter for letter (with or
    without its particles), and the first names as typed differ."""
    return a.prenom != b.prenom and _is_surname(a.prenom, b) and _is_surname(b.prenom, a)


def _is_surname(first_name: str | None, record: NormalisedRecord) -> bool:
    return bool(first_name) and first_name in (record.nom_full, record.nom)
