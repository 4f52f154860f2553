"""Windows-1252 or Mac Roman: which reading of a single-byte export is plausible French.

The same byte is « é » in one and « Ž » or an undefined byte in the other, « Ç » in one and
« « » in the other: each reading is scored inside words, and Mac Roman must win outright.
"""

from __future__ import annotations

# Accented letters of French text; a right reading shows them in the case of their word.
_LETTERS = frozenset("àâäçéèêëîïôöùûüÿœæ")
_LETTERS |= frozenset(c.upper() for c in _LETTERS)
_ELISIONS = frozenset("’")  # an apostrophe between two letters: « l’atelier »
_UNDEFINED = "\ufffd"


def single_byte(raw: bytes) -> str:
    """"mac_roman" when its reading is more plausible than Windows-1252's, else "cp1252"."""
    mac = _plausibility(raw.decode("mac_roman"))
    windows = _plausibility(raw.decode("cp1252", errors="replace"))
    return "mac_roman" if mac > windows else "cp1252"


def _plausibility(text: str) -> int:
    """Characters outside ASCII scored for (+1) or against (-1) inside their word."""
    padded = f" {text} "
    return sum(_score(padded[i - 1], c, padded[i + 1])
               for i, c in enumerate(padded) if not c.isascii())


def _score(before: str, c: str, after: str) -> int:
    if c == _UNDEFINED:
        return -1
    if not c.isalpha():
        between = before.isalpha() and after.isalpha()
        return (1 if c in _ELISIONS else -1) if between else 0
    if after.isalpha():
        capitalised = c.isupper() and not before.isalpha()  # « École »
        if c.islower() != after.islower() and not capitalised:
            return -1
    elif before.isalpha():
        if c.isupper() and before.islower():
            return -1
        if c.islower() and before.isupper():
            return 0
    else:
        return 0
    return 1 if c in _LETTERS else 0
