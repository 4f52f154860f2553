"""A hypocoristic beside the one first name it stands for: Cathy / Catherine, Tom / Thomas.

At one home, first names alike but not the same are held for a coordinator
(`household.ALIKE`): twins and siblings bear such names (Léa / Léo, Hamid / Hamida). A
pet name of the table below beside the name it stands for is no sibling's name: parents
do not call twins Thomas and Tom. With the full birth date the same and the surname
agreeing (`hypocoristic_of_one_name`), the household rule leaves such a pair to the
model (`household.resolve`), which links it on its probability.

The table keeps only pet names that stand for one given name: not a beginning other
names share (Isa: Isabelle, Isaure; Alex: Alexandre, Alexia, Alexis; Max: Maxime,
Maxence), not the pet name of a name's feminine or masculine form as well (Manu:
Emmanuel, Emmanuelle; Steph, Fred, Chris, Nico, Seb, Dédé, Lolo, Mimi, Fanfan), not a
first syllable doubled that other names begin with (Guigui: Guillaume, Guilhem; Juju,
Jojo). Twins Emmanuel and Emmanuelle, one fiche typed Manu, stay with a coordinator.
Written for this rule from French usage; each entry is also a nickname the first-name
comparison reads close (`normalise.NICKNAMES`). Names compact, upper case, without
accents (`NormalisedRecord.prenom`).

Example:
    >>> from hub.domain.matching.record import normalise_record
    >>> def pair(x, y):
    ...     return normalise_record({"prenom": x}, "a"), normalise_record({"prenom": y}, "b")
    >>> hypocoristic(*pair("Cathy", "Catherine")), hypocoristic(*pair("THOMAS", "Tom"))
    (True, True)
    >>> hypocoristic(*pair("Manu", "Emmanuel")), hypocoristic(*pair("Isa", "Isabelle"))
    (False, False)
"""

from __future__ import annotations

from collections.abc import Mapping

from hub.domain.matching.comparisons import CLOSE, EXACT
from hub.domain.matching.record import NormalisedRecord

# Pet name -> the one given name it stands for.
HYPOCORISTICS: Mapping[str, str] = {
    "CATHY": "CATHERINE", "ZAZA": "ISABELLE", "TOM": "THOMAS", "JEANNOT": "JEAN",
}


def hypocoristic(a: NormalisedRecord, b: NormalisedRecord) -> bool:
    """One first name a pet name of the table, the other the name it stands for."""
    x, y = a.prenom or "", b.prenom or ""
    return bool(x and y) and (HYPOCORISTICS.get(x) == y or HYPOCORISTICS.get(y) == x)


def hypocoristic_of_one_name(levels: Mapping[str, str | None], a: NormalisedRecord,
                             b: NormalisedRecord) -> bool:
    """`hypocoristic`, the full birth date the same and the surname agreeing (exact or
    close): one person called by a pet name, which the household rule leaves to the
    model (`household.resolve`; API `surnom`)."""
    return (levels.get("date_naissance") == EXACT and levels.get("nom") in (EXACT, CLOSE)
            and hypocoristic(a, b))
