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
    "ADRIEN", "AIME", "ALBAN", "ALBERT", "ALBIN", "ALEXANDRE", "ALEXIS", "ALFRED",
    "ALPHONSE", "AMAURY", "ANDRE", "ANGE", "ANTOINE", "ANTONIN", "ANTONIO", "ARMAND",
    "ARMEL", "ARNAUD", "AUGUSTE", "AUGUSTIN", "AURELIEN", "AXEL", "BAPTISTE", "BASTIEN",
    "BENJAMIN", "BENOIT", "BERNARD", "BERTRAND", "BRUNO", "CEDRIC", "CELESTIN", "CHARLES",
    "CHRISTIAN", "CHRISTOPHE", "CLAUDE", "CLEMENT", "CONSTANT", "CYRIL", "DAMIEN", "DANIEL",
    "DENIS", "DESIRE", "DIDIER", "DOMINIQUE", "DORIAN", "EDMOND", "EMILE", "EMILIEN",
    "EMMANUEL", "ERNEST", "ERWAN", "ETIENNE", "EUGENE", "FABIEN", "FABRICE", "FERNAND",
    "FIRMIN", "FLORENT", "FLORIAN", "FRANCIS", "FRANCK", "FRANCOIS", "FREDERIC", "GABRIEL",
    "GAEL", "GAETAN", "GASTON", "GEORGES", "GERALD", "GERMAIN", "GILBERT", "GILLES",
    "GREGOIRE", "GUY", "HENRI", "HONORE", "HUBERT", "HUGUES", "JACQUES", "JEAN", "JOEL",
    "JOSE", "JOSEPH", "JULES", "JULIEN", "JUSTIN", "LAURENT", "LEO", "LEON", "LILIAN",
    "LIONEL", "LOUIS", "LUC", "LUCIEN", "MAEL", "MANUEL", "MARC", "MARCEL", "MARIN",
    "MARIO", "MARIUS", "MARTIN", "MATHIEU", "MATTHIEU", "MAURICE", "MAXIME", "MICHAEL",
    "MICHEL", "MIKAEL", "NATHANAEL", "NICOLAS", "NOEL", "NORBERT", "OLIVIER", "PASCAL",
    "PATRICE", "PATRICK", "PAUL", "PIERRE", "RAPHAEL", "RAYMOND", "RENE", "ROBERT",
    "ROLAND", "ROMAIN", "SAMUEL", "SEBASTIEN", "SIMON", "STEPHANE", "SYLVAIN", "THIERRY",
    "VALENTIN", "VICTOR", "VINCENT", "VIVIEN", "YANN", "YVES", "YVON",
})

# Masculine names ending in an acute É (accents are gone in the compact form): an E added
# is hers (André / Andrée, René / Renée), not a typo doubling a mute E (Pierre / Pierree).
_ACUTE_E_ENDINGS = frozenset({"AIME", "ANDRE", "DESIRE", "HONORE", "JOSE", "RENE"})

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
    name already ending in a mute E with another added (Pierre / Pierree) is a typo; in
    an É, hers (René / Renée)."""
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
        if male == "" and female == "E" and his.endswith("E") and his not in _ACUTE_E_ENDINGS:
            continue  # Pierre / Pierree: a typo
        if hers == stem + female or (female[0] in "AEIOU" and hers == stem + stem[-1] + female):
            return True
    return False

