"""Feminine forms of first names: Louis / Louise are twins' names, Isabel / Isabelle one
woman's name spelt two ways.

A pair is a feminine form only where one side is a masculine first name of this list and
the other is that name with a feminine ending (Daniel / Danielle, Claude / Claudine,
Antoine / Antoinette); for a compound name, part by part (Jean-Louis / Jeanne-Louise).
Names compact, upper case, without accents (`normalise.first_name_compact`).

Example:
    >>> feminine_form("LOUIS", "LOUISE"), feminine_form("ISABEL", "ISABELLE")
    (True, False)
    >>> feminine_compound(("JEAN", "LOUIS"), ("JEANNE", "LOUISE"))
    True
"""

from __future__ import annotations

# Masculine French first names in use with a feminine form (written for this rule from
# common usage; kept apart from any list a test-data generator draws names from).
MASCULINE_FIRST_NAMES = frozenset({
    "ADRIEN", "ALBAN", "ALBERT", "ALEXANDRE", "ALEXIS", "ALFRED", "ALPHONSE", "AMAURY",
    "ANDRE", "ANGE", "ANTOINE", "ANTONIN", "ANTONIO", "ARMAND", "ARNAUD", "AUGUSTE",
    "AUGUSTIN", "AURELIEN", "BAPTISTE", "BASTIEN", "BENOIT", "BERNARD", "BERTRAND",
    "BRUNO", "CEDRIC", "CHARLES", "CHRISTIAN", "CHRISTOPHE", "CLAUDE", "CLEMENT",
    "CONSTANT", "CYRIL", "DAMIEN", "DANIEL", "DENIS", "DIDIER", "DOMINIQUE", "EDMOND",
    "EMILE", "EMILIEN", "EMMANUEL", "ERNEST", "ETIENNE", "EUGENE", "FABIEN", "FABRICE",
    "FERNAND", "FLORENT", "FLORIAN", "FRANCIS", "FRANCK", "FRANCOIS", "FREDERIC",
    "GABRIEL", "GAEL", "GASTON", "GEORGES", "GERALD", "GERMAIN", "GILBERT", "GILLES",
    "GREGOIRE", "GUY", "HENRI", "HONORE", "HUGUES", "JACQUES", "JEAN", "JOEL", "JOSEPH",
    "JULES", "JULIEN", "JUSTIN", "LAURENT", "LEO", "LEON", "LIONEL", "LOUIS", "LUC",
    "LUCIEN", "MANUEL", "MARC", "MARCEL", "MARIO", "MARIUS", "MARTIN", "MATHIEU",
    "MATTHIEU", "MAURICE", "MAXIME", "MICHEL", "NICOLAS", "NOEL", "OLIVIER", "PASCAL",
    "PATRICE", "PATRICK", "PAUL", "PIERRE", "RAPHAEL", "RAYMOND", "RENE", "ROBERT",
    "ROLAND", "ROMAIN", "SAMUEL", "SEBASTIEN", "SIMON", "STEPHANE", "SYLVAIN",
    "THIERRY", "VALENTIN", "VICTOR", "VINCENT", "YANN", "YVES", "YVON",
})

# His ending -> hers on the same stem (Stéphane / Stéphanie, Alexandre / Alexandra,
# Laurent / Laurence, Patrick / Patricia, Alexis / Alexia, Mario / Maria, Gabriel /
# Gabriella, Frédéric / Frédérique, Léon / Léonie, Claude / Claudine, Paul / Paulette,
# Yves / Yvette, Jacques / Jacqueline, Nicolas / Nicole). A vowel-led ending may double
# the stem's last letter (Jean / Jeanne, Michel / Michelle, Jean / Jeannine).
_FEMININE_ENDINGS = (("", "E"), ("E", "IE"), ("", "IE"), ("RE", "RA"), ("T", "CE"),
                     ("CK", "CIA"), ("S", "A"), ("O", "A"), ("EL", "ELLA"), ("C", "QUE"),
                     ("E", "INE"), ("", "INE"), ("E", "ETTE"), ("", "ETTE"), ("S", "TTE"),
                     ("ES", "ELINE"), ("AS", "E"))


def feminine_form(x: str, y: str) -> bool:
    """One side a masculine first name, the other its feminine form, either order. A
    name already ending in E with another added (Pierre / Pierree) is a typo."""
    return _hers(x, y) or _hers(y, x)


def feminine_compound(x: tuple[str, ...], y: tuple[str, ...]) -> bool:
    """Compound first names of as many parts, each the same or its feminine form, one at
    least a feminine form (Jean-Louis / Jeanne-Louise, Jean-Marie / Jeanne-Marie)."""
    if len(x) != len(y) or len(x) < 2:
        return False
    pairs = list(zip(x, y, strict=True))
    return (all(a == b or feminine_form(a, b) for a, b in pairs)
            and any(a != b for a, b in pairs))


def _hers(his: str, hers: str) -> bool:
    if his not in MASCULINE_FIRST_NAMES or his[:3] != hers[:3]:
        return False
    for male, female in _FEMININE_ENDINGS:
        if not his.endswith(male):
            continue
        stem = his[:len(his) - len(male)]
        if male == "" and female == "E" and his.endswith("E"):
            continue  # Pierre / Pierree: a typo
        if hers == stem + female or (female[0] in "AEIOU" and hers == stem + stem[-1] + female):
            return True
    return False

